"""The FreeSWITCH bridge end to end: the real :class:`BridgeRunner` and adapter against an event
socket on 127.0.0.1 (``tests/telephony/esl_server.py``) replaying transcripts, into the real
database through the CTI intake. The runner applies events from its own thread
(``sync_to_async``), hence the transactional database."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from contactcenter.telephony.adapters import ADAPTERS
from contactcenter.telephony.freeswitch import FreeSwitchAdapter, freeswitch_adapter
from contactcenter.telephony.models import Bridge, Command, CommandAction, CommandState
from contactcenter.telephony.runtime import BridgeRunner, CommandFailed, event_apply
from interactions.models import CtiEvent, Interaction
from tests.agents.factories import AgentProfileFactory, QueueFactory
from tests.customers.factories import PhoneFactory
from tests.telephony.esl_server import EslServer, transcript
from tests.telephony.freeswitch_expected import EXPECTED

pytestmark = pytest.mark.django_db(transaction=True)

FIELDS = (
    "channel",
    "direction",
    "offered_at",
    "answered_at",
    "ended_at",
    "wrapup_ended_at",
    "hold_seconds",
    "queue_id",
    "agent_id",
    "customer_id",
)


@pytest.fixture
def center():
    queue = QueueFactory(name="support")
    sales = QueueFactory(name="sales")
    AgentProfileFactory(user__username="alice", extension="1001", queues=[queue])
    AgentProfileFactory(user__username="bob", queues=[queue, sales])
    PhoneFactory(value="+33612345678")
    return queue


def adapter_for(server: EslServer, **options: Any) -> FreeSwitchAdapter:
    return FreeSwitchAdapter(
        host="127.0.0.1", port=server.port, password=options.pop("password", "ClueCon"), connect_timeout=2, **options
    )


def runner_for(adapter: FreeSwitchAdapter) -> BridgeRunner:
    return BridgeRunner(
        adapter, backoff_initial=0.05, backoff_max=0.2, poll_seconds=0.05, heartbeat_seconds=0.2, command_timeout=3
    )


@contextlib.asynccontextmanager
async def bridged(server: EslServer, **options: Any) -> AsyncIterator[tuple[FreeSwitchAdapter, BridgeRunner]]:
    """The server started, a runner on an adapter to it; on leaving, all stopped and the database
    thread's connection closed (PostgreSQL would not drop the test database under an open one)."""
    if server.port == 0:
        await server.start()
    adapter = adapter_for(server, **options)
    runner = runner_for(adapter)
    task = asyncio.create_task(runner.run())
    try:
        yield adapter, runner
    finally:
        runner.stop()
        await task
        await server.stop()
        await sync_to_async(connections.close_all)()


async def until(condition: Callable[[], Any], timeout: float = 10) -> None:
    """Wait until ``condition`` (run in the database thread: it may query) holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await sync_to_async(condition)():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def caught_up(server: EslServer, adapter: FreeSwitchAdapter, runner: BridgeRunner) -> None:
    """Every message the server sent is handled by the adapter and its events applied."""
    await until(lambda: runner.connected.is_set() and adapter.messages_handled >= server.sent)
    await runner.idle()


def interaction_of(call_id: str) -> dict[str, Any]:
    interaction = Interaction.objects.get(cti_call__call_id=call_id)
    return {name: getattr(interaction, name) for name in FIELDS}


def reference_of(events: list[dict[str, Any]], call_id: str) -> dict[str, Any]:
    """The interaction the same call events give when applied straight through the intake."""
    for event in events:
        event_apply({**event, "call_id": call_id})
    return interaction_of(call_id)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_transcript_through_the_bridge_makes_the_interaction_its_call_events_make(center, name):
    server = EslServer(transcript(name))

    async def scenario():
        async with bridged(server) as (adapter, runner):
            await caught_up(server, adapter, runner)
        return runner

    runner = asyncio.run(scenario())
    assert runner.refused == 0
    calls = dict.fromkeys(event["call_id"] for event in EXPECTED[name])  # a transfer to a queue: two
    assert Interaction.objects.count() == len(calls)
    for call_id in calls:
        reference = f"reference-{call_id}"
        through_bridge = interaction_of(call_id)
        assert through_bridge == reference_of([e for e in EXPECTED[name] if e["call_id"] == call_id], reference)
        assert through_bridge["ended_at"] is not None  # the story was told to its end
        assert stored_events(call_id) == stored_events(reference)


def stored_events(call_id: str) -> list[tuple]:
    rows = CtiEvent.objects.filter(cti_call__call_id=call_id)
    return sorted(rows.values_list("event", "timestamp", "caller", "queue", "agent"))


def test_the_answered_call_is_the_customers_with_the_agent_and_queue(center):
    server = EslServer(transcript("answered.txt"))

    async def scenario():
        async with bridged(server) as (adapter, runner):
            await caught_up(server, adapter, runner)

    asyncio.run(scenario())
    interaction = Interaction.objects.select_related("agent", "queue", "customer").get(
        cti_call__call_id="7f4d3a9e-1c2b-4b8e-9a61-0d5e2f3c4b11"
    )
    assert interaction.agent.get_username() == "alice"
    assert interaction.queue.name == "support"
    assert interaction.customer is not None and interaction.customer.contact_points.filter(value="+33612345678")
    assert (interaction.ended_at - interaction.answered_at).total_seconds() == 124
    subscription = server.command_lines("event")[0]
    assert subscription.startswith("event plain ") and "CUSTOM callcenter::info" in subscription
    assert {"CHANNEL_HOLD", "CHANNEL_UNHOLD", "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB"} <= set(subscription.split())


def test_a_wrong_password_leaves_the_bridge_disconnected_with_the_reason(center):
    server = EslServer(transcript("answered.txt"), password="ClueCon")

    async def scenario():
        async with bridged(server, password="not-the-password") as (_, runner):
            await until(lambda: server.connections >= 2)  # it tried, was refused, tried again
        return runner

    runner = asyncio.run(scenario())
    bridge = Bridge.objects.get(kind="freeswitch")
    assert not bridge.connected
    assert "-ERR invalid" in bridge.last_error
    assert runner.connections == 0
    assert server.command_lines("auth") and not server.command_lines("event")
    assert not Interaction.objects.exists()


def test_an_address_the_acl_refuses_is_recorded_as_such(center):
    server = EslServer([])
    server.acl_denied = True

    async def scenario():
        async with bridged(server):
            await until(lambda: server.connections >= 1 and Bridge.objects.filter(kind="freeswitch").exists())

    asyncio.run(scenario())
    bridge = Bridge.objects.get(kind="freeswitch")
    assert not bridge.connected and "Access Denied, go away." in bridge.last_error
    assert server.commands == []  # not even the password was sent


def test_after_freeswitch_restarts_the_bridge_reconnects_and_nothing_is_doubled(center):
    events = transcript("hold_resume.txt")
    call_id = EXPECTED["hold_resume.txt"][0]["call_id"]

    async def scenario():
        first = EslServer(events[:4])  # the call is answered, the first hold begins
        async with bridged(first) as (adapter, runner):
            await caught_up(first, adapter, runner)
            connected_once = await sync_to_async(lambda: Bridge.objects.get(kind="freeswitch").connected)()
            await first.stop()
            await until(lambda: not runner.connected.is_set())
            # FreeSWITCH back on the same port; the event socket replays the call from its start.
            second = await EslServer(events, port=first.port).start()
            try:
                await caught_up(second, adapter, runner)
            finally:
                await second.stop()
        return runner, connected_once

    runner, connected_once = asyncio.run(scenario())
    assert connected_once and runner.connections == 2
    assert Interaction.objects.filter(cti_call__call_id=call_id).count() == 1
    stored = list(CtiEvent.objects.filter(cti_call__call_id=call_id).values_list("event", flat=True))
    assert sorted(stored) == sorted(
        ["call.offered", "call.answered", "call.held", "call.resumed", "call.held", "call.resumed", "call.ended"]
    )
    assert interaction_of(call_id)["hold_seconds"] == 35


# --- Commands -------------------------------------------------------------------------------

ANSWERED = transcript("transfer.txt")[:3]  # the caller joins the queue, alice is offered it and answers
CALL = EXPECTED["transfer.txt"][0]["call_id"]
AGENT_LEG = "3d7b9e1f-6a2c-4e8d-a1b3-9c5f7e0d2a64"


def run_commands(server: EslServer, commands: list[dict[str, Any]]) -> list[Command]:
    """Connect, let the call be known, queue the commands as the application does, wait for each
    to be finished; answer them as stored."""

    async def scenario():
        async with bridged(server) as (adapter, runner):
            await caught_up(server, adapter, runner)
            ids = []
            for fields in commands:
                command = await sync_to_async(Command.objects.create)(bridge="freeswitch", **fields)
                ids.append(command.pk)
            finished = (CommandState.DONE, CommandState.FAILED)
            await until(lambda: Command.objects.filter(pk__in=ids, state__in=finished).count() == len(ids))
        return ids

    ids = asyncio.run(scenario())
    return [Command.objects.get(pk=pk) for pk in ids]


def test_hold_and_resume_act_on_the_agents_leg(center):
    server = EslServer(ANSWERED)
    held, resumed = run_commands(
        server,
        [
            {"action": CommandAction.HOLD, "arguments": {"call_id": CALL}, "call_id": CALL},
            {"action": CommandAction.RESUME, "arguments": {"call_id": CALL}, "call_id": CALL},
        ],
    )
    assert (held.state, resumed.state) == (CommandState.DONE, CommandState.DONE)
    assert server.command_lines("bgapi") == [f"bgapi uuid_hold {AGENT_LEG}", f"bgapi uuid_hold off {AGENT_LEG}"]
    jobs = [headers["Job-UUID"] for line, headers in server.commands if line.startswith("bgapi")]
    assert all(re.fullmatch(r"[0-9a-f-]{36}", job) for job in jobs)
    assert held.result == {"call_id": CALL, "channel": AGENT_LEG}


def test_a_transfer_moves_the_callers_leg_to_the_target(center):
    server = EslServer(ANSWERED)
    (transfer,) = run_commands(
        server,
        [{"action": CommandAction.TRANSFER, "arguments": {"call_id": CALL, "target": "1002"}, "call_id": CALL}],
    )
    assert transfer.state == CommandState.DONE
    assert server.command_lines("bgapi") == [f"bgapi uuid_transfer {CALL} 1002 XML default"]


def test_an_err_answer_fails_the_command_with_freeswitchs_message(center):
    server = EslServer(ANSWERED)
    server.responses["uuid_transfer"] = "-ERR No such channel!\n"
    (transfer,) = run_commands(
        server,
        [{"action": CommandAction.TRANSFER, "arguments": {"call_id": CALL, "target": "1002"}, "call_id": CALL}],
    )
    assert transfer.state == CommandState.FAILED
    assert transfer.error == "No such channel!"


def test_a_command_on_a_call_the_bridge_does_not_know_fails_without_asking_freeswitch(center):
    server = EslServer(ANSWERED)
    (hold,) = run_commands(
        server, [{"action": CommandAction.HOLD, "arguments": {"call_id": "nope"}, "call_id": "nope"}]
    )
    assert hold.state == CommandState.FAILED and "nope" in hold.error
    assert server.command_lines("bgapi") == []


def test_dial_originates_from_the_agents_extension_and_answers_the_new_calls_uuid(center):
    server = EslServer([])
    (dial,) = run_commands(
        server,
        [
            {
                "action": CommandAction.DIAL,
                "arguments": {"to": "+33612345678", "extension": "1001", "agent": "alice", "queue": "support"},
            }
        ],
    )
    assert dial.state == CommandState.DONE, dial.error
    (line,) = server.command_lines("bgapi")
    found = re.fullmatch(r"bgapi originate \{(?P<vars>[^}]*)\}user/1001 \+33612345678 XML default", line)
    assert found, line
    variables = dict(item.split("=", 1) for item in found["vars"].split(","))
    assert variables["switchboard_command"] == str(dial.pk)
    assert variables["origination_caller_id_number"] == "+33612345678"
    assert (variables["switchboard_agent"], variables["switchboard_queue"]) == ("alice", "support")
    assert dial.call_id == variables["origination_uuid"] == dial.result["call_id"]
    assert dial.result["state"] == "agent_answered"


def test_a_dial_whose_values_would_break_the_originate_string_is_refused_before_sending(center):
    server = EslServer([])
    (dial,) = run_commands(
        server, [{"action": CommandAction.DIAL, "arguments": {"to": "+33612345678", "extension": "1001,user/666"}}]
    )
    assert dial.state == CommandState.FAILED and "extension" in dial.error
    assert server.command_lines("bgapi") == []


def test_a_dial_freeswitch_could_not_place_fails_with_the_cause(center):
    server = EslServer([])
    server.responses["originate"] = "-ERR USER_NOT_REGISTERED\n"
    (dial,) = run_commands(
        server, [{"action": CommandAction.DIAL, "arguments": {"to": "+33612345678", "extension": "1001"}}]
    )
    assert dial.state == CommandState.FAILED
    assert dial.error == "USER_NOT_REGISTERED"


def test_a_dial_still_ringing_is_done_with_its_call_id(center):
    server = EslServer([])
    server.job_delay = 1.0  # originate answers only when the agent picks up

    async def scenario():
        async with bridged(server, dial_wait=0.2) as (_, runner):
            await until(lambda: runner.connected.is_set())
            command = await sync_to_async(Command.objects.create)(
                bridge="freeswitch", action=CommandAction.DIAL, arguments={"to": "+33612345678", "extension": "1001"}
            )
            await until(lambda: Command.objects.get(pk=command.pk).state == CommandState.DONE)
        return command.pk

    dial = Command.objects.get(pk=asyncio.run(scenario()))
    assert dial.result["state"] == "ringing" and len(dial.call_id) == 36


def test_recording_pause_masks_the_recording_the_call_started(center):
    events = transcript("answered.txt")[:5]  # up to RECORD_START
    server = EslServer(events)
    call = EXPECTED["answered.txt"][0]["call_id"]
    paused, resumed = run_commands(
        server,
        [
            {"action": CommandAction.RECORDING_PAUSE, "arguments": {"call_id": call}, "call_id": call},
            {"action": CommandAction.RECORDING_RESUME, "arguments": {"call_id": call}, "call_id": call},
        ],
    )
    assert (paused.state, resumed.state) == (CommandState.DONE, CommandState.DONE)
    path = "/var/lib/freeswitch/recordings/support/2026-03-04/7f4d3a9e-1c2b-4b8e-9a61-0d5e2f3c4b11.wav"
    assert server.command_lines("bgapi") == [
        f"bgapi uuid_record {call} mask {path}",
        f"bgapi uuid_record {call} unmask {path}",
    ]


def test_the_command_line_and_settings_build_the_adapter(settings):
    settings.FREESWITCH_ESL_HOST, settings.FREESWITCH_ESL_PORT = "10.0.0.5", 8021
    settings.FREESWITCH_ESL_PASSWORD = "from-settings"
    settings.FREESWITCH_DIAL_STRING = "{endpoint} {digits} XML sales"
    assert ADAPTERS["freeswitch"] is freeswitch_adapter  # manage.py cti_bridge freeswitch
    adapter = freeswitch_adapter({"host": None, "port": 18021, "secret": None})
    assert (adapter.host, adapter.port, adapter.password) == ("10.0.0.5", 18021, "from-settings")
    assert adapter.dial_string == "{endpoint} {digits} XML sales"


def test_after_a_reconnection_the_calls_in_progress_can_still_be_held(center):
    async def scenario():
        first = EslServer(ANSWERED)
        async with bridged(first) as (adapter, runner):
            await caught_up(first, adapter, runner)
            await first.stop()
            await until(lambda: not runner.connected.is_set())
            second = await EslServer([], port=first.port).start()  # nothing replayed: the call goes on
            try:
                await until(lambda: runner.connected.is_set())
                command = await sync_to_async(Command.objects.create)(
                    bridge="freeswitch", action=CommandAction.HOLD, arguments={"call_id": CALL}, call_id=CALL
                )
                await until(lambda: Command.objects.get(pk=command.pk).state == CommandState.DONE)
            finally:
                await second.stop()
        return second

    second = asyncio.run(scenario())
    assert second.command_lines("bgapi") == [f"bgapi uuid_hold {AGENT_LEG}"]


def test_a_command_waiting_when_the_link_drops_fails_at_once_with_the_reason(center):
    server = EslServer(ANSWERED)
    server.job_delay = 30  # FreeSWITCH accepted the job, then went away before answering

    async def scenario():
        async with bridged(server) as (adapter, runner):
            await caught_up(server, adapter, runner)
            command = await sync_to_async(Command.objects.create)(
                bridge="freeswitch", action=CommandAction.HOLD, arguments={"call_id": CALL}, call_id=CALL
            )
            await until(lambda: server.command_lines("bgapi"))
            await server.stop()
            await until(lambda: Command.objects.get(pk=command.pk).state == CommandState.FAILED, timeout=2)
        return command.pk

    held = Command.objects.get(pk=asyncio.run(scenario()))
    assert held.error == "the link to FreeSWITCH was lost"


def test_a_pause_freeswitch_carried_out_is_told_as_the_calls_recording_paused(center):
    """FreeSWITCH sends no event when a recording is masked: the bridge tells the pause itself once
    the job succeeded, among the call's events. The adapter alone here, its events collected."""
    server = EslServer(transcript("answered.txt")[:5])
    call = EXPECTED["answered.txt"][0]["call_id"]

    async def scenario():
        await server.start()
        adapter = adapter_for(server)
        await adapter.connect()
        received: list[dict] = []

        async def collect():
            async for event in adapter.events():
                received.append(event)

        collector = asyncio.create_task(collect())
        try:
            await until(lambda: adapter.messages_handled >= server.sent)
            for action in (CommandAction.RECORDING_PAUSE, CommandAction.RECORDING_RESUME):
                await adapter.execute(Command(bridge="freeswitch", action=action, arguments={"call_id": call}))
            server.responses["uuid_record"] = "-ERR Cannot mask recording session!\n"
            with pytest.raises(CommandFailed, match="Cannot mask recording session!"):
                await adapter.execute(Command(bridge="freeswitch", action=CommandAction.RECORDING_PAUSE, call_id=call))
            await until(lambda: adapter.messages_handled >= server.sent)
        finally:
            await adapter.close()
            collector.cancel()
            await asyncio.gather(collector, return_exceptions=True)
            await server.stop()
            await sync_to_async(connections.close_all)()
        return received

    received = asyncio.run(scenario())
    told = [(event["event"], event["call_id"], event["agent"]) for event in received[2:]]
    assert told == [("call.recording_paused", call, "alice"), ("call.recording_resumed", call, "alice")]
    assert received[2]["timestamp"] < received[3]["timestamp"]
