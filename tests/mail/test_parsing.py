"""Reading mail (contactcenter.mail.parsing): whatever the bytes, a mail or MailParseError.

Anything else raised would make the MTA pipe answer "try again later" for ever (75); a mail cut
anywhere, or bytes of any kind, must be read or refused as data."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contactcenter.mail.parsing import MailParseError, ParsedMail, parse, trim_quoted
from tests.mail.conftest import CORPUS

MESSAGES = sorted(path.name for path in CORPUS.glob("*.eml"))


def read_or_refuse(raw: bytes) -> ParsedMail | None:
    try:
        return parse(raw)
    except MailParseError:
        return None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_are_read_or_refused_as_data(raw):
    read_or_refuse(raw)


@pytest.mark.parametrize("name", MESSAGES)
@settings(max_examples=60, deadline=None)
@given(cut=st.floats(min_value=0, max_value=1), noise=st.binary(max_size=40))
def test_a_corpus_message_cut_anywhere_or_spoiled_is_read_or_refused(name, cut, noise):
    raw = (CORPUS / name).read_bytes()
    at = int(len(raw) * cut)
    parsed = read_or_refuse(raw[:at] + noise + raw[at + len(noise) :])
    if parsed is not None:
        assert parsed.message_id and isinstance(parsed.body_text, str)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Merci.\n\nOn Tue, 14 Oct 2025 at 18:20, Support <s@example.com> wrote:\n> Bonjour", "Merci."),
        ("Merci.\n\nLe mar. 14 oct. 2025 à 18:20, Support <s@example.com> a\nécrit :\n> Bonjour", "Merci."),
        ("Merci.\n\n-----Original Message-----\nFrom: Support", "Merci."),
        ("Merci.\n\nDe : Support\nEnvoyé : lundi\nÀ : Jeanne", "Merci."),
        ("Merci.\n> cité\n\nSuite de la réponse.", "Merci.\n> cité\n\nSuite de la réponse."),  # inline quoting kept
        ("> seulement une citation", "> seulement une citation"),  # nothing else: all of it
    ],
)
def test_the_quoted_history_is_trimmed_for_display(text, shown):
    assert trim_quoted(text) == shown
