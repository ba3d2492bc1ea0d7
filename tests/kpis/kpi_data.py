"""Helpers that build the small, hand-computable data sets of the KPI tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from contactcenter.agents.models import PresenceInterval
from interactions.models import Interaction
from tests.interactions.factories import InteractionFactory

PARIS = ZoneInfo("Europe/Paris")
#: The week of most tests: Monday 2 March 2026 to Sunday 8 March, local days.
START, END = date(2026, 3, 2), date(2026, 3, 9)


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0, month: int = 3) -> datetime:
    """A local (Paris) time in 2026, March unless told."""
    return datetime(2026, month, day, hour, minute, second, microsecond, tzinfo=PARIS)


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def contact(
    offered: datetime,
    *,
    agent=None,
    queue=None,
    customer=None,
    wait: float | None = None,
    talk: float | None = None,
    hold: int = 0,
    acw: float | None = None,
    ended_after: float | None = None,
    channel: str = "voice",
    direction: str = "inbound",
    sentiment: float | None = None,
) -> Interaction:
    """One interaction: answered ``wait`` s after it was offered, over ``talk`` s later (hold
    included), after-call work ``acw`` s; unanswered and over ``ended_after`` s after it was
    offered; neither: still waiting."""
    answered = offered + seconds(wait) if wait is not None else None
    if answered is not None and talk is not None:
        ended = answered + seconds(talk)
    elif ended_after is not None:
        ended = offered + seconds(ended_after)
    else:
        ended = None
    return InteractionFactory(
        channel=channel,
        direction=direction,
        customer=customer,
        agent=agent,
        queue=queue,
        offered_at=offered,
        answered_at=answered,
        ended_at=ended,
        wrapup_ended_at=ended + seconds(acw) if acw is not None and ended is not None else None,
        hold_seconds=hold,
        sentiment=sentiment,
    )


def presence(agent, status: str, started: datetime, ended: datetime | None) -> PresenceInterval:
    return PresenceInterval.objects.create(agent=agent, status=status, started_at=started, ended_at=ended)
