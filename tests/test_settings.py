"""Settings come from the environment (SPEC §2), and production settings pass --deploy."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule

from contactcenter.logging import redact

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "switchboard.example.com",
    "REDIS_URL": "redis://127.0.0.1:6379/0",  # as README's production section
}


def test_production_settings_pass_the_deployment_check():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_turning_off_the_tls_redirect_behind_a_proxy_is_possible_and_reported():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION, "SECURE_SSL_REDIRECT": "0"})
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stderr + result.stdout


def test_debug_off_without_a_secret_key_refuses_to_start():
    result = run_manage("check", env={"DEBUG": "0", "SECRET_KEY": "", "ALLOWED_HOSTS": "x"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_bad_boolean_is_a_clear_error():
    result = run_manage("check", env={"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be 1/0" in result.stderr


def test_spec_settings_have_their_defaults():
    if not os.environ.get("PHONE_DEFAULT_REGION"):
        assert settings.PHONE_DEFAULT_REGION == "FR"
    if not os.environ.get("SHORT_ABANDON_SECONDS"):
        assert settings.SHORT_ABANDON_SECONDS == 5
    if not os.environ.get("FCR_WINDOW_DAYS"):
        assert settings.FCR_WINDOW_DAYS == 7
    if not os.environ.get("TIME_ZONE"):
        assert settings.TIME_ZONE == "Europe/Paris"


def test_logs_carry_no_phone_numbers_emails_or_card_numbers():
    text = redact("caller +33 6 12 34 56 78 (jean.dupont@example.fr) paid with 4111 1111 1111 1111 on ticket 42")
    assert text == "caller [number] ([email]) paid with [number] on ticket 42"


@pytest.mark.django_db
def test_the_health_check_answers(client):
    # Nothing due: no background job waits (their health is tested in tests/jobs/test_jobs.py).
    Schedule.objects.update(next_run=timezone.now() + timedelta(minutes=1))
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "channel_layer": "ok", "workers": "ok"}


def test_a_database_outage_answers_503_with_retry_after_not_a_traceback():
    # A real instance whose PostgreSQL is down (nothing listens on port 9): every page, the API
    # and the health check answer 503 with Retry-After.
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "c = Client(raise_request_exception=False)\n"
        "for path in ('/healthz', '/api/v1/teams/'):\n"
        "    r = c.get(path, HTTP_AUTHORIZATION='Token abc')\n"
        "    print(path, r.status_code, r.get('Retry-After'), b'Traceback' in r.content)\n"
        "c = Client(raise_request_exception=False, enforce_csrf_checks=False)\n"
        "r = c.post('/admin/login/', {'username': 'a', 'password': 'b'})\n"
        "print('/admin/login/', r.status_code, r.get('Retry-After'), b'Traceback' in r.content)\n"
    )
    clean = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "contactcenter.settings.test",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:9/none",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = result.stdout.split("\n")
    assert lines[:3] == ["/healthz 503 5 False", "/api/v1/teams/ 503 5 False", "/admin/login/ 503 5 False"], (
        result.stdout + result.stderr
    )


def test_server_timing_is_off_by_default_and_gives_the_time_spent_when_on(client, settings):
    """SERVER_TIMING=1 (the bench sets it): every answer says how long the application took."""
    if os.environ.get("SERVER_TIMING") != "1":
        assert "Server-Timing" not in client.get("/healthz")
    settings.MIDDLEWARE = ["contactcenter.core.middleware.ServerTimingMiddleware", *settings.MIDDLEWARE]
    response = Client().get("/healthz")  # a new client loads the middleware again
    assert re.fullmatch(r"app;dur=\d+\.\d\d", response["Server-Timing"])
    assert 0 < float(response["Server-Timing"].removeprefix("app;dur=")) < 60_000
