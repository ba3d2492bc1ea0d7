"""The ``quality`` role (QA evaluators): provisioned like any role, sees the interactions of the
teams assigned to it, changes no customer, ticket or interaction."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from contactcenter.agents.models import AgentProfile
from contactcenter.core import access
from contactcenter.core.roles import Role, role_of
from contactcenter.quality.models import EvaluatorTeam
from interactions.models import Interaction, Ticket
from tests.agents.factories import AgentProfileFactory
from tests.interactions.factories import InteractionFactory, TicketFactory

pytestmark = pytest.mark.django_db


def test_admin_provisions_a_quality_user_through_the_api(org, api_client_for):
    response = api_client_for(org.admin).post(
        "/api/v1/agents/",
        {"username": "qa1", "password": "Sturdy-pass-2026", "role": "quality"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["role"] == "quality"
    profile = AgentProfile.objects.select_related("user").get(user__username="qa1")
    assert role_of(profile.user) == Role.QUALITY
    assert profile.user.groups.filter(name="quality").exists()
    assert Group.objects.get(name="quality").permissions.filter(codename="add_evaluation").exists()


def test_quality_reads_but_never_writes_contacts():
    for action in ("customer.read", "ticket.read", "interaction.read", "quality.evaluate", "recording.read"):
        assert Role.QUALITY in access.ACTIONS[action], action
    for action in ("customer.write", "ticket.write", "interaction.write", "callback.write", "call.dial"):
        assert Role.QUALITY not in access.ACTIONS[action], action


def test_quality_sees_the_interactions_and_tickets_of_its_assigned_teams_only(org):
    qa = AgentProfileFactory(user__username="qa", role=Role.QUALITY, team=None).user
    mine = InteractionFactory(agent=org.agent_a, queue=org.queue_a)
    other = InteractionFactory(agent=org.agent_b, queue=org.queue_b)
    ticket_a = TicketFactory(assignee=org.agent_a, queue=org.queue_a)
    TicketFactory(assignee=org.agent_b, queue=org.queue_b)

    assert not Interaction.objects.visible_to(qa).exists()

    EvaluatorTeam.objects.create(user=qa, team=org.team_a)

    assert set(Interaction.objects.visible_to(qa)) == {mine}
    assert other not in Interaction.objects.visible_to(qa)
    assert list(Ticket.objects.visible_to(qa)) == [ticket_a]
    assert set(AgentProfile.objects.visible_to(qa).values_list("user__username", flat=True)) == {
        "agent_a",
        "supervisor_a",
        "qa",
    }
