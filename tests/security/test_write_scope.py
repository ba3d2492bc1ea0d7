"""Writes no wider than a role allows: an agent changes their own interactions only and never
whose or which queue's they are; a ticket moves queue by the rules of assignment; the staffing
forecast is scoped like the KPIs. Field by field and role by role, through the API."""

from __future__ import annotations

import pytest

from tests.agents.factories import AgentProfileFactory
from tests.interactions.factories import InteractionFactory, TicketFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/"


@pytest.fixture
def colleague(org):
    """Another agent of team A, in Queue A like agent A."""
    return AgentProfileFactory(user__username="agent_a2", team=org.team_a, queues=[org.queue_a]).user


def users(org) -> dict:
    return {"agent": org.agent_a, "supervisor": org.supervisor_a, "manager": org.manager, "admin": org.admin}


#: (field, value given by name) → status per role, for a PATCH of agent A's own interaction.
OWN_INTERACTION = {
    ("notes", "Called back"): {"agent": 200, "supervisor": 200, "manager": 200, "admin": 200},
    ("resolved", True): {"agent": 200, "supervisor": 200, "manager": 200, "admin": 200},
    ("agent", "agent_a"): {"agent": 200, "supervisor": 200, "manager": 200, "admin": 200},  # unchanged
    ("agent", "agent_a2"): {"agent": 400, "supervisor": 200, "manager": 200, "admin": 200},
    ("agent", None): {"agent": 400, "supervisor": 200, "manager": 200, "admin": 200},
    ("queue", "Queue A"): {"agent": 200, "supervisor": 200, "manager": 200, "admin": 200},  # unchanged
    ("queue", "Queue B"): {"agent": 400, "supervisor": 200, "manager": 200, "admin": 200},
    ("queue", None): {"agent": 400, "supervisor": 200, "manager": 200, "admin": 200},
}


@pytest.mark.parametrize(("field", "value"), list(OWN_INTERACTION))
@pytest.mark.parametrize("role", ["agent", "supervisor", "manager", "admin"])
def test_fields_of_an_agents_own_interaction_by_role(org, colleague, api_client_for, field, value, role):
    contact = InteractionFactory(queue=org.queue_a, agent=org.agent_a)
    response = api_client_for(users(org)[role]).patch(f"{API}interactions/{contact.pk}/", {field: value})
    assert response.status_code == OWN_INTERACTION[(field, value)][role], response.data
    contact.refresh_from_db()
    if response.status_code == 400:
        assert field in response.data
        assert (contact.agent_id, contact.queue_id) == (org.agent_a.pk, org.queue_a.pk)  # nothing written


@pytest.mark.parametrize("field", ["notes", "resolved", "agent", "queue", "disposition"])
def test_an_agent_changes_no_field_of_a_colleagues_interaction(org, colleague, api_client_for, field):
    contact = InteractionFactory(queue=org.queue_a, agent=colleague, notes="Theirs")
    body = {"notes": "Mine now", "resolved": True, "agent": "agent_a", "queue": "Queue A", "disposition": None}
    response = api_client_for(org.agent_a).patch(f"{API}interactions/{contact.pk}/", {field: body[field]})
    assert response.status_code == 403
    contact.refresh_from_db()
    assert (contact.agent_id, contact.notes) == (colleague.pk, "Theirs")
    # Nor its wrap-up log.
    response = api_client_for(org.agent_a).post(f"{API}interactions/{contact.pk}/wrapup/", {"notes": "Mine"})
    assert response.status_code == 403


def test_an_agent_logs_interactions_in_their_own_name_only(org, colleague, api_client_for):
    body = {"channel": "voice", "direction": "outbound", "queue": "Queue A", "offered_at": "2026-01-05T09:00:00Z"}
    own = api_client_for(org.agent_a).post(f"{API}interactions/", {**body, "agent": "agent_a"})
    assert (own.status_code, own.data["agent"]) == (201, "agent_a")
    theirs = api_client_for(org.agent_a).post(f"{API}interactions/", {**body, "agent": "agent_a2"})
    assert theirs.status_code == 400 and "agent" in theirs.data
    by_supervisor = api_client_for(org.supervisor_a).post(f"{API}interactions/", {**body, "agent": "agent_a2"})
    assert (by_supervisor.status_code, by_supervisor.data["agent"]) == (201, "agent_a2")


#: Whose ticket (by assignee) → status of a queue move to Queue A's sibling, per role.
TICKET_QUEUE_MOVE = {
    "unassigned": {"agent": 200, "supervisor": 200, "manager": 200, "admin": 200},
    "agent_a": {"agent": 200, "supervisor": 200, "manager": 200, "admin": 200},
    "agent_a2": {"agent": 400, "supervisor": 200, "manager": 200, "admin": 200},
}


@pytest.mark.parametrize("assignee", list(TICKET_QUEUE_MOVE))
@pytest.mark.parametrize("role", ["agent", "supervisor", "manager", "admin"])
def test_a_ticket_moves_queue_by_the_rules_of_assignment(org, colleague, api_client_for, assignee, role):
    people = {"unassigned": None, "agent_a": org.agent_a, "agent_a2": colleague}
    ticket = TicketFactory(queue=org.queue_a, assignee=people[assignee])
    target = AgentProfileFactory(team=org.team_a, queues=[org.queue_a]).queues.create(name="Queue A2")
    org.agent_a.agent_profile.queues.add(target)
    org.supervisor_a.agent_profile.queues.add(target)
    response = api_client_for(users(org)[role]).patch(
        f"{API}tickets/{ticket.pk}/", {"version": ticket.version, "queue": "Queue A2"}
    )
    assert response.status_code == TICKET_QUEUE_MOVE[assignee][role], response.data
    ticket.refresh_from_db()
    assert (ticket.queue_id == target.pk) is (response.status_code == 200)


@pytest.mark.parametrize(
    ("role", "queue", "expected"),
    [
        ("supervisor", "Queue A", 200),
        ("supervisor", "Queue B", 400),
        ("manager", "Queue B", 200),
        ("admin", "Queue B", 200),
        ("agent", "Queue A", 403),
    ],
)
def test_the_staffing_forecast_is_scoped_like_the_kpis(org, api_client_for, role, queue, expected):
    response = api_client_for(users(org)[role]).get(f"{API}staffing/forecast/", {"queue": queue, "date": "2026-03-09"})
    assert response.status_code == expected, getattr(response, "data", None)
    if expected == 400:
        assert "queue" in response.data
