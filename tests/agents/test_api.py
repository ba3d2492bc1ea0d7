"""Organisation endpoints: teams, queues, agents (provisioned by admins), agents/me/status/."""

import pytest
from django.contrib.auth import authenticate

from contactcenter.agents.models import PresenceInterval
from tests.agents.factories import AgentProfileFactory

pytestmark = pytest.mark.django_db


def test_admins_create_teams_and_queues_by_name(org, api_client_for):
    client = api_client_for(org.admin)
    assert client.post("/api/v1/teams/", {"name": "Night shift"}, format="json").status_code == 201
    response = client.post(
        "/api/v1/queues/",
        {"name": "VIP line", "channel": "voice", "service_level_seconds": 30, "skills": ["english", "vip"]},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["service_level_seconds"] == 30 and body["service_level_target"] == 0.8
    assert body["skills"] == ["english", "vip"]
    assert client.get("/api/v1/queues/VIP line/").json()["name"] == "VIP line"
    assert client.get("/api/v1/teams/Night shift/").status_code == 200


def test_a_duplicate_name_is_a_400(org, api_client_for):
    response = api_client_for(org.admin).post("/api/v1/teams/", {"name": "Team A"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()


def test_agents_may_read_but_not_create_the_organisation(org, api_client_for):
    client = api_client_for(org.agent_a)
    assert client.get("/api/v1/queues/").status_code == 200
    assert client.post("/api/v1/teams/", {"name": "Mine"}, format="json").status_code == 403
    assert client.post("/api/v1/queues/", {"name": "Mine"}, format="json").status_code == 403
    assert client.patch("/api/v1/queues/Queue A/", {"service_level_seconds": 5}, format="json").status_code == 403


def test_admins_change_a_queue(org, api_client_for):
    response = api_client_for(org.admin).patch(
        "/api/v1/queues/Queue A/", {"service_level_target": 0.9, "skills": ["french"]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["service_level_target"] == 0.9
    assert response.json()["skills"] == ["french"]


def test_admins_provision_agents_with_validated_passwords(org, api_client_for):
    client = api_client_for(org.admin)
    weak = client.post("/api/v1/agents/", {"username": "newbie", "password": "123"}, format="json")
    assert weak.status_code == 400 and "password" in weak.json()
    unknown = client.post(
        "/api/v1/agents/", {"username": "newbie", "password": "Sturdy-pass-2026", "team": "Nope"}, format="json"
    )
    assert unknown.status_code == 400 and "team" in unknown.json()
    created = client.post(
        "/api/v1/agents/",
        {
            "username": "newbie",
            "password": "Sturdy-pass-2026",
            "role": "agent",
            "team": "Team A",
            "queues": ["Queue A", "Queue B"],
            "skills": ["french"],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["username"], body["role"], body["team"], body["queues"]) == (
        "newbie",
        "agent",
        "Team A",
        ["Queue A", "Queue B"],
    )
    assert "password" not in body
    assert authenticate(username="newbie", password="Sturdy-pass-2026") is not None
    duplicate = client.post("/api/v1/agents/", {"username": "newbie", "password": "Sturdy-pass-2026"}, format="json")
    assert duplicate.status_code == 400 and "username" in duplicate.json()


def test_only_admins_provision_and_roles_cannot_be_self_granted(org, api_client_for):
    for user in (org.agent_a, org.supervisor_a, org.manager):
        client = api_client_for(user)
        response = client.post("/api/v1/agents/", {"username": "x", "password": "Sturdy-pass-2026"}, format="json")
        assert response.status_code == 403
    me = api_client_for(org.agent_a).patch("/api/v1/agents/agent_a/", {"role": "admin"}, format="json")
    assert me.status_code == 403
    org.agent_a.agent_profile.refresh_from_db()
    assert org.agent_a.agent_profile.role == "agent"


def test_who_sees_which_agents(org, api_client_for):
    def usernames(user):
        return {a["username"] for a in api_client_for(user).get("/api/v1/agents/").json()["results"]}

    assert usernames(org.agent_a) == {"agent_a"}
    assert usernames(org.supervisor_a) == {"agent_a", "supervisor_a"}
    assert usernames(org.manager) == {"agent_a", "agent_b", "supervisor_a", "manager", "admin_user"}
    assert api_client_for(org.agent_a).get("/api/v1/agents/agent_b/").status_code == 404
    assert api_client_for(org.supervisor_a).get("/api/v1/agents/agent_b/").status_code == 404


def test_admins_change_role_team_and_queues(org, api_client_for):
    response = api_client_for(org.admin).patch(
        "/api/v1/agents/agent_a/", {"role": "supervisor", "team": "Team B", "queues": ["Queue B"]}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["role"], response.json()["team"], response.json()["queues"]) == (
        "supervisor",
        "Team B",
        ["Queue B"],
    )
    org.agent_a.refresh_from_db()
    assert org.agent_a.is_staff and list(org.agent_a.groups.values_list("name", flat=True)) == ["supervisor"]


def test_a_supervisor_sets_a_team_member_offline_but_nothing_else(org, api_client_for):
    client = api_client_for(org.supervisor_a)
    api_client_for(org.agent_a).put("/api/v1/agents/me/status/", {"status": "available"}, format="json")
    assert client.patch("/api/v1/agents/agent_a/", {"status": "offline"}, format="json").status_code == 200
    org.agent_a.agent_profile.refresh_from_db()
    assert org.agent_a.agent_profile.status == "offline"
    assert client.patch("/api/v1/agents/agent_a/", {"role": "admin"}, format="json").status_code == 403
    assert client.patch("/api/v1/agents/agent_b/", {"status": "offline"}, format="json").status_code == 404
    assert (
        api_client_for(org.agent_b).patch("/api/v1/agents/agent_b/", {"status": "offline"}, format="json").status_code
        == 403
    )


def test_my_status(org, api_client_for):
    client = api_client_for(org.agent_a)
    assert client.get("/api/v1/agents/me/status/").json()["status"] == "offline"
    response = client.put("/api/v1/agents/me/status/", {"status": "available"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "available"
    no_reason = client.put("/api/v1/agents/me/status/", {"status": "break"}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    lunch = client.put("/api/v1/agents/me/status/", {"status": "break", "reason": "lunch"}, format="json")
    assert lunch.json() | {"since": None} == {
        "agent": "agent_a",
        "status": "break",
        "reason": "lunch",
        "since": None,
        "pending": None,
        "pending_reason": "",
    }
    busy = client.put("/api/v1/agents/me/status/", {"status": "busy"}, format="json")
    assert busy.status_code == 400 and "status" in busy.json()
    assert list(
        PresenceInterval.objects.filter(agent=org.agent_a).order_by("started_at").values_list("status", flat=True)
    ) == ["available", "break"]


def test_a_user_without_a_profile_has_no_status(org, api_client_for):
    assert api_client_for(org.nobody).get("/api/v1/agents/me/status/").status_code == 404


def test_agent_list_query_count_does_not_grow_with_rows(org, api_client_for, django_assert_max_num_queries):
    client = api_client_for(org.manager)
    with django_assert_max_num_queries(8) as small:
        client.get("/api/v1/agents/?page_size=500")
    for n in range(30):
        AgentProfileFactory(user__username=f"bulk{n}", team=org.team_a, queues=[org.queue_a])
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/api/v1/agents/?page_size=500")
    assert len(response.json()["results"]) == 35
