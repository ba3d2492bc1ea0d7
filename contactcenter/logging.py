"""Logs without personal data: what every log line goes through before it is written.

Callers' phone numbers, emails and names reach the server in URLs (``customers/lookup/?phone=…``,
``?search=Poulain+Amélie``, the desk's ``?q=…``) and in error messages. Every handler of
``settings.LOGGING`` writes through :class:`RedactingFormatter` (and :class:`RedactPersonalData`
for handlers that keep a formatter of their own), so that:

- **query strings** keep their parameter names but lose their values (``?phone=[redacted]``),
  except a few that never carry personal data (page numbers, cursors, groupings);
- **emails** become ``[email]`` and **runs of 7 digits or more** (phones in any format, card
  numbers) become ``[number]``, as written or percent-encoded (``%2B33…``, ``jean%40example.fr``),
  in the message, the traceback and the stack alike. ISO dates are left as they are.

Names cannot be recognised in free text: they are kept out by the first rule (our URLs carry them
only in query strings) and by messages that name objects by id. The time stamp of a line is not
rewritten. This module imports nothing of the project (settings load it).
"""

from __future__ import annotations

import logging
import re

#: Query parameters whose values are never personal data: kept in the logs as they are.
PLAIN_QUERY_PARAMETERS = frozenset(
    {"page", "page_size", "cursor", "format", "group_by", "ordering", "language", "o", "p", "all", "interval"}
)
REDACTED = "[redacted]"

# An email, as written or percent-encoded (@ as %40, + as %2B in the local part).
_EMAIL = re.compile(r"[\w.+%-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
# Phone and card numbers: 7 digits or more, optionally split by spaces (also %20 or + as in a
# query string), dots, dashes or brackets, optionally led by +, %2B or 00. An ISO date
# (2026-11-23) is not one.
_DIGITS = re.compile(
    r"(?<![\w%])(?!\d{4}-\d{2}-\d{2}(?!\d))(?:\+|%2B)?(?:\d(?:[\s.\-()+]|%20)?){6,}\d(?!\w)", re.IGNORECASE
)
# A query string: from "?" to the next white space or quote.
_QUERY = re.compile(r"\?([^\s\"'<>]*)")


def _redact_query(match: re.Match[str]) -> str:
    pairs = []
    for pair in re.split(r"([&;])", match.group(1)):
        if pair in ("&", ";") or "=" not in pair:
            pairs.append(pair if pair in ("&", ";", "") else REDACTED)
            continue
        name, value = pair.split("=", 1)
        if name in PLAIN_QUERY_PARAMETERS and re.fullmatch(r"[\w.:-]{0,64}", value):
            pairs.append(pair)
        else:
            pairs.append(f"{name}={REDACTED}")
    return "?" + "".join(pairs)


def redact(text: str) -> str:
    """``text`` without personal data: query values, emails and long digit runs replaced by
    placeholders (``?phone=[redacted]``, ``[email]``, ``[number]``)."""
    text = _QUERY.sub(_redact_query, text)
    text = _EMAIL.sub("[email]", text)
    return _DIGITS.sub("[number]", text)


class RedactPersonalData(logging.Filter):
    """Rewrites each record's message with :func:`redact`; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            return True
        record.msg = redact(message)
        record.args = None
        return True


class RedactingFormatter(logging.Formatter):
    """A plain formatter whose message, traceback and stack pass through :func:`redact` (a
    traceback is added by the formatter, after every filter has run)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = redact(record.message)
        return super().formatMessage(record)

    def formatException(self, ei) -> str:
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return redact(super().formatStack(stack_info))
