"""Rich text written by managers (knowledge articles, training lessons): Markdown in, safe HTML out.

One pipeline for every body: the source is Markdown, parsed by ``markdown-it-py`` in CommonMark
mode with tables; HTML written in it (a block or inline) passes through Markdown as it is, and
everything Markdown produced is then sanitized by ``nh3`` (the Ammonia sanitizer) against an
explicit allow-list. So a body may be Markdown, HTML or both, and the stored source is never shown
as it is: :func:`render_markdown` is the only way a body reaches a page or the API.

Choices, each said in docs/knowledge.md and docs/training.md for authors:

- Indented code blocks are off: authors indent text for looks, and a lesson's HTML is often
  indented; indentation alone never turns text into code. Code goes in a fenced block (```` ``` ````).
- Images are not loaded (a picture from another site would tell it who reads the lesson): a
  Markdown image is shown as a link to it, an ``<img>`` is removed.
- Links keep ``http``, ``https`` and ``mailto`` URLs and relative ones, with
  ``rel="noopener noreferrer nofollow"``; scripts and styles (with their content), event
  handlers, ``style`` and ``class`` attributes, frames and forms are removed.
- ``top_heading`` shifts the Markdown headings so that the body's highest one has that level
  (``## Steps`` under an article title in ``<h3>`` becomes ``<h4>``): the page's outline holds.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import nh3
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "s", "del",
        "mark", "small", "sub", "sup", "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "code", "pre",
        "kbd", "abbr", "a", "span", "table", "thead", "tbody", "tr", "th", "td", "caption",
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
#: What an author is told under a rich-text field (knowledge articles, lessons).
HELP_TEXT = _(
    "Markdown: a blank line starts a paragraph; “## ” starts a heading, “- ” or “1. ” a list item; **bold**, "
    "*italics*, [text](https://…) for a link, “|” rows for a table, ``` around code. HTML is kept too "
    "(headings, lists, emphasis, tables, links); scripts, styles and images are never shown."
)
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
#: Elements after which the plain text starts a new line.
_BLOCKS = frozenset(
    {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "blockquote", "pre", "tr", "th", "td",
     "caption", "ul", "ol", "dl", "table", "div"}
)  # fmt: skip


def _image_as_link(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    """A Markdown image as a link to the picture, its description as the link's text."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    text = self.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{escapeHtml(src)}">{escapeHtml(text)}</a>'


_MARKDOWN = MarkdownIt("commonmark").enable("table").disable("code")
_MARKDOWN.add_render_rule("image", _image_as_link)


def _sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()


def _shift_headings(tokens: list[Token], top: int) -> None:
    levels = [int(token.tag[1]) for token in tokens if token.type == "heading_open"]
    if not levels:
        return
    shift = top - min(levels)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{max(1, min(6, int(token.tag[1]) + shift))}"


def render_markdown(text: str, *, top_heading: int | None = None) -> SafeString:
    """``text`` (Markdown, HTML allowed) as sanitized HTML, safe to show as it is.

    ``top_heading`` (1–6): the level the body's highest Markdown heading takes, the others
    following (at most ``<h6>``); ``None`` keeps the levels as written.
    """
    tokens = _MARKDOWN.parse(text or "")
    if top_heading is not None:
        _shift_headings(tokens, top_heading)
    html = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    # The sanitizer's output is what it allows, nothing else: safe to mark so.
    return mark_safe(_sanitize(html))  # noqa: S308


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        # A line break within a block (a soft break, a ``<pre>``) is a space: lines are blocks.
        self.parts.append(data.replace("\r", " ").replace("\n", " "))


def markdown_to_text(text: str) -> str:
    """The text a reader sees of ``text`` (Markdown, HTML allowed): no markup, one line per
    block, spaces collapsed; ``""`` when nothing would show. For search and emptiness checks."""
    collector = _TextCollector()
    collector.feed(render_markdown(text))
    collector.close()
    lines = (" ".join(line.split()) for line in "".join(collector.parts).splitlines())
    return "\n".join(line for line in lines if line)
