"""SPEC §3: a phone number in any usual format normalizes to one E.164 value."""

import pytest
from django.core.exceptions import ValidationError

from customers.phones import format_phone_international, normalize_phone, try_normalize_phone


@pytest.mark.parametrize(
    "typed",
    [
        "06 12 34 56 78",
        "+33 6 12 34 56 78",
        "0033612345678",
        "0612345678",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "+33 (0)6 12 34 56 78",
        "  +33612345678  ",
    ],
)
def test_every_usual_french_format_gives_the_same_e164(typed):
    assert normalize_phone(typed) == "+33612345678"


def test_international_numbers_keep_their_country():
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"
    assert normalize_phone("+1 (415) 555-2671") == "+14155552671"


def test_the_default_region_reads_national_numbers(settings):
    settings.PHONE_DEFAULT_REGION = "GB"
    assert normalize_phone("020 7946 0958") == "+442079460958"


def test_an_explicit_region_wins_over_the_setting():
    assert normalize_phone("030 123456", region="DE") == "+4930123456"


@pytest.mark.parametrize("garbage", ["hello", "12", "06 12", "+33 6 12 34 56 78 99 99", "06 12 34 56 7x", "@@@"])
def test_garbage_is_refused_with_a_clear_message(garbage):
    with pytest.raises(ValidationError) as excinfo:
        normalize_phone(garbage)
    assert "phone number" in excinfo.value.messages[0]


def test_an_empty_number_asks_for_one():
    with pytest.raises(ValidationError) as excinfo:
        normalize_phone("   ")
    assert excinfo.value.messages == ["Enter a phone number."]


def test_try_normalize_answers_none_for_garbage():
    assert try_normalize_phone("not a number") is None
    assert try_normalize_phone("06 12 34 56 78") == "+33612345678"


def test_display_format():
    assert format_phone_international("+33612345678") == "+33 6 12 34 56 78"
