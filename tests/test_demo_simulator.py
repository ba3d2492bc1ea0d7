"""The demo's pure simulator, run without a database (pytest-django refuses any query in these
tests): the same seed gives the same center, another seed another one, and the simulated values
hold together."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from contactcenter.demo.simulator.common import DAY
from contactcenter.demo.simulator.contacts import simulate
from contactcenter.demo.simulator.people import generate_customers
from contactcenter.demo.simulator.presence import presence_spans
from contactcenter.demo.simulator.surveys import survey_answers
from contactcenter.demo.simulator.tickets import ticket_life, ticket_plans
from contactcenter.demo.simulator.values import Channel

END = int(datetime(2026, 11, 18, 17, 30, tzinfo=UTC).timestamp())  # a Wednesday evening in Paris
RESOLVING = frozenset({"resolved", "information-given", "sale"})


def run(seed: int, *, customers: int = 60, days: int = 3) -> dict:
    """Everything the simulator draws for a small center, in the writer's order."""
    rng = random.Random(seed)
    start = END - days * DAY
    people = generate_customers(rng, count=customers, start=datetime.fromtimestamp(start, UTC), seed=seed)
    world = simulate(
        rng, people=people, start=start, end=END, tz=ZoneInfo("Europe/Paris"), fcr_window=7 * DAY, resolving=RESOLVING
    )
    lives = [
        ticket_life(rng, plan, people, first_due=None, resolution_due=None, end=END)
        for plan in ticket_plans(rng, world, people, END)
    ]
    answers = survey_answers(rng, world.contacts, people, resolving=RESOLVING, end=END)
    return {
        "people": people,
        "world": world,
        "lives": lives,
        "answers": answers,
        "spans": presence_spans(world.agents, end=END),
    }


def summary(result: dict) -> tuple:
    contacts = [
        (c.channel, c.direction, c.queue, c.offered, c.person, c.answered, c.ended, c.wrapup, c.hold, c.disposition)
        for c in result["world"].contacts
    ]
    outcomes = [
        (c.agent.username if c.agent else None, c.sentiment, c.script, c.notes) for c in result["world"].contacts
    ]
    lives = [(life.plan.created, life.status, life.subject, life.assignee, life.comments) for life in result["lives"]]
    return (result["people"], contacts, outcomes, lives, result["answers"], result["spans"])


def test_the_same_seed_gives_the_same_center_and_another_seed_another():
    first = summary(run(3))

    assert summary(run(3)) == first
    assert summary(run(4)) != first


def test_contacts_agents_and_presence_hold_together():
    result = run(5)
    contacts = result["world"].contacts

    assert {c.channel for c in contacts} == {"voice", "email", "chat", "sms", "social", "ivr"}
    assert [c.offered for c in contacts] == sorted(c.offered for c in contacts)
    for contact in contacts:
        assert contact.offered <= END
        if contact.answered is not None:
            assert contact.offered <= contact.answered <= contact.ended <= END
        if contact.wrapup is not None:
            assert contact.ended < contact.wrapup <= END
        if contact.channel == Channel.IVR:
            assert contact.agent is None
    for agent in result["world"].agents:
        work = sorted((w.busy_from, w.wrap_to) for shift in agent.shifts for w in shift.work)
        assert all(before[1] <= after[0] for before, after in itertools.pairwise(work)), agent.username
    by_agent = itertools.groupby(result["spans"], key=lambda span: span.username)
    for username, spans in by_agent:
        spans = list(spans)
        assert all(span.start < span.end <= END for span in spans), username
        assert all(before.end <= after.start for before, after in itertools.pairwise(spans)), username
    assert result["lives"] and result["answers"]
