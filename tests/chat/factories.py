"""Helpers of the chat tests: a chat queue with a widget, agents in it, public and internal articles."""

from __future__ import annotations

from contactcenter.agents.models import AgentProfile, Queue
from contactcenter.chat.models import ChatConversation, ChatWidget
from contactcenter.chat.services import chat_start, chat_widget_create
from contactcenter.knowledge.models import Article
from tests.knowledge.factories import ArticleFactory
from tests.routing.factories import agent_in, chat_queue

ORIGIN = "https://shop.example.com"


def widget(queue: Queue | None = None, **fields) -> ChatWidget:
    fields.setdefault("languages", ["en", "fr"])
    fields.setdefault("allowed_origins", [ORIGIN])
    return chat_widget_create(name=fields.pop("name", "Shop"), queue=queue or chat_queue(), **fields)


def start(chat_widget: ChatWidget, language: str = "en") -> tuple[ChatConversation, str]:
    return chat_start(widget=chat_widget, language=language)


def agent(queue: Queue, username: str = "alice", **extra) -> AgentProfile:
    return agent_in(queue, username, **extra)


def public_article(**fields) -> Article:
    fields.setdefault("title", "Reset your password")
    fields.setdefault("summary", "Open Settings, then Security, and choose Reset password.")
    fields.setdefault("body", "To reset your password open the settings page and follow the security steps.")
    return ArticleFactory(audience="public", **fields)


def internal_article(**fields) -> Article:
    fields.setdefault("title", "Refund override procedure")
    fields.setdefault("summary", "Supervisors may override the refund limit in the back office.")
    fields.setdefault("body", "Internal only: refund override, limit, back office, approval code 4471.")
    return ArticleFactory(audience="internal", **fields)
