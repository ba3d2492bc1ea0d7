"""``Idempotency-Key`` for every POST of the API (SPEC §8): safe to deliver twice.

One middleware (:class:`IdempotencyMiddleware`, last in ``MIDDLEWARE``) serves every
``POST /api/v1/…`` that carries the header and an authenticated user, so no view needs to know
(``auth/`` excepted: its answers are credentials).

- The key is the client's, unique per user, 1 to 255 printable characters (else 400).
- The first request with a key runs inside one transaction that begins by inserting the key's
  row. A 2xx answer is stored in that row and committed together with what the view wrote: the
  answer is recorded if and only if the write is. A 4xx answer forgets the key (the request
  changed nothing, it may be sent again), a 5xx rolls back everything.
- The same key again with the same request (method, path and body; JSON compared by value, not
  by spacing or key order) gets the stored answer again, with ``Idempotent-Replayed: true``;
  with another request, 422 and nothing done.
- Concurrent duplicates: the second waits at its insert of the key (the unique index; on SQLite,
  at the start of its write transaction) until the first commits, then replays its answer. Should
  a duplicate ever find the first still running, it answers 409 with ``Retry-After``.
- The replay skips the view, so its rate limit too; a database outage answers 503 as elsewhere.
- Keys are kept 7 days (:data:`KEY_TTL`); an older key counts as new. The background
  job ``purge_idempotency_keys`` deletes them daily (docs/operations.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.exceptions import APIException
from rest_framework.request import Request

from contactcenter.core.api.auth import API_AUTHENTICATION
from contactcenter.core.middleware import DatabaseUnavailableMiddleware
from contactcenter.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
KEY_TTL = timedelta(days=7)
API_PREFIX = "/api/v1/"
#: Not business writes, and their answers are credentials: never stored.
EXCLUDED_PREFIXES = ("/api/v1/auth/",)
IN_PROGRESS_RETRY_AFTER_SECONDS = 1

#: What the OpenAPI schema of a POST documents for the header: ``extend_schema(**idempotent_post(…))``.
OPENAPI_PARAMETER = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Optional, 1–255 printable characters, unique per user: the same key and body within 7 days "
        "gets the first answer again (header Idempotent-Replayed: true); another body, 422."
    ),
)
OPENAPI_RESPONSES = {
    409: OpenApiResponse(description="A request with the same Idempotency-Key is still running; retry."),
    422: OpenApiResponse(description="This Idempotency-Key was used with another request."),
}


def idempotent_post(**kwargs: Any) -> dict[str, Any]:
    """``extend_schema`` arguments of a POST: its own, plus the Idempotency-Key header and answers
    (its own answers win: a 409 of its own is described by the view)."""
    kwargs["parameters"] = [*kwargs.get("parameters", []), OPENAPI_PARAMETER]
    kwargs["responses"] = {**OPENAPI_RESPONSES, **kwargs.get("responses", {})}
    return kwargs


def request_fingerprint(method: str, full_path: str, body: bytes) -> str:
    """What makes two requests "the same" for a key: method, path with query, and body (JSON by
    value, so that spacing and key order do not matter)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), full_path.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def idempotency_keys_purge(*, now: datetime | None = None, batch_size: int = 10_000) -> int:
    """Delete the keys older than :data:`KEY_TTL`, in batches (short transactions); returns how
    many went."""
    cutoff = (now or timezone.now()) - KEY_TTL
    deleted = 0
    while True:
        ids = list(IdempotencyKey.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        deleted += IdempotencyKey.objects.filter(pk__in=ids).delete()[0]


def _error(status: int, body: dict, retry_after: int | None = None) -> JsonResponse:
    response = JsonResponse(body, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _in_progress() -> JsonResponse:
    return _error(
        409,
        {"detail": _("A request with this Idempotency-Key is in progress; retry in a moment.")},
        IN_PROGRESS_RETRY_AFTER_SECONDS,
    )


def _api_user(request: HttpRequest) -> AbstractBaseUser | None:
    """The user the API's views' authentication classes find, or ``None`` (the view will answer
    401/403 itself)."""
    drf_request = Request(request, authenticators=[auth() for auth in API_AUTHENTICATION])
    try:
        user = drf_request.user
    except APIException:
        return None
    return user if user is not None and user.is_authenticated else None


class IdempotencyMiddleware:
    """Replays the first answer to a repeated ``POST /api/v1/`` with the same ``Idempotency-Key``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if (
            key is None
            or request.method != "POST"
            or not request.path.startswith(API_PREFIX)
            or request.path.startswith(EXCLUDED_PREFIXES)
        ):
            return self.get_response(request)
        if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return _error(
                400,
                {HEADER: [_("Must be 1 to %(max)s printable characters long.") % {"max": MAX_KEY_LENGTH}]},
            )
        try:
            return self._serve(request, key)
        except (OperationalError, InterfaceError) as exc:
            # Raised here, outside the view, it would reach the outer middleware as a plain 500.
            return DatabaseUnavailableMiddleware(self.get_response).unavailable(request, exc)

    def _serve(self, request: HttpRequest, key: str) -> HttpResponse:
        user = _api_user(request)
        if user is None:
            return self.get_response(request)
        try:
            body = request.body
        except (RequestDataTooBig, UnreadablePostError):  # the view gives its own answer
            return self.get_response(request)
        fingerprint = request_fingerprint(request.method, request.get_full_path(), body)
        with transaction.atomic():
            row = self._claim(user, key, request, fingerprint)
            if not isinstance(row, IdempotencyKey):
                return row  # a replay, a conflict or "in progress"
            response = self.get_response(request)
            if 200 <= response.status_code < 300:
                row.response_status = response.status_code
                row.response_body = _json_body(response)
                row.save(update_fields=["response_status", "response_body"])
            elif response.status_code < 500:
                row.delete()
            else:
                transaction.set_rollback(True)
        return response

    def _claim(
        self, user: AbstractBaseUser, key: str, request: HttpRequest, fingerprint: str
    ) -> IdempotencyKey | HttpResponse:
        """Insert the key's row (this request runs it), or answer from the row already there."""
        for _attempt in range(2):
            try:
                with transaction.atomic():
                    return IdempotencyKey.objects.create(
                        user=user, key=key, method=request.method, path=request.path, request_hash=fingerprint
                    )
            except IntegrityError:
                # Another request holds this key; on PostgreSQL the insert waited for it to end.
                stored = IdempotencyKey.objects.filter(user=user, key=key).first()
            if stored is None:
                continue  # it rolled back in between: ours now
            if stored.created_at < timezone.now() - KEY_TTL:
                stored.delete()  # expired, not purged yet: a new key
                continue
            return self._answer(stored, fingerprint)
        return _in_progress()

    def _answer(self, stored: IdempotencyKey, fingerprint: str) -> HttpResponse:
        if stored.request_hash != fingerprint:
            return _error(
                422,
                {"detail": _("This Idempotency-Key was used with another request. Send a new key for a new request.")},
            )
        if stored.response_status is None:
            return _in_progress()
        response = HttpResponse(
            b"" if stored.response_body is None else json.dumps(stored.response_body),
            status=stored.response_status,
            content_type="application/json",
        )
        response[REPLAYED_HEADER] = "true"
        return response


def _json_body(response: HttpResponse) -> object:
    content = getattr(response, "content", b"")
    if not content or "json" not in response.get("Content-Type", ""):
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None
