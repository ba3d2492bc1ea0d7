"""Logging filter that keeps personal data out of the logs (SPEC §8)."""

from __future__ import annotations

import logging
import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Phone and card numbers: runs of 7 or more digits, optionally split by spaces, dots or dashes,
# optionally led by + or 00.
_DIGITS = re.compile(r"(?<![\w])\+?(?:\d[\s.\-()]?){6,}\d(?![\w])")


def redact(text: str) -> str:
    """Replace emails and long digit runs (phones, cards) in ``text`` by placeholders."""
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
