"""The FreeSWITCH translation, pure: event-socket bodies in, CTI call events out (no database, no
socket). Each transcript gives the call events its story means, no more (each end once), no less."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import pytest

from contactcenter.telephony.freeswitch import (
    AgentDirectory,
    EslTranslator,
    event_parse,
    event_timestamp,
    message_read,
)
from contactcenter.telephony.runtime import BridgeError
from tests.telephony.esl_server import transcript
from tests.telephony.freeswitch_expected import EXPECTED, T0, at

DIRECTORY = AgentDirectory(frozenset({"alice", "bob"}), {"1001": "alice"})


def translate_all(name: str, directory: AgentDirectory = DIRECTORY) -> list[dict]:
    translator = EslTranslator(directory)
    return [event for body in transcript(name) for event in translator.translate(event_parse(body))]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_transcript_gives_the_call_events_of_its_story(name):
    assert translate_all(name) == EXPECTED[name]


def test_the_same_call_id_on_every_event_of_a_call_whatever_leg_it_came_from():
    # hold_resume.txt: the holds come from the agent's leg, the start from the caller's.
    assert {event["call_id"] for event in translate_all("hold_resume.txt")} == {"5c2a9d7e-3b1f-4e8a-a6c4-2d9f0e1b7a33"}


def test_values_are_url_decoded_and_the_queue_loses_its_domain():
    first = translate_all("answered.txt")[0]
    assert (first["from"], first["queue"]) == ("+33612345678", "support")


def test_the_timestamp_is_the_event_date_in_microseconds_with_its_offset():
    assert event_timestamp({"Event-Date-Timestamp": "1772629200250000"}) == "2026-03-04T13:00:00.250000+00:00"


def test_an_agent_known_neither_by_username_nor_by_extension_is_not_guessed():
    translator = EslTranslator(AgentDirectory(frozenset({"carol"}), {"2002": "carol"}))
    bodies = transcript("answered.txt")
    another_call = {"CC-Member-Session-UUID": "another-call", "CC-Member-UUID": "m-another"}
    offered_to = translator.translate(event_parse(bodies[1]) | another_call)
    assert offered_to[0]["event"] == "call.offered" and "agent" not in offered_to[0]  # rather than refused
    events = [event for body in bodies for event in translator.translate(event_parse(body))]
    answered = events[1]
    # The answer names the FreeSWITCH agent as it is: the intake refuses it with that name.
    assert answered["event"] == "call.answered" and answered["agent"] == "1001@default"


def from_event(name: str, first: int) -> list[dict]:
    """What a bridge that came up in the middle of the call, at event ``first``, makes of the rest."""
    translator = EslTranslator(DIRECTORY)
    return [event for body in transcript(name)[first:] for event in translator.translate(event_parse(body))]


def test_a_bridge_that_missed_the_callers_joining_names_the_agent_offered():
    offered = from_event("answered.txt", 1)[0]
    assert (offered["event"], offered["timestamp"], offered["agent"]) == ("call.offered", at(2), "alice")


def test_a_bridge_that_came_up_during_the_conversation_dates_the_offer_from_the_queue():
    events = from_event("answered.txt", 3)  # from bridge-agent-start
    joined = "2026-03-04T13:00:00+00:00"  # CC-Member-Joined-Time, in seconds
    assert [(e["event"], e["timestamp"]) for e in events] == [
        ("call.offered", joined),
        ("call.answered", at(6)),
        ("call.ended", at(130)),
    ]


def test_a_bridge_that_saw_only_the_end_tells_the_whole_call_from_its_times():
    events = from_event("hold_resume.txt", 7)  # from bridge-agent-end
    assert [(e["event"], e["timestamp"], e.get("agent")) for e in events] == [
        ("call.offered", "2026-03-04T13:00:00+00:00", None),
        ("call.answered", "2026-03-04T13:00:04+00:00", "alice"),  # CC-Agent-Answered-Time
        ("call.ended", at(100), "alice"),
    ]


@pytest.mark.parametrize(
    ("names", "username"),
    [
        (("alice",), "alice"),
        (("alice@default",), "alice"),
        (("1001@default",), "alice"),
        (("agent-7", "user/1001@default"), "alice"),
        (("agent-7", "1001"), "alice"),
        (("agent-7", "sofia/internal/1001@10.0.0.21:5060"), "alice"),
        (("agent-7", "1002"), None),
        (("",), None),
    ],
)
def test_agents_are_known_by_username_then_by_extension(names, username):
    assert AgentDirectory(frozenset({"alice"}), {"PJSIP/1001": "alice"}).resolve(*names) == username


def test_a_late_event_of_a_call_over_changes_nothing():
    translator = EslTranslator(DIRECTORY)
    bodies = transcript("answered.txt")
    for body in bodies:
        translator.translate(event_parse(body))
    assert [translator.translate(event_parse(body)) for body in bodies[-3:]] == [[], [], []]
    assert translator.calls == {} and translator.legs == {}


def test_events_of_channels_that_are_no_call_of_a_queue_or_of_the_bridge_are_ignored():
    translator = EslTranslator(DIRECTORY)
    body = "Event-Name: CHANNEL_HOLD\nUnique-ID: 0000\nEvent-Date-Timestamp: 1772629200250000\n\n"
    assert translator.translate(event_parse(body)) == []
    other = "Event-Name: CUSTOM\nEvent-Subclass: conference%3A%3Amaintenance\n\n"
    assert translator.translate(event_parse(other)) == []


def read(data: bytes):
    async def scenario():
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return await message_read(reader)

    return asyncio.run(scenario())


def test_a_message_is_its_headers_then_content_length_bytes_of_body():
    body = "Event-Name: BACKGROUND_JOB\nJob-UUID: 42\nContent-Length: 14\n\n+OK c0ffee00\n\n"
    message = read(f"Content-Length: {len(body)}\nContent-Type: text/event-plain\n\n{body}".encode())
    assert message.content_type == "text/event-plain"
    event = event_parse(message.body)
    assert event["Job-UUID"] == "42" and event["_body"] == "+OK c0ffee00\n\n"


def test_a_lying_content_length_is_refused():
    with pytest.raises(BridgeError):
        read(b"Content-Length: many\nContent-Type: text/event-plain\n\n")


def test_a_caller_transferred_to_another_queue_is_a_second_part_of_the_call():
    """The caller's leg goes on to the queue ``sales`` after the blind transfer: mod_callcenter makes
    it a new member of that queue (a new ``CC-Member-UUID``, the same caller's channel), whichever
    comes first of the new queue's start and the end of the first queue's bridge."""
    bodies = transcript("transfer.txt")
    session = "9a3f1e7c-2d6b-4c8a-b9e1-7f0d2c5a8b54"

    def second_queue(body: str, seconds: int) -> str:
        fields = event_parse(body)
        fields.update(
            {
                "CC-Queue": "sales@default",
                "CC-Member-UUID": "m-second",
                "CC-Agent": "bob@default",
                "CC-Agent-UUID": "b0b0b0b0-0000-4000-8000-000000000001",
                "Event-Date-Timestamp": str(int(T0.timestamp() * 1_000_000) + seconds * 1_000_000),
            }
        )
        return "".join(f"{name}: {quote(value, safe='')}\n" for name, value in fields.items() if name != "_body") + "\n"

    # start, offering, bridge-agent-start, then the transfer: the new queue's start comes before
    # the first queue's bridge-agent-end and member-queue-end; then the second agent answers, and
    # at last the caller hangs up.
    stream = [*bodies[:4], second_queue(bodies[0], 61), *bodies[4:6], second_queue(bodies[2], 75), bodies[6]]
    translator = EslTranslator(DIRECTORY)
    events = [event for body in stream for event in translator.translate(event_parse(body))]
    assert [(e["event"], e["call_id"], e.get("queue"), e.get("agent")) for e in events] == [
        ("call.offered", session, "support", None),
        ("call.answered", session, "support", "alice"),
        ("call.offered", f"{session}-2", "sales", None),
        ("call.ended", session, "support", "alice"),
        ("call.answered", f"{session}-2", "sales", "bob"),
        ("call.ended", f"{session}-2", "sales", "bob"),  # the caller's hangup ends the part going on
    ]
    assert translator.calls == {} and translator.members == {} and translator.parts == {}
