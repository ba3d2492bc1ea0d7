"""Rate limits (SPEC §8): per user and per token; 429 with Retry-After. Login attempts are limited
elsewhere, in the database (:mod:`contactcenter.core.logins`)."""

from __future__ import annotations

import logging

from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from contactcenter.core.models import ApiToken

logger = logging.getLogger(__name__)


class FailOpen:
    """Counters live in the cache (Redis in production): while it is unreachable, requests pass
    unthrottled instead of failing; the database, not the cache, is what must answer."""

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:
            logger.warning("rate limit not checked: the cache is unreachable", exc_info=True)
            return True


class PerUserThrottle(FailOpen, UserRateThrottle):
    """Every authenticated user, whatever the credentials."""

    scope = "user"


class PerTokenThrottle(FailOpen, SimpleRateThrottle):
    """Each API token on its own: an integration that loops cannot starve the others."""

    scope = "token"

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
