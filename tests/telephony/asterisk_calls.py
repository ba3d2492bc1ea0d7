"""The call events each Asterisk transcript stands for (``docs/telephony.md``, "What each AMI event
becomes"): what the bridge must make of it, and what the tests post through the CTI intake to
build the interaction the bridge's must equal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

#: 1767603600 in the transcripts.
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

#: The agents' extensions in these tests, as written on their profiles.
EXTENSIONS = {"agent_a": "1001", "agent_b": "PJSIP/1002"}
RECORDING = "/var/spool/asterisk/monitor/2026/01/05/q-400-+33123456789-20260105-090000-1767603600.42.wav"


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def event(kind: str, call_id: str, seconds: float, caller: str, queue: str, agent: str | None = None, **extra):
    return {
        "event": kind,
        "call_id": call_id,
        "timestamp": at(seconds),
        "from": caller,
        "queue": queue,
        "agent": agent,
        **extra,
    }


A, B = "agent_a", "agent_b"
FR, MOBILE, INTL = "+33123456789", "0612345678", "0033123456789"

EXPECTED: dict[str, list[dict]] = {
    "answered.ami": [
        event("call.offered", "1767603600.42", 1, FR, "400"),
        event("call.answered", "1767603600.42", 9.0002, FR, "400", A),
        event("call.ended", "1767603600.42", 190, FR, "400", A, recording=RECORDING),
    ],
    "abandoned.ami": [
        event("call.offered", "1767603900.50", 300, MOBILE, "400"),
        event("call.abandoned", "1767603900.50", 325, MOBILE, "400"),
    ],
    "hold.ami": [
        event("call.offered", "1767604200.60", 600, FR, "400"),
        event("call.answered", "1767604200.60", 605, FR, "400", A),
        event("call.held", "1767604200.60", 660, FR, "400", A),
        event("call.resumed", "1767604200.60", 680, FR, "400", A),
        event("call.held", "1767604200.60", 700, FR, "400", A),
        event("call.resumed", "1767604200.60", 715, FR, "400", A),
        event("call.ended", "1767604200.60", 910, FR, "400", A),
    ],
    "transfer.ami": [
        event("call.offered", "1767605000.70", 1400, FR, "400"),
        event("call.answered", "1767605000.70", 1404, FR, "400", A),
        event("call.ended", "1767605000.70", 1460, FR, "400", A, transferred_to="401"),
        event("call.offered", "1767605000.70-2", 1460.2, FR, "401"),
        event("call.answered", "1767605000.70-2", 1470, FR, "401", B),
        event("call.ended", "1767605000.70-2", 1600, FR, "401", B),
    ],
    "agent_hangup.ami": [
        event("call.offered", "1767606000.80", 2400, INTL, "401"),
        event("call.answered", "1767606000.80", 2412, INTL, "401", B),
        event("call.ended", "1767606000.80", 2495.0003, INTL, "401", B),
    ],
}

#: Each transcript's calls: call id → (hold seconds, abandoned).
OUTCOMES = {
    "answered.ami": {"1767603600.42": (0, False)},
    "abandoned.ami": {"1767603900.50": (0, True)},
    "hold.ami": {"1767604200.60": (35, False)},
    "transfer.ami": {"1767605000.70": (0, False), "1767605000.70-2": (0, False)},
    "agent_hangup.ami": {"1767606000.80": (0, False)},
}
