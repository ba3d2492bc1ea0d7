"""Agent states: the one service that moves an agent's status (``docs/agent-states.md``).

An agent is in one state at a time: ``offline``, ``available``, ``ringing`` (a contact is offered
to them, not yet taken), ``busy`` (on a contact), ``wrap_up`` (after-contact work) or ``break``
(with a reason; ``missed`` after an offer they did not take). How it holds:

* **Contacts decide, choices wait.** While the agent has a contact open the status is the
  contact's: ``busy`` if one is in conversation, else ``ringing`` if one is offered, else
  ``wrap_up``. What the agent (or their supervisor) asks for meanwhile (``break`` + reason,
  ``offline``) is kept as *pending* on the profile and applied when the last contact closes; an
  ``available`` request clears it. With no contact open, a request applies at once.
* **The contacts are read, not counted.** The agent's open contacts come from the contact source
  that the interactions app registers (:func:`contact_source_register`); the organisation does
  not import the records' layer. Every change of a contact calls :func:`agent_state_sync`, which
  reads them again under the lock of the agent's profile and puts the agent where they say, so
  the status cannot drift from the contacts whatever the order the events come in.
* **One writer.** :func:`_move` is the only code that changes ``status`` or the presence log: it
  closes the open interval (``ended_by``: who chose the next state) and opens the next one
  (``set_by``: who chose it; ``None`` is the system). ``offline`` opens no interval.
* **Work offered by Switchboard.** Chats, emails, tickets and callbacks are offered by the
  routing (``contactcenter.distribution``), one offer per agent at a time: the profile's
  ``work_offered`` flag, set and cleared only by :func:`agent_state_offer`, counts as one more
  contact ringing for the agent. Work the agent accepted does not make them busy: they take
  several chats or emails at once, up to their capacity, while ``available``.
* **After commit.** Whoever must know that an agent became ``available`` (the routing, to offer
  waiting work) registers with :func:`available_hook_register`; it is called after the commit.
* **Locks.** A contact's rows before the agent's profile (the CTI intake, the wrap-up log): so a
  request that ends the wrap-up ends the contacts first (:meth:`ContactSource.end_wrapups`), and
  only then locks the profile.

Rules of who may ask what: :func:`agent_status_check`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contactcenter.agents import events
from contactcenter.agents.models import (
    CONTACT_STATUSES,
    AgentProfile,
    BreakReason,
    PresenceInterval,
    Role,
    Status,
)
from contactcenter.core.compiled import CompiledQuery
from contactcenter.core.db import full_clean
from contactcenter.core.roles import role_of, team_id_of

#: What an agent may choose for themselves; busy, ringing and wrap-up follow the contacts.
SELF_SERVICE_STATUSES = (Status.AVAILABLE, Status.BREAK, Status.OFFLINE)
#: What a supervisor (for their team's agents), a manager or an admin (for anyone) may set for
#: another agent.
SET_BY_OTHERS_STATUSES = (Status.OFFLINE, Status.BREAK)
#: The break reasons a person may give; ``missed`` is the system's.
CHOSEN_BREAK_REASONS = tuple(reason for reason in BreakReason if reason != BreakReason.MISSED)


# --- The contacts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenContacts:
    """How many contacts of an agent are in each phase of their life."""

    ringing: int = 0
    busy: int = 0
    wrap_up: int = 0

    @property
    def status(self) -> str | None:
        """The status these contacts put their agent in; ``None`` when none is open."""
        if self.busy:
            return Status.BUSY
        if self.ringing:
            return Status.RINGING
        if self.wrap_up:
            return Status.WRAP_UP
        return None


@dataclass(frozen=True)
class CurrentContact:
    """The contact that puts an agent in their contact status, as the wallboard shows it: its queue
    and channel, and when its present phase began (``ringing``: offered to the agent; ``busy``:
    answered; ``wrap_up``: ended)."""

    status: str
    queue: str
    channel: str
    since: datetime


class ContactSource(Protocol):
    """Where the agent's contacts live (the interactions app registers its own)."""

    def open_contacts(self, *, agent_id: int) -> OpenContacts:
        """The agent's open contacts, as stored now."""

    def end_wrapups(self, *, agent_id: int, at: datetime, by: AbstractBaseUser | None) -> int:
        """End the after-contact work of every contact of the agent in wrap-up, at ``at``, as ``by``
        (``None``: the system, which skips the queue's required wrap-up fields); how many it ended.
        Each ended contact calls :func:`agent_state_sync` with ``ready=by is not None``."""

    def current_contacts(self, *, statuses: dict[int, str]) -> dict[int, CurrentContact]:
        """For each agent (user id → their status), the contact of that status they are on (the
        newest one when several are); agents in no contact status are left out."""


class _NoContacts:
    def open_contacts(self, *, agent_id: int) -> OpenContacts:
        return OpenContacts()

    def end_wrapups(self, *, agent_id: int, at: datetime, by: AbstractBaseUser | None) -> int:
        return 0

    def current_contacts(self, *, statuses: dict[int, str]) -> dict[int, CurrentContact]:
        return {}


_source: ContactSource = _NoContacts()


def contact_source_register(source: ContactSource) -> None:
    """Make ``source`` the one the states read the contacts from (once, from an ``AppConfig.ready``)."""
    global _source  # one registration at start-up
    _source = source


def contact_source() -> ContactSource:
    return _source


_available_hooks: list[Callable[[int], None]] = []


def available_hook_register(hook: Callable[[int], None]) -> None:
    """Call ``hook(user_id)`` after the commit of every move of an agent to ``available`` (once,
    from an ``AppConfig.ready``; a hook registered twice is called once)."""
    if hook not in _available_hooks:
        _available_hooks.append(hook)


def _open_contacts(profile: AgentProfile) -> OpenContacts:
    """The agent's open contacts: the source's, and the work Switchboard offers them (ringing)."""
    contacts = _source.open_contacts(agent_id=profile.user_id)
    return replace(contacts, ringing=contacts.ringing + 1) if profile.work_offered else contacts


def current_contact(*, user_id: int, status: str) -> CurrentContact | None:
    """The contact that puts the agent in ``status``; ``None`` (and no query) for a status that is
    not a contact's."""
    if status not in CONTACT_STATUSES:
        return None
    return _source.current_contacts(statuses={user_id: status}).get(user_id)


# --- The transitions, as pure functions -----------------------------------------------------------


@dataclass(frozen=True)
class State:
    """An agent's status, its break reason, and what waits for the end of their contacts."""

    status: str
    reason: str = ""
    pending: str = ""
    pending_reason: str = ""


def state_after_contacts(
    state: State, contacts: OpenContacts, *, missed: bool = False, ready: bool = False, closed: bool = False
) -> State:
    """Where ``contacts`` put an agent in ``state``.

    A contact open: its status, the pending choice kept. The last one just closed (the agent was
    in a contact status, or ``closed``: a contact of theirs that began after their current status
    closed, its events having come late or out of order): ``available`` when the agent said they
    are ready (``ready``), else the pending choice, else ``break``/``missed`` when it was an offer
    they did not take (``missed``), else ``available``. No contact before or after: unchanged.
    """
    on_contact = contacts.status
    if on_contact is not None:
        return State(on_contact, "", state.pending, state.pending_reason)
    if state.status not in CONTACT_STATUSES and not closed:
        return State(state.status, state.reason)
    if ready:
        return State(Status.AVAILABLE)
    if state.pending:
        return State(state.pending, state.pending_reason)
    if missed:
        return State(Status.BREAK, BreakReason.MISSED)
    return State(Status.AVAILABLE)


def state_after_request(state: State, *, status: str, reason: str) -> State:
    """Where a person's request (``status``, ``reason``) puts an agent in ``state``.

    With no contact open it applies at once. On a contact it waits: ``break`` or ``offline``
    becomes the pending choice, ``available`` clears it. (``available`` in wrap-up ends the
    wrap-up first: see :func:`agent_state_request`.)
    """
    reason = reason if status == Status.BREAK else ""
    if state.status in CONTACT_STATUSES:
        if status == Status.AVAILABLE:
            return State(state.status, "", "", "")
        return State(state.status, "", status, reason)
    return State(status, reason)


# --- Who may ask what -----------------------------------------------------------------------------


def agent_status_check(*, profile: AgentProfile, status: str, reason: str, by: AbstractBaseUser) -> None:
    """Refuse a status change that the person ``by`` may not make on ``profile``'s agent.

    Their own status: ``available``, ``break`` or ``offline``. Another agent's: ``offline`` or
    ``break``, by a supervisor for the agents of their own team, by a manager or an admin for
    anyone; an agent sets no one else's. A break carries a reason, never ``missed`` (the system's).
    ``ValidationError`` naming ``status`` or ``reason`` for a change nobody may make this way,
    ``PermissionDenied`` for one ``by`` may not make. The same rules whatever the door: ``PUT
    agents/me/status/``, ``PUT agents/{username}/status/``, the socket's ``set_status``, the
    desktop's switch, the wallboard, the admin's action.
    """
    own = by.pk == profile.user_id
    if not own:
        role = role_of(by)
        if role == Role.SUPERVISOR:
            team_id = team_id_of(by)
            if team_id is None or team_id != profile.team_id:
                raise PermissionDenied(_("You may set the status of your own team's agents only."))
        elif role not in (Role.MANAGER, Role.ADMIN):
            raise PermissionDenied(_("You may set your own status only."))
    allowed = SELF_SERVICE_STATUSES if own else SET_BY_OTHERS_STATUSES
    if status not in allowed:
        raise ValidationError(
            {"status": _("Choose one of: %(statuses)s.") % {"statuses": ", ".join(str(s) for s in allowed)}}
        )
    if status == Status.BREAK:
        if not reason:
            raise ValidationError({"reason": _("A break needs a reason.")})
        if reason not in CHOSEN_BREAK_REASONS:
            raise ValidationError(
                {
                    "reason": _("Choose one of: %(reasons)s.")
                    % {"reasons": ", ".join(str(r) for r in CHOSEN_BREAK_REASONS)}
                }
            )


# --- The service ----------------------------------------------------------------------------------


#: The two locks of an agent's profile, compiled once (:mod:`contactcenter.core.compiled`): every
#: status change takes one.
_LOCK = CompiledQuery(
    lambda user_id: (
        AgentProfile.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(user_id=user_id)
        .order_by("pk")[:1]
    ),
    samples=[-7_000_021],
)
_TRY_LOCK = CompiledQuery(
    lambda user_id: (
        AgentProfile.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("user")
        .filter(user_id=user_id)
        .order_by("pk")[:1]
    ),
    samples=[-7_000_022],
)


def agent_lock(*, user_id: int) -> AgentProfile | None:
    """The agent's profile, its row locked until the transaction ends, with its user (not locked);
    ``None`` without a profile. Must run inside ``transaction.atomic``."""
    return _LOCK.first(user_id)


def agent_try_lock(*, user_id: int) -> AgentProfile | None:
    """Like :func:`agent_lock`, but ``None`` at once when another transaction holds the row
    (``SKIP LOCKED`` on PostgreSQL): for a dispatcher that would rather offer work to someone else
    than wait. Must run inside ``transaction.atomic``."""
    return _TRY_LOCK.first(user_id)


def _state_of(profile: AgentProfile) -> State:
    return State(profile.status, profile.status_reason, profile.pending_status, profile.pending_reason)


def _move(
    *,
    profile: AgentProfile,
    state: State,
    at: datetime,
    set_by_id: int | None,
    pending_set_by_id: int | None = None,
    also_saved: tuple[str, ...] = (),
    contact: CurrentContact | None = None,
    no_contact: bool = False,
) -> AgentProfile:
    """Put the locked ``profile`` in ``state`` at ``at`` (never before its current status began):
    the only writer of an agent's status and presence log. Publishes ``status_changed`` after commit
    when anything changed. ``also_saved``: other fields of the profile the caller changed, written
    in the same ``UPDATE``. ``contact``: the contact behind the new status, when the caller knows
    it; ``no_contact``: the caller knows there is none the wallboard shows (else it is read after
    commit)."""
    at = max(at, profile.status_since)
    moved = (profile.status, profile.status_reason) != (state.status, state.reason)
    pending_changed = (profile.pending_status, profile.pending_reason) != (state.pending, state.pending_reason)
    if not moved and not pending_changed:
        if also_saved:
            profile.save(update_fields=[*also_saved, "updated_at"])
        return profile
    saved = ["pending_status", "pending_reason", "pending_set_by", "updated_at", *also_saved]
    if moved:
        PresenceInterval.objects.filter(agent_id=profile.user_id, ended_at__isnull=True).update(
            ended_at=at, ended_by_id=set_by_id
        )
        if state.status != Status.OFFLINE:
            interval = PresenceInterval(
                agent=profile.user, status=state.status, reason=state.reason, started_at=at, set_by_id=set_by_id
            )
            # The agent's open interval was closed just above, under the profile's lock: the rule of
            # one open interval per agent cannot fail, nor can the agent or set_by be missing.
            full_clean(interval, exclude=["agent", "set_by", "ended_by"])
            interval.save()
        profile.status, profile.status_reason, profile.status_since = state.status, state.reason, at
        saved += ["status", "status_reason", "status_since"]
    profile.pending_status, profile.pending_reason = state.pending, state.pending_reason
    profile.pending_set_by_id = pending_set_by_id if state.pending else None
    full_clean(
        profile,
        exclude=["pending_set_by"],
        unchanged={field.name for field in AgentProfile._meta.concrete_fields} - set(saved),
    )
    profile.save(update_fields=saved)
    known = contact  # the contact behind the new status, known already: not read after commit
    if known is None and not no_contact:
        events.status_changed_on_commit(profile, contact=current_contact)
    else:
        events.status_changed_on_commit(profile, contact=lambda **_kwargs: known)
    if moved and state.status == Status.AVAILABLE:
        user_id = profile.user_id
        for hook in _available_hooks:
            transaction.on_commit(lambda hook=hook: hook(user_id))
    return profile


@dataclass(frozen=True)
class StateChange:
    """A request's outcome: the profile as saved, and whether the request waits for the end of a
    contact (the API answers 202 then)."""

    profile: AgentProfile
    deferred: bool


def _check_choice(status: str, reason: str) -> str:
    if status not in Status.values:
        raise ValidationError({"status": _("Choose one of: %(statuses)s.") % {"statuses": ", ".join(Status.values)}})
    return reason if status == Status.BREAK else ""


@transaction.atomic
def agent_state_request(
    *, profile: AgentProfile, status: str, reason: str = "", by: AbstractBaseUser, at: datetime | None = None
) -> StateChange:
    """A person (the agent, or a supervisor, manager or admin: :func:`agent_status_check`) asks for
    ``status`` (``reason`` for a break) for ``profile``'s agent.

    From ``offline``, ``available`` or ``break`` it applies at once. In ``ringing`` or ``busy`` it
    waits: ``break``/``offline`` becomes pending, applied when the contact's wrap-up ends;
    ``available`` clears what was pending. In ``wrap_up`` the agent's own ``available`` ends the
    wrap-up now ("ready": the queue's required wrap-up fields must be filled, else
    ``ValidationError``) and leaves them available; ``break``/``offline`` wait like on a call.
    """
    at = at or timezone.now()
    reason = _check_choice(status, reason)
    agent_status_check(profile=profile, status=status, reason=reason, by=by)
    ready = by.pk == profile.user_id and status == Status.AVAILABLE
    if ready and profile.status == Status.WRAP_UP:
        # The contacts' rows first, then the profile (module docstring, "Locks"). The status as the
        # request read it decides only this; under the lock below it is read again.
        _source.end_wrapups(agent_id=profile.user_id, at=at, by=by)
    locked = agent_lock(user_id=profile.user_id)
    if ready and locked.status == Status.WRAP_UP:
        # Still in wrap-up: after-contact work the source does not hold any more ends now, or a
        # wrap-up begun since the request was read waits (nothing left pending).
        contacts = _open_contacts(locked)
        state = state_after_contacts(_state_of(locked), contacts, ready=True)
        state = State(state.status) if state.status in CONTACT_STATUSES else state
    else:
        state = state_after_request(_state_of(locked), status=status, reason=reason)
    locked = _move(profile=locked, state=state, at=at, set_by_id=by.pk, pending_set_by_id=by.pk)
    return StateChange(profile=locked, deferred=locked.status in CONTACT_STATUSES)


def agent_state_sync(
    *,
    user_id: int,
    at: datetime | None = None,
    missed: bool = False,
    ready: bool = False,
    closed_since: datetime | None = None,
    only_closing: bool = False,
    by: AbstractBaseUser | None = None,
    unmissed_at: datetime | None = None,
    contact: CurrentContact | None = None,
) -> AgentProfile | None:
    """The agent's contacts changed (an offer, an answer, an end, a wrap-up over): read them again
    under the lock of the agent's profile and put the agent where they say
    (:func:`state_after_contacts`). ``missed``: an offer the agent did not take closed; ``ready``:
    the agent ended the wrap-up themselves; ``closed_since``: a contact of the agent that began then
    is closed now (it moves a free agent whose status is older than that contact); ``by``: the
    person whose action changed the contact (``None``: the system); ``unmissed_at``: the offer
    that put the agent on a ``missed`` break then turns out taken by them (its events came out of
    order): that break, if it is still the agent's, is taken back; ``only_closing``: the change
    can only have closed a contact (a wrap-up over), so an agent in no contact status stays as they
    are without reading their contacts. A pending choice is applied as
    set by whoever asked for it. ``contact``: the agent's contact the caller has just written, as
    the wallboard shows it (``busy`` or ``wrap_up``); when the agent comes out in its status and the
    contacts read under the lock count it as their only one of that status, it is the contact behind
    the status, and the wallboard's ``agent_status`` carries it without reading it again after
    commit. Must run inside the caller's transaction, after the contact's rows were written;
    ``None`` for a user without a profile."""
    at = at or timezone.now()
    locked = agent_lock(user_id=user_id)
    if locked is None:
        return None
    before = _state_of(locked)
    closed = closed_since is not None and closed_since > locked.status_since
    if (
        unmissed_at is not None
        and (before.status, before.reason) == (Status.BREAK, BreakReason.MISSED)
        and locked.status_since == unmissed_at
    ):
        closed = True  # the break was the call's doing: its contacts say where the agent is
    if only_closing and not closed and before.status not in CONTACT_STATUSES:
        return locked
    contacts = _open_contacts(locked)
    state = state_after_contacts(before, contacts, missed=missed, ready=ready, closed=closed)
    applying_pending = bool(before.pending) and not ready and state.status not in CONTACT_STATUSES
    set_by_id = locked.pending_set_by_id if applying_pending else getattr(by, "pk", None)
    # The caller's contact is the one behind the new status when it is the agent's only one of it.
    of_status = {Status.BUSY: contacts.busy, Status.WRAP_UP: contacts.wrap_up}
    only_one = contact is not None and contact.status == state.status and of_status.get(state.status) == 1
    known = contact if only_one else None
    return _move(
        profile=locked,
        state=state,
        at=at,
        set_by_id=set_by_id,
        pending_set_by_id=locked.pending_set_by_id,
        contact=known,
    )


def agent_state_offer(
    *,
    user_id: int,
    offered: bool,
    missed: bool = False,
    at: datetime | None = None,
    locked: AgentProfile | None = None,
) -> AgentProfile | None:
    """Switchboard's routing offers the agent a piece of work (``offered``: they ring for it) or
    the offer closes (accepted, declined, withdrawn; ``missed``: it timed out, so the agent goes on
    a ``missed`` break unless something else is open or pending). The agent's contacts are read
    again, as in :func:`agent_state_sync`. Must run inside the caller's transaction, after the
    offer's rows were written (a work item's row before the profile); ``None`` without a profile.
    ``locked``: the agent's profile, already locked by the caller in this transaction (with its
    user), not read again."""
    at = at or timezone.now()
    if locked is None:
        locked = agent_lock(user_id=user_id)
    if locked is None:
        return None
    flag = ()
    if locked.work_offered != offered:
        locked.work_offered = offered
        flag = ("work_offered",)
    before = _state_of(locked)
    stored = _source.open_contacts(agent_id=locked.user_id)
    contacts = replace(stored, ringing=stored.ringing + 1) if offered else stored
    state = state_after_contacts(before, contacts, missed=missed and not offered)
    set_by_id = locked.pending_set_by_id if before.pending and state.status not in CONTACT_STATUSES else None
    return _move(
        profile=locked,
        state=state,
        at=at,
        set_by_id=set_by_id,
        pending_set_by_id=locked.pending_set_by_id,
        also_saved=flag,
        # Ringing for the offer alone: the wallboard shows a contact of the source's, and it has none.
        no_contact=state.status == Status.RINGING and stored == OpenContacts(),
    )


def agent_state_gone(*, user_id: int, at: datetime) -> AgentProfile | None:
    """Every socket of the agent is gone past the grace (:mod:`contactcenter.agents.presence`):
    ``offline``, unless they are busy. Their wrap-up ends at ``at`` (the system ends it, whatever
    the required fields: nobody is there to fill them); a ringing offer leaves ``offline`` pending.
    Must run inside a transaction; the caller has checked that the agent is still gone."""
    if AgentProfile.objects.filter(user_id=user_id, status=Status.WRAP_UP).exists():
        _source.end_wrapups(agent_id=user_id, at=at, by=None)
    locked = agent_lock(user_id=user_id)
    if locked is None or locked.status in (Status.BUSY, Status.OFFLINE):
        return locked
    state = state_after_contacts(_state_of(locked), _open_contacts(locked))
    state = state_after_request(state, status=Status.OFFLINE, reason="")
    return _move(profile=locked, state=state, at=at, set_by_id=None)


@transaction.atomic
def agent_state_force(
    *, profile: AgentProfile, status: str, reason: str = "", at: datetime | None = None
) -> AgentProfile:
    """Put an agent in ``status`` whatever their contacts say, nothing left pending: for the
    system's own overrides (an account deactivated goes offline) and for setting up data. Live
    code moves agents through :func:`agent_state_request` and :func:`agent_state_sync`."""
    at = at or timezone.now()
    reason = _check_choice(status, reason)
    locked = agent_lock(user_id=profile.user_id)
    if at < locked.status_since:
        raise ValidationError({"at": _("A status change cannot be earlier than the current status.")})
    return _move(profile=locked, state=State(status, reason), at=at, set_by_id=None)
