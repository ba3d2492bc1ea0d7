"""Pre-aggregated KPI counts (STYLE §8, docs/kpis.md "Rollups"): fill them, and read them.

:class:`~kpis.models.KpiDailyCount` holds, per local day × agent × queue × channel, the additive
sums behind every interaction KPI (the aggregates of :mod:`kpis.definitions` that the engine runs
too, here over one day at a time), and :class:`~kpis.models.KpiDailyQueueCount` the same summed
over the agents, per local day × queue × channel, for the reports with no agent in them;
:class:`~kpis.models.KpiDay` is each day's fill state. The
engine (:mod:`kpis.selectors`, which calls this module; this module never calls it) answers the
whole days whose state says *final* from the rollup and everything else (today, days not filled
yet, days a write has touched since, FCR of days whose look-ahead window is not over) from the
interactions, and adds both up: the same counts either way, so the same report.

Writes never have to remember the rollup: database triggers (``kpis/migrations/0002_rollups.py``)
turn a day's flags off in the writing transaction, whoever writes (services, admin, demo loads,
bulk loads, raw SQL). ``python manage.py kpis_rollup`` (:func:`rollup_fill`) fills what is missing
or stale, one day per transaction, and may run at any time, as often as wanted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, Case, Count, Exists, F, Max, Min, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from contactcenter.agents.models import PresenceInterval
from interactions import durations
from interactions.models import Interaction, SurveyResponse
from kpis.definitions import (
    FCR_COUNTS,
    OCCUPIED_STATUSES,
    SENTIMENT_NEUTRAL_BAND,
    STAFFED_STATUSES,
    TIME_GROUPS,
    DayRanges,
    KpiFilters,
    KpiQuery,
    bucket_key,
    bucket_start,
    clipped_seconds,
    fcr_aggregates,
    fcr_contacts_q,
    grouped,
    local_midnight,
    repeat_contacts,
    survey_aggregates,
    volume_aggregates,
)
from kpis.models import FcrFlags, KpiDailyCount, KpiDailyPresence, KpiDailyQueueCount, KpiDay
from kpis.queue_counts import counters_sync

#: Groupings that need the rollup per agent (:class:`KpiDailyCount`); the others of a report over
#: the whole center read the rollup per queue (:class:`KpiDailyQueueCount`).
AGENT_GROUPS = ("agent", "team")
#: The columns of :class:`KpiDailyCount` summed from the volume and survey aggregates, and from FCR.
COUNT_COLUMNS = (*volume_aggregates(), *survey_aggregates())
FCR_COLUMNS = FCR_COUNTS
#: Bump when a KPI's definition changes in code (``interactions/durations.py``, the engine's
#: aggregates): every filled day then reads raw until ``kpis_rollup`` has filled it again.
ROLLUP_VERSION = 1
#: The report filters the rollup rows can answer (they are keyed by agent, queue and channel);
#: a report with any other filter set is computed from the interactions.
ROLLUP_FILTERS = frozenset({"agent", "team", "queue", "channel"})
#: How long the fill waits for write transactions older than its day states (PostgreSQL).
SETTLE_TIMEOUT_SECONDS = 60.0


class RollupBusyError(Exception):
    """A long write transaction kept the fill from starting safely."""


def definition() -> str:
    """The settings a rollup day depends on; a day filled under others is not used."""
    return "|".join(
        str(part)
        for part in (
            f"v{ROLLUP_VERSION}",
            settings.TIME_ZONE,
            settings.SHORT_ABANDON_SECONDS,
            settings.FCR_WINDOW_DAYS,
            durations.DEFAULT_SERVICE_LEVEL_SECONDS,
            SENTIMENT_NEUTRAL_BAND,
        )
    )


# --- The repeat flags ------------------------------------------------------------------------------

#: The advisory lock class and keys of the flags' triggers (``kpis/migrations/0005``).
FLAGS_LOCK_CLASS = 1178813010
FLAGS_LOCK_KEYS = 512
#: Interactions per transaction when the flags are recomputed.
FLAGS_BATCH = 20000


def flags_usable() -> bool:
    """Whether ``Interaction.fcr_repeated`` holds the FCR definition of the current settings: the
    flags are ``ready`` and were kept with this short-abandon threshold and window. One query."""
    return FcrFlags.objects.filter(
        pk=1,
        ready=True,
        short_abandon_seconds=float(settings.SHORT_ABANDON_SECONDS),
        window_days=settings.FCR_WINDOW_DAYS,
    ).exists()


def _flags_truth() -> Any:
    """The flag every interaction must carry: :func:`~kpis.definitions.repeat_contacts` of the
    settings, asked of each contact (the recompute only: the triggers do it one customer at a time)."""
    return Case(
        When(fcr_contacts_q() & Exists(repeat_contacts()), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def flags_sync(
    *,
    force: bool = False,
    at_once: bool = False,
    progress: Callable[[Iterable[int], int], Iterable[int]] | None = None,
) -> int | None:
    """Bring the repeat flags in line with the settings: when the ``FcrFlags`` row holds another
    threshold or window, or is not ``ready`` (or ``force``), store the settings' (the triggers use
    them from then on) with ``ready`` off, recompute every flag, then set ``ready``; when a flag
    changed, every filled day's FCR is marked not final (the next fill counts it again). Returns
    the interactions whose flag changed, ``None`` when there was nothing to do.

    On PostgreSQL the flags are computed set-based (:data:`FLAGS_SQL`: one pass of a window
    function over each customer's contacts in offer order), one batch of customers per
    transaction (about :data:`FLAGS_BATCH` interactions each; ``progress`` wraps the batches), or
    all in one statement with ``at_once`` (a bulk load, nothing else writing); each transaction
    takes every key of the triggers' advisory lock, so no concurrent trigger interleaves. On SQLite
    (one writer at a time), by batches of ids, each contact asked :func:`_flags_truth`."""
    short, window = float(settings.SHORT_ABANDON_SECONDS), settings.FCR_WINDOW_DAYS
    state = FcrFlags.objects.filter(pk=1).first()
    if not force and state and state.ready and (state.short_abandon_seconds, state.window_days) == (short, window):
        return None
    FcrFlags.objects.update_or_create(
        pk=1, defaults={"short_abandon_seconds": short, "window_days": window, "ready": False}
    )
    if connection.vendor == "postgresql":
        changed = _flags_recompute_postgresql(short, window, at_once=at_once, progress=progress)
    else:
        changed = _flags_recompute_batches(progress)
    if changed:
        # The triggers carry no flag change into the rollup while the flags are not ready: a day
        # filled from the flags before (a load that wrote them wrong) is filled again.
        KpiDay.objects.filter(fcr_final=True).update(fcr_final=False)
    FcrFlags.objects.filter(pk=1).update(ready=True, computed_at=timezone.now())
    return changed


def flags_ensure_after_migrate(sender: object, apps: Any = None, using: str = "default", **kwargs: Any) -> None:
    """After ``migrate`` (or ``flush``, which empties every table, this one included), the
    :class:`FcrFlags` row exists, so that the triggers keep the flags: ``ready`` when there is no
    interaction (no flag to compute), otherwise left for ``kpis_rollup`` to recompute. Nothing when
    the table is not migrated yet."""
    try:
        flags = apps.get_model("kpis", "FcrFlags") if apps else FcrFlags
        interactions = apps.get_model("interactions", "Interaction") if apps else Interaction
    except LookupError:
        return
    if flags.objects.using(using).filter(pk=1).exists():
        return
    flags.objects.using(using).create(
        pk=1,
        short_abandon_seconds=float(settings.SHORT_ABANDON_SECONDS),
        window_days=settings.FCR_WINDOW_DAYS,
        ready=not interactions.objects.using(using).exists(),
    )


#: Every interaction's repeat flag, set-based (PostgreSQL): a contact is repeated when one of its
#: customer's rows offered in ``(t, t + window]`` counts as a repeat. The window function reads each
#: customer's rows in offer order once (the index on customer and offer time gives that order), its
#: frame starting a microsecond after the row (PostgreSQL keeps microseconds: "strictly after", so a
#: row at the same instant is no repeat) and ending ``window`` after it, and ``bool_or`` slides along
#: (no probe per contact). Only the rows whose flag changes are written. Parameters: the short-abandon
#: threshold, the window in seconds, the first customer id and the one after the last.
FLAGS_SQL = """
UPDATE interactions_interaction x SET fcr_repeated = s.flag
FROM (
    SELECT i.id, i.fcr_repeated AS was,
        (i.answered_at IS NOT NULL AND i.agent_id IS NOT NULL AND i.direction = 'inbound'
         AND COALESCE(bool_or(i.direction = 'inbound' AND NOT (i.answered_at IS NULL AND i.ended_at IS NOT NULL
                AND CAST(EXTRACT(EPOCH FROM (i.ended_at - i.offered_at)) AS double precision) < %(short)s))
            OVER (PARTITION BY i.customer_id ORDER BY i.offered_at
                  RANGE BETWEEN interval '1 microsecond' FOLLOWING AND make_interval(secs => %(window)s) FOLLOWING),
            false)) AS flag
    FROM interactions_interaction i
    WHERE i.customer_id >= %(first)s AND i.customer_id < %(after)s
) s
WHERE x.id = s.id AND s.was IS DISTINCT FROM s.flag
"""
#: The flags of the rows without a customer (never a contact FCR counts).
FLAGS_NO_CUSTOMER_SQL = (
    "UPDATE interactions_interaction SET fcr_repeated = false WHERE customer_id IS NULL AND fcr_repeated"
)


def _flags_locked(cursor: Any) -> None:
    """In the current transaction: every key of the triggers' lock, and their leave to write flags."""
    cursor.execute(
        "SELECT count(pg_advisory_xact_lock(%s, key)) FROM generate_series(0, %s) AS key",
        [FLAGS_LOCK_CLASS, FLAGS_LOCK_KEYS - 1],
    )
    cursor.execute("SET LOCAL kpis.fcr_recompute = 'on'")


def _flags_recompute_postgresql(
    short: float, window: int, *, at_once: bool, progress: Callable[[Iterable[int], int], Iterable[int]] | None
) -> int:
    bounds = Interaction.objects.filter(customer__isnull=False).aggregate(
        first=Min("customer_id"), last=Max("customer_id"), rows=Count("pk")
    )
    with transaction.atomic(), connection.cursor() as cursor:
        _flags_locked(cursor)
        cursor.execute(FLAGS_NO_CUSTOMER_SQL)
        changed = cursor.rowcount
    if bounds["first"] is None:
        return changed
    first, after = bounds["first"], bounds["last"] + 1
    step = after - first
    if not at_once:  # batches of customer ids of about FLAGS_BATCH interactions each
        step = max(1, (after - first) * FLAGS_BATCH // bounds["rows"])
    starts = range(first, after, step)
    parameters = {"short": short, "window": window * 86400}
    for start in progress(starts, len(starts)) if progress else starts:
        with transaction.atomic(), connection.cursor() as cursor:
            _flags_locked(cursor)
            cursor.execute(FLAGS_SQL, {**parameters, "first": start, "after": min(start + step, after)})
            changed += cursor.rowcount
    return changed


def _flags_recompute_batches(progress: Callable[[Iterable[int], int], Iterable[int]] | None) -> int:
    bounds = Interaction.objects.aggregate(first=Min("pk"), last=Max("pk"))
    changed = 0
    if bounds["first"] is not None:
        starts = range(bounds["first"], bounds["last"] + 1, FLAGS_BATCH)
        for start in progress(starts, len(starts)) if progress else starts:
            with transaction.atomic():
                batch = Interaction.objects.filter(pk__gte=start, pk__lt=start + FLAGS_BATCH)
                truth = _flags_truth()
                changed += batch.exclude(fcr_repeated=truth).update(fcr_repeated=truth)
    return changed


# --- Reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RollupPlan:
    """Which days of a report come from where: ``counts_days`` / ``fcr_days`` from the rollup,
    ``raw_counts`` / ``raw_fcr`` (local ``[first, following)`` ranges) from the interactions;
    ``presence_days``: the days whose occupancy the rollup holds."""

    counts_days: tuple[date, ...]
    fcr_days: tuple[date, ...]
    raw_counts: DayRanges
    raw_fcr: DayRanges
    presence_days: tuple[date, ...] = ()

    def presence_until(self, start: date, end: date, now: datetime) -> date:
        """The end of the leading run of ``[start, end)`` days whose occupancy comes from the
        rollup (days over by ``now``); occupancy from there on is computed from the presence log,
        in one stretch (so in one query)."""
        held = set(self.presence_days)
        day = start
        while day < end and day in held and local_midnight(day + timedelta(days=1)) <= now:
            day += timedelta(days=1)
        return day


def _uncovered(start: date, end: date, covered: set[date]) -> DayRanges:
    """The days of ``[start, end)`` not in ``covered``, as maximal ``[first, following)`` ranges."""
    ranges: DayRanges = []
    day = start
    while day < end:
        if day in covered:
            day += timedelta(days=1)
            continue
        first = day
        while day < end and day not in covered:
            day += timedelta(days=1)
        ranges.append((first, day))
    return ranges


def all_raw(start: date, end: date) -> RollupPlan:
    """The plan that reads every day from the interactions and the presence log."""
    return RollupPlan(counts_days=(), fcr_days=(), raw_counts=[(start, end)], raw_fcr=[(start, end)])


def can_serve(filters: KpiFilters) -> bool:
    """Whether the rollup can answer a report with these ``KpiFilters`` (see :data:`ROLLUP_FILTERS`)."""
    return not any(getattr(filters, item.name) for item in fields(filters) if item.name not in ROLLUP_FILTERS)


def _days_q(days: Iterable[date]) -> Q:
    """``day`` in ``days``, as one range per run of consecutive days (an index range each)."""
    condition = Q()
    ordered = sorted(days)
    first = previous = ordered[0]
    for day in [*ordered[1:], None]:
        if day is not None and day == previous + timedelta(days=1):
            previous = day
            continue
        condition |= Q(day__gte=first, day__lte=previous) if first != previous else Q(day=first)
        if day is not None:
            first = previous = day
    return condition


def rollup_plan(start: date, end: date) -> RollupPlan:
    """The plan of a report over the local days ``[start, end)``: one query (the days' states)."""
    current = definition()
    # A sealed day's occupancy is in the rollup only (its presence log is gone): read it whatever
    # its flags and definition say.
    states = KpiDay.objects.filter(day__gte=start, day__lt=end).filter(
        Q(definition=current) & (Q(counts_final=True) | Q(fcr_final=True) | Q(presence_final=True))
        | Q(presence_sealed=True)
    )
    counts, fcr, presence = set(), set(), set()
    rows = states.values_list("day", "definition", "presence_sealed", "counts_final", "fcr_final", "presence_final")
    for day, day_definition, sealed, *flags in rows:
        if sealed:
            presence.add(day)
        if day_definition != current:
            continue
        for held, final in zip((counts, fcr, presence), flags, strict=True):
            if final:
                held.add(day)
    return RollupPlan(
        counts_days=tuple(sorted(counts)),
        fcr_days=tuple(sorted(fcr)),
        raw_counts=_uncovered(start, end, counts),
        raw_fcr=_uncovered(start, end, fcr),
        presence_days=tuple(sorted(presence)),
    )


def _agentless(report: KpiQuery) -> bool:
    """Whether the report has no agent in it (the whole center, no agent or team filter, not by
    agent or team): then the rollup per queue answers it, the same sums in fewer rows."""
    return (
        report.scope.everything
        and not (report.filters.agent or report.filters.team)
        and report.group_by not in AGENT_GROUPS
    )


def rollup_family(report: KpiQuery, plan: RollupPlan) -> dict[str | None, dict]:
    """The rollup's share of a report: one grouped query over the :class:`KpiDailyCount` rows of
    the plan's days (:class:`KpiDailyQueueCount`'s for a report with no agent in it: as many rows
    whatever the number of agents), with the report's scope and filters (the same conditions as on
    interactions: the rows carry the same agent, queue and channel, and the team is the agent's
    current one, joined now). None when the plan holds no day."""
    if not plan.counts_days and not plan.fcr_days:
        return {}
    every_day = {*plan.counts_days, *plan.fcr_days}
    aggregates: dict[str, Sum] = {}
    for days, columns in ((plan.counts_days, COUNT_COLUMNS), (plan.fcr_days, FCR_COLUMNS)):
        if days:
            # A FILTER per column only when these columns hold fewer days than the rows read.
            only = _days_q(days) if len(days) < len(every_day) else None
            aggregates |= {name: Sum(name, filter=only) for name in columns}
    counts = KpiDailyQueueCount if _agentless(report) else KpiDailyCount
    rows = counts.objects.filter(report.scope.interactions_q(), report.filters.interactions_q(), _days_q(every_day))
    group_by = report.group_by
    if group_by is None:
        return {None: rows.aggregate(**aggregates)}
    if group_by in TIME_GROUPS:
        result: dict[str | None, dict] = {}
        for row in rows.order_by().values("day").annotate(**aggregates):
            day = row.pop("day")
            key = bucket_key(group_by, bucket_start(group_by, day))
            bucket = result.setdefault(key, {})
            for name, value in row.items():
                if value is not None:
                    bucket[name] = bucket.get(name, 0) + value
        return result
    return grouped(rows, group_by, "", aggregates)


def presence_family(report: KpiQuery, until: date) -> dict[str | None, dict]:
    """Occupied and staffed seconds of the report's days ``[start, until)`` from
    :class:`KpiDailyPresence`, with the report's scope and agent/team filters, grouped like the
    report (none, agent, team, day, week, month): one query, none when ``until`` is ``start``."""
    if until <= report.start:
        return {}
    rows = KpiDailyPresence.objects.filter(
        report.scope.agents_q(), report.filters.agents_q(), day__gte=report.start, day__lt=until
    )
    aggregates = {"occupied_seconds": Sum("occupied_seconds"), "staffed_seconds": Sum("staffed_seconds")}
    group_by = report.group_by
    if group_by is None:
        return {None: rows.aggregate(**aggregates)}
    if group_by in TIME_GROUPS:
        result: dict[str | None, dict] = {}
        for row in rows.order_by().values("day").annotate(**aggregates):
            key = bucket_key(group_by, bucket_start(group_by, row.pop("day")))
            bucket = result.setdefault(key, {"occupied_seconds": 0.0, "staffed_seconds": 0.0})
            for name, value in row.items():
                bucket[name] += value or 0.0
        return result
    keys = {"agent": "agent__username", "team": "agent__agent_profile__team__name"}
    grouped = rows.order_by().values(kpi_key=F(keys[group_by])).annotate(**aggregates)
    return {row.pop("kpi_key"): row for row in grouped}


# --- Filling ---------------------------------------------------------------------------------------


@dataclass
class FillResult:
    """What :func:`rollup_fill` did."""

    days_filled: int = 0
    rows_written: int = 0
    first_day: date | None = None
    last_day: date | None = None
    #: Repeat flags changed by a recompute (``None``: the flags were in line already).
    flags_changed: int | None = None
    #: Queue counter rows written by a rebuild (``None``: the counters were in line already).
    queue_counters_written: int | None = None


def _day_states(day: date, window: timedelta) -> dict[str, Any]:
    lower, upper = local_midnight(day), local_midnight(day + timedelta(days=1))
    return {"lower": lower, "upper": upper, "fcr_until": upper + window, "definition": definition()}


def _wait_for_older_transactions(timeout: float = SETTLE_TIMEOUT_SECONDS) -> None:
    """PostgreSQL: wait until the transactions of this database that had written something when
    the day states were created have ended (as ``CREATE INDEX CONCURRENTLY`` waits). One of them may
    have run its trigger before a day's state row existed; once it has committed, the fill's reads
    see its write. A transaction that writes later runs its trigger later, and that trigger sees
    the state row. Nothing to wait for on SQLite (one writer at a time)."""
    if connection.vendor != "postgresql":
        return
    query = (
        "SELECT pid, backend_xid::text FROM pg_stat_activity "
        "WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
    )
    with connection.cursor() as cursor:
        cursor.execute(query)
        writers = set(cursor.fetchall())
        deadline = time.monotonic() + timeout
        while writers and time.monotonic() < deadline:
            time.sleep(0.05)
            cursor.execute(query)
            writers &= set(cursor.fetchall())
    if writers:
        # The days stay not final (reports read them raw, exactly); a later run fills them.
        raise RollupBusyError(
            _("A transaction has been writing for over %(seconds)s s; run the fill again later.")
            % {"seconds": int(timeout)}
        )


def _sum_rows(day: date, fcr: bool, flags: bool = False) -> dict[tuple[int | None, int | None, str], dict[str, Any]]:
    """The day's sums per (agent, queue, channel): three grouped queries (two without FCR); FCR
    from the repeat flags with ``flags``."""
    lower, upper = local_midnight(day), local_midnight(day + timedelta(days=1))
    period = Q(offered_at__gte=lower, offered_at__lt=upper)
    keys = ("agent_id", "queue_id", "channel")
    sources = [
        (Interaction.objects.filter(period), "", volume_aggregates()),
        (
            SurveyResponse.objects.filter(interaction__offered_at__gte=lower, interaction__offered_at__lt=upper),
            "interaction__",
            survey_aggregates(),
        ),
    ]
    if fcr:
        contacts = Interaction.objects.filter(period, fcr_contacts_q())
        sources.append((contacts, "", fcr_aggregates([(period, lower, upper)], flags=flags)))
    sums: dict[tuple[int | None, int | None, str], dict[str, Any]] = {}
    for queryset, prefix, aggregates in sources:
        grouped = queryset.order_by().values(**{f"k_{key}": F(f"{prefix}{key}") for key in keys})
        for row in grouped.annotate(**aggregates):
            target = sums.setdefault(tuple(row.pop(f"k_{key}") for key in keys), {})
            target.update({name: value or 0 for name, value in row.items()})
    return sums


def _queue_rows(day: date, sums: dict[tuple[int | None, int | None, str], dict[str, Any]]) -> list[KpiDailyQueueCount]:
    """The day's sums per (agent, queue, channel) summed over the agents: its rows per queue."""
    by_queue: dict[tuple[int | None, str], dict[str, Any]] = {}
    for (_agent_id, queue_id, channel), values in sums.items():
        target = by_queue.setdefault((queue_id, channel), {})
        for name, value in values.items():
            target[name] = target.get(name, 0) + value
    return [
        KpiDailyQueueCount(day=day, queue_id=queue_id, channel=channel, **values)
        for (queue_id, channel), values in by_queue.items()
    ]


def _presence_rows(day: date) -> list[KpiDailyPresence]:
    """The day's occupancy sums per agent (one grouped query): each stretch meeting the day cut to
    it, an open one up to the day's end (the day is over)."""
    lower, upper = local_midnight(day), local_midnight(day + timedelta(days=1))
    clipped = clipped_seconds(lower, upper)
    stretches = PresenceInterval.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=lower), started_at__lt=upper, status__in=STAFFED_STATUSES
    )
    grouped = (
        stretches.order_by()
        .values("agent_id")
        .annotate(staffed=Sum(clipped), occupied=Sum(clipped, filter=Q(status__in=OCCUPIED_STATUSES)))
    )
    return [
        KpiDailyPresence(
            day=day,
            agent_id=row["agent_id"],
            staffed_seconds=row["staffed"] or 0.0,
            occupied_seconds=row["occupied"] or 0.0,
        )
        for row in grouped
    ]


def rollup_fill_day(day: date, *, fcr: bool, flags: bool = False) -> int:
    """(Re)fill one local day, atomically: lock its state row (created beforehand by
    :func:`rollup_fill`, so that writes to the day already mark it), replace its rows, then mark
    its counts and occupancy final, and its FCR too when ``fcr`` (its window is over, or ``flags``:
    FCR counted from the repeat flags, whose later changes the triggers carry into the rows). A
    sealed day's occupancy rows are kept as they are. Returns the :class:`KpiDailyCount` rows
    written."""
    with transaction.atomic():
        state = KpiDay.objects.select_for_update().get(day=day)
        KpiDailyCount.objects.filter(day=day).delete()
        KpiDailyQueueCount.objects.filter(day=day).delete()
        sums = _sum_rows(day, fcr, flags)
        rows = [
            KpiDailyCount(day=day, agent_id=agent_id, queue_id=queue_id, channel=channel, **values)
            for (agent_id, queue_id, channel), values in sums.items()
        ]
        KpiDailyCount.objects.bulk_create(rows, batch_size=1000)
        KpiDailyQueueCount.objects.bulk_create(_queue_rows(day, sums), batch_size=1000)
        if not state.presence_sealed:  # a sealed day's presence log is gone: its rows are the record
            KpiDailyPresence.objects.filter(day=day).delete()
            KpiDailyPresence.objects.bulk_create(_presence_rows(day), batch_size=1000)
        state.counts_final, state.fcr_final, state.presence_final = True, fcr, True
        state.filled_at, state.rows = timezone.now(), len(rows)
        state.save(update_fields=["counts_final", "fcr_final", "presence_final", "filled_at", "rows"])
    return len(rows)


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def rollup_fill(
    *,
    since: date | None = None,
    rebuild: bool = False,
    now: datetime | None = None,
    progress: Callable[[Iterable[date], int], Iterable[date]] | None = None,
    flags_progress: Callable[[Iterable[int], int], Iterable[int]] | None = None,
) -> FillResult:
    """Fill the rollup up to yesterday (local): every day from ``since`` (default: the first day
    with an interaction) that has no state, another definition, counts not final, or FCR not final
    while its window is over (or at all, once the repeat flags are usable: a day's FCR is then
    final as soon as it is filled). ``rebuild`` first forgets every day from ``since`` on (all days
    without it). First the repeat flags are brought in line with the settings
    (:func:`flags_sync`; ``flags_progress`` wraps its batches). Idempotent: a second run right
    after does nothing. ``progress`` wraps the days to fill (a tqdm bar in the command). The
    wallboard's queue counters are rebuilt too when they are not ready or were kept under another
    definition (:func:`kpis.queue_counts.counters_sync`)."""
    result = FillResult()
    result.flags_changed = flags_sync(progress=flags_progress)
    result.queue_counters_written = counters_sync()
    flags = flags_usable()
    now = now or timezone.now()
    window = timedelta(days=settings.FCR_WINDOW_DAYS)
    last = timezone.localdate(now) - timedelta(days=1)
    if rebuild:
        days = KpiDay.objects.filter(day__gte=since or date.min)
        KpiDailyCount.objects.filter(day__gte=since or date.min).delete()
        KpiDailyQueueCount.objects.filter(day__gte=since or date.min).delete()
        # Sealed days keep their occupancy (nothing to recompute it from) and their state.
        sealed = days.filter(presence_sealed=True)
        KpiDailyPresence.objects.filter(day__gte=since or date.min).exclude(day__in=sealed.values("day")).delete()
        sealed.update(counts_final=False, fcr_final=False)
        days.filter(presence_sealed=False).delete()
    if since is None:
        first_offered = Interaction.objects.aggregate(first=Min("offered_at"))["first"]
        if first_offered is None:
            return result
        since = timezone.localdate(first_offered)
    if since > last:
        return result
    states = {state.day: state for state in KpiDay.objects.filter(day__gte=since, day__lte=last)}
    current = definition()
    todo: list[tuple[date, bool]] = []
    for day in _days(since, last):
        fcr = flags or local_midnight(day + timedelta(days=1)) + window <= now
        state = states.get(day)
        presence = state and (state.presence_final or state.presence_sealed)
        final = state and state.counts_final and presence and (state.fcr_final or not fcr)
        if final and state.definition == current:
            continue
        todo.append((day, fcr))
    if not todo:
        return result
    # First every day's state, not final, watched: from now on a write to it marks it.
    for day, fcr in todo:
        KpiDay.objects.update_or_create(
            day=day,
            defaults={
                **_day_states(day, window),
                **{"counts_final": False, "fcr_final": False, "presence_final": False, "fcr_watched": fcr},
            },
        )
    _wait_for_older_transactions()
    fcr_of = dict(todo)
    days: Iterable[date] = [day for day, _fcr in todo]
    for day in progress(days, len(todo)) if progress else days:
        result.rows_written += rollup_fill_day(day, fcr=fcr_of[day], flags=flags)
        result.days_filled += 1
    result.first_day, result.last_day = todo[0][0], todo[-1][0]
    return result


# --- Retention of the presence log -----------------------------------------------------------------


@dataclass
class PresencePurge:
    """What :func:`rollup_presence_purge` did: ``deleted`` presence stretches, ending before
    ``horizon`` (``None``: no day could be sealed), and ``days_sealed``."""

    deleted: int = 0
    horizon: datetime | None = None
    days_sealed: int = 0


def presence_purge_horizon(before: datetime) -> date | None:
    """The first local day whose presence log must stay for the occupancy to stay exact: every day
    before it (from the first stretch on) has its occupancy in the rollup, and is before the day of
    ``before``. ``None`` when there is no presence log, or its first day is not in the rollup."""
    first = PresenceInterval.objects.aggregate(first=Min("started_at"))["first"]
    if first is None:
        return None
    start, end = timezone.localdate(first), timezone.localdate(before)
    if start >= end:
        return None
    held = set(
        KpiDay.objects.filter(day__gte=start, day__lt=end)
        .filter(Q(presence_sealed=True) | Q(presence_final=True, definition=definition()))
        .values_list("day", flat=True)
    )
    day = start
    while day < end and day in held:
        day += timedelta(days=1)
    return day if day > start else None


def rollup_presence_purge(
    *,
    before: datetime,
    batch_size: int = 1000,
    dry_run: bool = False,
    progress: Callable[[Iterable[list[int]], int], Iterable[list[int]]] | None = None,
) -> PresencePurge:
    """Delete the presence stretches that ended before ``before``, without changing any occupancy
    figure: only up to :func:`presence_purge_horizon` (days whose occupancy the rollup holds, in
    an unbroken run from the first stretch), and those days are sealed first (``presence_sealed``:
    their occupancy rows are never recomputed from the log again, nor forgotten by a rebuild).

    One transaction per batch of ``batch_size`` stretches: seal, delete, and give the sealed days
    back the ``presence_final`` flag the deletion's trigger took away. ``dry_run`` counts only.
    Idempotent: what is gone is not looked for again."""
    horizon_day = presence_purge_horizon(before)
    if horizon_day is None:
        return PresencePurge()
    horizon = local_midnight(horizon_day)
    doomed = PresenceInterval.objects.filter(ended_at__isnull=False, ended_at__lte=horizon)
    sealable = KpiDay.objects.filter(day__lt=horizon_day)
    if dry_run:
        return PresencePurge(
            deleted=doomed.count(), horizon=horizon, days_sealed=sealable.filter(presence_sealed=False).count()
        )
    ids = list(doomed.order_by("pk").values_list("pk", flat=True))
    result = PresencePurge(horizon=horizon)
    batches = [ids[index : index + batch_size] for index in range(0, len(ids), batch_size)]
    for batch in progress(batches, len(ids)) if progress else batches:
        with transaction.atomic():
            result.days_sealed += sealable.filter(presence_sealed=False).update(presence_sealed=True)
            deleted, _by_model = PresenceInterval.objects.filter(pk__in=batch).delete()
            result.deleted += deleted
            sealable.filter(presence_sealed=True).update(presence_final=True)
    return result
