"""Who is on a socket: the browser's session, or a single-use ticket; and from which page.

The WebSocket stack (``contactcenter/asgi.py``) is::

    OriginValidator → AuthMiddlewareStack (session cookie) → TicketAuthMiddleware → routes

* **Origin.** A browser always sends the page's ``Origin`` on a WebSocket handshake; it must be one
  of ``ALLOWED_HOSTS``, or the handshake is refused (HTTP 403), so no other site can open a socket
  with the user's cookie. A client without an ``Origin`` header is not a browser: it is let
  through and must still authenticate (with a ticket, or its own session cookie).
* **Ticket.** ``?ticket=…`` (from ``POST /api/v1/auth/ws-ticket/``) decides the user, whatever the
  cookie says; an unknown, expired or used ticket leaves the socket anonymous (closed with 4401).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from contactcenter.live.tickets import ws_ticket_redeem


class BrowserOriginValidator(OriginValidator):
    """``ALLOWED_HOSTS`` origins only, when there is an ``Origin`` header (see the module)."""

    def __init__(self, application) -> None:
        allowed = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not allowed:
            allowed = ["localhost", "127.0.0.1", "[::1]"]
        super().__init__(application, allowed)

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] != "websocket":
            raise ValueError("BrowserOriginValidator only guards WebSocket connections")
        if not any(name == b"origin" for name, _value in scope.get("headers", [])):
            return await self.application(scope, receive, send)
        return await super().__call__(scope, receive, send)

    def valid_origin(self, parsed_origin) -> bool:
        return parsed_origin is not None and self.validate_origin(parsed_origin)


class TicketAuthMiddleware(BaseMiddleware):
    """Replaces the scope's user by the ticket's when the query string carries ``ticket=``."""

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        tickets = query.get("ticket")
        if tickets is not None:
            user = await database_sync_to_async(ws_ticket_redeem)(ticket=tickets[0])
            scope = dict(scope, user=user or AnonymousUser(), auth_method="ticket" if user else None)
        return await super().__call__(scope, receive, send)
