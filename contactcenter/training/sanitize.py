"""Lesson bodies are rich text kept as HTML, cleaned on the way in by ``nh3`` (the Ammonia
sanitizer, the maintained successor of bleach) against a short allow-list.

What survives: paragraphs, headings, lists, emphasis, quotes, code, tables, line breaks and links
(``http``, ``https`` and ``mailto`` only, opened with ``rel="noopener noreferrer"``). Scripts,
styles, event handlers (``on*``), ``javascript:`` URLs, images and embedded frames are removed, so
the stored body may be shown as it is (``|safe``) on the desktop and in the API.
"""

from __future__ import annotations

import nh3

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "s", "mark", "small",
        "sub", "sup", "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "code", "pre", "kbd",
        "abbr", "a", "span", "table", "thead", "tbody", "tr", "th", "td", "caption",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "*": {"lang"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def sanitize_html(html: str) -> str:
    """``html`` with everything outside the allow-list removed (contents of ``script`` and
    ``style`` included); surrounding whitespace stripped."""
    return nh3.clean(
        html or "",
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


def html_to_text(html: str) -> str:
    """The visible text of ``html``: for checking that a body is not empty."""
    return nh3.clean(html or "", tags=set(), attributes={}).strip()
