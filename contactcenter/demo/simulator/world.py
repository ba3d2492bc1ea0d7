"""The simulated state, as plain dataclasses: agents with their shifts, breaks and work, contacts
with their timings and outcome, the issues customers come back about and the tickets opened for
them; :class:`World` holds the whole period once simulated.

Times are whole seconds since the epoch. Classes compared by identity (``eq=False``) are the ones
other values point to.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Break:
    """A break in a shift: planned start, length, reason; ``start`` once taken."""

    planned: int
    seconds: int
    reason: str
    start: int | None = None


@dataclass
class Work:
    """An agent busy with a contact from ``busy_from`` to ``busy_to``, in wrap-up until ``wrap_to``."""

    busy_from: int
    busy_to: int
    wrap_to: int


@dataclass
class Shift:
    """One shift of an agent: login, planned start and end, breaks (``taken`` of them so far), the
    work done in it, and the logout once it is over."""

    login: int
    start: int
    end: int
    breaks: list[Break]
    logout_delay: int = 0
    taken: int = 0
    logout: int | None = None
    work: list[Work] = field(default_factory=list)


@dataclass(eq=False)
class Agent:
    """An agent of the simulation: the queues they take, their shifts (``pos``: the current one)
    and when they are free for the next contact."""

    index: int
    username: str
    team: str
    queues: frozenset[str]
    shifts: list[Shift] = field(default_factory=list)
    pos: int = 0
    free_at: int = 0


@dataclass(eq=False)
class TicketPlan:
    """A ticket opened at ``created`` for the ``person``-th customer; ``resolved_by_contact`` is when
    a later contact resolved the issue, if one did."""

    created: int
    person: int
    agent: Agent | None
    queue: str | None
    disposition: str
    priority: str
    category: str
    resolved_by_contact: int | None = None


@dataclass(eq=False)
class Episode:
    """One customer's issue: the contacts about it and the ticket opened for it, if any."""

    contacts: int = 1
    ticket: TicketPlan | None = None


@dataclass(eq=False)
class Contact:
    """One interaction: offered, answered, ended, wrapped up (``None``: did not happen), hold
    seconds, who handled it, its disposition, sentiment, ticket, whether the agent followed the
    script, and the agent's note. ``person`` indexes the customers; ``None`` is an unknown caller."""

    channel: str
    direction: str
    queue: str | None
    offered: int
    person: int | None
    answered: int | None = None
    ended: int | None = None
    wrapup: int | None = None
    hold: int = 0
    agent: Agent | None = None
    disposition: str | None = None
    sentiment: float | None = None
    ticket: TicketPlan | None = None
    script: bool = False
    notes: str = ""


@dataclass
class World:
    """The simulated period: agents with their shifts and work, contacts, tickets."""

    agents: list[Agent]
    contacts: list[Contact]
    tickets: list[TicketPlan]
