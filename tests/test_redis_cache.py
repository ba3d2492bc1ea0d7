"""The Redis cache on one connection pool per process (contactcenter/core/redis_cache.py).

Django makes its cache objects again in every request context under ASGI; each new one must find
the process's client, pool and connections instead of opening its own."""

from __future__ import annotations

import shutil
import threading

import pytest
import redis

from contactcenter.core.redis_cache import RedisCache
from tests.live.cluster import PrivateRedis


def backend(location: str, **options: object) -> RedisCache:
    """A new backend, as a new request context makes it."""
    return RedisCache(location, {"OPTIONS": options})


def test_backends_made_in_different_requests_share_one_client_and_pool():
    first, second = backend("redis://127.0.0.1:1/0"), backend("redis://127.0.0.1:1/0")
    assert first is not second
    assert first._cache is second._cache
    assert first._cache.get_client(write=True) is second._cache.get_client(write=True)
    assert first._cache.get_client().connection_pool is second._cache.get_client(write=True).connection_pool


def test_another_location_or_other_options_get_a_client_of_their_own():
    one = backend("redis://127.0.0.1:1/0")
    assert backend("redis://127.0.0.1:1/1")._cache is not one._cache
    assert backend("redis://127.0.0.1:1/0", socket_timeout=3)._cache is not one._cache
    assert (
        backend("redis://127.0.0.1:1/0", socket_timeout=3)._cache
        is backend("redis://127.0.0.1:1/0", socket_timeout=3)._cache
    )


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_many_requests_from_many_threads_open_a_connection_per_thread_at_most():
    server = PrivateRedis().start()
    try:
        watcher = redis.Redis.from_url(server.url)
        before = watcher.info("stats")["total_connections_received"]

        def requests(n: int) -> None:
            for i in range(50):
                cache = backend(server.url)  # each request's own backend
                cache.set(f"key-{n}-{i}", i)
                assert cache.get(f"key-{n}-{i}") == i

        threads = [threading.Thread(target=requests, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        opened = watcher.info("stats")["total_connections_received"] - before
        watcher.close()
    finally:
        server.stop()
    # 200 requests of two calls each: Django's own backend opened a connection for each request.
    assert 1 <= opened <= 4
