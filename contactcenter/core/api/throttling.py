"""Rate limits (SPEC §8): per user and per token; 429 with Retry-After. Login attempts are limited
elsewhere, in the database (:mod:`contactcenter.core.logins`).

Each limit counts requests in fixed windows of its period (a minute for ``3000/min``), kept as
two integer counters in the cache (Redis in production): the current window's and the previous
one's. A request is let through while ``previous × (share of the previous window still inside
the last period) + current`` stays under the limit: a sliding window, estimated in constant time
and space. DRF's own throttles keep the timestamp of every request of the period instead, read and
written whole on each request: thousands of them for a busy integration at 6000 a minute.

On Redis, every limit of a request (the user's and the token's) is read, compared and counted by
one Lua script: one round trip per request, atomic, where the cache's own calls take three or four
per limit. A request refused by one limit is counted by none.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import NoScriptError
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from contactcenter.core.logins import client_address
from contactcenter.core.models import ApiToken

logger = logging.getLogger(__name__)

#: KEYS: for each limit, its current window's counter and its previous one's. ARGV: for each
#: limit, its maximum, the share of the previous window still inside the period and the counter's
#: lifetime in seconds. Returns ``{allowed, current count, previous count, …}`` (the counts before
#: this request, two per limit); counts the request in every limit when all let it through, in none
#: otherwise.
_COUNT_SCRIPT = """
local counts = {1}
for i = 1, #KEYS / 2 do
  local done = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local before = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  if before * tonumber(ARGV[3 * i - 1]) + done >= tonumber(ARGV[3 * i - 2]) then
    counts[1] = 0
  end
  counts[2 * i] = done
  counts[2 * i + 1] = before
end
if counts[1] == 1 then
  for i = 1, #KEYS / 2 do
    if redis.call('INCR', KEYS[2 * i - 1]) == 1 then
      redis.call('EXPIRE', KEYS[2 * i - 1], ARGV[3 * i])
    end
  end
end
return counts
"""
_COUNT_SCRIPT_SHA = hashlib.sha1(_COUNT_SCRIPT.encode()).hexdigest()  # noqa: S324 (Redis names scripts so)


@dataclass
class _Window:
    """One limit's two counters for the request at hand."""

    throttle: WindowThrottle
    current: str
    previous: str
    #: The share of the previous window still inside the last period.
    left_of_previous: float
    #: Seconds into the current window.
    into: float


class WindowThrottle(SimpleRateThrottle):
    """A sliding-window limit from two fixed-window counters (see the module's docstring).

    Counted with the request's other limits by :class:`RateLimits`; on its own (as a view's only
    throttle) it counts itself the same way. While the cache is unreachable, requests pass
    unthrottled instead of failing: the database, not the cache, is what must answer."""

    _wait: float = 0.0

    def allow_request(self, request: Any, view: Any) -> bool:
        return RateLimits.count([self], request, view)

    def window(self, key: str) -> _Window:
        now = self.timer()
        window, into = divmod(now, self.duration)
        return _Window(self, f"{key}:{int(window)}", f"{key}:{int(window) - 1}", 1 - into / self.duration, into)

    def refuses(self, window: _Window, done: int, before: int) -> bool:
        """Whether the counts ``done`` (this window) and ``before`` (the previous one) refuse a
        request; if so, :meth:`wait` tells for how long."""
        if before * window.left_of_previous + done < self.num_requests:
            return False
        self._wait = self._retry_after(done=done, before=before, into=window.into)
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


class RateLimits(BaseThrottle):
    """Every limit of :data:`LIMITS` that applies to a request, counted together: on Redis in one
    round trip (one Lua script), elsewhere through the cache's calls. A request passes when every
    limit lets it through, and is then counted in each; refused, it is counted in none, and
    ``Retry-After`` is the longest wait of the limits that refused it."""

    def __init__(self) -> None:
        self._refused: list[WindowThrottle] = []

    def allow_request(self, request: Any, view: Any) -> bool:
        return self.count([limit() for limit in LIMITS], request, view, refused=self._refused)

    def wait(self) -> float | None:
        return max((throttle.wait() for throttle in self._refused), default=None)

    @staticmethod
    def count(
        throttles: list[WindowThrottle], request: Any, view: Any, *, refused: list[WindowThrottle] | None = None
    ) -> bool:
        """Count ``request`` in ``throttles`` (those with a rate and a key for it), all or none;
        the throttles that refuse it are added to ``refused``."""
        windows = []
        for throttle in throttles:
            if throttle.rate is not None and (key := throttle.get_cache_key(request, view)) is not None:
                windows.append(throttle.window(key))
        if not windows:
            return True
        # ``cache`` is Django's proxy to the default cache: the backend behind it says which.
        cache = windows[0].throttle.cache
        backend = caches[DEFAULT_CACHE_ALIAS] if cache is default_cache else cache
        try:
            if isinstance(backend, RedisCache):
                counts = _count_on_redis(backend, windows)
            else:
                counts = _count_in_cache(cache, windows)
        except Exception:
            logger.warning("rate limit not checked: the cache is unreachable", exc_info=True)
            return True
        refusing = [
            w.throttle for w, (done, before) in zip(windows, counts, strict=True) if w.throttle.refuses(w, done, before)
        ]
        if refused is not None:
            refused.extend(refusing)
        return not refusing


def _count_on_redis(cache: RedisCache, windows: list[_Window]) -> list[tuple[int, int]]:
    """The counts of each window before this request, the request counted in all of them unless
    one refuses it: one round trip. The keys and values are the cache's own (Django's Redis cache
    stores integers as they are, so ``cache.get`` reads these counters)."""
    keys, args = [], []
    for w in windows:
        keys += [cache.make_and_validate_key(w.current), cache.make_and_validate_key(w.previous)]
        args += [w.throttle.num_requests, repr(w.left_of_previous), 2 * w.throttle.duration]
    client = cache._cache.get_client(keys[0], write=True)
    try:
        answer = client.evalsha(_COUNT_SCRIPT_SHA, len(keys), *keys, *args)
    except NoScriptError:  # the first call since Redis started: it learns the script
        answer = client.eval(_COUNT_SCRIPT, len(keys), *keys, *args)
    return [(int(answer[1 + 2 * i]), int(answer[2 + 2 * i])) for i in range(len(windows))]


def _count_in_cache(cache: Any, windows: list[_Window]) -> list[tuple[int, int]]:
    """:func:`_count_on_redis` through the cache's calls (not atomic across limits: a cache other
    than Redis serves one process, as in development and tests)."""
    counts = cache.get_many([key for w in windows for key in (w.current, w.previous)])
    found = [(counts.get(w.current, 0), counts.get(w.previous, 0)) for w in windows]
    if any(w.throttle.refuses(w, done, before) for w, (done, before) in zip(windows, found, strict=True)):
        return found
    for w in windows:
        # A new window's counter starts at 1; ``add`` loses the race to a concurrent first request
        # of the window only to count this one with ``incr``.
        if not cache.add(w.current, 1, timeout=2 * w.throttle.duration):
            try:
                cache.incr(w.current)
            except ValueError:  # expired between the two calls: this request starts it again
                cache.add(w.current, 1, timeout=2 * w.throttle.duration)
    return found


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


#: The limits :class:`RateLimits` counts on every API request.
LIMITS: tuple[type[WindowThrottle], ...] = (PerUserThrottle, PerTokenThrottle)
