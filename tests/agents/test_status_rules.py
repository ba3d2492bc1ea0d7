"""Who may set whose status (SPEC §9) is one rule in the service
(:func:`contactcenter.agents.services.agent_status_check`, applied by ``agent_set_status(by=…)``),
and every door asks it: ``PUT agents/me/status/``, ``PATCH agents/{username}/``, the socket's
``set_status``, the desktop's switch and the admin's "Set offline" action."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from contactcenter.agents import states
from contactcenter.agents.models import AgentProfile, Status
from contactcenter.agents.services import agent_set_status
from contactcenter.live.consumers import _set_own_status
from tests.agents.factories import AgentProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _available_since_yesterday(org):
    AgentProfile.objects.update(status=Status.AVAILABLE, status_since=timezone.now() - timedelta(days=1))


def profile_of(user) -> AgentProfile:
    return AgentProfile.objects.get(user=user)


# --- The rule ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "reason"), [(Status.AVAILABLE, ""), (Status.BREAK, "lunch"), (Status.OFFLINE, "")])
def test_an_agent_chooses_available_break_or_offline_for_themselves(org, status, reason):
    profile = agent_set_status(profile=profile_of(org.agent_a), status=status, reason=reason, by=org.agent_a)
    assert (profile.status, profile.status_reason) == (status, reason)


@pytest.mark.parametrize(
    ("status", "reason", "field"),
    [(Status.BUSY, "", "status"), (Status.WRAP_UP, "", "status"), (Status.BREAK, "", "reason")],
)
def test_busy_and_wrap_up_follow_the_calls_and_a_break_needs_a_reason(org, status, reason, field):
    with pytest.raises(ValidationError) as caught:
        agent_set_status(profile=profile_of(org.agent_a), status=status, reason=reason, by=org.agent_a)
    assert field in caught.value.message_dict
    assert profile_of(org.agent_a).status == Status.AVAILABLE


def test_a_supervisor_sets_their_teams_agents_offline_or_on_a_break_and_nothing_else(org):
    profile = agent_set_status(
        profile=profile_of(org.agent_a), status=Status.BREAK, reason="coaching", by=org.supervisor_a
    )
    assert (profile.status, profile.status_reason) == (Status.BREAK, "coaching")
    assert agent_set_status(profile=profile, status=Status.OFFLINE, by=org.supervisor_a).status == Status.OFFLINE

    with pytest.raises(ValidationError) as caught:
        agent_set_status(profile=profile, status=Status.AVAILABLE, by=org.supervisor_a)
    assert "status" in caught.value.message_dict


def test_a_supervisor_may_not_touch_another_teams_agent_nor_may_a_supervisor_without_a_team(org):
    with pytest.raises(PermissionDenied):
        agent_set_status(profile=profile_of(org.agent_b), status=Status.OFFLINE, by=org.supervisor_a)
    loner = AgentProfileFactory(role="supervisor", team=None).user
    with pytest.raises(PermissionDenied):
        agent_set_status(profile=profile_of(org.agent_b), status=Status.OFFLINE, by=loner)
    assert profile_of(org.agent_b).status == Status.AVAILABLE


def test_an_agent_sets_no_one_elses_status(org):
    with pytest.raises(PermissionDenied):
        agent_set_status(profile=profile_of(org.agent_b), status=Status.OFFLINE, by=org.agent_a)
    assert profile_of(org.agent_b).status == Status.AVAILABLE


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_managers_and_admins_set_anyone_offline(org, who):
    profile = agent_set_status(profile=profile_of(org.agent_b), status=Status.OFFLINE, by=getattr(org, who))
    assert profile.status == Status.OFFLINE


def test_the_system_sets_any_status(org):
    assert agent_set_status(profile=profile_of(org.agent_a), status=Status.BUSY).status == Status.BUSY


# --- Every door asks the same rule ---------------------------------------------------------------------


@pytest.fixture
def asked(monkeypatch) -> list[tuple[str, str, str, str]]:
    """``(agent, status, reason, asked by)`` for each change checked by the rule."""
    calls: list[tuple[str, str, str, str]] = []
    rule = states.agent_status_check

    def spy(*, profile, status, reason, by):
        calls.append((profile.user.username, status, reason, by.username))
        rule(profile=profile, status=status, reason=reason, by=by)

    monkeypatch.setattr(states, "agent_status_check", spy)
    return calls


def test_the_api_asks_the_rule_for_my_status_and_for_an_agents(org, api_client_for, asked):
    mine = api_client_for(org.agent_a).put("/api/v1/agents/me/status/", {"status": "break"}, format="json")
    assert mine.status_code == 400 and "reason" in mine.json()  # the service's answer

    theirs = api_client_for(org.supervisor_a).patch("/api/v1/agents/agent_a/", {"status": "offline"}, format="json")
    assert theirs.status_code == 200

    assert asked == [("agent_a", "break", "", "agent_a"), ("agent_a", "offline", "", "supervisor_a")]


def test_the_socket_asks_the_rule(org, asked):
    errors = _set_own_status(user_id=org.agent_a.pk, data={"status": "break"}, language="fr")
    assert errors == {"reason": ["Une pause nécessite un motif."]}
    assert _set_own_status(user_id=org.agent_a.pk, data={"status": "offline"}, language="en") is None
    assert asked == [("agent_a", "break", "", "agent_a"), ("agent_a", "offline", "", "agent_a")]


def test_the_desktop_asks_the_rule(org, client, asked):
    client.force_login(org.agent_a)
    refused = client.post(reverse("desk:status"), {"status": "break"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 400 and "A break needs a reason." in refused.content.decode()
    assert asked == [("agent_a", "break", "", "agent_a")]


def test_the_admin_action_asks_the_rule(org, client, asked):
    client.force_login(org.supervisor_a)
    response = client.post(
        reverse("admin:agents_agentprofile_changelist"),
        {"action": "set_offline", "_selected_action": [profile_of(org.agent_a).pk]},
    )
    assert response.status_code == 302
    assert profile_of(org.agent_a).status == Status.OFFLINE
    assert asked == [("agent_a", "offline", "", "supervisor_a")]
