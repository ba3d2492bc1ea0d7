"""Tickets and their life so far: about one a day that no call opened (a letter, a web form) beside
those the contacts opened; then for each one its acknowledgement, waiting on the customer,
resolution and closing, with SLA breaches now and then, its status at the end of the period and
the comments that tell it.

SLA due times depend on the SLA policies and business hours in the database: the tickets writer
looks them up and passes them in.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from contactcenter.demo.simulator.center import BACK, EMAIL, SUPERVISORS
from contactcenter.demo.simulator.common import DAY, HOUR, MINUTE, moment, weighted
from contactcenter.demo.simulator.people import Person
from contactcenter.demo.simulator.texts import CATEGORY_BY_QUEUE, COMMENTS, NOTES, SUBJECTS
from contactcenter.demo.simulator.values import Priority, TicketStatus
from contactcenter.demo.simulator.world import Agent, TicketPlan, World


@dataclass(frozen=True)
class Comment:
    """A ticket comment: when, what, whether the customer sees it, and its author's username."""

    at: int
    body: str
    public: bool
    author: str | None


@dataclass(frozen=True)
class _Timeline:
    """When a ticket is acknowledged, waits on the customer (if it does), is solved and closed;
    some of it may lie after the end of the period."""

    ack: int
    solved: int
    wait_until: int | None
    closed: int


@dataclass
class TicketLife:
    """What became of a planned ticket by the end of the period; people by username, times in
    seconds since the epoch (``None``: not yet)."""

    plan: TicketPlan
    status: str
    subject: str
    description: str
    assignee: str | None
    team: str | None
    author: str | None
    comments: list[Comment]
    first_responded: int | None
    resolved: int | None
    closed: int | None
    #: One version per save the services would have made.
    version: int
    updated: int


def ticket_plans(rng: random.Random, world: World, people: list[Person], end: int) -> list[TicketPlan]:
    """The tickets the contacts opened and the standalone ones, in the order they were opened."""
    plans = list(world.tickets)
    plans.extend(_standalone_tickets(rng, world, people, end))
    plans.sort(key=lambda p: p.created)
    return plans


def _standalone_tickets(rng: random.Random, world: World, people: list[Person], end: int) -> list[TicketPlan]:
    """About one ticket a day that no call opened (a letter, a web form), for the back office."""
    back = [a for a in world.agents if a.team == BACK]
    with_email = [i for i, p in enumerate(people) if p.has_email]
    if not back or not with_email or not world.contacts:
        return []
    start = min(c.offered for c in world.contacts)
    plans = []
    for _n in range(max(1, (end - start) // DAY)):
        at = rng.randrange(start, end)
        plans.append(
            TicketPlan(
                created=at,
                person=rng.choice(with_email),
                agent=rng.choice(back),
                queue=EMAIL,
                disposition="ticket-opened",
                priority=weighted(rng, ((Priority.LOW, 40), (Priority.NORMAL, 60))),
                category=weighted(rng, CATEGORY_BY_QUEUE[EMAIL]),
            )
        )
    return plans


def ticket_life(
    rng: random.Random,
    plan: TicketPlan,
    people: list[Person],
    *,
    first_due: datetime | None,
    resolution_due: datetime | None,
    end: int,
) -> TicketLife:
    """The life of ``plan`` up to ``end``, its first response and resolution due at ``first_due``
    and ``resolution_due`` (``None``: no SLA policy for its priority)."""
    language = "fr" if people[plan.person].customer.language == "fr" else "en"
    timeline = _timeline(rng, plan, first_due, resolution_due)
    status = _status(timeline, end)
    assignee = plan.agent if (status != TicketStatus.NEW or rng.random() < 0.6) else None
    subject = rng.choice(SUBJECTS[plan.category][language])
    description = f"{subject}. {rng.choice(NOTES.get(plan.disposition, NOTES['ticket-opened']))}"
    author = _username(assignee) or _username(plan.agent)
    comments = _comments(rng, plan, timeline, language, author, end)
    changes = _changes(timeline, end)
    return TicketLife(
        plan=plan,
        status=status,
        subject=subject,
        description=description,
        assignee=_username(assignee),
        team=assignee.team if assignee else None,
        author=author,
        comments=comments,
        # The first response is the first public comment (SPEC §5, tickets/{id}/comments/).
        first_responded=min((c.at for c in comments if c.public), default=None),
        resolved=timeline.solved if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) else None,
        closed=timeline.closed if status == TicketStatus.CLOSED else None,
        version=1 + len(changes),
        updated=max([plan.created, *changes, *(c.at for c in comments)]),
    )


def _username(agent: Agent | None) -> str | None:
    return agent.username if agent else None


def _changes(timeline: _Timeline, end: int) -> list[int]:
    """When the services would have saved the ticket again by ``end``: first response and status
    change at the acknowledgement, then each later status change."""
    t = timeline
    return [at for at in (t.ack, t.ack, t.wait_until, t.solved, t.closed) if at is not None and at <= end]


def _timeline(
    rng: random.Random, plan: TicketPlan, first_due: datetime | None, resolution_due: datetime | None
) -> _Timeline:
    """Acknowledged before the first response is due (mostly), solved before the resolution is
    due (mostly) or with the contact that resolved the issue; a quarter wait on the customer
    first; closed two days after being solved."""
    created = moment(plan.created)
    ack = plan.created + _within(rng, first_due, created, 2 * HOUR, 0.85)
    ack = max(ack, plan.created + 2 * MINUTE)
    if plan.resolved_by_contact is not None:
        solved = plan.resolved_by_contact + rng.randint(MINUTE, 15 * MINUTE)
    else:
        solved = plan.created + _within(rng, resolution_due, created, 2 * DAY, 0.8)
    wait_until = None
    if rng.random() < 0.25 and plan.resolved_by_contact is None:
        wait_until = ack + rng.randint(4 * HOUR, 3 * DAY)
        solved = max(solved, wait_until + rng.randint(10 * MINUTE, 8 * HOUR))
    if solved <= ack:
        ack = max(plan.created + MINUTE, solved - rng.randint(MINUTE, 5 * MINUTE))
    closed = solved + 2 * DAY + rng.randint(0, 6 * HOUR)
    return _Timeline(ack=ack, solved=solved, wait_until=wait_until, closed=closed)


def _status(timeline: _Timeline, end: int) -> str:
    """Where the ticket stands at ``end``."""
    if timeline.ack > end:
        return TicketStatus.NEW
    if timeline.wait_until is not None and timeline.wait_until > end:
        return TicketStatus.PENDING
    if timeline.solved > end:
        return TicketStatus.OPEN
    if timeline.closed > end:
        return TicketStatus.RESOLVED
    return TicketStatus.CLOSED


def _comments(
    rng: random.Random, plan: TicketPlan, timeline: _Timeline, language: str, author: str | None, end: int
) -> list[Comment]:
    """The comments of the ticket's life up to ``end``: an internal note when it is opened (and
    the supervisor's when it is escalated), the public acknowledgement or question, the
    customer's reply noted internally, the public answer."""
    comments = [Comment(plan.created + rng.randint(30, 3 * MINUTE), _pick(rng, "opened", "fr"), False, author)]
    if plan.disposition == "escalated" and plan.agent:
        supervisor = SUPERVISORS.get(plan.agent.team) or "manager"
        comments.append(
            Comment(plan.created + rng.randint(10 * MINUTE, HOUR), _pick(rng, "escalated", "fr"), False, supervisor)
        )
    wait_until = timeline.wait_until
    comments.append(Comment(timeline.ack, _pick(rng, "ask" if wait_until else "ack", language), True, author))
    if wait_until is not None:
        comments.append(Comment(wait_until, _pick(rng, "reply", "fr"), False, author))
    comments.append(Comment(timeline.solved, _pick(rng, "solved", language), True, author))
    return [c for c in comments if c.at <= end]


def _within(rng: random.Random, due: datetime | None, start: datetime, fallback: int, on_time: float) -> int:
    """Seconds after ``start`` that something happens: before ``due`` with probability
    ``on_time``, after it otherwise (SLA breaches are part of a realistic demo)."""
    span = int((due - start).total_seconds()) if due else fallback
    span = max(span, 10 * MINUTE)
    share = rng.uniform(0.05, 0.9) if rng.random() < on_time else rng.uniform(1.05, 2.0)
    return int(span * share)


def _pick(rng: random.Random, kind: str, language: str) -> str:
    """A comment of ``kind`` in ``language`` (French when there is none in it)."""
    texts = COMMENTS[kind]
    return rng.choice(texts.get(language) or texts["fr"])
