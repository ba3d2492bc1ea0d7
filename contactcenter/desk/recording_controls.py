"""What the call bar shows of the call's recording during a call (``desk/recordings.py`` has the
buttons' view): whether it is paused now, and whether the buttons work."""

from __future__ import annotations

from dataclasses import dataclass

from contactcenter.desk import selectors
from contactcenter.telephony.models import Capability
from contactcenter.telephony.services import capabilities_online
from interactions.models import Interaction


@dataclass(frozen=True)
class RecordingControls:
    """What the call bar shows of the recording: whether it is paused now, and whether the buttons
    work (``available``), with a message after a click."""

    call_id: str
    paused: bool
    available: bool
    message: str = ""


def call_of(interaction: Interaction | None) -> tuple[str, bool]:
    """The phone system's id of ``interaction``'s call and whether its recording is paused now
    (its CTI call, joined with the current call: no query)."""
    call = getattr(interaction, "cti_call", None) if interaction is not None else None
    if call is None:
        return "", False
    spans = call.recording_paused or []
    return call.call_id, bool(spans) and spans[-1][1] is None


def recording_controls(
    bar: selectors.CallBar, *, message: str = "", online: frozenset[str] | None = None
) -> RecordingControls | None:
    """The controls of ``bar`` during a call (``None`` otherwise: nothing to pause). One query
    (the bridges online), during a call only, unless ``online`` says what they can do."""
    if bar.phase not in ("talking", "on_hold"):
        return None
    call_id, paused = call_of(bar.interaction)
    if not call_id:
        return None
    available = Capability.RECORDING_PAUSE in (online if online is not None else capabilities_online())
    return RecordingControls(call_id=call_id, paused=paused, available=available, message=message)
