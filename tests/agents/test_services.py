"""Agents: provisioning with role groups, roles, and the presence log that occupancy reads."""

from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import timezone

from contactcenter.agents.models import PresenceInterval, Queue, Role
from contactcenter.agents.services import agent_provision, agent_set_role, agent_set_status, queue_create
from contactcenter.core.roles import role_of
from tests.agents.factories import AgentProfileFactory, QueueFactory, TeamFactory

pytestmark = pytest.mark.django_db
# Later than any profile's creation, so that every change moves forward in time.
T0 = timezone.now().replace(microsecond=0) + timedelta(hours=1)


def test_an_agent_is_provisioned_with_role_group_team_and_queues():
    team, queue = TeamFactory(name="Front"), QueueFactory(name="Support")
    profile = agent_provision(username="alice", password="Tr0ub4dor&3-long", role="agent", team=team, queues=[queue])
    assert authenticate(username="alice", password="Tr0ub4dor&3-long") == profile.user
    assert list(profile.user.groups.values_list("name", flat=True)) == ["agent"]
    assert not profile.user.is_staff
    assert list(profile.queues.all()) == [queue]
    assert role_of(profile.user) == Role.AGENT


def test_a_weak_password_and_an_unknown_role_are_refused_and_nothing_is_stored():
    with pytest.raises(ValidationError) as excinfo:
        agent_provision(username="bob", password="123", role="boss")
    assert {"password", "role"} <= set(excinfo.value.message_dict)
    assert not Group.objects.get(name="agent").user_set.exists()


def test_changing_role_moves_the_group_and_the_back_office_access():
    profile = AgentProfileFactory()
    agent_set_role(profile=profile, role="supervisor")
    assert list(profile.user.groups.values_list("name", flat=True)) == ["supervisor"]
    assert profile.user.is_staff
    agent_set_role(profile=profile, role="agent")
    assert not profile.user.is_staff


def test_a_superuser_has_the_admin_role(django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x")
    assert role_of(root) == Role.ADMIN


def test_role_groups_carry_their_permissions():
    agent, manager, admin = (Group.objects.get(name=n) for n in ("agent", "manager", "admin"))
    agent_perms = set(agent.permissions.values_list("codename", flat=True))
    assert {"view_customer", "add_interaction", "change_ticket", "add_surveyresponse"} <= agent_perms
    assert "change_script" not in agent_perms and "delete_customer" not in agent_perms
    assert "change_script" in set(manager.permissions.values_list("codename", flat=True))
    assert admin.permissions.filter(codename="delete_customer").exists()


def test_status_changes_write_the_presence_log():
    profile = AgentProfileFactory()
    agent_set_status(profile=profile, status="available", at=T0)
    agent_set_status(profile=profile, status="busy", at=T0 + timedelta(minutes=10))
    agent_set_status(profile=profile, status="break", reason="lunch", at=T0 + timedelta(minutes=15))
    agent_set_status(profile=profile, status="offline", at=T0 + timedelta(minutes=75))
    log = list(
        PresenceInterval.objects.filter(agent=profile.user)
        .order_by("started_at")
        .values_list("status", "reason", "started_at", "ended_at")
    )
    assert log == [
        ("available", "", T0, T0 + timedelta(minutes=10)),
        ("busy", "", T0 + timedelta(minutes=10), T0 + timedelta(minutes=15)),
        ("break", "lunch", T0 + timedelta(minutes=15), T0 + timedelta(minutes=75)),
    ]
    profile.refresh_from_db()
    assert (profile.status, profile.status_since) == ("offline", T0 + timedelta(minutes=75))


def test_the_same_status_again_changes_nothing():
    profile = AgentProfileFactory()
    agent_set_status(profile=profile, status="available", at=T0)
    agent_set_status(profile=profile, status="available", at=T0 + timedelta(minutes=5))
    assert PresenceInterval.objects.filter(agent=profile.user).count() == 1


def test_only_a_break_carries_a_reason_and_bad_statuses_are_refused():
    profile = AgentProfileFactory()
    profile = agent_set_status(profile=profile, status="available", reason="lunch", at=T0)
    assert profile.status_reason == ""
    with pytest.raises(ValidationError):
        agent_set_status(profile=profile, status="sleeping")
    with pytest.raises(ValidationError):
        agent_set_status(profile=profile, status="busy", at=T0 - timedelta(hours=1))


def test_a_queue_has_the_spec_defaults_and_refuses_an_impossible_goal():
    queue = queue_create(name="Support")
    assert (queue.service_level_seconds, queue.service_level_target) == (20, 0.8)
    with pytest.raises(ValidationError) as excinfo:
        queue_create(name="Bad", service_level_target=1.5)
    assert "goal must be above 0 and at most 1" in str(excinfo.value)
    assert not Queue.objects.filter(name="Bad").exists()
