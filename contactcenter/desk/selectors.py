"""Every read the pages make, with its joins, through the access policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from contactcenter.agents.models import AgentProfile
from contactcenter.core.roles import profile_of
from contactcenter.scripts.models import ScriptVersion
from contactcenter.scripts.selectors import call_script
from customers.models import Customer
from customers.selectors import (
    TimelineEntry,
    customer_list,
    customer_open_tickets,
    customer_queryset,
    customer_timeline,
    screen_pop,
)
from interactions.models import Interaction, Ticket

#: The call id of a call played by the simulator (contactcenter/desk/simulation.py) starts so.
SIMULATED_CALL_PREFIX = "sim-"

#: A call answered longer ago than this and never wrapped up is a lost end event, not a current call.
CURRENT_CALL_HOURS = 12


def desk_profile(*, user: AbstractBaseUser) -> AgentProfile | None:
    """The user's agent profile with its team, or ``None`` (a superuser without one): the one the
    request read already for the user's role (:func:`contactcenter.core.roles.profile_of`)."""
    return profile_of(user)


def current_call(*, user: AbstractBaseUser) -> Interaction | None:
    """The interaction the agent is on or wrapping up: answered by them, after-call work not over.

    The newest one when several are (a lost end event). One query.
    """
    since = timezone.now() - timedelta(hours=CURRENT_CALL_HOURS)
    return (
        Interaction.objects.visible_to(user)
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
    to see: the screen pop (:func:`customers.selectors.screen_pop`) with a page of the customer's
    timeline in place of the last interactions, and the call's script
    (:func:`contactcenter.scripts.selectors.call_script`). Nine queries at most, whatever the
    customer's history.
    """
    pop = screen_pop(user=user, interaction_id=interaction_id, history=0)
    if pop is None:
        return None
    timeline: list[TimelineEntry] = []
    if pop.customer is not None:
        timeline = customer_timeline(user=user, customer=pop.customer, limit=CALL_TIMELINE_ENTRIES).entries
    return CallView(
        interaction=pop.interaction,
        caller=pop.caller,
        customer=pop.customer,
        open_tickets=pop.open_tickets,
        timeline=timeline,
        script=call_script(interaction=pop.interaction),
        simulated=bool(pop.call_id and pop.call_id.startswith(SIMULATED_CALL_PREFIX)),
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
