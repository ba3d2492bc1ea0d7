"""Two ASGI server processes share live events through Redis, and survive a Redis restart.

For real: a fresh PostgreSQL database, a private Redis (never the machine's: other runs use it)
and two uvicorn processes (``tests/live/cluster.py``). The telephony system posts to server 1; the
agent's socket, opened on server 2 with a ticket, gets the screen pop. Then Redis is killed and
started again, and events flow again with nobody doing anything.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
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

    with Cluster(os.environ["DATABASE_URL"]).start(servers=2) as running:
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
            status = await next_of(board, "agent_status")

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
    assert (status["agent"], status["status"]) == ("agent0", "busy")
    assert again is not None, f"no screen pop within 60 s of the Redis restart ({attempts} calls)"
    assert again["seq"] > first["seq"]  # the same socket, still numbering
