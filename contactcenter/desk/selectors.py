"""Every read the pages make, with its joins, through the access policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from contactcenter import access
from contactcenter.agents.models import AgentProfile
from contactcenter.live.selectors import published_script
from contactcenter.scripts.models import ScriptVersion
from customers.models import Customer
from customers.selectors import (
    SCREEN_POP_OPEN_TICKETS,
    TimelineEntry,
    customer_list,
    customer_queryset,
    customer_timeline,
)
from interactions.cti import caller_number
from interactions.models import OPEN_TICKET_STATUSES, CtiCall, Interaction, Ticket

#: The call id of a call played by the simulator (contactcenter/desk/simulation.py) starts so.
SIMULATED_CALL_PREFIX = "sim-"

#: A call answered longer ago than this and never wrapped up is a lost end event, not a current call.
CURRENT_CALL_HOURS = 12


def desk_profile(*, user: AbstractBaseUser) -> AgentProfile | None:
    """The user's agent profile with its team, or ``None`` (a superuser without one)."""
    return AgentProfile.objects.select_related("team").filter(user=user).first()


def current_call(*, user: AbstractBaseUser) -> Interaction | None:
    """The interaction the agent is on or wrapping up: answered by them, after-call work not over.

    The newest one when several are (a lost end event). One query.
    """
    since = timezone.now() - timedelta(hours=CURRENT_CALL_HOURS)
    return (
        access.interactions_for(user)
        .filter(agent=user, answered_at__isnull=False, wrapup_ended_at__isnull=True, answered_at__gte=since)
        .select_related("queue", "customer", "disposition", "script_version__script", "ticket")
        .order_by("-answered_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class CallView:
    """Everything the call region shows: the contact, the caller, their history, the script."""

    interaction: Interaction
    caller: str | None
    customer: Customer | None
    open_tickets: list[Ticket]
    timeline: list[TimelineEntry]
    script: ScriptVersion | None
    simulated: bool

    @property
    def state(self) -> str:
        """``talking``, ``wrap_up`` or ``done``: where the contact is in its life."""
        if self.interaction.ended_at is None:
            return "talking"
        return "wrap_up" if self.interaction.wrapup_ended_at is None else "done"


#: The call region shows this many timeline entries (the customer panel pages through more).
CALL_TIMELINE_ENTRIES = 15


def call_view(*, user: AbstractBaseUser, interaction_id: int) -> CallView | None:
    """The call region for ``interaction_id`` as ``user`` may see it, ``None`` when it is not theirs
    to see. The script is the one recorded on the interaction, else the queue's published one.
    Nine queries at most, whatever the customer's history.
    """
    interaction = (
        access.interactions_for(user)
        .select_related("queue", "disposition", "script_version__script", "ticket")
        .filter(pk=interaction_id)
        .first()
    )
    if interaction is None:
        return None
    call = CtiCall.objects.filter(interaction_id=interaction.pk).values("caller", "call_id").first()
    customer = None
    open_tickets: list[Ticket] = []
    timeline: list[TimelineEntry] = []
    if interaction.customer_id is not None:
        customer = customer_queryset(user=user).filter(pk=interaction.customer_id, erased_at__isnull=True).first()
    if customer is not None:
        open_tickets = customer_open_tickets(user=user, customer=customer)
        timeline = customer_timeline(user=user, customer=customer, limit=CALL_TIMELINE_ENTRIES).entries
    script = interaction.script_version or published_script(queue_id=interaction.queue_id)
    raw_caller = call["caller"] if call else ""
    return CallView(
        interaction=interaction,
        caller=caller_number(raw_caller) or raw_caller or None,
        customer=customer,
        open_tickets=open_tickets,
        timeline=timeline,
        script=script,
        simulated=bool(call and call["call_id"].startswith(SIMULATED_CALL_PREFIX)),
    )


def customer_open_tickets(*, user: AbstractBaseUser, customer: Customer) -> list[Ticket]:
    """The customer's open tickets ``user`` may see, newest first (one query)."""
    return list(
        access.tickets_for(user)
        .filter(customer=customer, status__in=OPEN_TICKET_STATUSES)
        .select_related("queue", "assignee")
        .order_by("-created_at", "-id")[:SCREEN_POP_OPEN_TICKETS]
    )


@dataclass(frozen=True)
class CustomerView:
    customer: Customer
    open_tickets: list[Ticket]
    timeline: list[TimelineEntry]
    next_cursor: str | None


def customer_view(*, user: AbstractBaseUser, customer_id: int, cursor: str | None = None) -> CustomerView | None:
    """A customer's card, open tickets and a page of their timeline; ``None`` when not visible.
    ``ValidationError`` naming ``cursor`` for a cursor the timeline did not give out."""
    customer = customer_queryset(user=user).filter(pk=customer_id, erased_at__isnull=True).first()
    if customer is None:
        return None
    page = customer_timeline(user=user, customer=customer, cursor=cursor, limit=CALL_TIMELINE_ENTRIES)
    return CustomerView(customer, customer_open_tickets(user=user, customer=customer), page.entries, page.next_cursor)


#: Search results shown in the desktop's search panel.
SEARCH_RESULTS = 10


def customer_quick_search(*, user: AbstractBaseUser, term: str) -> list[Customer]:
    """The first customers matching ``term`` (name, company, email, any phone format), phones and
    emails prefetched; ``ValidationError`` naming ``search`` for a term the search refuses."""
    if not term.strip():
        return []
    return list(customer_list(user=user, search=term)[:SEARCH_RESULTS])
