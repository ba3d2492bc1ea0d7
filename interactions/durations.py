"""The durations and outcome flags of one interaction, exactly as SPEC §4 defines them.

This is the one place they are computed for a single interaction: the model's properties, the
API and the admin call these functions. All durations are seconds (float).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.utils.translation import gettext as _

from contactcenter.choices import Channel, Direction


class Timed(Protocol):
    channel: str
    direction: str
    offered_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    wrapup_ended_at: datetime | None
    hold_seconds: int | None
    sentiment: float | None


def _seconds(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()


def wait_seconds(i: Timed) -> float | None:
    """``answered_at − offered_at``; ``None`` when never answered."""
    if i.answered_at is None or i.offered_at is None:
        return None
    return _seconds(i.answered_at, i.offered_at)


def talk_seconds(i: Timed) -> float | None:
    """``ended_at − answered_at − hold_seconds``; ``None`` until answered and ended."""
    if i.answered_at is None or i.ended_at is None:
        return None
    return _seconds(i.ended_at, i.answered_at) - (i.hold_seconds or 0)


def acw_seconds(i: Timed) -> float:
    """After-call work, ``wrapup_ended_at − ended_at``; 0 when ``wrapup_ended_at`` is null."""
    if i.wrapup_ended_at is None or i.ended_at is None:
        return 0.0
    return _seconds(i.wrapup_ended_at, i.ended_at)


def handle_seconds(i: Timed) -> float | None:
    """Talk + hold + after-call work; ``None`` until answered and ended."""
    talk = talk_seconds(i)
    if talk is None:
        return None
    return talk + (i.hold_seconds or 0) + acw_seconds(i)


def is_short_abandon(i: Timed) -> bool:
    """Inbound, never answered, ended less than ``SHORT_ABANDON_SECONDS`` after it was offered."""
    return (
        i.direction == Direction.INBOUND
        and i.answered_at is None
        and i.ended_at is not None
        and i.offered_at is not None
        and _seconds(i.ended_at, i.offered_at) < settings.SHORT_ABANDON_SECONDS
    )


def is_offered(i: Timed) -> bool:
    """Counts as offered: inbound, not self-service IVR, not a short abandon."""
    return i.direction == Direction.INBOUND and i.channel != Channel.IVR and not is_short_abandon(i)


def is_abandoned(i: Timed) -> bool:
    """Offered, never answered, and over (the caller hung up or the contact was dropped)."""
    return is_offered(i) and i.answered_at is None and i.ended_at is not None


def validation_errors(i: Timed) -> dict[str, str]:
    """Field → message for every impossible combination of timestamps, hold and sentiment."""
    errors: dict[str, str] = {}
    offered, answered, ended, wrapup = i.offered_at, i.answered_at, i.ended_at, i.wrapup_ended_at
    if offered and answered and answered < offered:
        errors["answered_at"] = _("An interaction cannot be answered before it was offered.")
    if offered and ended and ended < offered:
        errors["ended_at"] = _("An interaction cannot end before it was offered.")
    elif answered and ended and ended < answered:
        errors["ended_at"] = _("An interaction cannot end before it was answered.")
    if wrapup and not ended:
        errors["wrapup_ended_at"] = _("After-call work cannot end while the conversation has no end time.")
    elif wrapup and ended and wrapup < ended:
        errors["wrapup_ended_at"] = _("After-call work cannot end before the conversation ended.")
    hold = i.hold_seconds
    if hold is not None and hold < 0:
        errors["hold_seconds"] = _("Hold time cannot be negative.")
    elif hold and answered is None:
        errors["hold_seconds"] = _("A contact that was never answered cannot have been on hold.")
    elif hold and answered and ended and ended >= answered and hold > _seconds(ended, answered):
        errors["hold_seconds"] = _("Hold time cannot be longer than the time between answer and end.")
    if i.sentiment is not None and not -1 <= i.sentiment <= 1:
        errors["sentiment"] = _("Sentiment must be between -1 and 1.")
    return errors
