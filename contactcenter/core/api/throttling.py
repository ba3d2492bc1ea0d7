"""Rate limits (SPEC §8): per user and per token; 429 with Retry-After. Login attempts are limited
elsewhere, in the database (:mod:`contactcenter.core.logins`).

Each limit counts requests in fixed windows of its period (a minute for ``3000/min``), kept as
two integer counters in the cache (Redis in production): the current window's and the previous
one's. A request is let through while ``previous × (share of the previous window still inside
the last period) + current`` stays under the limit: a sliding window, estimated in constant time
and space. DRF's own throttles keep the timestamp of every request of the period instead, read and
written whole on each request: thousands of them for a busy integration at 6000 a minute.

On Redis, both counters are read, compared and the current one counted by one Lua script: one
round trip per limit, atomic, where the cache's own calls take three or four.
"""

from __future__ import annotations

import hashlib
import logging
import math
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import NoScriptError
from rest_framework.throttling import SimpleRateThrottle

from contactcenter.core.logins import client_address
from contactcenter.core.models import ApiToken

logger = logging.getLogger(__name__)

#: KEYS: the current window's counter, the previous one's. ARGV: the limit, the share of the
#: previous window still inside the period, the counter's lifetime in seconds. Returns
#: ``{allowed, current count, previous count}`` (the counts before this request); counts only
#: what it lets through, as the cache's own calls below.
_COUNT_SCRIPT = """
local done = tonumber(redis.call('GET', KEYS[1]) or '0')
local before = tonumber(redis.call('GET', KEYS[2]) or '0')
if before * tonumber(ARGV[2]) + done >= tonumber(ARGV[1]) then
  return {0, done, before}
end
if redis.call('INCR', KEYS[1]) == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
return {1, done, before}
"""
_COUNT_SCRIPT_SHA = hashlib.sha1(_COUNT_SCRIPT.encode()).hexdigest()  # noqa: S324 (Redis names scripts so)


class WindowThrottle(SimpleRateThrottle):
    """A sliding-window limit from two fixed-window counters (see the module's docstring).

    While the cache is unreachable, requests pass unthrottled instead of failing: the database,
    not the cache, is what must answer."""

    _wait: float = 0.0

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        try:
            return self._count(key)
        except Exception:
            logger.warning("rate limit not checked: the cache is unreachable", exc_info=True)
            return True

    def _count(self, key: str) -> bool:
        now = self.timer()
        window, into = divmod(now, self.duration)
        current, previous = f"{key}:{int(window)}", f"{key}:{int(window) - 1}"
        left_of_previous = 1 - into / self.duration
        # ``self.cache`` is Django's proxy to the default cache: the backend behind it says which.
        backend = caches[DEFAULT_CACHE_ALIAS] if self.cache is default_cache else self.cache
        if isinstance(backend, RedisCache):
            return self._count_on_redis(backend, current, previous, left_of_previous, into)
        counts = self.cache.get_many([current, previous])
        done, before = counts.get(current, 0), counts.get(previous, 0)
        if before * left_of_previous + done >= self.num_requests:
            self._wait = self._retry_after(done=done, before=before, into=into)
            return False
        # A new window's counter starts at 1; ``add`` loses the race to a concurrent first request
        # of the window only to count this one with ``incr`` (both atomic on Redis).
        if not self.cache.add(current, 1, timeout=2 * self.duration):
            try:
                self.cache.incr(current)
            except ValueError:  # expired between the two calls: this request starts it again
                self.cache.add(current, 1, timeout=2 * self.duration)
        return True

    def _count_on_redis(
        self, cache: RedisCache, current: str, previous: str, left_of_previous: float, into: float
    ) -> bool:
        """:meth:`_count` in one round trip: the same keys and values as the cache's own calls
        (Django's Redis cache stores integers as they are, so ``cache.get`` reads these counters)."""
        keys = [cache.make_and_validate_key(current), cache.make_and_validate_key(previous)]
        client = cache._cache.get_client(keys[0], write=True)
        args = (*keys, self.num_requests, repr(left_of_previous), 2 * self.duration)
        try:
            allowed, done, before = client.evalsha(_COUNT_SCRIPT_SHA, 2, *args)
        except NoScriptError:  # the first call since Redis started: it learns the script
            allowed, done, before = client.eval(_COUNT_SCRIPT, 2, *args)
        if not allowed:
            self._wait = self._retry_after(done=done, before=before, into=into)
            return False
        return True

    def _retry_after(self, *, done: int, before: int, into: float) -> float:
        """Seconds until a request would pass, if no other came meanwhile."""
        if done >= self.num_requests:  # the current window alone is full: wait for the next one
            return self.duration - into
        # The previous window's share must fall to (limit - done): it falls linearly to 0 at the
        # end of the current window.
        share = (self.num_requests - done) / before
        return max(0.0, (1 - share) * self.duration - into)

    def wait(self) -> float | None:
        return max(1, math.ceil(self._wait))


class PerUserThrottle(WindowThrottle):
    """Every authenticated user, whatever the credentials; an anonymous request by its client
    address (the socket's, or as ``TRUSTED_PROXIES`` allows: :func:`contactcenter.core.logins.client_address`)."""

    scope = "user"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            ident = str(request.user.pk)
        else:
            ident = f"address-{client_address(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PerTokenThrottle(WindowThrottle):
    """Each API token on its own: an integration that loops cannot starve the others."""

    scope = "token"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
