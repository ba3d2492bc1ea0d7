"""The same data, unpartitioned and partitioned by month: the conversion's time, then the reads and
writes that touch the interactions, side by side (docs/performance.md, "Past 100M rows").

1. Loads (or, with ``--reuse``, migrates) the database of ``bench/api.py`` at ``--scale`` (1×:
   1,000,000 interactions over two years), through ``bench/api.py --load-only``;
2. copies it (``CREATE DATABASE … TEMPLATE``) to ``<database>_monthly`` and converts the copy with
   ``manage.py partition_tables`` (``INTERACTIONS_PARTITIONED=1``), timed, then ``VACUUM ANALYZE``;
3. runs each query below ``--runs`` times on each database (one process per database, in
   process, no HTTP: the difference is the table's, not the server's) and prints the p50 of each,
   the ratio monthly / unpartitioned, and how many partitions the month's count reads.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/partitions.py --scale 1
    DATABASE_URL=... .venv/bin/python bench/partitions.py --scale 1 --reuse   # measure the loaded pair again

``--database`` names the unpartitioned database (default ``sb_bench_<scale>x``, the API bench's);
the partitioned copy is ``<database>_monthly`` and is made again on every run. Figures are saved
in ``var/bench/partitions-<scale>x.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.api import RESULTS, server_env, url_named  # noqa: E402

# --- What is measured (in the child process, Django set up on one database) ------------------------


def queries() -> dict[str, Callable[[int], object]]:
    """Name → a function of the run number doing one read or write of the interactions."""
    from unittest import mock

    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.db.models import Count
    from django.utils import timezone

    from interactions.models import Interaction
    from interactions.selectors import interaction_list
    from interactions.services import interaction_create
    from kpis import rollups
    from kpis.definitions import KpiScope
    from kpis.selectors import kpi_rows

    users = get_user_model().objects
    manager, agent = users.get(username="bench_manager"), users.get(username="bench_agent")
    today = timezone.localdate()
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # the last full month
    start, end = first, today.replace(day=1)
    lower, upper = (timezone.make_aware(datetime.combine(day, datetime.min.time())) for day in (start, end))
    ids = list(Interaction.objects.filter(offered_at__gte=lower).order_by("?").values_list("id", flat=True)[:200])
    frequent = list(
        Interaction.objects.filter(offered_at__gte=lower, customer__isnull=False)
        .values("customer_id")
        .annotate(calls=Count("id"))
        .order_by("-calls")
        .values_list("customer_id", flat=True)[:50]
    )
    everything = KpiScope(everything=True)

    def kpi(group_by: str) -> Callable[[int], object]:
        def run(_n: int) -> object:
            # Raw, from the interactions (the rollup's share reads no interaction on either table).
            with mock.patch.object(rollups, "rollup_plan", rollups.all_raw):
                return kpi_rows(scope=everything, start=start, end=end, group_by=group_by)

        return run

    def create(n: int) -> object:
        with transaction.atomic():
            made = interaction_create(channel="voice", offered_at=timezone.now(), agent=agent, notes=f"bench {n}")
            transaction.set_rollback(True)
        return made

    return {
        "KPI month by agent (raw)": kpi("agent"),
        "KPI month by queue (raw)": kpi("queue"),
        "interactions of the month, counted": lambda n: Interaction.objects.filter(
            offered_at__gte=lower, offered_at__lt=upper
        ).count(),
        "interaction list, first page": lambda n: list(interaction_list(user=manager)[:50]),
        "interaction list, the month's first page": lambda n: list(
            interaction_list(user=manager).filter(offered_at__gte=lower, offered_at__lt=upper)[:50]
        ),
        "agent's interaction list, first page": lambda n: list(interaction_list(user=agent)[:50]),
        "customer timeline (20 newest)": lambda n: list(
            Interaction.objects.filter(customer_id=frequent[n % len(frequent)]).order_by("-offered_at", "-id")[:20]
        ),
        "interaction by id": lambda n: Interaction.objects.get(pk=ids[n % len(ids)]),
        "interaction create (rolled back)": create,
    }


def measure_here(runs: int, out: str) -> None:
    import django

    django.setup()
    from django.db import connection

    from interactions.models import Interaction
    from interactions.partitions import is_partitioned

    figures = {}
    for name, run in queries().items():
        run(0)  # warm-up
        times = []
        for n in range(runs):
            began = time.perf_counter()
            run(n + 1)
            times.append((time.perf_counter() - began) * 1000)
        figures[name] = statistics.median(times)
        print(f"  {name}: {figures[name]:.2f} ms", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('interactions_interaction'))")
        size = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'interactions_interaction'::regclass")
        parts = cursor.fetchone()[0]
    month = Interaction.objects.order_by("-offered_at").values_list("offered_at", flat=True).first()
    plan = Interaction.objects.filter(offered_at__gte=month - timedelta(days=20), offered_at__lt=month).explain()
    read = sorted({word for word in plan.split() if word.startswith("interactions_interaction_p")})
    Path(out).write_text(
        json.dumps(
            {
                "figures": figures,
                "partitioned": is_partitioned("interactions_interaction"),
                "partitions": parts,
                "size": size,
                "read_by_20_days": read,
            }
        )
    )


# --- The parent: load, copy, convert, measure both --------------------------------------------------


def run_child(database_url: str, runs: int, partitioned: bool) -> dict:
    env = server_env(database_url, RESULTS / "static")
    env["INTERACTIONS_PARTITIONED"] = "1" if partitioned else "0"
    with tempfile.NamedTemporaryFile(suffix=".json") as handle:
        command = [sys.executable, __file__, "--measure-to", handle.name, "--runs", str(runs)]
        subprocess.run(command, check=True, env=env)  # noqa: S603
        return json.loads(Path(handle.name).read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 1,000,000 interactions")
    parser.add_argument("--database", help="the unpartitioned database (default: sb_bench_<scale>x)")
    parser.add_argument("--reuse", action="store_true", help="measure an already loaded database again")
    parser.add_argument("--runs", type=int, default=20, help="runs of each query on each database")
    parser.add_argument("--measure-to", help=argparse.SUPPRESS)  # the child writes its figures there
    args = parser.parse_args()
    if args.measure_to:
        measure_here(args.runs, args.measure_to)
        return

    import psycopg

    base = os.environ["DATABASE_URL"]
    flat = args.database or f"sb_bench_{args.scale:g}x"
    monthly = f"{flat}_monthly"
    load = [sys.executable, str(ROOT / "bench" / "api.py"), "--scale", f"{args.scale:g}", "--database", flat]
    subprocess.run([*load, "--load-only", *(["--reuse"] if args.reuse else [])], check=True)  # noqa: S603
    with psycopg.connect(url_named(base, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{monthly}" WITH (FORCE)')
        began = time.perf_counter()
        admin.execute(f'CREATE DATABASE "{monthly}" TEMPLATE "{flat}"')
        print(f"{monthly}: copied in {time.perf_counter() - began:.0f} s", flush=True)
    env = server_env(url_named(base, monthly), RESULTS / "static") | {"INTERACTIONS_PARTITIONED": "1"}
    began = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "partition_tables"], check=True, env=env)  # noqa: S603
    converted = time.perf_counter() - began
    print(f"partition_tables: {converted:.0f} s", flush=True)
    with psycopg.connect(url_named(base, monthly), autocommit=True) as database:
        database.execute("VACUUM ANALYZE")

    print(f"measuring {flat} (unpartitioned)", flush=True)
    before = run_child(url_named(base, flat), args.runs, partitioned=False)
    print(f"measuring {monthly} (by month)", flush=True)
    after = run_child(url_named(base, monthly), args.runs, partitioned=True)

    print(f"\ninteractions table: {before['size']} unpartitioned; {after['size']} in {after['partitions']} partitions")
    print(f"partition_tables took {converted:.0f} s; a 20-day range reads {', '.join(after['read_by_20_days'])}\n")
    print("| query | unpartitioned p50 ms | by month p50 ms | by month / unpartitioned |")
    print("|---|---:|---:|---:|")
    for name, flat_ms in before["figures"].items():
        month_ms = after["figures"][name]
        print(f"| {name} | {flat_ms:.2f} | {month_ms:.2f} | {month_ms / flat_ms:.2f} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    saved = RESULTS / f"partitions-{args.scale:g}x.json"
    saved.write_text(json.dumps({"unpartitioned": before, "monthly": after, "convert_seconds": converted}, indent=1))
    print(f"\nsaved in {saved}")


if __name__ == "__main__":
    main()
