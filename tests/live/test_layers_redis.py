"""The Redis layer for real, against a private redis-server that the test kills and starts again
(empty, as a crashed one comes back): numbers shared by every publishing process, a word to every
socket when the connection is back, and a publish that failed owed to its group.

Two layer objects stand for two server processes: each has its own connections and subscriptions.
"""

from __future__ import annotations

import asyncio
import shutil

import pytest

from contactcenter.live.layers import LOST, RECONNECTED, NumberedRedisPubSubChannelLayer

pytestmark = pytest.mark.redis

#: The pages must have refetched within 10 s of Redis being back: the sockets hear it sooner.
BACK_WITHIN = 8.0


@pytest.fixture
def private_redis():
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    from tests.live.cluster import PrivateRedis

    redis = PrivateRedis().start()
    try:
        yield redis
    finally:
        redis.stop()


def layer_on(redis) -> NumberedRedisPubSubChannelLayer:
    return NumberedRedisPubSubChannelLayer(hosts=[{"address": redis.url, "socket_connect_timeout": 1}])


async def next_message(layer, channel: str, timeout: float = 5) -> dict:
    return await asyncio.wait_for(layer.receive(channel), timeout)


def test_every_process_numbers_a_group_from_one_counter(private_redis):
    async def scenario():
        one, two = layer_on(private_redis), layer_on(private_redis)
        channel = await two.new_channel()
        await two.group_add("wallboard", channel)
        await one.group_send("wallboard", {"type": "a"})
        await two.group_send("wallboard", {"type": "b"})
        await one.group_send("wallboard", {"type": "c"})
        got = [await next_message(two, channel) for _ in range(3)]
        counters = await one.group_seq("wallboard"), await two.group_seq("agent.1")
        await one.flush()
        await two.flush()
        return got, counters

    got, counters = asyncio.run(scenario())
    assert [(m["type"], m["stream"], m["stream_seq"]) for m in got] == [
        ("a", "wallboard", 1),
        ("b", "wallboard", 2),
        ("c", "wallboard", 3),
    ]
    assert counters == (3, 0)


def test_after_a_redis_restart_every_socket_hears_it_and_a_failed_publish_is_owed(private_redis):
    async def scenario():
        publisher, server = layer_on(private_redis), layer_on(private_redis)
        board = await server.new_channel()
        agent = await server.new_channel()
        await server.group_add("wallboard", board)
        await server.group_add("agent.7", agent)
        await publisher.group_send("agent.7", {"type": "status_changed"})
        before = await next_message(server, agent)

        await asyncio.to_thread(private_redis.kill)
        with pytest.raises(Exception):  # noqa: B017 (whatever redis-py raises: the publish fails)
            await asyncio.wait_for(publisher.group_send("agent.7", {"type": "status_changed"}), 2)
        owed = set(publisher.lost_streams)
        await asyncio.to_thread(private_redis.start, same_port=True)
        loop = asyncio.get_running_loop()
        back = loop.time()
        heard = [await next_message(server, channel, BACK_WITHIN) for channel in (board, agent)]
        heard_after = loop.time() - back

        # The server subscribed again: the next publish that works first settles what was owed.
        await publisher.group_send("wallboard", {"type": "agent_status"})
        after = [await next_message(server, agent), await next_message(server, board)]
        await publisher.flush()
        await server.flush()
        return before, owed, heard, heard_after, after, publisher.lost_streams

    before, owed, heard, heard_after, after, still_owed = asyncio.run(scenario())
    assert (before["stream"], before["stream_seq"]) == ("agent.7", 1)
    assert owed == {"agent.7"}
    assert [message["type"] for message in heard] == [RECONNECTED, RECONNECTED]
    assert heard_after < BACK_WITHIN
    # Redis came back empty: its counters start again at 1.
    assert (after[0]["type"], after[0]["stream"], after[0]["stream_seq"]) == (LOST, "agent.7", 1)
    assert (after[1]["type"], after[1]["stream"], after[1]["stream_seq"]) == ("agent_status", "wallboard", 1)
    assert not still_owed


def test_a_requests_events_go_in_one_round_trip_in_order_numbered_and_owed_when_redis_is_away(private_redis):
    async def scenario():
        publisher, server = layer_on(private_redis), layer_on(private_redis)
        board, agent = await server.new_channel(), await server.new_channel()
        await server.group_add("wallboard", board)
        await server.group_add("agent.7", agent)
        await publisher.group_send("agent.7", {"type": "a"})  # the group's counter goes on from here
        await next_message(server, agent)
        sends = [
            ("agent.7", {"type": "offer_closed"}),
            ("agent.7", {"type": "status_changed"}),
            ("wallboard", {"type": "agent_status"}),
            ("agent.7", {"type": "offer"}),
        ]
        await publisher.group_send_many(sends)
        to_agent = [await next_message(server, agent) for _ in range(3)]
        to_board = await next_message(server, board)

        await asyncio.to_thread(private_redis.kill)
        with pytest.raises(Exception):  # noqa: B017 (whatever redis-py raises: the batch fails)
            await asyncio.wait_for(publisher.group_send_many(sends), 2)
        owed = set(publisher.lost_streams)
        await asyncio.to_thread(private_redis.start, same_port=True)
        await next_message(server, board, BACK_WITHIN)  # layer.reconnected
        await next_message(server, agent, BACK_WITHIN)
        await publisher.group_send_many([("wallboard", {"type": "agent_status"})])
        after = [
            await next_message(server, agent),
            await next_message(server, board),
            await next_message(server, board),
        ]
        await publisher.flush()
        await server.flush()
        return to_agent, to_board, owed, after, publisher.lost_streams

    to_agent, to_board, owed, after, still_owed = asyncio.run(scenario())
    assert [(m["type"], m["stream_seq"]) for m in to_agent] == [
        ("offer_closed", 2),
        ("status_changed", 3),
        ("offer", 4),
    ]
    assert (to_board["type"], to_board["stream"], to_board["stream_seq"]) == ("agent_status", "wallboard", 1)
    # Every group of a batch that failed is owed a stream.lost, sent first by the next batch that works.
    assert owed == {"agent.7", "wallboard"}
    assert [(m["type"], m["stream"], m["stream_seq"]) for m in after] == [
        (LOST, "agent.7", 1),
        (LOST, "wallboard", 1),
        ("agent_status", "wallboard", 2),
    ]
    assert not still_owed
