"""Live events leave after commit, through one module, to server-built groups."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from contactcenter.agents.services import agent_set_status
from contactcenter.live.events import WALLBOARD_GROUP, agent_group
from tests.agents.factories import AgentProfileFactory

pytestmark = pytest.mark.django_db(transaction=True)


def listen(group: str) -> str:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return channel


def receive(channel: str) -> dict:
    return async_to_sync(get_channel_layer().receive)(channel)


def test_a_status_change_is_announced_to_the_agent_and_the_wallboard_after_commit():
    profile = AgentProfileFactory()
    mine, wallboard = listen(agent_group(profile.user_id)), listen(WALLBOARD_GROUP)
    agent_set_status(profile=profile, status="available")
    event = receive(mine)
    assert (event["event"], event["payload"]["status"]) == ("status_changed", "available")
    assert receive(wallboard)["event"] == "agent_status"


def test_nothing_is_announced_for_a_rolled_back_change():
    profile = AgentProfileFactory()
    mine = listen(agent_group(profile.user_id))
    with pytest.raises(RuntimeError), transaction.atomic():
        agent_set_status(profile=profile, status="available")
        raise RuntimeError("rolled back")
    agent_set_status(profile=profile, status="break", reason="lunch")
    # The first message the agent gets is the committed break, not the rolled-back "available".
    assert receive(mine)["payload"]["status"] == "break"


def test_group_names_are_built_from_ids_only():
    assert agent_group(42) == "agent.42"
    with pytest.raises(ValueError):
        agent_group("1; drop")
