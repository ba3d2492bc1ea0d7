"""Every read the pages make, with its joins, through the access policy."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, QuerySet
from django.utils import timezone

from contactcenter.agents.models import AgentProfile, Status
from contactcenter.core.choices import Channel
from contactcenter.core.db import relations_carried
from contactcenter.core.roles import profile_of
from contactcenter.scripts.models import ScriptVersion
from contactcenter.scripts.selectors import call_script
from customers.models import Customer
from customers.selectors import (
    SCREEN_POP_RELATIONS,
    TimelineEntry,
    customer_history,
    customer_list,
    customer_open_tickets,
    customer_queryset,
    screen_pop,
    screen_pop_contacts,
    shown_customer,
    with_shown_points,
)
from interactions.models import Interaction, Ticket
from kpis.definitions import KpiScope
from kpis.selectors import KpiRow, kpi_rows

#: The call id of a call played by the simulator (contactcenter/desk/simulation.py) starts so.
SIMULATED_CALL_PREFIX = "sim-"

#: A call answered longer ago than this and never wrapped up is a lost end event, not a current call.
CURRENT_CALL_HOURS = 12


def desk_profile(*, user: AbstractBaseUser) -> AgentProfile | None:
    """The user's agent profile with its team, or ``None`` (a superuser without one): the one the
    request read already for the user's role (:func:`contactcenter.core.roles.profile_of`)."""
    return profile_of(user)


def current_call(*, user: AbstractBaseUser) -> Interaction | None:
    """The interaction the agent is on or wrapping up: answered by them, after-call work not over, not
    a chat.

    The newest one when several are (a lost end event), read as the screen pop reads a contact
    (:func:`customers.selectors.screen_pop_contacts`: what the call region shows of it joined), so
    that :func:`call_view` given it reads nothing more of it. One query.
    """
    return _current_calls(user=user, contacts=screen_pop_contacts(user=user)).first()


def _current_calls(*, user: AbstractBaseUser, contacts: QuerySet[Interaction]) -> QuerySet[Interaction]:
    """Of ``contacts``, the agent's current calls, newest first (see :func:`current_call`)."""
    since = timezone.now() - timedelta(hours=CURRENT_CALL_HOURS)
    # A chat is not a call: it has its own panel (contactcenter/desk/chats.py), several at once.
    return (
        contacts.filter(agent=user, answered_at__isnull=False, wrapup_ended_at__isnull=True, answered_at__gte=since)
        .exclude(channel=Channel.CHAT)
        .order_by("-answered_at", "-pk")
    )


@dataclass(frozen=True)
class CallLine:
    """The call's state line: the contact, and whether the simulator plays it."""

    interaction: Interaction
    simulated: bool

    @property
    def state(self) -> str:
        """``talking``, ``wrap_up`` or ``done``: where the contact is in its life."""
        if self.interaction.ended_at is None:
            return "talking"
        return "wrap_up" if self.interaction.wrapup_ended_at is None else "done"


@dataclass(frozen=True)
class CallView(CallLine):
    """Everything the call region shows: the contact, the caller, their history, the script."""

    caller: str | None
    customer: Customer | None
    open_tickets: list[Ticket]
    timeline: list[TimelineEntry]
    script: ScriptVersion | None
    #: When the hold the call is in now began (``None``: not on hold).
    held_since: datetime | None = None


#: The call region shows this many timeline entries (the customer panel pages through more).
CALL_TIMELINE_ENTRIES = 15


def _is_simulated(call_id: str | None) -> bool:
    return bool(call_id and call_id.startswith(SIMULATED_CALL_PREFIX))


def call_contact(*, user: AbstractBaseUser, interaction_id: int) -> Interaction | None:
    """The contact ``interaction_id`` as ``user`` may see it (``None`` when it is not theirs to
    see), with what the call region shows of it joined, its customer and call included. One query."""
    return screen_pop_contacts(user=user).filter(pk=interaction_id).first()


def call_contact_saved(*, user: AbstractBaseUser, saved: Interaction, read: Interaction) -> Interaction | None:
    """The contact ``read`` by :func:`call_contact` as a service then saved it (``saved``), for the
    call region drawn again after the write: what ``read`` joined of it and the write left alone
    (the same keys) is carried over, nothing is read again. A write that changed whose or which
    queue's contact it is (who may see it) reads it again as :func:`call_contact` does."""
    if (saved.agent_id, saved.queue_id) != (read.agent_id, read.queue_id):
        return call_contact(user=user, interaction_id=saved.pk)
    return relations_carried(saved, read=read, names=SCREEN_POP_RELATIONS)


def call_customer(*, user: AbstractBaseUser, interaction: Interaction) -> Customer | None:
    """The customer of ``interaction`` (read by :func:`call_contact`) as the call region shows it:
    ``None`` for an unknown caller, an erased customer or one ``user`` may not see. No query."""
    return shown_customer(user=user, customer=interaction.customer)


def call_line(*, user: AbstractBaseUser, interaction_id: int) -> CallLine | None:
    """The state line of the call ``interaction_id`` (``None`` when it is not ``user``'s to see).
    One query."""
    interaction = call_contact(user=user, interaction_id=interaction_id)
    if interaction is None:
        return None
    call = getattr(interaction, "cti_call", None)
    return CallLine(interaction=interaction, simulated=_is_simulated(call.call_id if call else None))


def call_view(
    *,
    user: AbstractBaseUser,
    interaction_id: int | None = None,
    interaction: Interaction | None = None,
    history: bool = True,
) -> CallView | None:
    """The call region for ``interaction_id`` as ``user`` may see it, ``None`` when it is not theirs
    to see (or for ``interaction``, read already by :func:`current_call` or :func:`call_contact`):
    the screen pop (:func:`customers.selectors.screen_pop`) with a page of the customer's timeline
    in place of the last interactions, and the call's script
    (:func:`contactcenter.scripts.selectors.call_script`). Five queries at most, whatever the
    customer's history: the contact (its customer and call joined; none when given), the
    customer's contact points, their tickets (open ones and the timeline's at once), the timeline's
    interactions and comments; the script is a published one's (cached) or the contact's own.

    ``history=False`` (the log form: its ticket choice and its script): the open tickets without
    the contact points or the timeline; two queries at most.
    """
    if interaction is None:
        interaction = call_contact(user=user, interaction_id=interaction_id)
        if interaction is None:
            return None
    pop = screen_pop(user=user, interaction=interaction, history=0, tickets=False, contact_points=history)
    customer = pop.customer
    open_tickets: list[Ticket] = []
    timeline: list[TimelineEntry] = []
    if customer is not None:
        if history:
            found = customer_history(user=user, customer=customer, limit=CALL_TIMELINE_ENTRIES)
            open_tickets, timeline = found.open_tickets, found.timeline.entries
        else:
            open_tickets = customer_open_tickets(user=user, customer=customer)
    return CallView(
        interaction=pop.interaction,
        simulated=_is_simulated(pop.call_id),
        caller=pop.caller,
        customer=customer,
        open_tickets=open_tickets,
        timeline=timeline,
        script=call_script(interaction=pop.interaction),
        held_since=pop.held_since,
    )


def call_log_view_saved(
    *, user: AbstractBaseUser, view: CallView, saved: Interaction, tickets_changed: bool
) -> CallView | None:
    """The log form's ``view`` (``history=False``) after a write on its contact: the contact as
    saved (:func:`call_contact_saved`) and its script; the customer's open tickets read again only
    when the write changed them (``tickets_changed``: a follow-up ticket opened) or the customer,
    else kept as read before the write, which changed none. ``None`` when it left ``user``'s sight."""
    contact = call_contact_saved(user=user, saved=saved, read=view.interaction)
    if contact is None:
        return None
    if tickets_changed or contact.customer_id != view.interaction.customer_id:
        return call_view(user=user, interaction=contact, history=False)
    return replace(view, interaction=contact, script=call_script(interaction=contact))


@dataclass(frozen=True)
class CustomerView:
    customer: Customer
    open_tickets: list[Ticket]
    timeline: list[TimelineEntry]
    next_cursor: str | None
    #: Whether the reader is on a call (:func:`current_call`): the card offers to go back to it.
    on_call: bool


def customer_view(*, user: AbstractBaseUser, customer_id: int, cursor: str | None = None) -> CustomerView | None:
    """A customer's card, open tickets and a page of their timeline; ``None`` when not visible.
    ``ValidationError`` naming ``cursor`` for a cursor the timeline did not give out. Five queries:
    the customer, their contact points, their tickets (open ones and the timeline's at once), the
    timeline's interactions, its comments; whether the reader is on a call is asked with the
    customer."""
    on_call = Exists(_current_calls(user=user, contacts=Interaction.objects.visible_to(user)))
    customer = (
        customer_queryset(user=user).filter(pk=customer_id, erased_at__isnull=True).annotate(on_call=on_call).first()
    )
    if customer is None:
        return None
    found = customer_history(user=user, customer=customer, cursor=cursor, limit=CALL_TIMELINE_ENTRIES)
    return CustomerView(
        customer, found.open_tickets, found.timeline.entries, found.timeline.next_cursor, on_call=customer.on_call
    )


#: Search results shown in the desktop's search panel.
SEARCH_RESULTS = 10


def customer_quick_search(*, user: AbstractBaseUser, term: str) -> list[Customer]:
    """The first customers matching ``term`` (name, company, email, any phone format), phones and
    emails prefetched; ``ValidationError`` naming ``search`` for a term the search refuses."""
    if not term.strip():
        return []
    return with_shown_points(list(customer_list(user=user, search=term)[:SEARCH_RESULTS]))


# --- The call bar ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallBar:
    """What the desktop's call bar shows at ``now``: where the agent's current call is (talking, on
    hold, in wrap-up) and since when, and what the agent asked for after it (``profile``'s pending
    state). The page's clocks count from these instants, so a reload shows the same times."""

    now: datetime
    profile: AgentProfile | None
    #: The current call (:func:`current_call`), with its ``queue`` joined; ``None`` without one.
    interaction: Interaction | None
    held_since: datetime | None = None

    @property
    def phase(self) -> str:
        """``idle``, ``ringing`` (no call yet, one is offered), ``talking``, ``on_hold`` or ``wrap_up``."""
        interaction = self.interaction
        if interaction is None:
            return "ringing" if self.profile is not None and self.profile.status == Status.RINGING else "idle"
        if interaction.ended_at is None:
            return "on_hold" if self.held_since is not None else "talking"
        return "wrap_up"

    @property
    def wrapup_limit_seconds(self) -> int | None:
        queue = self.interaction.queue if self.interaction is not None and self.interaction.queue_id else None
        return queue.wrapup_limit_seconds if queue is not None else None

    @property
    def wrapup_ends_at(self) -> datetime | None:
        """When the queue's wrap-up limit ends the wrap-up (the ``wrapup_limit`` job sets
        ``wrapup_ended_at`` to it); ``None`` outside wrap-up or without a limit."""
        if self.phase != "wrap_up" or self.wrapup_limit_seconds is None:
            return None
        return self.interaction.ended_at + timedelta(seconds=self.wrapup_limit_seconds)

    @property
    def talk_seconds(self) -> float | None:
        """Seconds since the answer, while the call is on (hold included)."""
        if self.phase not in ("talking", "on_hold"):
            return None
        return (self.now - self.interaction.answered_at).total_seconds()

    @property
    def hold_seconds(self) -> float | None:
        """Seconds since the current hold began."""
        return (self.now - self.held_since).total_seconds() if self.phase == "on_hold" else None

    @property
    def wrapup_seconds(self) -> float | None:
        """In wrap-up: the seconds left until the limit, or, without a limit, the seconds since the end."""
        if self.phase != "wrap_up":
            return None
        if self.wrapup_ends_at is not None:
            return max((self.wrapup_ends_at - self.now).total_seconds(), 0.0)
        return (self.now - self.interaction.ended_at).total_seconds()


def call_bar(*, user: AbstractBaseUser, now: datetime | None = None) -> CallBar:
    """The call bar of ``user`` at ``now``: their current call (:func:`current_call`) and, while it
    is on, whether it is on hold (its CTI call's ``held_since``, joined by :func:`current_call`). One query."""
    interaction = current_call(user=user)
    held_since = None
    if interaction is not None and interaction.ended_at is None:
        call = getattr(interaction, "cti_call", None)
        held_since = call.held_since if call is not None else None
    return CallBar(
        now=now or timezone.now(), profile=desk_profile(user=user), interaction=interaction, held_since=held_since
    )


def call_bar_of(*, user: AbstractBaseUser, view: CallView | None, now: datetime | None = None) -> CallBar:
    """:func:`call_bar` from the call region the page has read already (``view``; ``None``: no
    current call). No query."""
    return CallBar(
        now=now or timezone.now(),
        profile=desk_profile(user=user),
        interaction=view.interaction if view is not None else None,
        held_since=view.held_since if view is not None else None,
    )


def my_figures_today(*, user: AbstractBaseUser, now: datetime | None = None) -> KpiRow:
    """``user``'s own KPIs for today (the local day of ``now`` in ``TIME_ZONE``): the KPI engine's
    row (:func:`kpis.selectors.kpi_rows`, the reports' formulas) over the interactions they
    handled, occupancy left out. Five queries, whatever the number of calls."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return kpi_rows(
        scope=KpiScope(user_id=user.pk), start=today, end=today + timedelta(days=1), now=now, occupancy=False
    )[0]
