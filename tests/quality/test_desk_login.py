"""A QA evaluator logs in at the desk like everyone and lands on the desktop."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.agents.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_quality_user_logs_in_at_the_desk_and_opens_the_desktop(client, qm, settings):
    settings.REQUIRE_2FA_ROLES = []
    response = client.post(reverse("desk:login"), {"username": "qa", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 302 and home["Location"] == "/desk/"
    assert client.get("/desk/").status_code == 200
    assert client.get("/wallboard/").status_code == 403


def test_the_quality_role_needs_a_second_factor_when_the_settings_say_so(client, qm, settings):
    settings.REQUIRE_2FA_ROLES = ["supervisor", "quality", "manager", "admin"]
    response = client.post(reverse("desk:login"), {"username": "qa", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/desk/").status_code != 200  # the second step first
