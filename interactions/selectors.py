"""Every read of interactions and tickets that the API and the commands share, with its joins
(STYLE.md: selectors own reads). Who sees what is ``contactcenter.core.access``."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from interactions.models import Interaction, SlaBreach, Ticket, TicketComment, TicketEscalation, TicketStatus
from interactions.querysets import overdue_q

#: Statuses whose SLA clock runs: a pending ticket waits on the customer and is not escalated.
ESCALATED_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN)


def interaction_list(*, user: AbstractBaseUser) -> QuerySet:
    """The interactions ``user`` may see, newest first (``-offered_at, -id``: the cursor order),
    with what their API shape names (agent, queue, disposition) joined in the same query."""
    return (
        Interaction.objects.visible_to(user)
        .select_related("agent", "queue", "disposition")
        .order_by("-offered_at", "-id")
    )


def ticket_list(*, user: AbstractBaseUser) -> QuerySet[Ticket]:
    """The tickets ``user`` may see, newest first, with category, queue and assignee joined."""
    return (
        Ticket.objects.visible_to(user).select_related("category", "queue", "assignee").order_by("-created_at", "-id")
    )


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
