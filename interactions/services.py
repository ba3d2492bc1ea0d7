"""Every write on interactions and tickets (STYLE.md: services own writes).

Tickets: a write locks the ticket row (:func:`ticket_lock`) before it reads what it changes, so
that two writers never overwrite each other. Every edit raises ``version`` (a client's change, an
escalation); the first-response stamp does not, since it is recorded by the system, not edited:
a client who read the ticket before a reply was sent may still save its own change (SPEC §5).
SLA clocks pause while a ticket is pending on the customer: leaving ``pending`` pushes the due
times back by the (business) time spent there. Live events leave from here, after commit,
through :mod:`interactions.events`.

Status workflow (:data:`TICKET_TRANSITIONS`)::

    new      → open, pending, resolved, closed
    open     → pending, resolved, closed
    pending  → open, resolved, closed
    resolved → open (reopened), closed
    closed   → open (reopened)

Nothing goes back to ``new``; a new ticket starts as ``new``, ``open`` or ``pending``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from contactcenter.agents.models import AgentProfile, Queue, Role, Team
from contactcenter.agents.states import agent_state_sync
from contactcenter.core.access import can
from contactcenter.core.choices import Channel, Direction
from contactcenter.core.db import full_clean
from contactcenter.core.roles import role_of
from contactcenter.core.transactions import service_atomic
from contactcenter.core.unset import UNSET, Unset, given
from customers.models import Customer
from interactions import events as live
from interactions.models import (
    CtiCall,
    Disposition,
    Interaction,
    Priority,
    ReferenceCounter,
    SlaBreach,
    SlaPolicy,
    Ticket,
    TicketCategory,
    TicketComment,
    TicketEscalation,
    TicketStatus,
)
from interactions.selectors import (
    ESCALATED_STATUSES,
    business_calendar,
    sla_policy_of,
    ticket_escalation_candidates,
)
from interactions.sentiment import sentiment_settle
from interactions.sla import NoBusinessHours, add_business_time, business_minutes_between

TICKET_REFERENCE_PREFIX = "T-"

#: status → the statuses a ticket may move to from it (a status kept as it is is no move).
TICKET_TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.NEW: frozenset({TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED}),
    TicketStatus.OPEN: frozenset({TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED}),
    TicketStatus.PENDING: frozenset({TicketStatus.OPEN, TicketStatus.RESOLVED, TicketStatus.CLOSED}),
    TicketStatus.RESOLVED: frozenset({TicketStatus.OPEN, TicketStatus.CLOSED}),
    TicketStatus.CLOSED: frozenset({TicketStatus.OPEN}),
}
#: The statuses a ticket may be created with.
TICKET_START_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)
#: What a PATCH may change; everything else is stamped by the services.
TICKET_EDITABLE_FIELDS = frozenset(
    {"subject", "description", "customer", "status", "priority", "category", "queue", "assignee"}
)
#: Escalation raises the priority one step along this ladder; ``urgent`` stays ``urgent``.
PRIORITY_LADDER = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)

#: Who follows tickets as they are saved (the routing, which offers a ticket nobody holds to an
#: agent): ``watcher(ticket=…, created=…, changed=…)``, inside the saving transaction.
_ticket_watchers: list[Callable[..., None]] = []


def ticket_watcher_register(watcher: Callable[..., None]) -> None:
    """Call ``watcher(ticket=, created=, changed=)`` after every save of a new ticket (``created``,
    ``changed`` empty) and of changes to one (the fields ``changed``), inside the same transaction,
    so that what it writes stands or falls with the ticket. Registered once, from an
    ``AppConfig.ready`` of an app above this one; a watcher registered twice is called once."""
    if watcher not in _ticket_watchers:
        _ticket_watchers.append(watcher)


def _ticket_saved(ticket: Ticket, *, created: bool, changed: set[str]) -> None:
    for watcher in _ticket_watchers:
        watcher(ticket=ticket, created=created, changed=frozenset(changed))


#: Who follows comments as they are added (the email channel, which sends a public comment on an
#: email ticket to the customer): ``watcher(comment=…)``, inside the adding transaction.
_comment_watchers: list[Callable[..., None]] = []


def ticket_comment_watcher_register(watcher: Callable[..., None]) -> None:
    """Call ``watcher(comment=)`` after every comment added by :func:`ticket_comment_add`, inside
    the same transaction, so that what it writes (a message to send, its interaction) stands or
    falls with the comment. Registered once, from an ``AppConfig.ready`` of an app above this
    one; a watcher registered twice is called once."""
    if watcher not in _comment_watchers:
        _comment_watchers.append(watcher)


class TicketVersionConflict(Exception):
    """The ticket changed since the client read it; ``current`` is its version now."""

    def __init__(self, current: int) -> None:
        super().__init__(current)
        self.current = current


def next_reference(name: str) -> int:
    """The next number of counter ``name``; gap-free and safe under concurrency (row lock).

    Must run inside ``transaction.atomic``: the row stays locked until the transaction ends, so
    the value raised is the one to return (one query: ``UPDATE … RETURNING``, on PostgreSQL and
    SQLite alike; the counter's first use creates it)."""
    table, value, key = (
        connection.ops.quote_name(part)
        for part in (
            ReferenceCounter._meta.db_table,
            ReferenceCounter._meta.get_field("value").column,
            ReferenceCounter._meta.pk.column,
        )
    )
    # Names from the model's meta, quoted; the counter's name goes as a parameter.
    sql = f"UPDATE {table} SET {value} = {value} + 1 WHERE {key} = %s RETURNING {value}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [name])
        row = cursor.fetchone()
        if row is None:  # the counter's first use
            ReferenceCounter.objects.get_or_create(name=name)
            cursor.execute(sql, [name])
            row = cursor.fetchone()
    return row[0]


def ticket_sla_due(*, priority: str, start: datetime) -> tuple[SlaPolicy | None, datetime | None, datetime | None]:
    """The SLA policy of ``priority`` and the first-response and resolution due times from ``start``."""
    policy = sla_policy_of(priority)  # from the cache, as the calendar
    if policy is None:
        return None, None, None
    if not policy.business_hours_only:
        return (
            policy,
            start + timedelta(minutes=policy.first_response_minutes),
            start + timedelta(minutes=policy.resolution_minutes),
        )
    windows, holidays = _calendar()
    try:
        first = add_business_time(start, policy.first_response_minutes, windows=windows, holidays=holidays)
        resolution = add_business_time(start, policy.resolution_minutes, windows=windows, holidays=holidays)
    except NoBusinessHours:
        return policy, None, None
    return policy, first, resolution


@transaction.atomic
def ticket_save_new(*, ticket: Ticket, by: AbstractBaseUser | None = None, now: datetime | None = None) -> Ticket:
    """Give a new ticket its reference and SLA due times, validate it and save it."""
    return _ticket_save_new(ticket=ticket, by=by, now=now)


def _ticket_save_new(*, ticket: Ticket, by: AbstractBaseUser | None, now: datetime | None = None) -> Ticket:
    # The body of ticket_save_new, for the services that are atomic already (no savepoint of its own).
    now = now or timezone.now()
    ticket.reference = f"{TICKET_REFERENCE_PREFIX}{next_reference('ticket'):06d}"
    ticket.sla_policy, ticket.first_response_due, ticket.resolution_due = ticket_sla_due(
        priority=ticket.priority, start=now
    )
    _ticket_sla_pause_or_resume(ticket, now)  # created pending: its clocks start paused
    exclude = ["reference"]
    if ticket.team_id is None and ticket.assignee_id is not None:
        profile = getattr(ticket.assignee, "agent_profile", None)
        ticket.team_id = profile.team_id if profile else None
        exclude.append("team")  # the assignee's team, read with them: it exists
    ticket._history_user = by
    full_clean(ticket, exclude=exclude)
    ticket.save()
    live.ticket_assigned_on_commit(ticket)
    _ticket_saved(ticket, created=True, changed=set())
    return ticket


@service_atomic
def ticket_create(
    *,
    subject: str,
    by: AbstractBaseUser | None = None,
    description: str = "",
    customer: Customer | None = None,
    status: str = TicketStatus.NEW,
    priority: str = Priority.NORMAL,
    category: TicketCategory | None = None,
    queue: Queue | None = None,
    team: Team | None = None,
    assignee: AbstractBaseUser | None = None,
) -> Ticket:
    """Create a ticket with ``subject`` (and its customer, priority, queue, …).

    A new ticket starts as new, open or pending. When ``by`` is a user, its ``assignee`` follows
    the assignment rules of :func:`ticket_check_assignee`; ``by=None`` is the system itself.
    Without a ``team``, the ticket takes its assignee's. Raises ``ValidationError`` naming the
    field at fault; the assignee gets ``ticket_assigned``.
    """
    ticket_check_new(by=by, status=status, assignee=assignee)
    ticket = Ticket(
        subject=subject,
        description=description,
        customer=customer,
        status=status,
        priority=priority,
        category=category,
        queue=queue,
        team=team,
        assignee=assignee,
    )
    return _ticket_save_new(ticket=ticket, by=by)


def _calendar() -> tuple[list, set]:
    """The center's weekly opening windows and holidays, as the SLA arithmetic takes them (from the
    cache: no query while they are unchanged)."""
    return business_calendar()


def ticket_sla_shift(*, ticket: Ticket, paused_from: datetime, paused_to: datetime) -> None:
    """Push the ticket's running due times back by the time paused in ``[paused_from, paused_to)``:
    business time when its policy counts business hours only, calendar time otherwise. A first
    response already given keeps its due time (it no longer runs)."""
    policy = ticket.sla_policy
    if policy is None or paused_to <= paused_from:
        return
    if policy.business_hours_only:
        windows, holidays = _calendar()
        minutes = business_minutes_between(paused_from, paused_to, windows=windows, holidays=holidays)

        def shift(due: datetime) -> datetime:
            return add_business_time(due, minutes, windows=windows, holidays=holidays)
    else:
        pause = paused_to - paused_from

        def shift(due: datetime) -> datetime:
            return due + pause

    if ticket.first_response_due and ticket.first_responded_at is None:
        ticket.first_response_due = shift(ticket.first_response_due)
    if ticket.resolution_due:
        ticket.resolution_due = shift(ticket.resolution_due)


def _ticket_sla_pause_or_resume(ticket: Ticket, now: datetime) -> None:
    """Entering ``pending`` stops the SLA clocks; leaving it moves the due times by the pause."""
    if ticket.status == "pending":
        ticket.sla_paused_at = ticket.sla_paused_at or now
    elif ticket.sla_paused_at is not None:
        ticket_sla_shift(ticket=ticket, paused_from=ticket.sla_paused_at, paused_to=now)
        ticket.sla_paused_at = None


#: What :func:`ticket_save_changes` may write besides the fields it is told changed (the SLA
#: policy on a priority change only).
TICKET_STAMPED_FIELDS = frozenset(
    {
        "sla_policy",
        "first_response_due",
        "resolution_due",
        "first_responded_at",
        "sla_paused_at",
        "resolved_at",
        "closed_at",
        "version",
        "updated_at",
    }
)


@transaction.atomic
def ticket_save_changes(
    *, ticket: Ticket, changed: set[str], by: AbstractBaseUser | None = None, now: datetime | None = None
) -> Ticket:
    """Save edits to a ticket: raise its version (unless only ``first_responded_at`` is stamped),
    move the SLA on a priority change, stamp resolution and closing times on those statuses.

    ``ticket`` holds the stored row with the fields ``changed`` changed: the others are not
    looked up again for uniqueness nor, for its related rows, existence (the database keeps them).
    """
    return _ticket_save_changes(ticket=ticket, changed=changed, by=by, now=now)


def _ticket_save_changes(
    *, ticket: Ticket, changed: set[str], by: AbstractBaseUser | None, now: datetime | None = None
) -> Ticket:
    # The body of ticket_save_changes, for the services that are atomic already (no savepoint of its own).
    now = now or timezone.now()
    if "priority" in changed:
        ticket.sla_policy, ticket.first_response_due, ticket.resolution_due = ticket_sla_due(
            priority=ticket.priority, start=ticket.created_at or now
        )
    if "status" in changed:
        if ticket.status in ("resolved", "closed") and ticket.resolved_at is None:
            ticket.resolved_at = now
        if ticket.status == "closed" and ticket.closed_at is None:
            ticket.closed_at = now
        if ticket.status in ("new", "open", "pending"):
            ticket.resolved_at = ticket.closed_at = None
        _ticket_sla_pause_or_resume(ticket, now)
    if changed - {"first_responded_at"}:
        ticket.version += 1
    ticket._history_user = by
    stamped = TICKET_STAMPED_FIELDS if "priority" in changed else TICKET_STAMPED_FIELDS - {"sla_policy"}
    full_clean(ticket, unchanged={field.name for field in Ticket._meta.concrete_fields} - changed - stamped)
    ticket.save()
    if "assignee" in changed:
        live.ticket_assigned_on_commit(ticket)
    if changed - {"assignee"}:
        live.ticket_updated_on_commit(ticket)
    _ticket_saved(ticket, created=False, changed=changed)
    return ticket


def ticket_lock(ticket_id: int) -> Ticket:
    """The ticket, its row locked until the transaction ends: read it this way before changing it.

    Must run inside ``transaction.atomic``. Tickets are locked one at a time, after any interaction
    row (STYLE.md principle 9: a fixed order). Its category, queue and assignee come joined (not
    locked): what the API gives back of the ticket.
    """
    return (
        Ticket.objects.select_for_update(of=("self",)).select_related("category", "queue", "assignee").get(pk=ticket_id)
    )


def ticket_check_transition(*, current: str, target: str) -> None:
    """Refuse a status move the workflow does not allow (``ValidationError`` on ``status``)."""
    if target == current:
        return
    allowed = TICKET_TRANSITIONS.get(current, frozenset())
    if target not in allowed:
        raise ValidationError(
            {
                "status": _(
                    "A ticket cannot go from %(current)s to %(target)s; from %(current)s it can go to: %(allowed)s."
                )
                % {
                    "current": current,
                    "target": target,
                    "allowed": ", ".join(s for s in TicketStatus.values if s in allowed),
                }
            }
        )


def ticket_check_assignee(
    *, by: AbstractBaseUser, current: AbstractBaseUser | None, assignee: AbstractBaseUser | None
) -> None:
    """Refuse an assignment ``by`` may not make (``ValidationError`` on ``assignee``).

    Agents (and users without a role) take an unassigned ticket or give back their own: the new
    assignee is themselves or nobody, and so is the current one. Supervisors assign to members of
    their own team, or to nobody. Managers and admins assign to any active agent.
    """
    if assignee is not None:
        profile = getattr(assignee, "agent_profile", None)
        if profile is None or not assignee.is_active:
            raise ValidationError(
                {"assignee": _("%(username)s is not an active agent.") % {"username": assignee.get_username()}}
            )
    role = role_of(by)
    if role in (Role.MANAGER, Role.ADMIN):
        return
    if role == Role.SUPERVISOR:
        team_id = getattr(getattr(by, "agent_profile", None), "team_id", None)
        if assignee is not None and (team_id is None or assignee.agent_profile.team_id != team_id):
            raise ValidationError(
                {
                    "assignee": _("%(username)s is not in your team: you can assign tickets within your team only.")
                    % {"username": assignee.get_username()}
                }
            )
        return
    if assignee is not None and assignee.pk != by.pk:
        raise ValidationError({"assignee": _("You can assign a ticket to yourself only, or leave it unassigned.")})
    if current is not None and current.pk != by.pk:
        raise ValidationError(
            {
                "assignee": _(
                    "This ticket is assigned to someone else: only a supervisor, a manager or an admin can reassign it."
                )
            }
        )


def ticket_check_new(*, by: AbstractBaseUser | None, status: str, assignee: AbstractBaseUser | None) -> None:
    """Refuse a new ticket ``by`` may not open so (``ValidationError`` naming the field): it starts
    as new, open or pending, and its assignee follows :func:`ticket_check_assignee` (``by`` None:
    the system, no assignment rule). The API, the desk and the admin ask this."""
    if status in TicketStatus.values and status not in TICKET_START_STATUSES:
        raise ValidationError(
            {"status": _("A new ticket starts as new, open or pending; resolve or close it afterwards.")}
        )
    if by is not None and assignee is not None:
        ticket_check_assignee(by=by, current=None, assignee=assignee)


def ticket_check_changes(*, by: AbstractBaseUser | None, ticket: Ticket, changes: dict[str, Any]) -> set[str]:
    """Refuse changes ``by`` may not make to the stored ``ticket`` (``ValidationError`` naming the
    field): the status workflow, the assignment rules and the queue moves they allow (``by`` None:
    the system, the workflow only). Returns the names of the fields that really change. The API,
    the desk and the admin ask this."""
    changed = {name for name, value in changes.items() if _differs(ticket, name, value)}
    if "status" in changed:
        ticket_check_transition(current=ticket.status, target=changes["status"])
    if "assignee" in changed and by is not None:
        ticket_check_assignee(by=by, current=ticket.assignee, assignee=changes["assignee"])
    if "queue" in changed and by is not None:
        ticket_check_queue(by=by, ticket=ticket)
    return changed


def ticket_check_queue(*, by: AbstractBaseUser, ticket: Ticket) -> None:
    """Refuse a queue move ``by`` may not make (``ValidationError`` on ``queue``), by the rules of
    assignment: agents move a ticket that is theirs or nobody's; supervisors and up, any ticket
    they may see (to a queue they may see: the caller's choices)."""
    if can(by, "ticket.reassign"):
        return
    if ticket.assignee_id is not None and ticket.assignee_id != by.pk:
        raise ValidationError(
            {
                "queue": _(
                    "This ticket is assigned to someone else: only a supervisor, a manager or an admin can move it "
                    "to another queue."
                )
            }
        )


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    changes: dict[str, Any],
    by: AbstractBaseUser | None = None,
    version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Change a ticket's editable fields (:data:`TICKET_EDITABLE_FIELDS`) as ``by``.

    Optimistic concurrency: the row is locked, then ``version`` (the one the client read) is
    compared with the stored one; a different one raises :class:`TicketVersionConflict` and
    changes nothing. ``version=None`` skips the check (internal callers). The status workflow
    (:data:`TICKET_TRANSITIONS`) and the assignment rules (:func:`ticket_check_assignee`) apply
    (``by=None``: the system, no assignment rule). Nothing really changed: the ticket is returned
    as it is, version kept. Otherwise ``version`` rises by one, SLA due times follow a new
    priority, the new assignee gets ``ticket_assigned`` and the assignee ``ticket_updated``.
    Returns the saved ticket (a fresh instance).
    """
    unknown = set(changes) - TICKET_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"ticket_update cannot change {sorted(unknown)}")
    locked = ticket_lock(ticket.pk)
    if version is not None and version != locked.version:
        raise TicketVersionConflict(locked.version)
    changed = ticket_check_changes(by=by, ticket=locked, changes=changes)
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, changes[name])
    return _ticket_save_changes(ticket=locked, changed=changed, by=by, now=now)


def _differs(ticket: Ticket, name: str, value: Any) -> bool:
    field = Ticket._meta.get_field(name)
    if field.is_relation:
        return getattr(ticket, field.attname) != (value.pk if value is not None else None)
    return getattr(ticket, name) != value


def ticket_record_first_response(*, ticket: Ticket, at: datetime, by: AbstractBaseUser | None = None) -> Ticket | None:
    """Record ``at`` as the ticket's first response unless an earlier one is known.

    A response from before the ticket existed does not count. Locks the row; returns the saved
    ticket when it changed (its version kept: a stamp is no edit), ``None`` otherwise. ``ticket`` (the caller's
    instance) is brought up to date too.
    """
    # No savepoint of its own: its callers' transactions (a comment, an interaction) roll back whole.
    with transaction.atomic(savepoint=False):
        locked = ticket_lock(ticket.pk)
        if at < locked.created_at or (locked.first_responded_at is not None and locked.first_responded_at <= at):
            return None
        locked.first_responded_at = at
        _ticket_save_changes(ticket=locked, changed={"first_responded_at"}, by=by)
    ticket.first_responded_at, ticket.version, ticket.updated_at = at, locked.version, locked.updated_at
    return locked


@transaction.atomic
def ticket_comment_add(
    *, ticket: Ticket, body: str, public: bool = False, author: AbstractBaseUser | None = None
) -> TicketComment:
    """Add a comment; the first public one is the ticket's first response (the ticket's version
    stays). The assignee gets ``ticket_updated``."""
    comment = TicketComment(ticket=ticket, body=body, public=public, author=author)
    full_clean(comment)
    comment.save()
    responded = None
    if public and ticket.first_responded_at is None:
        responded = ticket_record_first_response(ticket=ticket, at=comment.created_at, by=author)
    if responded is None:  # ticket_save_changes has told the assignee already otherwise
        live.ticket_updated_on_commit(ticket)
    for watcher in _comment_watchers:
        watcher(comment=comment)
    return comment


# --- SLA escalation -----------------------------------------------------------------------------


def _raised(priority: str) -> str:
    index = PRIORITY_LADDER.index(priority)
    return PRIORITY_LADDER[min(index + 1, len(PRIORITY_LADDER) - 1)]


def _breaches(ticket: Ticket, *, now: datetime, done: set[str]) -> list[tuple[str, datetime]]:
    """The breaches of ``ticket`` at ``now`` that are not in ``done``, with their due time."""
    if ticket.status not in ESCALATED_STATUSES:
        return []
    found = []
    due = ticket.first_response_due
    if SlaBreach.FIRST_RESPONSE not in done and ticket.first_responded_at is None and due and due < now:
        found.append((SlaBreach.FIRST_RESPONSE, due))
    due = ticket.resolution_due
    if SlaBreach.RESOLUTION not in done and due and due < now:
        found.append((SlaBreach.RESOLUTION, due))
    return found


def ticket_escalation_plan(*, ticket: Ticket, now: datetime) -> list[TicketEscalation]:
    """The escalations ``ticket`` is owed at ``now``, unsaved, one priority step per breach.

    Each step moves ``ticket``'s priority and SLA due times in memory as a priority change does
    (from its creation, with the policy of the new priority), so a tighter target that is already
    missed counts as its own breach in the same run, whatever the command's schedule.
    """
    done = {e.breach for e in ticket.escalations.all()}
    plan: list[TicketEscalation] = []
    while breaches := _breaches(ticket, now=now, done=done):
        breach, due = breaches[0]
        raised = _raised(ticket.priority)
        plan.append(
            TicketEscalation(
                ticket=ticket, breach=breach, due_at=due, from_priority=ticket.priority, to_priority=raised
            )
        )
        done.add(breach)
        if raised != ticket.priority:
            ticket.priority = raised
            ticket.sla_policy, ticket.first_response_due, ticket.resolution_due = ticket_sla_due(
                priority=raised, start=ticket.created_at or now
            )
    return plan


@transaction.atomic
def ticket_escalate(*, ticket_id: int, now: datetime | None = None) -> list[TicketEscalation]:
    """Escalate one ticket for its new SLA breaches: record each breach once
    (:class:`TicketEscalation`, unique per ticket and breach) and raise the priority one step per
    breach (SLA due times follow). The assignee gets ``ticket_updated``, also when the ticket was
    urgent already. Returns the escalations recorded (none: nothing was owed)."""
    now = now or timezone.now()
    ticket = ticket_lock(ticket_id)
    before = ticket.priority
    plan = ticket_escalation_plan(ticket=ticket, now=now)
    if not plan:
        return []
    for escalation in plan:
        full_clean(escalation)
        escalation.save()
    if ticket.priority != before:
        _ticket_save_changes(ticket=ticket, changed={"priority"}, by=None, now=now)
    else:
        live.ticket_updated_on_commit(ticket)
    return plan


def tickets_escalate_overdue(
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    progress: Callable[[list[int]], Iterable[int]] | None = None,
) -> list[TicketEscalation]:
    """Escalate every new or open ticket past a due time it has not been escalated for.

    Each ticket is escalated in its own transaction (:func:`ticket_escalate`), so a long run
    holds no lock for long and a failure keeps what was done. ``dry_run``: nothing is written,
    the escalations that would be made are returned (unsaved). ``progress`` wraps the list of
    ticket ids (a progress bar).
    """
    now = now or timezone.now()
    ids = list(ticket_escalation_candidates(now=now).values_list("pk", flat=True))
    done: list[TicketEscalation] = []
    for ticket_id in progress(ids) if progress else ids:
        if dry_run:
            ticket = Ticket.objects.prefetch_related("escalations").get(pk=ticket_id)
            done += ticket_escalation_plan(ticket=ticket, now=now)
        else:
            done += ticket_escalate(ticket_id=ticket_id, now=now)
    return done


# --- Interactions -------------------------------------------------------------------------------


def _resolved_by_disposition(interaction: Interaction) -> None:
    """A disposition that resolves the contact (``Disposition.resolves``) marks it resolved."""
    if interaction.disposition is not None and interaction.disposition.resolves:
        interaction.resolved = True


def _first_response_of(interaction: Interaction, by: AbstractBaseUser | None) -> None:
    """An outbound contact linked to a ticket is a response to it: answered (a call, a chat) or
    sent (an email, a message: every channel but voice counts from ``offered_at``)."""
    if interaction.direction != Direction.OUTBOUND or interaction.ticket_id is None:
        return
    at = interaction.answered_at
    if at is None and interaction.channel != Channel.VOICE:
        at = interaction.offered_at
    if at is not None:
        ticket_record_first_response(ticket=interaction.ticket, at=at, by=by)


@transaction.atomic
def interaction_create(
    *,
    channel: str,
    offered_at: datetime,
    by: AbstractBaseUser | None = None,
    direction: str = Direction.INBOUND,
    customer: Customer | None = None,
    agent: AbstractBaseUser | None = None,
    queue: Queue | None = None,
    ticket: Ticket | None = None,
    answered_at: datetime | None = None,
    ended_at: datetime | None = None,
    wrapup_ended_at: datetime | None = None,
    hold_seconds: int = 0,
    disposition: Disposition | None = None,
    resolved: bool = False,
    notes: str = "",
    sentiment: float | None = None,
    script_version: Model | None = None,
    recording: str = "",
    source: str = "",
    external_id: str = "",
) -> Interaction:
    """Validate and store one interaction (any channel, any field of SPEC §3).

    ``script_version`` is a :class:`contactcenter.scripts.models.ScriptVersion` (the records name
    it through the model's relation only: scripts sit a layer above). An outbound interaction
    linked to a ticket is the ticket's first response when it is the earliest one. A disposition
    that resolves the contact marks it resolved. Without a ``sentiment`` the notes are scored by
    the sentiment analyser (:func:`interactions.sentiment.sentiment_settle`). Raises ``ValidationError``
    with the model's messages.
    """
    interaction = Interaction(
        channel=channel,
        direction=direction,
        customer=customer,
        agent=agent,
        queue=queue,
        ticket=ticket,
        offered_at=offered_at,
        answered_at=answered_at,
        ended_at=ended_at,
        wrapup_ended_at=wrapup_ended_at,
        hold_seconds=hold_seconds,
        disposition=disposition,
        resolved=resolved,
        notes=notes,
        sentiment=sentiment,
        script_version=script_version,
        recording=recording,
        source=source,
        external_id=external_id,
    )
    _resolved_by_disposition(interaction)
    sentiment_settle(interaction, supplied=interaction.sentiment is not None, notes_changed=True)
    interaction._history_user = by
    full_clean(interaction)
    interaction.save()
    _first_response_of(interaction, by)
    return interaction


#: The relations of an interaction the API shows by name (agent's username, queue, disposition):
#: read with it, so that what a service returns is shown without another read.
#: What the API shows of an interaction beside its own row: read in the same query. The recording is
#: telephony's (named, not imported: telephony sits above this app), with the call it came from.
INTERACTION_SHOWN_RELATIONS = ("agent", "queue", "disposition", "telephony_recording", "cti_call")


def _stored_interaction(source: str, external_id: str) -> Interaction | None:
    return Interaction.objects.filter(source=source, external_id=external_id).first()


def interaction_log(
    *,
    channel: str,
    offered_at: datetime,
    by: AbstractBaseUser | None = None,
    direction: str = Direction.INBOUND,
    customer: Customer | None = None,
    agent: AbstractBaseUser | None = None,
    queue: Queue | None = None,
    ticket: Ticket | None = None,
    answered_at: datetime | None = None,
    ended_at: datetime | None = None,
    wrapup_ended_at: datetime | None = None,
    hold_seconds: int = 0,
    disposition: Disposition | None = None,
    resolved: bool = False,
    notes: str = "",
    sentiment: float | None = None,
    script_version: Model | None = None,
    recording: str = "",
    source: str = "",
    external_id: str = "",
) -> tuple[Interaction, bool]:
    """Store an interaction sent by a user or an integration, once per ``(source, external_id)``;
    the fields are those of :func:`interaction_create`.

    Returns ``(interaction, created)``. When an interaction with the same non-empty
    ``external_id`` and ``source`` is stored already, it is returned with ``created=False`` and
    nothing is written, also when a concurrent request stored it a moment ago (the unique
    constraint's ``IntegrityError`` is caught in a savepoint). A new one is announced on the
    wallboard (``interaction_logged``). Raises ``ValidationError`` for impossible data, and when
    an agent logs an interaction in another agent's name (supervisors and up may).
    """
    if by is not None and agent is not None and agent.pk != by.pk:
        if not can(by, "interaction.route"):
            raise ValidationError(
                {"agent": _("You can log your own interactions only: give your own username, or none.")}
            )
        interaction_check_agent_reach(by=by, agent=agent)
    source, external_id = source or "", external_id or ""
    if external_id and (stored := _stored_interaction(source, external_id)):
        return stored, False
    try:
        # Atomic: a savepoint inside a transaction.
        interaction = interaction_create(
            channel=channel,
            offered_at=offered_at,
            by=by,
            direction=direction,
            customer=customer,
            agent=agent,
            queue=queue,
            ticket=ticket,
            answered_at=answered_at,
            ended_at=ended_at,
            wrapup_ended_at=wrapup_ended_at,
            hold_seconds=hold_seconds,
            disposition=disposition,
            resolved=resolved,
            notes=notes,
            sentiment=sentiment,
            script_version=script_version,
            recording=recording,
            source=source,
            external_id=external_id,
        )
    except (IntegrityError, ValidationError):
        # Someone stored the same external id between our look-up and our insert.
        if external_id and (stored := _stored_interaction(source, external_id)):
            return stored, False
        raise
    live.interaction_logged_on_commit(interaction)
    return interaction, True


@service_atomic
def interaction_update(
    *,
    interaction: Interaction,
    by: AbstractBaseUser | None = None,
    channel: str | Unset = UNSET,
    direction: str | Unset = UNSET,
    customer: Customer | Unset | None = UNSET,
    agent: AbstractBaseUser | Unset | None = UNSET,
    queue: Queue | Unset | None = UNSET,
    ticket: Ticket | Unset | None = UNSET,
    offered_at: datetime | Unset = UNSET,
    answered_at: datetime | Unset | None = UNSET,
    ended_at: datetime | Unset | None = UNSET,
    wrapup_ended_at: datetime | Unset | None = UNSET,
    hold_seconds: int | Unset = UNSET,
    disposition: Disposition | Unset | None = UNSET,
    resolved: bool | Unset = UNSET,
    notes: str | Unset = UNSET,
    sentiment: float | Unset | None = UNSET,
    script_version: Model | Unset | None = UNSET,
    recording: str | Unset = UNSET,
    source: str | Unset = UNSET,
    external_id: str | Unset = UNSET,
) -> Interaction:
    """Change the fields given (every field of SPEC §3); those left ``UNSET`` stay as stored.

    The row is locked and the changes applied to its stored state, so concurrent edits of
    different fields are both kept. Validated as a whole (``ValidationError`` with the model's
    messages, nothing saved); an outbound interaction newly linked to a ticket may be its first
    response. A new ``sentiment`` number is kept for good; new notes are scored again unless a
    score was supplied; ``sentiment=None`` hands the score back to the analyser
    (:func:`interactions.sentiment.sentiment_settle`). Announced on the wallboard (``interaction_logged``).
    Returns a fresh instance, read with its :data:`INTERACTION_SHOWN_RELATIONS`.
    """
    changes = given(
        {
            "channel": channel,
            "direction": direction,
            "customer": customer,
            "agent": agent,
            "queue": queue,
            "ticket": ticket,
            "offered_at": offered_at,
            "answered_at": answered_at,
            "ended_at": ended_at,
            "wrapup_ended_at": wrapup_ended_at,
            "hold_seconds": hold_seconds,
            "disposition": disposition,
            "resolved": resolved,
            "notes": notes,
            "sentiment": sentiment,
            "script_version": script_version,
            "recording": recording,
            "source": source,
            "external_id": external_id,
        }
    )
    locked = interaction_lock(interaction.pk)
    interaction_check_write(by=by, interaction=locked, changes=changes)
    return _interaction_apply(locked=locked, changes=changes, by=by)


#: What happened on a contact, as the telephony system or the source system measured it: on an
#: interaction that came from such a system (a ``source`` or an ``external_id``), only supervisors
#: and up (and the system) change them, since an agent's handle time, wait and sentiment figures
#: are made of them. On one an agent logged by hand, the agent corrects them too.
INTERACTION_FACT_FIELDS = (
    "channel",
    "direction",
    "offered_at",
    "answered_at",
    "ended_at",
    "wrapup_ended_at",
    "hold_seconds",
    "sentiment",
    "recording",
    "source",
    "external_id",
)


def _changed(interaction: Interaction, name: str, value: Any) -> bool:
    field = Interaction._meta.get_field(name)
    if field.is_relation:
        return getattr(interaction, field.attname) != getattr(value, "pk", None)
    return getattr(interaction, name) != value


def interaction_check_agent_reach(*, by: AbstractBaseUser, agent: AbstractBaseUser) -> None:
    """Refuse to give an interaction to an agent ``by`` may not see (``ValidationError`` on
    ``agent``): a supervisor routes contacts to their team's agents; managers and admins to anyone."""
    if role_of(by) in (Role.MANAGER, Role.ADMIN) or agent.pk == by.pk:
        return
    if not AgentProfile.objects.visible_to(by).filter(user_id=agent.pk).exists():
        raise ValidationError(
            {
                "agent": _("%(username)s is not in your team: you can give interactions to your team's agents only.")
                % {"username": agent.get_username()}
            }
        )


def interaction_check_write(*, by: AbstractBaseUser | None, interaction: Interaction, changes: dict[str, Any]) -> None:
    """Refuse a change ``by`` may not make to ``interaction``: an agent changes only their own
    interactions (``PermissionDenied``), and only their log (customer, ticket, disposition,
    resolved, notes, script version): never whose or which queue's they are, nor, on an
    interaction that came from the telephony or a source system, the measured facts of
    :data:`INTERACTION_FACT_FIELDS` (``ValidationError`` naming each field). A value
    sent as it is stored is no change. Supervisors and up (``interaction.route``) change anything,
    giving it to an agent they may see (:func:`interaction_check_agent_reach`); the system (``by``
    None: the telephony intake, commands) anything."""
    if by is None:
        return
    if can(by, "interaction.route"):
        if changes.get("agent") is not None and _changed(interaction, "agent", changes["agent"]):
            interaction_check_agent_reach(by=by, agent=changes["agent"])
        return
    if interaction.agent_id != by.pk:
        raise PermissionDenied(_("You can change your own interactions only."))
    errors = {}
    if "agent" in changes and _changed(interaction, "agent", changes["agent"]):
        errors["agent"] = _("Only a supervisor, a manager or an admin can give an interaction to another agent.")
    if "queue" in changes and _changed(interaction, "queue", changes["queue"]):
        errors["queue"] = _("Only a supervisor, a manager or an admin can move an interaction to another queue.")
    measured = bool(interaction.source or interaction.external_id)  # not logged by hand
    for name in INTERACTION_FACT_FIELDS if measured else ():
        if name in changes and _changed(interaction, name, changes[name]):
            errors[name] = _(
                "This is measured by the telephony or source system: only a supervisor, a manager or an admin "
                "can change it once the interaction is logged."
            )
    if errors:
        raise ValidationError(errors)


def interaction_lock(interaction_id: int, *related: str) -> Interaction:
    """The interaction, its row locked until the transaction ends, with its
    :data:`INTERACTION_SHOWN_RELATIONS` and the ``related`` given (not locked). Must run inside
    ``transaction.atomic``; an interaction row is locked before any ticket row."""
    locking = Interaction.objects.select_for_update(of=("self",))
    return locking.select_related(*INTERACTION_SHOWN_RELATIONS, *related).get(pk=interaction_id)


#: What :func:`interaction_update` may write besides the fields it is given.
INTERACTION_SETTLED_FIELDS = frozenset({"resolved", "sentiment", "sentiment_computed", "updated_at"})


#: The fields of a contact that decide its agent's state (``interactions/contacts.py``).
CONTACT_FIELDS = frozenset({"agent", "answered_at", "ended_at", "wrapup_ended_at"})


def _interaction_apply(
    *, locked: Interaction, changes: dict[str, Any], by: AbstractBaseUser | None, follow_contacts: bool = True
) -> Interaction:
    # The body of interaction_update, on a row its caller has locked (interaction_lock) in its
    # transaction: no savepoint, no second read.
    stored_notes, stored_sentiment, stored_agent_id = locked.notes, locked.sentiment, locked.agent_id
    contact_changed = any(
        getattr(locked, f"{name}_id" if name == "agent" else name) != getattr(value, "pk", value)
        for name, value in changes.items()
        if name in CONTACT_FIELDS
    )
    for name, value in changes.items():
        setattr(locked, name, value)
    if "disposition" in changes:
        _resolved_by_disposition(locked)
    new_sentiment = "sentiment" in changes and changes["sentiment"] != stored_sentiment
    sentiment_settle(
        locked,
        supplied=new_sentiment and changes["sentiment"] is not None,
        notes_changed=new_sentiment or locked.notes != stored_notes,
    )
    locked._history_user = by
    written = set(changes) | INTERACTION_SETTLED_FIELDS
    full_clean(locked, unchanged={field.name for field in Interaction._meta.concrete_fields} - written)
    locked.save()
    _first_response_of(locked, by)
    live.interaction_logged_on_commit(locked)
    if follow_contacts and contact_changed and CtiCall.objects.filter(interaction_id=locked.pk).exists():
        # A call's times or agent corrected by hand: its agents' states follow (the row's lock
        # first, then the agents', in the order of their ids).
        for agent_id in sorted({stored_agent_id, locked.agent_id} - {None}):
            agent_state_sync(user_id=agent_id, by=by)
    return locked


def wrapup_missing_fields(interaction: Interaction) -> dict[str, list[str]]:
    """What the contact's queue requires before its after-contact work may end and the contact
    lacks: field → message (empty: nothing). A disposition is required unless the queue says
    otherwise (a contact without a queue needs one), notes only where the queue asks for them."""
    queue = interaction.queue
    errors: dict[str, list[str]] = {}
    requires_disposition = queue.wrapup_requires_disposition if queue is not None else True
    if requires_disposition and interaction.disposition_id is None:
        errors["disposition"] = [_("Choose a disposition before ending the wrap-up: this queue requires one.")]
    if queue is not None and queue.wrapup_requires_notes and not interaction.notes.strip():
        errors["notes"] = [_("Write a note before ending the wrap-up: this queue requires one.")]
    return errors


@transaction.atomic
def interaction_wrapup_end(
    *,
    interaction: Interaction,
    by: AbstractBaseUser | None = None,
    at: datetime | None = None,
    ready: bool = False,
) -> Interaction:
    """End the after-call work of an ended contact now: the agent has saved their log (or said
    they are ready: ``ready``, from ``available`` in wrap-up).

    Sets ``wrapup_ended_at`` (never before ``ended_at``) and moves the agent on through the state
    machine (:func:`contactcenter.agents.states.agent_state_sync`): to what they asked for during
    the contact, else ``available`` (``ready``: ``available`` whatever was pending). A person
    (``by`` given) ends it only once the queue's required wrap-up fields are filled
    (:func:`wrapup_missing_fields`, ``ValidationError`` otherwise); the system (``by`` None: the
    wrap-up limit, an agent gone) ends it whatever they hold. Nothing happens while the
    conversation is still on (no ``ended_at``) or when the wrap-up is over already. A later
    ``call.wrapup_ended`` from the telephony system still wins: the call's timestamps are the
    telephony system's (``interactions/cti.py``).
    """
    if interaction.ended_at is None or interaction.wrapup_ended_at is not None:
        return interaction
    return _interaction_wrapup_end(locked=interaction_lock(interaction.pk), by=by, at=at, ready=ready)


def _interaction_wrapup_end(
    *, locked: Interaction, by: AbstractBaseUser | None, at: datetime | None, ready: bool = False
) -> Interaction:
    # The body of interaction_wrapup_end, on a row its caller has locked in its transaction.
    at = at or timezone.now()
    if locked.ended_at is None or locked.wrapup_ended_at is not None:
        return locked
    if by is not None:
        errors = wrapup_missing_fields(locked)
        if errors:
            raise ValidationError(errors)
    ended_at = max(at, locked.ended_at)
    updated = _interaction_apply(locked=locked, changes={"wrapup_ended_at": ended_at}, by=by, follow_contacts=False)
    if updated.agent_id is not None:
        agent_state_sync(user_id=updated.agent_id, at=ended_at, by=by, ready=ready, only_closing=True)
    return updated


def interactions_wrapup_limit(*, now: datetime | None = None, batch_size: int = 500) -> list[int]:
    """End the after-contact work that outlasted its queue's ``wrapup_limit_seconds``: each such
    contact gets ``wrapup_ended_at`` = its end + the limit, and its agent moves on (to what they
    asked for during the contact, else ``available``), as the system, whatever the required
    wrap-up fields. Returns the ids of the contacts ended (at most ``batch_size`` per queue; the
    next run takes the rest). One transaction per contact; runs twice safely (an ended wrap-up
    is not looked at again)."""
    now = now or timezone.now()
    ended: list[int] = []
    for queue in Queue.objects.filter(wrapup_limit_seconds__isnull=False).order_by("pk"):
        limit = timedelta(seconds=queue.wrapup_limit_seconds)
        due = (
            Interaction.objects.filter(
                queue=queue,
                answered_at__isnull=False,
                ended_at__lte=now - limit,
                wrapup_ended_at__isnull=True,
            )
            .order_by("ended_at", "pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        for pk in due:
            with transaction.atomic():
                locked = interaction_lock(pk)
                if locked.wrapup_ended_at is None and locked.ended_at is not None:
                    _interaction_wrapup_end(locked=locked, by=None, at=locked.ended_at + limit)
                    ended.append(pk)
    return ended


class WrapupAlreadyEnded(Exception):
    """The contact's after-call work is over already (``wrapup_ended_at`` is set): a log that was
    to end it changes nothing."""

    def __init__(self, ended_at: datetime) -> None:
        super().__init__(ended_at)
        self.ended_at = ended_at


def _follow_up_errors(interaction: Interaction, *, subject: str, ticket: Ticket | Unset | None) -> dict[str, list[str]]:
    """Why a follow-up ticket with ``subject`` cannot be opened from ``interaction`` (none: it can)."""
    errors: list[str] = []
    if not subject.strip():
        errors.append(_("A follow-up ticket needs a subject."))
    if ticket is not UNSET and ticket is not None:
        errors.append(_("Link an existing ticket or open a new one, not both."))
    if interaction.customer_id is None or interaction.customer.erased_at is not None:
        errors.append(_("Identify the caller first: a ticket needs a customer."))
    return {"follow_up_subject": errors} if errors else {}


#: The steps of a script path kept at most, and the length of a step's key.
MAX_SCRIPT_PATH = 51
MAX_SCRIPT_KEY = 100


@transaction.atomic
def interaction_wrapup_log(
    *,
    interaction: Interaction,
    by: AbstractBaseUser | None,
    disposition: Disposition | Unset | None = UNSET,
    resolved: bool | Unset = UNSET,
    notes: str | Unset = UNSET,
    ticket: Ticket | Unset | None = UNSET,
    script_version: Model | Unset | None = UNSET,
    script_path: list[str] | Unset = UNSET,
    follow_up_subject: str | None = None,
    follow_up_priority: str = Priority.NORMAL,
    end_wrapup: bool = True,
    at: datetime | None = None,
) -> Interaction:
    """Log the outcome of a contact and end its after-call work: what the agent saves, on the
    desktop or through ``POST interactions/{id}/wrapup/``, in one transaction.

    - ``disposition``, ``resolved``, ``notes``, ``ticket`` and ``script_version`` (a
      :class:`contactcenter.scripts.models.ScriptVersion`) change as in :func:`interaction_update`
      (``UNSET``: kept as stored); a disposition that resolves the contact marks it resolved.
    - ``script_path``: the keys of the script's steps the agent went through (the desktop's trail
      and the step reached), at most :data:`MAX_SCRIPT_PATH`; ``ValidationError`` naming it otherwise.
    - ``follow_up_subject`` (``None``: no follow-up) opens a ticket of ``follow_up_priority`` for
      the contact's customer in its queue, described by the notes, and links it to the contact.
      It needs a non-blank subject, a known (not erased) customer and no ``ticket`` given: else
      ``ValidationError`` naming ``follow_up_subject``.
    - ``end_wrapup``: once the conversation is over, ``wrapup_ended_at`` is set and the agent goes
      from ``wrap_up`` back to ``available`` (:func:`interaction_wrapup_end`); while it is still
      on, the log alone is saved. :class:`WrapupAlreadyEnded` when the wrap-up is over already.
      ``end_wrapup=False`` saves a correction of the log without touching the wrap-up.

    The contact's row is locked first; nothing is written when anything is refused. Live events
    (``interaction_logged``, ``ticket_assigned``, ``status_changed``) leave after commit.
    """
    if script_path is not UNSET and (
        not isinstance(script_path, list)
        or len(script_path) > MAX_SCRIPT_PATH
        or not all(isinstance(key, str) and 0 < len(key) <= MAX_SCRIPT_KEY for key in script_path)
    ):
        raise ValidationError({"script_path": [_("A script path is a list of step keys.")]})
    locked = interaction_lock(interaction.pk, "customer")
    interaction_check_write(by=by, interaction=locked, changes={})
    if end_wrapup and locked.wrapup_ended_at is not None:
        raise WrapupAlreadyEnded(locked.wrapup_ended_at)
    if follow_up_subject is not None:
        errors = _follow_up_errors(locked, subject=follow_up_subject, ticket=ticket)
        if errors:
            raise ValidationError(errors)
        ticket = ticket_create(
            subject=follow_up_subject.strip(),
            description=notes if notes is not UNSET else locked.notes,
            customer=locked.customer,
            queue=locked.queue,
            priority=follow_up_priority,
            by=by,
        )
    # The log, then the end of the wrap-up: two changes (two history rows) of the row locked above.
    changes = given(
        {
            "disposition": disposition,
            "resolved": resolved,
            "notes": notes,
            "ticket": ticket,
            "script_version": script_version,
            "script_path": script_path,
        }
    )
    updated = _interaction_apply(locked=locked, changes=changes, by=by)
    if end_wrapup:
        updated = _interaction_wrapup_end(locked=updated, by=by, at=at)
    return updated
