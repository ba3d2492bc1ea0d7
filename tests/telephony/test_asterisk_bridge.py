"""``manage.py cti_bridge asterisk`` end to end: the real bridge runner and Asterisk adapter against
an AMI server on 127.0.0.1 (``tests/telephony/ami_server.py``) replaying transcripts, into the
real database through the CTI intake.

Each transcript's interaction must equal the one the same calls give when their call events
(``tests/telephony/asterisk_calls.py``) are posted to the intake directly. The runner applies
events from its own thread (``sync_to_async``): these tests commit for real (``transaction=True``).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from contactcenter.agents.models import AgentProfile, Queue
from contactcenter.telephony import services
from contactcenter.telephony.asterisk import AsteriskAdapter, asterisk_adapter
from contactcenter.telephony.models import Bridge, Capability, Command, CommandState
from contactcenter.telephony.runtime import BridgeRunner, CommandFailed
from customers.services import customer_create
from interactions.cti import cti_event_apply
from interactions.models import CtiCall, CtiEvent, Interaction
from tests.agents.factories import AgentProfileFactory, QueueFactory
from tests.telephony.ami_server import AmiServer, transcript
from tests.telephony.asterisk_calls import EXPECTED, EXTENSIONS, OUTCOMES, T0

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "s3cret"


@pytest.fixture(autouse=True)
def _close_worker_connections():
    """The runner reads and writes from ``sync_to_async``'s worker thread, whose connection would
    keep the test database busy after the test."""
    yield
    asyncio.run(sync_to_async(connections.close_all)())


@pytest.fixture
def center():
    """Queues named as Asterisk's (400, 401), agent_a on extension 1001 and agent_b on PJSIP/1002,
    and a customer calling from +33 1 23 45 67 89; the agents signed in the day before."""
    queues = {name: QueueFactory(name=name) for name in ("400", "401")}
    agents = {
        username: AgentProfileFactory(user__username=username, extension=extension, queues=list(queues.values())).user
        for username, extension in EXTENSIONS.items()
    }
    AgentProfile.objects.update(status_since=T0.replace(day=4))
    customer = customer_create(first_name="Ada", last_name="Caller", phones=["+33 1 23 45 67 89"])
    return {"queues": queues, "agents": agents, "customer": customer}


def adapter_for(server: AmiServer, *, secret: str = SECRET) -> AsteriskAdapter:
    return AsteriskAdapter(host="127.0.0.1", port=server.port, username="switchboard", secret=secret, timeout=2)


def runner_for(adapter: AsteriskAdapter) -> BridgeRunner:
    return BridgeRunner(
        adapter, backoff_initial=0.05, backoff_max=0.2, poll_seconds=0.05, heartbeat_seconds=0.2, command_timeout=3
    )


async def until(condition, *, timeout: float = 10.0) -> None:
    """Wait until ``condition()`` (sync, may read the database) holds; fails the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not await sync_to_async(condition, thread_sensitive=True)():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the bridge")
        await asyncio.sleep(0.05)


async def stopped(runner: BridgeRunner, task: asyncio.Task) -> None:
    runner.stop()
    await asyncio.wait_for(task, 15)


def picture(interaction: Interaction) -> dict:
    """What the call's events decide of an interaction."""
    return {
        "queue": interaction.queue.name if interaction.queue else None,
        "agent": interaction.agent.username if interaction.agent else None,
        "offered_at": interaction.offered_at,
        "answered_at": interaction.answered_at,
        "ended_at": interaction.ended_at,
        "hold_seconds": interaction.hold_seconds,
        "customer": interaction.customer_id,
        "channel": interaction.channel,
        "source": interaction.source,
    }


def posted(events: list[dict], *, prefix: str) -> dict[str, Interaction]:
    """The interactions that posting ``events`` to the intake (under call ids with ``prefix``) makes."""
    made = {}
    for item in events:
        agent = AgentProfile.objects.get(user__username=item["agent"]).user if item.get("agent") else None
        outcome = cti_event_apply(
            event=item["event"],
            call_id=prefix + item["call_id"],
            timestamp=datetime.fromisoformat(item["timestamp"]),
            caller=item["from"],
            queue=Queue.objects.get(name=item["queue"]) if item.get("queue") else None,
            agent=agent,
        )
        made[item["call_id"]] = outcome.interaction
    return {call_id: Interaction.objects.get(pk=interaction.pk) for call_id, interaction in made.items()}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_transcript_gives_the_interaction_its_call_events_give(center, name):
    server = AmiServer(events=transcript(name), secret=SECRET)
    expected = EXPECTED[name]

    async def scenario():
        await server.start()
        runner = runner_for(adapter_for(server))
        task = asyncio.create_task(runner.run())
        await until(lambda: runner.applied + runner.refused >= len(expected))
        await runner.idle()
        await stopped(runner, task)
        await server.stop()
        return runner

    runner = asyncio.run(scenario())
    assert (runner.applied, runner.refused) == (len(expected), 0)
    reference = posted(expected, prefix="posted-")
    for call_id, (hold, abandoned) in OUTCOMES[name].items():
        bridged = Interaction.objects.get(source="cti", external_id=call_id)
        assert picture(bridged) == picture(reference[call_id])
        assert bridged.hold_seconds == hold
        assert (bridged.answered_at is None) is abandoned
    assert CtiEvent.objects.filter(cti_call__call_id__in=list(OUTCOMES[name])).count() == len(expected)


def test_the_caller_is_the_customer_and_the_agent_is_found_by_extension(center):
    server = AmiServer(events=transcript("answered.ami"), secret=SECRET)

    async def scenario():
        await server.start()
        runner = runner_for(adapter_for(server))
        task = asyncio.create_task(runner.run())
        await until(lambda: runner.applied >= 3)
        await stopped(runner, task)
        await server.stop()

    asyncio.run(scenario())
    interaction = Interaction.objects.get(external_id="1767603600.42")
    assert interaction.customer == center["customer"]
    assert interaction.agent == center["agents"]["agent_a"]  # extension 1001, member Local/1001@from-queue/n
    offered = CtiEvent.objects.get(cti_call__call_id="1767603600.42", event="call.offered")
    assert offered.payload["to"] == "0170000000"  # the number dialled, from the call's first channel


def test_reconnects_with_backoff_and_duplicates_nothing(center):
    """The link drops after the answer; the AMI server comes back on the same port a moment later
    and sends the answer again (as a restarted feed might) before the end."""
    blocks = transcript("answered.ami")
    answer = next(index for index, block in enumerate(blocks) if block.startswith("Event: AgentConnect"))
    first = AmiServer(events=blocks[: answer + 1], secret=SECRET)
    second = AmiServer(events=blocks[answer:], secret=SECRET)

    async def scenario():
        port = await first.start()
        runner = runner_for(adapter_for(first))
        task = asyncio.create_task(runner.run())
        await until(lambda: runner.applied >= 2)
        await first.stop()
        await until(lambda: not Bridge.objects.get(kind="asterisk").connected)
        await asyncio.sleep(0.3)  # a few refused connections: the backoff at work
        await second.start(port)
        await until(lambda: runner.applied >= 3)
        await runner.idle()
        await stopped(runner, task)
        await second.stop()
        return runner

    runner = asyncio.run(scenario())
    assert runner.connections == 2
    assert (first.logins, second.logins) == (1, 1)
    assert Interaction.objects.filter(source="cti", external_id="1767603600.42").count() == 1
    events = CtiEvent.objects.filter(cti_call__call_id="1767603600.42")
    assert sorted(events.values_list("event", flat=True)) == ["call.answered", "call.ended", "call.offered"]
    interaction = Interaction.objects.get(external_id="1767603600.42")
    assert interaction.answered_at is not None and interaction.ended_at is not None


def test_a_wrong_secret_is_not_connected_and_the_bridge_row_says_why(center):
    server = AmiServer(events=transcript("answered.ami"), secret=SECRET)

    async def scenario():
        await server.start()
        runner = runner_for(adapter_for(server, secret="wrong"))
        task = asyncio.create_task(runner.run())
        await until(lambda: server.refused >= 2)  # refused, then tried again after the backoff
        await stopped(runner, task)
        await server.stop()
        return runner

    runner = asyncio.run(scenario())
    bridge = Bridge.objects.get(kind="asterisk")
    assert not bridge.connected
    assert "login refused: Authentication failed" in bridge.last_error
    assert runner.connections == 0 and server.logins == 0
    assert not Interaction.objects.exists()


def test_connected_bridge_shows_its_capabilities_and_dials_with_originate(center):
    server = AmiServer(secret=SECRET)
    agent = center["agents"]["agent_a"]

    async def scenario():
        await server.start()
        runner = runner_for(adapter_for(server))
        task = asyncio.create_task(runner.run())
        await until(lambda: Bridge.objects.filter(kind="asterisk", connected=True).exists())
        bridge = await sync_to_async(Bridge.objects.get, thread_sensitive=True)(kind="asterisk")
        command = await sync_to_async(services.call_dial, thread_sensitive=True)(by=agent, to="06 12 34 56 78")
        await until(lambda: Command.objects.get(pk=command.pk).state == CommandState.DONE)
        await until(lambda: runner.applied >= 3)  # the outbound call: offered, answered, ended
        await stopped(runner, task)
        await server.stop()
        return bridge, command

    bridge, command = asyncio.run(scenario())
    assert bridge.capabilities == ["dial", "recording_pause", "transfer"]
    assert bridge.peer == f"Asterisk Call Manager/9.0.0 at 127.0.0.1:{server.port} as switchboard"
    command.refresh_from_db()
    originate = next(action for action in server.actions if action["Action"] == "Originate")
    assert command.call_id == command.result["call_id"] == originate["ChannelId"]
    assert {key: originate[key] for key in ("Channel", "Context", "Exten", "Priority", "Async")} == {
        "Channel": "PJSIP/1001",
        "Context": "from-internal",
        "Exten": "+33612345678",
        "Priority": "1",
        "Async": "true",
    }
    interaction = Interaction.objects.get(source="cti", external_id=command.call_id)
    assert interaction.agent == agent
    assert interaction.answered_at is not None and interaction.ended_at is not None
    offered = CtiEvent.objects.get(cti_call__call_id=command.call_id, event="call.offered")
    assert (offered.payload["from"], offered.payload["to"]) == ("1001", "+33612345678")


def test_transfer_redirects_the_customer_and_pausing_the_recording_mutes_mixmonitor(center):
    """A call in conversation (the answered transcript up to the answer): the desk's commands act on
    the channels its events named."""
    blocks = transcript("answered.ami")
    answer = next(index for index, block in enumerate(blocks) if block.startswith("Event: AgentConnect"))
    server = AmiServer(events=blocks[: answer + 1], secret=SECRET)
    call_id = "1767603600.42"

    def ask(action: str, **arguments) -> Command:
        return services.command_request(
            action=action, by=None, arguments={"call_id": call_id, **arguments}, call_id=call_id
        )

    async def scenario():
        await server.start()
        runner = runner_for(adapter_for(server))
        task = asyncio.create_task(runner.run())
        await until(lambda: runner.applied >= 2)
        commands = [
            await sync_to_async(ask, thread_sensitive=True)("recording_pause"),
            await sync_to_async(ask, thread_sensitive=True)("transfer", target="401"),
            await sync_to_async(ask, thread_sensitive=True)("transfer", target="1003", attended=True),
        ]
        await until(lambda: not Command.objects.filter(state__in=["pending", "sent"]).exists())
        await until(lambda: runner.applied + runner.refused >= 4)
        await stopped(runner, task)
        await server.stop()
        return commands, runner

    (pause, transfer, attended), runner = asyncio.run(scenario())
    sent = {action["Action"]: action for action in server.actions}
    assert {key: sent["MixMonitorMute"][key] for key in ("Channel", "Direction", "State")} == {
        "Channel": "PJSIP/trunk-00000029",  # the channel MIXMONITOR_FILENAME was set on
        "Direction": "both",
        "State": "1",
    }
    assert {key: sent["Redirect"][key] for key in ("Channel", "Exten", "Context", "Priority")} == {
        "Channel": "PJSIP/trunk-00000029",
        "Exten": "401",
        "Context": "from-internal",
        "Priority": "1",
    }
    assert {key: sent["Atxfer"][key] for key in ("Channel", "Exten", "Context")} == {
        "Channel": "Local/1001@from-queue-00000004;1",  # the agent's side: they talk to 1003 first
        "Exten": "1003",
        "Context": "from-internal",
    }
    attended.refresh_from_db()
    assert attended.state == CommandState.DONE
    pause.refresh_from_db()
    transfer.refresh_from_db()
    assert (pause.state, pause.result) == (CommandState.DONE, {"call_id": call_id, "paused": True})
    assert (transfer.state, transfer.call_id) == (CommandState.DONE, call_id)
    # The MixMonitorMute event Asterisk sends back became call.recording_paused, and the runner applied
    # its own for the pause command that succeeded: one pause of the recording, still on.
    assert (runner.applied, runner.refused) == (4, 0)
    spans = CtiCall.objects.get(call_id=call_id).recording_paused
    assert len(spans) == 1 and spans[0][1] is None


def test_hold_is_not_a_command_asterisk_can_carry_out():
    adapter = AsteriskAdapter(host="127.0.0.1", port=1, username="switchboard", secret=SECRET)
    with pytest.raises(CommandFailed, match="hold key"):
        asyncio.run(adapter.execute(Command(action="hold", arguments={"call_id": "1.1"})))
    assert Capability.HOLD not in adapter.capabilities


def test_commands_the_phone_system_refuses_fail_with_its_message(center):
    server = AmiServer(secret=SECRET)

    async def scenario():
        await server.start()
        adapter = adapter_for(server)
        await adapter.connect()
        reader = asyncio.create_task(anext(adapter.events(), None))
        try:
            response = await adapter.send_action("Bogus", {})
        except Exception as error:
            response = error
        await adapter.close()
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        await server.stop()
        return response

    error = asyncio.run(scenario())
    assert isinstance(error, CommandFailed)
    assert str(error) == "Asterisk refused Bogus: Invalid/unknown command"


def test_the_command_line_options_win_over_the_settings(settings):
    settings.ASTERISK_AMI_HOST, settings.ASTERISK_AMI_PORT = "pbx.example", 5038
    settings.ASTERISK_AMI_USERNAME, settings.ASTERISK_AMI_SECRET = "switchboard", "from-env"
    settings.ASTERISK_DIAL_TECHNOLOGY = "SIP"
    adapter = asterisk_adapter({"host": None, "port": 15038, "username": None, "secret": "from-cli"})
    assert (adapter.host, adapter.port, adapter.username, adapter.secret) == (
        "pbx.example",
        15038,
        "switchboard",
        "from-cli",
    )
    assert adapter.dial_technology == "SIP"


def test_an_event_the_bridge_cannot_read_is_logged_and_the_next_ones_still_count(center, caplog):
    server = AmiServer(events=transcript("abandoned.ami"), secret=SECRET)
    adapter = adapter_for(server)
    feed = adapter.translator.feed

    def feed_failing_on_agent_called(message, *, received):
        if message.get("event") == "AgentCalled":
            raise ValueError("unreadable")
        return feed(message, received=received)

    adapter.translator.feed = feed_failing_on_agent_called

    async def scenario():
        adapter.port = await server.start()
        runner = runner_for(adapter)
        task = asyncio.create_task(runner.run())
        await until(lambda: runner.applied >= 2)
        await stopped(runner, task)
        await server.stop()
        return runner

    runner = asyncio.run(scenario())
    assert runner.connections == 1
    assert Interaction.objects.get(external_id="1767603900.50").ended_at is not None
    assert "cannot read the event" in caplog.text
