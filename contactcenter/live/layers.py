"""Channel layers whose groups are numbered streams, and which tell sockets when they were away.

Channel layers deliver at most once: a Redis restart, a dropped connection or a full channel loses
messages without a word. These layers make a loss visible (``docs/live.md``, "Nothing lost
silently"):

* **Numbered by the publishing side.** ``group_send`` stamps each message with the group it was
  sent to (``stream``) and the next number of that group (``stream_seq``), from one counter per
  group shared by every process that publishes: on Redis, one Lua script increments the group's
  counter and publishes the message with its number in one atomic step (one round trip, and the
  numbers arrive in order whatever the number of publishing processes); in-process on the embedded
  in-memory layer (one process). The number is taken before the message travels, so a message that
  never arrives leaves a hole that the receiving socket sees (:mod:`contactcenter.live.streams`).
  ``group_seq`` reads a group's counter: where a socket starts counting when it joins. Redis
  restarted empty numbers from 1 again; the sockets then start over from the counter (they are
  told, below).
* **A publish that fails is owed.** When a message could not be numbered or published (Redis
  unreachable from this process), the group is remembered, and the next publish that works in this
  process first sends a numbered ``stream.lost`` to it: its sockets refetch even if Redis never went
  away for them (a network cut between one machine and Redis).
* **Back after a break.** When the Redis pub/sub connection of a process comes back (it reconnects
  and subscribes again by itself), every socket of the process gets ``layer.reconnected``: whatever
  was published meanwhile is lost for it, and the socket says ``resync`` to its page.

Messages are still plain channel messages: a consumer that ignores ``stream`` and ``stream_seq``
works as before. The Redis layer is channels-redis' pub/sub layer with these additions (pinned in
``requirements.txt``; ``tests/live/test_layers.py`` covers what they rely on).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from channels.layers import InMemoryChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close, create_pool
from redis import asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

#: The group a message was sent to, and its number in that group.
STREAM = "stream"
STREAM_SEQ = "stream_seq"
#: Sent to every socket of a process whose layer connection came back after a break.
RECONNECTED = "layer.reconnected"
#: Sent (numbered) to a group for which a publish of this process failed.
LOST = "stream.lost"
#: A layer health check that takes longer than this says the layer is down.
HEALTH_TIMEOUT_SECONDS = 1.0

#: Take the group's next number and publish the message with it, atomically. The number travels
#: in front of the serialized message (``#<n>#<message>``: a serialized message never starts with
#: ``#``), and :meth:`NumberedRedisPubSubChannelLayer.deserialize` puts it back in.
PUBLISH_NUMBERED = """
local n = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', KEYS[2], '#' .. n .. '#' .. ARGV[1])
return n
"""


#: :data:`PUBLISH_NUMBERED` for several messages in one round trip, in order: ``KEYS`` are each
#: message's counter and channel, ``ARGV`` the messages; returns their numbers.
PUBLISH_NUMBERED_MANY = """
local numbers = {}
for i = 1, #ARGV do
  local n = redis.call('INCR', KEYS[2 * i - 1])
  redis.call('PUBLISH', KEYS[2 * i], '#' .. n .. '#' .. ARGV[i])
  numbers[i] = n
end
return numbers
"""


class NumberedInMemoryChannelLayer(InMemoryChannelLayer):
    """The embedded default (one process): channels' in-memory layer, groups numbered in memory.

    A message dropped because a socket's channel is full (``capacity``) leaves a hole in its
    numbers, which that socket sees."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counters: defaultdict[str, int] = defaultdict(int)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        self.require_valid_group_name(group)
        self.counters[group] += 1
        await super().group_send(group, {**message, STREAM: group, STREAM_SEQ: self.counters[group]})

    async def group_seq(self, group: str) -> int:
        """The number of the last message sent to ``group`` (0: none yet)."""
        return self.counters.get(group, 0)

    async def group_send_many(self, sends: list[tuple[str, dict[str, Any]]]) -> None:
        """``group_send`` each ``(group, message)``, in order."""
        for group, message in sends:
            await self.group_send(group, message)

    async def health(self) -> bool:
        return True


class NumberedRedisPubSubChannelLayer(RedisPubSubChannelLayer):
    """channels-redis' pub/sub layer, with numbered groups and a word to the sockets after a break.

    ``lost_streams`` is per process (every event loop of it): a management command publishes from a
    new loop each time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lost_streams: set[str] = set()

    def _get_layer(self) -> _NumberedLoopLayer:
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = _NumberedLoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return layer

    def deserialize(self, message: bytes) -> dict[str, Any]:
        if message[:1] == b"#":
            _empty, number, data = message.split(b"#", 2)
            return {**super().deserialize(data), STREAM_SEQ: int(number)}
        return super().deserialize(message)

    async def group_seq(self, group: str) -> int:
        """The number of the last message sent to ``group`` (0: none since Redis started)."""
        return await self._get_layer().group_seq(group)

    async def group_send_many(self, sends: list[tuple[str, dict[str, Any]]]) -> None:
        """``group_send`` each ``(group, message)``, in order, in one round trip per Redis shard
        (a request's events: one hop instead of one per event and group). Raises when any could not
        be sent; then each of their groups is owed a ``stream.lost``."""
        await self._get_layer().group_send_many(sends)

    async def health(self) -> bool:
        """Whether Redis answers, within :data:`HEALTH_TIMEOUT_SECONDS`."""
        try:
            await asyncio.wait_for(self._get_layer().ping(), timeout=HEALTH_TIMEOUT_SECONDS)
        except Exception:
            return False
        return True


class _NumberedLoopLayer(RedisPubSubLoopLayer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shards = [_NumberedShard(shard.host, self) for shard in self._shards]

    def _seq_key(self, group: str) -> str:
        return f"{self.prefix}__seq__{group}"

    async def _publish_numbered(self, group: str, message: dict[str, Any]) -> int:
        group_channel = self._get_group_channel_name(group)
        return await self._get_shard(group_channel).publish_numbered(
            group_channel, self._seq_key(group), {**message, STREAM: group}, self.channel_layer.serialize
        )

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        lost = self.channel_layer.lost_streams
        try:
            while lost:
                owed = next(iter(lost))
                await self._retrying(self._publish_numbered, owed, {"type": LOST})
                lost.discard(owed)
            await self._retrying(self._publish_numbered, group, message)
        except BaseException:  # an error, or the caller's timeout cancelling us: owed to the group
            lost.add(group)
            raise

    async def group_send_many(self, sends: list[tuple[str, dict[str, Any]]]) -> None:
        lost = self.channel_layer.lost_streams
        owed = [(group, {"type": LOST}) for group in sorted(lost)]
        batch = [*owed, *sends]
        by_shard: dict[_NumberedShard, list[tuple[str, str, dict[str, Any]]]] = defaultdict(list)
        for group, message in batch:
            channel = self._get_group_channel_name(group)
            by_shard[self._get_shard(channel)].append((group, channel, message))
        try:
            for shard, items in by_shard.items():
                await self._retrying_many(shard, items)
        except BaseException:  # an error, or the caller's timeout cancelling us: owed to the groups
            lost.update(group for group, _message in batch)
            raise
        lost.difference_update(group for group, _message in owed)

    async def _retrying_many(self, shard: _NumberedShard, items: list[tuple[str, str, dict[str, Any]]]) -> None:
        keys = [key for group, channel, _message in items for key in (self._seq_key(group), channel)]
        messages = [{**message, STREAM: group} for group, _channel, message in items]
        try:
            await shard.publish_numbered_many(keys, messages, self.channel_layer.serialize)
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            logger.info("live events to %s groups: retrying after %r", len(items), exc)
            await shard.publish_numbered_many(keys, messages, self.channel_layer.serialize)

    @staticmethod
    async def _retrying(send: Callable, group: str, message: dict[str, Any]) -> None:
        try:
            await send(group, message)
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            # After a Redis restart the first command meets a pooled connection the old server
            # closed; the client drops it, and a second try takes a new one.
            logger.info("live event to %s: retrying after %r", group, exc)
            await send(group, message)

    async def group_seq(self, group: str) -> int:
        group_channel = self._get_group_channel_name(group)
        return await self._get_shard(group_channel).counter(self._seq_key(group))

    async def ping(self) -> None:
        for shard in self._shards:
            await shard.ping()

    def reconnected(self) -> None:
        """The pub/sub connection is back: tell every socket of this loop (they lost messages)."""
        logger.warning("channel layer: reconnected to Redis; %s socket(s) told to resync", len(self.channels))
        data = self.channel_layer.serialize({"type": RECONNECTED})
        for queue in self.channels.values():
            queue.put_nowait(data)


class _NumberedShard(RedisSingleShardConnection):
    async def publish_numbered(
        self, channel: str, key: str, message: dict[str, Any], serialize: Callable[[dict], bytes]
    ) -> int:
        async with self._lock:
            self._ensure_redis()
            return await self._publish_numbered(keys=[key, channel], args=[serialize(message)])

    async def publish_numbered_many(
        self, keys: list[str], messages: list[dict[str, Any]], serialize: Callable[[dict], bytes]
    ) -> list[int]:
        async with self._lock:
            self._ensure_redis()
            return await self._publish_numbered_many(keys=keys, args=[serialize(message) for message in messages])

    async def counter(self, key: str) -> int:
        self._ensure_redis()
        value = await self._redis.get(key)
        return int(value or 0)

    async def ping(self) -> None:
        self._ensure_redis()
        await self._redis.ping()

    def _ensure_redis(self) -> None:
        if self._redis is None:
            pool = create_pool(self.host)
            self._redis = aioredis.Redis(connection_pool=pool)
            self._pubsub = _ReconnectingPubSub(pool, on_reconnect=self.channel_layer.reconnected)
            # EVALSHA, loading the script again after a Redis restart (redis-py's Script does).
            self._publish_numbered = self._redis.register_script(PUBLISH_NUMBERED)
            self._publish_numbered_many = self._redis.register_script(PUBLISH_NUMBERED_MANY)


class _ReconnectingPubSub(PubSub):
    """redis-py's pub/sub, which subscribes again after a reconnection, and then says so."""

    def __init__(self, *args: Any, on_reconnect: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_reconnect = on_reconnect

    async def on_connect(self, connection: Any) -> None:
        # redis-py calls this on every connection but the first (see ``PubSub.connect``).
        await super().on_connect(connection)
        self._on_reconnect()
