"""Every write on interactions and tickets (STYLE.md: services own writes)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from interactions.models import (
    BusinessHours,
    Holiday,
    Interaction,
    ReferenceCounter,
    SlaPolicy,
    Ticket,
    TicketComment,
)
from interactions.sla import NoBusinessHours, add_business_time

TICKET_REFERENCE_PREFIX = "T-"


def next_reference(name: str) -> int:
    """The next number of counter ``name``; gap-free and safe under concurrency (row lock)."""
    ReferenceCounter.objects.get_or_create(name=name)
    counter = ReferenceCounter.objects.select_for_update().get(name=name)
    counter.value = F("value") + 1
    counter.save(update_fields=["value"])
    counter.refresh_from_db(fields=["value"])
    return counter.value


def ticket_sla_due(*, priority: str, start: datetime) -> tuple[SlaPolicy | None, datetime | None, datetime | None]:
    """The SLA policy of ``priority`` and the first-response and resolution due times from ``start``."""
    policy = SlaPolicy.objects.filter(priority=priority).first()
    if policy is None:
        return None, None, None
    if not policy.business_hours_only:
        return (
            policy,
            start + timedelta(minutes=policy.first_response_minutes),
            start + timedelta(minutes=policy.resolution_minutes),
        )
    windows = list(BusinessHours.objects.values_list("weekday", "opens_at", "closes_at"))
    holidays = set(Holiday.objects.filter(date__gte=start.date()).values_list("date", flat=True))
    try:
        first = add_business_time(start, policy.first_response_minutes, windows=windows, holidays=holidays)
        resolution = add_business_time(start, policy.resolution_minutes, windows=windows, holidays=holidays)
    except NoBusinessHours:
        return policy, None, None
    return policy, first, resolution


@transaction.atomic
def ticket_save_new(*, ticket: Ticket, by: AbstractBaseUser | None = None, now: datetime | None = None) -> Ticket:
    """Give a new ticket its reference and SLA due times, validate it and save it."""
    now = now or timezone.now()
    ticket.reference = f"{TICKET_REFERENCE_PREFIX}{next_reference('ticket'):06d}"
    ticket.sla_policy, ticket.first_response_due, ticket.resolution_due = ticket_sla_due(
        priority=ticket.priority, start=now
    )
    if ticket.team_id is None and ticket.assignee_id is not None:
        profile = getattr(ticket.assignee, "agent_profile", None)
        ticket.team_id = profile.team_id if profile else None
    ticket._history_user = by
    ticket.full_clean(exclude=["reference"])
    ticket.save()
    return ticket


def ticket_create(*, subject: str, by: AbstractBaseUser | None = None, **fields: Any) -> Ticket:
    """Create a ticket with ``subject`` and any other ticket fields (customer, priority, …)."""
    return ticket_save_new(ticket=Ticket(subject=subject, **fields), by=by)


@transaction.atomic
def ticket_save_changes(
    *, ticket: Ticket, changed: set[str], by: AbstractBaseUser | None = None, now: datetime | None = None
) -> Ticket:
    """Save edits to a ticket: raise its version, move the SLA on a priority change, stamp
    resolution and closing times on those statuses."""
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
    ticket.version += 1
    ticket._history_user = by
    ticket.full_clean()
    ticket.save()
    return ticket


@transaction.atomic
def ticket_comment_add(
    *, ticket: Ticket, body: str, public: bool = False, author: AbstractBaseUser | None = None
) -> TicketComment:
    """Add a comment; the first public one is the ticket's first response."""
    comment = TicketComment(ticket=ticket, body=body, public=public, author=author)
    comment.full_clean()
    comment.save()
    if public and ticket.first_responded_at is None:
        ticket.first_responded_at = comment.created_at
        ticket_save_changes(ticket=ticket, changed={"first_responded_at"}, by=author)
    return comment


@transaction.atomic
def interaction_create(*, by: AbstractBaseUser | None = None, **fields: Any) -> Interaction:
    """Validate and store one interaction (any channel, any field of SPEC §3)."""
    interaction = Interaction(**fields)
    interaction._history_user = by
    interaction.full_clean()
    interaction.save()
    return interaction
