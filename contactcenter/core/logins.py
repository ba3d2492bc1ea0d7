"""Login limits shared by every login (desk, admin, API token): failures are counted per username
and client address together, in the database, by django-axes.

* **Client address.** :func:`client_address` is the socket's peer, unless that peer is one of
  ``TRUSTED_PROXIES``: then it is the nearest address of ``X-Forwarded-For`` that is not a trusted
  proxy. A client that sends its own ``X-Forwarded-For`` straight to the server changes nothing.
* **Counting.** ``LoginLimitBackend`` (first of ``AUTHENTICATION_BACKENDS``) refuses a login for a
  pair past ``LOGIN_FAILURE_LIMIT`` failures; the failure itself is recorded by axes from Django's
  ``user_login_failed`` signal. The rows live in the database: the limit holds while the cache
  (Redis) is away, instead of switching off.
* **Views.** A login view asks :func:`login_retry_after` before it checks a password, and answers
  429 with ``Retry-After`` while the pair is locked; after a success it calls
  :func:`login_succeeded`, which clears the pair's failures.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_lockout_response
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies if proxy.strip())


def _address(raw: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    raw = raw.strip()
    if raw.startswith("[") and "]" in raw:  # [v6]:port
        raw = raw[1 : raw.index("]")]
    elif raw.count(":") == 1:  # v4:port
        raw = raw.split(":", 1)[0]
    try:
        return ipaddress.ip_address(raw)
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: Iterable[Network]) -> bool:
    return any(address in network for network in networks)


def client_address(request: Any) -> str:
    """The client's address for ``request`` (a Django or DRF request), as the module says."""
    peer = request.META.get("REMOTE_ADDR", "") or ""
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    peer_address = _address(peer)
    if not networks or peer_address is None or not _trusted(peer_address, networks):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    # Each proxy appends the address it received the request from: read from the right, past the
    # trusted proxies; what a client wrote itself stands further left and is never reached.
    for hop in reversed(forwarded.split(",")):
        hop_address = _address(hop)
        if hop_address is None:
            break  # garbage: nothing left of it can be believed
        if not _trusted(hop_address, networks):
            return str(hop_address)
    return peer


class _ScopeRequest:
    """What :func:`client_address` reads of a request, from an ASGI scope."""

    def __init__(self, scope: dict[str, Any]) -> None:
        headers = dict(scope.get("headers") or [])
        self.META = {
            "REMOTE_ADDR": (scope.get("client") or [""])[0] or "",
            "HTTP_X_FORWARDED_FOR": headers.get(b"x-forwarded-for", b"").decode("latin-1"),
        }


def scope_client_address(scope: dict[str, Any]) -> str:
    """The client's address for an ASGI ``scope`` (a WebSocket's), as :func:`client_address`
    reads it for a request: the socket's peer, or past the ``TRUSTED_PROXIES``."""
    return client_address(_ScopeRequest(scope))


class LoginLimitBackend(AxesStandaloneBackend):
    """axes' gate, for logins that come through a request (every login page and the token
    endpoint). A call to ``authenticate`` without a request (a management command, a test) has no
    address to count against: it is not limited here and goes on to the password check."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LoginLimitMiddleware:
    """The last word on a login that axes refused or that reached the limit: a login view that
    did not answer for itself (``request.login_limit_answered``) gets the lockout response of
    ``AXES_LOCKOUT_CALLABLE``.

    In place of axes' own middleware, whose asynchronous path (taken under an ASGI server) drops
    the view's response and passes the lockout callable the wrong arguments. Synchronous only, like
    the views it follows."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            settings.AXES_ENABLED
            and getattr(request, "axes_locked_out", False)
            and not getattr(request, "login_limit_answered", False)
        ):
            return get_lockout_response(request, response, getattr(request, "axes_credentials", None))
        return response


def login_retry_after(request: Any, username: str) -> int | None:
    """Seconds until ``username`` may try again from this request's address; ``None`` when it may
    try now. Reads the failures recorded in the database."""
    credentials = {settings.AXES_USERNAME_FORM_FIELD: username}
    if not settings.AXES_ENABLED or not AxesProxyHandler.is_locked(request, credentials):
        return None
    cool_off = get_cool_off(request)
    if cool_off is None:
        return 60
    last = AccessAttempt.objects.filter(username=username, ip_address=client_address(request)).aggregate(
        last=Max("attempt_time")
    )["last"]
    remaining = (last + cool_off - timezone.now()).total_seconds() if last else cool_off.total_seconds()
    return max(1, math.ceil(remaining))


def login_succeeded(request: Any, user: Any) -> None:
    """Tells the login machinery that ``user`` logged in through ``request`` without a session
    (the token endpoint): the pair's failures are cleared and ``last_login`` is set."""
    user_logged_in.send(sender=type(user), request=request, user=user)


def login_failed(request: Any, username: str) -> None:
    """Counts a failure that the password check did not see (a wrong one-time code) against
    ``username`` and the request's address."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
