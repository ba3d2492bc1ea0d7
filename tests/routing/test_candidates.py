"""The dispatcher reads only the agents who may take some work now, chosen by the database: the
same agents as the rules would keep from all of them."""

from __future__ import annotations

import pytest

from contactcenter.agents.models import AgentProfile
from contactcenter.distribution.models import AgentRouting, AgentSkillLevel, WorkItem
from contactcenter.distribution.selection import may_take_work
from contactcenter.distribution.selectors import routing_candidates
from tests.agents.factories import AgentProfileFactory, SkillFactory
from tests.routing.factories import chat_queue

pytestmark = pytest.mark.django_db

STATES = [
    ("available", "", False),
    ("busy", "break", False),  # on a call, a break asked for (pending)
    ("available", "", True),  # already offered work
    ("busy", "", False),
    ("wrap_up", "", False),
    ("break", "", False),
    ("offline", "", False),
    ("ringing", "", False),
]


@pytest.fixture
def agents():
    queue = chat_queue()
    for n, (status, pending, offered) in enumerate(STATES):
        profile = AgentProfileFactory(user__username=f"agent{n}", queues=[queue])
        AgentProfile.objects.filter(pk=profile.pk).update(status=status, pending_status=pending, work_offered=offered)
    return queue


@pytest.mark.parametrize("blending", [False, True])
def test_ready_agents_are_those_the_rules_keep(agents, blending):
    everyone = routing_candidates(queue_ids=[agents.pk])
    ready = routing_candidates(queue_ids=[agents.pk], ready_only=True, blending=blending)
    assert len(everyone) == len(STATES)
    assert [c.username for c in ready] == [c.username for c in everyone if may_take_work(c, blending=blending)]
    assert {c.username for c in ready} == ({"agent0", "agent3", "agent4"} if blending else {"agent0"})


def test_nobody_ready_costs_one_query(agents, django_assert_num_queries):
    AgentProfile.objects.filter(status="available").update(status="break")
    with django_assert_num_queries(1):
        assert routing_candidates(queue_ids=[agents.pk], ready_only=True) == []


def test_one_agent_by_id(agents):
    user_id = AgentProfile.objects.get(user__username="agent5").user_id
    (only,) = routing_candidates(queue_ids=[agents.pk], user_id=user_id)
    assert (only.username, only.status) == ("agent5", "break")


def test_candidates_carry_capacities_levels_and_load(agents, django_assert_num_queries):
    profile = AgentProfile.objects.get(user__username="agent0")
    AgentRouting.objects.create(profile=profile, chat_capacity=7, email_capacity=2, voice_capacity=1)
    french, billing = SkillFactory(name="French"), SkillFactory(name="Billing")
    profile.skills.add(french, billing)
    AgentSkillLevel.objects.create(profile=profile, skill=french, level=4)
    for kind in ("chat", "chat", "ticket", "email", "callback"):
        WorkItem.objects.create(
            kind=kind, queue=agents, arrived_at=profile.status_since, state="assigned", assigned_to=profile.user
        )
    with django_assert_num_queries(3):
        (found,) = routing_candidates(queue_ids=[agents.pk], user_id=profile.user_id)
    assert found.capacity == {"voice": 1, "chat": 7, "email": 2}
    assert found.levels == {french.pk: 4, billing.pk: 1}
    assert found.load == {"chat": 2, "email": 2, "voice": 1}
    other = routing_candidates(queue_ids=[agents.pk], user_id=AgentProfile.objects.get(user__username="agent1").user_id)
    assert (other[0].capacity, other[0].levels, other[0].load) == ({"voice": 1, "chat": 3, "email": 5}, {}, {})
