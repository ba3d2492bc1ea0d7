"""The wallboard's queue counters kept at write time (``kpis.KpiQueueCount``, kpis/migrations/0006;
docs/kpis.md "Queue counters kept at write time") against the grouped count of the interactions,
after random sequences of writes of every kind: contacts arriving, an answer arriving (at the
threshold to the microsecond, or after it), an end arriving (an abandon, or a short one to the
microsecond), wrap-up ending, a queue changed, a contact moved across midnight or a quarter hour,
an agent taken off, a direction changed by raw SQL, a contact deleted. ``queue_stats`` answers from
the counters in one query and equals its answer from the interactions. Also: a queue's threshold
changed (saved, or by a bulk update), the short-abandon setting changed, rows loaded with the
triggers off and writes to the table partitioned by month (PostgreSQL), a flush. Runs on SQLite and on
PostgreSQL (``DATABASE_URL``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from contactcenter.agents.models import Queue
from contactcenter.live.selectors import local_day_bounds, queue_stats
from interactions import partitions
from interactions.models import Interaction
from kpis import queue_counts
from kpis.models import KpiQueueCount, QueueCountState
from tests.hypothesis_profiles import examples
from tests.kpis.kpi_data import at, contact

pytestmark = pytest.mark.django_db

#: 29 March 2026: Paris moves to summer time (a day of 23 hours); the afternoon.
NOW = at(29, 15)
MICRO = timedelta(microseconds=1)
FIGURES = ("offered", "handled", "abandoned", "service_level", "abandonment_rate", "waiting", "longest_wait")


@pytest.fixture(autouse=True)
def _paris(settings):
    settings.TIME_ZONE = "Europe/Paris"
    settings.SHORT_ABANDON_SECONDS = 5


@pytest.fixture
def queues(org):
    """Queue A (threshold 20 s) and queue B (10 s), counters ready and empty."""
    Queue.objects.filter(pk=org.queue_b.pk).update(service_level_seconds=10)
    queue_counts.counters_sync(force=True)
    return org.queue_a, Queue.objects.get(pk=org.queue_b.pk)


def counter_rows() -> dict[tuple[int, int], tuple]:
    """``(queue, quarter) → (threshold, counts…)`` of every counter row that counts something."""
    return {
        (row.queue_id, row.quarter): (row.service_level_seconds, *(getattr(row, c) for c in queue_counts.COUNTED))
        for row in KpiQueueCount.objects.all()
        if any(getattr(row, c) for c in queue_counts.COUNTED)
    }


def figures(now: datetime, *, counters: bool) -> list[tuple]:
    """The wallboard's figures at ``now``: from the counters (one query) or from the interactions."""
    if counters:
        with CaptureQueriesContext(connection) as queries:
            rows = queue_stats(now=now)
        assert len(queries.captured_queries) == 1, [q["sql"] for q in queries.captured_queries]
    else:
        with transaction.atomic():
            QueueCountState.objects.filter(pk=1).update(ready=False)
            rows = queue_stats(now=now)
            transaction.set_rollback(True)
    return [(row["queue"], *(row[name] for name in FIGURES)) for row in rows]


def assert_exact() -> None:
    """The counters are those a rebuild from the interactions writes, and the wallboard's figures of
    yesterday, today and tomorrow from them equal those from the interactions."""
    kept = counter_rows()
    with transaction.atomic():
        queue_counts.counters_sync(force=True)
        rebuilt = counter_rows()
        transaction.set_rollback(True)
    assert kept == rebuilt
    for now in (NOW - timedelta(days=1), NOW, NOW + timedelta(days=1)):
        assert figures(now, counters=True) == figures(now, counters=False), now


# --- By hand ---------------------------------------------------------------------------------------


def test_a_days_figures_come_from_the_counters_and_follow_every_write(org, queues):
    queue_a, queue_b = queues
    start, _end = local_day_bounds(NOW)
    answered = contact(start + timedelta(hours=3), queue=queue_a)
    answered.answered_at = answered.offered_at + timedelta(seconds=20)  # exactly at the threshold
    answered.agent = org.agent_a
    answered.save()
    waiting = contact(NOW - timedelta(minutes=3), queue=queue_b)
    before_midnight = contact(start - MICRO, queue=queue_a, ended_after=30)  # yesterday's abandon
    assert figures(NOW, counters=True)[0][1:5] == (1, 1, 0, 1.0)
    waiting.ended_at = waiting.offered_at + timedelta(seconds=4.999999)  # a short abandon: not offered
    waiting.save()
    before_midnight.offered_at = start  # moved into today
    before_midnight.ended_at = start + timedelta(seconds=30)
    before_midnight.save()
    answered.wrapup_ended_at = answered.ended_at = answered.answered_at + timedelta(minutes=1)
    answered.save()
    assert [row[:5] for row in figures(NOW, counters=True)] == [("Queue A", 2, 1, 1, 0.5), ("Queue B", 0, 0, 0, None)]
    assert_exact()


def test_a_queue_saved_with_a_new_threshold_has_its_day_counted_again(org, queues):
    queue_a, _queue_b = queues
    agent = org.agent_a
    contact(NOW - timedelta(hours=2), agent=agent, queue=queue_a, wait=15, talk=60)
    contact(NOW - timedelta(days=1), agent=agent, queue=queue_a, wait=15, talk=60)  # yesterday
    assert figures(NOW, counters=True)[0][4] == 1.0
    queue_a.service_level_seconds = 10
    with time_machine.travel(NOW, tick=False):
        queue_a.save()  # today's counters counted again with 10 s (yesterday's keep their own 20 s)
    assert figures(NOW, counters=True)[0][4] == 0.0
    assert KpiQueueCount.objects.filter(queue=queue_a, service_level_seconds=20).exists()
    assert_exact_today = figures(NOW, counters=False)
    assert figures(NOW, counters=True) == assert_exact_today


def test_a_threshold_changed_behind_the_counters_back_is_read_from_the_interactions(org, queues):
    queue_a, _queue_b = queues
    agent = org.agent_a
    contact(NOW - timedelta(hours=2), agent=agent, queue=queue_a, wait=15, talk=60)
    Queue.objects.filter(pk=queue_a.pk).update(service_level_seconds=10)  # no signal
    with CaptureQueriesContext(connection) as queries:
        rows = queue_stats(now=NOW)
    assert len(queries.captured_queries) == 2  # the counters, then queue A's day counted the long way
    assert rows[0]["service_level"] == 0.0
    queue_counts.queue_saved(queue=Queue.objects.get(pk=queue_a.pk), now=NOW)
    assert figures(NOW, counters=True)[0][4] == 0.0


def test_a_new_short_abandon_threshold_is_read_raw_until_the_rollup_command_rebuilds(org, queues, settings, capsys):
    queue_a, _queue_b = queues
    contact(NOW - timedelta(hours=2), queue=queue_a, ended_after=7)  # an abandon under 5 s, short under 10 s
    assert figures(NOW, counters=True)[0][1:4] == (1, 0, 1)
    settings.SHORT_ABANDON_SECONDS = 10
    assert not queue_counts.counters_usable()
    with CaptureQueriesContext(connection) as queries:
        rows = queue_stats(now=NOW)
    assert len(queries.captured_queries) == 2 and (rows[0]["offered"], rows[0]["abandoned"]) == (0, 0)
    call_command("kpis_rollup", verbosity=0)
    assert "Queue counters rebuilt for the current settings: 1 rows." in capsys.readouterr().out
    assert QueueCountState.objects.get().short_abandon_seconds == 10.0
    contact(NOW - timedelta(hours=1), queue=queue_a, ended_after=9)  # the triggers use the new threshold
    assert figures(NOW, counters=True)[0][1:4] == (0, 0, 0)
    assert_exact()


def test_a_day_that_does_not_start_on_a_quarter_hour_is_counted_from_the_interactions(org, queues, settings):
    settings.TIME_ZONE = "America/St_Johns"  # UTC−3:30 (a quarter multiple) → still counters
    queue_a, _queue_b = queues
    contact(NOW - timedelta(hours=2), queue=queue_a, ended_after=30)
    assert queue_counts.day_quarters(*local_day_bounds(NOW)) is not None
    assert_exact()
    assert queue_counts.day_quarters(NOW, NOW + timedelta(minutes=1)) is None


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers switched off: PostgreSQL (DATABASE_URL)")
def test_rows_loaded_with_the_triggers_off_are_counted_by_the_rebuild(org, queues):
    queue_a, queue_b = queues
    agent = org.agent_a
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # as the bulk loads: no trigger
        try:
            contact(NOW - timedelta(hours=2), agent=agent, queue=queue_a, wait=5, talk=60)
            contact(NOW - timedelta(hours=1), queue=queue_b, ended_after=60)
        finally:
            cursor.execute("SET session_replication_role = origin")
    assert KpiQueueCount.objects.count() == 0
    assert queue_counts.counters_sync(force=True) == 2
    assert [row[1:4] for row in figures(NOW, counters=True)] == [(1, 1, 0), (1, 0, 1)]
    assert_exact()


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql" or django_settings.INTERACTIONS_PARTITIONED,
    reason="converts an unpartitioned PostgreSQL database (DATABASE_URL, INTERACTIONS_PARTITIONED off)",
)
def test_the_counters_are_kept_on_the_table_partitioned_by_month(org, queues, settings):
    queue_a, queue_b = queues
    agent = org.agent_a
    answered = contact(NOW - timedelta(hours=2), agent=agent, queue=queue_a, wait=10, talk=60)
    abandoned = contact(at(2, 10, month=3), queue=queue_b, ended_after=30)
    settings.INTERACTIONS_PARTITIONED = True
    with time_machine.travel(NOW, tick=False):
        call_command("partition_tables", verbosity=0)
    assert partitions.is_partitioned("interactions_interaction")
    assert_exact()
    # Writes through the partitioned table: a new contact, a move to another month (another
    # partition: a delete and an insert for the triggers), an end arriving, a delete.
    waiting = contact(NOW - timedelta(minutes=5), queue=queue_b)
    Interaction.objects.filter(pk=abandoned.pk).update(
        offered_at=NOW - timedelta(hours=1), ended_at=NOW - timedelta(hours=1) + timedelta(seconds=30)
    )
    waiting.ended_at = waiting.offered_at + timedelta(seconds=4.999999)
    waiting.save()
    answered.delete()
    assert [row[1:4] for row in figures(NOW, counters=True)] == [(0, 0, 0), (1, 0, 1)]
    assert_exact()


@pytest.mark.django_db(transaction=True)
def test_a_flush_leaves_the_counters_ready_and_kept():
    call_command("flush", interactive=False, verbosity=0)  # every table emptied, the state row too
    assert queue_counts.counters_usable()
    queue = Queue.objects.create(name="After the flush")
    contact(NOW - timedelta(hours=1), queue=queue, ended_after=30)
    assert [row[1:4] for row in figures(NOW, counters=True)] == [(1, 0, 1)]
    assert_exact()


# --- A property: random writes ---------------------------------------------------------------------

_start, _end = local_day_bounds(NOW)
#: Offer instants around the day's bounds and quarter hours, a microsecond either side of them.
_instant = st.tuples(
    st.sampled_from([_start - timedelta(hours=2), _start, _end - timedelta(hours=1), _end, NOW - timedelta(hours=1)]),
    st.sampled_from([timedelta(0), timedelta(minutes=15), timedelta(minutes=44)]),
    st.sampled_from([timedelta(0), MICRO, -MICRO]),
).map(lambda parts: parts[0] + parts[1] + parts[2])
_insert = st.tuples(
    st.just("insert"),
    _instant,
    st.sampled_from(["a", "b", None]),  # queue
    st.sampled_from(["answered", "at_threshold", "late", "no_agent", "abandoned", "short", "waiting"]),
    st.sampled_from(["inbound", "inbound", "outbound"]),
    st.sampled_from(["voice", "voice", "ivr"]),
)
_change = st.tuples(
    st.sampled_from(
        ["delete", "answer", "answer_late", "end_short", "end_long", "wrapup", "queue", "move", "no_agent", "sql"]
    ),
    st.integers(0, 30),  # which interaction (modulo those there)
    st.sampled_from(["a", "b", None]),
    st.sampled_from([timedelta(hours=9), -timedelta(hours=9), timedelta(minutes=15) - MICRO, timedelta(days=1)]),
)
_WAIT = {"answered": 3, "at_threshold": 10, "late": 10.000001, "no_agent": 3}


def _apply(operation, queues: dict, agent) -> None:
    kind = operation[0]
    if kind == "insert":
        _kind, offered, queue, outcome, direction, channel = operation
        row = contact(
            offered,
            agent=agent if outcome in ("answered", "at_threshold", "late") else None,
            queue=queues[queue],
            wait=_WAIT.get(outcome),
            talk=30 if outcome in _WAIT else None,
            ended_after={"abandoned": 30, "short": 4.999999}.get(outcome),
            channel=channel,
            direction=direction,
        )
        assert row.pk
        return
    ids = list(Interaction.objects.order_by("pk").values_list("pk", flat=True))
    if not ids:
        return
    _kind, index, queue, shift = operation
    pk = ids[index % len(ids)]
    rows = Interaction.objects.filter(pk=pk)
    one = rows.get()
    if kind == "delete":
        one.delete()
    elif kind in ("answer", "answer_late") and one.answered_at is None and one.ended_at is None:
        one.answered_at = one.offered_at + timedelta(seconds=10 if kind == "answer" else 10.000001)
        one.agent = agent
        one.save()
    elif kind in ("end_short", "end_long") and one.ended_at is None:
        start = one.answered_at or one.offered_at
        one.ended_at = start + timedelta(seconds=4.999999 if kind == "end_short" else 5)
        one.save()
    elif kind == "wrapup" and one.ended_at is not None:
        rows.update(wrapup_ended_at=one.ended_at + timedelta(seconds=30))
    elif kind == "queue":
        one.queue = queues[queue]
        one.save()
    elif kind == "move":
        rows.update(
            offered_at=one.offered_at + shift,
            answered_at=one.answered_at + shift if one.answered_at else None,
            ended_at=one.ended_at + shift if one.ended_at else None,
            wrapup_ended_at=one.wrapup_ended_at + shift if one.wrapup_ended_at else None,
        )
    elif kind == "no_agent":
        rows.update(agent=None)
    elif kind == "sql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE interactions_interaction SET direction = %s WHERE id = %s",
                ["outbound" if one.direction == "inbound" else "inbound", pk],
            )


@hypothesis_settings(
    max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    before=st.lists(_insert, max_size=10),
    writes=st.lists(st.one_of(_insert, _change), max_size=16),
)
def test_the_counters_stay_exact_under_random_writes(org, queues, before, writes):
    Interaction.objects.all().delete()
    queue_a, queue_b = queues
    by_name = {"a": queue_a, "b": queue_b, None: None}
    agent = org.agent_a
    for operation in before:
        _apply(operation, by_name, agent)
    assert_exact()
    for operation in writes:
        _apply(operation, by_name, agent)
    assert_exact()
