"""What comes in: the kinds of contact (channel, queue, direction), their volumes on weekdays,
Saturdays and Sundays, their hourly curves, and the arrivals they make over a period (Poisson
counts per local hour).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from contactcenter.demo.simulator.center import BILLING, CHAT, EMAIL, SALES, SMS, SOCIAL, SUPPORT
from contactcenter.demo.simulator.common import HOUR, poisson
from contactcenter.demo.simulator.shifts import local
from contactcenter.demo.simulator.values import Channel, Direction

WEEKDAY, SATURDAY, SUNDAY = 0, 1, 2
#: Mondays are busier, Fridays a little quieter.
WEEKDAY_FACTOR = {0: 1.15, 1: 1.0, 2: 0.95, 3: 0.95, 4: 0.9}

# Relative arrivals per local hour (index 0 = midnight). Phones and chat peak at 10h and 14h on
# weekdays and are closed at night; written channels trickle in around the clock.
_VOICE_CURVE = (
    (0,) * 8 + (4, 8, 12, 10, 6, 7, 11, 9, 8, 6, 4, 2) + (0,) * 4,
    (0,) * 9 + (6, 10, 10, 6, 5, 8, 7, 5) + (0,) * 7,
    (0,) * 10 + (6, 7, 5, 4, 6, 5) + (0,) * 8,
)
_CHAT_CURVE = ((0,) * 8 + (3, 6, 8, 8, 6, 7, 8, 8, 7, 7, 6, 4) + (0,) * 4, _VOICE_CURVE[1], _VOICE_CURVE[2])
_IVR_DAY = (0,) * 7 + (2, 5, 8, 10, 9, 7, 7, 9, 8, 7, 6, 5, 4, 3, 2) + (0,) * 2
_OUTBOUND_CURVE = ((0,) * 10 + (5, 5, 0, 0, 5, 5, 5, 5) + (0,) * 6, (0,) * 24, (0,) * 24)
_EMAIL_DAY = (1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 3, 6, 8, 8, 7, 5, 6, 7, 7, 6, 5, 4, 4, 4, 3, 2, 1.5)
_SMS_DAY = (0.2, 0.1, 0, 0, 0, 0.1, 0.5, 2, 4, 5, 5, 5, 4, 4, 5, 5, 5, 5, 4, 3, 2, 1, 0.5, 0.3)
_SOCIAL_DAY = (1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 2, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 7, 7, 5, 3, 2)


@dataclass(frozen=True)
class Stream:
    """One kind of contact: channel, queue, direction, contacts per day (weekday, Saturday,
    Sunday) and the hourly curve of each kind of day."""

    channel: str
    queue: str | None
    direction: str
    per_day: tuple[float, float, float]
    curve: tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]


STREAMS: tuple[Stream, ...] = (
    Stream(Channel.VOICE, SUPPORT, Direction.INBOUND, (95, 30, 12), _VOICE_CURVE),
    Stream(Channel.VOICE, SALES, Direction.INBOUND, (30, 12, 5), _VOICE_CURVE),
    Stream(Channel.VOICE, BILLING, Direction.INBOUND, (40, 10, 0), _VOICE_CURVE),
    Stream(Channel.VOICE, SALES, Direction.OUTBOUND, (25, 0, 0), _OUTBOUND_CURVE),
    Stream(Channel.IVR, None, Direction.INBOUND, (90, 40, 20), (_IVR_DAY,) * 3),
    Stream(Channel.CHAT, CHAT, Direction.INBOUND, (30, 12, 6), _CHAT_CURVE),
    Stream(Channel.EMAIL, EMAIL, Direction.INBOUND, (60, 25, 20), (_EMAIL_DAY,) * 3),
    Stream(Channel.SMS, SMS, Direction.INBOUND, (15, 8, 5), (_SMS_DAY,) * 3),
    Stream(Channel.SOCIAL, SOCIAL, Direction.INBOUND, (12, 8, 6), (_SOCIAL_DAY,) * 3),
)


def arrivals(rng: random.Random, start: int, end: int, tz: ZoneInfo) -> list[tuple[int, int, Stream]]:
    """Every contact of every stream in ``[start, end)``, as ``(time, stream order, stream)`` in
    time order: Poisson counts per local hour."""
    found: list[tuple[int, int, Stream]] = []
    day = datetime.fromtimestamp(start, tz).date()
    last = datetime.fromtimestamp(end, tz).date()
    while day <= last:
        kind = SATURDAY if day.weekday() == 5 else SUNDAY if day.weekday() == 6 else WEEKDAY
        factor = WEEKDAY_FACTOR[day.weekday()] if kind == WEEKDAY else 1.0
        for order, stream in enumerate(STREAMS):
            for t in _stream_day(rng, stream, stream.per_day[kind] * factor, stream.curve[kind], day, tz):
                if start <= t < end:
                    found.append((t, order, stream))
        day += timedelta(days=1)
    found.sort(key=lambda a: (a[0], a[1]))
    return found


def _stream_day(
    rng: random.Random, stream: Stream, volume: float, curve: tuple[float, ...], day: date, tz: ZoneInfo
) -> list[int]:
    """The arrival times of ``stream`` on ``day``: ``volume`` contacts spread along ``curve``."""
    total = sum(curve)
    if not volume or not total:
        return []
    times = []
    for hour, weight in enumerate(curve):
        if not weight:
            continue
        hour_start = local(day, hour, 0, tz)
        times.extend(hour_start + rng.randrange(HOUR) for _n in range(poisson(rng, volume * weight / total)))
    return times
