"""Live events through Redis, measured: CTI event → screen pop, and one event → N wallboards.

Against running uvicorn servers sharing one Redis (README, "Live events and several processes")::

    .venv/bin/python bench/live_latency.py --servers http://127.0.0.1:8001,http://127.0.0.1:8002 \\
        --username admin --password switchboard

or on a throw-away center it starts itself (a fresh PostgreSQL database named from DATABASE_URL,
a private Redis, two uvicorn processes; all stopped and dropped at the end)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/live_latency.py --spawn

1. **Screen pop**: an agent's socket on the last server; ``--calls`` calls posted to the first one
   (``call.offered`` then ``call.answered``), one after the other. Latency: from sending
   ``call.answered`` to the screen pop on the socket (the whole path: HTTP, the CTI service and
   its commit, Redis, the other process building the pop), and from the event's publication
   (its ``at``) to the socket.
2. **Fan-out**: ``--sockets`` wallboard sockets spread over the servers; another agent's status
   changes ``--rate`` times a second for ``--seconds`` seconds (``PUT agents/me/status/`` on the
   first server), each one an ``agent_status`` on every wallboard. Latency from sending the change
   to each socket's message, and how many messages were lost.

Bounded in count and time (``--max-seconds``); prints its figures and stops.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASSWORD = "Bench-pass-2026"  # noqa: S105  (the throw-away accounts of the bench)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def figures(label: str, seconds: list[float]) -> str:
    ms = [value * 1000 for value in seconds]
    if not ms:
        return f"{label}: no sample"
    return (
        f"{label}: n={len(ms)} p50={percentile(ms, 0.50):.1f} ms p99={percentile(ms, 0.99):.1f} ms "
        f"max={max(ms):.1f} ms mean={statistics.fmean(ms):.1f} ms"
    )


class Api:
    """The REST API of one server, as one user."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.session = base.rstrip("/"), requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"

    def call(self, method: str, path: str, body: dict | None = None, expect: tuple[int, ...] = (200, 201)) -> dict:
        response = self.session.request(method, f"{self.base}/api/v1/{path}", json=body, timeout=30)
        if response.status_code not in expect:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else {}

    def ticket(self) -> str:
        return self.call("POST", "auth/ws-ticket/")["ticket"]


def token_for(base: str, username: str, password: str) -> str:
    response = requests.post(
        f"{base.rstrip('/')}/api/v1/auth/token/", json={"username": username, "password": password}, timeout=30
    )
    response.raise_for_status()
    return response.json()["token"]


def provision(servers: list[str], admin_token: str) -> dict[str, str]:
    """A team, a queue, an agent and a supervisor of the bench's own, through the API (admin)."""
    admin = Api(servers[0], admin_token)
    suffix = uuid.uuid4().hex[:6]
    team, queue = f"bench-team-{suffix}", f"bench-queue-{suffix}"
    admin.call("POST", "teams/", {"name": team})
    admin.call("POST", "queues/", {"name": queue, "channel": "voice"})
    names = {"agent": f"bench_agent_{suffix}", "supervisor": f"bench_sup_{suffix}", "fan": f"bench_fan_{suffix}"}
    for role, username in names.items():
        admin.call(
            "POST",
            "agents/",
            {
                "username": username,
                "password": PASSWORD,
                "role": "agent" if role == "fan" else role,
                "team": team,
                "queues": [queue],
            },
        )
    return {
        "queue": queue,
        "agent": names["agent"],
        "pbx": admin_token,
        "agent_token": token_for(servers[0], names["agent"], PASSWORD),
        "supervisor_token": token_for(servers[0], names["supervisor"], PASSWORD),
        "fan_token": token_for(servers[0], names["fan"], PASSWORD),
    }


def ws_url(base: str, path: str, ticket: str) -> str:
    return base.replace("http://", "ws://").replace("https://", "wss://").rstrip("/") + f"{path}?ticket={ticket}"


async def next_of(ws, event_type: str, timeout: float) -> tuple[float, dict]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout=max(deadline - loop.time(), 0.001))
        received = time.time()
        message = json.loads(raw)
        if message["type"] == event_type:
            return received, message


async def screen_pops(servers: list[str], setup: dict[str, str], calls: int, deadline: float) -> None:
    from websockets.asyncio.client import connect

    pbx, agent = Api(servers[0], setup["pbx"]), Api(servers[-1], setup["agent_token"])
    end_to_end, after_publish = [], []
    url = ws_url(servers[-1], "/ws/agent/", await asyncio.to_thread(agent.ticket))
    async with connect(url, max_size=2**22) as ws:
        for n in range(calls):
            if time.monotonic() > deadline:
                break
            call_id = f"bench-{uuid.uuid4().hex}"
            body = {
                "call_id": call_id,
                "from": f"+3361234{n % 10000:04d}",
                "to": "3900",
                "queue": setup["queue"],
            }
            now = datetime.now(UTC).isoformat()
            await asyncio.to_thread(
                pbx.call, "POST", "cti/events/", {**body, "event": "call.offered", "timestamp": now}
            )
            sent = time.time()
            answered = {**body, "event": "call.answered", "timestamp": datetime.now(UTC).isoformat()}
            answer = asyncio.create_task(
                asyncio.to_thread(pbx.call, "POST", "cti/events/", {**answered, "agent": setup["agent"]})
            )
            received, message = await next_of(ws, "screen_pop", timeout=10)
            await answer
            end_to_end.append(received - sent)
            after_publish.append(received - datetime.fromisoformat(message["at"]).timestamp())
    print(figures("screen pop, CTI call.answered sent → pop on the other server", end_to_end))
    print(figures("screen pop, event published → pop on the socket", after_publish))


async def fan_out(servers: list[str], setup: dict[str, str], sockets: int, rate: float, seconds: float) -> None:
    from websockets.asyncio.client import connect

    supervisor = [Api(base, setup["supervisor_token"]) for base in servers]
    # Another agent than the screen pops': theirs is on every call the pops answered (busy).
    agent = Api(servers[0], setup["fan_token"])
    opened = []
    started = time.monotonic()
    for n in range(sockets):
        base_index = n % len(servers)
        ticket = await asyncio.to_thread(supervisor[base_index].ticket)
        ws = await connect(ws_url(servers[base_index], "/ws/wallboard/", ticket), max_size=2**22)
        opened.append(ws)
    print(f"fan-out: {len(opened)} wallboard sockets open in {time.monotonic() - started:.1f} s")

    received: list[list[tuple[float, str]]] = [[] for _ in opened]

    async def listen(index: int, ws) -> None:
        try:
            async for raw in ws:
                received[index].append((time.time(), raw))
        except Exception:  # closed at the end
            return

    listeners = [asyncio.create_task(listen(i, ws)) for i, ws in enumerate(opened)]
    await asyncio.sleep(1.5)  # the opening queue_stats
    for stream in received:
        stream.clear()
    sent: list[float] = []
    events = int(rate * seconds)
    first = time.monotonic()
    for n in range(events):
        await asyncio.sleep(max(first + n / rate - time.monotonic(), 0))
        body = {"status": "break", "reason": "coaching"} if n % 2 == 0 else {"status": "available"}
        sent.append(time.time())
        await asyncio.to_thread(agent.call, "PUT", "agents/me/status/", body)
    await asyncio.sleep(3)  # the last messages
    for ws in opened:
        await ws.close()
    for task in listeners:
        task.cancel()

    latencies, after_publish, lost = [], [], 0
    for stream in received:
        statuses = [(at, json.loads(raw)) for at, raw in stream]
        statuses = [(at, m) for at, m in statuses if m["type"] == "agent_status"]
        lost += max(events - len(statuses), 0)
        for (at, message), sent_at in zip(statuses, sent, strict=False):
            latencies.append(at - sent_at)
            after_publish.append(at - datetime.fromisoformat(message["at"]).timestamp())
    print(f"fan-out: {events} status changes at {rate:g}/s → {events * len(opened)} messages expected, {lost} lost")
    print(figures(f"fan-out to {len(opened)} sockets, change sent → message", latencies))
    print(figures(f"fan-out to {len(opened)} sockets, event published → message", after_publish))


async def main_async(args: argparse.Namespace, servers: list[str], setup: dict[str, str]) -> None:
    deadline = time.monotonic() + args.max_seconds
    await screen_pops(servers, setup, args.calls, deadline)
    if time.monotonic() < deadline and args.sockets:
        await asyncio.wait_for(
            fan_out(servers, setup, args.sockets, args.rate, args.seconds),
            timeout=max(deadline - time.monotonic(), 1),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", default="http://127.0.0.1:8001,http://127.0.0.1:8002")
    parser.add_argument("--username", default="admin", help="an admin (provisions the bench's agents)")
    parser.add_argument("--password", default="switchboard")
    parser.add_argument("--spawn", action="store_true", help="start a private center (needs DATABASE_URL)")
    parser.add_argument("--processes", type=int, default=2, help="uvicorn processes with --spawn")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--rate", type=float, default=10.0, help="events per second in the fan-out")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long the fan-out lasts")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="stop after this long whatever happens")
    args = parser.parse_args()

    print(
        f"bench/live_latency.py: {args.calls} calls, {args.sockets} wallboards, "
        f"{args.rate:g} events/s × {args.seconds:g} s"
    )
    if args.spawn:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")
        from tests.live.cluster import Cluster

        with Cluster(os.environ["DATABASE_URL"], agents=2).start(servers=args.processes) as cluster:
            servers = [cluster.http(i) for i in range(args.processes)]
            print(f"spawned: {len(servers)} uvicorn processes, Redis on {cluster.redis_port}, database {cluster.name}")
            setup = {
                "queue": "Billing",
                "agent": "agent0",
                "pbx": cluster.tokens["pbx"],
                "agent_token": cluster.tokens["agent0"],
                "supervisor_token": cluster.tokens["supervisor"],
                "fan_token": cluster.tokens["agent1"],
            }
            asyncio.run(main_async(args, servers, setup))
        return
    servers = [base.strip() for base in args.servers.split(",") if base.strip()]
    setup = provision(servers, token_for(servers[0], args.username, args.password))
    asyncio.run(main_async(args, servers, setup))


if __name__ == "__main__":
    main()
