"""The call events each FreeSWITCH transcript means (``tests/telephony/transcripts/freeswitch/``),
written by hand from the transcripts' stories: what the translation must produce, and what the
reference interaction is built from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2026, 3, 4, 13, 0, 0, 250000, tzinfo=UTC)
DID = "+33170000000"
RECORDING = "/var/lib/freeswitch/recordings/support/2026-03-04/7f4d3a9e-1c2b-4b8e-9a61-0d5e2f3c4b11.wav"


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def _call(call_id: str, caller: str, *, to: str = DID, direction: str = "inbound", queue: str = "support"):
    def event(kind: str, seconds: float, **fields: Any) -> dict[str, Any]:
        data = {"event": kind, "call_id": call_id, "timestamp": at(seconds), "from": caller, "to": to}
        data["direction"] = direction
        if queue:
            data["queue"] = queue
        data.update(fields)
        return data

    return event


_answered = _call("7f4d3a9e-1c2b-4b8e-9a61-0d5e2f3c4b11", "+33612345678")
_abandoned = _call("0b6e2c1d-8f3a-4d7e-b512-9c4a1e7f3d22", "+33698765432")
_hold = _call("5c2a9d7e-3b1f-4e8a-a6c4-2d9f0e1b7a33", "0612345678")
_transfer = _call("9a3f1e7c-2d6b-4c8a-b9e1-7f0d2c5a8b54", "+33611223344")
_agent_hangup = _call("2e8c4a6f-7d1b-4f3e-9c2a-5b0e8d1f6c75", "+33655443322")
_first_queue = _call("4b9d2f6a-8c1e-4a7b-9d3f-6e2a0c8b1d17", "+33612345678")
_second_queue = _call("4b9d2f6a-8c1e-4a7b-9d3f-6e2a0c8b1d17-2", "+33612345678", queue="sales")
_dial = _call("c0ffee00-1d2e-4f3a-8b4c-5d6e7f8a9b96", "1001", to="+33612345678", direction="outbound")

EXPECTED: dict[str, list[dict[str, Any]]] = {
    "answered.txt": [
        _answered("call.offered", 0),
        _answered("call.answered", 6, agent="alice"),
        _answered("call.ended", 130, agent="alice", recording=RECORDING),
    ],
    "abandoned.txt": [
        _abandoned("call.offered", 0),
        _abandoned("call.abandoned", 45),
    ],
    "hold_resume.txt": [
        _hold("call.offered", 0),
        _hold("call.answered", 4, agent="alice"),
        _hold("call.held", 30, agent="alice"),
        _hold("call.resumed", 50, agent="alice"),
        _hold("call.held", 70, agent="alice"),
        _hold("call.resumed", 85, agent="alice"),
        _hold("call.ended", 100, agent="alice"),
    ],
    "transfer.txt": [
        _transfer("call.offered", 0),
        _transfer("call.answered", 5, agent="alice"),
        _transfer("call.ended", 60, agent="alice"),
    ],
    "agent_hangup.txt": [
        _agent_hangup("call.offered", 0),
        _agent_hangup("call.answered", 9, agent="bob"),
        _agent_hangup("call.ended", 95, agent="bob"),
    ],
    "transfer_to_queue.txt": [
        _first_queue("call.offered", 0),
        _first_queue("call.answered", 5, agent="alice"),
        _second_queue("call.offered", 61),
        _first_queue("call.ended", 61, agent="alice"),
        _second_queue("call.answered", 70, agent="bob"),
        _second_queue("call.ended", 150, agent="bob"),
    ],
    "click_to_dial.txt": [
        _dial("call.offered", 0, agent="alice"),
        _dial("call.answered", 15, agent="alice"),
        _dial("call.held", 40, agent="alice"),
        _dial("call.resumed", 52, agent="alice"),
        _dial("call.ended", 180, agent="alice"),
    ],
}
