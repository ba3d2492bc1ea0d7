"""The dispatcher reads only the agents who may take some work now, chosen by the database: the
same agents as the rules would keep from all of them."""

from __future__ import annotations

import pytest

from contactcenter.agents.models import AgentProfile
from contactcenter.distribution.selection import may_take_work
from contactcenter.distribution.selectors import routing_candidates
from tests.agents.factories import AgentProfileFactory
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


def test_nobody_ready_costs_two_queries(agents, django_assert_num_queries):
    AgentProfile.objects.filter(status="available").update(status="break")
    with django_assert_num_queries(2):
        assert routing_candidates(queue_ids=[agents.pk], ready_only=True) == []


def test_one_agent_by_id(agents):
    user_id = AgentProfile.objects.get(user__username="agent5").user_id
    (only,) = routing_candidates(queue_ids=[agents.pk], user_id=user_id)
    assert (only.username, only.status) == ("agent5", "break")
