"""Rate limits (SPEC §8): per user, per token and per login attempt; 429 with Retry-After."""

from __future__ import annotations

import hashlib
import logging

from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

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
        if not isinstance(request.auth, Token):
            return None
        digest = hashlib.sha256(request.auth.key.encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": digest}


class LoginThrottle(FailOpen, SimpleRateThrottle):
    """Login attempts per username and address together: a call center shares one public
    address, so neither alone would do."""

    scope = "login"

    def get_cache_key(self, request, view) -> str | None:
        data = getattr(request, "data", None)
        username = str(data.get("username", "")).strip().lower() if isinstance(data, dict) else ""
        ident = hashlib.sha256(f"{username}|{self.get_ident(request)}".encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": ident}
