"""Every read of web chat, with its joins (``docs/chat.md``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet

from contactcenter.agents.models import AgentProfile
from contactcenter.chat.events import message_payload
from contactcenter.chat.models import BotAnswer, ChatConversation, ChatMessage, ChatWidget, ConversationState
from contactcenter.chat.services import place_payload, token_hash
from contactcenter.core.roles import ADMIN, MANAGER, SUPERVISOR, role_of
from customers.models import Customer


def active_widget(*, key: str) -> ChatWidget | None:
    """The active widget of this public key, with its queue; ``None`` for any other."""
    if not isinstance(key, str) or not key or len(key) > 40:
        return None
    return ChatWidget.objects.select_related("queue").filter(key=key, is_active=True).first()


def conversation_for_visitor(*, widget: ChatWidget, token: str) -> ChatConversation | None:
    """The visitor's conversation on ``widget`` for their token, ``None`` for an unknown token."""
    if not isinstance(token, str) or not token or len(token) > 100:
        return None
    return (
        ChatConversation.objects.select_related("widget__queue", "agent")
        .filter(widget=widget, token_hash=token_hash(token))
        .first()
    )


def conversation_by_pk(*, pk: int) -> ChatConversation:
    """The conversation ``pk`` as it is now, its widget, queue and agent joined (the visitor's socket
    reads its own conversation again: no access check)."""
    return ChatConversation.objects.select_related("widget__queue", "agent").get(pk=pk)


def chat_messages(*, conversation: ChatConversation, after_id: int | None = None) -> QuerySet[ChatMessage]:
    """The conversation's messages in order (after ``after_id``), with the quoted article and the agent."""
    messages = ChatMessage.objects.filter(conversation=conversation).select_related("article", "agent")
    if after_id is not None:
        messages = messages.filter(pk__gt=after_id)
    return messages.order_by("pk")


def agent_open_chats(*, user: AbstractBaseUser) -> QuerySet[ChatConversation]:
    """The chats ``user`` has now (active, theirs), oldest first; the customer, widget, queue and
    interaction joined, and each one's last message in ``last_messages`` (a list of at most one):
    two queries in all, whatever the number of chats."""
    last = ChatMessage.objects.select_related("article").order_by("-pk")[:1]
    return (
        ChatConversation.objects.filter(agent_id=user.pk, state=ConversationState.ACTIVE)
        .select_related("customer", "widget__queue", "interaction")
        .prefetch_related(Prefetch("messages", queryset=last, to_attr="last_messages"))
        .order_by("started_at", "pk")
    )


def conversation_for_agent(*, user: AbstractBaseUser, pk: int) -> ChatConversation:
    """The conversation ``pk`` if ``user`` may see it: an agent, the chats they have or had; a
    supervisor, theirs and those of their team's agents; managers and admins, every one.
    ``ChatConversation.DoesNotExist`` otherwise."""
    conversations = ChatConversation.objects.select_related("customer", "widget__queue", "interaction", "agent")
    role = role_of(user)
    if role in (MANAGER, ADMIN):
        return conversations.get(pk=pk)
    if role == SUPERVISOR:
        team = AgentProfile.objects.filter(
            team_id__in=AgentProfile.objects.filter(user_id=user.pk).values("team_id")
        ).values("user_id")
        return conversations.filter(Q(agent_id=user.pk) | Q(agent_id__in=team)).get(pk=pk)
    return conversations.get(pk=pk, agent_id=user.pk)


def customer_chats(*, customer_id: int) -> QuerySet[ChatConversation]:
    """A customer's chats with their messages (the data-protection export)."""
    return (
        ChatConversation.objects.filter(customer_id=customer_id)
        .select_related("widget")
        .prefetch_related(Prefetch("messages", queryset=ChatMessage.objects.order_by("pk")))
        .order_by("started_at", "pk")
    )


def transcript_search(*, query: str, limit: int = 50) -> QuerySet[ChatConversation]:
    """Conversations whose transcript holds ``query`` (any case), newest first."""
    term = (query or "").strip()[:200]
    if not term:
        return ChatConversation.objects.none()
    ids = ChatMessage.objects.filter(text__icontains=term).values("conversation_id")
    return (
        ChatConversation.objects.filter(pk__in=ids)
        .select_related("customer", "widget", "agent")
        .order_by("-started_at", "-pk")[:limit]
    )


#: The messages a visitor's widget shows again when it reconnects (the newest ones).
SNAPSHOT_MESSAGES = 200


def visitor_snapshot(*, conversation: ChatConversation) -> dict[str, Any]:
    """What the visitor's widget shows when it (re)connects: the state, the transcript so far, the
    bot answer waiting for a rating, the agent's name, the place in line while waiting."""
    messages = list(
        ChatMessage.objects.filter(conversation=conversation)
        .select_related("article", "agent")
        .order_by("-pk")[:SNAPSHOT_MESSAGES]
    )
    messages.reverse()
    pending = (
        BotAnswer.objects.filter(conversation=conversation, helped__isnull=True, article__isnull=False)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    agent = conversation.agent
    snapshot = {
        "conversation": conversation.pk,
        "state": conversation.state,
        "language": conversation.language,
        "colour": conversation.widget.colour,
        "agent_name": (agent.get_full_name() or agent.get_username()) if agent is not None else "",
        "csat": conversation.csat,
        "feedback": pending if conversation.state == ConversationState.BOT else None,
        "messages": [
            message_payload(
                message,
                agent_name=(message.agent.get_full_name() or message.agent.get_username()) if message.agent else "",
            )
            for message in messages
        ],
    }
    if conversation.state == ConversationState.WAITING:
        snapshot.update(place_payload(conversation.work_item_id))
    return snapshot


def widget_for_origin(*, origin: str) -> ChatWidget | None:
    """The first active widget (by name) that allows ``origin``; ``None`` when none does."""
    for widget in ChatWidget.objects.filter(is_active=True).order_by("name"):
        if widget.allows_origin(origin):
            return widget
    return None


def customer_chats_export(*, user: AbstractBaseUser, customer: Customer) -> list[dict[str, Any]]:
    """The customer's export hook (``customers.selectors.customer_export``): each of their chats,
    its messages (who wrote what, when, the article quoted) and its CSAT. Two queries at most."""
    return [
        {
            "id": conversation.pk,
            "widget": conversation.widget.name,
            "state": conversation.state,
            "language": conversation.language,
            "visitor_name": conversation.visitor_name,
            "visitor_email": conversation.visitor_email,
            "interaction": conversation.interaction_id,
            "ticket": conversation.ticket_id,
            "started_at": conversation.started_at.isoformat(),
            "ended_at": conversation.ended_at.isoformat() if conversation.ended_at else None,
            "csat": conversation.csat,
            "messages": [
                {
                    "author": message.author,
                    "agent": message.agent_id,
                    "text": message.text,
                    "article": message.article_id,
                    "at": message.created_at.isoformat(),
                }
                for message in conversation.messages.all()
            ],
        }
        for conversation in customer_chats(customer_id=customer.pk)
    ]
