"""Single-use socket tickets: how a client that has a token but no browser session opens a socket.

``POST /api/v1/auth/ws-ticket/`` gives a random ticket valid :data:`TICKET_TTL_SECONDS`; the
client connects to ``ws/agent/?ticket=…`` or ``ws/wallboard/?ticket=…`` with it, and the socket is
the ticket's user's. No long-lived secret ever travels in a URL (where proxies log it).

Storage: the cache (Redis with ``REDIS_URL``, so a ticket given out by one server process opens a
socket on any other), under the SHA-256 of the ticket: the cache never holds a usable ticket.
Single use: redeeming reads the user id, then deletes the key, and only the caller whose delete
removed it may use it. ``cache.delete`` answers whether the key existed; Redis's ``DEL`` and the
local-memory cache's delete are atomic, so of two sockets racing with one ticket exactly one wins
(Redis's ``GETDEL`` would do both in one command, but Django's cache API does not offer it).
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache

TICKET_TTL_SECONDS = 60
#: A ticket is 43 URL-safe characters; anything much longer is not one.
MAX_TICKET_LENGTH = 100


def _key(ticket: str) -> str:
    return "live:ws-ticket:" + hashlib.sha256(ticket.encode()).hexdigest()


def ws_ticket_issue(*, user: AbstractBaseUser) -> str:
    """A new single-use ticket for ``user``'s next socket, valid :data:`TICKET_TTL_SECONDS`."""
    ticket = secrets.token_urlsafe(32)
    cache.set(_key(ticket), user.pk, timeout=TICKET_TTL_SECONDS)
    return ticket


def ws_ticket_redeem(*, ticket: str) -> AbstractBaseUser | None:
    """The active user ``ticket`` was issued to, once; ``None`` for an unknown, expired or used
    ticket (or an inactive user)."""
    if not ticket or len(ticket) > MAX_TICKET_LENGTH:
        return None
    key = _key(ticket)
    user_id = cache.get(key)
    if user_id is None or not cache.delete(key):
        return None
    return get_user_model().objects.select_related("agent_profile").filter(pk=user_id, is_active=True).first()
