"""What the quality pages' tests share: a published scorecard, a QA evaluator of a team, a call with
its recording (a real WAV file) and its recording paused for a card payment."""

from __future__ import annotations

import io
import math
import struct
import wave
from datetime import datetime, timedelta

from django.utils import timezone

from contactcenter.quality.models import (
    Criterion,
    EvaluatorTeam,
    Scale,
    Scorecard,
    ScorecardSection,
    ScorecardVersion,
    VersionState,
)
from contactcenter.telephony.recordings import recording_store
from interactions.cti import cti_event_apply
from tests.agents.factories import AgentProfileFactory

#: The criteria of the scorecard: key, title, scale, max points, weight, allow n.a., critical.
CRITERIA = [
    ("identity", "Identity checked", Scale.YES_NO, None, 2, False, True),
    ("greeting", "Greeting", Scale.YES_NO, None, 1, False, False),
    ("empathy", "Empathy", Scale.POINTS, 4, 2, True, False),
    ("upsell", "Offer suggested", Scale.YES_NO, None, 1, True, False),
]


def published_scorecard(*, name: str = "Calls", by=None, queue=None) -> ScorecardVersion:
    """A scorecard with one published version: two sections, the four ``CRITERIA``."""
    scorecard = Scorecard.objects.create(name=name, queue=queue, created_by=by)
    version = ScorecardVersion.objects.create(scorecard=scorecard, number=1)
    opening = ScorecardSection.objects.create(version=version, title="Opening", position=1)
    handling = ScorecardSection.objects.create(version=version, title="Handling", position=2)
    for position, (key, title, scale, points, weight, allow_na, critical) in enumerate(CRITERIA):
        Criterion.objects.create(
            section=opening if position < 2 else handling,
            key=key,
            title=title,
            guidance=f"What to look for: {title.lower()}.",
            scale=scale,
            max_points=points,
            weight=weight,
            allow_na=allow_na,
            critical=critical,
            position=position,
        )
    ScorecardVersion.objects.filter(pk=version.pk).update(state=VersionState.PUBLISHED, published_at=timezone.now())
    version.refresh_from_db()
    return version


def criteria_of(version: ScorecardVersion) -> dict[str, Criterion]:
    return {criterion.key: criterion for criterion in Criterion.objects.filter(section__version=version)}


def quality_user(username: str, *teams, **fields):
    """A QA evaluator (the ``quality`` role) assigned ``teams``."""
    user = AgentProfileFactory(user__username=username, role="quality", team=None, queues=[], **fields).user
    for team in teams:
        EvaluatorTeam.objects.create(user=user, team=team)
    return user


def wav_bytes(seconds: float = 8.0, rate: int = 8000) -> bytes:
    """A real WAV file: a 440 Hz tone, mono, 16-bit."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate))) for n in range(int(seconds * rate))
        )
        out.writeframes(frames)
    return buffer.getvalue()


def recorded_call(*, agent, queue, by, call_id: str = "qm-call-1", start: datetime | None = None):
    """A call answered by ``agent`` through the CTI intake, its recording paused from 0:03 to 0:05
    (a card number read out), ended at 0:08; its 8-second recording stored."""
    start = start or timezone.now() - timedelta(hours=1)
    outcome = None
    for seconds, event in (
        (0, "call.offered"),
        (0, "call.answered"),
        (3, "call.recording_paused"),
        (5, "call.recording_resumed"),
        (8, "call.ended"),
    ):
        outcome = cti_event_apply(
            event=event,
            call_id=call_id,
            timestamp=start + timedelta(seconds=seconds),
            caller="+33 6 12 34 56 78",
            queue=queue,
            agent=agent if event != "call.offered" else None,
            by=by,
        )
    interaction = outcome.interaction
    recording_store(interaction=interaction, file=io.BytesIO(wav_bytes()), by=by)
    return interaction
