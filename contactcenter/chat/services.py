"""Every write of web chat (``docs/chat.md``).

* **Visitor side.** :func:`chat_start` opens a conversation with the bot and gives the visitor a
  token (kept in their browser; only its hash is stored); :func:`chat_visitor_send` stores what
  they write and lets the bot answer while no agent has the chat; :func:`chat_bot_feedback` records
  whether an answer helped; :func:`chat_hand_over` puts the chat in its widget's queue;
  :func:`chat_leave_message` turns it into a ticket when nobody can take it; :func:`chat_csat`.
* **Agent side** (the desk calls these): :func:`chat_agent_send`, :func:`chat_agent_typing`,
  :func:`chat_transfer`, :func:`chat_close`, :func:`chat_identify`.
* **Routing.** Handed over, the chat is a ``chat`` work item and a ``chat`` interaction (offered
  now); the agent accepting the offer (:func:`chat_offer_accepted`, distribution's hook) answers
  it; the chat's end ends it (no after-contact work: it ends with the chat).
* **Locks**: the conversation's row first, then what the routing locks (its work item, the agent).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contactcenter.agents.models import AgentProfile, Queue
from contactcenter.chat import bot, events
from contactcenter.chat.models import (
    MAX_MESSAGE_CHARS,
    Author,
    BotAnswer,
    ChatConversation,
    ChatMessage,
    ChatWidget,
    ConversationState,
    EndedBy,
)
from contactcenter.core.choices import Channel
from contactcenter.core.compiled import CompiledRows
from contactcenter.core.db import full_clean
from contactcenter.core.roles import AGENT, SUPERVISORS_UP, role_of
from contactcenter.distribution import queue_state
from contactcenter.distribution.models import WorkItem, WorkKind
from contactcenter.distribution.services import (
    work_item_cancel,
    work_item_enqueue,
    work_item_finish,
    work_item_move,
)
from customers.models import Customer
from customers.selectors import customer_with_email
from customers.services import ERASED_TEXT, customer_create
from interactions.models import SurveyKind, Ticket
from interactions.services import interaction_create, interaction_update, ticket_create
from interactions.surveys import survey_response_create

#: Unhelpful bot answers after which the chat goes to a person.
UNHELPFUL_LIMIT = 2
#: Why the bot hands a chat over (kept in the system message's wording).
ASKED, NO_ANSWER, UNHELPFUL = "asked", "no_answer", "unhelpful"
#: Why nobody can take the chat: the widget's hours, or no agent of the queue logged in.
CLOSED, NOBODY = "closed", "nobody"


class ChatOver(Exception):
    """The conversation is over: nothing more is said in it."""


def token_hash(token: str) -> str:
    """What is stored of a visitor token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _clean_text(text: object, field: str = "text") -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({field: [_("Write a message.")]})
    text = text.strip()
    if len(text) > MAX_MESSAGE_CHARS:
        raise ValidationError({field: [_("A message has at most %(max)s characters.") % {"max": MAX_MESSAGE_CHARS}]})
    return text


def _lock(conversation: ChatConversation) -> ChatConversation:
    return (
        ChatConversation.objects.select_for_update(of=("self",))
        .select_related("widget__queue", "agent")
        .get(pk=conversation.pk)
    )


def _say(
    conversation: ChatConversation,
    author: str,
    text: str,
    *,
    now: datetime,
    agent: AbstractBaseUser | None = None,
    article=None,
    answer_id: int | None = None,
) -> ChatMessage:
    message = ChatMessage(
        conversation=conversation,
        author=author,
        text=text[:MAX_MESSAGE_CHARS],
        agent=agent,
        article=article,
        created_at=now,
    )
    message.save()
    agent_name = (agent.get_full_name() or agent.get_username()) if agent is not None else ""
    events.message_on_commit(conversation, message, answer_id=answer_id, agent_name=agent_name)
    return message


def _touch(conversation: ChatConversation, now: datetime) -> None:
    conversation.last_activity_at = now
    conversation.save(update_fields=["last_activity_at", "updated_at"])


# --- The visitor ----------------------------------------------------------------------------------


@transaction.atomic
def chat_start(*, widget: ChatWidget, language: str = "", now: datetime | None = None) -> tuple[ChatConversation, str]:
    """Open a conversation on ``widget`` in ``language`` (one the widget speaks, else its first):
    the bot greets the visitor. Returns the conversation and the visitor's token (shown once)."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    conversation = ChatConversation(
        widget=widget,
        token_hash=token_hash(token),
        language=widget.language_for(language),
        started_at=now,
        last_activity_at=now,
    )
    full_clean(conversation, exclude=["widget", "customer", "interaction", "work_item", "agent", "ticket"])
    conversation.save()
    with translation.override(conversation.language):
        greeting = widget.greeting_in(conversation.language) or _(
            "Hello! Ask me your question; I answer from our help articles. Ask for an agent at any time."
        )
    _say(conversation, Author.BOT, greeting, now=now)
    return conversation, token


@transaction.atomic
def chat_visitor_send(*, conversation: ChatConversation, text: str, now: datetime | None = None) -> ChatMessage:
    """The visitor writes ``text``: stored, sent to the agent who has the chat; while the bot has
    it, the bot answers (or hands the chat over: asked for a person, no good answer).
    ``ValidationError`` naming ``text`` (empty, too long); :class:`ChatOver` once it ended."""
    now = now or timezone.now()
    text = _clean_text(text)
    conversation = _lock(conversation)
    if conversation.is_ended:
        raise ChatOver(conversation.pk)
    message = _say(conversation, Author.VISITOR, text, now=now)
    _touch(conversation, now)
    if conversation.state == ConversationState.BOT:
        with translation.override(conversation.language):
            _bot_reply(conversation, text, now)
    return message


def _bot_reply(conversation: ChatConversation, text: str, now: datetime) -> None:
    if bot.asks_for_person(text):
        _hand_over(conversation, reason=ASKED, now=now)
        return
    hit = bot.best_answer(question=text, language=conversation.language)
    answer = BotAnswer(
        conversation=conversation,
        question=text,
        article=hit.article if hit else None,
        score=hit.score if hit else 0.0,
        created_at=now,
    )
    answer.save()
    if hit is None:
        _hand_over(conversation, reason=NO_ANSWER, now=now)
        return
    article = hit.article
    quote = article.summary or article.title
    reply = _("This article may answer you: “%(title)s”.\n%(quote)s\nDid it help?") % {
        "title": article.title,
        "quote": quote,
    }
    _say(conversation, Author.BOT, reply, now=now, article=article, answer_id=answer.pk)


@transaction.atomic
def chat_bot_feedback(
    *, conversation: ChatConversation, answer_id: int, helped: bool, now: datetime | None = None
) -> BotAnswer:
    """The visitor says whether the bot's answer ``answer_id`` helped. After
    :data:`UNHELPFUL_LIMIT` unhelpful answers the chat goes to a person. ``ValidationError`` naming
    ``answer`` for an answer not of this conversation, or rated already."""
    now = now or timezone.now()
    conversation = _lock(conversation)
    if conversation.is_ended:
        raise ChatOver(conversation.pk)
    answer = BotAnswer.objects.filter(conversation=conversation, pk=answer_id, helped__isnull=True).first()
    if answer is None:
        raise ValidationError({"answer": [_("There is no answer to rate here.")]})
    answer.helped = bool(helped)
    answer.save(update_fields=["helped"])
    _touch(conversation, now)
    if conversation.state != ConversationState.BOT:
        return answer
    with translation.override(conversation.language):
        if answer.helped:
            _say(conversation, Author.BOT, _("Glad it helped! Ask me anything else."), now=now)
            return answer
        conversation.unhelpful_answers += 1
        conversation.save(update_fields=["unhelpful_answers", "updated_at"])
        if conversation.unhelpful_answers >= UNHELPFUL_LIMIT:
            _hand_over(conversation, reason=UNHELPFUL, now=now)
        else:
            _say(
                conversation,
                Author.BOT,
                _("Sorry about that. Try asking in other words, or ask for an agent."),
                now=now,
            )
    return answer


@transaction.atomic
def chat_visitor_identify(
    *, conversation: ChatConversation, name: str = "", email: str = "", now: datetime | None = None
) -> ChatConversation:
    """The visitor gives their name and email: the chat is matched to the customer holding that
    email (none is created here). ``ValidationError`` naming ``email`` or ``name``."""
    now = now or timezone.now()
    name, email = (name or "").strip(), (email or "").strip().lower()
    errors = {}
    if len(name) > 150:
        errors["name"] = [_("A name has at most 150 characters.")]
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Enter a valid email address.")]
    if errors:
        raise ValidationError(errors)
    conversation = _lock(conversation)
    if conversation.is_ended:
        raise ChatOver(conversation.pk)
    conversation.visitor_name = name or conversation.visitor_name
    conversation.visitor_email = email or conversation.visitor_email
    if conversation.customer_id is None and conversation.visitor_email:
        _match(conversation, customer_with_email(conversation.visitor_email))
    conversation.save(update_fields=["visitor_name", "visitor_email", "customer", "updated_at"])
    return conversation


def _match(conversation: ChatConversation, customer: Customer | None) -> None:
    if customer is None:
        return
    conversation.customer = customer
    if conversation.interaction_id is not None:
        interaction_update(interaction=conversation.interaction, customer=customer, by=None)


@transaction.atomic
def chat_request_agent(*, conversation: ChatConversation, now: datetime | None = None) -> ChatConversation:
    """The visitor presses "Talk to an agent"."""
    now = now or timezone.now()
    conversation = _lock(conversation)
    if conversation.is_ended:
        raise ChatOver(conversation.pk)
    if conversation.state == ConversationState.BOT:
        with translation.override(conversation.language):
            _hand_over(conversation, reason=ASKED, now=now)
    return conversation


def nobody_reason(widget: ChatWidget, now: datetime | None = None) -> str | None:
    """Why nobody can take a chat of ``widget`` now (:data:`CLOSED`, :data:`NOBODY`), or ``None``."""
    if not widget.is_open(now):
        return CLOSED
    staffing = queue_state.queue_staffing(queue_ids=[widget.queue_id]).get((widget.queue_id, Channel.CHAT))
    if staffing is None or staffing.agents == 0:
        return NOBODY
    return None


def _hand_over(conversation: ChatConversation, *, reason: str, now: datetime) -> None:
    """The locked conversation, with the bot, goes to a person: a ``chat`` interaction and work item
    in the widget's queue; or, when nobody can take it, the visitor is asked to leave a message."""
    unavailable = nobody_reason(conversation.widget, now)
    if unavailable is not None:
        text = (
            _("We are closed right now. Leave us a message and we will answer by email.")
            if unavailable == CLOSED
            else _("Nobody is available right now. Leave us a message and we will answer by email.")
        )
        _say(conversation, Author.BOT, text, now=now)
        events.leave_message_on_commit(conversation, unavailable)
        return
    queue = conversation.widget.queue
    interaction = interaction_create(
        channel=Channel.CHAT, offered_at=now, queue=queue, customer=conversation.customer, source="chat"
    )
    item = work_item_enqueue(kind=WorkKind.CHAT, queue=queue, customer=conversation.customer, arrived_at=now)
    conversation.state = ConversationState.WAITING
    conversation.interaction, conversation.work_item, conversation.handed_over_at = interaction, item, now
    conversation.save(update_fields=["state", "interaction", "work_item", "handed_over_at", "updated_at"])
    texts = {
        ASKED: _("I am passing you to an agent."),
        NO_ANSWER: _("I have no good answer to that: I am passing you to an agent."),
        UNHELPFUL: _("Sorry I could not help: I am passing you to an agent."),
    }
    _say(conversation, Author.SYSTEM, texts[reason], now=now)
    events.state_on_commit(conversation)
    item_id, conversation_id = item.pk, conversation.pk
    events.queue_place_on_commit(conversation_id, lambda: place_payload(item_id))


def place_payload(item_id: int | None) -> dict[str, int | None]:
    """Where the chat's work item stands in its queue's line (``position`` and
    ``estimated_wait_seconds``, ``None`` when it is not waiting)."""
    place = queue_state.work_item_place(item_id=item_id) if item_id is not None else None
    if place is None:
        return {"position": None, "estimated_wait_seconds": None}
    return {"position": place.position, "estimated_wait_seconds": place.estimated_wait_seconds}


@transaction.atomic
def chat_leave_message(
    *, conversation: ChatConversation, name: str, email: str, text: str, now: datetime | None = None
) -> Ticket:
    """Nobody could take the chat: the visitor's message becomes a ticket in the widget's queue, on
    the customer holding ``email`` (a new customer when none does); the conversation is over.
    ``ValidationError`` naming ``name``, ``email`` or ``text``."""
    now = now or timezone.now()
    name, email = (name or "").strip(), (email or "").strip().lower()
    errors: dict[str, list[str]] = {}
    try:
        text = _clean_text(text)
    except ValidationError as error:
        errors.update(error.message_dict)
    if not name:
        errors["name"] = [_("Give your name.")]
    elif len(name) > 150:
        errors["name"] = [_("A name has at most 150 characters.")]
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid email address.")]
    if errors:
        raise ValidationError(errors)
    conversation = _lock(conversation)
    if conversation.is_ended:
        raise ChatOver(conversation.pk)
    customer = conversation.customer or customer_with_email(email)
    if customer is None:
        first, _sep, last = name.partition(" ")
        customer = customer_create(first_name=first, last_name=last, language=conversation.language, emails=[email])
    with translation.override(conversation.language):
        subject = _("Chat message from %(name)s") % {"name": name}
    ticket = ticket_create(subject=subject[:200], description=text, customer=customer, queue=conversation.widget.queue)
    _say(conversation, Author.VISITOR, text, now=now)
    conversation.visitor_name, conversation.visitor_email, conversation.customer = name, email, customer
    conversation.ticket = ticket
    _end(conversation, by=EndedBy.VISITOR, now=now, state=ConversationState.MESSAGE_LEFT)
    return ticket


@transaction.atomic
def chat_visitor_typing(*, conversation: ChatConversation, typing: bool) -> None:
    """The visitor is typing (or stopped): the agent who has the chat sees it."""
    events.visitor_typing_on_commit(conversation, bool(typing))


@transaction.atomic
def chat_visitor_close(*, conversation: ChatConversation, now: datetime | None = None) -> ChatConversation:
    """The visitor ends the chat (a chat still waiting for an agent is abandoned)."""
    now = now or timezone.now()
    conversation = _lock(conversation)
    if not conversation.is_ended:
        _end(conversation, by=EndedBy.VISITOR, now=now)
    return conversation


@transaction.atomic
def chat_csat(*, conversation: ChatConversation, score: int, comment: str = "") -> ChatConversation:
    """The visitor's satisfaction (1–5) once the chat is over: kept on the conversation and, for a
    chat an agent had, as the interaction's CSAT survey response (counted by the KPIs).
    ``ValidationError`` naming ``score``: off the scale, the chat not over, or rated already."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": [_("Give a score from 1 to 5.")]})
    conversation = _lock(conversation)
    if not conversation.is_ended:
        raise ValidationError({"score": [_("The chat is not over yet.")]})
    if conversation.csat is not None:
        raise ValidationError({"score": [_("This chat is rated already.")]})
    conversation.csat = score
    conversation.save(update_fields=["csat", "updated_at"])
    if conversation.interaction_id is not None:
        survey_response_create(
            interaction=conversation.interaction, kind=SurveyKind.CSAT, score=score, comment=(comment or "")[:2000]
        )
    return conversation


def _end(conversation: ChatConversation, *, by: str, now: datetime, state: str = ConversationState.CLOSED) -> None:
    """End the locked conversation: its interaction ends with it (answered: handled; else
    abandoned), its work item leaves the routing (the agent's capacity freed)."""
    agent_id = conversation.agent_id if conversation.state == ConversationState.ACTIVE else None
    if conversation.interaction_id is not None:
        interaction = conversation.interaction
        answered = interaction.answered_at is not None
        interaction_update(
            interaction=interaction,
            by=None,
            ended_at=now,
            wrapup_ended_at=now if answered else None,
            resolved=False,
        )
    if conversation.work_item_id is not None:
        item = conversation.work_item
        if conversation.state == ConversationState.ACTIVE:
            work_item_finish(item=item, now=now)
        else:
            work_item_cancel(item=item, now=now)
    conversation.state, conversation.ended_at, conversation.ended_by = state, now, by
    conversation.last_activity_at = now
    conversation.save()
    with translation.override(conversation.language):
        _say(conversation, Author.SYSTEM, _("The chat is over."), now=now)
    # A message left is answered later, by email: no CSAT for the chat itself.
    ask_csat = conversation.csat is None and state == ConversationState.CLOSED
    events.ended_on_commit(conversation, by=by, agent_id=agent_id, ask_csat=ask_csat)


# --- Routing's hook ------------------------------------------------------------------------------


#: The chat of a work item (compiled once: every accepted offer asks).
_CONVERSATION_OF_ITEM = CompiledRows(
    lambda item_id: (
        ChatConversation.objects.filter(work_item_id=item_id).order_by("-started_at", "-pk").values_list("pk")[:1]
    ),
    samples=[-7_600_001],
)


def chat_offer_accepted(*, item: WorkItem, by: AbstractBaseUser, now: datetime) -> None:
    """Distribution's hook, in :func:`~contactcenter.distribution.services.offer_accept`'s
    transaction: the chat whose offer ``by`` accepted is theirs; its interaction is answered now;
    ``chat.started`` reaches them, and the visitor hears who joined."""
    if item.kind != WorkKind.CHAT:
        return
    found = _CONVERSATION_OF_ITEM.fetch(item.pk)
    if not found:
        return
    conversation = _lock(ChatConversation(pk=found[0][0]))
    if conversation.state != ConversationState.WAITING:
        return
    conversation.state, conversation.agent = ConversationState.ACTIVE, by
    conversation.last_activity_at = now
    conversation.save(update_fields=["state", "agent", "last_activity_at", "updated_at"])
    if conversation.interaction_id is not None:
        interaction_update(interaction=conversation.interaction, by=None, agent=by, answered_at=now)
    name = by.get_full_name() or by.get_username()
    with translation.override(conversation.language):
        _say(conversation, Author.SYSTEM, _("%(name)s joined the chat.") % {"name": name}, now=now)
    events.state_on_commit(conversation, agent_name=name)
    events.started_on_commit(conversation)


# --- The agent ------------------------------------------------------------------------------------


def _held_by(conversation: ChatConversation, by: AbstractBaseUser) -> ChatConversation:
    locked = _lock(conversation)
    if locked.is_ended:
        raise ChatOver(locked.pk)
    if locked.state != ConversationState.ACTIVE or locked.agent_id != by.pk:
        raise PermissionDenied(_("This chat is not yours."))
    return locked


@transaction.atomic
def chat_agent_send(*, conversation: ChatConversation, by: AbstractBaseUser, text: str) -> ChatMessage:
    """The agent who has the chat writes ``text`` to the visitor. ``ValidationError`` naming
    ``text`` (empty, over :data:`~contactcenter.chat.models.MAX_MESSAGE_CHARS` characters);
    ``PermissionDenied`` for a chat not theirs; :class:`ChatOver` once it ended."""
    now = timezone.now()
    text = _clean_text(text)
    conversation = _held_by(conversation, by)
    _touch(conversation, now)
    return _say(conversation, Author.AGENT, text, now=now, agent=by)


@transaction.atomic
def chat_agent_typing(*, conversation: ChatConversation, by: AbstractBaseUser, typing: bool) -> None:
    """The agent who has the chat is typing (or stopped): the visitor sees it."""
    if conversation.state != ConversationState.ACTIVE or conversation.agent_id != by.pk:
        raise PermissionDenied(_("This chat is not yours."))
    events.agent_typing_on_commit(conversation, bool(typing))


def _oversees(user: AbstractBaseUser, agent_id: int | None) -> bool:
    """Whether ``user`` supervises the agent ``agent_id`` (a supervisor of their team, a manager, an
    admin: :meth:`AgentProfile.objects.visible_to`; a QA evaluator reads but never closes)."""
    return (
        agent_id is not None
        and role_of(user) in SUPERVISORS_UP
        and AgentProfile.objects.visible_to(user).filter(user_id=agent_id).exists()
    )


@transaction.atomic
def chat_close(*, conversation: ChatConversation, by: AbstractBaseUser) -> ChatConversation:
    """The agent who has the chat (or a supervisor who sees it) ends it: the interaction ends, the
    agent's capacity is freed, the visitor is asked the CSAT. ``PermissionDenied`` for a chat not
    theirs; a chat over already is returned as it is."""
    now = timezone.now()
    locked = _lock(conversation)
    if locked.is_ended:
        return locked
    if locked.agent_id != by.pk and not _oversees(by, locked.agent_id):
        raise PermissionDenied(_("This chat is not yours."))
    _end(locked, by=EndedBy.AGENT, now=now)
    return locked


@transaction.atomic
def chat_transfer(
    *,
    conversation: ChatConversation,
    by: AbstractBaseUser,
    queue: Queue | None = None,
    agent: AbstractBaseUser | None = None,
) -> ChatConversation:
    """Move the chat to another ``queue`` (it waits there again) or give it to ``agent`` (offered
    to them, or theirs at once when it was already held), through the routing's
    :func:`~contactcenter.distribution.services.work_item_move` (its refusals: ``ValidationError``
    naming ``queue`` or ``agent``, ``PermissionDenied``). The agent who held it gets ``chat.ended``."""
    now = timezone.now()
    locked = _lock(conversation)
    if locked.is_ended or locked.work_item_id is None:
        raise ChatOver(locked.pk)
    if role_of(by) == AGENT and locked.agent_id != by.pk:
        raise PermissionDenied(_("This chat is not yours."))
    item = work_item_move(item=locked.work_item, by=by, queue=queue, agent=agent, now=now)
    before = locked.agent_id if locked.state == ConversationState.ACTIVE else None
    if item.state == "assigned" and item.assigned_to_id != before:
        # Reassigned at once: the new agent has it.
        locked.agent_id = item.assigned_to_id
        locked.save(update_fields=["agent", "updated_at"])
        if locked.interaction_id is not None:
            interaction_update(interaction=locked.interaction, by=None, agent=locked.agent)
        events.started_on_commit(locked)
    elif item.state != "assigned":
        # Waiting (or offered) again: the next agent to accept it takes it over.
        locked.state, locked.agent = ConversationState.WAITING, None
        locked.save(update_fields=["state", "agent", "updated_at"])
        events.state_on_commit(locked)
        item_id = item.pk
        events.queue_place_on_commit(locked.pk, lambda: place_payload(item_id))
    if before is not None and before != locked.agent_id:
        events.ended_on_commit(locked, by=EndedBy.AGENT, agent_id=before, ask_csat=False)
    with translation.override(locked.language):
        _say(locked, Author.SYSTEM, _("You are being transferred to another agent."), now=now)
    return locked


@transaction.atomic
def chat_identify(*, conversation: ChatConversation, by: AbstractBaseUser, customer: Customer) -> ChatConversation:
    """The agent links the chat (and its interaction) to ``customer``. ``PermissionDenied`` for a
    chat not theirs; ``ValidationError`` naming ``customer`` for an erased one."""
    if customer.erased_at is not None:
        raise ValidationError({"customer": [_("This customer was erased.")]})
    locked = _lock(conversation)
    if locked.agent_id != by.pk and role_of(by) == AGENT:
        raise PermissionDenied(_("This chat is not yours."))
    locked.customer = customer
    locked.save(update_fields=["customer", "updated_at"])
    if locked.interaction_id is not None:
        interaction_update(interaction=locked.interaction, customer=customer, by=None)
    return locked


# --- Customers: merge and erasure ------------------------------------------------------------------


def chat_customer_merged(*, kept: Customer, duplicate: Customer) -> None:
    """The customer hook of a merge: the duplicate's chats are the kept customer's."""
    ChatConversation.objects.filter(customer=duplicate).update(customer=kept, updated_at=timezone.now())


def chat_transcripts_erase(conversation_ids: list[int]) -> dict[str, int]:
    """Blank the transcripts of ``conversation_ids``: the messages' and questions' texts, the
    visitor's name and email. What the KPIs count (states, times, CSAT, bot outcomes) stays."""
    messages = ChatMessage.objects.filter(conversation_id__in=conversation_ids).exclude(text=ERASED_TEXT)
    blanked = messages.update(text=ERASED_TEXT)
    BotAnswer.objects.filter(conversation_id__in=conversation_ids).exclude(question=ERASED_TEXT).update(
        question=ERASED_TEXT
    )
    conversations = (
        ChatConversation.objects.filter(pk__in=conversation_ids)
        .exclude(visitor_name="", visitor_email="")
        .update(visitor_name="", visitor_email="", updated_at=timezone.now())
    )
    return {"chat_messages": blanked, "chat_conversations": conversations}


def chat_customer_erased(*, customer: Customer) -> dict[str, int]:
    """The customer hook of an erasure: the transcripts of the customer's chats are blanked."""
    ids = list(
        ChatConversation.objects.filter(Q(customer=customer) | Q(interaction__customer=customer)).values_list(
            "pk", flat=True
        )
    )
    if not ids:
        return {"chat_messages": 0, "chat_conversations": 0}
    return chat_transcripts_erase(ids)


# --- Widgets ------------------------------------------------------------------------------------


@transaction.atomic
def chat_widget_create(*, name: str, queue: Queue, **fields: object) -> ChatWidget:
    """Create a widget (the admin's form does the same). ``ValidationError`` naming each bad field."""
    widget = ChatWidget(name=name, queue=queue, **fields)
    full_clean(widget)
    widget.save()
    return widget


def chats_close_idle(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """End the chats left with the bot for ``CHAT_IDLE_MINUTES`` (the visitor went away without
    ending them), as the system; each in its own transaction. The ids ended."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.CHAT_IDLE_MINUTES)
    idle = ChatConversation.objects.filter(state=ConversationState.BOT, last_activity_at__lt=cutoff)
    ended = []
    for pk in list(idle.order_by("last_activity_at").values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            conversation = _lock(ChatConversation(pk=pk))
            if conversation.state == ConversationState.BOT and conversation.last_activity_at < cutoff:
                _end(conversation, by=EndedBy.SYSTEM, now=now)
                ended.append(pk)
    return ended
