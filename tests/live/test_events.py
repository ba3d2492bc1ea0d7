"""Live events leave after commit, through one module, to server-built groups.

Each scenario runs in one event loop, as a consumer does: the Redis pub/sub layer (CI) keeps its
subscriptions per loop. The service runs in a worker thread through database_sync_to_async.
"""

import asyncio
import threading

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connections, transaction

from contactcenter.agents.services import agent_set_status
from contactcenter.core.events import WALLBOARD_GROUP, agent_group, publishing_together
from tests.agents.factories import AgentProfileFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def listen(group: str) -> str:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    return channel


async def receive(channel: str) -> dict:
    return await asyncio.wait_for(get_channel_layer().receive(channel), timeout=5)


async def run_service(function, *args, **kwargs):
    """Run a service in the ORM's worker thread, then close that thread's connection (persistent
    connections would otherwise keep the test database busy at teardown)."""
    try:
        return await database_sync_to_async(function)(*args, **kwargs)
    finally:
        await database_sync_to_async(connections.close_all)()


def test_a_status_change_is_announced_to_the_agent_and_the_wallboard_after_commit():
    profile = AgentProfileFactory()

    async def scenario():
        mine, wallboard = await listen(agent_group(profile.user_id)), await listen(WALLBOARD_GROUP)
        await run_service(agent_set_status, profile=profile, status="available")
        return await receive(mine), await receive(wallboard)

    event, board = asyncio.run(scenario())
    assert (event["event"], event["payload"]["status"]) == ("status_changed", "available")
    assert board["event"] == "agent_status"


def test_nothing_is_announced_for_a_rolled_back_change():
    profile = AgentProfileFactory()

    def change_then_roll_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            agent_set_status(profile=profile, status="available")
            raise RuntimeError("rolled back")
        agent_set_status(profile=profile, status="break", reason="lunch")

    async def scenario():
        mine = await listen(agent_group(profile.user_id))
        await run_service(change_then_roll_back)
        return await receive(mine)

    # The first message the agent gets is the committed break, not the rolled-back "available".
    assert asyncio.run(scenario())["payload"]["status"] == "break"


def test_group_names_are_built_from_ids_only():
    assert agent_group(42) == "agent.42"
    with pytest.raises(ValueError):
        agent_group("1; drop")


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, list[str], dict]]:
    """What leaves after commit: (event, groups, payload)."""
    messages: list[tuple[str, list[str], dict]] = []
    monkeypatch.setattr(
        "contactcenter.core.events._send", lambda groups, event, payload: messages.append((event, groups, payload))
    )
    return messages


@pytest.mark.django_db(transaction=False)
def test_a_status_change_is_not_a_change_of_scope_but_a_new_team_is(org, sent, django_capture_on_commit_callbacks):
    from contactcenter.agents.services import agent_update

    profile = org.agent_a.agent_profile
    with django_capture_on_commit_callbacks(execute=True):
        agent_set_status(profile=profile, status="available")
    assert [event for event, _groups, _payload in sent] == ["status_changed", "agent_status"]
    board = sent[1][2]
    assert (board["team"], board["queues"], board["_route"]) == (
        "Team A",
        ["Queue A"],
        {"agent": org.agent_a.pk, "queues": [org.queue_a.pk]},
    )

    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        agent_update(profile=profile, team=org.team_b)
    assert [(event, groups) for event, groups, _payload in sent] == [
        ("scope_changed", [WALLBOARD_GROUP, agent_group(org.agent_a.pk)])
    ]


@pytest.mark.django_db(transaction=False)
def test_payloads_carry_the_change_and_what_was_committed(org, sent, django_capture_on_commit_callbacks):
    from interactions.services import ticket_create

    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(subject="Refund", queue=org.queue_a, assignee=org.agent_a)
    [(event, groups, payload)] = sent
    assert (event, groups) == ("ticket_assigned", [agent_group(org.agent_a.pk)])
    assert (payload["ticket"], payload["version"]) == (ticket.pk, 1)
    assert payload["_ticket"]["reference"] == ticket.reference and payload["_ticket"]["assignee"] == "agent_a"


@pytest.mark.django_db(transaction=False)
def test_the_events_of_one_commit_about_an_interaction_read_it_once(
    org, sent, django_capture_on_commit_callbacks, django_assert_num_queries
):
    from interactions.events import interaction_logged_on_commit
    from interactions.models import Interaction
    from tests.interactions.factories import InteractionFactory

    interaction = InteractionFactory(queue=org.queue_a, agent=org.agent_a, notes="first")
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        interaction_logged_on_commit(interaction)
        Interaction.objects.filter(pk=interaction.pk).update(notes="second")
        interaction_logged_on_commit(interaction)
    with django_assert_num_queries(1):  # both payloads, one read after the commit
        for callback in callbacks:
            callback()
    assert [payload["_interaction"]["id"] for _event, _groups, payload in sent] == [interaction.pk] * 2
    assert sent[0][2] == sent[1][2]

    # A transaction rolled back leaves its reader unused: a later commit's event reads what it committed.
    sent.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        interaction_logged_on_commit(interaction)
        raise RuntimeError("rolled back")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        Interaction.objects.filter(pk=interaction.pk).update(agent=org.agent_b)
        interaction_logged_on_commit(Interaction.objects.get(pk=interaction.pk))
    # And the next commit reads again.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        Interaction.objects.filter(pk=interaction.pk).update(agent=org.agent_a)
        interaction_logged_on_commit(interaction)
    assert [payload["_interaction"]["agent"] for _event, _groups, payload in sent] == ["agent_b", "agent_a"]


def test_the_events_of_a_request_leave_together_at_its_end_in_order():
    """Inside ``publishing_together`` (every request: LiveEventsMiddleware), committed events wait
    for the block's end, then leave in the order they were announced."""
    profile = AgentProfileFactory()
    committed, checked = threading.Event(), threading.Event()

    def two_changes_in_one_request():
        with publishing_together():
            agent_set_status(profile=profile, status="available")
            agent_set_status(profile=profile, status="break", reason="lunch")
            committed.set()
            assert checked.wait(timeout=10)

    async def scenario():
        mine = await listen(agent_group(profile.user_id))
        service = asyncio.ensure_future(run_service(two_changes_in_one_request))
        assert await asyncio.to_thread(committed.wait, 10)
        first = asyncio.ensure_future(get_channel_layer().receive(mine))
        await asyncio.sleep(0.5)
        assert not first.done()  # both committed, neither sent yet
        checked.set()
        await service
        return [await asyncio.wait_for(first, timeout=5), await receive(mine)]

    first, second = asyncio.run(scenario())
    assert [first["payload"]["status"], second["payload"]["status"]] == ["available", "break"]
