"""The KPI engine (SPEC §4): every KPI of the center, computed one way, in the database.

The API (``GET /api/v1/kpis/``), the admin reports, the wallboard and the exports read their
figures here, so that one number is computed one way. A report is a period of local days
``[start, end)`` in ``TIME_ZONE``, an optional grouping and optional filters; each row carries the
SPEC §5 fields plus the counts behind each rate, so that every figure can be explained.

How it is computed (``docs/kpis.md`` says it for managers):

- each KPI family is **one aggregate query** whatever the number of interactions: volumes, times
  and sentiment (:func:`_volume_family`), first-contact resolution (:func:`_fcr_family`), surveys
  (:func:`_survey_family`), occupancy from the presence log (:func:`_occupancy_family`); no Python
  loop ever runs over interactions;
- the per-interaction definitions (wait, handle time, short abandon, offered, abandoned, handled,
  service level) are the SQL twins in :mod:`interactions.durations` of the Python functions the
  API and the admin show for one interaction;
- the period's bounds are local midnights turned into aware datetimes with ``zoneinfo`` one by one,
  so a day across a daylight-saving change lasts 23 or 25 hours; day, week and month groups are
  truncated in ``TIME_ZONE`` by the database (SQLite and PostgreSQL alike);
- whole past days are read from the daily rollup (:mod:`kpis.rollups`) where it is final, the
  other days from the interactions, and both added up: the same counts either way;
- a rate over an empty denominator is ``None``; nothing is rounded (display rounds, the API does
  not, as the wallboard's ``queue_stats``).

Who sees what (:func:`scope_for`): managers and admins every interaction; a supervisor the
interactions handled by their team's agents (and their own) plus the unanswered ones of the queues
their team serves; an agent the interactions they handled. Occupancy follows the same agents.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, DateField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least, Trunc
from django.utils import timezone

from contactcenter.agents.models import PresenceInterval
from interactions import durations
from interactions.models import Interaction, SurveyResponse
from kpis import chat_figures, quality_figures, rollups, routing_figures
from kpis.definitions import (
    GROUPS,
    NO_OCCUPANCY_GROUPS,
    OCCUPIED_STATUSES,
    STAFFED_STATUSES,
    TIME_GROUPS,
    DayRanges,
    KpiFilters,
    KpiQuery,
    KpiScope,
    bucket_key,
    clipped_seconds,
    fcr_aggregates,
    fcr_contacts_q,
    grouped,
    local_midnight,
    period_bounds,
    scope_for,
    survey_aggregates,
    time_buckets,
    volume_aggregates,
)


@dataclass
class KpiRow:
    """One row of a report: the SPEC §5 fields, then the counts behind the rates.

    ``key`` is the group's key (username, team or queue name, channel code, ``YYYY-MM-DD`` of a
    day or of a week's Monday, ``YYYY-MM`` of a month), ``None`` for interactions without one and
    for an ungrouped report. Rates are fractions in [0, 1], NPS in [−100, 100], CES a mean on 1–7,
    durations seconds; ``None`` when their denominator is empty.
    """

    key: str | None
    offered: int = 0
    handled: int = 0
    abandoned: int = 0
    aht: float | None = None
    asa: float | None = None
    service_level: float | None = None
    abandonment_rate: float | None = None
    fcr: float | None = None
    csat: float | None = None
    nps: float | None = None
    ces: float | None = None
    sentiment: float | None = None
    sentiment_positive: float | None = None
    sentiment_negative: float | None = None
    occupancy: float | None = None
    # The counts behind the figures above.
    short_abandons: int = 0
    answered_in_threshold: int = 0
    handle_seconds: float = 0.0
    handled_ended: int = 0
    wait_seconds: float = 0.0
    handled_inbound: int = 0
    fcr_contacts: int = 0
    fcr_repeats: int = 0
    csat_responses: int = 0
    nps_responses: int = 0
    ces_responses: int = 0
    sentiment_scored: int = 0
    occupied_seconds: float | None = None
    staffed_seconds: float | None = None
    # Routing figures (``kpi_rows(..., routing=True)``; ``None`` when left out): the offers of work
    # items made to agents in the period (kpis.routing_figures), how they ended, the time to accept.
    offers: int | None = None
    offers_accepted: int | None = None
    offers_declined: int | None = None
    offers_timed_out: int | None = None
    offers_withdrawn: int | None = None
    offers_open: int | None = None
    accept_rate: float | None = None
    time_to_accept: float | None = None
    time_to_accept_p90: float | None = None
    accept_seconds: float | None = None
    # Callbacks kept on time (``routing=True`` too): the callbacks due in the period, cancelled ones
    # left out (kpis.routing_figures.callback_family), by the agent who promised them.
    callbacks_due: int | None = None
    callbacks_tried: int | None = None
    callbacks_kept_on_time: int | None = None
    callbacks_missed: int | None = None
    callbacks_on_time_rate: float | None = None
    # Web chat (``routing=True`` too): the chats started in the period and those the bot closed by
    # itself, never handed over (kpis.chat_figures); their ratio is the bot containment rate.
    chats_started: int | None = None
    chats_bot_contained: int | None = None
    bot_containment: float | None = None
    # Quality figures (``kpi_rows(..., quality=True)``; ``None`` when left out): the evaluations
    # published in the period, their mean score, critical fails, score per criterion, the sampled
    # interactions planned and done, the disputes decided and overturned (kpis.quality_figures).
    qm_evaluations: int | None = None
    qm_score: float | None = None
    qm_critical_fails: int | None = None
    qm_critical_fail_rate: float | None = None
    qm_criteria: dict[str, float] | None = None
    qm_planned: int | None = None
    qm_done: int | None = None
    qm_done_rate: float | None = None
    qm_disputes_decided: int | None = None
    qm_disputes_overturned: int | None = None
    qm_overturn_rate: float | None = None
    qm_score_sum: float | None = None
    # Partial sums the rates are built from; not part of the API.
    _sums: dict[str, float] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_sums")
        return data


# --- Families --------------------------------------------------------------------------------------


def _volume_family(report: KpiQuery, days: DayRanges | None = None) -> dict[str | None, dict]:
    """Volumes, times, service level and sentiment: one query over the period's interactions (or
    those of ``days``; none and no query when ``days`` is empty)."""
    if days == []:
        return {}
    interactions = Interaction.objects.filter(report.interactions(days=days))
    return grouped(interactions, report.group_by, "", volume_aggregates())


def _fcr_family(report: KpiQuery, days: DayRanges | None = None) -> dict[str | None, dict]:
    """First-contact resolution: one query over the period's (or ``days``') handled inbound
    interactions that have a customer, the repeated ones counted by their repeat flag (kept at
    write time) or, when the flags are not usable (being recomputed after a change of settings),
    found per range of days by a semi-join with the repeat contacts of that range
    (:func:`~kpis.definitions.fcr_aggregates`); one more small query reads the flags' state."""
    if days == []:
        return {}
    if rollups.flags_usable():
        contacts = Interaction.objects.filter(report.interactions(days=days), fcr_contacts_q())
        return grouped(contacts, report.group_by, "", fcr_aggregates([], flags=True))
    periods = []
    for first, following in days if days is not None else [(report.start, report.end)]:
        since, until = period_bounds(first, following)
        periods.append((report.interactions(days=[(first, following)]), since, until))
    contacts = Interaction.objects.filter(report.interactions(days=days), fcr_contacts_q())
    return grouped(contacts, report.group_by, "", fcr_aggregates(periods))


def _survey_family(report: KpiQuery, days: DayRanges | None = None) -> dict[str | None, dict]:
    """CSAT, NPS and CES: one query over the survey responses to the period's (or ``days``')
    interactions (a response counts with its interaction: its period, agent, queue and channel)."""
    if days == []:
        return {}
    responses = SurveyResponse.objects.filter(report.interactions("interaction__", days=days))
    return grouped(responses, report.group_by, "interaction__", survey_aggregates())


def _occupancy_family(report: KpiQuery) -> dict[str | None, dict] | None:
    """Occupancy from the presence log: one query over the presence intervals of the scope's agents
    that meet the period, each clipped in SQL to the period (and to now: an open interval counts up
    to now); by day, week or month see :func:`_occupancy_by_time`. ``None`` when the report is by
    queue or channel, or filtered on one: an agent's time belongs to no queue."""
    if report.group_by in NO_OCCUPANCY_GROUPS or not report.filters.allow_occupancy:
        return None
    lower, upper = report.bounds
    horizon = min(upper, report.now)
    if horizon <= lower:
        return {}
    intervals = PresenceInterval.objects.filter(
        report.scope.agents_q(),
        report.filters.agents_q(),
        Q(ended_at__isnull=True) | Q(ended_at__gt=lower),
        status__in=STAFFED_STATUSES,
        started_at__lt=horizon,
    )
    occupied = Q(status__in=OCCUPIED_STATUSES)
    if report.group_by not in TIME_GROUPS:
        clipped = clipped_seconds(lower, horizon)
        aggregates = {"occupied_seconds": Sum(clipped, filter=occupied), "staffed_seconds": Sum(clipped)}
        keys = {"agent": "agent__username", "team": "agent__agent_profile__team__name"}
        if report.group_by is None:
            return {None: intervals.aggregate(**aggregates)}
        rows = intervals.order_by().values(kpi_key=F(keys[report.group_by])).annotate(**aggregates)
        return {row.pop("kpi_key"): row for row in rows}
    return _occupancy_by_time(report, intervals, horizon)


def _occupancy_by_time(report: KpiQuery, intervals: QuerySet, horizon: datetime) -> dict[str | None, dict]:
    """Occupied and staffed seconds per day, week or month, in one query proportional to the
    intervals (never one pass per bucket).

    Each interval, clipped to ``[period start, horizon)``, is grouped by the local bucket of its
    start and of its end (``Trunc`` in ``TIME_ZONE`` in SQL), with the count and the sums of its
    clipped start and end (seconds from the period's start). An interval within one bucket adds
    ``end − start`` to it; one across buckets adds ``bucket end − start`` to its first, ``end −
    bucket start`` to its last and whole buckets in between: sums of the group, spread over the
    buckets in Python from the bucket bounds (local midnights, so DST-safe)."""
    lower = report.bounds[0]
    bounds: dict[str, tuple[float, float]] = {}
    for key, first, following in time_buckets(report.group_by, report.start, report.end):
        bucket_lower, bucket_upper = local_midnight(first), min(local_midnight(following), horizon)
        if bucket_lower < bucket_upper:
            bounds[key] = ((bucket_lower - lower).total_seconds(), (bucket_upper - lower).total_seconds())
    order = list(bounds)
    since = Greatest(F("started_at"), Value(lower))
    until = Least(Coalesce(F("ended_at"), Value(horizon)), Value(horizon))
    zone = timezone.get_default_timezone()
    occupied = Q(status__in=OCCUPIED_STATUSES)
    sums = {}
    for prefix, condition in (("staffed", None), ("occupied", occupied)):
        sums[f"{prefix}_n"] = Count("pk", filter=condition)
        sums[f"{prefix}_since"] = Sum(durations.ElapsedSeconds(since, Value(lower)), filter=condition)
        sums[f"{prefix}_until"] = Sum(durations.ElapsedSeconds(until, Value(lower)), filter=condition)
    rows = (
        intervals.order_by()
        .values(
            first_key=Trunc(since, report.group_by, output_field=DateField(), tzinfo=zone),
            last_key=Trunc(until, report.group_by, output_field=DateField(), tzinfo=zone),
        )
        .annotate(**sums)
    )
    seconds = {key: {"occupied_seconds": 0.0, "staffed_seconds": 0.0} for key in order}
    for row in rows:
        first_key, last_key = (
            bucket_key(report.group_by, row["first_key"]),
            bucket_key(report.group_by, row["last_key"]),
        )
        for prefix in ("staffed", "occupied"):
            count, since_sum, until_sum = (
                row[f"{prefix}_n"],
                row[f"{prefix}_since"] or 0.0,
                row[f"{prefix}_until"] or 0.0,
            )
            target = f"{prefix}_seconds"
            if first_key == last_key:
                seconds[first_key][target] += until_sum - since_sum
                continue
            seconds[first_key][target] += count * bounds[first_key][1] - since_sum
            if last_key in bounds:
                seconds[last_key][target] += until_sum - count * bounds[last_key][0]
            for key in order[order.index(first_key) + 1 : order.index(last_key) if last_key in bounds else None]:
                seconds[key][target] += count * (bounds[key][1] - bounds[key][0])
    return seconds


# --- The report ------------------------------------------------------------------------------------


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return (numerator or 0) / denominator if denominator else None


def _finish(row: KpiRow) -> KpiRow:
    """The figures from the counts (SPEC §4); ``None`` over an empty denominator."""
    sums = row._sums
    row.aht = _ratio(row.handle_seconds, row.handled_ended)
    row.asa = _ratio(row.wait_seconds, row.handled_inbound)
    row.service_level = _ratio(row.answered_in_threshold, row.offered)
    row.abandonment_rate = _ratio(row.abandoned, row.offered)
    row.fcr = _ratio(row.fcr_contacts - row.fcr_repeats, row.fcr_contacts)
    row.csat = _ratio(sums.get("csat_satisfied"), row.csat_responses)
    if row.nps_responses:
        row.nps = 100 * (sums.get("nps_promoters", 0) - sums.get("nps_detractors", 0)) / row.nps_responses
    row.ces = _ratio(sums.get("ces_sum"), row.ces_responses)
    row.sentiment = _ratio(sums.get("sentiment_sum"), row.sentiment_scored)
    row.sentiment_positive = _ratio(sums.get("sentiment_positives"), row.sentiment_scored)
    row.sentiment_negative = _ratio(sums.get("sentiment_negatives"), row.sentiment_scored)
    row.occupancy = _ratio(row.occupied_seconds, row.staffed_seconds)
    if row.offers is not None:
        row.accept_rate = _ratio(row.offers_accepted, row.offers - row.offers_withdrawn)
        row.time_to_accept = _ratio(row.accept_seconds, row.offers_accepted)
    if row.callbacks_due is not None:
        row.callbacks_on_time_rate = _ratio(row.callbacks_kept_on_time, row.callbacks_due)
    if row.chats_started is not None:
        row.bot_containment = _ratio(row.chats_bot_contained, row.chats_started)
    if row.qm_evaluations is not None:
        row.qm_score = _ratio(row.qm_score_sum, row.qm_evaluations)
        row.qm_critical_fail_rate = _ratio(row.qm_critical_fails, row.qm_evaluations)
        row.qm_done_rate = _ratio(row.qm_done, row.qm_planned)
        row.qm_overturn_rate = _ratio(row.qm_disputes_overturned, row.qm_disputes_decided)
    return row


def kpi_rows(
    *,
    scope: KpiScope,
    start: date,
    end: date,
    group_by: str | None = None,
    filters: KpiFilters | None = None,
    now: datetime | None = None,
    occupancy: bool = True,
    routing: bool = False,
    quality: bool = False,
) -> list[KpiRow]:
    """The KPIs of the interactions in ``scope`` offered in the local days ``[start, end)``.

    ``group_by`` is one of :data:`GROUPS` or ``None`` (one row, key ``None``). Rows are sorted by
    key, ``None`` last; grouped by day, week or month, every bucket of the period has its row, even
    an empty one (rates ``None``). Occupancy counts presence up to ``now`` (default: now); it is
    ``None`` by queue or channel. Eight queries at most, whatever the number of interactions: the
    rollup's fill state, the rollup (whole filled days), volume, the repeat flags' state and FCR,
    and surveys over the days the rollup does not hold, occupancy from the rollup and from the
    presence log (each skipped when it has no day to read). ``occupancy=False`` leaves occupancy
    out (``None``), and its queries with it, for a reader that does not show it. ``routing=True``
    adds the routing figures (offers, accepts, declines, timeouts, time to accept: one query more
    over the offers; callbacks due, tried, kept on time, missed: one more over the callbacks,
    :mod:`kpis.routing_figures`; chats started and contained by the bot: one more over the chats,
    :mod:`kpis.chat_figures`); without it they are ``None``. ``quality=True`` adds the quality
    figures (four queries more: evaluations, score per criterion, samples, disputes;
    :mod:`kpis.quality_figures`); without it they are ``None``.
    Validation of the arguments (``start < end``, the period's length) is the caller's job;
    a wrong ``group_by`` raises ``ValueError``.
    """
    if group_by is not None and group_by not in GROUPS:
        raise ValueError(f"Unknown grouping {group_by!r}; choose one of {', '.join(GROUPS)}.")
    report = KpiQuery(
        scope=scope,
        start=start,
        end=end,
        group_by=group_by,
        filters=filters or KpiFilters(),
        now=now or timezone.now(),
    )
    # Whole closed days come from the rollup (docs/kpis.md "Rollups"), the rest from the
    # interactions and the presence log; both are sums of the same counts, so the report is the
    # same either way.
    plan = rollups.rollup_plan(start, end) if rollups.can_serve(report.filters) else rollups.all_raw(start, end)
    presence = None
    if occupancy and report.group_by not in NO_OCCUPANCY_GROUPS and report.filters.allow_occupancy:
        until = plan.presence_until(start, end, report.now)
        presence = rollups.presence_family(report, until)
        if until < end:
            for key, seconds in (_occupancy_family(replace(report, start=until)) or {}).items():
                held = presence.setdefault(key, {})
                for name, value in seconds.items():
                    held[name] = (held.get(name) or 0.0) + (value or 0.0)
    families = [
        _volume_family(report, plan.raw_counts),
        _fcr_family(report, plan.raw_fcr),
        _survey_family(report, plan.raw_counts),
        rollups.rollup_family(report, plan),
        presence or {},
    ]
    if routing:
        routing_args = {"scope": scope, "start": start, "end": end, "group_by": group_by, "filters": report.filters}
        families.append(routing_figures.routing_family(**routing_args))
        families.append(routing_figures.callback_family(**routing_args))
        families.append(chat_figures.chat_family(**routing_args))
    criteria: dict[str | None, dict[str, float]] = {}
    if quality:
        quality_args = {"scope": scope, "start": start, "end": end, "group_by": group_by, "filters": report.filters}
        families.extend(quality_figures.quality_family(**quality_args))
        criteria = quality_figures.criterion_scores(**quality_args)

    if group_by is None:
        keys: list[str | None] = [None]
    elif group_by in TIME_GROUPS:
        keys = [key for key, _first, _following in time_buckets(group_by, start, end)]
    else:
        keys = sorted({key for family in families for key in family}, key=lambda k: (k is None, k or ""))
    fields = set(KpiRow.__dataclass_fields__) - {"key", "_sums"}
    rows = []
    for key in keys:
        row = KpiRow(key=key)
        if presence is not None:
            row.occupied_seconds = row.staffed_seconds = 0.0
        if routing:
            for name in routing_figures.ROUTING_COUNTS:
                setattr(row, name, 0.0 if name == "accept_seconds" else 0)
            for name in routing_figures.CALLBACK_FIGURES:
                setattr(row, name, 0)
            for name in chat_figures.CHAT_FIGURES:
                setattr(row, name, 0)
        if quality:
            for name in quality_figures.QUALITY_COUNTS:
                setattr(row, name, 0.0 if name == "qm_score_sum" else 0)
            row.qm_criteria = criteria.get(key, {})
        for family in families:
            for name, value in family.get(key, {}).items():
                if name in fields:
                    if value is not None:
                        current = getattr(row, name)
                        setattr(row, name, value if current is None else current + value)
                else:
                    row._sums[name] = row._sums.get(name, 0) + (value or 0)
        rows.append(_finish(row))
    return rows


def kpi_report(
    *,
    user: AbstractBaseUser,
    start: date,
    end: date,
    group_by: str | None = None,
    agent: str | None = None,
    team: str | None = None,
    queue: str | None = None,
    channel: str | None = None,
    now: datetime | None = None,
    routing: bool = False,
    quality: bool = False,
) -> list[KpiRow]:
    """:func:`kpi_rows` as ``user`` may see them (:func:`scope_for`): managers and admins all
    interactions, supervisors their team's, agents their own. Filters name an agent (username), a
    team or a queue (name), a channel (code); one outside the user's scope matches nothing, like
    one that does not exist (what a user may not see is absent)."""
    return kpi_rows(
        scope=scope_for(user),
        start=start,
        end=end,
        group_by=group_by,
        filters=KpiFilters(agent=agent or None, team=team or None, queue=queue or None, channel=channel or None),
        now=now,
        routing=routing,
        quality=quality,
    )
