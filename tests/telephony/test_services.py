"""The telephony foundation: which bridges are online, commands taken once, click-to-dial's checks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from contactcenter.agents.models import AgentProfile
from contactcenter.telephony import services
from contactcenter.telephony.models import Bridge, Command, CommandAction, CommandState
from tests.concurrency import race, role_groups, run_concurrently  # noqa: F401  (role_groups: a fixture)

pytestmark = pytest.mark.django_db


def connect(kind: str, capabilities: list[str], *, seen_ago: float = 0) -> None:
    now = timezone.now()
    services.bridge_connected(kind=kind, capabilities=capabilities, peer=f"{kind} test", now=now)
    Bridge.objects.filter(kind=kind).update(seen_at=now - timedelta(seconds=seen_ago))


def test_only_a_connected_bridge_seen_lately_is_online():
    connect("asterisk", ["dial", "transfer"])
    connect("freeswitch", ["dial", "hold"], seen_ago=services.STALE_SECONDS + 1)
    assert [bridge.kind for bridge in services.bridges_online()] == ["asterisk"]
    services.bridge_disconnected(kind="asterisk", error="link lost")
    assert services.bridges_online() == []
    assert Bridge.objects.get(kind="asterisk").last_error == "link lost"


def test_a_heartbeat_keeps_a_bridge_online_and_counts_its_events():
    connect("freeswitch", ["hold"], seen_ago=services.STALE_SECONDS + 1)
    services.bridge_alive(kind="freeswitch", events_applied=3)
    services.bridge_alive(kind="freeswitch", events_applied=2)
    assert services.capabilities_online() == {"hold"}
    assert Bridge.objects.get(kind="freeswitch").events_applied == 5


def test_a_command_goes_to_the_preferred_bridge_that_can_do_it_or_nowhere():
    connect("freeswitch", ["dial", "hold"])
    connect("asterisk", ["dial"])
    assert services.command_request(action=CommandAction.DIAL, by=None).bridge == "asterisk"
    assert services.command_request(action=CommandAction.HOLD, by=None).bridge == "freeswitch"
    with pytest.raises(services.NoBridge):
        services.command_request(action=CommandAction.TRANSFER, by=None)
    assert Command.objects.count() == 2  # nothing stored for the refused one


def test_commands_are_taken_once_in_order_and_old_ones_expire():
    connect("asterisk", ["dial", "transfer"])
    old = services.command_request(action=CommandAction.DIAL, by=None)
    Command.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(seconds=services.COMMAND_EXPIRY_SECONDS + 1)
    )
    first = services.command_request(action=CommandAction.DIAL, by=None)
    second = services.command_request(action=CommandAction.TRANSFER, by=None)
    assert [command.pk for command in services.commands_take(kind="asterisk")] == [first.pk, second.pk]
    assert services.commands_take(kind="asterisk") == []
    assert Command.objects.get(pk=old.pk).state == CommandState.EXPIRED
    services.command_finish(command_id=first.pk, ok=True, result={"call_id": "17.1"}, call_id="17.1")
    services.command_finish(command_id=second.pk, ok=False, error="No such channel")
    services.command_finish(command_id=old.pk, ok=True)  # too late: an expired command stays expired
    states = dict(Command.objects.values_list("pk", "state"))
    assert states == {old.pk: "expired", first.pk: "done", second.pk: "failed"}
    assert Command.objects.get(pk=first.pk).call_id == "17.1"


@race
def test_two_bridge_processes_never_take_the_same_command():
    connect("asterisk", ["dial"])
    commands = {services.command_request(action=CommandAction.DIAL, by=None).pk for _ in range(30)}
    taken = run_concurrently(
        *[lambda: [command.pk for command in services.commands_take(kind="asterisk", limit=4)] for _ in range(4)]
    )
    while any(taken[-4:]):
        taken += run_concurrently(
            *[lambda: [command.pk for command in services.commands_take(kind="asterisk", limit=4)] for _ in range(4)]
        )
    every = [pk for batch in taken for pk in batch]
    assert sorted(every) == sorted(commands)  # each once, none lost


def test_click_to_dial_checks_the_number_the_extension_and_the_agent(org):
    profile = AgentProfile.objects.get(user=org.agent_a)
    connect("asterisk", ["dial"])
    with pytest.raises(ValidationError) as refused:
        services.call_dial(by=org.agent_a, to="not a number")
    assert "to" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.call_dial(by=org.agent_a, to="06 12 34 56 78")
    assert "extension" in refused.value.message_dict
    AgentProfile.objects.filter(pk=profile.pk).update(extension="1001", status="busy")
    agent = User.objects.select_related("agent_profile").get(pk=org.agent_a.pk)  # as a request reads them
    with pytest.raises(services.AgentOnContact):
        services.call_dial(by=agent, to="06 12 34 56 78")
    AgentProfile.objects.filter(pk=profile.pk).update(status="available")
    command = services.call_dial(by=agent, to="06 12 34 56 78", queue=org.queue_a)
    assert (command.bridge, command.action, command.agent_id) == ("asterisk", "dial", profile.pk)
    assert command.arguments == {"to": "+33612345678", "extension": "1001", "agent": "agent_a", "queue": "Queue A"}
    services.bridge_disconnected(kind="asterisk")
    with pytest.raises(services.NoBridge):
        services.call_dial(by=agent, to="06 12 34 56 78")
