"""The month KPI report on PostgreSQL, raw (from the interactions) against the daily rollup.

Creates a private PostgreSQL database (``kpis_bench_<pid>``, on the server of ``DATABASE_URL``),
migrates it, loads with ``COPY`` a month (October 2026, across the autumn clock change) of
``--interactions`` interactions over ``--agents`` agents in 10 teams (each serving 2 of the 20 queues), a quarter as
many customers (so that FCR finds repeat contacts), survey answers to about one contact in ten and
each agent's presence (an 8-hour shift of available → busy → wrap-up cycles every day), then:

1. times ``kpis_rollup``'s fill of the month (:func:`kpis.rollups.rollup_fill`);
2. runs the month report for several groupings ``--runs`` times each, raw and through the rollup,
   checks that both give the same figures, and prints the p50 of each and their ratio.

The database is dropped at the end (``--keep`` keeps it)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/kpis.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/kpis.py --interactions 10000000
"""

from __future__ import annotations

import argparse
import io
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

START, END = date(2026, 10, 1), date(2026, 11, 1)
#: When the report and the fill run: long after the month, every FCR window over.
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
GROUPINGS = (None, "agent", "team", "queue", "channel", "day", "week")
CHUNK = 200_000


def stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def copy_rows(cursor, table: str, columns: str, rows: Iterator[str]) -> int:
    """``COPY`` the tab-separated ``rows`` into ``table``, in chunks; returns how many. Columns
    added since this was written (not null, boolean or text) get ``false`` or ``''``."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL AND column_name <> 'id'",
        [table],
    )
    listed = {column.strip() for column in columns.split(",")}
    extra = [(column, kind) for column, kind in cursor.fetchall() if column not in listed]
    if any(kind not in ("boolean", "text", "character varying") for _column, kind in extra):
        raise SystemExit(f"{table} has new required columns the bench does not fill: {extra}")
    if extra:
        columns += "".join(f", {column}" for column, _kind in extra)
        suffix = "".join("\tf" if kind == "boolean" else "\t" for _column, kind in extra)
        rows = (row[:-1] + suffix + "\n" for row in rows)
    count = 0
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for row in rows:
            buffer.write(row)
            count += 1
            if count % CHUNK == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())
    return count


def interactions(n: int, agents: list[tuple[int, list]], customers: int, lower: float, upper: float, rng):
    """``(id, handled, line)`` of each interaction. ``agents``: ``(agent id, [(queue id, its
    channel), …])``, the queues each agent serves: a contact goes to one of its agent's queues
    (its channel the queue's), 10 % to no queue; 5 % are self-service IVR."""
    span = upper - lower
    for pk in range(1, n + 1):
        offered = lower + rng.random() * span
        agent_id, served = rng.choice(agents)
        queue_id, channel = rng.choice(served)
        queue = str(queue_id) if rng.random() < 0.9 else r"\N"
        channel = "ivr" if rng.random() < 0.05 else channel
        direction = "outbound" if rng.random() < 0.1 else "inbound"
        customer = str(rng.randrange(1, customers + 1)) if rng.random() < 0.8 else r"\N"
        sentiment = f"{rng.uniform(-1, 1):.4f}" if rng.random() < 0.6 else r"\N"
        fate = rng.random()
        agent, answered, ended, wrapup, hold = r"\N", r"\N", r"\N", r"\N", 0
        if channel == "ivr" or fate < 0.04:  # self-service or a short abandon
            ended = stamp(offered + rng.uniform(0, 4.9) if channel != "ivr" else offered + rng.uniform(10, 120))
        elif fate < 0.12:  # abandoned
            ended = stamp(offered + rng.uniform(5, 180))
        else:
            answer = offered + min(rng.expovariate(1 / 15), 600)
            talk = rng.uniform(30, 600)
            hold = int(rng.random() < 0.2 and rng.uniform(0, talk / 4))
            agent, answered, ended = str(agent_id), stamp(answer), stamp(answer + talk)
            if rng.random() < 0.7:
                wrapup = stamp(answer + talk + rng.uniform(5, 90))
        created = stamp(offered)
        yield (
            pk,
            agent != r"\N",
            f"{pk}\t{channel}\t{direction}\t{created}\t{answered}\t{ended}\t{wrapup}\t{hold}\tf\t\t{sentiment}\t\t\t\t"
            f"{created}\t{created}\t{agent}\t{customer}\t{queue}\n",
        )


def presence(agents: list[int], days: int, lower: float, rng) -> Iterator[str]:
    """Each agent's shift every day from 08:00 UTC: available, busy, wrap-up, again, for 8 hours."""
    for agent in agents:
        for day in range(days):
            t = lower + day * 86400 + 8 * 3600 + rng.uniform(0, 1800)
            end = t + 8 * 3600
            while t < end:
                for status, low, high in (("available", 30, 600), ("busy", 120, 600), ("wrap_up", 30, 120)):
                    following = t + rng.uniform(low, high)
                    yield f"{status}\t\t{stamp(t)}\t{stamp(following)}\t{agent}\n"
                    t = following


def settings_time_zone() -> str:
    from django.conf import settings

    return settings.TIME_ZONE


def p50(function: Callable[[], object], runs: int) -> tuple[float, object]:
    timings, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - began)
    return statistics.median(timings), result


def same(left, right) -> bool:
    if [row.key for row in left] != [row.key for row in right]:
        return False
    for one, other in zip(left, right, strict=True):
        for name, mine in one.as_dict().items():
            theirs = getattr(other, name)
            if isinstance(mine, float) or isinstance(theirs, float):
                if not math.isclose(mine or 0, theirs or 0, rel_tol=1e-9, abs_tol=1e-6):
                    return False
            elif mine != theirs:
                return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, help="default: one per 80 interactions a day (at least 50)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each report through the rollup")
    parser.add_argument("--raw-runs", type=int, default=3, help="runs of each raw report")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    import psycopg

    name = f"kpis_bench_{os.getpid()}"
    parts = urlsplit(base)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")
    try:
        run(args, name)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"kept database {name}")
        else:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            print(f"dropped database {name}")


def run(args: argparse.Namespace, name: str) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from contactcenter.agents.models import AgentProfile, Queue, Team
    from kpis import queue_counts, rollups
    from kpis.definitions import KpiScope, period_bounds
    from kpis.selectors import kpi_rows

    call_command("migrate", verbosity=0)
    if settings_time_zone() != "Europe/Paris":
        print("note: TIME_ZONE is not Europe/Paris; the month's days follow it")
    rng = random.Random(args.seed)
    n = args.interactions
    days = (END - START).days
    agent_count = args.agents or max(50, n // days // 80)
    began = time.perf_counter()
    teams = [Team.objects.create(name=f"Team {i:02}") for i in range(10)]
    channels = ["voice"] * 14 + ["chat"] * 3 + ["email"] * 2 + ["sms"]
    queues = [
        Queue.objects.create(name=f"Queue {i:02}", channel=channel, service_level_seconds=rng.choice([10, 20, 30]))
        for i, channel in enumerate(channels)
    ]
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"agent{i:05}") for i in range(agent_count)], batch_size=1000
    )
    AgentProfile.objects.filter(user__in=users).delete()  # any made by a signal: one each, ours
    AgentProfile.objects.bulk_create(
        [AgentProfile(user=user, team=teams[i % len(teams)]) for i, user in enumerate(users)], batch_size=1000
    )
    agents = [user.pk for user in users]
    lower, upper = (moment.timestamp() for moment in period_bounds(START, END))
    customers = max(1000, n // 4)
    survey_ids = []
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg's own, for COPY
        cursor.execute("SET session_replication_role = replica")  # no trigger during the load (nothing filled yet)
        created = stamp(lower)
        copy_rows(
            cursor,
            "customers_customer",
            "id, first_name, last_name, company, language, notes, tags, consent_marketing, consent_recording, "
            "consent_surveys, external_id, created_at, updated_at",
            (f"{pk}\tC\t{pk}\t\ten\t\t[]\tf\tf\tf\t\t{created}\t{created}\n" for pk in range(1, customers + 1)),
        )

        def lines():
            # Team t's agents serve queues 2t and 2t + 1.
            served = [
                (pk, [(q.pk, q.channel) for q in queues[2 * (i % 10) : 2 * (i % 10) + 2]])
                for i, pk in enumerate(agents)
            ]
            for pk, handled, line in interactions(n, served, customers, lower, upper, rng):
                if handled and rng.random() < 0.1:
                    survey_ids.append(pk)
                yield line

        copy_rows(
            cursor,
            "interactions_interaction",
            "id, channel, direction, offered_at, answered_at, ended_at, wrapup_ended_at, hold_seconds, resolved, "
            "notes, sentiment, recording, source, external_id, created_at, updated_at, agent_id, customer_id, queue_id",
            lines(),
        )
        scales = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}
        surveys = copy_rows(
            cursor,
            "kpis_surveyresponse",
            "kind, score, comment, created_at, interaction_id",
            (
                f"{kind}\t{rng.randint(*scales[kind])}\t\t{created}\t{pk}\n"
                for pk in survey_ids
                for kind in [rng.choice(list(scales))]
            ),
        )
        stretches = copy_rows(
            cursor,
            "agents_presenceinterval",
            "status, reason, started_at, ended_at, agent_id",
            presence(agents, days, lower, rng),
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        for table in ("customers_customer", "interactions_interaction"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cursor.execute("ANALYZE")
    flags = rollups.flags_sync(force=True, at_once=True)  # the copied rows' FCR repeat flags (triggers were off)
    queue_counts.counters_sync(force=True)  # and the wallboard's queue counters
    print(
        f"database {name}: {n:,} interactions, {customers:,} customers, {surveys:,} survey answers, "
        f"{stretches:,} presence stretches, {agent_count:,} agents, {flags:,} repeat flags set; "
        f"loaded in {time.perf_counter() - began:.0f} s"
    )

    began = time.perf_counter()
    filled = rollups.rollup_fill(since=START - timedelta(days=1), now=NOW)
    fill_seconds = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE kpis_kpidailycount; ANALYZE kpis_kpidailyqueuecount; ANALYZE kpis_kpiday")
    print(
        f"kpis_rollup: {filled.days_filled} days, {filled.rows_written:,} rows in {fill_seconds:.1f} s "
        f"({fill_seconds / max(filled.days_filled, 1):.2f} s a day)"
    )

    scope = KpiScope(everything=True)

    def report(group_by):
        return lambda: kpi_rows(scope=scope, start=START, end=END, group_by=group_by, now=NOW)

    print(f"\nmonth report {START} → {END} (p50 of {args.raw_runs} raw / {args.runs} rollup runs)")
    print(f"{'group_by':<10} {'rows':>6} {'raw s':>9} {'rollup s':>9} {'ratio':>8}  same")
    for group_by in GROUPINGS:
        with mock.patch.object(rollups, "rollup_plan", rollups.all_raw):
            raw_seconds, raw_rows = p50(report(group_by), args.raw_runs)
        rollup_seconds, rollup_rows = p50(report(group_by), args.runs)
        print(
            f"{group_by or '(none)':<10} {len(rollup_rows):>6} {raw_seconds:>9.3f} {rollup_seconds:>9.3f} "
            f"{rollup_seconds / raw_seconds:>8.4f}  {'yes' if same(raw_rows, rollup_rows) else 'NO'}"
        )


if __name__ == "__main__":
    main()
