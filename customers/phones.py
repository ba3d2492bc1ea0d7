"""Phone numbers in, E.164 out (SPEC §3).

Every phone number that enters Switchboard, typed by an agent, imported or sent by the
telephony system, goes through :func:`normalize_phone`, so that ``06 12 34 56 78``,
``+33 6 12 34 56 78`` and ``0033612345678`` are one and the same ``+33612345678``.
"""

from __future__ import annotations

import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# What a person or a PBX may put in a phone field: digits, spaces and the usual separators.
_PHONE_CHARS = re.compile(r"^[+\d\s().\-/]+$")
MAX_PHONE_INPUT = 40


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Return ``raw`` as an E.164 string, or raise ``ValidationError`` saying why it is not one.

    ``region`` (ISO 3166 code) decides how a national number without a country code is read;
    it defaults to ``settings.PHONE_DEFAULT_REGION``.
    """
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter a phone number."), code="required")
    if len(text) > MAX_PHONE_INPUT or not _PHONE_CHARS.match(text) or not any(c.isdigit() for c in text):
        raise ValidationError(
            _("“%(value)s” is not a phone number: use digits, spaces, +, -, . or brackets."),
            code="invalid_phone",
            params={"value": text[:MAX_PHONE_INPUT]},
        )
    try:
        number = phonenumbers.parse(text, (region or settings.PHONE_DEFAULT_REGION).upper())
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(value)s” is not a valid phone number for %(region)s or in international format (+…)."),
            code="invalid_phone",
            params={"value": text, "region": (region or settings.PHONE_DEFAULT_REGION).upper()},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalize_phone(raw: str, region: str | None = None) -> str | None:
    """Like :func:`normalize_phone`, but ``None`` for anything that is not a valid number."""
    try:
        return normalize_phone(raw, region)
    except ValidationError:
        return None


def format_phone_international(e164: str) -> str:
    """``+33612345678`` → ``+33 6 12 34 56 78`` for display."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def caller_number(raw: str | None) -> str | None:
    """The caller's number in E.164, or ``None`` (withheld, anonymous, not a number).

    Accepts any usual format, also as a ``tel:`` or ``sip:`` address (``sip:0612345678@pbx``).
    """
    text = (raw or "").strip()
    if text[:4].lower() in ("tel:", "sip:"):
        text = text[4:].split("@", 1)[0].split(";", 1)[0]
    return try_normalize_phone(text) if text else None
