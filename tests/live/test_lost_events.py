"""Live events lose nothing silently: a socket that missed messages says ``resync`` (with a gap in
its ``seq``), and Redis being away fails no request.

The sockets are the real ASGI application's (``WebsocketCommunicator``) on the configured layer:
the in-memory one by default, channels-redis' pub/sub on ``REDIS_URL``. A loss is made the way it
happens: a number taken by a publisher whose message never arrived.
"""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest
from channels.layers import get_channel_layer
from django.test import override_settings

from contactcenter.core.events import WALLBOARD_GROUP, agent_group
from contactcenter.live.layers import LOST, RECONNECTED, NumberedInMemoryChannelLayer
from tests.live.sockets import in_worker, open_socket, receive, receive_type
from tests.live.test_consumers import WALLBOARD, set_status, signed_in_long_ago

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]


@pytest.fixture(autouse=True)
def _signed_in_long_ago(org, afternoon):
    signed_in_long_ago()


async def lose_one(group: str) -> None:
    """A publisher took the group's next number and its message never arrived (Redis restarted
    between the two, its connection broke)."""
    layer = get_channel_layer()
    if isinstance(layer, NumberedInMemoryChannelLayer):
        layer.counters[group] += 1
        return
    loop_layer = layer._get_layer()
    shard = loop_layer._get_shard(loop_layer._get_group_channel_name(group))
    shard._ensure_redis()
    await shard._redis.incr(loop_layer._seq_key(group))


async def messages_until(communicator, event_type: str, timeout: float = 5) -> list[dict]:
    """Every message up to the first of ``event_type`` (included)."""
    received = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not received or received[-1]["type"] != event_type:
        received.append(await receive(communicator, timeout=max(deadline - loop.time(), 0.01)))
    return received


def test_groups_are_numbered_by_the_publishing_side_one_counter_per_group():
    async def scenario():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add("numbered.a", channel)
        await layer.group_add("numbered.b", channel)
        start = await layer.group_seq("numbered.a")
        for group in ("numbered.a", "numbered.a", "numbered.b"):
            await layer.group_send(group, {"type": "hello"})
        got = [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(3)]
        await layer.group_discard("numbered.a", channel)
        await layer.group_discard("numbered.b", channel)
        return start, got, await layer.group_seq("numbered.a")

    start, got, after = asyncio.run(scenario())
    assert [(m["stream"], m["stream_seq"]) for m in got] == [("numbered.a", 1), ("numbered.a", 2), ("numbered.b", 1)]
    assert (start, after) == (0, 2)
    assert all(m["type"] == "hello" for m in got)


def test_a_message_lost_on_the_way_shows_as_a_gap_and_a_resync(org):
    async def scenario():
        board = await open_socket(WALLBOARD, user=org.supervisor_a)
        try:
            opening = await receive_type(board, "queue_stats")
            await lose_one(WALLBOARD_GROUP)
            await in_worker(set_status, org.agent_a, "available")  # the next wallboard message
            return opening, await messages_until(board, "resync", timeout=5)
        finally:
            await board.disconnect()

    opening, received = asyncio.run(scenario())
    seqs = [opening["seq"]] + [m["seq"] for m in received]
    resync = received[-1]
    assert resync["reason"] == "gap"
    assert "agent_status" in [m["type"] for m in received[:-1]]  # relayed all the same
    # Every message before the resync follows the last; the resync skips the lost one.
    assert seqs[:-1] == list(range(seqs[0], seqs[0] + len(seqs) - 1))
    assert resync["seq"] == seqs[-2] + 2


def test_a_layer_back_after_a_break_and_a_publisher_that_failed_make_every_socket_resync(org):
    async def scenario():
        board = await open_socket(WALLBOARD, user=org.supervisor_a)
        agent = await open_socket("/ws/agent/", user=org.agent_a)
        layer = get_channel_layer()
        try:
            await receive_type(board, "queue_stats")
            await agent.send_json_to({"type": "ping"})  # answered once the socket is in its groups
            await receive_type(agent, "pong")
            # What the layer puts in every channel of a process when its Redis connection is back.
            await layer.group_send(WALLBOARD_GROUP, {"type": RECONNECTED})
            await layer.group_send(agent_group(org.agent_a.pk), {"type": RECONNECTED})
            after_break = await receive(board), await receive(agent)
            # What a publisher that could not publish to a group sends once it can.
            await layer.group_send(agent_group(org.agent_a.pk), {"type": LOST})
            return after_break, await receive(agent)
        finally:
            await board.disconnect()
            await agent.disconnect()

    (board_resync, agent_resync), lost = asyncio.run(scenario())
    assert (board_resync["type"], board_resync["reason"], board_resync["seq"]) == ("resync", "reconnected", 3)
    assert (agent_resync["type"], agent_resync["reason"], agent_resync["seq"]) == ("resync", "reconnected", 3)
    assert (lost["type"], lost["reason"], lost["seq"]) == ("resync", "lost", 5)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nobody listens there once the probe is closed


@pytest.fixture
def redis_away(settings):
    """Redis configured, and away: the cache, the channel layer and the health check find nobody."""
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}},
        CHANNEL_LAYERS={
            "default": {
                "BACKEND": "contactcenter.live.layers.NumberedRedisPubSubChannelLayer",
                "CONFIG": {"hosts": [{"address": url, "socket_connect_timeout": 1}]},
            }
        },
    ):
        yield url


def test_while_redis_is_away_tickets_are_given_and_taken_and_writes_answer_without_a_500(
    org, redis_away, api_client_for, caplog
):
    agent = api_client_for(org.agent_a)
    response = agent.post("/api/v1/auth/ws-ticket/")
    assert response.status_code == 200, response.content
    from contactcenter.live.tickets import ws_ticket_redeem

    assert ws_ticket_redeem(ticket=response.json()["ticket"]) == org.agent_a

    with caplog.at_level(logging.WARNING, logger="contactcenter.core.events"):
        response = agent.put("/api/v1/agents/me/status/", {"status": "break", "reason": "lunch"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "break"  # the write stands
    warnings = [record.getMessage() for record in caplog.records if record.name == "contactcenter.core.events"]
    assert warnings and all("not delivered" in message for message in warnings)
    assert not any("agent_a" in message or "lunch" in message for message in warnings)  # no personal data
    assert get_channel_layer().lost_streams  # owed to the groups: their sockets resync once it is back


def test_the_health_check_says_degraded_without_redis_and_503_only_without_the_database(client, redis_away):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "channel_layer": "down", "workers": "ok"}


def test_the_health_check_says_ok_when_everything_answers(client):
    from datetime import timedelta

    from django.utils import timezone
    from django_q.models import Schedule

    Schedule.objects.update(next_run=timezone.now() + timedelta(minutes=1))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "channel_layer": "ok", "workers": "ok"}
