"""What a KPI report is, shared by the engine (:mod:`kpis.selectors`) and the rollup
(:mod:`kpis.rollups`): the groupings and the local-day time buckets, who a report counts
(:class:`KpiScope`, :func:`scope_for`) and its filters (:class:`KpiFilters`), the query of one
report (:class:`KpiQuery`), and the additive sums behind every KPI (the aggregates below).

Both modules read these definitions; neither reaches into the other's private names. The engine
calls the rollup (its plan and its share of a report); the rollup never calls the engine. The sums
are defined once here, so that a day read from the rollup and a day read from the interactions
give the same counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import Count, DateField, Exists, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least, Trunc
from django.utils import timezone

from contactcenter.agents.models import Queue, Status
from contactcenter.core import access
from contactcenter.core.choices import Direction
from contactcenter.core.roles import SUPERVISOR, role_of
from interactions import durations
from interactions.models import Interaction, SurveyKind

#: The groupings of SPEC §4, in the order the API lists them.
GROUPS = ("agent", "team", "queue", "channel", "day", "week", "month")
TIME_GROUPS = ("day", "week", "month")
#: Groupings and filters that occupancy cannot follow: an agent's presence belongs to no queue.
NO_OCCUPANCY_GROUPS = ("queue", "channel")
#: The longest period one report covers (a leap year).
MAX_PERIOD_DAYS = 366
#: Presence statuses of occupancy: occupied ones over staffed ones (SPEC §4).
OCCUPIED_STATUSES = (Status.BUSY, Status.WRAP_UP)
STAFFED_STATUSES = (Status.AVAILABLE, Status.BUSY, Status.WRAP_UP)
#: Sentiment above this is positive, below its opposite negative (SPEC §4).
SENTIMENT_NEUTRAL_BAND = 0.05

DayRanges = list[tuple[date, date]]


# --- Who and what a report counts ------------------------------------------------------------------


@dataclass(frozen=True)
class KpiFilters:
    """Optional filters; a name matches nothing when it names nothing the scope holds."""

    agent: str | None = None
    team: str | None = None
    queue: str | None = None
    channel: str | None = None

    def interactions_q(self, prefix: str = "") -> Q:
        condition = Q()
        if self.agent:
            condition &= Q(**{f"{prefix}agent__username": self.agent})
        if self.team:
            condition &= Q(**{f"{prefix}agent__agent_profile__team__name": self.team})
        if self.queue:
            condition &= Q(**{f"{prefix}queue__name": self.queue})
        if self.channel:
            condition &= Q(**{f"{prefix}channel": self.channel})
        return condition

    def agents_q(self, field: str = "agent") -> Q:
        """The filters on presence intervals (``agent`` and ``team``; see :data:`NO_OCCUPANCY_GROUPS`),
        or on other rows whose agent is their foreign key ``field``."""
        condition = Q()
        if self.agent:
            condition &= Q(**{f"{field}__username": self.agent})
        if self.team:
            condition &= Q(**{f"{field}__agent_profile__team__name": self.team})
        return condition

    @property
    def allow_occupancy(self) -> bool:
        return not (self.queue or self.channel)


@dataclass(frozen=True)
class KpiScope:
    """The interactions (and agents' presence) a report may count.

    ``everything``: all of them. Otherwise the interactions handled by ``user_id``, by a member of
    ``team_id``, and, with ``team_id``, the unanswered ones (no agent) in a queue a member of
    ``team_id`` serves; presence of ``user_id`` and of the members of ``team_id``.
    """

    everything: bool = False
    user_id: int | None = None
    team_id: int | None = None

    def interactions_q(self, prefix: str = "") -> Q:
        if self.everything:
            return Q()
        condition = Q(**{f"{prefix}agent_id": self.user_id})
        if self.team_id is not None:
            team_queues = Queue.objects.filter(agents__team_id=self.team_id).values("pk")
            condition |= Q(**{f"{prefix}agent__agent_profile__team_id": self.team_id})
            condition |= Q(**{f"{prefix}agent__isnull": True, f"{prefix}queue_id__in": team_queues})
        return condition

    def agents_q(self, field: str = "agent") -> Q:
        """Condition on :class:`~contactcenter.agents.models.PresenceInterval` rows, or on other
        rows whose agent is their foreign key ``field``."""
        if self.everything:
            return Q()
        condition = Q(**{f"{field}_id": self.user_id})
        if self.team_id is not None:
            condition |= Q(**{f"{field}__agent_profile__team_id": self.team_id})
        return condition


def scope_for(user: AbstractBaseUser) -> KpiScope:
    """What ``user`` may count (SPEC §5: "supervisors also read their team's … KPIs", "managers and
    admins read all KPIs"): managers and admins everything; a supervisor their team (see
    :class:`KpiScope`); an agent their own figures. A user without a role raises
    ``PermissionDenied``. No query when the user's profile is already loaded."""
    if not access.can(user, "kpi.read"):
        raise PermissionDenied
    if access.can(user, "kpi.read_all"):
        return KpiScope(everything=True)
    if role_of(user) == SUPERVISOR:
        profile = getattr(user, "agent_profile", None)
        return KpiScope(user_id=user.pk, team_id=profile.team_id if profile else None)
    return KpiScope(user_id=user.pk)


# --- Time ------------------------------------------------------------------------------------------


def local_midnight(day: date) -> datetime:
    """The start of local ``day`` in ``TIME_ZONE``, as a UTC datetime (``zoneinfo`` resolves each
    day's own offset, so a day across a daylight-saving change lasts 23 or 25 hours)."""
    zone = timezone.get_default_timezone()
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """``[start, end)`` local days as aware UTC datetimes ``[start 00:00, end 00:00)`` local."""
    return local_midnight(start), local_midnight(end)


def bucket_start(group_by: str, day: date) -> date:
    """The first day of the day, week (Monday) or month bucket that holds ``day``."""
    if group_by == "week":
        return day - timedelta(days=day.weekday())
    if group_by == "month":
        return day.replace(day=1)
    return day


def next_bucket(group_by: str, first: date) -> date:
    """The first day of the bucket after the one starting on ``first``."""
    if group_by == "week":
        return first + timedelta(days=7)
    if group_by == "month":
        return date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first + timedelta(days=1)


def bucket_key(group_by: str, first: date) -> str:
    """A bucket's key: ``YYYY-MM`` for a month, the ISO date of its first day otherwise."""
    return f"{first:%Y-%m}" if group_by == "month" else first.isoformat()


def time_buckets(group_by: str, start: date, end: date) -> Iterator[tuple[str, date, date]]:
    """``(key, first day, day after the last)`` of each day, week or month meeting ``[start, end)``,
    its days clipped to the period; a week's key is its Monday's date, a month's ``YYYY-MM``."""
    first = bucket_start(group_by, start)
    while first < end:
        following = next_bucket(group_by, first)
        yield bucket_key(group_by, first), max(first, start), min(following, end)
        first = following


# --- Groups ----------------------------------------------------------------------------------------


def group_key(group_by: str, prefix: str = "") -> Any:
    """The SQL expression of a row's group: a name, a channel code, or its local day, week or month
    (truncated in ``TIME_ZONE`` by the database)."""
    if group_by == "agent":
        return F(f"{prefix}agent__username")
    if group_by == "team":
        return F(f"{prefix}agent__agent_profile__team__name")
    if group_by == "queue":
        return F(f"{prefix}queue__name")
    if group_by == "channel":
        return F(f"{prefix}channel")
    return Trunc(f"{prefix}offered_at", group_by, output_field=DateField(), tzinfo=timezone.get_default_timezone())


def grouped(queryset: QuerySet, group_by: str | None, prefix: str, aggregates: dict) -> dict[str | None, dict]:
    """One aggregate query: ``{key: {name: value}}``, a single ``None`` key without grouping."""
    if group_by is None:
        return {None: queryset.aggregate(**aggregates)}
    rows = queryset.order_by().values(kpi_key=group_key(group_by, prefix)).annotate(**aggregates)
    result = {}
    for row in rows:
        key = row.pop("kpi_key")
        if isinstance(key, date):
            key = bucket_key(group_by, key)
        result[key] = row
    return result


@dataclass(frozen=True)
class KpiQuery:
    """One report's question: the scope, the local days ``[start, end)``, the grouping, the filters
    and the instant occupancy counts up to."""

    scope: KpiScope
    start: date
    end: date
    group_by: str | None
    filters: KpiFilters
    now: datetime

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return period_bounds(self.start, self.end)

    def interactions(self, prefix: str = "", days: DayRanges | None = None) -> Q:
        """The interactions a report counts: in scope, offered in the period (or in the local
        ``[first, following)`` day ranges ``days`` of it), filtered."""
        period = Q()
        for first, following in days if days is not None else [(self.start, self.end)]:
            lower, upper = period_bounds(first, following)
            period |= Q(**{f"{prefix}offered_at__gte": lower, f"{prefix}offered_at__lt": upper})
        return self.scope.interactions_q(prefix) & period & self.filters.interactions_q(prefix)


# --- The sums behind the KPIs ----------------------------------------------------------------------


def volume_aggregates() -> dict[str, Any]:
    """Volumes, times and sentiment of a set of interactions (their sums and counts, additive)."""
    handled = durations.handled_q()
    inbound = Q(direction=Direction.INBOUND)
    ended = Q(ended_at__isnull=False)
    aggregates = {
        "offered": Count("pk", filter=durations.offered_q()),
        "handled": Count("pk", filter=handled),
        "abandoned": Count("pk", filter=durations.abandoned_q()),
        "short_abandons": Count("pk", filter=durations.short_abandon_q()),
        "answered_in_threshold": Count("pk", filter=durations.within_service_level_q()),
        "handled_ended": Count("pk", filter=handled & ended),
        "handle_seconds": Sum(durations.handle_seconds_sql(), filter=handled & ended),
        "handled_inbound": Count("pk", filter=handled & inbound),
        "wait_seconds": Sum(durations.wait_seconds_sql(), filter=handled & inbound),
        "sentiment_scored": Count("sentiment"),
        "sentiment_sum": Sum("sentiment"),
        "sentiment_positives": Count("pk", filter=Q(sentiment__gt=SENTIMENT_NEUTRAL_BAND)),
        "sentiment_negatives": Count("pk", filter=Q(sentiment__lt=-SENTIMENT_NEUTRAL_BAND)),
    }
    return aggregates


def repeat_contacts(
    window_days: int | None = None, *, since: datetime | None = None, until: datetime | None = None
) -> QuerySet[Interaction]:
    """The contacts that make the interaction of the outer query (``OuterRef``) not resolved at
    first contact: the same customer's inbound interactions, any channel, IVR included, short
    abandons left out, offered in ``(t, t + FCR_WINDOW_DAYS]`` after it, by anyone, in all data.

    ``since`` and ``until``, when the outer interactions are all offered in ``[since, until)``,
    narrow the repeats looked at to those offered after ``since`` and up to a day past ``until`` +
    the window: every repeat of those interactions is among them (the spare day absorbs any
    reading of "7 days" across a clock change), so the definition is the same, and the database
    can read the repeats as one range of offer times instead of probing each outer row."""
    window = timedelta(days=window_days if window_days is not None else settings.FCR_WINDOW_DAYS)
    bounds = Q()
    if since is not None:
        bounds &= Q(offered_at__gt=since)
    if until is not None:
        bounds &= Q(offered_at__lte=until + window + timedelta(days=1))
    return Interaction.objects.filter(
        ~durations.short_abandon_q(),
        bounds,
        customer_id=OuterRef("customer_id"),
        direction=Direction.INBOUND,
        offered_at__gt=OuterRef("offered_at"),
        offered_at__lte=OuterRef("offered_at") + Value(window),
    )


def fcr_contacts_q() -> Q:
    """The contacts FCR is measured on: handled, inbound, of a known customer."""
    return durations.handled_q() & Q(direction=Direction.INBOUND, customer__isnull=False)


#: The additive counts behind FCR (FCR = 1 − repeats ÷ contacts).
FCR_COUNTS = ("fcr_contacts", "fcr_repeats")


def fcr_aggregates(periods: Iterable[tuple[Q, datetime, datetime]], *, flags: bool = False) -> dict[str, Any]:
    """FCR's counts over :func:`fcr_contacts_q` interactions, for a query over the interactions
    that meet one of ``periods``: each a condition (scope, filters, offer times) with the bounds
    ``[since, until)`` its interactions are offered in.

    With ``flags`` (the repeat flags are kept under the current settings, see
    :func:`kpis.rollups.flags_usable`), a contact is repeated when its ``fcr_repeated`` flag is
    set: a plain count, no look-ahead at all. Otherwise:

    A contact counts as repeated when it is one of the contacts of its period that
    :func:`repeat_contacts` follows. Those are found per period by a semi-join (the period's
    contacts against the repeats offered in its range, ``WHERE EXISTS``), which the database runs
    as one pass over both sides and looks up by id, rather than as one correlated probe per
    counted row: the same set, so the same counts, at a cost that follows the period's traffic."""
    if flags:
        return {"fcr_contacts": Count("pk"), "fcr_repeats": Count("pk", filter=Q(fcr_repeated=True))}
    repeated = Q()
    for condition, since, until in periods:
        contacts = Interaction.objects.filter(condition, fcr_contacts_q())
        followed = contacts.filter(Exists(repeat_contacts(since=since, until=until))).order_by().values("pk")
        repeated |= Q(pk__in=followed)
    if not repeated:
        raise ValueError("fcr_aggregates() needs at least one period.")
    return {"fcr_contacts": Count("pk"), "fcr_repeats": Count("pk", filter=repeated)}


def survey_aggregates() -> dict[str, Any]:
    """CSAT, NPS and CES counts and sums over survey responses."""
    csat, nps, ces = Q(kind=SurveyKind.CSAT), Q(kind=SurveyKind.NPS), Q(kind=SurveyKind.CES)
    aggregates = {
        "csat_responses": Count("pk", filter=csat),
        "csat_satisfied": Count("pk", filter=csat & Q(score__gte=4)),
        "nps_responses": Count("pk", filter=nps),
        "nps_promoters": Count("pk", filter=nps & Q(score__gte=9)),
        "nps_detractors": Count("pk", filter=nps & Q(score__lte=6)),
        "ces_responses": Count("pk", filter=ces),
        "ces_sum": Sum("score", filter=ces),
    }
    return aggregates


def clipped_seconds(lower: datetime, upper: datetime) -> Greatest:
    """The seconds of a presence interval inside ``[lower, upper)``, 0 when it lies outside; an
    interval still open counts up to ``upper``."""
    until = Least(Coalesce(F("ended_at"), Value(upper)), Value(upper))
    since = Greatest(F("started_at"), Value(lower))
    return Greatest(durations.ElapsedSeconds(until, since), Value(0.0))
