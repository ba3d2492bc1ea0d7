"""An article's body as HTML: plain text with a few Markdown-like line marks, always escaped.

No Markdown library: articles need paragraphs, lists and headings, nothing that could carry
markup. Blocks are separated by blank lines; within a block, lines starting with ``- `` or ``* ``
make a list, ``1. `` a numbered list, ``## `` a heading; other lines are a paragraph, joined as
one flowing text (as in Markdown: an author may wrap lines where they like). Every piece of text
is escaped: whatever an author types is shown, never run.
"""

from __future__ import annotations

import re

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")
_HEADING = re.compile(r"^\s*#{1,6}\s+(.*)$")


def render_body(text: str, *, heading_level: int = 4) -> SafeString:
    """``text`` as escaped HTML blocks; headings use ``<h{heading_level}>``."""
    blocks: list[SafeString] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""

    def flush() -> None:
        nonlocal list_tag
        if paragraph:
            blocks.append(format_html("<p>{}</p>", " ".join(paragraph)))
            paragraph.clear()
        if items:
            joined = format_html_join("", "<li>{}</li>", ((item,) for item in items))
            blocks.append(
                format_html("<ol>{}</ol>", joined) if list_tag == "ol" else format_html("<ul>{}</ul>", joined)
            )
            items.clear()
        list_tag = ""

    for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        heading, bullet, numbered = _HEADING.match(line), _BULLET.match(line), _NUMBERED.match(line)
        if not line.strip():
            flush()
        elif heading:
            flush()
            blocks.append(format_html("<h{}>{}</h{}>", heading_level, heading.group(1).strip(), heading_level))
        elif bullet or numbered:
            tag = "ul" if bullet else "ol"
            if paragraph or (list_tag and list_tag != tag):
                flush()
            list_tag = tag
            items.append((bullet or numbered).group(1).strip())
        else:
            if items:
                flush()
            paragraph.append(line.strip())
    flush()
    return format_html_join("\n", "{}", ((block,) for block in blocks))
