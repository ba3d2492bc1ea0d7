"""Background jobs of telephony (see :mod:`contactcenter.core.jobs`)."""

from __future__ import annotations

from typing import Any

from contactcenter.core.jobs import enqueue, job
from contactcenter.telephony.models import Command
from contactcenter.telephony.twilio_bridge import twilio_command_run


@job(retries=0, timeout=60)
def twilio_command(command_id: int) -> dict[str, Any] | None:
    """Carry out a command asked of the Twilio bridge (click-to-dial, transfer, the recording's
    pause) through Twilio's REST API, and record what Twilio answered on the command.

    Runs twice safely: the command is taken (pending → sent) under its row lock before Twilio is
    called, so a second run finds it taken and does nothing; a command that waited past its expiry
    is expired instead of carried out. Not retried: a dial tried again later would ring the agent's
    phone when nobody asked any more; the command says why it failed and the agent asks again."""
    return twilio_command_run(command_id=command_id)


def twilio_command_requested(command: Command) -> None:
    """Hook run once a command for the Twilio bridge is stored (after its transaction commits)."""
    enqueue(twilio_command, command.pk)
