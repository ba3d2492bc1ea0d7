"""Background jobs of telephony (see :mod:`contactcenter.core.jobs`): the Twilio bridge's commands,
fetching the recordings the phone system names, deleting those past their time."""

from __future__ import annotations

import logging
from datetime import time, timedelta
from typing import Any

from contactcenter.core.jobs import Every, enqueue, job
from contactcenter.telephony import recordings
from contactcenter.telephony.models import Command, Recording
from contactcenter.telephony.twilio_bridge import twilio_command_run

logger = logging.getLogger("contactcenter.telephony")


@job(retries=0)
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


@job(retries=6, backoff=timedelta(seconds=30))
def recording_fetch(interaction_id: int, location: str) -> dict[str, object]:
    """Copy the recording the phone system named for a call into storage
    (:func:`contactcenter.telephony.recordings.recording_fetch`). Tried again 30 s, 1, 2, 4, 8 and
    16 minutes later while the recording cannot be read (not written yet, network, server error);
    a recording that can never be taken (outside ``RECORDINGS_PBX_ROOT``, not audio, too large) is
    logged and dropped.

    Runs twice safely: an interaction that has its recording is left alone."""
    try:
        recording = recordings.recording_fetch(interaction_id=interaction_id, location=location)
    except recordings.RecordingRefused as refused:
        logger.warning("recording of interaction %s not fetched: %s", interaction_id, refused)
        return {"refused": str(refused)}
    except recordings.RecordingUnavailable as unavailable:
        logger.info("recording of interaction %s not there yet: %s", interaction_id, unavailable)
        raise
    return {"recording": recording.pk if recording is not None else None}


def recording_fetch_schedule(*, interaction_id: int, location: str) -> None:
    """The CTI intake's recording hook (:func:`interactions.cti.cti_recording_hook_register`): a
    call that is over named its recording; queue fetching it, in the intake's transaction (no job
    for an event that was not stored), unless the interaction has one."""
    if Recording.objects.filter(interaction_id=interaction_id).exists():
        return
    enqueue(recording_fetch, interaction_id, location)


@job(every=Every(at=time(2, 57)))
def recordings_expire() -> dict[str, int]:
    """Delete the recordings past their ``retain_until`` (``RECORDING_RETENTION_DAYS`` after they
    were stored), files and all.

    Runs twice safely: what is deleted is not found again."""
    return {"deleted": recordings.recordings_expire()}
