"""Routing under load: from "an agent becomes available" to "the offer is on their socket".

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/routing.py \\
        [--agents 200] [--items 1000] [--rate 50] [--seconds 20] [--queues 4] [--accept-share 0.5]

1. Creates a throw-away PostgreSQL database (``--database``, default ``sb_bench_routing``, dropped
   first if a previous run left it, dropped again at the end), migrates it, and loads a center:
   ``--queues`` chat queues, ``--agents`` agents each in two of them (offline, a chat capacity
   high enough never to be the limit, an offer timeout of 60 s) and ``--items`` chats waiting,
   spread over the queues, oldest first.
2. Serves it as the README's production section does: ``uvicorn contactcenter.asgi:application
   --workers 4 --loop contactcenter.core.balancing:new_event_loop --no-proxy-headers
   --timeout-keep-alive 75`` (two processes per core of a 2-core
   machine; an agent's connection kept between two answers, as behind nginx) with ``DEBUG=0``,
   ``BACKGROUND_WORKERS=external`` and one ``manage.py worker``, live events through the Redis
   channel layer (``REDIS_URL``). The Redis is a private one started for the run (``--redis-url``
   names another): Redis pub/sub channels are shared by every database number of a server, so a
   shared Redis would mix other runs' events with the bench's.
3. Opens one real WebSocket per agent on ``/ws/agent/`` (a ticket from ``POST auth/ws-ticket/``
   with the agent's token, as the desktop does).
4. Every agent comes in (``PUT agents/me/status/ available``) and gets a first offer (not
   measured). Then, ``--rate`` times a second for ``--seconds`` seconds, an agent holding an offer
   (round robin) answers it: accepts it (``--accept-share`` of the time: the chat is theirs, and
   their chat capacity is never the limit) or declines it (the chat waits for someone else). Either
   answer puts the agent back to ``available``: the clock starts just before the answer is sent
   and stops when the agent's next ``offer`` is read on their socket. This is a chat agent's day:
   each answer frees them for the next piece of work, one request per offer.
5. Prints p50, p95, p99 and max of the latency, the offers per second achieved, and checks in the
   database, from the log of every offer (``routing_workoffer``), that no item was ever offered to
   two agents at once, none was accepted twice, and no agent ever held two open offers. PASS/FAIL
   per goal: p99 < 100 ms, the offers per second asked, no double offer, no double accept.

Bounded in time (``--max-seconds``); everything it starts it stops. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.live.cluster import BASE_DIR, Cluster, _stop, database_url_named

#: The goal of "agent available → offer on the socket" at p99 (seconds).
P99_GOAL = 0.100

#: Loads the center through the services (agents, queues, tokens), then the waiting items in bulk.
SETUP = """
import json
from datetime import timedelta
from django.utils import timezone
from contactcenter.core.tokens import api_token_issue
from contactcenter.agents.services import agent_provision, queue_create, team_create
from contactcenter.distribution.models import AgentRouting, QueueRouting, WorkItem, WorkKind
team = team_create(name="Bench team")
queues = [queue_create(name=f"Chat {{n}}", channel="chat") for n in range({queues})]
QueueRouting.objects.bulk_create([QueueRouting(queue=queue, offer_timeout_seconds=60) for queue in queues])
pbx = agent_provision(username="pbx", password=None, role="manager", validate=False)
tokens = {{"pbx": api_token_issue(user=pbx.user, expires_at=None).key}}
profiles = []
for n in range({agents}):
    mine = [queues[n % len(queues)], queues[(n + 1) % len(queues)]] if len(queues) > 1 else queues
    profile = agent_provision(
        username=f"agent{{n}}", password=None, role="agent", team=team, queues=mine, validate=False
    )
    profiles.append(profile)
    tokens[f"agent{{n}}"] = api_token_issue(user=profile.user, expires_at=None).key
AgentRouting.objects.bulk_create([AgentRouting(profile=p, chat_capacity=10000) for p in profiles])
now = timezone.now()
WorkItem.objects.bulk_create(
    [
        WorkItem(kind=WorkKind.CHAT, queue=queues[i % len(queues)], arrived_at=now - timedelta(seconds={items} - i))
        for i in range({items})
    ],
    batch_size=1000,
)
print("TOKENS=" + json.dumps(tokens))
"""


@dataclass
class RoutingCenter(Cluster):
    """The bench's center: :class:`tests.live.cluster.Cluster` (its database, its Redis, its
    servers), served as in production: one uvicorn with ``workers`` processes and one worker."""

    workers: int = 4
    agents: int = 200
    queues: int = 4
    items: int = 1000
    redis_url: str = ""
    #: Where the servers and the worker write their own log (their errors would drown the figures).
    log_path: str = ""
    _worker: subprocess.Popen | None = None
    _log: Any = None

    @property
    def env(self) -> dict[str, str]:
        env = super().env
        env.update(BACKGROUND_WORKERS="external")
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return env

    def start_redis(self, *, same_port: bool = False) -> None:
        if not self.redis_url:
            super().start_redis(same_port=same_port)

    def start(self, servers: int = 1) -> RoutingCenter:
        self.log_path = self.log_path or f"/tmp/{self.name}-server.log"  # noqa: S108  (a throw-away run's log)
        self._log = open(self.log_path, "w")  # noqa: SIM115  (closed in close())
        try:
            self.start_redis()
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self._create_database()
            self._manage("migrate", "--noinput")
            setup = SETUP.format(agents=self.agents, queues=self.queues, items=self.items)
            output = self._manage("shell", "-c", setup, "--no-imports")
            line = next(line for line in output.splitlines() if line.startswith("TOKENS="))
            self.tokens = json.loads(line.removeprefix("TOKENS="))
            self._start_server()
            self._worker = subprocess.Popen(
                [sys.executable, "manage.py", "worker"], cwd=BASE_DIR, env=self.env, stdout=self._log, stderr=self._log
            )
        except BaseException:
            self.close()
            raise
        return self

    def _spawn_server(self, port: int) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "uvicorn",
                "contactcenter.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(self.workers),
                "--no-proxy-headers",
                # Each new connection to the process holding the fewest (contactcenter/core/balancing.py).
                "--loop",
                "contactcenter.core.balancing:new_event_loop",
                # An agent's browser keeps its connection between two answers, as behind nginx
                # (keepalive_timeout 75 s); uvicorn's own 5 s would close it between two answers of
                # the same agent, and the next one races the close (a reset) or connects again.
                "--timeout-keep-alive",
                "75",
                "--log-level",
                "warning",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self._log,
            stderr=self._log,
        )

    def close(self) -> None:
        if self._worker is not None:
            _stop(self._worker)
            self._worker = None
        super().close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_errors(self) -> int:
        """Error lines the servers and the worker logged (503s when the database pool runs dry…)."""
        with open(self.log_path) as log:
            return sum(" ERROR " in line for line in log)

    @property
    def database(self) -> str:
        return database_url_named(self.database_url, self.name)


class Api:
    """The REST API as one user (one kept-alive connection)."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.session = base.rstrip("/"), requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        response = self.session.request(method, f"{self.base}/api/v1/{path}", json=body, timeout=30)
        return response.status_code, (response.json() if response.content else {})


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value at or under which ``share`` of the values lie."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(round(share * len(ordered), 9)) - 1)]


@dataclass
class Agent:
    name: str
    api: Api
    offers: asyncio.Queue
    ws: Any = None
    #: The offer the agent holds (``offer`` event), answered by the next cycle.
    offer: dict | None = None


@dataclass
class Results:
    latencies: list[float]
    answered: list[float]
    timeouts: int = 0
    stale: int = 0
    skipped: int = 0
    errors: int = 0
    accepted: int = 0
    declined: int = 0
    gone: int = 0
    first: float = 0.0
    last: float = 0.0


async def listen(agent: Agent) -> None:
    """Every ``offer`` on the agent's socket, with the instant it was read."""
    try:
        async for raw in agent.ws:
            received = time.monotonic()
            message = json.loads(raw)
            if message.get("type") == "offer":
                agent.offers.put_nowait((received, message))
    except Exception:  # closed at the end
        return


async def next_offer(agent: Agent, results: Results, started: float, started_wall: float, wait: float) -> dict | None:
    """The agent's first offer made after ``started_wall`` (older ones are dropped), with its
    latency recorded; ``None`` past ``wait`` seconds."""
    deadline = started + wait
    while True:
        try:
            received, offer = await asyncio.wait_for(agent.offers.get(), max(deadline - time.monotonic(), 0.001))
        except TimeoutError:
            results.timeouts += 1
            return None
        if datetime.fromisoformat(offer["offered_at"]).timestamp() >= started_wall - 0.001:
            results.latencies.append(received - started)
            results.last = max(results.last, received)
            return offer
        results.stale += 1


async def cycle(agent: Agent, results: Results, free: deque, accept: bool, wait: float) -> None:
    """One "agent becomes available" of ``agent``, who holds an offer: they answer it (accepting
    puts them back to available, with one more chat; declining too, and the chat waits for someone
    else), and the clock runs from the answer sent to the next offer on their socket."""
    try:
        started, started_wall = time.monotonic(), time.time()
        answer = "accept" if accept else "decline"
        status, _body = await asyncio.to_thread(
            agent.api.call, "POST", f"routing/offers/{agent.offer['offer']}/{answer}/"
        )
        results.answered.append(time.monotonic() - started)
        if status == 200:
            results.accepted += accept
            results.declined += not accept
        elif status == 409:
            results.gone += 1
        else:
            results.errors += 1
            return
        agent.offer = await next_offer(agent, results, started, started_wall, wait)
    finally:
        if agent.offer is not None:
            free.append(agent)


async def run(args: argparse.Namespace, center: RoutingCenter) -> Results:
    from websockets.asyncio.client import connect

    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=64))
    base = center.http(0)
    agents = [
        Agent(name=f"agent{n}", api=Api(base, center.tokens[f"agent{n}"]), offers=asyncio.Queue())
        for n in range(args.agents)
    ]
    opened = time.monotonic()
    for agent in agents:
        status, body = await asyncio.to_thread(agent.api.call, "POST", "auth/ws-ticket/")
        if status != 200:
            raise RuntimeError(f"ws-ticket for {agent.name}: {status} {body}")
        url = base.replace("http://", "ws://") + f"/ws/agent/?ticket={body['ticket']}"
        agent.ws = await connect(url, max_size=2**22)
    print(f"{len(agents)} agent sockets open in {time.monotonic() - opened:.1f} s")
    listeners = [asyncio.create_task(listen(agent)) for agent in agents]
    await asyncio.sleep(1.0)

    # Every agent comes in (available) and gets a first offer: not measured.
    warm = Results(latencies=[], answered=[])

    async def come_in(agent: Agent) -> None:
        started, started_wall = time.monotonic(), time.time()
        status, _body = await asyncio.to_thread(agent.api.call, "PUT", "agents/me/status/", {"status": "available"})
        if status in (200, 202):
            agent.offer = await next_offer(agent, warm, started, started_wall, 60.0)

    began = time.monotonic()
    for batch in range(0, len(agents), 20):
        await asyncio.gather(*(come_in(agent) for agent in agents[batch : batch + 20]))
    ready = [agent for agent in agents if agent.offer is not None]
    print(f"{len(ready)} agents available with a first offer in {time.monotonic() - began:.1f} s")
    await asyncio.sleep(1.0)

    results = Results(latencies=[], answered=[])
    free: deque[Agent] = deque(ready)
    cycles: list[asyncio.Task] = []
    count = int(args.rate * args.seconds)
    results.first = time.monotonic()
    for n in range(count):
        await asyncio.sleep(max(results.first + n / args.rate - time.monotonic(), 0))
        if not free:
            results.skipped += 1
            continue
        # Accepted at the share asked, spread evenly: the n-th cycle accepts when the running total steps up.
        accept = math.floor((n + 1) * args.accept_share) > math.floor(n * args.accept_share)
        cycles.append(asyncio.create_task(cycle(free.popleft(), results, free, accept, args.wait)))
    await asyncio.wait(cycles, timeout=args.wait + 30)
    for agent in agents:
        await agent.ws.close()
    for task in listeners:
        task.cancel()
    return results


def database_checks(url: str) -> dict[str, int]:
    """From the log of every offer: items offered to two agents at overlapping times, items
    accepted twice, agents holding two open offers at once; and the offers made."""
    overlap = """
        SELECT count(*) FROM routing_workoffer a JOIN routing_workoffer b
          ON a.{key} = b.{key} AND a.id < b.id
         AND a.offered_at < coalesce(b.answered_at, 'infinity')
         AND b.offered_at < coalesce(a.answered_at, 'infinity')
    """
    with psycopg.connect(url) as connection:
        item_overlaps = connection.execute(overlap.format(key="item_id")).fetchone()[0]
        agent_overlaps = connection.execute(overlap.format(key="agent_id")).fetchone()[0]
        accepted_twice = connection.execute(
            "SELECT count(*) FROM (SELECT item_id FROM routing_workoffer WHERE outcome = 'accepted'"
            " GROUP BY item_id HAVING count(*) > 1) twice"
        ).fetchone()[0]
        assigned_not_accepted = connection.execute(
            "SELECT count(*) FROM routing_workitem i WHERE i.state = 'assigned' AND NOT EXISTS"
            " (SELECT 1 FROM routing_workoffer o WHERE o.item_id = i.id AND o.outcome = 'accepted'"
            " AND o.agent_id = i.assigned_to_id)"
        ).fetchone()[0]
        offers = connection.execute("SELECT count(*) FROM routing_workoffer").fetchone()[0]
    return {
        "offers": offers,
        "item_overlaps": item_overlaps,
        "agent_overlaps": agent_overlaps,
        "accepted_twice": accepted_twice,
        "assigned_not_accepted": assigned_not_accepted,
    }


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(args: argparse.Namespace, results: Results, checks: dict[str, int]) -> bool:
    ms = [value * 1000 for value in results.latencies]
    elapsed = max(results.last - results.first, 1e-9)
    rate = len(ms) / elapsed if ms else 0.0
    print(
        f"cycles: {len(ms)} offers measured, {results.timeouts} without an offer within {args.wait:g} s, "
        f"{results.skipped} skipped (no agent free), {results.errors} errors; "
        f"answers: {results.accepted} accepted, {results.declined} declined, {results.gone} gone (409); "
        f"{results.stale} stale offers ignored"
    )
    if ms:
        print(
            f"agent available → offer on the socket: p50={percentile(ms, 0.50):.1f} ms "
            f"p95={percentile(ms, 0.95):.1f} ms p99={percentile(ms, 0.99):.1f} ms max={max(ms):.1f} ms "
            f"mean={statistics.fmean(ms):.1f} ms"
        )
    if results.answered:
        answered = [value * 1000 for value in results.answered]
        print(
            f"for comparison, the answer's own response: p50={percentile(answered, 0.50):.1f} ms "
            f"p99={percentile(answered, 0.99):.1f} ms (the next offer is made after its commit, in the same request)"
        )
    print(f"offers/s achieved: {rate:.1f} (asked {args.rate:g}/s over {args.seconds:g} s)")
    print(
        f"database: {checks['offers']} offers logged; items offered to two agents at once: "
        f"{checks['item_overlaps']}; items accepted twice: {checks['accepted_twice']}; agents with two open "
        f"offers: {checks['agent_overlaps']}; assigned items without their accepted offer: "
        f"{checks['assigned_not_accepted']}"
    )
    goals = {
        f"p99 < {P99_GOAL * 1000:.0f} ms": bool(ms) and percentile(ms, 0.99) < P99_GOAL * 1000,
        f"offers/s ≥ 95 % of {args.rate:g}": rate >= 0.95 * args.rate and not results.timeouts,
        "no item offered to two agents at once": checks["item_overlaps"] == 0,
        "no item accepted twice": checks["accepted_twice"] == 0 and checks["assigned_not_accepted"] == 0,
        "no agent with two open offers": checks["agent_overlaps"] == 0,
    }
    for goal, ok in goals.items():
        print(f"{verdict(ok)}  {goal}")
    return all(goals.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--items", type=int, default=1000, help="chats waiting at the start")
    parser.add_argument("--queues", type=int, default=4, help="chat queues (each agent serves two)")
    parser.add_argument("--rate", type=float, default=50.0, help="agents made available per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long agents are made available")
    parser.add_argument("--accept-share", type=float, default=0.5, help="share of offers accepted (the rest declined)")
    parser.add_argument("--wait", type=float, default=10.0, help="how long an agent waits for their offer")
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1), help="uvicorn processes (default: two per core)"
    )
    parser.add_argument("--database", default="sb_bench_routing", help="the throw-away database's name")
    parser.add_argument("--redis-url", default="", help="a Redis for the channel layer (default: a private one)")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="stop after this long whatever happens")
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        parser.error("DATABASE_URL (a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres) is needed")
    if not 0 <= args.accept_share <= 1:
        parser.error("--accept-share is from 0 to 1")

    print(
        f"bench/routing.py: {args.agents} agents, {args.items} waiting chats in {args.queues} queues, "
        f"{args.rate:g} agents available/s × {args.seconds:g} s, {args.accept_share:.0%} accepted; "
        f"uvicorn × {args.workers} workers; {os.cpu_count()} CPUs"
    )
    center = RoutingCenter(
        os.environ["DATABASE_URL"],
        name=args.database,
        agents=args.agents,
        queues=args.queues,
        items=args.items,
        workers=args.workers,
        redis_url=args.redis_url,
    )
    with center.start():
        redis = args.redis_url or f"private Redis on {center.redis_port}"
        print(f"served: {center.http(0)}, database {center.name}, channel layer on {redis}")
        results = asyncio.run(asyncio.wait_for(run(args, center), timeout=args.max_seconds))
        checks = database_checks(center.database)
        passed = report(args, results, checks)
    print(f"server log: {center.log_errors()} error lines in {center.log_path}")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
