"""Live events of web chat (``docs/chat.md``, "Events"), after commit, through
:mod:`contactcenter.core.events`: to the visitor's sockets (``ws/chat/``, group ``chat.<id>``) and
to the agent's own stream (``ws/agent/``: ``chat.started``, ``chat.message``, ``chat.typing``,
``chat.ended``)."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import NoReverseMatch, reverse

from contactcenter.chat.models import ChatConversation, ChatMessage
from contactcenter.core.events import Payload, agent_group, publish_on_commit, visitor_chat_group
from contactcenter.knowledge.models import Article


def article_url(slug: str) -> str:
    """The customer portal's page of a public article."""
    try:
        return reverse("portal:article", kwargs={"slug": slug})
    except NoReverseMatch:  # the portal is not installed: its address all the same
        return f"/portal/articles/{slug}/"


def article_payload(article: Article | None) -> Payload | None:
    if article is None:
        return None
    return {"title": article.title, "url": article_url(article.slug)}


def message_payload(message: ChatMessage, *, article: Article | None = None, agent_name: str = "") -> Payload:
    """One message as both sides see it."""
    return {
        "id": message.pk,
        "author": message.author,
        "text": message.text,
        "at": message.created_at.isoformat(),
        "article": article_payload(article if article is not None else message.article),
        "agent_name": agent_name,
    }


#: The visitor's events travel on the layer as ``visitor.<type>`` (the consumer's handlers
#: ``visitor_<type>``) and reach the socket as ``<type>``.
VISITOR_PREFIX = "visitor."


def _to_visitor(conversation_id: int, event_type: str, payload: Payload | Callable[[], Payload]) -> None:
    publish_on_commit(
        event_type=VISITOR_PREFIX + event_type, groups=[visitor_chat_group(conversation_id)], payload=payload
    )


def _to_agent(agent_id: int | None, event_type: str, payload: Payload | Callable[[], Payload]) -> None:
    if agent_id is not None:
        publish_on_commit(event_type=event_type, groups=[agent_group(agent_id)], payload=payload)


def message_on_commit(
    conversation: ChatConversation, message: ChatMessage, *, answer_id: int | None = None, agent_name: str = ""
) -> None:
    """A message of the conversation: to the visitor (``message``, with the bot answer to rate, if
    any) and, while an agent holds the chat, to them (``chat.message``)."""
    body = message_payload(message, agent_name=agent_name)
    _to_visitor(conversation.pk, "message", {"message": body, "feedback": answer_id})
    if conversation.state == "active":
        _to_agent(conversation.agent_id, "chat.message", {"conversation": conversation.pk, "message": body})


def visitor_typing_on_commit(conversation: ChatConversation, typing: bool) -> None:
    if conversation.state == "active":
        _to_agent(conversation.agent_id, "chat.typing", {"conversation": conversation.pk, "typing": typing})


def agent_typing_on_commit(conversation: ChatConversation, typing: bool) -> None:
    _to_visitor(conversation.pk, "typing", {"typing": typing})


def state_on_commit(conversation: ChatConversation, **extra: object) -> None:
    """The conversation's state changed: the visitor's widget follows (``state``)."""
    _to_visitor(conversation.pk, "state", {"state": conversation.state, **extra})


def leave_message_on_commit(conversation: ChatConversation, reason: str) -> None:
    """Nobody can take the chat (``closed``: outside the opening hours; ``nobody``: no agent of the
    queue logged in): the widget offers the leave-a-message form."""
    _to_visitor(conversation.pk, "leave_message", {"reason": reason})


def started_on_commit(conversation: ChatConversation) -> None:
    """The agent accepted the chat's offer: ``chat.started`` on their stream, ``state`` to the visitor."""
    payload = {
        "conversation": conversation.pk,
        "interaction": conversation.interaction_id,
        "customer": conversation.customer_id,
        "visitor_name": conversation.visitor_name,
        "language": conversation.language,
        "queue": conversation.widget.queue.name,
    }
    _to_agent(conversation.agent_id, "chat.started", payload)


def ended_on_commit(conversation: ChatConversation, *, by: str, agent_id: int | None, ask_csat: bool) -> None:
    """The chat is over: ``chat.ended`` to its agent, ``ended`` to the visitor (who is asked the CSAT)."""
    _to_agent(agent_id, "chat.ended", {"conversation": conversation.pk, "by": by})
    _to_visitor(conversation.pk, "ended", {"by": by, "csat": ask_csat})


def queue_place_on_commit(conversation_id: int, place: Callable[[], Payload]) -> None:
    """Where the visitor's chat stands in its queue's line (``queue``: position, estimated wait)."""
    _to_visitor(conversation_id, "queue", place)
