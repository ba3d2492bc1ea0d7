"""Single-use socket tickets: how a client that has a token but no browser session opens a socket.

``POST /api/v1/auth/ws-ticket/`` gives a random ticket valid :data:`TICKET_TTL_SECONDS`; the
client connects to ``ws/agent/?ticket=…`` or ``ws/wallboard/?ticket=…`` with it, and the socket is
the ticket's user's. No long-lived secret ever travels in a URL (where proxies log it).

Storage: the database (:class:`~contactcenter.live.models.SocketTicket`), under the SHA-256 of the
ticket, so a ticket given out by one server process opens a socket on any other, and tickets keep
working while Redis (the cache, the channel layer) is away. Single use: redeeming deletes the row,
and only the caller whose ``DELETE`` removed it may use it, so of two sockets racing with one
ticket exactly one wins.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from contactcenter.live.models import SocketTicket

TICKET_TTL_SECONDS = 60
#: A ticket is 43 URL-safe characters; anything much longer is not one.
MAX_TICKET_LENGTH = 100


def _digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def ws_ticket_issue(*, user: AbstractBaseUser) -> str:
    """A new single-use ticket for ``user``'s next socket, valid :data:`TICKET_TTL_SECONDS`.
    Tickets that expired unused are deleted on the way (an indexed range, usually empty; no
    transaction: each statement stands on its own)."""
    now = timezone.now()
    SocketTicket.objects.filter(expires_at__lt=now).delete()
    ticket = secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=TICKET_TTL_SECONDS)
    SocketTicket.objects.create(user=user, digest=_digest(ticket), expires_at=expires_at)
    return ticket


def ws_ticket_redeem(*, ticket: str) -> AbstractBaseUser | None:
    """The active user ``ticket`` was issued to, once; ``None`` for an unknown, expired or used
    ticket (or an inactive user)."""
    if not ticket or len(ticket) > MAX_TICKET_LENGTH:
        return None
    found = SocketTicket.objects.filter(digest=_digest(ticket), expires_at__gt=timezone.now()).values_list(
        "pk", "user_id"
    )
    row = found.first()
    if row is None:
        return None
    pk, user_id = row
    deleted, _by_model = SocketTicket.objects.filter(pk=pk).delete()
    if not deleted:  # another socket used it first
        return None
    return get_user_model().objects.select_related("agent_profile").filter(pk=user_id, is_active=True).first()
