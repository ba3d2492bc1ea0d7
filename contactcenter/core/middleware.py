"""Site-wide middleware."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from contactcenter.core.events import publishing_together

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


class DatabaseUnavailableMiddleware:
    """A database outage answers 503 with Retry-After, never a traceback (SPEC §8).

    Connections are checked before reuse (the pool's by ``contactcenter.core.postgresql``, others
    by ``CONN_HEALTH_CHECKS``), so once the database is back the next request simply works.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError) as exc:
            return self.unavailable(request, exc)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, (OperationalError, InterfaceError)):
            return self.unavailable(request, exception)
        return None

    def unavailable(self, request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.error("database unavailable: %s", type(exc).__name__)
        message = _("The service is briefly unavailable. Please retry in a few seconds.")
        if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
            response: HttpResponse = JsonResponse({"detail": message}, status=503)
        else:
            response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


class ServerTimingMiddleware:
    """``Server-Timing: app;dur=<ms>`` on every answer when ``SERVER_TIMING`` is on: the time the
    request spent in Switchboard, from the first middleware to the answer, without the network and
    the server's own socket queue. ``bench/api.py`` reads it for the server-time percentiles; a
    browser's developer tools show it. Off by default: it tells any client how long a request took.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        return response


class LiveEventsMiddleware:
    """The live events a request announces leave together at its end, before its answer: one hop
    to the channel layer instead of one per event (:func:`contactcenter.core.events.publishing_together`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with publishing_together():
            return self.get_response(request)
