"""The tickets phase: the simulator's tickets with their life so far become ``Ticket`` rows (a
reference from the services' counter, SLA due times from the services' policies) and
``TicketComment`` rows, history included for the tickets.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import TextIO

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from contactcenter.demo.result import DemoResult
from contactcenter.demo.simulator.common import moment, moment_or_none
from contactcenter.demo.simulator.people import Person
from contactcenter.demo.simulator.tickets import TicketLife, ticket_life, ticket_plans
from contactcenter.demo.simulator.world import TicketPlan, World
from contactcenter.demo.writer.bulk import progress_bar, save_rows
from contactcenter.demo.writer.organisation import Center
from customers.models import Customer
from interactions.models import SlaPolicy, Ticket, TicketComment
from interactions.services import TICKET_REFERENCE_PREFIX, next_reference, ticket_sla_due


def save_tickets(
    rng: random.Random,
    *,
    center: Center,
    people: list[Person],
    customers: list[Customer],
    world: World,
    end: int,
    result: DemoResult,
    progress: TextIO | None,
) -> dict[TicketPlan, Ticket]:
    """Write the tickets of the period and their comments, numbered in the order they were
    opened; the ticket row of each plan."""
    tickets: dict[TicketPlan, Ticket] = {}
    comments: list[TicketComment] = []
    plans = ticket_plans(rng, world, people, end)
    with progress_bar(progress, total=len(plans), desc=_("Tickets"), unit=_("ticket")) as bar:
        for plan in plans:
            policy, first_due, resolution_due = ticket_sla_due(priority=plan.priority, start=moment(plan.created))
            life = ticket_life(rng, plan, people, first_due=first_due, resolution_due=resolution_due, end=end)
            ticket = _ticket(life, center, customers[plan.person], policy, first_due, resolution_due)
            comments.extend(
                TicketComment(
                    ticket=ticket,
                    author=_user(center, comment.author),
                    body=comment.body,
                    public=comment.public,
                    created_at=moment(comment.at),
                )
                for comment in life.comments
            )
            tickets[plan] = ticket
            bar.update(1)
    ticket_links = ("customer", "category", "queue", "team", "assignee", "sla_policy")
    save_rows(Ticket, list(tickets.values()), result, "tickets", progress, exclude=ticket_links)
    save_rows(TicketComment, comments, result, "comments", progress, exclude=("ticket", "author"), history=False)
    return tickets


def _ticket(
    life: TicketLife,
    center: Center,
    customer: Customer,
    policy: SlaPolicy | None,
    first_due: datetime | None,
    resolution_due: datetime | None,
) -> Ticket:
    plan = life.plan
    created = moment(plan.created)
    ticket = Ticket(
        reference=f"{TICKET_REFERENCE_PREFIX}{next_reference('ticket'):06d}",
        subject=life.subject,
        description=life.description,
        customer=customer,
        status=life.status,
        priority=plan.priority,
        category=center.categories.get(plan.category),
        queue=center.queues.get(plan.queue or ""),
        team=center.teams[life.team] if life.team else None,
        assignee=_user(center, life.assignee),
        sla_policy=policy,
        first_response_due=first_due,
        resolution_due=resolution_due,
        first_responded_at=moment_or_none(life.first_responded),
        resolved_at=moment_or_none(life.resolved),
        closed_at=moment_or_none(life.closed),
        version=life.version,
        created_at=created,
        updated_at=moment(life.updated),
    )
    ticket._history_user = _user(center, life.author)  # type: ignore[attr-defined]
    ticket._history_date = created  # type: ignore[attr-defined]
    return ticket


def _user(center: Center, username: str | None) -> AbstractBaseUser | None:
    return center.users[username] if username else None
