"""The chat's pages: the widget's script and styles (served to any site), and the demo page."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from contactcenter.chat.selectors import widget_for_origin

STATIC = Path(__file__).resolve().parent / "static" / "chat"
#: The widget's files change with a release only: browsers keep them this long.
MAX_AGE_SECONDS = 300


@cache
def _file(name: str) -> bytes:
    return (STATIC / name).read_bytes()


def _asset(name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(_file(name), content_type=content_type)
    response["Cache-Control"] = f"public, max-age={MAX_AGE_SECONDS}"
    # Loaded by the company's pages from another origin (the stylesheet inside the widget too).
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def widget_js(request: HttpRequest) -> HttpResponse:
    """``/chat/widget.js``: the script the company's site embeds with one ``<script>`` tag."""
    return _asset("widget.js", "text/javascript; charset=utf-8")


@require_GET
def widget_css(request: HttpRequest) -> HttpResponse:
    """``/chat/widget.css``: the widget's styles, loaded by the script into its shadow root."""
    return _asset("widget.css", "text/css; charset=utf-8")


@require_GET
def demo(request: HttpRequest) -> HttpResponse:
    """``/chat/demo/``: a page embedding the first active widget that allows this very address, to
    try the chat as a visitor would."""
    origin = f"{request.scheme}://{request.get_host()}"
    return render(request, "chat/demo.html", {"widget": widget_for_origin(origin=origin), "origin": origin})
