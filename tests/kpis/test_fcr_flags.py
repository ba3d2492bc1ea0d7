"""The FCR repeat flags kept by the database (``Interaction.fcr_repeated``, kpis/migrations/0005;
docs/kpis.md "How FCR is counted") against the definition, after random sequences of writes of
every kind: contacts arriving out of order, a later repeat arriving, a repeat deleted, an abandon
becoming short when its end arrives, a customer changed, a contact moved to another day, a flag
written by a stale save, bulk updates and raw SQL. The rollup's FCR of days whose window is still
open stays final and exact (the flags move its counts), and the engine's figures equal those of the
definition (one probe per contact). Runs on SQLite and on PostgreSQL (``DATABASE_URL``)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from importlib import import_module
from types import SimpleNamespace
from unittest import mock

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection
from django.db.models import Exists, Sum
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from interactions.models import Interaction
from kpis import rollups
from kpis.definitions import GROUPS, KpiFilters, KpiScope, fcr_contacts_q, period_bounds, repeat_contacts
from kpis.models import FcrFlags, KpiDailyCount, KpiDailyQueueCount, KpiDay
from kpis.selectors import kpi_rows
from tests.agents.factories import AgentProfileFactory
from tests.customers.factories import CustomerFactory
from tests.hypothesis_profiles import examples
from tests.kpis.kpi_data import at, contact

pytestmark = pytest.mark.django_db

EVERYTHING = KpiScope(everything=True)
#: Around the spring clock change (29 March 2026 in Paris); windows run into April.
START, END = date(2026, 3, 20), date(2026, 4, 3)
NOW = at(2, 15, month=4)  # days up to 1 April are over; their FCR windows mostly are not
MICRO = timedelta(microseconds=1)
WEEK = timedelta(days=7)


@pytest.fixture(autouse=True)
def _paris(settings, db):
    settings.TIME_ZONE = "Europe/Paris"
    settings.SHORT_ABANDON_SECONDS = 5
    settings.FCR_WINDOW_DAYS = 7
    # The row the migration made is gone after a test that flushed the tables (a transactional
    # test earlier in this process): put it back as ``kpis_rollup`` would, ready.
    rollups.flags_sync()


def wrong_flags() -> list[tuple[int, bool, bool]]:
    """``(id, flag, truth)`` of every interaction whose flag is not the definition's."""
    truth = fcr_contacts_q() & Exists(repeat_contacts())
    wrong = []
    for pk, flag, expected in Interaction.objects.annotate(expected=truth).values_list(
        "pk", "fcr_repeated", "expected"
    ):
        if bool(flag) != bool(expected):
            wrong.append((pk, flag, expected))
    return wrong


def fcr_rows(group_by=None, *, flags=True, plan=True) -> list[tuple]:
    """``(key, fcr_contacts, fcr_repeats)`` of the report: through the rollup and the flags, or
    (``flags`` and ``plan`` off) raw by the semi-join of the definition."""
    patches = []
    if not flags:
        patches.append(mock.patch.object(rollups, "flags_usable", return_value=False))
    if not plan:
        patches.append(mock.patch.object(rollups, "rollup_plan", rollups.all_raw))
    for patch in patches:
        patch.start()
    try:
        report = kpi_rows(scope=EVERYTHING, start=START, end=END, group_by=group_by, filters=KpiFilters(), now=NOW)
    finally:
        for patch in patches:
            patch.stop()
    return [(row.key, row.fcr_contacts, row.fcr_repeats) for row in report]


def assert_exact() -> None:
    assert wrong_flags() == []
    for group_by in (None, *GROUPS):
        by_definition = fcr_rows(group_by, flags=False, plan=False)
        assert fcr_rows(group_by) == by_definition, group_by
        assert fcr_rows(group_by, plan=False) == by_definition, group_by


# --- By hand ---------------------------------------------------------------------------------------


def test_a_repeat_flags_the_contacts_of_the_window_before_it_and_only_them(org):
    alice = CustomerFactory()
    a = org.agent_a
    first = contact(at(20, 10), agent=a, customer=alice, wait=5, talk=60)
    second = contact(at(22, 10), agent=a, customer=alice, wait=5, talk=60)
    assert Interaction.objects.get(pk=first.pk).fcr_repeated
    assert not Interaction.objects.get(pk=second.pk).fcr_repeated

    # Exactly 7 days later counts; a microsecond more does not.
    contact(second.offered_at + WEEK, customer=alice, ended_after=60)
    contact(first.offered_at + WEEK + MICRO, customer=alice, ended_after=60, direction="outbound")
    assert Interaction.objects.get(pk=second.pk).fcr_repeated
    assert_exact()


def test_a_repeat_after_the_fill_moves_the_filled_days_counts_per_agent_and_per_queue(org):
    """A filled day's FCR stays final when a repeat arrives later: the triggers move its repeats in
    the rollup per agent and in the rollup per queue, which the reports over the whole center read
    (by queue, by channel, by period, in one row), and the rows per queue stay the sums of the rows
    per agent."""
    alice, bob = CustomerFactory(), CustomerFactory()
    contact(at(20, 10), agent=org.agent_a, queue=org.queue_a, customer=alice, wait=5, talk=60)
    contact(at(20, 11), agent=org.agent_b, queue=org.queue_a, customer=bob, wait=5, talk=60)
    rollups.rollup_fill(since=START, now=NOW)
    day = KpiDay.objects.get(day=date(2026, 3, 20))
    assert day.counts_final and day.fcr_final
    assert fcr_rows("queue") == [(org.queue_a.name, 2, 0)]

    contact(at(23, 9), queue=org.queue_a, customer=alice, ended_after=60)  # a repeat of alice's call of the 20th
    contact(at(24, 9), agent=org.agent_b, queue=org.queue_a, customer=bob, wait=3, talk=20)  # and of bob's
    assert KpiDay.objects.get(day=date(2026, 3, 20)).fcr_final  # still final: its counts moved
    for group_by in (None, "queue", "channel", "day"):
        assert fcr_rows(group_by)[:1] == fcr_rows(group_by, flags=False, plan=False)[:1], group_by
    assert fcr_rows("queue")[0][2] == 2
    per_agent = KpiDailyCount.objects.values("day", "queue_id", "channel").annotate(
        **{column: Sum(column) for column in rollups.COUNT_COLUMNS + rollups.FCR_COLUMNS}
    )
    per_queue = KpiDailyQueueCount.objects.values(
        "day", "queue_id", "channel", *rollups.COUNT_COLUMNS, *rollups.FCR_COLUMNS
    )
    assert sorted(per_queue, key=str) == sorted(per_agent, key=str)
    assert_exact()


def test_an_abandon_that_turns_short_when_its_end_arrives_stops_being_a_repeat(org):
    bob = CustomerFactory()
    handled = contact(at(24, 9), agent=org.agent_b, customer=bob, wait=3, talk=30)
    call = contact(at(25, 9), customer=bob)  # still ringing: counts as a repeat
    assert Interaction.objects.get(pk=handled.pk).fcr_repeated

    call.ended_at = call.offered_at + timedelta(seconds=4.999999)  # a short abandon
    call.save()
    assert not Interaction.objects.get(pk=handled.pk).fcr_repeated
    Interaction.objects.filter(pk=call.pk).update(ended_at=call.offered_at + timedelta(seconds=5))  # not short
    assert Interaction.objects.get(pk=handled.pk).fcr_repeated
    assert_exact()


def test_a_flag_written_by_a_stale_copy_is_put_back(org):
    carol = CustomerFactory()
    handled = contact(at(26, 9), agent=org.agent_a, customer=carol, wait=3, talk=30)
    stale = Interaction.objects.get(pk=handled.pk)
    contact(at(27, 9), customer=carol, ended_after=60)  # flags the first one
    stale.notes = "Called about the invoice."
    stale.save()  # every column, the flag (False) among them
    assert Interaction.objects.get(pk=handled.pk).fcr_repeated
    Interaction.objects.filter(pk=handled.pk).update(fcr_repeated=False)
    assert Interaction.objects.get(pk=handled.pk).fcr_repeated
    assert_exact()


def test_raw_sql_customer_changes_and_moves_keep_the_flags(org):
    dave, erin = CustomerFactory(), CustomerFactory()
    first = contact(at(28, 23, 30), agent=org.agent_a, customer=dave, wait=3, talk=30)
    later = contact(at(30, 8), customer=dave, ended_after=60, channel="ivr")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE interactions_interaction SET customer_id = %s WHERE id = %s", [erin.pk, later.pk])
    assert not Interaction.objects.get(pk=first.pk).fcr_repeated
    Interaction.objects.filter(pk=later.pk).update(customer=dave, offered_at=first.offered_at - timedelta(hours=1))
    assert not Interaction.objects.get(pk=first.pk).fcr_repeated  # before it now: not a repeat of it
    assert_exact()
    Interaction.objects.filter(pk=first.pk).update(offered_at=at(25, 8), answered_at=at(25, 8, 1), ended_at=at(25, 9))
    assert Interaction.objects.get(pk=first.pk).fcr_repeated  # moved three days back: the IVR call follows it
    assert_exact()


def test_a_change_of_settings_is_recomputed_by_the_rollup_command(org, settings, capsys):
    frank = CustomerFactory()
    first = contact(at(20, 9), agent=org.agent_a, customer=frank, wait=3, talk=30)
    contact(at(24, 9), customer=frank, ended_after=60)
    assert Interaction.objects.get(pk=first.pk).fcr_repeated

    settings.FCR_WINDOW_DAYS = 3
    assert not rollups.flags_usable()  # the engine falls back to the semi-join, exact
    assert_exact_semijoin = fcr_rows(flags=False, plan=False)
    assert fcr_rows() == assert_exact_semijoin
    call_command("kpis_rollup", verbosity=0)
    assert "FCR repeat flags recomputed for the current settings: 1 changed." in capsys.readouterr().out
    state = FcrFlags.objects.get()
    assert (state.window_days, state.ready) == (3, True)
    assert rollups.flags_usable()
    assert not Interaction.objects.get(pk=first.pk).fcr_repeated
    contact(at(20, 12), customer=frank, ended_after=60)  # the triggers use the new window at once
    assert Interaction.objects.get(pk=first.pk).fcr_repeated
    assert_exact()


# --- A property: random writes ---------------------------------------------------------------------

_lower = period_bounds(START, END)[0]
#: Offer instants on a grid of days and hours, and a microsecond either side of some of them, so
#: that window edges (exactly 7 days) are hit often.
_instant = st.tuples(st.integers(0, 12), st.sampled_from([0, 6, 12, 23]), st.sampled_from([0, 0, 1, -1])).map(
    lambda parts: _lower + timedelta(days=parts[0], hours=parts[1], microseconds=parts[2])
)
_insert = st.tuples(
    st.just("insert"),
    _instant,
    st.integers(0, 2),  # customer (2: none)
    st.sampled_from(["answered", "answered", "abandoned", "short", "waiting"]),
    st.sampled_from(["inbound", "inbound", "outbound"]),
    st.sampled_from(["voice", "chat", "ivr"]),
    st.sampled_from(["agent_a", "agent_b"]),
)
_change = st.tuples(
    st.sampled_from(["delete", "end_short", "end_long", "answer", "customer", "move", "move_far", "stale", "sql"]),
    st.integers(0, 30),  # which interaction (modulo those there)
    st.integers(0, 2),
    _instant,
)


def _apply(operation, org, customers) -> None:
    kind = operation[0]
    if kind == "insert":
        _kind, offered, customer, outcome, direction, channel, agent = operation
        contact(
            offered,
            agent=getattr(org, agent) if outcome == "answered" else None,
            queue=org.queue_a,
            customer=customers[customer],
            wait=4 if outcome == "answered" else None,
            talk=30 if outcome == "answered" else None,
            ended_after={"abandoned": 30, "short": 4.999999}.get(outcome),
            channel=channel,
            direction=direction,
        )
        return
    ids = list(Interaction.objects.order_by("pk").values_list("pk", flat=True))
    if not ids:
        return
    _kind, index, customer, instant = operation
    pk = ids[index % len(ids)]
    rows = Interaction.objects.filter(pk=pk)
    one = rows.get()
    if kind == "delete":
        one.delete()
    elif kind in ("end_short", "end_long") and one.answered_at is None:
        one.ended_at = one.offered_at + timedelta(seconds=4.999999 if kind == "end_short" else 5)
        one.save()
    elif kind == "answer" and one.answered_at is None and (one.ended_at is None):
        one.answered_at, one.agent = one.offered_at + timedelta(seconds=3), org.agent_b
        one.save()
    elif kind == "customer":
        rows.update(customer=customers[customer])
    elif kind in ("move", "move_far"):
        shift = instant - one.offered_at if kind == "move_far" else timedelta(days=1, microseconds=customer - 1)
        rows.update(
            offered_at=one.offered_at + shift,
            answered_at=one.answered_at + shift if one.answered_at else None,
            ended_at=one.ended_at + shift if one.ended_at else None,
        )
    elif kind == "stale":
        one.fcr_repeated = not one.fcr_repeated
        one.save()
    elif kind == "sql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE interactions_interaction SET direction = %s WHERE id = %s",
                ["outbound" if one.direction == "inbound" else "inbound", pk],
            )


@hypothesis_settings(
    max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    before=st.lists(_insert, max_size=10),
    writes=st.lists(st.one_of(_insert, _change), max_size=14),
)
def test_flags_and_reports_stay_exact_under_random_writes(org, before, writes):
    Interaction.objects.all().delete()
    KpiDay.objects.all().delete()
    KpiDailyCount.objects.all().delete()
    KpiDailyQueueCount.objects.all().delete()
    customers = [CustomerFactory(), CustomerFactory(), None]
    for operation in before:
        _apply(operation, org, customers)
    rollups.rollup_fill(since=START, now=NOW)  # every day but today filled, FCR included
    for operation in writes:
        _apply(operation, org, customers)
        assert wrong_flags() == []
    assert_exact()


# --- Rows written with the triggers off: the set-based recompute ----------------------------------


def _random_inserts(seed: int, count: int, customers: int) -> list[tuple]:
    """``count`` insert operations drawn deterministically, on the grid of :data:`_instant`, for
    customer indexes up to ``customers`` (that one: no customer)."""
    rng = random.Random(seed)
    return [
        (
            "insert",
            _lower
            + timedelta(days=rng.randint(0, 12), hours=rng.choice([0, 6, 12, 23]), microseconds=rng.choice([0, 1, -1])),
            rng.randint(0, customers),
            rng.choice(["answered", "answered", "abandoned", "short", "waiting"]),
            rng.choice(["inbound", "inbound", "outbound"]),
            rng.choice(["voice", "chat", "ivr"]),
            rng.choice(["agent_a", "agent_b"]),
        )
        for _ in range(count)
    ]


def _migration_fill() -> None:
    migration = import_module("kpis.migrations.0005_fcr_repeat_flags")
    migration.fill_flags(django_apps, SimpleNamespace(connection=connection))


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers switched off: PostgreSQL (DATABASE_URL)")
@pytest.mark.parametrize("recompute", ["at_once", "batches", "migration"])
def test_rows_loaded_with_the_triggers_off_get_their_flags_from_the_recompute(org, monkeypatch, recompute):
    """As a bulk load does (``session_replication_role = replica``: no trigger): every row keeps
    the flag it was written with, here false, or true for every other row, whatever the definition
    says, while ``FcrFlags`` still says ready. The set-based recompute (all at once, by batches of
    customers, or the migration's fill) gives each flag the definition's value."""
    customers = [*(CustomerFactory() for _ in range(5)), None]
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            for operation in _random_inserts(11, 200, len(customers) - 1):
                _apply(operation, org, customers)
            cursor.execute("UPDATE interactions_interaction SET fcr_repeated = (id % 2 = 0)")
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
    wrong = wrong_flags()
    assert len(wrong) > 20  # both ways: flags missing and flags wrongly set
    assert {flag for _pk, flag, _truth in wrong} == {True, False}

    if recompute == "migration":
        _migration_fill()
    else:
        monkeypatch.setattr(rollups, "FLAGS_BATCH", 7)  # several batches of customers
        batches = []
        changed = rollups.flags_sync(
            force=True, at_once=recompute == "at_once", progress=lambda starts, total: batches.append(total) or starts
        )
        assert changed == len(wrong)
        assert batches[0] == 1 if recompute == "at_once" else batches[0] > 1
    assert wrong_flags() == []
    assert FcrFlags.objects.get().ready
    assert_exact()


@pytest.mark.django_db(transaction=True)
def test_after_a_flush_the_flags_row_is_back_and_the_triggers_keep_flagging():
    call_command("flush", interactive=False, verbosity=0)  # every table emptied, the flags' row too
    assert rollups.flags_usable()
    agent = AgentProfileFactory(user__username="agent_flush").user
    bob = CustomerFactory()
    first = contact(at(20, 10), agent=agent, customer=bob, wait=5, talk=60)
    contact(at(22, 10), agent=agent, customer=bob, wait=5, talk=60)
    assert Interaction.objects.get(pk=first.pk).fcr_repeated
