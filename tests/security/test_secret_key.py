"""With DEBUG off the instance refuses to start without a real secret key: missing, short, made
of few characters, or one printed in the code or the documentation."""

from __future__ import annotations

import secrets

import pytest

from contactcenter.settings.base import _DEV_SECRET_KEY, secret_key_problem
from tests.test_settings import run_manage

PRODUCTION = {"DEBUG": "0", "ALLOWED_HOSTS": "switchboard.example.com"}


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "SECRET_KEY must be set when DEBUG is off."),
        ("x", "SECRET_KEY is too weak"),
        ("abcd" * 20, "SECRET_KEY is too weak"),
        (_DEV_SECRET_KEY, "SECRET_KEY is an example value"),
        ("...", "SECRET_KEY is an example value"),
        ("bench", "SECRET_KEY is an example value"),
        ("django-insecure-" + "k3y" * 20, "SECRET_KEY is an example value"),
    ],
)
def test_weak_or_public_keys_are_refused(key, message):
    assert secret_key_problem(key).startswith(message)


def test_a_long_random_key_is_accepted():
    assert secret_key_problem(secrets.token_urlsafe(50)) is None


@pytest.mark.parametrize("key", ["x", _DEV_SECRET_KEY, "short-but-not-empty-0123456789"])
def test_the_instance_refuses_to_start_with_debug_off_and_a_weak_key(key):
    result = run_manage("check", env={**PRODUCTION, "SECRET_KEY": key})
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr


def test_debug_on_keeps_the_development_key():
    result = run_manage("check", env={"DEBUG": "1", "SECRET_KEY": ""})
    assert result.returncode == 0, result.stderr


def test_the_instance_starts_with_debug_off_and_a_real_key():
    result = run_manage("check", env={**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(50)})
    assert result.returncode == 0, result.stderr
