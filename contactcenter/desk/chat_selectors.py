"""The reads of the desk's chat panel (``docs/desktop.md``, "Web chat"): over the chat app's own
selectors (:mod:`contactcenter.chat.selectors`: the agent's open chats, a chat's messages, a chat
as its agent or their supervisor may read it), what only the desk shows beside them: the unread
counts of the tabs, the customer's card and history beside the chat, the queue's canned replies
filled for the chat, where it may be transferred, the team's open chats for a supervisor, and a
past chat's transcript on a customer's timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from contactcenter.agents.models import AgentProfile, Queue
from contactcenter.chat import selectors as chat_selectors
from contactcenter.chat.models import ChatConversation, ChatMessage
from contactcenter.core.choices import Channel
from contactcenter.core.roles import SUPERVISOR, profile_of, role_of
from contactcenter.distribution.models import WorkItem
from contactcenter.mail.models import CannedReply, canned_fill
from contactcenter.mail.selectors import CannedChoice
from customers.models import Customer
from customers.selectors import TimelineEntry, customer_history, customer_queryset
from interactions.models import Interaction, Ticket

#: The customer's history beside a chat: as many entries as beside a call.
CHAT_TIMELINE_ENTRIES = 15
#: The messages a chat panel draws at once (the newest); a longer chat scrolls from there.
CHAT_MESSAGES_SHOWN = 200
#: Authors of a chat message (``ChatMessage.author``).
VISITOR, AGENT = "visitor", "agent"
#: A chat the agent still works on (``ChatConversation.state``).
ACTIVE = "active"


@dataclass(frozen=True)
class ChatTab:
    """One of the agent's open chats as its tab shows it: who, and how many of the visitor's
    messages came since the agent last wrote."""

    conversation: ChatConversation
    unread: int

    @property
    def pk(self) -> int:
        return self.conversation.pk

    @property
    def title(self) -> str:
        return conversation_title(self.conversation)


def conversation_title(conversation: ChatConversation) -> str:
    """The name a chat goes by on the desk: its customer's, else the name the visitor gave, else
    the empty string (the template says "Visitor")."""
    customer = conversation.customer
    if customer is not None and customer.erased_at is None:
        return customer.display_name
    return conversation.visitor_name or ""


def _unread() -> Subquery:
    """The visitor's messages after the agent's last one (all of them while the agent wrote none)."""
    last_agent = (
        ChatMessage.objects.filter(conversation=OuterRef(OuterRef("pk")), author=AGENT).order_by("-id").values("id")[:1]
    )
    visitor = (
        ChatMessage.objects.filter(conversation=OuterRef("pk"), author=VISITOR)
        .filter(Q(id__gt=Coalesce(Subquery(last_agent), Value(0))))
        .order_by()
        .values("conversation")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(visitor, output_field=IntegerField()), Value(0))


def chat_tabs(*, user: AbstractBaseUser) -> list[ChatTab]:
    """The user's open chats (:func:`contactcenter.chat.selectors.agent_open_chats`), oldest first,
    each with its unread count. One query, whatever the number of chats."""
    chats = chat_selectors.agent_open_chats(user=user).annotate(desk_unread=_unread())
    return [ChatTab(conversation=chat, unread=chat.desk_unread) for chat in chats]


@dataclass(frozen=True)
class ChatPanel:
    """Everything one chat's panel shows: the chat, its messages, the customer's card and history
    beside it (``None`` until the visitor is linked to a customer), and, for the chat's own agent,
    what the message box and the actions offer."""

    conversation: ChatConversation
    messages: list[ChatMessage]
    #: Whether ``user`` is the chat's agent (a supervisor reads their team's chats only).
    own: bool
    customer: Customer | None = None
    open_tickets: list[Ticket] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    canned: list[CannedChoice] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.conversation.pk

    @property
    def title(self) -> str:
        return conversation_title(self.conversation)

    @property
    def is_open(self) -> bool:
        return self.conversation.state == ACTIVE

    @property
    def writable(self) -> bool:
        """The message box and the actions show: the chat is the user's and it is on."""
        return self.own and self.is_open

    @property
    def last_id(self) -> int:
        return self.messages[-1].pk if self.messages else 0


def chat_for_desk(*, user: AbstractBaseUser, pk: int) -> ChatConversation:
    """The chat ``pk`` as ``user`` may read it on the desk (its agent; their supervisor):
    :func:`contactcenter.chat.selectors.conversation_for_agent`. ``ChatConversation.DoesNotExist``
    otherwise (the page answers 404). One query."""
    return chat_selectors.conversation_for_agent(user=user, pk=pk)


def chat_messages_after(*, conversation: ChatConversation, after: int | None = None) -> list[ChatMessage]:
    """The chat's messages (after the message ``after``), oldest first, the newest
    :data:`CHAT_MESSAGES_SHOWN` at most. One query."""
    messages = chat_selectors.chat_messages(conversation=conversation, after_id=after)
    if after:
        return list(messages)
    newest = list(messages.order_by("-id")[:CHAT_MESSAGES_SHOWN])
    newest.reverse()
    return newest


def chat_canned(*, conversation: ChatConversation, agent: AbstractBaseUser) -> list[CannedChoice]:
    """The canned replies of the chat's queue (the email desk's, ``contactcenter.mail``), by title,
    their placeholders filled for the chat's customer (or the visitor's name) and ``agent``; the
    ticket's placeholders are blank. The chat's queue is its work item's (a transfer moves it),
    else its widget's. One query."""
    customer = conversation.customer
    first, last = "", ""
    if customer is not None and customer.erased_at is None:
        first, last = customer.first_name, customer.last_name
    else:
        first = conversation.visitor_name or ""
    values = {
        "customer_first_name": first,
        "customer_last_name": last,
        "customer_name": f"{first} {last}".strip(),
        "agent_name": agent.get_full_name() or agent.get_username(),
    }
    if conversation.work_item_id is not None:
        queue = Subquery(WorkItem.objects.filter(pk=conversation.work_item_id).values("queue_id")[:1])
    else:
        queue = Value(conversation.widget.queue_id)
    replies = CannedReply.objects.filter(queue_id=queue, is_active=True).order_by("title", "id")
    return [CannedChoice(reply.pk, reply.title, canned_fill(reply.body, values)) for reply in replies]


def chat_panel(*, user: AbstractBaseUser, conversation: ChatConversation) -> ChatPanel:
    """The panel of ``conversation`` (read by :func:`chat_for_desk`) for ``user``: its messages,
    its customer's card, open tickets and a page of their history, and for its own agent while it
    is on, the canned replies. Seven queries at most: the messages; the customer with their phones
    and emails (two); their tickets, the timeline's interactions and comments (three); the canned
    replies."""
    own = conversation.agent_id == user.pk
    messages = chat_messages_after(conversation=conversation)
    customer = None
    open_tickets: list[Ticket] = []
    timeline: list[TimelineEntry] = []
    if conversation.customer_id is not None:
        customer = customer_queryset(user=user).filter(pk=conversation.customer_id, erased_at__isnull=True).first()
        if customer is not None:
            found = customer_history(user=user, customer=customer, limit=CHAT_TIMELINE_ENTRIES)
            open_tickets, timeline = found.open_tickets, found.timeline.entries
    canned = chat_canned(conversation=conversation, agent=user) if own and conversation.state == ACTIVE else []
    return ChatPanel(
        conversation=conversation,
        messages=messages,
        own=own,
        customer=customer,
        open_tickets=open_tickets,
        timeline=timeline,
        canned=canned,
    )


@dataclass(frozen=True)
class TransferTargets:
    """Where the chat's agent may send a chat: another chat queue, or a colleague."""

    queues: list[Queue]
    agents: list[AgentProfile]


def chat_transfer_targets(*, user: AbstractBaseUser, conversation: ChatConversation) -> TransferTargets:
    """The active chat queues, by name, and the active agents who serve a chat queue, ``user``
    left out, by username: every one for the chat's own agent (the routing lets them hand their
    chat to anyone), the ones ``user`` may see for a supervisor. Two queries."""
    queues = list(Queue.objects.filter(channel=Channel.CHAT, is_active=True).order_by("name"))
    profiles = AgentProfile.objects.all() if conversation.agent_id == user.pk else AgentProfile.objects.visible_to(user)
    agents = list(
        profiles.filter(user__is_active=True, queues__channel=Channel.CHAT)
        .exclude(user_id=user.pk)
        .select_related("user")
        .distinct()
        .order_by("user__username")
    )
    return TransferTargets(queues=queues, agents=agents)


def team_open_chats(*, user: AbstractBaseUser) -> QuerySet[ChatConversation]:
    """The chats on now of the agents of ``user``'s team (a supervisor's; a manager's or admin's:
    everyone's), oldest first, with their agent, customer and widget's queue joined: the
    supervisor's read-only list. One query."""
    chats = ChatConversation.objects.filter(state=ACTIVE, agent__isnull=False)
    if role_of(user) == SUPERVISOR:
        profile = profile_of(user)
        team_id = profile.team_id if profile is not None else None
        chats = chats.filter(agent__agent_profile__team_id=team_id) if team_id else chats.none()
    return chats.select_related("agent", "customer", "widget__queue").order_by("started_at", "pk")


def chat_identify_candidates(*, user: AbstractBaseUser, pk: int) -> Customer | None:
    """The customer ``pk`` that ``user`` may link a chat to (visible, not erased), or ``None``. One
    query."""
    return Customer.objects.visible_to(user).filter(pk=pk, erased_at__isnull=True).first()


def chat_transcript(*, user: AbstractBaseUser, interaction_id: int) -> list[ChatMessage] | None:
    """The messages of the chat behind the ``chat`` interaction ``interaction_id``, oldest first: a
    past chat on a customer's timeline. ``None`` when ``user`` may not see that interaction or no
    chat is behind it; an empty list while the chat is on and is not theirs (another agent's chat is
    read on their desk only). One query (two for an empty answer)."""
    visible = Interaction.objects.visible_to(user).filter(pk=interaction_id, channel=Channel.CHAT)
    messages = list(
        ChatMessage.objects.filter(conversation__interaction__in=visible)
        .filter(Q(conversation__agent_id=user.pk) | ~Q(conversation__state=ACTIVE))
        .select_related("agent", "article")
        .order_by("id")
    )
    if messages:
        return messages
    # Nothing to show: a chat still on (another agent's: read on their desk) has an empty transcript here.
    on = ChatConversation.objects.filter(interaction__in=visible, state=ACTIVE).exists()
    return [] if on else None
