"""The entry point of ``manage.py demo``: :func:`load_demo` loads the demo center in one
transaction, phase by phase, and only once.

Staff, teams, queues, the call script, the knowledge and training content and the quality
scorecard are looked up and created when missing on every run (the demo evaluations once); the
activity (customers, interactions, tickets, surveys, presence log) only when no demo data is
there, ``--reset`` deleting it first. The activity is drawn by the pure simulator
(``contactcenter.demo.simulator``) from one ``random.Random(seed)``, in a fixed order, and written
by the phases of ``contactcenter.demo.writer``: the same seed and ``now`` give the same data.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import TextIO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contactcenter.demo.content.knowledge import load_knowledge_demo
from contactcenter.demo.content.quality import load_quality_demo
from contactcenter.demo.content.training import load_training_demo
from contactcenter.demo.errors import DemoError
from contactcenter.demo.result import DemoResult
from contactcenter.demo.simulator.center import CUSTOMER_PREFIX, DEMO_SOURCE
from contactcenter.demo.writer.bulk import keep_given_timestamps
from contactcenter.demo.writer.customers import draw_customers, save_customers
from contactcenter.demo.writer.interactions import run_simulation, save_interactions
from contactcenter.demo.writer.organisation import Center, ensure_center
from contactcenter.demo.writer.presence import save_presence
from contactcenter.demo.writer.reset import demo_delete
from contactcenter.demo.writer.routing import ensure_ticket_routing
from contactcenter.demo.writer.surveys import save_surveys
from contactcenter.demo.writer.tickets import save_tickets
from customers.models import ContactPoint, Customer
from interactions.models import Interaction, SurveyResponse, Ticket, TicketComment


def demo_exists() -> bool:
    """Whether demo customers or interactions are in the database."""
    return (
        Customer.objects.filter(external_id__startswith=CUSTOMER_PREFIX).exists()
        or Interaction.objects.filter(source=DEMO_SOURCE).exists()
    )


def load_demo(
    *,
    customers: int = 2000,
    days: int = 30,
    seed: int = 42,
    now: datetime | None = None,
    reset: bool = False,
    progress: TextIO | None = None,
) -> DemoResult:
    """Fill the database with a demo contact center whose activity covers ``days`` up to ``now``.

    Idempotent: staff, teams and queues are created only when missing, and the bulk data only
    when no demo data is there (``reset`` deletes it first). The queues holding tickets get a
    routing that offers them to their agents, when they have none. One transaction: on any error
    nothing is written. ``progress`` is the stream for progress bars (``None``: no bars).
    """
    if customers < 1 or days < 1:
        raise DemoError(_("Ask for at least one customer and one day."))
    now = (now or timezone.now()).replace(microsecond=0)
    rng = random.Random(seed)  # reproducible demo data, not secrets
    with transaction.atomic():
        result = DemoResult(loaded=False, logins=[])
        if reset:
            result.deleted = demo_delete(progress=progress)
        center = ensure_center(now=now, days=days, logins=result.logins, created=result.created)
        load_knowledge_demo(by=center.users["manager"], now=now, created=result.created)
        load_training_demo(by=center.users["manager"], now=now, days=days, created=result.created)
        if not demo_exists():
            _load_activity(
                rng, center, customers=customers, days=days, seed=seed, now=now, result=result, progress=progress
            )
            result.loaded = True
        ensure_ticket_routing(center, created=result.created)
        load_quality_demo(users=center.users, created=result.created)
    return result


def _load_activity(
    rng: random.Random,
    center: Center,
    *,
    customers: int,
    days: int,
    seed: int,
    now: datetime,
    result: DemoResult,
    progress: TextIO | None,
) -> None:
    """Draw the customers, simulate the period, then write it phase by phase. The order of the
    draws is the order of the random numbers: changing it changes the data of every seed."""
    end = int(now.timestamp())
    people = draw_customers(rng, count=customers, now=now, days=days, seed=seed, progress=progress)
    world = run_simulation(rng, center=center, people=people, now=now, days=days, progress=progress)
    with keep_given_timestamps(Customer, ContactPoint, Interaction, Ticket, TicketComment, SurveyResponse):
        rows = save_customers(people, result, progress)
        tickets = save_tickets(
            rng, center=center, people=people, customers=rows, world=world, end=end, result=result, progress=progress
        )
        interactions = save_interactions(
            world, center=center, people=people, customers=rows, tickets=tickets, result=result, progress=progress
        )
        save_surveys(
            rng,
            center=center,
            people=people,
            world=world,
            interactions=interactions,
            end=end,
            result=result,
            progress=progress,
        )
    save_presence(world.agents, center.users, end=end, result=result, progress=progress)
