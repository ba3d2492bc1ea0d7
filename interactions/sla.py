"""Business-hours arithmetic for SLA due times (SPEC §3: counted in the center's weekly calendar
with holidays)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

#: A calendar that is never open would loop for ever; past this many days we give up.
MAX_DAYS_AHEAD = 3 * 366


class NoBusinessHours(Exception):
    """The calendar has no opening time in the next years: no due time can be computed."""


def add_business_time(
    start: datetime,
    minutes: int,
    *,
    windows: list[tuple[int, time, time]],
    holidays: set[date],
    tz: ZoneInfo | None = None,
) -> datetime:
    """The moment ``minutes`` of opening time after ``start``.

    ``windows`` are ``(weekday, opens_at, closes_at)`` in local time (``TIME_ZONE``), Monday 0;
    ``holidays`` are closed local dates. A start outside opening hours waits for the next opening.
    """
    tz = tz or ZoneInfo(settings.TIME_ZONE)
    by_day: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for weekday, opens, closes in windows:
        by_day[weekday].append((opens, closes))
    for spans in by_day.values():
        spans.sort()
    remaining = timedelta(minutes=minutes)
    cursor = start.astimezone(tz)
    day = cursor.date()
    for _ in range(MAX_DAYS_AHEAD):
        if day not in holidays:
            for opens, closes in by_day.get(day.weekday(), []):
                window_start = datetime.combine(day, opens, tzinfo=tz)
                window_end = datetime.combine(day, closes, tzinfo=tz)
                begin = max(cursor, window_start)
                if begin >= window_end:
                    continue
                available = window_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += timedelta(days=1)
        cursor = datetime.combine(day, time.min, tzinfo=tz)
    raise NoBusinessHours("No business hours in the calendar: check the business hours settings.")


def business_minutes_between(
    start: datetime,
    end: datetime,
    *,
    windows: list[tuple[int, time, time]],
    holidays: set[date],
    tz: ZoneInfo | None = None,
) -> float:
    """Minutes of opening time in ``[start, end)`` (the inverse of :func:`add_business_time`)."""
    tz = tz or ZoneInfo(settings.TIME_ZONE)
    if end <= start:
        return 0.0
    by_day: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for weekday, opens, closes in windows:
        by_day[weekday].append((opens, closes))
    begin, finish = start.astimezone(tz), end.astimezone(tz)
    total = timedelta()
    day = begin.date()
    while day <= finish.date():
        if day not in holidays:
            for opens, closes in by_day.get(day.weekday(), []):
                low = max(begin, datetime.combine(day, opens, tzinfo=tz))
                high = min(finish, datetime.combine(day, closes, tzinfo=tz))
                if high > low:
                    total += high - low
        day += timedelta(days=1)
    return total.total_seconds() / 60
