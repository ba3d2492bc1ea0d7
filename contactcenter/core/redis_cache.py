"""Django's Redis cache on one connection pool per server process, not one per request.

Django keeps its cache objects per request context under ASGI: every request of a uvicorn or
daphne process gets a new ``RedisCache``, a new client and with it a new connection pool, so its
first cache call (the API's rate limits, a session, a cached table) opens a new TCP connection to
Redis, says hello on it and closes it at the end. On this project's 2-core reference machine that
was a Redis connection per API request, three round trips more than the one the rate limits
need, and a dozen objects in reference cycles left to the garbage collector.

:class:`RedisCache` is Django's, its client (and so its pool and the ``redis.Redis`` object on
it) kept for the process: one per location and options, made once under a lock, shared by every
request and thread of the process (redis-py's pool and client are made for that). A forked process
gets new connections on its own (redis-py's pool notices the fork).
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.utils.functional import cached_property


class KeptRedisCacheClient(RedisCacheClient):
    """Django's client, one ``redis.Redis`` per pool kept instead of a new one per call."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._clients: dict[int, Any] = {}

    def _get_connection_pool(self, write: bool) -> Any:
        index = self._get_connection_pool_index(write)
        pool = self._pools.get(index)
        if pool is None:
            with self._lock:
                pool = self._pools.get(index)
                if pool is None:
                    pool = self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
        return pool

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            with self._lock:
                client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


_clients: dict[str, KeptRedisCacheClient] = {}
_clients_lock = threading.Lock()


class RedisCache(DjangoRedisCache):
    """``django.core.cache.backends.redis.RedisCache`` with its client kept for the process (see
    the module's docstring). The same ``LOCATION`` and ``OPTIONS``."""

    @cached_property
    def _cache(self) -> KeptRedisCacheClient:
        key = repr((list(self._servers), sorted(self._options.items())))
        client = _clients.get(key)
        if client is None:
            with _clients_lock:
                client = _clients.get(key)
                if client is None:
                    client = _clients[key] = KeptRedisCacheClient(self._servers, **self._options)
        return client
