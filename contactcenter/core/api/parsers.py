"""The API's JSON parser: DRF's, bounded in size and depth.

A body larger than ``settings.API_MAX_BODY_BYTES`` answers 413 and is not read past that limit
(also when it comes chunked, without a Content-Length); a body nested deeper than
``settings.API_MAX_JSON_DEPTH`` (``[[[[…]]]]``), or so deep that Python's parser gives up
(``RecursionError``), answers 400. Both with a JSON body, like every other API error.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(_("The request body may weigh %(max)s bytes at most.") % {"max": limit})


def too_deep() -> ParseError:
    message = _("JSON nested too deeply: %(max)s levels of arrays and objects at most.")
    return ParseError(message % {"max": settings.API_MAX_JSON_DEPTH})


def json_depth_exceeds(data: Any, limit: int) -> bool:
    """Whether ``data`` (parsed JSON) nests lists and dicts more than ``limit`` levels deep.
    Walked without recursion, so any depth the parser produced can be measured."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies too large (413) or too deep (400)."""

    def parse(self, stream, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(limit)
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise too_deep() from None
        if json_depth_exceeds(data, settings.API_MAX_JSON_DEPTH):
            raise too_deep()
        return data
