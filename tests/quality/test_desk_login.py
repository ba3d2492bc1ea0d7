"""A QA evaluator logs in at the desk like everyone and lands on their quality queue."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.agents.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_quality_user_logs_in_at_the_desk_and_lands_on_their_queue(client, qm, settings):
    settings.REQUIRE_2FA_ROLES = []
    response = client.post(reverse("desk:login"), {"username": "qa", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 302 and home["Location"] == "/desk/quality/"
    assert client.get("/desk/quality/").status_code == 200
    assert client.get("/desk/").status_code == 200
    assert client.get("/wallboard/").status_code == 403


def test_the_quality_role_needs_a_second_factor_when_the_settings_say_so(client, qm, settings):
    settings.REQUIRE_2FA_ROLES = ["supervisor", "quality", "manager", "admin"]
    response = client.post(reverse("desk:login"), {"username": "qa", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/desk/").status_code != 200  # the second step first
