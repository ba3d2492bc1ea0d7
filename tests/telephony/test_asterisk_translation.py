"""Asterisk's AMI events → the CTI intake's call events (``contactcenter/telephony/asterisk.py``):
the wire format, agents by extension, and each transcript's calls, without a database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from contactcenter.telephony.asterisk import (
    AmiTranslator,
    AsteriskAdapter,
    ExtensionBook,
    device_keys,
    encode_action,
    event_time,
    read_message,
)
from contactcenter.telephony.models import Command
from contactcenter.telephony.runtime import CommandFailed
from tests.telephony.ami_server import fields, transcript
from tests.telephony.asterisk_calls import EXPECTED, EXTENSIONS, T0

RECEIVED = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
KEYS = ("event", "call_id", "timestamp", "from", "queue", "agent", "recording", "transferred_to")


def events_of(messages, *, extensions: dict[str, str], received: datetime) -> list[dict]:
    """Every call event a sequence of AMI events makes, read by one translator."""
    translator = AmiTranslator(ExtensionBook(extensions))
    return [event for message in messages for event in translator.feed(message, received=received)]


def wire(block: str) -> dict[str, str]:
    """A transcript message as the bridge's reader gives it (keys in lower case)."""
    return {key.lower(): value.strip() for key, value in fields(block).items()}


def translated(name: str, extensions: dict[str, str] | None = None) -> list[dict]:
    messages = [wire(block) for block in transcript(name)]
    extensions = extensions if extensions is not None else {value: key for key, value in EXTENSIONS.items()}
    return events_of(messages, extensions=extensions, received=RECEIVED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_transcript_makes_the_documented_call_events(name):
    made = [{key: item.get(key) for key in KEYS} for item in translated(name)]
    expected = [{key: item.get(key) for key in KEYS} for item in EXPECTED[name]]
    assert made == expected


def test_every_event_says_inbound_and_has_an_offset():
    for name in EXPECTED:
        for item in translated(name):
            assert item["direction"] == "inbound"
            assert datetime.fromisoformat(item["timestamp"]).utcoffset() is not None


def test_an_agent_without_extension_answers_nothing_but_the_call_still_ends():
    """No profile has 1001: the answer cannot name an agent, so none is sent; the end still is."""
    made = translated("answered.ami", extensions={"PJSIP/1002": "agent_b"})
    assert [item["event"] for item in made] == ["call.offered", "call.ended"]


def test_bridge_started_mid_call_offers_it_from_the_answer_back_by_the_hold_time():
    """Without the QueueCallerJoin (the bridge came up while the caller waited), AgentConnect offers
    the call HoldTime seconds before the answer."""
    messages = [wire(block) for block in transcript("answered.ami")]
    messages = [message for message in messages if message["event"] not in {"QueueCallerJoin", "AgentCalled"}]
    made = events_of(messages, extensions={"1001": "agent_a"}, received=RECEIVED)
    assert [(item["event"], item["timestamp"]) for item in made[:2]] == [
        ("call.offered", "2026-01-05T09:00:01.000200+00:00"),
        ("call.answered", "2026-01-05T09:00:09.000200+00:00"),
    ]


def test_agent_called_offers_the_call_with_its_agent_only_when_the_queue_join_was_not_seen():
    messages = [wire(block) for block in transcript("abandoned.ami")]
    without_join = [message for message in messages if message["event"] != "QueueCallerJoin"]
    made = events_of(without_join, extensions={"1001": "agent_a"}, received=RECEIVED)
    assert (made[0]["event"], made[0]["agent"]) == ("call.offered", "agent_a")
    made = events_of(messages, extensions={"1001": "agent_a"}, received=RECEIVED)
    assert [(item["event"], item["agent"]) for item in made] == [("call.offered", None), ("call.abandoned", None)]


def test_a_repeated_event_makes_nothing_twice():
    messages = [wire(block) for block in transcript("hold.ami")]
    doubled = [message for message in messages for _ in range(2)]
    assert events_of(doubled, extensions={"1001": "agent_a"}, received=RECEIVED) == events_of(
        messages, extensions={"1001": "agent_a"}, received=RECEIVED
    )


def test_hangup_of_a_call_never_answered_nor_abandoned_is_an_abandon():
    messages = [wire(block) for block in transcript("abandoned.ami")]
    no_abandon = [message for message in messages if message["event"] != "QueueCallerAbandon"]
    made = events_of(no_abandon, extensions={"1001": "agent_a"}, received=RECEIVED)
    assert [(item["event"], item["timestamp"]) for item in made] == [
        ("call.offered", "2026-01-05T09:05:00+00:00"),
        ("call.abandoned", "2026-01-05T09:05:25.000300+00:00"),  # the caller's channel, not the agent's
    ]


def test_redirect_to_a_second_queue_without_an_end_seen_ends_the_first_part_at_the_new_join():
    messages = [wire(block) for block in transcript("transfer.ami")]
    kept = [message for message in messages if message["event"] not in {"BlindTransfer", "AgentComplete"}]
    made = events_of(kept, extensions={"1001": "agent_a", "1002": "agent_b"}, received=RECEIVED)
    assert [(item["event"], item["call_id"]) for item in made[:4]] == [
        ("call.offered", "1767605000.70"),
        ("call.answered", "1767605000.70"),
        ("call.ended", "1767605000.70"),
        ("call.offered", "1767605000.70-2"),
    ]
    assert made[2]["timestamp"] == made[3]["timestamp"] == "2026-01-05T09:24:20.200000+00:00"


def test_recording_mute_events_pause_and_resume():
    translator = AmiTranslator(ExtensionBook({"1001": "agent_a"}))
    for block in transcript("answered.ami")[:8]:
        translator.feed(wire(block), received=RECEIVED)
    mute = {"event": "MixMonitorMute", "linkedid": "1767603600.42", "uniqueid": "1767603600.42", "timestamp": ""}
    paused = translator.feed({**mute, "state": "1"}, received=RECEIVED)
    again = translator.feed({**mute, "state": "1"}, received=RECEIVED)
    resumed = translator.feed({**mute, "state": "0"}, received=RECEIVED)
    assert [item["event"] for item in paused + again + resumed] == ["call.recording_paused", "call.recording_resumed"]
    assert paused[0]["timestamp"] == RECEIVED.isoformat()  # no Timestamp header: the time it was read


def test_the_translator_forgets_the_oldest_calls_past_its_bound():
    translator = AmiTranslator(keep=2)
    for number in range(3):
        translator.feed(
            {"event": "QueueCallerJoin", "linkedid": f"1.{number}", "queue": "400", "calleridnum": "1"},
            received=RECEIVED,
        )
    assert list(translator.calls) == ["1.1", "1.2"]


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("PJSIP/1001", ["pjsip/1001", "1001"]),
        ("SIP/1001-0000001a", ["sip/1001", "1001"]),
        ("Local/1001@from-queue/n", ["local/1001@from-queue", "1001@from-queue", "1001"]),
        ("Local/1001@from-queue-00000004;1", ["local/1001@from-queue", "1001@from-queue", "1001"]),
        ("1001", ["1001"]),
        ("", []),
    ],
)
def test_device_keys(name, keys):
    assert device_keys(name) == keys


def test_extension_book_prefers_the_extension_written_in_full():
    book = ExtensionBook({"1001": "agent_a", "SIP/2001": "agent_b", "PJSIP/2001": "agent_c"})
    assert book.agent_for("PJSIP/1001") == "agent_a"
    assert book.agent_for("SIP/1001-0000001a") == "agent_a"
    assert book.agent_for("Local/1001@from-queue/n") == "agent_a"
    assert book.agent_for("PJSIP/2001-00000003") == "agent_c"
    assert book.agent_for("SIP/2001-00000003") == "agent_b"
    assert book.agent_for("IAX2/3001", "Agent Smith") is None


def test_event_time_from_the_timestamp_header_else_the_reading():
    assert event_time({"timestamp": "1767603600.012345"}, RECEIVED) == "2026-01-05T09:00:00.012345+00:00"
    assert event_time({"timestamp": "1767603600"}, RECEIVED) == T0.isoformat()
    assert event_time({"timestamp": "soon"}, RECEIVED) == RECEIVED.isoformat()
    assert event_time({}, RECEIVED) == RECEIVED.isoformat()


def test_read_message_reads_crlf_messages_with_case_insensitive_keys():
    async def scenario():
        reader = asyncio.StreamReader()
        reader.feed_data(
            b"\r\nEvent: Hangup\r\nCause-txt: Normal Clearing\r\nAccountCode: \r\n\r\nResponse: Success\r\n"
        )
        reader.feed_data(b"ActionID: 7\r\nMessage: ok: fine\r\n\r\n")
        reader.feed_eof()
        first, second = await read_message(reader), await read_message(reader)
        with pytest.raises(ConnectionError):
            await read_message(reader)
        return first, second

    first, second = asyncio.run(scenario())
    assert first == {"event": "Hangup", "cause-txt": "Normal Clearing", "accountcode": ""}
    assert second == {"response": "Success", "actionid": "7", "message": "ok: fine"}


def test_encode_action_refuses_a_line_break_in_a_value():
    assert encode_action("Redirect", {"Exten": "401", "Variable": ["A=1", "B=2"]}) == (
        b"Action: Redirect\r\nExten: 401\r\nVariable: A=1\r\nVariable: B=2\r\n\r\n"
    )
    with pytest.raises(CommandFailed):
        encode_action("Originate", {"Exten": "1\r\nAction: Command"})


def test_an_attended_transfer_ends_the_agents_part():
    translator = AmiTranslator(ExtensionBook({"1001": "agent_a"}))
    for block in transcript("hold.ami")[:3]:
        translator.feed(wire(block), received=RECEIVED)
    transfer = {
        "event": "AttendedTransfer",
        "timestamp": "1767604230.000000",
        "result": "Success",
        "origtransfererchannel": "PJSIP/1001-00000041",
        "origtransfereruniqueid": "1767604200.61",
        "origtransfererlinkedid": "1767604200.60",
        "transfereechannel": "PJSIP/trunk-00000040",
        "transfereelinkedid": "1767604200.60",
        "transfertargetchannel": "PJSIP/1003-00000044",
        "transfertargetcalleridnum": "1003",
        "desttype": "Bridge",
    }
    failed = translator.feed({**transfer, "result": "Fail"}, received=RECEIVED)
    made = translator.feed(transfer, received=RECEIVED)
    assert failed == []
    assert [(item["event"], item["timestamp"], item["transferred_to"]) for item in made] == [
        ("call.ended", "2026-01-05T09:10:30+00:00", "1003")
    ]


def test_a_click_to_dial_the_agent_does_not_pick_up_ends_unanswered():
    translator = AmiTranslator()
    translator.expect_origination("switchboard-1", agent="agent_a", extension="1001", to="+33612345678", customer=7)
    messages = [
        {"event": "Newchannel", "channel": "PJSIP/1001-00000090", "uniqueid": "switchboard-1",
         "linkedid": "switchboard-1", "timestamp": "1767603600.000000"},
        {"event": "OriginateResponse", "response": "Failure", "uniqueid": "switchboard-1", "reason": "3",
         "timestamp": "1767603630.000000"},
        {"event": "Hangup", "channel": "PJSIP/1001-00000090", "uniqueid": "switchboard-1",
         "linkedid": "switchboard-1", "timestamp": "1767603630.000100"},
    ]  # fmt: skip
    made = [item for message in messages for item in translator.feed(message, received=RECEIVED)]
    assert [
        (item["event"], item["agent"], item["from"], item["to"], item["direction"], item["customer"]) for item in made
    ] == [
        ("call.offered", "agent_a", "1001", "+33612345678", "outbound", 7),
        ("call.ended", "agent_a", "1001", "+33612345678", "outbound", 7),
    ]


def test_the_extensions_are_read_again_when_an_unknown_device_answers():
    loads = []

    def loader():
        loads.append(1)
        return {} if len(loads) == 1 else {"1001": "agent_a"}

    adapter = AsteriskAdapter(
        host="127.0.0.1", port=1, username="u", secret="s", agents_ttl=60, agents_retry=0, agents_loader=loader
    )
    message = {"event": "AgentConnect", "interface": "PJSIP/1001"}

    async def scenario():
        for _ in range(3):
            await adapter._agents_ready(message)

    asyncio.run(scenario())
    assert len(loads) == 2  # the first time, again for the unknown 1001, then known: no third read
    assert adapter.translator.agents.agent_for("PJSIP/1001") == "agent_a"


def test_a_command_on_a_call_the_bridge_never_saw_fails_clearly():
    adapter = AsteriskAdapter(host="127.0.0.1", port=1, username="u", secret="s")
    adapter._writer = object()  # connected, as far as the command is concerned: it fails before sending
    command = Command(action="transfer", call_id="1.1", arguments={"call_id": "1.1", "target": "401"})
    with pytest.raises(CommandFailed, match="does not know the customer's channel"):
        asyncio.run(adapter.execute(command))
    with pytest.raises(CommandFailed, match="needs its target"):
        asyncio.run(adapter.execute(Command(action="transfer", call_id="1.1", arguments={})))
