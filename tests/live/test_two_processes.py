"""Two ASGI server processes share live events through Redis, and survive a Redis restart.

For real: a fresh PostgreSQL database, a private Redis (never the machine's: other runs use it)
and two uvicorn processes (``tests/live/cluster.py``). The telephony system posts to server 1; the
agent's socket, opened on server 2 with a ticket, gets the screen pop. Then Redis is killed and
started again, and events flow again with nobody doing anything.

And nothing is lost silently: with sockets open on both servers and an agent changing status, Redis
is away for 5 seconds. Meanwhile every request answers (no 500, tickets still given out); once it is
back, every socket says ``resync`` with a gap in its ``seq``, and a client that refetches then (as
the pages do) finds the status set while Redis was away.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
import uuid
from datetime import UTC, datetime

import pytest
import requests

pytestmark = pytest.mark.postgres

TIMEOUT = 10


def _requirements() -> str | None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return "DATABASE_URL does not point at PostgreSQL"
    if not os.environ.get("REDIS_URL"):
        return "REDIS_URL is not set"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    return None


@pytest.fixture(scope="module")
def cluster():
    reason = _requirements()
    if reason:
        pytest.skip(reason)
    from tests.live.cluster import Cluster

    with Cluster(os.environ["DATABASE_URL"], agents=2).start(servers=2) as running:
        yield running


def post(url: str, token: str, body: dict | None = None) -> requests.Response:
    return requests.post(url, json=body, headers={"Authorization": f"Token {token}"}, timeout=TIMEOUT)


def call_event(cluster, server: int, event: str, call_id: str, agent: str | None = None) -> requests.Response:
    body = {
        "event": event,
        "call_id": call_id,
        "timestamp": datetime.now(UTC).isoformat(),
        "from": "+33 6 12 34 56 78",
        "to": "3900",
        "queue": "Billing",
        "agent": agent,
    }
    return post(f"{cluster.http(server)}/api/v1/cti/events/", cluster.tokens["pbx"], body)


def ticket(cluster, server: int, user: str) -> str:
    response = post(f"{cluster.http(server)}/api/v1/auth/ws-ticket/", cluster.tokens[user])
    assert response.status_code == 200, response.text
    return response.json()["ticket"]


async def next_of(ws, event_type: str, timeout: float = TIMEOUT) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=max(deadline - loop.time(), 0.01)))
        if message["type"] == event_type:
            return message


async def answer_and_pop(cluster, ws, call_id: str, timeout: float = TIMEOUT) -> dict:
    for event in ("call.offered", "call.answered"):
        response = await asyncio.to_thread(call_event, cluster, 0, event, call_id, "agent0")
        assert response.status_code == 201, response.text
    return await next_of(ws, "screen_pop", timeout)


def test_a_call_posted_to_one_server_pops_the_screen_on_the_other_and_survives_a_redis_restart(cluster):
    from websockets.asyncio.client import connect

    async def scenario():
        agent_url = f"{cluster.ws(1)}/ws/agent/?ticket={await asyncio.to_thread(ticket, cluster, 1, 'agent0')}"
        board_url = f"{cluster.ws(1)}/ws/wallboard/?ticket={await asyncio.to_thread(ticket, cluster, 0, 'supervisor')}"
        async with connect(agent_url) as agent, connect(board_url) as board:
            opening = await next_of(board, "queue_stats")
            first = await answer_and_pop(cluster, agent, "two-1")
            # The offer names the agent: ringing, then busy once answered.
            status = [await next_of(board, "agent_status"), await next_of(board, "agent_status")]

            await asyncio.to_thread(cluster.restart_redis)
            # Events resume with no manual action: the servers' subscribers reconnect by themselves.
            # Calls posted before they have may pop nothing (the socket is a hint); keep calling.
            loop = asyncio.get_running_loop()
            deadline, again, attempts = loop.time() + 60, None, 0
            while again is None and loop.time() < deadline:
                attempts += 1
                try:
                    again = await answer_and_pop(cluster, agent, f"two-after-{uuid.uuid4().hex[:8]}", timeout=2)
                except (TimeoutError, AssertionError, requests.RequestException):
                    await asyncio.sleep(0.5)
            return opening, first, status, again, attempts

    opening, first, status, again, attempts = asyncio.run(scenario())
    assert opening["seq"] == 1 and opening["queues"][0]["queue"] == "Billing"
    assert first["interaction"]["agent"] == "agent0" and first["caller"] == "+33612345678"
    assert first["script"] is None and first["seq"] >= 1
    assert [(message["agent"], message["status"]) for message in status] == [("agent0", "ringing"), ("agent0", "busy")]
    assert again is not None, f"no screen pop within 60 s of the Redis restart ({attempts} calls)"
    assert again["seq"] > first["seq"]  # the same socket, still numbering


def get(url: str, token: str) -> requests.Response:
    return requests.get(url, headers={"Authorization": f"Token {token}"}, timeout=TIMEOUT)


def set_status(cluster, server: int, user: str, status: str) -> int:
    body = {"status": status, "reason": "lunch" if status == "break" else ""}
    url = f"{cluster.http(server)}/api/v1/agents/me/status/"
    headers = {"Authorization": f"Token {cluster.tokens[user]}"}
    return requests.put(url, json=body, headers=headers, timeout=TIMEOUT).status_code


class Page:
    """What a page does with its socket (docs/live.md, "Reconnecting"): apply the messages, and on
    a gap in ``seq`` or a ``resync``, read the state again over HTTP (``refetch``)."""

    def __init__(self, ws, refetch) -> None:
        self.ws, self.refetch = ws, refetch
        self.expected: int | None = None
        self.refetched: list[tuple[float, str, dict]] = []  # (when, the state read, the message)
        self.gaps = 0

    async def run(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            gap = self.expected is not None and message["seq"] != self.expected
            self.expected = message["seq"] + 1
            self.gaps += gap
            if gap or message["type"] == "resync":
                state = await asyncio.to_thread(self.refetch)
                self.refetched.append((time.monotonic(), state, message))


def test_redis_away_for_5_seconds_fails_no_request_and_every_page_refetches_within_10_seconds_of_its_return(cluster):
    from websockets.asyncio.client import connect

    agent, other = "agent1", "agent0"

    def my_status() -> str:
        return get(f"{cluster.http(1)}/api/v1/agents/me/status/", cluster.tokens[agent]).json()["status"]

    def board_status() -> str:
        rows = get(f"{cluster.http(0)}/api/v1/agents/?page_size=100", cluster.tokens["supervisor"]).json()["results"]
        return next(row["status"] for row in rows if row["username"] == agent)

    async def scenario():
        assert await asyncio.to_thread(set_status, cluster, 0, agent, "available") == 200
        agent_url = f"{cluster.ws(1)}/ws/agent/?ticket={await asyncio.to_thread(ticket, cluster, 1, agent)}"
        board_url = f"{cluster.ws(0)}/ws/wallboard/?ticket={await asyncio.to_thread(ticket, cluster, 0, 'supervisor')}"
        other_url = f"{cluster.ws(0)}/ws/agent/?ticket={await asyncio.to_thread(ticket, cluster, 0, other)}"
        async with connect(agent_url) as agent_ws, connect(board_url) as board_ws, connect(other_url) as other_ws:
            pages = [Page(agent_ws, my_status), Page(board_ws, board_status), Page(other_ws, lambda: "-")]
            readers = [asyncio.create_task(page.run()) for page in pages]
            await other_ws.send(json.dumps({"type": "ping"}))
            # Traffic first: the agent changes status, the sockets follow with no gap.
            for status in ("break", "available", "break"):
                assert await asyncio.to_thread(set_status, cluster, 1, agent, status) == 200
            await asyncio.sleep(1)
            assert [page.refetched for page in pages] == [[], [], []]

            await asyncio.to_thread(cluster.kill_redis)
            codes, tickets = [], []
            ticket_url = f"{cluster.http(1)}/api/v1/auth/ws-ticket/"
            down_since = time.monotonic()
            statuses = ["available", "break"]
            while time.monotonic() - down_since < 5:
                turn = len(codes) % 2  # each server in turn
                codes.append(await asyncio.to_thread(set_status, cluster, turn, agent, statuses[turn]))
                tickets.append((await asyncio.to_thread(post, ticket_url, cluster.tokens[agent])).status_code)
                await asyncio.sleep(0.25)
            last = statuses[(len(codes) - 1) % 2]
            await asyncio.to_thread(cluster.start_redis, same_port=True)
            back = time.monotonic()
            deadline = back + 10
            while time.monotonic() < deadline and not all(page.refetched for page in pages):
                await asyncio.sleep(0.1)
            for reader in readers:
                reader.cancel()
            return pages, codes, tickets, last, back

    pages, codes, tickets, last, back = asyncio.run(scenario())
    assert codes and set(codes) == {200}, codes  # every write stood, none answered 500
    assert tickets and set(tickets) == {200}, tickets
    for name, page in zip(("agent", "wallboard", "other agent"), pages, strict=True):
        assert page.refetched, f"the {name} socket said nothing within 10 s of Redis being back"
        when, _state, message = page.refetched[0]
        assert when - back <= 10
        assert message["type"] == "resync" and page.gaps >= 1  # a resync comes with a gap in seq
    # What changed while Redis was away is what the pages read when they refetch: nothing lost.
    assert pages[0].refetched[0][1] == last
    assert pages[1].refetched[0][1] == last
