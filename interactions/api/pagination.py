"""Cursor pagination for interactions (SPEC §8): no ``COUNT(*)``, no ``OFFSET``.

Rows come newest first, in the stable order ``(-offered_at, -id)``. A cursor is an opaque token
holding the position ``(offered_at, id)`` of the row a page ends (or starts) at and the direction
to read in; the page after it is one indexed range read (``offered_at`` index) of
``page_size + 1`` rows, the extra row telling whether there is more. A page costs the same at
the start and ten million rows in, and rows arriving meanwhile never shift a page (no row seen
twice, none skipped). Pages answer ``{"next": url|null, "previous": url|null, "results": [...]}``
like every list of the API.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from contactcenter.core.api.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    NextPreviousPagination,
    positive_int_param,
)
from contactcenter.core.db import MAX_ID


@dataclass(frozen=True)
class Cursor:
    """A position between two rows: after (``forward``) or before the row ``(offered_at, id)``."""

    offered_at: datetime
    id: int
    forward: bool

    def encode(self) -> str:
        raw = json.dumps(
            {"t": self.offered_at.astimezone(UTC).isoformat(), "i": self.id, "f": self.forward},
            separators=(",", ":"),
        )
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """The cursor of ``token``; ``ValueError`` for anything this class did not write."""
        try:
            data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            offered_at = parse_datetime(data["t"])
            row_id, forward = data["i"], data["f"]
            # In UTC, as written: the database need not understand another offset.
            offered_at = offered_at.astimezone(UTC) if offered_at and offered_at.tzinfo else None
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, KeyError, OverflowError) as exc:
            raise ValueError(token) from exc
        valid = offered_at is not None and type(row_id) is int and 1 <= row_id <= MAX_ID and isinstance(forward, bool)
        if not valid:
            raise ValueError(token)
        return cls(offered_at=offered_at, id=row_id, forward=forward)


class InteractionCursorPagination(NextPreviousPagination):
    """``?cursor=`` (from a ``next``/``previous`` link, never built by hand) and ``?page_size=``
    (default 50, at most 500). The queryset must be ordered ``(-offered_at, -id)``."""

    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset: QuerySet, request: Request, view=None) -> list:
        self.request = request
        self.page_size = positive_int_param(request, self.page_size_query_param, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        cursor = self._cursor(request)
        if cursor is None:
            rows = list(queryset.order_by("-offered_at", "-id")[: self.page_size + 1])
            self.has_next, self.has_previous = len(rows) > self.page_size, False
            rows = rows[: self.page_size]
        elif cursor.forward:
            after = Q(offered_at__lt=cursor.offered_at) | Q(offered_at=cursor.offered_at, id__lt=cursor.id)
            rows = list(queryset.filter(after).order_by("-offered_at", "-id")[: self.page_size + 1])
            self.has_next, self.has_previous = len(rows) > self.page_size, True
            rows = rows[: self.page_size]
        else:
            before = Q(offered_at__gt=cursor.offered_at) | Q(offered_at=cursor.offered_at, id__gt=cursor.id)
            rows = list(queryset.filter(before).order_by("offered_at", "id")[: self.page_size + 1])
            self.has_next, self.has_previous = True, len(rows) > self.page_size
            rows = rows[: self.page_size][::-1]
        self.rows = rows
        return rows

    def _cursor(self, request: Request) -> Cursor | None:
        token = request.query_params.get(self.cursor_query_param)
        if token in (None, ""):
            return None
        try:
            return Cursor.decode(token)
        except ValueError:
            raise ValidationError(
                {self.cursor_query_param: [_("This cursor is not valid: use the next or previous link of a page.")]}
            ) from None

    def _link(self, row, forward: bool) -> str:
        cursor = Cursor(offered_at=row.offered_at, id=row.pk, forward=forward)
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, cursor.encode())

    def get_next_link(self) -> str | None:
        return self._link(self.rows[-1], forward=True) if self.has_next and self.rows else None

    def get_previous_link(self) -> str | None:
        return self._link(self.rows[0], forward=False) if self.has_previous and self.rows else None

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Position in the list, from a page's next or previous link (opaque).",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, {DEFAULT_PAGE_SIZE} by default, {MAX_PAGE_SIZE} at most.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]
