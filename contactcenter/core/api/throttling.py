"""Rate limits (SPEC §8): per user and per token; 429 with Retry-After. Login attempts are limited
elsewhere, in the database (:mod:`contactcenter.core.logins`).

Each limit counts requests in fixed windows of its period (a minute for ``3000/min``), kept as
two integer counters in the cache (Redis in production): the current window's and the previous
one's. A request is let through while ``previous × (share of the previous window still inside
the last period) + current`` stays under the limit: a sliding window, estimated in constant time
and space. DRF's own throttles keep the timestamp of every request of the period instead, read and
written whole on each request: thousands of them for a busy integration at 6000 a minute.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from rest_framework.throttling import SimpleRateThrottle

from contactcenter.core.logins import client_address
from contactcenter.core.models import ApiToken

logger = logging.getLogger(__name__)


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
        counts = self.cache.get_many([current, previous])
        done, before = counts.get(current, 0), counts.get(previous, 0)
        left_of_previous = 1 - into / self.duration
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
