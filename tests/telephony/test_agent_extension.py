"""The agent's phone extension in the agents API: admins set it (unique, checked with a clear
message), everyone who sees the agent reads it."""

from __future__ import annotations

import pytest

from contactcenter.agents.models import AgentProfile

pytestmark = pytest.mark.django_db

API = "/api/v1/agents/"


def test_an_admin_sets_and_clears_an_extension(org, api_client_for):
    admin = api_client_for(org.admin)
    response = admin.patch(f"{API}agent_a/", {"extension": " 1001 "}, format="json")
    assert response.status_code == 200, response.data
    assert response.json()["extension"] == "1001"
    assert AgentProfile.objects.get(user=org.agent_a).extension == "1001"
    assert api_client_for(org.agent_a).get(f"{API}agent_a/").json()["extension"] == "1001"
    assert admin.patch(f"{API}agent_a/", {"extension": ""}, format="json").json()["extension"] == ""


def test_an_extension_is_unique_with_a_clear_message(org, api_client_for):
    admin = api_client_for(org.admin)
    assert admin.patch(f"{API}agent_a/", {"extension": "1001"}, format="json").status_code == 200
    # Setting the same again on its holder changes nothing; on another agent it is a 400.
    assert admin.patch(f"{API}agent_a/", {"extension": "1001"}, format="json").status_code == 200
    response = admin.patch(f"{API}agent_b/", {"extension": "1001"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"extension": ["Extension 1001 is already agent_a's."]}
    response = admin.patch(f"{API}agent_b/", {"extension": "10 01"}, format="json")
    assert response.status_code == 400 and "extension" in response.json()
    assert AgentProfile.objects.get(user=org.agent_b).extension == ""


def test_only_admins_set_it(org, api_client_for):
    for user in (org.agent_a, org.supervisor_a, org.manager):
        response = api_client_for(user).patch(f"{API}agent_a/", {"extension": "1001"}, format="json")
        assert response.status_code == 403, user
    assert AgentProfile.objects.get(user=org.agent_a).extension == ""


def test_provisioning_with_an_extension(org, api_client_for):
    admin = api_client_for(org.admin)
    admin.patch(f"{API}agent_a/", {"extension": "1001"}, format="json")
    body = {"username": "newbie", "password": "Sturdy-pass-2026", "team": "Team A"}
    taken = admin.post(API, body | {"extension": "1001"}, format="json")
    assert taken.status_code == 400 and list(taken.json()) == ["extension"]
    created = admin.post(API, body | {"extension": "1002"}, format="json")
    assert created.status_code == 201 and created.json()["extension"] == "1002"
