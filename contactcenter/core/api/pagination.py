"""List pagination without ``COUNT(*)`` (SPEC §5 and §8).

Pages answer ``{"next": url|null, "previous": url|null, "results": [...]}``. One extra row is read
to know whether a next page exists, so a list costs the same on ten rows and on ten million.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
#: The largest row number SQL can be asked for (a 64-bit ``OFFSET``/``LIMIT``): a page that starts
#: past it is past the last row of any table, hence empty, and is answered without a query.
LAST_ROW = 2**63 - 1


def positive_int_param(request, name: str, default: int, maximum: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or (maximum is not None and value > maximum):
        if maximum is None:
            message = _("Must be a whole number, at least 1.")
        else:
            message = _("Must be a whole number from 1 to %(max)s.") % {"max": maximum}
        raise ValidationError({name: [message]})
    return value


class NextPreviousPagination(BasePagination):
    page_query_param = "page"
    page_size_query_param = "page_size"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = positive_int_param(request, self.page_size_query_param, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        self.page = positive_int_param(request, self.page_query_param, 1)
        offset = (self.page - 1) * self.page_size
        rows = list(queryset[offset : offset + self.page_size + 1]) if offset + self.page_size < LAST_ROW else []
        self.has_next = len(rows) > self.page_size
        return rows[: self.page_size]

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.page_query_param, self.page + 1)

    def get_previous_link(self) -> str | None:
        if self.page <= 1:
            return None
        url = self.request.build_absolute_uri()
        if self.page == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.page - 1)

    def get_paginated_response(self, data) -> Response:
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, {DEFAULT_PAGE_SIZE} by default, {MAX_PAGE_SIZE} at most.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]
