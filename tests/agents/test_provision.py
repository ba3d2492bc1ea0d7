"""Provisioning an agent is one service (:func:`contactcenter.agents.services.agent_provision`),
one transaction: the API's ``POST agents/`` and the admin's "add user" with an agent profile both
use it, and a failure at any step leaves nothing half-written."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse

from contactcenter.agents.models import AgentProfile, Role, Skill
from contactcenter.agents.services import agent_provision
from tests.agents.factories import QueueFactory, SkillFactory, TeamFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
STURDY = "Sturdy-pass-2026"


def nothing_written(username: str, *skill_names: str) -> bool:
    return (
        not User.objects.filter(username=username).exists()
        and not AgentProfile.objects.filter(user__username=username).exists()
        and not Skill.objects.filter(name__in=skill_names).exists()
    )


def test_queues_and_skills_come_as_objects_or_by_name_and_new_skills_are_created():
    team, support, billing = TeamFactory(name="Front"), QueueFactory(name="Support"), QueueFactory(name="Billing")
    french = SkillFactory(name="french")

    profile = agent_provision(
        username="alice",
        password=STURDY,
        role=Role.SUPERVISOR,
        team=team,
        queues=[support, "Billing", "Support"],
        skills=[french, " german ", "french", ""],
        first_name="Alice",
        email="alice@example.test",
    )

    assert authenticate(username="alice", password=STURDY) == profile.user
    assert (profile.role, profile.team, profile.user.first_name, profile.user.is_staff) == (
        Role.SUPERVISOR,
        team,
        "Alice",
        True,
    )
    assert set(profile.queues.all()) == {support, billing}
    assert sorted(profile.skills.values_list("name", flat=True)) == ["french", "german"]
    assert list(profile.user.groups.values_list("name", flat=True)) == [Role.SUPERVISOR]


def test_every_bad_field_is_named_at_once_and_nothing_is_written():
    with pytest.raises(ValidationError) as caught:
        agent_provision(username="bob", password="123", role="boss", queues=["No such queue"], skills=["brand-new"])

    assert {"password", "role", "queues"} <= set(caught.value.message_dict)
    assert "No such queue" in " ".join(caught.value.message_dict["queues"])
    assert nothing_written("bob", "brand-new")


def test_a_failure_after_the_user_row_undoes_everything(monkeypatch):
    """The role's group is looked up last, after the user, the profile and the new skills were
    written: without it, none of them stays."""
    QueueFactory(name="Support")
    Group.objects.filter(name=Role.AGENT).delete()

    with pytest.raises(Group.DoesNotExist):
        agent_provision(username="carol", password=STURDY, queues=["Support"], skills=["brand-new"])

    assert nothing_written("carol", "brand-new")


def test_no_password_gives_an_unusable_one():
    profile = agent_provision(username="sso", password=None)
    assert not profile.user.has_usable_password()


# --- The API ------------------------------------------------------------------------------------------


def test_a_refused_provisioning_through_the_api_creates_no_skill(org, api_client_for):
    client = api_client_for(org.admin)

    weak = client.post(
        "/api/v1/agents/", {"username": "newbie", "password": "123", "skills": ["brand-new"]}, format="json"
    )

    assert weak.status_code == 400 and "password" in weak.json()
    assert nothing_written("newbie", "brand-new")


# --- The admin ----------------------------------------------------------------------------------------


def management_form(prefix: str, total: int, initial: int = 0) -> dict[str, int]:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1,
    }


def add_user_form(username: str, **profile: object) -> dict[str, object]:
    return {
        "username": username,
        "usable_password": "true",
        "password1": STURDY,
        "password2": STURDY,
        **management_form("agent_profile", 1 if profile else 0),
        **{f"agent_profile-0-{name}": value for name, value in profile.items()},
    }


def test_the_admin_adds_a_user_with_an_agent_profile_through_the_same_service(admin_client):
    team, queue, skill = TeamFactory(name="Front"), QueueFactory(name="Support"), SkillFactory(name="french")

    response = admin_client.post(
        reverse("admin:auth_user_add"),
        add_user_form("dave", role=Role.AGENT, team=team.pk, queues=[queue.pk], skills=[skill.pk]),
    )

    assert response.status_code == 302, response.context["errors"] if response.context else response
    user = User.objects.get(username="dave")
    assert response["Location"] == reverse("admin:auth_user_change", args=[user.pk])
    profile = user.agent_profile
    assert (profile.role, profile.team, list(profile.queues.all()), list(profile.skills.all())) == (
        Role.AGENT,
        team,
        [queue],
        [skill],
    )
    assert list(user.groups.values_list("name", flat=True)) == [Role.AGENT]
    assert authenticate(username="dave", password=STURDY) == user


def test_the_admin_still_adds_a_user_with_no_role(admin_client):
    response = admin_client.post(reverse("admin:auth_user_add"), add_user_form("backoffice"))

    assert response.status_code == 302, response.context["errors"] if response.context else response
    user = User.objects.get(username="backoffice")
    assert not AgentProfile.objects.filter(user=user).exists()
    assert authenticate(username="backoffice", password=STURDY) == user
