"""The rollup per queue fills itself from the rollup per agent when it arrives (migration
``kpis.0007``): an installation with filled days answers its center's reports from it at once,
with the same sums."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Sum

from kpis import rollups
from kpis.models import KpiDailyCount, KpiDailyQueueCount

BEFORE = [("kpis", "0006_queue_counts")]
COLUMNS = (*rollups.COUNT_COLUMNS, *rollups.FCR_COLUMNS)


def _migrate(targets: list[tuple[str, str]] | None = None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_rows_per_queue_are_the_sums_of_the_rows_per_agent_already_there(org):
    day, other_day = date(2026, 3, 2), date(2026, 3, 3)
    rows = [
        (day, org.agent_a, org.queue_a, "voice", 3, 2, 61.5, 1),
        (day, org.agent_b, org.queue_a, "voice", 5, 4, 20.25, 2),
        (day, org.agent_b, org.queue_a, "email", 1, 1, 3.0, 0),
        (day, None, org.queue_b, "voice", 2, 0, 0.0, 0),
        (other_day, org.agent_a, org.queue_a, "voice", 7, 7, 100.0, 3),
    ]
    try:
        _migrate(BEFORE)
        for when, agent, queue, channel, offered, handled, seconds, repeats in rows:
            KpiDailyCount.objects.create(
                day=when,
                agent=agent,
                queue=queue,
                channel=channel,
                offered=offered,
                handled=handled,
                handle_seconds=seconds,
                fcr_contacts=handled,
                fcr_repeats=repeats,
            )
    finally:
        _migrate()
    per_agent = (
        KpiDailyCount.objects.values("day", "queue_id", "channel")
        .annotate(**{column: Sum(column) for column in COLUMNS})
        .order_by("day", "queue_id", "channel")
    )
    per_queue = KpiDailyQueueCount.objects.values("day", "queue_id", "channel", *COLUMNS).order_by(
        "day", "queue_id", "channel"
    )
    assert list(per_queue) == list(per_agent)
    assert [
        (r["day"], r["channel"], r["offered"], r["fcr_repeats"]) for r in per_queue if r["queue_id"] == org.queue_a.pk
    ] == [
        (day, "email", 1, 0),
        (day, "voice", 8, 3),
        (other_day, "voice", 7, 3),
    ]
