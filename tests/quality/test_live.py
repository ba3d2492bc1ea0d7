"""The agent's socket hears ``quality.evaluation`` when an evaluation of theirs is published, after
commit, through the real channel layer."""

from __future__ import annotations

import asyncio

import pytest

from contactcenter.quality import services
from tests.live.sockets import in_worker, open_socket, receive_type
from tests.quality.factories import WORKED_EXAMPLE, answers

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_agent_hears_the_published_evaluation(qm):
    evaluation = services.evaluation_start(interaction=qm.interaction, by=qm.qa)
    services.evaluation_save(evaluation=evaluation, by=qm.qa, answers=answers(qm.version, **WORKED_EXAMPLE))

    async def scenario():
        communicator = await open_socket("/ws/agent/", qm.agent_a)
        try:
            await in_worker(services.evaluation_publish, evaluation=evaluation, by=qm.qa)
            return await receive_type(communicator, "quality.evaluation")
        finally:
            await communicator.disconnect()

    heard = asyncio.run(scenario())
    assert heard["evaluation"] == evaluation.pk
    assert (heard["state"], heard["score"], heard["critical_failed"]) == ("published", "88.89", False)
    assert isinstance(heard["seq"], int) and "at" in heard
