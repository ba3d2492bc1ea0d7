"""The simulated call: a training and demo aid that plays a call through the real CTI intake.

A person running the demo (or a supervisor training a new agent) makes a call ring, get answered
and end without a telephony system. Nothing here writes an interaction by itself: every step is a
call event applied by :func:`interactions.cti.cti_event_apply`, exactly as if the PBX had posted it
to ``POST /api/v1/cti/events/``: the interaction, the agent's presence (busy, wrap-up, available),
the screen pop and the wallboard's figures follow as they would for a real call. The only marks
of a simulation are the call id, ``sim-<random>``, and ``"simulated": true`` in the stored events'
payloads.

Used by the wallboard's "Play a simulated call" form, the desktop's "End simulated call" button
(``contactcenter/desk/wallboard.py``) and ``manage.py simulate_call``.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import phonenumbers
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from contactcenter.agents.models import AgentProfile, Queue, Status
from customers.models import ContactPoint
from customers.phones import caller_number
from interactions.cti import cti_event_apply
from interactions.models import CtiCall, CtiEventType, Interaction

#: Every simulated call's id starts with this; only those can be ended from the pages.
SIMULATED_CALL_PREFIX = "sim-"
#: ``caller`` value asking for a number that belongs to no customer.
UNKNOWN_CALLER = "unknown"
#: Tries at drawing a number that no customer has before giving up (practically never reached).
_UNKNOWN_NUMBER_TRIES = 20


def is_simulated_call_id(call_id: str | None) -> bool:
    """Whether a CTI call id is one of a simulated call."""
    return bool(call_id) and call_id.startswith(SIMULATED_CALL_PREFIX)


def simulated_call_id() -> str:
    """A new, unguessable simulated call id: ``sim-`` and 16 hexadecimal digits."""
    return f"{SIMULATED_CALL_PREFIX}{secrets.token_hex(8)}"


def _random_known_number() -> str | None:
    """The phone number (E.164) of a random customer who has one and was not erased; ``None`` when
    there is none. Three indexed queries at most, whatever the number of customers (no ``ORDER BY
    RANDOM()`` over the whole table): a random point in the ids' range, then the next phone."""
    phones = ContactPoint.objects.filter(kind=ContactPoint.Kind.PHONE, customer__erased_at__isnull=True)
    bounds = phones.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return None
    start = bounds["low"] + secrets.randbelow(bounds["high"] - bounds["low"] + 1)
    found = phones.filter(pk__gte=start).order_by("pk").values_list("value", flat=True).first()
    return found or phones.order_by("pk").values_list("value", flat=True).first()


def _random_unknown_number() -> str:
    """A valid mobile number of ``PHONE_DEFAULT_REGION`` that no contact point holds."""
    region = getattr(settings, "PHONE_DEFAULT_REGION", "FR") or "FR"
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        example = phonenumbers.example_number_for_type("FR", phonenumbers.PhoneNumberType.MOBILE)
    national = str(example.national_number)
    for _try in range(_UNKNOWN_NUMBER_TRIES):
        # Keep the example's first digits (a mobile prefix), draw the rest.
        digits = national[:3] + "".join(str(secrets.randbelow(10)) for _digit in national[3:])
        candidate = phonenumbers.PhoneNumber(country_code=example.country_code, national_number=int(digits))
        if not phonenumbers.is_valid_number(candidate):
            continue
        number = phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
        if not ContactPoint.objects.filter(kind=ContactPoint.Kind.PHONE, value=number).exists():
            return number
    raise ValidationError({"caller": _("No unknown number could be drawn: give one.")})


def simulated_caller_number(*, caller: str | None = None) -> str:
    """The number a simulated call comes from, in E.164.

    - ``None`` (the default): the phone of a random existing customer, so that the screen pop
      shows a known customer; an unknown number when no customer has a phone;
    - ``"unknown"``: a random valid number of ``PHONE_DEFAULT_REGION`` that no customer has;
    - anything else: that number, in any usual format (``ValidationError`` when it is not one).
    """
    if caller is None or not caller.strip():
        return _random_known_number() or _random_unknown_number()
    if caller.strip().lower() == UNKNOWN_CALLER:
        return _random_unknown_number()
    number = caller_number(caller)
    if number is None:
        raise ValidationError(
            {"caller": _("“%(value)s” is not a phone number: give one, or “unknown”.") % {"value": caller.strip()[:50]}}
        )
    return number


def _check_queue(queue: Queue) -> None:
    if not queue.is_active:
        raise ValidationError({"queue": _("The queue %(queue)s is not active.") % {"queue": queue.name}})


def simulated_call_pick_agent(*, queue: Queue, agent: AbstractBaseUser | None = None) -> AbstractBaseUser:
    """The agent who will answer a simulated call of ``queue``.

    ``agent`` given: checked (an active user with an agent profile, a member of the queue, and
    ``available``). Not given: an available active member of the queue, the one available for the
    longest time first (as an automatic call distributor would). Inside a transaction on
    PostgreSQL the chosen profile is locked, so two simulated calls at once do not pick one agent.
    Raises ``ValidationError`` (field ``agent``) with a message saying why nobody fits.
    """
    _check_queue(queue)
    profiles = AgentProfile.objects.select_related("user").filter(user__is_active=True)
    if agent is not None:
        profile = profiles.filter(user_id=agent.pk).first()
        name = agent.get_username()
        if profile is None:
            raise ValidationError({"agent": _("%(agent)s is not an active agent.") % {"agent": name}})
        if not profile.queues.filter(pk=queue.pk).exists():
            raise ValidationError(
                {"agent": _("%(agent)s does not answer the queue %(queue)s.") % {"agent": name, "queue": queue.name}}
            )
        if profile.status != Status.AVAILABLE:
            raise ValidationError(
                {
                    "agent": _("%(agent)s is not available (now: %(status)s).")
                    % {"agent": name, "status": Status(profile.status).label}
                }
            )
        return profile.user
    candidates = profiles.filter(queues=queue, status=Status.AVAILABLE).order_by("status_since", "pk")
    if transaction.get_connection().in_atomic_block:
        candidates = candidates.select_for_update(of=("self",), skip_locked=True)
    profile = candidates.first()
    if profile is None:
        raise ValidationError(
            {
                "agent": _(
                    "Nobody is available in the queue %(queue)s: an agent of the queue must be "
                    "available (on their desktop) to take the call."
                )
                % {"queue": queue.name}
            }
        )
    return profile.user


def _payload(event: str, call_id: str, at: datetime, **fields: object) -> dict[str, object]:
    """The event as the CTI API would have received it, marked as simulated."""
    return {"event": event, "call_id": call_id, "timestamp": at.isoformat(), "simulated": True, **fields}


def simulated_call_offer(
    *, queue: Queue, caller: str | None = None, by: AbstractBaseUser | None, at: datetime | None = None
) -> Interaction:
    """A simulated call rings in ``queue``: ``call.offered`` from the caller of
    :func:`simulated_caller_number` (``caller`` as it describes), at ``at`` (default: now).

    Returns the new interaction (unanswered, waiting in the queue). ``ValidationError`` for an
    inactive queue or a bad number; then nothing is stored.
    """
    _check_queue(queue)
    number = simulated_caller_number(caller=caller)
    at = at or timezone.now()
    call_id = simulated_call_id()
    outcome = cti_event_apply(
        event=CtiEventType.OFFERED,
        call_id=call_id,
        timestamp=at,
        caller=number,
        queue=queue,
        payload=_payload(CtiEventType.OFFERED, call_id, at, **{"from": number, "queue": queue.name}),
        by=by,
    )
    return outcome.interaction


def _simulated_call(interaction: Interaction) -> CtiCall:
    """The simulated call of ``interaction``; ``ValidationError`` when it is not one or is over."""
    call = CtiCall.objects.filter(interaction_id=interaction.pk).first()
    if call is None or not is_simulated_call_id(call.call_id):
        raise ValidationError(_("This is not a simulated call: only the telephony system can end a real call."))
    return call


def simulated_call_answer(
    *, interaction: Interaction, agent: AbstractBaseUser, by: AbstractBaseUser | None, at: datetime | None = None
) -> Interaction:
    """``agent`` answers the ringing simulated call ``interaction`` (``call.answered`` at ``at``,
    default now): the agent turns busy and gets the screen pop.

    ``ValidationError`` when the interaction is not a simulated call, was already answered or
    ended, or when the agent may not take it (see :func:`simulated_call_pick_agent`).
    """
    call = _simulated_call(interaction)
    interaction.refresh_from_db(fields=["answered_at", "ended_at", "queue"])
    if interaction.answered_at is not None or interaction.ended_at is not None:
        raise ValidationError(_("This simulated call was already answered or is over."))
    agent = simulated_call_pick_agent(queue=interaction.queue, agent=agent)
    at = at or timezone.now()
    return cti_event_apply(
        event=CtiEventType.ANSWERED,
        call_id=call.call_id,
        timestamp=at,
        queue=interaction.queue,
        agent=agent,
        payload=_payload(
            CtiEventType.ANSWERED, call.call_id, at, queue=interaction.queue.name, agent=agent.get_username()
        ),
        by=by,
    ).interaction


@transaction.atomic
def simulated_call_start(
    *,
    queue: Queue,
    agent: AbstractBaseUser | None = None,
    caller: str | None = None,
    by: AbstractBaseUser | None,
) -> Interaction:
    """Play a simulated call up to its answer: ``call.offered`` in ``queue``, then
    ``call.answered`` by ``agent`` (default: an available member of the queue, see
    :func:`simulated_call_pick_agent`), both now, through the real CTI intake.

    ``caller``: ``None`` for a random known customer, ``"unknown"`` for a number nobody has, or a
    number (:func:`simulated_caller_number`). Returns the answered interaction; the agent is busy
    and their desktop pops. All or nothing: ``ValidationError`` (fields ``queue``, ``agent``,
    ``caller``) and nothing is stored when no agent fits or the input is bad.
    """
    chosen = simulated_call_pick_agent(queue=queue, agent=agent)
    number = simulated_caller_number(caller=caller)
    at = timezone.now()
    interaction = simulated_call_offer(queue=queue, caller=number, by=by, at=at)
    return simulated_call_answer(interaction=interaction, agent=chosen, by=by, at=at)


def simulated_call_end(
    *, interaction: Interaction, by: AbstractBaseUser | None, at: datetime | None = None
) -> Interaction:
    """Hang up the simulated call ``interaction``: ``call.ended`` at ``at`` (default now).

    An answered call ends (its agent goes to wrap-up); one never answered is abandoned. Only for
    an interaction of a simulated call (``sim-`` call id) that is not over: ``ValidationError``
    otherwise, and nothing changes.
    """
    call = _simulated_call(interaction)
    interaction.refresh_from_db(fields=["ended_at", "agent", "queue"])
    if interaction.ended_at is not None:
        raise ValidationError(_("This simulated call is already over."))
    at = max(at or timezone.now(), interaction.answered_at or interaction.offered_at)
    agent = interaction.agent
    return cti_event_apply(
        event=CtiEventType.ENDED,
        call_id=call.call_id,
        timestamp=at,
        agent=agent,
        payload=_payload(CtiEventType.ENDED, call.call_id, at, agent=agent.get_username() if agent else None),
        by=by,
    ).interaction


def simulated_call_wrapup_end(
    *, interaction: Interaction, by: AbstractBaseUser | None, at: datetime | None = None
) -> Interaction:
    """The agent's after-call work on the ended simulated call ``interaction`` is over:
    ``call.wrapup_ended`` at ``at`` (default now); the agent is available again.

    ``ValidationError`` when it is not a simulated call, was never answered, is not over yet or
    its wrap-up already ended.
    """
    call = _simulated_call(interaction)
    interaction.refresh_from_db(fields=["answered_at", "ended_at", "wrapup_ended_at", "agent"])
    if interaction.answered_at is None or interaction.ended_at is None:
        raise ValidationError(_("Only an answered simulated call that is over has after-call work to end."))
    if interaction.wrapup_ended_at is not None:
        raise ValidationError(_("The after-call work of this simulated call is already over."))
    at = max(at or timezone.now(), interaction.ended_at)
    agent = interaction.agent
    return cti_event_apply(
        event=CtiEventType.WRAPUP_ENDED,
        call_id=call.call_id,
        timestamp=at,
        agent=agent,
        payload=_payload(CtiEventType.WRAPUP_ENDED, call.call_id, at, agent=agent.get_username() if agent else None),
        by=by,
    ).interaction
