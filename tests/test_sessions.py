"""Signed-in requests: the session from the cache, the user with their profile in one query."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.agents.factories import PASSWORD
from tests.conftest import _cache_clear

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    assert client.post(reverse("desk:login"), {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def test_a_session_is_kept_in_the_database_too(org):
    client = signed_in(org.agent_a)
    key = client.cookies["sessionid"].value
    stored = Session.objects.get(session_key=key)
    assert stored.get_decoded()[SESSION_KEY] == str(org.agent_a.pk)


def test_an_emptied_cache_signs_nobody_out(org):
    """A Redis restart empties the cache: the session is read from the database instead."""
    client = signed_in(org.agent_a)
    _cache_clear()
    response = client.get(reverse("desk:status"))
    assert response.status_code == 200
    assert response.wsgi_request.user == org.agent_a


def test_a_signed_in_request_reads_no_session_row(org, django_assert_num_queries):
    """The session comes from the cache; the user and their profile with its team in one query."""
    client = signed_in(org.agent_a)
    client.get(reverse("desk:status"))
    with django_assert_num_queries(1, exact=True) as captured:
        response = client.get(reverse("desk:status"))
    assert response.status_code == 200
    (query,) = captured.captured_queries
    assert "django_session" not in query["sql"]
    assert "agents_agentprofile" in query["sql"] and "agents_team" in query["sql"]
    profile = response.wsgi_request.user.agent_profile
    assert profile.team == org.team_a


def test_logging_out_ends_the_session_everywhere(org):
    client = signed_in(org.agent_a)
    key = client.cookies["sessionid"].value
    client.post(reverse("desk:logout"))
    assert not Session.objects.filter(session_key=key).exists()
    stale = Client()
    stale.cookies["sessionid"] = key
    assert stale.get(reverse("desk:status")).status_code in (302, 401, 403)


def test_a_password_change_signs_the_user_out(org):
    client = signed_in(org.agent_a)
    org.agent_a.set_password("An0ther-long-passphrase")
    org.agent_a.save()
    assert client.get(reverse("desk:status")).status_code in (302, 401, 403)


def test_the_deploy_check_asks_for_redis_when_it_is_missing(settings):
    from django.core.checks import run_checks

    settings.REDIS_URL = ""
    assert "switchboard.W001" in {message.id for message in run_checks(include_deployment_checks=True)}
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    assert "switchboard.W001" not in {message.id for message in run_checks(include_deployment_checks=True)}
