"""CTI intake (SPEC §7): the telephony system's call events become one voice interaction.

The contract, for integrators, is ``docs/cti.md``. How it holds:

* **Stored once.** Every accepted event is stored as a :class:`~interactions.models.CtiEvent`.
  Its key is ``(call_id, event)``; a hold and a resume may happen several times in one call (and
  so may a pause and a resume of the recording), so theirs is ``(call_id, event, timestamp)``:
  the telephony system's timestamp tells one hold from the next, and a repeated delivery carries
  the same one. An event whose key is already stored is
  a repeat: it answers as before and changes nothing (the first delivery's fields stand).
* **Recomputed, never patched.** The interaction is rebuilt each time from *all* the stored
  events of the call by :func:`call_state`, a pure function of that set. The same set gives the
  same interaction whatever order it arrived in, so out-of-order and repeated delivery end in the
  interaction that in-order delivery gives.
* **One call at a time.** The events of one call are applied under a row lock on its
  :class:`~interactions.models.CtiCall`: ``select_for_update`` on the row, or, for a call not
  stored yet, the row's own insert (``INSERT … ON CONFLICT DO NOTHING``: a concurrent insert of
  the same call makes it wait for that transaction, then the row is read and locked), so two
  deliveries of one call, even at the same moment, are applied one after the other and the second
  sees the first. The unique constraints on ``CtiEvent`` are the last line of defence.
* **All or nothing.** An event that would make the interaction impossible (answered before it was
  offered, …) raises ``ValidationError`` and the transaction stores nothing, not even the call.
* **Agent states.** A call is one of its agents' open contacts (``interactions/contacts.py``):
  it rings for the agent a ``call.offered`` names until it is answered or over, then it is the
  answering agent's (busy until ``call.ended``, in wrap-up until its wrap-up ends). Whenever an
  event changes that picture, the agents concerned are moved by the state machine
  (:func:`contactcenter.agents.states.agent_state_sync`), which reads their open contacts again:
  their state is the one their contacts say, whatever the order the events came in. An offer
  that closes without its agent taking it (answered by someone else, or over unanswered, a short
  abandon aside) is a missed offer: ``break``/``missed``. Locks: the call, then the agents'
  profiles in the order of their ids.
* **Live events** leave from one place, :func:`_announce`, through ``interactions.events``,
  after commit: ``call_offered_on_commit`` on an offer, ``call_answered_on_commit`` (the agent's
  screen pop) on an answer, ``interaction_logged_on_commit`` on an end, an abandon or a wrap-up end,
  ``call_hold_on_commit`` (the agent's call bar) on a hold or a resume. Whether the call is on hold
  now, and since when, is kept on its :class:`~interactions.models.CtiCall` (``held_since``), as
  recomputed from all its events, for the agent's desktop; so are the pauses of its recording
  (``recording_paused``, :func:`recording_paused_spans`), shown with the recording.
* **Recordings.** An event may name where the telephony system keeps the call's recording
  (``recording``: a path or an http(s) URL, kept in the event's payload). Once the call is over,
  the hooks registered with :func:`cti_recording_hook_register` (telephony: fetch it into
  storage) are called with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BigIntegerField, QuerySet, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from contactcenter.agents.models import Queue, Status
from contactcenter.agents.states import CurrentContact, agent_state_sync
from contactcenter.core.choices import Channel, Direction
from contactcenter.core.compiled import insert_row_if_new
from contactcenter.core.unset import UNSET, Unset
from customers.models import ContactPoint, Customer
from customers.phones import caller_number
from interactions import durations
from interactions import events as live
from interactions.models import (
    CTI_REPEATABLE_EVENTS,
    CtiCall,
    CtiEvent,
    CtiEventType,
    Interaction,
)

#: ``Interaction.source`` of the interactions made by the CTI intake; ``external_id`` is the call id.
CTI_SOURCE = "cti"
#: How far in the future (by our clock) an event's timestamp may be: clocks drift a little.
MAX_CLOCK_SKEW = timedelta(minutes=5)
#: No call event is older than this: an earlier timestamp is a telephony system's clock reset.
MIN_TIMESTAMP = datetime(2000, 1, 1, tzinfo=UTC)
MAX_CALL_ID_LENGTH = 150
MAX_NUMBER_LENGTH = 200
#: The longest recording location (path or URL) an event may name.
MAX_RECORDING_LOCATION_LENGTH = 2000

#: The interaction fields that the call's events decide (and overwrite on every event).
CALL_FIELDS = (
    "offered_at",
    "answered_at",
    "ended_at",
    "wrapup_ended_at",
    "hold_seconds",
    "queue_id",
    "agent_id",
    "direction",
)


# Events at the same instant are read in the order of the call's life.
_LIFE_ORDER = {event: rank for rank, event in enumerate(CtiEventType.values)}


@dataclass(frozen=True)
class CallEvent:
    """What :func:`call_state` needs of one event: its type and time, and the names it carried
    (``direction`` and ``called``: blank when the event did not say; ``customer_id``: the customer
    it named, if any)."""

    event: str
    timestamp: datetime
    caller: str = ""
    queue_id: int | None = None
    agent_id: int | None = None
    direction: str = ""
    called: str = ""
    customer_id: int | None = None

    @property
    def key(self) -> tuple[str, datetime | None]:
        """What makes it the same event as another one of the call (see the module docstring)."""
        return (self.event, self.timestamp if self.event in CTI_REPEATABLE_EVENTS else None)

    def _sort_key(self) -> tuple:
        return (
            self.timestamp,
            _LIFE_ORDER[self.event],
            self.caller,
            self.queue_id or 0,
            self.agent_id or 0,
            self.direction,
            self.called,
            self.customer_id or 0,
        )


@dataclass(frozen=True)
class CallState:
    """The interaction fields that a call's events decide, and the presence they imply.

    It has the attributes of :class:`interactions.durations.Timed`, so the interaction's own
    validation (:func:`interactions.durations.validation_errors`) runs on it before anything is saved.
    """

    offered_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    wrapup_ended_at: datetime | None
    hold_seconds: int
    held_since: datetime | None
    queue_id: int | None
    agent_id: int | None
    caller: str
    abandoned_event: bool
    ringing_agent_id: int | None
    latest_at: datetime
    paused_spans: tuple[tuple[datetime, datetime | None], ...] = ()
    channel: str = Channel.VOICE
    direction: str = Direction.INBOUND
    sentiment: float | None = None
    called: str = ""
    customer_id: int | None = None

    @property
    def customer_match(self) -> tuple[str, Any]:
        """What the interaction's customer is found by: the customer an event named, else the
        customer's number (the caller's on an inbound call, the number called on an outbound one)."""
        if self.customer_id is not None:
            return ("customer", self.customer_id)
        return ("number", self.called if self.direction == Direction.OUTBOUND else self.caller)


def call_state(events: Iterable[CallEvent]) -> CallState:
    """The interaction that the set ``events`` of one call describes: a pure function of the set.

    - ``offered_at``: the offer's timestamp; before the offer arrives, the earliest timestamp known;
    - ``answered_at`` and ``agent``: the answer's; ``queue``, caller, number called, direction and
      customer named: the offer's, or else those of the earliest event that names one (direction:
      inbound when no event says);
    - ``ended_at``: the end's timestamp, or the abandon's; ``wrapup_ended_at``: the wrap-up end's,
      once the end is known (the interaction may not have one before);
    - ``hold_seconds``: see :func:`hold_seconds`; ``held_since``: see :func:`held_since`;
    - ``ringing_agent_id``: the agent the offer names while the call is neither answered nor over;
    - ``latest_at``: the newest timestamp of the set (when the call last changed);
    - ``paused_spans``: see :func:`recording_paused_spans`.

    Two events with the same key are one event (the first in time order is kept). Raises
    ``ValueError`` for an empty set.
    """
    unique: dict[tuple[str, datetime | None], CallEvent] = {}
    for item in sorted(events, key=CallEvent._sort_key):
        unique.setdefault(item.key, item)
    ordered = list(unique.values())
    if not ordered:
        raise ValueError("a call needs at least one event")
    once = {item.event: item for item in ordered if item.event not in CTI_REPEATABLE_EVENTS}
    offered = once.get(CtiEventType.OFFERED)
    answered = once.get(CtiEventType.ANSWERED)
    ended = once.get(CtiEventType.ENDED)
    abandoned = once.get(CtiEventType.ABANDONED)
    wrapup = once.get(CtiEventType.WRAPUP_ENDED)

    end = ended or abandoned
    answered_at = answered.timestamp if answered else None
    ended_at = end.timestamp if end else None
    return CallState(
        offered_at=offered.timestamp if offered else ordered[0].timestamp,
        answered_at=answered_at,
        ended_at=ended_at,
        wrapup_ended_at=wrapup.timestamp if wrapup and ended_at is not None else None,
        hold_seconds=hold_seconds(ordered, answered_at=answered_at, ended_at=ended_at),
        held_since=held_since(ordered, answered_at=answered_at, ended_at=ended_at),
        queue_id=_first_given(ordered, offered, "queue_id"),
        agent_id=answered.agent_id if answered else None,
        caller=_first_given(ordered, offered, "caller") or "",
        direction=_first_given(ordered, offered, "direction") or Direction.INBOUND,
        called=_first_given(ordered, offered, "called") or "",
        customer_id=_first_given(ordered, offered, "customer_id"),
        abandoned_event=abandoned is not None,
        ringing_agent_id=offered.agent_id if offered and answered is None and end is None else None,
        latest_at=max(item.timestamp for item in ordered),
        paused_spans=recording_paused_spans(ordered, ended_at=ended_at),
    )


def _first_given(ordered: list[CallEvent], offered: CallEvent | None, attribute: str) -> Any:
    if offered is not None and getattr(offered, attribute):
        return getattr(offered, attribute)
    return next((getattr(item, attribute) for item in ordered if getattr(item, attribute)), None)


def _spans(
    events: Iterable[CallEvent], *, start: str, stop: str
) -> tuple[list[tuple[datetime, datetime]], datetime | None]:
    """The spans opened by the ``start`` events and closed by the ``stop`` events of a call: each
    closed span as ``(started, stopped)``, and the start of the span still open after the last of
    them (``None`` when none is). A second ``start`` while open, or a ``stop`` while not, changes
    nothing; a start and a stop at the same instant are read in the order that pairs them (stop
    first when open, start first otherwise)."""
    kinds_at: dict[datetime, set[str]] = {}
    for item in events:
        if item.event in (start, stop):
            kinds_at.setdefault(item.timestamp, set()).add(item.event)
    closed: list[tuple[datetime, datetime]] = []
    since = None
    for at in sorted(kinds_at):
        order = (stop, start) if since is not None else (start, stop)
        for kind in order:
            if kind not in kinds_at[at]:
                continue
            if kind == start and since is None:
                since = at
            elif kind == stop and since is not None:
                closed.append((since, at))
                since = None
    return closed, since


def _holds(events: Iterable[CallEvent]) -> tuple[list[tuple[datetime, datetime]], datetime | None]:
    """The call's holds from its ``call.held`` and ``call.resumed`` events (see :func:`_spans`)."""
    return _spans(events, start=CtiEventType.HELD, stop=CtiEventType.RESUMED)


def recording_paused_spans(
    events: Iterable[CallEvent], *, ended_at: datetime | None
) -> tuple[tuple[datetime, datetime | None], ...]:
    """When the call's recording was paused (a card number read out, PCI DSS): each pause from a
    ``call.recording_paused`` to the next ``call.recording_resumed`` (paired as :func:`_spans`
    says), in time order. A pause still open when the call ends lasts until the end; one still open
    while the call goes on has no end (``None``). A pure function of the set of events, like the
    holds: the same spans whatever order the events came in."""
    closed, since = _spans(events, start=CtiEventType.RECORDING_PAUSED, stop=CtiEventType.RECORDING_RESUMED)
    spans: list[tuple[datetime, datetime | None]] = list(closed)
    if since is not None:
        spans.append((since, max(ended_at, since) if ended_at is not None else None))
    return tuple(spans)


def paused_spans_stored(spans: Iterable[tuple[datetime, datetime | None]]) -> list[list[str | None]]:
    """The spans as :attr:`~interactions.models.CtiCall.recording_paused` keeps them (ISO 8601, UTC)."""
    return [
        [start.astimezone(UTC).isoformat(), stop.astimezone(UTC).isoformat() if stop else None] for start, stop in spans
    ]


def hold_seconds(events: Iterable[CallEvent], *, answered_at: datetime | None, ended_at: datetime | None) -> int:
    """Seconds on hold: each hold lasts from a ``call.held`` to the next ``call.resumed`` (paired as
    :func:`_holds` says).

    A hold still open when the call ends counts until the end (and not at all before the end is
    known). Holds count only between the answer and the end (0 before the answer is known), so hold
    time never exceeds the conversation. Rounded to whole seconds.
    """
    if answered_at is None:
        return 0

    def span(start: datetime, stop: datetime) -> timedelta:
        start = max(start, answered_at)
        stop = min(stop, ended_at) if ended_at is not None else stop
        return max(stop - start, timedelta(0))

    closed, since = _holds(events)
    total = sum((span(start, stop) for start, stop in closed), timedelta(0))
    if since is not None and ended_at is not None:
        total += span(since, ended_at)
    seconds = round(total.total_seconds())
    if ended_at is not None:
        seconds = min(seconds, math.floor((ended_at - answered_at).total_seconds()))
    return max(seconds, 0)


def held_since(
    events: Iterable[CallEvent], *, answered_at: datetime | None, ended_at: datetime | None
) -> datetime | None:
    """When the hold the call is in now began: the open hold of :func:`_holds`, counted from the
    answer at the earliest (as :func:`hold_seconds` counts it); ``None`` when the call is not on
    hold, not answered yet or over (an open hold then ends with the call)."""
    if answered_at is None or ended_at is not None:
        return None
    _closed, since = _holds(events)
    return max(since, answered_at) if since is not None else None


def call_state_errors(state: CallState) -> dict[str, list[str]]:
    """Request field → messages for a state that no interaction may have (empty when fine)."""
    errors: dict[str, list[str]] = {}
    if state.abandoned_event and state.answered_at is not None:
        errors["event"] = [_("This call was abandoned: it cannot also have been answered.")]
    for message in durations.validation_errors(state).values():
        # Every impossible combination comes from the events' timestamps.
        errors.setdefault("timestamp", []).append(str(message))
    return errors


def customer_id_for_caller(raw: str | None) -> int | None:
    """The id of the customer having the caller's number, ``None`` when unknown or withheld.

    Several customers may share a number: as on the screen pop (``customers.selectors``), the one
    holding it as primary wins, then the most recently updated. One query.
    """
    number = caller_number(raw)
    if number is None:
        return None
    return _caller_customers(number).values_list("customer_id", flat=True).first()


def _caller_customers(number: str) -> QuerySet[ContactPoint]:
    """The phone contact points of ``number`` (E.164), the one :func:`customer_id_for_caller` picks first."""
    return ContactPoint.objects.filter(
        kind=ContactPoint.Kind.PHONE, value=number, customer__erased_at__isnull=True
    ).order_by("-is_primary", "-customer__updated_at", "customer_id")


def _matched_customers(state: CallState) -> QuerySet | None:
    """The ids of the customers the call's interaction may be (the first is it): the customer an
    event named when they still exist (not erased), else those holding the customer's number
    (:func:`_caller_customers`); ``None`` when there is nothing to match by."""
    kind, match = state.customer_match
    if kind == "customer":
        return Customer.objects.filter(pk=match, erased_at__isnull=True).order_by().values("pk")
    number = caller_number(match)
    return _caller_customers(number).values("customer_id") if number is not None else None


def _matched_customer_id(state: CallState) -> int | None:
    """The id of the call's customer (:func:`_matched_customers`), ``None`` when unknown. One query."""
    found = _matched_customers(state)
    row = found.first() if found is not None else None
    return next(iter(row.values())) if row else None


def _first_interaction_lookups(call: CtiCall, state: CallState) -> tuple[int | None, int | None]:
    """For a call without its interaction yet (its first event): the id of an interaction stored
    with its call id by another route (the interactions API), and the id of the call's customer
    (:func:`_matched_customers`). Both in one query, read from the call's row (stored and locked
    just before): one round trip where two lookups by key would take two."""
    stored = Interaction.objects.filter(source=CTI_SOURCE, external_id=call.call_id).order_by().values("pk")[:1]
    matched = _matched_customers(state)
    customer = matched[:1] if matched is not None else None
    found = (
        CtiCall.objects.filter(pk=call.pk)
        .values_list(
            Subquery(stored, output_field=BigIntegerField()),
            Subquery(customer, output_field=BigIntegerField())
            if customer is not None
            else Value(None, BigIntegerField()),
        )
        .first()
    )
    return found if found is not None else (None, None)


@dataclass(frozen=True)
class CtiOutcome:
    """What became of one delivered event: the call's interaction, and whether it was a repeat."""

    call_id: str
    event: str
    interaction: Interaction
    duplicate: bool


def _check_input(
    *,
    event: str,
    call_id: str,
    timestamp: datetime,
    caller: str,
    called: str,
    direction: str,
    agent: AbstractBaseUser | None,
    now: datetime,
) -> None:
    errors: dict[str, list[str]] = {}
    if event not in CtiEventType.values:
        errors["event"] = [_("Choose one of: %(events)s.") % {"events": ", ".join(CtiEventType.values)}]
    if not call_id.strip() or len(call_id) > MAX_CALL_ID_LENGTH:
        errors["call_id"] = [_("Give the call id, at most %(max)s characters.") % {"max": MAX_CALL_ID_LENGTH}]
    if timezone.is_naive(timestamp):
        errors["timestamp"] = [_("Give the time with its UTC offset (…+01:00 or …Z).")]
    elif timestamp > now + MAX_CLOCK_SKEW:
        errors["timestamp"] = [_("This time is in the future: check the telephony system's clock.")]
    elif timestamp < MIN_TIMESTAMP:
        errors["timestamp"] = [_("This time is before the year 2000: check the telephony system's clock.")]
    if len(caller) > MAX_NUMBER_LENGTH:
        errors["from"] = [_("At most %(max)s characters.") % {"max": MAX_NUMBER_LENGTH}]
    if len(called) > MAX_NUMBER_LENGTH:
        errors["to"] = [_("At most %(max)s characters.") % {"max": MAX_NUMBER_LENGTH}]
    if direction and direction not in Direction.values:
        errors["direction"] = [_("Choose one of: %(values)s.") % {"values": ", ".join(Direction.values)}]
    if agent is None and event == CtiEventType.ANSWERED:
        errors["agent"] = [_("Name the agent who answered the call.")]
    elif agent is not None and getattr(agent, "agent_profile", None) is None:
        errors["agent"] = [_("This user is not an agent.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def cti_event_apply(
    *,
    event: str,
    call_id: str,
    timestamp: datetime,
    caller: str = "",
    queue: Queue | None = None,
    agent: AbstractBaseUser | None = None,
    called: str = "",
    direction: str = "",
    customer: Customer | None = None,
    payload: dict[str, Any] | None = None,
    by: AbstractBaseUser | None = None,
    now: datetime | None = None,
) -> CtiOutcome:
    """Apply one call event from the telephony system (SPEC §7), exactly once.

    ``caller`` is the ``from`` number as received (any format, may be blank), ``called`` the ``to``
    number, ``direction`` ``"inbound"``/``"outbound"`` or blank when the event does not say,
    ``customer`` the customer the event names (a click-to-dial call knows whom it calls),
    ``payload`` the event's fields as received (kept with the event). The call's interaction (voice,
    ``source`` ``"cti"``, ``external_id`` the call id; inbound unless an event of the call says
    outbound) is created by the first event of the call, whichever it is, and recomputed from all
    the call's events by each new one. A repeat (same key, see the module docstring) returns the
    interaction with ``duplicate`` set and changes nothing.

    The interaction's customer is the one an event of the call names, else the one matched by the
    customer's number: the caller's (``from``) on an inbound call, the number called (``to``) on an
    outbound one. It is looked up again only when what it is matched by changes, so a customer set
    by hand during the call stays. The fields in
    :data:`CALL_FIELDS` belong to the telephony system and are overwritten; the agent's notes,
    disposition, ticket and the like are never touched.

    Raises ``ValidationError`` (request field → messages) for bad input or for an event that would
    make the interaction impossible; then nothing at all is stored.
    """
    now = now or timezone.now()
    caller, called, direction = (caller or "").strip(), (called or "").strip(), direction or ""
    _check_input(
        event=event,
        call_id=call_id,
        timestamp=timestamp,
        caller=caller,
        called=called,
        direction=direction,
        agent=agent,
        now=now,
    )
    call, created = _lock_call(call_id, event=event)
    stored_rows = [] if created else list(call.events.all())  # a call just stored has no events yet
    stored = [
        CallEvent(
            item.event,
            item.timestamp,
            item.caller,
            item.queue_id,
            item.agent_id,
            item.direction,
            item.called,
            item.named_customer,
        )
        for item in stored_rows
    ]
    incoming = CallEvent(
        event,
        timestamp,
        caller,
        queue.pk if queue else None,
        agent.pk if agent else None,
        direction,
        called,
        customer.pk if customer else None,
    )
    duplicate = any(item.key == incoming.key for item in stored)
    if duplicate and call.interaction is not None:
        _recording_named_late(call.interaction, stored_rows, payload)
        return CtiOutcome(call_id=call_id, event=event, interaction=call.interaction, duplicate=True)

    state = call_state([*stored] if duplicate else [*stored, incoming])
    previous = call_state(stored) if stored else None
    errors = call_state_errors(state)
    if errors:
        raise ValidationError(errors)
    if not duplicate:
        CtiEvent.objects.create(
            cti_call=call,
            event=event,
            timestamp=timestamp,
            caller=caller,
            called=called,
            direction=direction,
            named_customer=customer.pk if customer else None,
            queue=queue,
            agent=agent,
            payload=payload or {},
            received_by=by if by is not None and by.is_authenticated else None,
        )
    before = _contact_picture(call)
    interaction, call_changed = _save_interaction(call=call, state=state, previous=previous, by=by)
    if call.held_since != state.held_since:
        call.held_since = state.held_since
        call_changed.add("held_since")
    paused = paused_spans_stored(state.paused_spans)
    if call.recording_paused != paused:
        call.recording_paused = paused
        call_changed.add("recording_paused")
    moves: list[AgentMove] = []
    if not duplicate:
        offer_changed, moves = _follow_contacts(call=call, state=state, before=before)
        call_changed |= offer_changed
    if call_changed:
        call.save(update_fields=sorted(call_changed | {"updated_at"}))  # once for both steps
    contact = _shown_contact(interaction, queue)
    for move in moves:  # once the call is saved: the agents' contacts are read from it
        agent_state_sync(
            user_id=move.agent_id,
            at=state.latest_at,
            missed=move.missed,
            closed_since=move.closed_since,
            unmissed_at=move.unmissed_at,
            contact=contact if move.agent_id == interaction.agent_id else None,
        )
    if not duplicate:
        _announce(event, interaction, call)
        location = _recording_location(stored_rows, payload)
        if location and state.ended_at is not None:
            for hook in _recording_hooks:
                hook(interaction_id=interaction.pk, location=location)
    return CtiOutcome(call_id=call_id, event=event, interaction=interaction, duplicate=duplicate)


# The layers above (telephony) fetch a call's recording from the telephony system once the call
# is over: each registers a function called, inside the transaction, with the interaction's id and
# the recording's location (an event's ``recording`` field), for every new event of an ended call
# whose events named one.
_recording_hooks: list[Callable[..., None]] = []


def cti_recording_hook_register(hook: Callable[..., None]) -> None:
    """Call ``hook(interaction_id=, location=)`` when a new event of an ended call (its end, or a
    later one) leaves the call's events naming a ``recording`` (the newest named wins). Registered
    once, from an ``AppConfig.ready`` of an app above this one; registered twice, it runs once.
    The hook must be idempotent: a late event of the same call calls it again."""
    if hook not in _recording_hooks:
        _recording_hooks.append(hook)


def _recording_named_late(interaction: Interaction, stored: list[CtiEvent], payload: dict[str, Any] | None) -> None:
    """A repeat changes nothing of the call, but one that names the recording of an ended call
    whose stored events named none still has it fetched: some telephony systems know the
    recording only once it is written, after the call's end was told (Twilio's recording callback
    repeats the end with the recording's URL)."""
    location = payload.get("recording") if payload else None
    if not isinstance(location, str) or not location or interaction.ended_at is None:
        return
    if _recording_location(stored, None):
        return  # the call's events named one already: it is being fetched
    for hook in _recording_hooks:
        hook(interaction_id=interaction.pk, location=location)


def _recording_location(stored: list[CtiEvent], payload: dict[str, Any] | None) -> str:
    """The recording's location the call's events name: the incoming event's, else the newest
    stored event's that names one."""
    if payload and isinstance(payload.get("recording"), str) and payload["recording"]:
        return payload["recording"]
    for item in sorted(stored, key=lambda row: row.timestamp, reverse=True):
        location = item.payload.get("recording") if isinstance(item.payload, dict) else None
        if isinstance(location, str) and location:
            return location
    return ""


def _lock_call(call_id: str, *, event: str) -> tuple[CtiCall, bool]:
    """The call's row, created if new, locked until the transaction ends (the lock that serializes
    the events of one call), and whether it was created now. A call's first event is most often its
    offer: an offer tries the insert first, any other event the locked read (one query each in the
    usual case). An insert that meets a row stored meanwhile by another transaction (it waits for
    that transaction's end) falls back to the locked read."""
    calls = CtiCall.objects.select_for_update(of=("self",)).select_related("interaction")
    if event != CtiEventType.OFFERED:
        found = list(calls.filter(call_id=call_id))
        if found:
            return found[0], False
    call = CtiCall(call_id=call_id)
    if insert_row_if_new(call, unique=["call_id"]):
        return call, True
    return calls.get(call_id=call_id), False


def _save_interaction(
    *, call: CtiCall, state: CallState, previous: CallState | None, by: AbstractBaseUser | None
) -> tuple[Interaction, set[str]]:
    """Save the call's interaction as ``state`` says (``previous``: what the call's events said
    before this one, ``None`` for its first); returns it and the fields of ``call`` it changed (the
    caller saves the call)."""
    interaction = call.interaction
    created = interaction is None
    caller_customer_id: int | Unset | None = UNSET  # not looked up yet
    if created:
        # An interaction stored with this call id by another route (the interactions API) is this call.
        stored_id, caller_customer_id = _first_interaction_lookups(call, state)
        interaction = (Interaction.objects.filter(pk=stored_id).first() if stored_id is not None else None) or (
            Interaction(channel=Channel.VOICE, direction=state.direction, source=CTI_SOURCE, external_id=call.call_id)
        )
    target = {field: getattr(state, field) for field in CALL_FIELDS}
    stored_wrapup = interaction.wrapup_ended_at
    if target["wrapup_ended_at"] is None and state.ended_at is not None and stored_wrapup is not None:
        # The agent (or the queue's wrap-up limit) ended the wrap-up here, and the telephony system
        # said nothing of it: that end stands until a call.wrapup_ended gives another one.
        target["wrapup_ended_at"] = max(stored_wrapup, state.ended_at)
    changed = [field for field in CALL_FIELDS if getattr(interaction, field) != target[field]]
    for field in CALL_FIELDS:
        setattr(interaction, field, target[field])
    call_changed: set[str] = set()
    # Matched again when the number changes, or what it is matched by (an outbound call's events say
    # so late, the customer named arrives): a customer set by hand meanwhile stays otherwise.
    rematch = previous is not None and previous.customer_match != state.customer_match
    if state.caller != call.caller or interaction.pk is None or rematch:
        if caller_customer_id is UNSET:
            caller_customer_id = _matched_customer_id(state)
        interaction.customer_id = caller_customer_id
        changed.append("customer_id")
        if state.caller != call.caller:
            call.caller = state.caller
            call_changed.add("caller")
    if interaction.pk is not None and not changed and not created:
        return interaction, set()
    interaction._history_user = by
    # The related rows were read from the database just now, and the call's lock makes it the one
    # interaction of its call id (the unique constraint in the database stays the last line); the
    # timestamps were checked on the state already, and are checked again as the model's own rule.
    interaction.full_clean(
        exclude=["customer", "agent", "queue", "ticket", "disposition", "script_version"], validate_constraints=False
    )
    if interaction.pk is None:
        interaction.save()
    else:
        fields = {f.removesuffix("_id") for f in changed} | {"updated_at"}
        interaction.save(update_fields=sorted(fields))
    if created:
        call.interaction = interaction
        call_changed.add("interaction")
    return interaction, call_changed  # the call's row is written only when it changes


def _shown_contact(interaction: Interaction, queue: Queue | None) -> CurrentContact | None:
    """The call as the wallboard shows its answering agent's contact (as
    :func:`interactions.selectors.agents_current_contacts` reads it: times in UTC), when the call is
    on or in wrap-up and its queue's name is in hand (the event's queue); else ``None`` (read after
    commit)."""
    if interaction.answered_at is None or interaction.wrapup_ended_at is not None or interaction.agent_id is None:
        return None
    if interaction.queue_id is not None and (queue is None or queue.pk != interaction.queue_id):
        return None
    ended = interaction.ended_at is not None
    return CurrentContact(
        status=Status.WRAP_UP if ended else Status.BUSY,
        queue=queue.name if interaction.queue_id is not None else "",
        channel=interaction.channel,
        since=(interaction.ended_at if ended else interaction.answered_at).astimezone(UTC),
    )


@dataclass(frozen=True)
class ContactPicture:
    """What a call says about its agents' states: who it rings for, who is on it, in which phase."""

    ringing_agent_id: int | None
    agent_id: int | None
    answered: bool
    ended: bool
    wrapped_up: bool


def _contact_picture(call: CtiCall) -> ContactPicture:
    interaction = call.interaction
    ringing = call.presence_agent_id if call.presence_status == Status.RINGING else None
    if interaction is None:
        return ContactPicture(ringing, None, False, False, False)
    return ContactPicture(
        ringing,
        interaction.agent_id,
        interaction.answered_at is not None,
        interaction.ended_at is not None,
        interaction.wrapup_ended_at is not None,
    )


def _missed(state: CallState, agent_id: int) -> bool:
    """Whether the offer that rang for ``agent_id`` closed without them taking it: answered by
    someone else, or over unanswered (a short abandon aside: the caller hung up at once)."""
    if state.answered_at is not None:
        return state.agent_id != agent_id
    if state.ended_at is None:
        return False
    return (state.ended_at - state.offered_at).total_seconds() >= settings.SHORT_ABANDON_SECONDS


@dataclass(frozen=True)
class AgentMove:
    """An agent whose contacts a call event changed, for the state machine."""

    agent_id: int
    missed: bool
    closed_since: datetime | None
    #: The agent's "missed" break that began then is taken back: the call they seemed to miss turns
    #: out answered by them (its answer came after its end, out of order).
    unmissed_at: datetime | None = None


def _follow_contacts(*, call: CtiCall, state: CallState, before: ContactPicture) -> tuple[set[str], list[AgentMove]]:
    """Record who the call rings for, and list the agents whose contacts the event changed, in the
    order of their ids (module docstring); returns the fields of ``call`` it changed (the caller
    saves the call, then moves the agents)."""
    after = _contact_picture(call)
    after = ContactPicture(state.ringing_agent_id, after.agent_id, after.answered, after.ended, after.wrapped_up)
    if after == before:
        return set(), []
    changed: set[str] = set()
    missed = None
    if before.ringing_agent_id is not None and after.ringing_agent_id != before.ringing_agent_id:
        missed = before.ringing_agent_id if _missed(state, before.ringing_agent_id) else None
    # An offer recorded as missed that its own agent answered after all (events out of order).
    unmissed, unmissed_at = None, None
    if call.presence_status == "missed" and state.answered_at is not None and state.agent_id == call.presence_agent_id:
        unmissed, unmissed_at = call.presence_agent_id, call.presence_at
        call.presence_status = ""
        changed.add("presence_status")
    if after.ringing_agent_id is not None:
        call.presence_agent_id, call.presence_status, call.presence_at = (
            after.ringing_agent_id,
            Status.RINGING,
            state.offered_at,
        )
        changed |= {"presence_agent", "presence_status", "presence_at"}
    elif before.ringing_agent_id is not None:
        # Who it rang for stays on record, and whether they missed it.
        call.presence_status, call.presence_at = ("missed" if missed else ""), state.latest_at
        changed |= {"presence_status", "presence_at"}
    # The answering agent's call closed with this event (its end or wrap-up end may arrive before
    # its answer): a free agent whose status is older than the call moves on from it.
    closed_by = after.agent_id if after.wrapped_up and before != after else None
    agents = {before.ringing_agent_id, after.ringing_agent_id, before.agent_id, after.agent_id, unmissed} - {None}
    moves = [  # a fixed order: two calls of two agents cannot deadlock
        AgentMove(
            agent_id,
            agent_id == missed,
            state.offered_at if agent_id in (closed_by, missed) else None,
            unmissed_at if agent_id == unmissed else None,
        )
        for agent_id in sorted(agents)
    ]
    return changed, moves


#: The one call point of live events for CTI: which announcement each newly applied event makes.
_ANNOUNCEMENTS = {
    CtiEventType.OFFERED: live.call_offered_on_commit,
    CtiEventType.ANSWERED: live.call_answered_on_commit,
    CtiEventType.ENDED: live.interaction_logged_on_commit,
    CtiEventType.ABANDONED: live.interaction_logged_on_commit,
    CtiEventType.WRAPUP_ENDED: live.interaction_logged_on_commit,
}


def _announce(event: str, interaction: Interaction, call: CtiCall) -> None:
    """Tell the live layer, after commit, what the event changed: holds and resumes tell the
    answering agent whether the call is on hold now (``call_hold``)."""
    if event in CTI_REPEATABLE_EVENTS:
        # A pause of the recording asks the agent's call bar again too (it shows the pause).
        live.call_hold_on_commit(interaction, held_since=call.held_since)
        return
    announce = _ANNOUNCEMENTS.get(event)
    if announce is not None:
        announce(interaction)


@transaction.atomic
def cti_call_erase_numbers(*, interaction: Interaction) -> int:
    """Blank the caller and called numbers kept with the call events of ``interaction`` (for the
    data-protection erasure of its customer); returns how many events were cleaned."""
    call = CtiCall.objects.select_for_update().filter(interaction=interaction).first()
    if call is None:
        return 0
    events = list(call.events.all())
    for item in events:
        item.caller = item.called = ""
        item.payload = {key: value for key, value in item.payload.items() if key not in ("from", "to")}
    CtiEvent.objects.bulk_update(events, ["caller", "called", "payload"])
    call.caller = ""
    call.save(update_fields=["caller", "updated_at"])
    return len(events)
