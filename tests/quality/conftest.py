from __future__ import annotations

from types import SimpleNamespace

import pytest

from contactcenter.core.roles import Role
from contactcenter.quality.models import EvaluatorTeam
from tests.agents.factories import AgentProfileFactory
from tests.interactions.factories import InteractionFactory
from tests.quality.factories import published_scorecard


@pytest.fixture
def qm(org):
    """``org`` plus two QA evaluators (``qa`` covers team A, ``qa2`` teams A and B), a published
    scorecard and one interaction of agent A's."""
    qa = AgentProfileFactory(user__username="qa", role=Role.QUALITY, team=None).user
    qa2 = AgentProfileFactory(user__username="qa2", role=Role.QUALITY, team=None).user
    EvaluatorTeam.objects.create(user=qa, team=org.team_a)
    EvaluatorTeam.objects.create(user=qa2, team=org.team_a)
    EvaluatorTeam.objects.create(user=qa2, team=org.team_b)
    version = published_scorecard(by=org.manager)
    interaction = InteractionFactory(agent=org.agent_a, queue=org.queue_a)
    return SimpleNamespace(**vars(org), qa=qa, qa2=qa2, version=version, interaction=interaction)
