"""The staffing forecast of one queue for one local day (SPEC §4, Staffing; issue #8).

For each 30-minute interval of the day, in ``TIME_ZONE``:

- **calls**: the mean offered volume (SPEC §4 "offered": inbound, not IVR, not a short abandon)
  of the same local interval on the same weekday over the last ``weeks`` weeks before the day.
  A history day on which the queue was offered nothing at all (a holiday, a day before the queue
  existed) is left out of the mean, so that it does not drag the forecast down; with no history
  day left, the forecast is 0 calls everywhere.
- **aht**: the history's AHT of that interval (handle seconds ÷ handled and ended interactions
  over the same days), else the AHT of those whole days, else :data:`DEFAULT_AHT_SECONDS`; the
  ``aht`` argument replaces it everywhere (the what-if).
- **agents**: Erlang C (:func:`kpis.staffing.required_agents`) for the queue's goal
  (``service_level_target`` within ``service_level_seconds``, or the ``target``/``threshold``
  arguments), **scheduled** with ``shrinkage``, the predicted service level and occupancy.

Daylight saving: the day's intervals are its real half hours, from local midnight to the next
one, so a spring day has 46 and an autumn day 50; an interval is matched with the history by its
local wall-clock start (``HH:MM``): both 02:00 intervals of an autumn day look up 02:00; on a
history day where a wall-clock interval happened twice, its volume counts per occurrence (half
each), and a history day where it did not happen at all is left out of that interval's mean.

All the history is read by **one** aggregate query, grouped by local day, hour and half hour in
the database, whatever the number of interactions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Case, Count, DateField, IntegerField, Q, Sum, Value, When
from django.db.models.functions import ExtractHour, ExtractMinute, Trunc
from django.utils import timezone
from django.utils.translation import gettext as _

from contactcenter.agents.models import Queue
from interactions import durations
from interactions.models import Interaction
from kpis.definitions import local_midnight
from kpis.staffing import MAX_ERLANGS, required_agents

#: The length of a forecast interval.
INTERVAL = timedelta(minutes=30)
#: The AHT assumed when the history has no handled call at all (and no ``aht`` is given).
DEFAULT_AHT_SECONDS = 180.0
#: Erlang C never reaches a goal of 100 %: a queue whose goal is 1 is planned for this.
HIGHEST_TARGET = 0.999


class ForecastError(ValueError):
    """Arguments the forecast cannot work with; ``errors`` maps each argument to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class ForecastInterval:
    start: datetime
    end: datetime
    calls: float
    aht: float
    agents: int
    scheduled: int
    service_level: float | None
    occupancy: float | None
    traffic: float

    @property
    def local_start(self) -> datetime:
        return timezone.localtime(self.start)

    @property
    def local_end(self) -> datetime:
        return timezone.localtime(self.end)


@dataclass(frozen=True)
class ForecastTotals:
    calls: float
    aht: float | None
    agent_hours: float
    scheduled_hours: float
    peak_agents: int
    peak_scheduled: int
    service_level: float | None
    occupancy: float | None


@dataclass(frozen=True)
class Forecast:
    queue: Queue
    day: date
    weeks: int
    target: float
    threshold: float
    shrinkage: float
    aht_override: float | None
    history_days: list[date]
    intervals: list[ForecastInterval] = field(default_factory=list)
    totals: ForecastTotals | None = None


def day_intervals(day: date) -> list[tuple[datetime, datetime]]:
    """The real half hours of local ``day`` as aware UTC ``[start, end)``: 48, or 46/50 on a
    daylight-saving change."""
    start, stop = local_midnight(day), local_midnight(day + timedelta(days=1))
    bounds = []
    while start < stop:
        bounds.append((start, min(start + INTERVAL, stop)))
        start += INTERVAL
    return bounds


def _slot(moment: datetime) -> tuple[int, int]:
    local = timezone.localtime(moment)
    return local.hour, local.minute // 30


def _occurrences(day: date) -> dict[tuple[int, int], int]:
    """How many times each local wall-clock half hour ``(hour, 0|1)`` happened on ``day``."""
    counts: dict[tuple[int, int], int] = {}
    for start, _end in day_intervals(day):
        counts[_slot(start)] = counts.get(_slot(start), 0) + 1
    return counts


def _history(queue: Queue, days: list[date]) -> dict[tuple[date, int, int], dict]:
    """One aggregate query: ``{(local day, hour, half): {offered, handled_ended, handle_seconds}}``."""
    zone = timezone.get_default_timezone()
    period = Q(pk__in=[])
    for day in days:
        period |= Q(offered_at__gte=local_midnight(day), offered_at__lt=local_midnight(day + timedelta(days=1)))
    handled_ended = durations.handled_q() & Q(ended_at__isnull=False)
    rows = (
        Interaction.objects.filter(period, queue=queue)
        .order_by()
        .annotate(local_minute=ExtractMinute("offered_at", tzinfo=zone))
        .values(
            local_day=Trunc("offered_at", "day", output_field=DateField(), tzinfo=zone),
            local_hour=ExtractHour("offered_at", tzinfo=zone),
            half=Case(When(local_minute__lt=30, then=Value(0)), default=Value(1), output_field=IntegerField()),
        )
        .annotate(
            offered=Count("pk", filter=durations.offered_q()),
            handled_ended=Count("pk", filter=handled_ended),
            handle_seconds=Sum(durations.handle_seconds_sql(), filter=handled_ended),
        )
    )
    return {(row["local_day"], row["local_hour"], row["half"]): row for row in rows}


def queue_forecast(
    *,
    queue: Queue,
    day: date,
    weeks: int = 6,
    aht: float | None = None,
    shrinkage: float = 0.0,
    target: float | None = None,
    threshold: float | None = None,
) -> Forecast:
    """The forecast of ``queue`` for local ``day`` (see the module's docstring).

    ``weeks`` (1–52) history weeks before ``day``; ``aht`` (seconds, > 0) replaces the history's
    AHT; ``shrinkage`` in [0, 1); ``target`` in (0, 1) and ``threshold`` (seconds, ≥ 0) replace the
    queue's goal. Raises :class:`ForecastError` naming each impossible argument, including a
    what-if whose traffic would pass :data:`kpis.staffing.MAX_ERLANGS` in an interval. One query.
    """
    errors = {}
    if not 1 <= weeks <= 52:
        errors["weeks"] = _("Give from 1 to 52 weeks of history.")
    if aht is not None and not aht > 0:
        errors["aht"] = _("The average handle time must be longer than 0 seconds.")
    if not 0 <= shrinkage < 1:
        errors["shrinkage"] = _("Shrinkage must be from 0 to below 1.")
    if target is not None and not 0 < target < 1:
        errors["target"] = _("The service-level goal must be above 0 and below 1.")
    if threshold is not None and threshold < 0:
        errors["threshold"] = _("The threshold cannot be negative.")
    if errors:
        raise ForecastError(errors)
    goal = min(target if target is not None else queue.service_level_target, HIGHEST_TARGET)
    within = float(threshold if threshold is not None else queue.service_level_seconds)
    history_days = [day - timedelta(weeks=k) for k in range(weeks, 0, -1)]
    history = _history(queue, history_days)

    used = [d for d in history_days if any(key[0] == d and row["offered"] for key, row in history.items())]
    occurrences = {d: _occurrences(d) for d in used}
    all_handled = sum(row["handled_ended"] for key, row in history.items() if key[0] in occurrences)
    all_seconds = sum(row["handle_seconds"] or 0.0 for key, row in history.items() if key[0] in occurrences)
    day_aht = all_seconds / all_handled if all_handled else DEFAULT_AHT_SECONDS

    seconds = INTERVAL.total_seconds()
    intervals = []
    for start, end in day_intervals(day):
        hour, half = _slot(start)
        volumes, handled, handle_seconds = [], 0, 0.0
        for d in used:
            happened = occurrences[d].get((hour, half), 0)
            if not happened:
                continue
            row = history.get((d, hour, half))
            volumes.append((row["offered"] if row else 0) / happened)
            if row:
                handled += row["handled_ended"]
                handle_seconds += row["handle_seconds"] or 0.0
        calls = sum(volumes) / len(volumes) if volumes else 0.0
        interval_aht = aht if aht is not None else (handle_seconds / handled if handled else day_aht)
        if calls * interval_aht / seconds > MAX_ERLANGS:
            raise ForecastError(
                {"aht": _("More than %(max)s Erlangs of traffic in one interval.") % {"max": MAX_ERLANGS}}
            )
        staffing = required_agents(
            calls=calls, interval=seconds, aht=interval_aht, target=goal, threshold=within, shrinkage=shrinkage
        )
        intervals.append(
            ForecastInterval(
                start=start,
                end=end,
                calls=calls,
                aht=interval_aht,
                agents=staffing.agents,
                scheduled=staffing.scheduled,
                service_level=staffing.service_level,
                occupancy=staffing.occupancy,
                traffic=staffing.traffic,
            )
        )
    return Forecast(
        queue=queue,
        day=day,
        weeks=weeks,
        target=goal,
        threshold=within,
        shrinkage=shrinkage,
        aht_override=aht,
        history_days=used,
        intervals=intervals,
        totals=_totals(intervals),
    )


def _totals(intervals: list[ForecastInterval]) -> ForecastTotals:
    """The day: calls summed; AHT, service level weighted by calls; agent hours (an agent for
    one half hour is half an hour); peaks; occupancy = traffic ÷ agents over the day."""
    calls = sum(i.calls for i in intervals)
    agents = sum(i.agents for i in intervals)
    staffed = [i for i in intervals if i.service_level is not None]
    staffed_calls = sum(i.calls for i in staffed)
    hours = INTERVAL.total_seconds() / 3600
    return ForecastTotals(
        calls=calls,
        aht=sum(i.calls * i.aht for i in intervals) / calls if calls else None,
        agent_hours=agents * hours,
        scheduled_hours=sum(i.scheduled for i in intervals) * hours,
        peak_agents=max((i.agents for i in intervals), default=0),
        peak_scheduled=max((i.scheduled for i in intervals), default=0),
        service_level=sum(i.calls * i.service_level for i in staffed) / staffed_calls if staffed_calls else None,
        occupancy=sum(i.traffic for i in intervals) / agents if agents else None,
    )
