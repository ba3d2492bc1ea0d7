"""The interactions phase: runs the simulation of the period (with its progress bar) and writes
the interactions it produced, on every channel, history included.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from contactcenter.demo.result import DemoResult, count
from contactcenter.demo.simulator.center import DEMO_SOURCE, INTERACTION_PREFIX
from contactcenter.demo.simulator.common import DAY, moment, moment_or_none
from contactcenter.demo.simulator.contacts import Simulation, recorded
from contactcenter.demo.simulator.people import Person
from contactcenter.demo.simulator.world import Contact, TicketPlan, World
from contactcenter.demo.writer.bulk import progress_bar, save_rows
from contactcenter.demo.writer.organisation import Center
from customers.models import Customer
from interactions.models import Interaction, Ticket


def run_simulation(
    rng: random.Random, *, center: Center, people: list[Person], now: datetime, days: int, progress: TextIO | None
) -> World:
    """Simulate the ``days`` up to ``now`` in the center's time zone, with the FCR window and the
    dispositions of the settings and the database."""
    end = int(now.timestamp())
    simulation = Simulation(
        rng,
        people=people,
        start=end - days * DAY,
        end=end,
        tz=ZoneInfo(settings.TIME_ZONE),
        fcr_window=settings.FCR_WINDOW_DAYS * DAY,
        resolving=center.resolving,
    )
    with progress_bar(progress, total=len(simulation.arrivals), desc=_("Interactions"), unit=_("contact")) as bar:
        return simulation.run(advance=bar.update)


def save_interactions(
    world: World,
    *,
    center: Center,
    people: list[Person],
    customers: list[Customer],
    tickets: dict[TicketPlan, Ticket],
    result: DemoResult,
    progress: TextIO | None,
) -> list[Interaction]:
    """Write the world's contacts, numbered ``demo-i-000001``… in the order they were offered, and
    count them by channel in ``result``; the interactions in the contacts' order."""
    interactions = [
        _interaction(contact, number, center, people, customers, tickets)
        for number, contact in enumerate(world.contacts, start=1)
    ]
    save_rows(
        Interaction,
        interactions,
        result,
        "interactions",
        progress,
        exclude=("customer", "agent", "queue", "ticket", "disposition", "script_version"),
    )
    for interaction in interactions:
        count(result.by_channel, interaction.channel)
    return interactions


def _interaction(
    contact: Contact,
    number: int,
    center: Center,
    people: list[Person],
    customers: list[Customer],
    tickets: dict[TicketPlan, Ticket],
) -> Interaction:
    customer = customers[contact.person] if contact.person is not None else None
    agent = center.users[contact.agent.username] if contact.agent else None
    disposition = center.dispositions.get(contact.disposition or "")
    offered = moment(contact.offered)
    external_id = f"{INTERACTION_PREFIX}{number:06d}"
    interaction = Interaction(
        channel=contact.channel,
        direction=contact.direction,
        customer=customer,
        agent=agent,
        queue=center.queues.get(contact.queue or ""),
        ticket=tickets[contact.ticket] if contact.ticket else None,
        offered_at=offered,
        answered_at=moment_or_none(contact.answered),
        ended_at=moment_or_none(contact.ended),
        wrapup_ended_at=moment_or_none(contact.wrapup),
        hold_seconds=contact.hold,
        disposition=disposition,
        # The resolved flag is the disposition's: what the agent picked says whether it resolves.
        resolved=bool(disposition and disposition.resolves),
        notes=contact.notes,
        sentiment=contact.sentiment,
        script_version=center.script_version_at(offered) if contact.script else None,
        recording=f"recordings/{offered:%Y/%m/%d}/{external_id}.wav" if recorded(contact, people) else "",
        source=DEMO_SOURCE,
        external_id=external_id,
        created_at=offered,
        updated_at=moment(contact.wrapup or contact.ended or contact.offered),
    )
    interaction._history_user = agent  # type: ignore[attr-defined]
    interaction._history_date = offered  # type: ignore[attr-defined]
    return interaction
