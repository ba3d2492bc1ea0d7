"""The API and pages under load, at 1× and 10× the data, beside a bare Django/DRF "floor".

Loads a call center's two years into its own PostgreSQL database (``bench/api_data.py``: at
``--scale 1`` 100,000 customers, 1,000,000 interactions and 100,000 tickets; ``--scale 10`` ten
times that), runs the migrations first, then ``COPY``, the KPI rollup (as the nightly job) and
``ANALYZE``. Then serves the application as the README's production section does (uvicorn, 2
workers, ``DEBUG=0``) and, beside it, the floor (``bench/floor/``: a bare Django + DRF app, one
detail-by-id view on the same customers table, served the same way), and measures with ``wrk``
(``apt-get install wrk``) each endpoint at ``--connections`` (4), ``--rounds`` (5) times for
``--seconds`` (5) after ``--warmup`` (2), keeping each figure's median round:

    customer detail, customer list, search by name / email / phone, lookup (screen pop),
    customer timeline, ticket list, interaction create (POST), KPI month by agent and by queue,
    wallboard, desk page

as an agent (token for the API, session cookie for the desk page), a manager for the KPIs and a
supervisor for the wallboard. The queries each request makes are counted by running it once
in-process (Django's test client, ``CaptureQueriesContext``) against the same database. It prints
p50, p99, requests/s, the ratio to the floor's requests/s (a round of the floor follows each
round of the endpoint: the ratio compares the same minutes) and the queries per request, and saves
the figures (``var/bench/api-<scale>x.json``); when the other scale's figures are there too, it
adds the 10×/1× ratio of p50 and marks each goal met or missed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/api.py --scale 1
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/api.py --scale 10
    DATABASE_URL=... .venv/bin/python bench/api.py --scale 10 --reuse      # measure the loaded one again
    DATABASE_URL=... .venv/bin/python bench/api.py --scale 10 --load-only  # load, measure later
    DATABASE_URL=... .venv/bin/python bench/api.py --scale 1,10 --reuse    # both, endpoint by endpoint

With ``--scale 1,10`` both databases are served at once and each endpoint's rounds alternate
between them (1×, 10×, 1×, 10×…): the 10×/1× ratios then compare minutes alike on a shared
machine, and a busy moment spoils one round of each, which the median leaves out.

The database (``--database``, default ``sb_bench_<scale>x``) is kept for ``--reuse``; without
``--reuse`` it is dropped and loaded again. ``REDIS_URL`` is passed on to the servers (throttle
counters and live events go through it, as in production). See docs/performance.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import api_data  # noqa: E402

RESULTS = ROOT / "var" / "bench"
#: (endpoint, goal kind): "detail" ≥ 0.5× the floor's requests/s, "list" ≥ 0.25×, or a p99 (ms)
#: of server time (the application's own, from its Server-Timing header) at 10× for lookups and
#: searches, a p50 (ms) at 10× for the KPI month and the wallboard.
GOALS = {
    "customer detail": ("floor", 0.5),
    "customer list": ("floor", 0.25),
    "ticket list": ("floor", 0.25),
    "lookup (screen pop)": ("p99", 20.0),
    "search by name": ("p99", 50.0),
    "search by email": ("p99", 50.0),
    "search by phone": ("p99", 50.0),
    "KPI month by agent": ("p50", 1000.0),
    "KPI month by queue": ("p50", 1000.0),
    "wallboard": ("p50", 100.0),
}
#: uvicorn processes, for the application and the floor alike: two per CPU core (README, Production).
WORKERS = 2 * (os.cpu_count() or 1)

#: Every endpoint's p50 at 10× stays within this factor of its p50 at 1×.
SCALE_GOAL = 1.2


def url_named(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- The database ------------------------------------------------------------------------------


def prepare(args: argparse.Namespace, scale: float, database: str, admin_url: str) -> None:
    """Create and load the database, or (``--reuse``) migrate the loaded one; ANALYZE it."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if exists and not args.reuse:
            admin.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        if not exists or not args.reuse:
            admin.execute(f'CREATE DATABASE "{database}"')
    import django
    from django.core.management import call_command

    django.setup()
    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    if not get_user_model().objects.filter(username="bench_agent").exists():
        if args.reuse and exists:
            sys.exit(f"{database} was not loaded by this bench: run without --reuse")
        sizes = api_data.Sizes.for_scale(scale)
        print(f"loading {database}: {sizes}", flush=True)
        counts = api_data.load(sizes, args.seed)
        print(f"loaded: {api_data.describe(counts)}", flush=True)
    from kpis import rollups
    from kpis.models import FcrFlags

    if not rollups.flags_usable() or FcrFlags.objects.filter(computed_at__isnull=True).exists():
        # Not computed for these settings, or never since the migration filled an empty table (a
        # database loaded before the load computed them): all at once, set-based.
        began_flags = time.perf_counter()
        changed = rollups.flags_sync(force=True, at_once=True)
        print(f"FCR repeat flags recomputed: {changed:,} changed ({time.perf_counter() - began_flags:.0f} s)")
    added = api_data.top_up_today(api_data.Sizes.for_scale(scale), args.seed)
    if api_data.agent_on_a_call():
        print("bench_agent put on a call (the desk page is measured with its call panel)", flush=True)
    if added:
        print(f"today: {added:,} calls added so far (the wallboard's day)", flush=True)
    began_rollup = time.perf_counter()
    call_command("kpis_rollup", verbosity=0)
    print(f"kpis_rollup: {time.perf_counter() - began_rollup:.0f} s", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    print(f"database {database} ready ({size}, {time.perf_counter() - began:.0f} s)", flush=True)


# --- The servers ---------------------------------------------------------------------------------


def server_env(database_url: str, static_root: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="contactcenter.settings",
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY="bench-" + secrets.token_hex(24),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        SECURE_HSTS_SECONDS="0",
        SERVER_TIMING="1",
        STATIC_ROOT=str(static_root),
        API_RATE_USER="100000000/min",
        API_RATE_TOKEN="100000000/min",  # noqa: S106 (a rate, not a secret)
        LOG_LEVEL="WARNING",
        # The bench signs its supervisor and manager in with a password alone, and runs no jobs.
        REQUIRE_2FA_ROLES="",
        BACKGROUND_WORKERS="external",
    )
    return env


@dataclass
class Server:
    name: str
    app: str
    port: int
    process: subprocess.Popen

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def serve(name: str, app: str, env: dict[str, str], probe: str) -> Server:
    """``uvicorn <app> --workers 4 --loop contactcenter.core.balancing:new_event_loop`` (two
    processes per core of this 2-core machine, as the README says) on a free port of 127.0.0.1,
    once ``probe`` answers 200."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(WORKERS),
            # Each new connection to the process holding the fewest (contactcenter/core/balancing.py).
            "--loop",
            "contactcenter.core.balancing:new_event_loop",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    server = Server(name, app, port, process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} server exited ({process.returncode})")
        try:
            with urllib.request.urlopen(server.base + probe, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return server
        except (OSError, urllib.error.URLError):
            time.sleep(0.3)
    stop(server)
    raise SystemExit(f"{name} server did not answer on {server.base}{probe}")


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(5)


# --- The endpoints -------------------------------------------------------------------------------


@dataclass
class Endpoint:
    name: str
    paths: list[str]
    user: str  # bench_agent, bench_supervisor, bench_manager, or "" for none
    session: bool = False  # by session cookie (pages) instead of a token
    method: str = "GET"
    body: str = ""
    server: str = "app"


@dataclass
class Result:
    name: str
    p50_ms: float
    p99_ms: float
    rps: float
    requests: int
    errors: int
    #: The application's own time (its Server-Timing header): without the load generator's and
    #: the server's socket queues.
    server_p50_ms: float | None = None
    server_p99_ms: float | None = None
    queries: int | None = None
    extra: dict = field(default_factory=dict)


def endpoints(seed: int) -> tuple[list[Endpoint], dict[str, str], dict[str, str]]:
    """The endpoints with varied paths (ids, names, numbers picked from the data), and each user's
    token and session cookie."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from contactcenter.agents.models import Queue
    from contactcenter.core.tokens import api_token_issue
    from customers.models import ContactPoint, Customer
    from interactions.models import Interaction

    rng = random.Random(seed)
    users = {user.username: user for user in get_user_model().objects.filter(username__startswith="bench_")}
    # A new key per run: keys are stored hashed, so an earlier run's cannot be read back.
    tokens = {name: api_token_issue(user=user).key for name, user in users.items()}
    sessions = {}
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        sessions[name] = client.cookies["sessionid"].value
    top = Customer.objects.order_by("-id").values_list("id", flat=True).first()
    ids = [rng.randrange(1, top + 1) for _ in range(200)]
    customers = {c.pk: c for c in Customer.objects.filter(pk__in=ids)}
    ids = [pk for pk in ids if pk in customers]
    points = list(ContactPoint.objects.filter(customer_id__in=ids).values_list("kind", "value"))
    phones = [value for kind, value in points if kind == "phone"]
    emails = [value for kind, value in points if kind == "email"]
    local = [phone.replace("+33", "0", 1) if phone.startswith("+33") else phone for phone in phones]
    last_names = [customers[pk].last_name for pk in ids]
    agent = users["bench_agent"]
    queue = Queue.objects.get(name="Queue 00")
    today = datetime.now(UTC).date()
    month_start = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    month_end = date(today.year, today.month, 1)
    kpi = f"/api/v1/kpis/?from={month_start}&to={month_end}&group_by="
    body = json.dumps(
        {
            "channel": "voice",
            "direction": "inbound",
            "customer": ids[0],
            "queue": queue.name,
            "agent": agent.username,
            "offered_at": "2026-01-05T10:00:00+01:00",
            "answered_at": "2026-01-05T10:00:12+01:00",
            "ended_at": "2026-01-05T10:04:00+01:00",
            "notes": "bench",
        }
    )
    # Customers with a long history: the frequent callers (the first twentieth of the ids).
    busy = list(
        Interaction.objects.filter(customer_id__lte=max(1, top // 20), customer_id__isnull=False)
        .order_by()
        .values_list("customer_id", flat=True)[:200]
    )
    quote = urllib.request.quote
    return (
        [
            Endpoint("floor: customer detail", [f"/customers/{pk}/" for pk in ids], "", server="floor"),
            Endpoint("healthz", ["/healthz"], ""),
            Endpoint("customer detail", [f"/api/v1/customers/{pk}/" for pk in ids], "bench_agent"),
            Endpoint("customer list", ["/api/v1/customers/"], "bench_agent"),
            Endpoint("search by name", [f"/api/v1/customers/?search={quote(n)}" for n in last_names], "bench_agent"),
            Endpoint("search by email", [f"/api/v1/customers/?search={quote(e)}" for e in emails], "bench_agent"),
            Endpoint("search by phone", [f"/api/v1/customers/?search={quote(p)}" for p in local], "bench_agent"),
            Endpoint(
                "lookup (screen pop)", [f"/api/v1/customers/lookup/?phone={quote(p)}" for p in phones], "bench_agent"
            ),
            Endpoint(
                "customer timeline",
                [f"/api/v1/customers/{pk}/timeline/" for pk in (busy or ids)],
                "bench_agent",
            ),
            Endpoint("ticket list", ["/api/v1/tickets/"], "bench_agent"),
            Endpoint("interaction create", ["/api/v1/interactions/"], "bench_agent", method="POST", body=body),
            Endpoint("KPI month by agent", [kpi + "agent&team=Team%20000"], "bench_manager"),
            Endpoint("KPI month by queue", [kpi + "queue"], "bench_manager"),
            Endpoint("wallboard", ["/wallboard/board/"], "bench_supervisor", session=True),
            Endpoint("desk page", ["/desk/"], "bench_agent", session=True),
        ],
        tokens,
        sessions,
    )


def headers_for(endpoint: Endpoint, tokens: dict[str, str], sessions: dict[str, str]) -> dict[str, str]:
    headers = {"Accept": "application/json"} if not endpoint.session else {}
    if endpoint.user and endpoint.session:
        headers["Cookie"] = f"sessionid={sessions[endpoint.user]}"
    elif endpoint.user:
        headers["Authorization"] = f"Token {tokens[endpoint.user]}"
    if endpoint.method == "POST":
        headers["Content-Type"] = "application/json"
    return headers


def count_queries(
    endpoint: Endpoint, tokens: dict[str, str], sessions: dict[str, str], *, explain: bool = False
) -> int:
    """The SQL queries of one request, in-process against the same database (after one warm-up
    request: what a served process does once, such as loading content types, is not counted).
    ``explain``: print the queries and the plan of the slowest."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    if endpoint.session and endpoint.user:
        client.cookies["sessionid"] = sessions[endpoint.user]
    extra = {}
    if endpoint.user and not endpoint.session:
        extra["HTTP_AUTHORIZATION"] = f"Token {tokens[endpoint.user]}"
    if not endpoint.session:
        extra["HTTP_ACCEPT"] = "application/json"

    def once():
        if endpoint.method == "POST":
            return client.post(endpoint.paths[0], endpoint.body, content_type="application/json", **extra)
        return client.get(endpoint.paths[0], **extra)

    once()
    with CaptureQueriesContext(connection) as captured:
        response = once()
    if response.status_code >= 400:
        print(f"  note: {endpoint.name} answered {response.status_code} in-process: {response.content[:200]!r}")
    if explain:
        explain_slowest(endpoint.name, captured.captured_queries)
    return len(captured)


def explain_slowest(name: str, queries: list[dict]) -> None:
    """Print the request's queries by time, and the plan of its slowest SELECT as it runs."""
    from django.db import connection

    print(f"\n== {name}: {len(queries)} queries")
    ranked = sorted(queries, key=lambda query: float(query["time"]), reverse=True)
    for query in ranked:
        print(f"  {float(query['time']) * 1000:8.1f} ms  {query['sql'][:160]}")
    selects = [query for query in ranked if query["sql"].lstrip().upper().startswith("SELECT")]
    if selects:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + selects[0]["sql"])
            print("\n".join("    " + row[0] for row in cursor.fetchall()))


def probe(endpoint: Endpoint, server: Server, headers: dict[str, str]) -> int:
    """The status of one request, redirects not followed (a login redirect is no page)."""
    client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        client.request(endpoint.method, endpoint.paths[0], body=endpoint.body or None, headers=headers)
        response = client.getresponse()
        response.read()
        return response.status
    finally:
        client.close()


WRK_SCRIPT = """
local paths = {%(paths)s}
local counter = 0
local threads = {}
wrk.method = "%(method)s"
wrk.body = %(body)s
%(headers)s
setup = function(thread)
  table.insert(threads, thread)
end
init = function(args)
  server_ms = {}
end
request = function()
  counter = counter + 1
  return wrk.format(nil, paths[(counter %% #paths) + 1])
end
-- The application's own time of each answer (its Server-Timing header, SERVER_TIMING=1).
response = function(status, headers, body)
  local timing = headers["Server-Timing"] or headers["server-timing"]
  if timing then
    local ms = tonumber(string.match(timing, "dur=([%%d%%.]+)"))
    if ms then server_ms[#server_ms + 1] = ms end
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d\\n", latency:percentile(50), latency:percentile(99),
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status))
  local all = {}
  for _, thread in ipairs(threads) do
    for _, ms in ipairs(thread:get("server_ms")) do all[#all + 1] = ms end
  end
  if #all > 0 then
    table.sort(all)
    io.write(string.format("SERVER %%.3f %%.3f %%d\\n", all[math.ceil(#all * 0.5)], all[math.ceil(#all * 0.99)], #all))
  end
end
"""


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def run_wrk(
    endpoint: Endpoint, base: str, headers: dict[str, str], args: argparse.Namespace, *, warmup: bool = True
) -> Result:
    script = WRK_SCRIPT % {
        "paths": ", ".join(lua_string(path) for path in endpoint.paths),
        "method": endpoint.method,
        "body": lua_string(endpoint.body) if endpoint.body else "nil",
        "headers": "\n".join(f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        threads = min(2, args.connections)
        command = ["wrk", f"-t{threads}", f"-c{args.connections}", "--timeout", "60s", "-s", handle.name]
        if warmup:
            subprocess.run(  # noqa: S603 (warm-up: caches, the pool's connections, the planner)
                [*command, "-d", f"{args.warmup}s", base], capture_output=True, text=True, check=False
            )
        output = subprocess.run(  # noqa: S603
            [*command, "-d", f"{args.seconds}s", base], capture_output=True, text=True, check=False
        ).stdout
    finally:
        os.unlink(handle.name)
    found = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", output)
    if not found:
        raise SystemExit(f"wrk gave no figures for {endpoint.name}:\n{output}")
    p50, p99, requests, duration, socket_errors, status_errors = (int(value) for value in found.groups())
    server = re.search(r"SERVER ([\d.]+) ([\d.]+) (\d+)", output)
    return Result(
        name=endpoint.name,
        p50_ms=p50 / 1000,
        p99_ms=p99 / 1000,
        rps=requests / (duration / 1e6),
        requests=requests,
        errors=socket_errors + status_errors,
        server_p50_ms=float(server.group(1)) if server else None,
        server_p99_ms=float(server.group(2)) if server else None,
    )


def median_result(rounds: list[Result]) -> Result:
    """One endpoint's figures over its rounds: each figure's median (requests and errors summed),
    with the rounds' own figures kept in ``extra["rounds"]``."""

    def median_or_none(values: list[float | None]) -> float | None:
        known = [value for value in values if value is not None]
        return statistics.median(known) if known else None

    shown = [{k: v for k, v in asdict(r).items() if k not in ("name", "extra", "queries")} for r in rounds]
    return Result(
        name=rounds[0].name,
        p50_ms=statistics.median([r.p50_ms for r in rounds]),
        p99_ms=statistics.median([r.p99_ms for r in rounds]),
        rps=statistics.median([r.rps for r in rounds]),
        requests=sum(r.requests for r in rounds),
        errors=sum(r.errors for r in rounds),
        server_p50_ms=median_or_none([r.server_p50_ms for r in rounds]),
        server_p99_ms=median_or_none([r.server_p99_ms for r in rounds]),
        extra={"rounds": shown},
    )


# --- The table ---------------------------------------------------------------------------------


def goal_text(result: dict, floor_rps: float, scale: float, other: dict | None) -> str:
    marks = []
    goal = GOALS.get(result["name"])
    if goal:
        kind, limit = goal
        if kind == "floor":
            met = result["rps"] >= limit * floor_rps
            marks.append(f"≥{limit}× floor {'met' if met else 'MISSED'}")
        elif scale >= 10:
            server_p99 = result.get("server_p99_ms")
            if kind == "p99" and server_p99 is not None:
                value, kind = server_p99, "server p99"
            else:
                value = result["p99_ms"] if kind == "p99" else result["p50_ms"]
            met = value < limit
            marks.append(f"{kind}<{limit:g} ms {'met' if met else 'MISSED'}")
    if other is not None:
        ratio = result.get("scale_ratio")
        if ratio is not None:
            marks.append(f"10×/1× ≤{SCALE_GOAL} {'met' if ratio <= SCALE_GOAL else 'MISSED'}")
    if result["errors"]:
        marks.append(f"{result['errors']} ERRORS")
    return ", ".join(marks)


def print_table(figures: dict, other: dict | None) -> None:
    scale = figures["scale"]
    rows = figures["results"]
    floor = next(row for row in rows if row["name"].startswith("floor"))
    small, large = (other, figures) if other and other["scale"] < scale else (figures, other)
    if other:
        by_name = {row["name"]: row for row in small["results"]}
        for row in large["results"]:
            if row["name"] in by_name and by_name[row["name"]]["p50_ms"]:
                row["scale_ratio"] = row["p50_ms"] / by_name[row["name"]]["p50_ms"]
        for row in small["results"]:
            row.pop("scale_ratio", None)

    def floor_rps_of(row: dict) -> float:
        """The floor's requests/s in the endpoint's own rounds, or in its first ones (older runs)."""
        return row.get("extra", {}).get("floor_rps") or floor["rps"]

    print(
        f"\n{scale:g}× ({figures['sizes']}), c={figures['connections']}, "
        f"median of {figures.get('rounds', 1)} rounds of {figures['seconds']} s each, "
        f"uvicorn {WORKERS} workers, DEBUG=0, load average {figures.get('load_average')} on {os.cpu_count()} CPUs"
    )
    header = f"{'endpoint':<24} {'p50 ms':>8} {'p99 ms':>8} {'srv p50':>8} {'srv p99':>8} {'req/s':>8} {'×floor':>7}"
    header += f" {'queries':>7}"
    if other:
        header += f" {'10×/1×':>7}"
    print(header + "  goals")
    for row in rows:
        server = [row.get("server_p50_ms"), row.get("server_p99_ms")]
        server_text = " ".join(f"{ms:>8.1f}" if ms is not None else f"{'':>8}" for ms in server)
        line = (
            f"{row['name']:<24} {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {server_text} {row['rps']:>8.0f} "
            f"{row['rps'] / floor_rps_of(row):>7.2f} {row['queries'] if row['queries'] is not None else '':>7}"
        )
        if other:
            ratio = row.get("scale_ratio")
            line += f" {ratio:>7.2f}" if ratio is not None else f" {'':>7}"
        compared = other if row.get("scale_ratio") is not None else None
        print(line + "  " + goal_text(row, floor_rps_of(row), scale, compared))


# --- Main ----------------------------------------------------------------------------------------


def plan(args: argparse.Namespace, scale: float) -> dict:
    """Prepare the database of ``scale`` and list what to measure on it: the servers' environment,
    the endpoints (with their queries per request), the users' tokens and session cookies."""
    base_url = os.environ["DATABASE_URL"]
    database = args.database or f"sb_bench_{scale:g}x"
    env = server_env(url_named(base_url, database), RESULTS / "static")
    os.environ.update({key: value for key, value in env.items() if key != "DJANGO_SETTINGS_MODULE"})
    os.environ["DJANGO_SETTINGS_MODULE"] = "contactcenter.settings"
    prepare(args, scale, database, url_named(base_url, "postgres"))
    if args.load_only:
        return {}
    from django.core.management import call_command
    from django.db import connections

    RESULTS.mkdir(parents=True, exist_ok=True)
    call_command("collectstatic", "--noinput", verbosity=0)
    chosen, tokens, sessions = endpoints(args.seed)
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")}
        chosen = [e for e in chosen if e.name in wanted or e.server == "floor"]
    for endpoint in chosen:
        if endpoint.server == "app":
            endpoint.queries = count_queries(endpoint, tokens, sessions, explain=args.explain)
        elif endpoint.server == "floor":
            endpoint.queries = 1
    connections.close_all()
    return {
        "scale": scale,
        "env": env,
        "endpoints": [asdict(endpoint) | {"queries": getattr(endpoint, "queries", None)} for endpoint in chosen],
        "tokens": tokens,
        "sessions": sessions,
    }


def plan_elsewhere(args: argparse.Namespace, scale: float) -> dict:
    """:func:`plan` in a process of its own (Django is set up for one database per process)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as handle:
        command = [sys.executable, __file__, "--scale", f"{scale:g}", "--plan-to", handle.name]
        command += ["--seed", str(args.seed)] + (["--reuse"] if args.reuse else [])
        command += ["--only", args.only] if args.only else []
        subprocess.run(command, check=True)  # noqa: S603
        return json.loads(Path(handle.name).read_text())


def measure(plans: list[dict], args: argparse.Namespace) -> list[dict]:
    """Serve the application and the floor on each plan's database; measure each endpoint on each
    database in turn, back to back (the scales then share the machine's moods); their figures."""
    servers: dict[tuple[float, str], Server] = {}
    results: dict[float, list[Result]] = {p["scale"]: [] for p in plans}
    load_before = os.getloadavg()[0]
    try:
        for p in plans:
            floor_env = {**p["env"], "DJANGO_SETTINGS_MODULE": "bench.floor.settings"}
            servers[p["scale"], "app"] = serve("app", "contactcenter.asgi:application", p["env"], "/healthz")
            servers[p["scale"], "floor"] = serve("floor", "bench.floor.asgi:application", floor_env, "/customers/1/")
        floor_fields = next(dict(e) for e in plans[0]["endpoints"] if e["server"] == "floor")
        floor_fields.pop("queries")
        floor = Endpoint(**floor_fields)
        for index in range(len(plans[0]["endpoints"])):
            runs = []
            for p in plans:
                fields = dict(p["endpoints"][index])
                queries = fields.pop("queries")
                endpoint = Endpoint(**fields)
                server = servers[p["scale"], endpoint.server]
                headers = headers_for(endpoint, p["tokens"], p["sessions"])
                runs.append((p, endpoint, server, headers, queries, probe(endpoint, server, headers), []))
            # Round after round, one scale then the other: a busy moment of the machine falls on a
            # round of each, and the median round leaves it out. After each round, a round of the
            # floor (on the first scale's database): the endpoint's ratio to the floor compares
            # the same minutes.
            floor_rounds: list[Result] = []
            with_floor = runs[0][1].server != "floor"
            for round_number in range(args.rounds):
                for _p, endpoint, server, headers, _queries, _status, rounds in runs:
                    rounds.append(run_wrk(endpoint, server.base, headers, args, warmup=round_number == 0))
                if with_floor:
                    floor_server = servers[plans[0]["scale"], "floor"]
                    floor_headers = headers_for(floor, plans[0]["tokens"], plans[0]["sessions"])
                    floor_rounds.append(run_wrk(floor, floor_server.base, floor_headers, args, warmup=False))
            for p, _endpoint, _server, _headers, queries, status, rounds in runs:
                result = median_result(rounds)
                result.queries = queries
                result.extra["status"] = status
                if floor_rounds:
                    result.extra["floor_rps"] = statistics.median(r.rps for r in floor_rounds)
                print(
                    f"  {p['scale']:>4g}× {result.name:<24} p50 {result.p50_ms:8.1f} ms  p99 {result.p99_ms:8.1f} ms"
                    f"  {result.rps:7.0f} req/s  errors {result.errors}  (HTTP {status})"
                    f"  rounds' p50 {' '.join(f'{r.p50_ms:.1f}' for r in rounds)}",
                    flush=True,
                )
                results[p["scale"]].append(result)
    finally:
        for server in servers.values():
            stop(server)
    load_after = os.getloadavg()[0]
    figures = []
    for p in plans:
        sizes = api_data.Sizes.for_scale(p["scale"])
        figures.append(
            {
                "scale": p["scale"],
                "sizes": f"{sizes.customers:,} customers / {sizes.interactions:,} interactions / "
                f"{sizes.tickets:,} tickets",
                "connections": args.connections,
                "seconds": args.seconds,
                "rounds": args.rounds,
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                # Other work on the machine skews every figure: the 1-minute load average, before and after.
                "load_average": [round(load_before, 1), round(load_after, 1)],
                "results": [asdict(result) for result in results[p["scale"]]],
            }
        )
    return figures


def save(figures: dict, only: bool) -> None:
    path = RESULTS / f"api-{figures['scale']:g}x.json"
    if only and path.exists():  # keep the endpoints not measured this time
        kept = json.loads(path.read_text())
        names = {row["name"] for row in figures["results"]}
        figures["results"] = [row for row in kept["results"] if row["name"] not in names] + figures["results"]
    path.write_text(json.dumps(figures, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--scale", default="1", help="1: 100k customers, 1M interactions, 100k tickets; 1,10: both, side by side"
    )
    parser.add_argument("--database", help="default: sb_bench_<scale>x (one scale only)")
    parser.add_argument("--reuse", action="store_true", help="keep and measure an already loaded database")
    parser.add_argument("--load-only", action="store_true", help="load (or migrate) the database, measure nothing")
    parser.add_argument("--connections", type=int, default=4, help="wrk's concurrent connections")
    parser.add_argument("--seconds", type=int, default=5, help="measured seconds per endpoint and round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per endpoint and scale: the median counts")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load before an endpoint's first round")
    parser.add_argument("--only", help="comma-separated endpoint names to measure (and the floor)")
    parser.add_argument(
        "--explain", action="store_true", help="print each request's queries and a plan, measure nothing"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--plan-to", help=argparse.SUPPRESS)  # plan_elsewhere's child writes its plan there
    args = parser.parse_args()
    scales = [float(value) for value in args.scale.split(",")]
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    if not (args.load_only or args.explain) and shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    if len(scales) > 1 and (args.database or args.load_only or args.explain):
        sys.exit("--database, --load-only and --explain take one scale")
    if args.plan_to or len(scales) == 1:
        planned = plan(args, scales[0])
        if args.plan_to:
            Path(args.plan_to).write_text(json.dumps(planned))
            return
        if args.load_only or args.explain:
            return
        plans = [planned]
    else:
        plans = [plan_elsewhere(args, scale) for scale in scales]
    figures = measure(plans, args)
    for one in figures:
        save(one, bool(args.only))
    largest = figures[-1]
    other_label = "1x" if largest["scale"] >= 10 else "10x"
    other_path = RESULTS / f"api-{other_label}.json"
    other = None
    if other_path.exists() and other_label != f"{largest['scale']:g}x":
        other = json.loads(other_path.read_text())
    if len(figures) > 1:
        print_table(figures[0], None)
    print_table(largest, other)
    if other:
        print(f"\n(10×/1× against {other_path.name}, measured {other['measured_at']})")
    failed = [
        f"{one['scale']:g}× {row['name']}"
        for one in figures
        for row in one["results"]
        if row["errors"] or row["extra"].get("status") not in (200, 201)
    ]
    if failed:
        print(f"\nWARNING: errors or unexpected answers from {', '.join(failed)}: their figures measure no real work")


if __name__ == "__main__":
    main()
