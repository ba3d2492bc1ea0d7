"""Every read of interactions and tickets that the API and the commands share, with its joins
(STYLE.md: selectors own reads). Who sees what is ``contactcenter.core.access``."""

from __future__ import annotations

from datetime import date, datetime, time

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, CharField, DateTimeField, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from contactcenter.agents.models import Status
from contactcenter.agents.states import CurrentContact
from contactcenter.core.cached import cached_forget, cached_read
from interactions.models import (
    BusinessHours,
    CtiCall,
    Disposition,
    Holiday,
    Interaction,
    SlaBreach,
    SlaPolicy,
    Ticket,
    TicketComment,
    TicketEscalation,
    TicketStatus,
)
from interactions.querysets import overdue_q

#: Statuses whose SLA clock runs: a pending ticket waits on the customer and is not escalated.
ESCALATED_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN)


#: The cache group of the dispositions (:mod:`contactcenter.core.cached`).
DISPOSITIONS = "dispositions"


def dispositions() -> list[Disposition]:
    """Every disposition, in their order (sort order, label): kept in the cache, so no query while
    none has changed (:func:`dispositions_changed`)."""
    return cached_read(DISPOSITIONS, "all", lambda: list(Disposition.objects.order_by("sort_order", "label")))


def active_dispositions() -> list[Disposition]:
    """The dispositions an agent may pick, in their order (no query while none has changed)."""
    return [disposition for disposition in dispositions() if disposition.is_active]


def disposition_of(code: str, *, active: bool = False) -> Disposition | None:
    """The disposition of this code (an active one when ``active``), ``None`` without one (no query
    while none has changed)."""
    return next(
        (d for d in dispositions() if d.code == code and (d.is_active or not active)),
        None,
    )


def dispositions_changed(**kwargs: object) -> None:
    """Receiver of the dispositions' ``post_save``/``post_delete``: every process reads them again."""
    cached_forget(DISPOSITIONS)


#: The cache group of the SLA policies and the business calendar (:mod:`contactcenter.core.cached`).
SLA = "sla"


def sla_policy_of(priority: str) -> SlaPolicy | None:
    """The SLA policy of ``priority``, ``None`` without one (no query while no policy has changed)."""
    policies = cached_read(SLA, "policies", lambda: {policy.priority: policy for policy in SlaPolicy.objects.all()})
    return policies.get(priority)


def business_calendar() -> tuple[list[tuple[int, time, time]], set[date]]:
    """The center's weekly opening windows ``(weekday, opens, closes)`` and its holidays, as the SLA
    arithmetic (:mod:`interactions.sla`) takes them (no query while neither has changed)."""

    def read() -> tuple[list[tuple[int, time, time]], set[date]]:
        windows = list(BusinessHours.objects.values_list("weekday", "opens_at", "closes_at"))
        return windows, set(Holiday.objects.values_list("date", flat=True))

    return cached_read(SLA, "calendar", read)


def sla_changed(**kwargs: object) -> None:
    """Receiver of the SLA policies', business hours' and holidays' ``post_save``/``post_delete``:
    every process reads them again."""
    cached_forget(SLA)


def interaction_list(*, user: AbstractBaseUser) -> QuerySet:
    """The interactions ``user`` may see, newest first (``-offered_at, -id``: the cursor order),
    with what their API shape names (agent, queue, disposition, the recording and its call) joined
    in the same query."""
    return (
        Interaction.objects.visible_to(user)
        .select_related("agent", "queue", "disposition", "telephony_recording", "cti_call")
        .order_by("-offered_at", "-id")
    )


#: What a page of the ticket list shows of each ticket (the API's ticket fields): its own columns
#: but the SLA bookkeeping, and of its category, queue and assignee the name alone.
TICKET_LIST_COLUMNS = (
    *(
        field.name
        for field in Ticket._meta.concrete_fields
        if field.name not in ("team", "sla_policy", "sla_paused_at", "closed_at")
    ),
    "category__name",
    "queue__name",
    "assignee__username",
)


def ticket_list(*, user: AbstractBaseUser, listed: bool = False) -> QuerySet[Ticket]:
    """The tickets ``user`` may see, newest first, with category, queue and assignee joined.
    ``listed``: with the columns of :data:`TICKET_LIST_COLUMNS` alone (a page to show, not
    tickets to change: a deferred column is read on first use, one query per ticket)."""
    tickets = (
        Ticket.objects.visible_to(user).select_related("category", "queue", "assignee").order_by("-created_at", "-id")
    )
    return tickets.only(*TICKET_LIST_COLUMNS) if listed else tickets


def ticket_overdue_q(now: datetime) -> Q:
    """Overdue tickets as a filter (the definition lives in :func:`interactions.querysets.overdue_q`)."""
    return overdue_q(now)


def ticket_comments(*, ticket: Ticket) -> QuerySet[TicketComment]:
    """A ticket's comments, oldest first, with their authors."""
    return ticket.comments.select_related("author").order_by("created_at", "id")


def ticket_escalation_candidates(*, now: datetime) -> QuerySet[Ticket]:
    """New or open tickets with a breach at ``now`` that has no escalation yet: past the
    first-response due time without a response, or past the resolution due time. Pending tickets
    wait on the customer and are left out. Ordered by id (the lock order)."""

    def escalated(breach: str) -> Exists:
        return Exists(TicketEscalation.objects.filter(ticket=OuterRef("pk"), breach=breach))

    first_response = Q(first_responded_at__isnull=True, first_response_due__lt=now) & ~escalated(
        SlaBreach.FIRST_RESPONSE
    )
    resolution = Q(resolution_due__lt=now) & ~escalated(SlaBreach.RESOLUTION)
    return Ticket.objects.filter(Q(status__in=ESCALATED_STATUSES) & (first_response | resolution)).order_by("pk")


# --- The agents' current contacts (the wallboard) -------------------------------------------------


def agents_current_contacts(*, statuses: dict[int, str]) -> dict[int, CurrentContact]:
    """For each agent (user id → their status) in a contact status, the contact behind it, with the
    start of its present phase: a call ringing for them (since it was offered to them), the call
    they are on (since it was answered) or wrapping up (since it ended); the newest when several.
    The contacts are those of the agent state machine (:mod:`interactions.contacts`).

    One query whatever the number of agents (a ``UNION`` of the answered calls and the ringing
    ones, each read by its own index), none when no agent is on a contact.
    """
    ringing = [user_id for user_id, status in statuses.items() if status == Status.RINGING]
    talking = [user_id for user_id, status in statuses.items() if status in (Status.BUSY, Status.WRAP_UP)]
    columns = ("wb_agent", "wb_phase", "wb_queue", "wb_channel", "wb_since")
    parts: list[QuerySet] = []
    if talking:
        parts.append(
            Interaction.objects.filter(
                agent_id__in=talking, answered_at__isnull=False, wrapup_ended_at__isnull=True, cti_call__isnull=False
            )
            .order_by()
            .annotate(
                wb_agent=F("agent_id"),
                wb_phase=Case(
                    When(ended_at__isnull=True, then=Value(Status.BUSY.value)),
                    default=Value(Status.WRAP_UP.value),
                    output_field=CharField(),
                ),
                wb_queue=F("queue__name"),
                wb_channel=F("channel"),
                wb_since=Coalesce("ended_at", "answered_at", output_field=DateTimeField()),
            )
            .values_list(*columns)
        )
    if ringing:
        parts.append(
            CtiCall.objects.filter(
                presence_agent_id__in=ringing, presence_status=Status.RINGING, interaction__isnull=False
            )
            .order_by()
            .annotate(
                wb_agent=F("presence_agent_id"),
                wb_phase=Value(Status.RINGING.value, output_field=CharField()),
                wb_queue=F("interaction__queue__name"),
                wb_channel=F("interaction__channel"),
                wb_since=Coalesce("presence_at", "interaction__offered_at", output_field=DateTimeField()),
            )
            .values_list(*columns)
        )
    if not parts:
        return {}
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    found: dict[int, CurrentContact] = {}
    for agent_id, phase, queue, channel, since in rows:
        wanted = statuses.get(agent_id)
        kept = found.get(agent_id)
        # The contact of the agent's own status first, then the newest.
        rank = (phase == wanted, since)
        if kept is None or rank > (kept.status == wanted, kept.since):
            found[agent_id] = CurrentContact(status=phase, queue=queue or "", channel=channel, since=since)
    return found
