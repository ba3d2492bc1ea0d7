"""The production runtime for real: PostgreSQL through psycopg 3 and Redis through channels-redis.

These run when DATABASE_URL / REDIS_URL point at the servers (as in .ci/run) and are skipped on
the embedded default; CI's strict mode turns a skip into a failure.
"""

import os
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_is_postgresql_through_a_pool_of_checked_connections_without_jit():
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        pytest.skip("DATABASE_URL does not point at PostgreSQL")
    assert connection.vendor == "postgresql"
    assert connection.Database.__name__ == "psycopg"  # psycopg 3, not psycopg2
    database = settings.DATABASES["default"]
    if os.environ.get("DATABASE_POOL", "1") not in ("0", "false", "no", "off"):
        assert database["OPTIONS"]["pool"]["max_size"] >= database["OPTIONS"]["pool"]["min_size"]
        assert database["CONN_MAX_AGE"] == 0  # the pool keeps the connections, not each thread
        assert connection.pool is not None
        # Checked before use by the backend's quiet check (tests/test_pooled_connections.py).
        assert database["ENGINE"] == "contactcenter.core.postgresql"
    else:
        assert database["CONN_HEALTH_CHECKS"] is True
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


def test_live_events_travel_through_redis():
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set")
    layer = get_channel_layer()
    assert type(layer).__name__ == "NumberedRedisPubSubChannelLayer"

    async def round_trip() -> dict:
        group = f"test.{uuid.uuid4().hex}"
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        try:
            await layer.group_send(group, {"type": "ping", "n": 1})
            return await layer.receive(channel)
        finally:
            await layer.group_discard(group, channel)

    message = async_to_sync(round_trip)()
    assert message.pop("stream").startswith("test.") and message.pop("stream_seq") == 1
    assert message == {"type": "ping", "n": 1}


def test_the_channel_layer_follows_redis_url():
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if os.environ.get("REDIS_URL"):
        assert backend == "contactcenter.live.layers.NumberedRedisPubSubChannelLayer"
    else:
        assert backend == "contactcenter.live.layers.NumberedInMemoryChannelLayer"
