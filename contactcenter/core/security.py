"""Security headers and request-body limits, for every response (wired in ``MIDDLEWARE``).

- :class:`SecurityHeadersMiddleware` adds the **Content-Security-Policy** of
  ``settings.CONTENT_SECURITY_POLICY`` (every script, style, image, font and connection from the
  instance itself, no inline script, no ``eval``, no frame, no plugin) and the
  **Permissions-Policy** of ``settings.PERMISSIONS_POLICY`` (no camera, microphone, location…) to
  every response that has none yet. Pages keep their scripts and styles in static files; the few
  inline styles written by third-party templates are allowed by their hash only
  (``settings.CSP_STYLE_HASHES``).
- :class:`ApiBodyLimitMiddleware` answers 413 with a JSON body, before any other middleware
  reads it, to an API request announcing a body larger than ``settings.API_MAX_BODY_BYTES``
  (Django's own ``DATA_UPLOAD_MAX_MEMORY_SIZE``, the same figure, would answer an HTML page).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

CSP_HEADER = "Content-Security-Policy"
PERMISSIONS_HEADER = "Permissions-Policy"


def style_hash(text: str) -> str:
    """The CSP source (``'sha256-…'``) allowing exactly the inline style ``text``."""
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def policy_header(directives: dict[str, Iterable[str]]) -> str:
    """``{"default-src": ["'self'"], …}`` as a header value: ``default-src 'self'; …``."""
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy and Permissions-Policy headers (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        directives = {name: list(sources) for name, sources in settings.CONTENT_SECURITY_POLICY.items()}
        hashes = [style_hash(style) for style in settings.CSP_STYLE_HASHES]
        if hashes:
            # Hashes of style attributes count only with 'unsafe-hashes' (no other inline style passes).
            directives["style-src-attr"] = ["'unsafe-hashes'", *hashes]
            directives["style-src-elem"] = [*directives.get("style-src", ["'self'"]), *hashes]
        self.csp = policy_header(directives)
        self.permissions = ", ".join(
            f"{feature}=({' '.join(allow)})" for feature, allow in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.DEBUG and response.status_code >= 500:
            # Django's debugging page of an error works with inline scripts: developers keep it.
            return response
        if self.csp:
            response.headers.setdefault(CSP_HEADER, self.csp)
        if self.permissions:
            response.headers.setdefault(PERMISSIONS_HEADER, self.permissions)
        return response


# Routes that take larger bodies than API_MAX_BODY_BYTES (uploads: a call recording), each with
# its own limit, registered by their app (AppConfig.ready): (path pattern, function giving the limit).
_larger_bodies: list[tuple[re.Pattern[str], Callable[[], int]]] = []


def api_body_limit_register(pattern: str, limit: Callable[[], int]) -> None:
    """Let the API paths matching ``pattern`` (a regular expression, matched from the start) take
    bodies up to ``limit()`` bytes instead of ``API_MAX_BODY_BYTES``; the view checks its own."""
    compiled = re.compile(pattern)
    if all(known.pattern != compiled.pattern for known, _limit in _larger_bodies):
        _larger_bodies.append((compiled, limit))


def api_body_limit(path: str) -> int:
    """The largest body an API request to ``path`` may send."""
    for pattern, limit in _larger_bodies:
        if pattern.match(path):
            return limit()
    return settings.API_MAX_BODY_BYTES


class ApiBodyLimitMiddleware:
    """413 with a JSON body for an API request whose Content-Length passes
    ``settings.API_MAX_BODY_BYTES`` (or its route's own limit, :func:`api_body_limit_register`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") and self._too_large(request):
            limit = api_body_limit(request.path)
            return JsonResponse(
                {"detail": _("The request body may weigh %(max)s bytes at most.") % {"max": limit}}, status=413
            )
        return self.get_response(request)

    @staticmethod
    def _too_large(request: HttpRequest) -> bool:
        # A chunked body announces no length: the API's parser then stops reading at the limit
        # (contactcenter.core.api.parsers).
        try:
            return int(request.META.get("CONTENT_LENGTH") or 0) > api_body_limit(request.path)
        except ValueError:
            return False
