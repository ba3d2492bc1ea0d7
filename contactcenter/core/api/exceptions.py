"""API errors as JSON naming each bad field: never a 500 for bad input (a body too deep answers
400, one too large 413: :mod:`contactcenter.core.api.parsers`)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from contactcenter.core.api.parsers import RequestTooLarge, too_deep


def django_errors_to_drf(exc: DjangoValidationError) -> dict | list:
    """A model/service ValidationError as DRF's error body: field → messages."""
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_errors_to_drf(exc))
    elif isinstance(exc, ProtectedError):
        return Response(
            {"detail": "This object is still referenced and cannot be deleted."},
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(settings.API_MAX_BODY_BYTES)
    elif isinstance(exc, RecursionError):
        # Data nested so deep that walking it overflowed the stack: bad input, not a server error.
        exc = too_deep()
    return drf_exception_handler(exc, context)
