"""Every read of the live layer: who a socket belongs to, what its events carry, queue figures.

Sockets ask :func:`cached_socket_scope` before relaying each event: it answers from this process's
memory (a few seconds at most, and forgotten as soon as ``scope_changed`` says a user's role, team,
queues or active flag changed), so relaying costs no query. The payloads are JSON-ready dicts in
the shapes that ``docs/live.md`` documents; the screen pop has the shapes of
``GET /api/v1/customers/lookup/``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    Exists,
    FilteredRelation,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from contactcenter.agents.models import AgentProfile, PresenceInterval, Queue, Role, Status
from contactcenter.core.choices import Channel, Direction
from contactcenter.core.roles import MANAGERS_UP, SUPERVISORS_UP, role_of, team_id_of
from interactions.models import Interaction
from kpis.models import KpiQueueCount, QueueCountState
from kpis.queue_counts import COUNTED, day_counts_q, day_quarters
from kpis.queue_counts import definition as counters_definition

User = get_user_model()

#: A cached scope is trusted this long at most: a bound for a ``scope_changed`` that never came (its
#: Redis was away), which otherwise forgets it at once. Each socket asks for its scope before each
#: relay: with 200 agents each hearing an event every few seconds, a 5-second bound read about 40
#: scopes a second (four queries each, on the thread that serves the requests).
SCOPE_TTL_SECONDS = 60.0
#: A call still unanswered and not ended after this long is a lost end event, not a waiting caller.
MAX_WAIT = timedelta(hours=4)
#: The agent statuses counted per queue on the wallboard.
COUNTED_STATUSES = (Status.AVAILABLE, Status.RINGING, Status.BUSY, Status.WRAP_UP, Status.BREAK)


# --- Socket scope -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SocketScope:
    """What decides what one user's sockets receive, read in one go."""

    user_id: int
    username: str
    active: bool
    role: str | None
    team_id: int | None
    status: str | None
    #: The user's own queues (``incoming`` hints).
    queue_ids: frozenset[int]
    #: Agents and queues whose events the user's wallboard shows; ``None``: all of them.
    team_agent_ids: frozenset[int] | None
    team_queue_ids: frozenset[int] | None

    @property
    def may_open_agent_stream(self) -> bool:
        return self.active and self.role is not None

    @property
    def may_watch_wallboard(self) -> bool:
        return self.active and self.role in SUPERVISORS_UP

    def sees_agent(self, user_id: int | None) -> bool:
        return user_id is not None and (
            self.team_agent_ids is None or user_id in self.team_agent_ids or user_id == self.user_id
        )

    def sees_queue(self, queue_id: int | None) -> bool:
        return queue_id is not None and (self.team_queue_ids is None or queue_id in self.team_queue_ids)


def socket_scope(*, user_id: int) -> SocketScope | None:
    """The scope of ``user_id``'s sockets; ``None`` when the user no longer exists.

    A supervisor's wallboard shows the agents and interactions that :mod:`contactcenter.core.access`
    lets them see: their team's agents, the queues those agents serve. Managers and admins see all.
    Four queries at most.
    """
    user = User.objects.select_related("agent_profile").filter(pk=user_id).first()
    if user is None:
        return None
    role = role_of(user)
    profile: AgentProfile | None = getattr(user, "agent_profile", None)
    queue_ids = frozenset(profile.queues.values_list("pk", flat=True)) if profile else frozenset()
    team_id = profile.team_id if profile else None
    team_agent_ids = team_queue_ids = None
    if role not in MANAGERS_UP:
        team_agent_ids = frozenset(AgentProfile.objects.visible_to(user).values_list("user_id", flat=True))
        team_queue_ids = (
            frozenset(Queue.objects.filter(agents__team_id=team_id).values_list("pk", flat=True).distinct())
            if role == Role.SUPERVISOR and team_id is not None
            else queue_ids
        )
    return SocketScope(
        user_id=user.pk,
        username=user.get_username(),
        active=user.is_active,
        role=role,
        team_id=team_id,
        status=profile.status if profile else None,
        queue_ids=queue_ids,
        team_agent_ids=team_agent_ids,
        team_queue_ids=team_queue_ids,
    )


class _ScopeCache:
    """Scopes by user id, for a few seconds, in this process; one read in flight per user."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[float, SocketScope | None]] = {}
        self._loading: dict[tuple[asyncio.AbstractEventLoop, int], asyncio.Task] = {}
        self._generation = 0
        self._marks: list[str] = []

    async def get(self, user_id: int) -> SocketScope | None:
        entry = self._entries.get(user_id)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        key = (asyncio.get_running_loop(), user_id)
        task = self._loading.get(key)
        if task is None:
            task = asyncio.ensure_future(self._load(user_id))
            self._loading[key] = task
            task.add_done_callback(lambda _task: self._loading.pop(key, None))
        return await asyncio.shield(task)

    async def _load(self, user_id: int) -> SocketScope | None:
        while True:
            generation = self._generation
            scope = await database_sync_to_async(socket_scope)(user_id=user_id)
            if generation == self._generation:  # nothing was forgotten meanwhile: it is current
                self._entries[user_id] = (time.monotonic() + SCOPE_TTL_SECONDS, scope)
                return scope

    def forget(self, mark: str | None = None) -> bool:
        """Forget every scope, once per ``mark`` (each socket that hears of a change calls this)."""
        if mark is not None:
            if mark in self._marks:
                return False
            self._marks = [*self._marks[-99:], mark]
        self._generation += 1
        self._entries.clear()
        return True


_scopes = _ScopeCache()


async def cached_socket_scope(*, user_id: int) -> SocketScope | None:
    """:func:`socket_scope`, answered from this process's memory when it is fresh."""
    return await _scopes.get(user_id)


def forget_socket_scopes(mark: str | None = None) -> bool:
    """Make the next :func:`cached_socket_scope` read the database (``mark``: once per change)."""
    return _scopes.forget(mark)


# --- Event payloads -------------------------------------------------------------------------------


# --- Queue figures --------------------------------------------------------------------------------


def local_day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """``[start, end)`` of the local day (``TIME_ZONE``) that contains ``now``."""
    zone = timezone.get_default_timezone()
    day = timezone.localtime(now, zone).date()
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    following = day + timedelta(days=1)
    return start, datetime(following.year, following.month, following.day, tzinfo=zone)


def waiting_q(now: datetime, prefix: str = "") -> Q:
    """A contact waiting in its queue at ``now``: inbound, not IVR, neither answered nor ended,
    offered within :data:`MAX_WAIT` (older: a lost end event, not a caller)."""
    return Q(
        **{
            f"{prefix}direction": Direction.INBOUND,
            f"{prefix}answered_at__isnull": True,
            f"{prefix}ended_at__isnull": True,
            f"{prefix}offered_at__gte": now - MAX_WAIT,
            f"{prefix}offered_at__lte": now,
        }
    ) & ~Q(**{f"{prefix}channel": Channel.IVR})


class PerGroupRow(Func):
    """An expression that depends only on the row of the grouped model (its primary key is in the
    ``GROUP BY``), left out of the ``GROUP BY`` itself: the database computes it once per group,
    after aggregating, instead of once per joined row before grouping them."""

    template = "%(expressions)s"

    def get_group_by_cols(self) -> list:
        return []


def _agents_in(status: str) -> PerGroupRow:
    members = AgentProfile.queues.through.objects.filter(
        queue_id=OuterRef("pk"), agentprofile__status=status, agentprofile__user__is_active=True
    )
    counted = members.order_by().values("queue_id").annotate(n=Count("pk")).values("n")[:1]
    # Out of the GROUP BY: a subquery there runs for each of today's interactions of the queue.
    return PerGroupRow(Coalesce(Subquery(counted, output_field=IntegerField()), 0), output_field=IntegerField())


def _counted(column: str, quarters: tuple[int, int]) -> PerGroupRow:
    """The sum of a queue's counter ``column`` over ``quarters`` (the outer row's queue)."""
    first, after = quarters
    rows = KpiQueueCount.objects.filter(queue_id=OuterRef("pk"), quarter__gte=first, quarter__lt=after)
    total = rows.order_by().values("queue_id").annotate(n=Sum(column)).values("n")[:1]
    return PerGroupRow(Coalesce(Subquery(total, output_field=IntegerField()), 0), output_field=IntegerField())


def _stale_counters(quarters: tuple[int, int]) -> PerGroupRow:
    """How many of a queue's counter rows of ``quarters`` counted with another threshold than its own."""
    first, after = quarters
    rows = KpiQueueCount.objects.filter(queue_id=OuterRef("pk"), quarter__gte=first, quarter__lt=after).exclude(
        service_level_seconds=OuterRef("service_level_seconds")
    )
    stale = rows.order_by().values("queue_id").annotate(n=Count("pk")).values("n")[:1]
    return PerGroupRow(Coalesce(Subquery(stale, output_field=IntegerField()), 0), output_field=IntegerField())


def day_counts_from_interactions(
    *, queue_ids: Iterable[int], day_start: datetime, day_end: datetime
) -> dict[int, dict[str, int]]:
    """Queue id → the counts of :data:`kpis.queue_counts.COUNTED` over its interactions offered in
    ``[day_start, day_end)``, the threshold being the queue's own: one grouped query over them (the
    figures the counters hold, read the long way when they cannot answer)."""
    queues = Queue.objects.filter(pk__in=list(queue_ids)).annotate(
        today=FilteredRelation(
            "interactions",
            condition=Q(interactions__offered_at__gte=day_start, interactions__offered_at__lt=day_end),
        )
    )
    counts = {column: Count("today", filter=condition) for column, condition in day_counts_q("today__").items()}
    return {row["pk"]: {column: row[column] for column in COUNTED} for row in queues.values("pk").annotate(**counts)}


def queue_stats(*, queue_ids: Iterable[int] | None = None, now: datetime | None = None) -> list[dict[str, Any]]:
    """Live figures of the active queues ``queue_ids`` (``None``: every active queue), by name.

    Per queue: calls ``waiting`` now (inbound, not IVR, neither answered nor ended, offered within
    :data:`MAX_WAIT`) and the ``longest_wait`` among them (seconds); agents ``available``,
    ``busy``, ``wrap_up`` and on ``break`` among its active members; and for today (the local day
    in ``TIME_ZONE``) ``offered``, ``handled``, ``abandoned``, ``service_level`` and
    ``abandonment_rate`` exactly as SPEC §4 defines them (offered leaves out short abandons and
    IVR; service level = handled inbound answered within the queue's threshold ÷ offered; a rate
    over nothing offered is ``None``).

    One query for the whole set, whatever the day's traffic: the waiting contacts (the partial
    index of the unanswered, unended ones), today's counts summed from the queue counters kept at
    write time (:mod:`kpis.queue_counts`: a day is at most 100 quarter hours per queue), the agents
    counted once per queue. A queue whose counters cannot answer (not ready, kept under another
    short-abandon threshold, counted with another service-level threshold than the queue's, or a
    day not made of whole quarter hours) has its day counted from its interactions instead, in one
    more grouped query for all such queues: the same figures.
    """
    now = now or timezone.now()
    day_start, day_end = local_day_bounds(now)
    quarters = day_quarters(day_start, day_end)

    queues = Queue.objects.filter(is_active=True)
    if queue_ids is not None:
        queues = queues.filter(pk__in=list(queue_ids))
    queues = queues.annotate(
        waiting_now=FilteredRelation(
            "interactions",
            condition=Q(
                interactions__answered_at__isnull=True,
                interactions__ended_at__isnull=True,
                interactions__offered_at__gte=now - MAX_WAIT,
                interactions__offered_at__lte=now,
            ),
        )
    )
    waiting = waiting_q(now, "waiting_now__")
    counters: dict[str, Any] = {}
    if quarters is not None:
        ready = QueueCountState.objects.filter(pk=1, ready=True, definition=counters_definition())
        counters = {
            "counters_ready": PerGroupRow(Exists(ready), output_field=BooleanField()),
            "counters_stale": _stale_counters(quarters),
            **{f"counted_{column}": _counted(column, quarters) for column in COUNTED},
        }
    rows = list(
        queues.annotate(
            n_waiting=Count("waiting_now", filter=waiting),
            oldest_waiting=Min("waiting_now__offered_at", filter=waiting),
            **counters,
            **{f"agents_{status}": _agents_in(status) for status in COUNTED_STATUSES},
        ).order_by("name")
    )
    counted = {
        row.pk: {column: getattr(row, f"counted_{column}") for column in COUNTED}
        for row in rows
        if quarters is not None and row.counters_ready and not row.counters_stale
    }
    uncounted = [row.pk for row in rows if row.pk not in counted]
    if uncounted:
        counted.update(day_counts_from_interactions(queue_ids=uncounted, day_start=day_start, day_end=day_end))

    result = []
    for row in rows:
        counts = counted[row.pk]
        offered_count = counts["offered"]
        result.append(
            {
                "queue": row.name,
                "channel": row.channel,
                "waiting": row.n_waiting,
                "longest_wait": (
                    max((now - row.oldest_waiting).total_seconds(), 0.0) if row.oldest_waiting is not None else None
                ),
                "agents": {status: getattr(row, f"agents_{status}") for status in COUNTED_STATUSES},
                "offered": offered_count,
                "handled": counts["handled"],
                "abandoned": counts["abandoned"],
                "service_level": counts["answered_in_threshold"] / offered_count if offered_count else None,
                "abandonment_rate": counts["abandoned"] / offered_count if offered_count else None,
                "service_level_seconds": row.service_level_seconds,
                "service_level_target": row.service_level_target,
                "_id": row.pk,
            }
        )
    return result


def visible_queue_ids(scope: SocketScope) -> frozenset[int] | None:
    """The queues whose figures a wallboard shows (``None``: every active queue)."""
    return scope.team_queue_ids


def public(row: dict[str, Any]) -> dict[str, Any]:
    """A payload without its routing keys (those starting with ``_``)."""
    return {key: value for key, value in row.items() if not key.startswith("_")}


# --- Wallboard page -------------------------------------------------------------------------------

#: The order of the wallboard's agents grid: who can take a call first, who is away last.
WALLBOARD_STATUS_ORDER = (
    Status.AVAILABLE,
    Status.RINGING,
    Status.BUSY,
    Status.WRAP_UP,
    Status.BREAK,
    Status.OFFLINE,
)


def wallboard_agents(*, scope: SocketScope) -> list[AgentProfile]:
    """The agents of a wallboard's grid, as the ``agent_status`` events of ``scope``'s socket show
    them: active users with a profile that the scope sees (a supervisor: their team and
    themselves; managers and admins: everyone), with ``user`` and ``team`` joined.

    Agents and supervisors are listed whatever their status; managers and admins (who rarely take
    calls: integration accounts, the back office) only while not offline. Ordered by
    :data:`WALLBOARD_STATUS_ORDER`, then username. One query.
    """
    profiles = AgentProfile.objects.filter(user__is_active=True).filter(
        Q(role__in=(Role.AGENT, Role.SUPERVISOR), user__is_superuser=False) | ~Q(status=Status.OFFLINE)
    )
    if scope.team_agent_ids is not None:
        profiles = profiles.filter(user_id__in=scope.team_agent_ids | {scope.user_id})
    rank = {status: index for index, status in enumerate(WALLBOARD_STATUS_ORDER)}
    rows = list(profiles.select_related("user", "team"))
    rows.sort(key=lambda profile: (rank.get(profile.status, len(rank)), profile.user.get_username()))
    return rows


# --- Wallboard panels (a tile clicked) ----------------------------------------------------------------

#: The waiting list of a queue's panel shows this many contacts at most (the oldest first).
WAITING_LIST_LIMIT = 100


def wallboard_queue(*, user: AbstractBaseUser, queue_id: int) -> Queue | None:
    """The active queue ``queue_id`` when ``user``'s wallboard shows it (the rule of
    :func:`socket_scope`: managers and admins every queue, a supervisor the queues their team's
    agents serve, anyone else their own queues); ``None`` otherwise. One query."""
    role = role_of(user)
    queues = Queue.objects.filter(pk=queue_id, is_active=True)
    if role not in MANAGERS_UP:
        team_id = team_id_of(user)
        if role == Role.SUPERVISOR and team_id is not None:
            queues = queues.filter(agents__team_id=team_id)
        else:
            queues = queues.filter(agents__user_id=user.pk)
    return queues.distinct().first()


def queue_waiting_contacts(*, queue: Queue, now: datetime | None = None) -> list[Interaction]:
    """The contacts waiting in ``queue`` at ``now`` (the tile's *Waiting*: :func:`waiting_q`), the
    longest waiting first, at most :data:`WAITING_LIST_LIMIT`, with their customer and their call
    (whom it rings for) joined. One query (the queue's ``(queue, offered_at)`` index)."""
    now = now or timezone.now()
    return list(
        Interaction.objects.filter(queue=queue)
        .filter(waiting_q(now))
        .select_related("customer", "cti_call__presence_agent")
        .order_by("offered_at", "id")[:WAITING_LIST_LIMIT]
    )


def wallboard_agent(*, user: AbstractBaseUser, username: str) -> AgentProfile | None:
    """The active agent ``username`` when ``user`` may see them (``AgentProfile.visible_to``: a
    supervisor their team and themselves, managers and admins everyone), with user and team. One
    query."""
    return (
        AgentProfile.objects.visible_to(user)
        .filter(user__username=username, user__is_active=True)
        .select_related("user", "team", "pending_set_by")
        .first()
    )


@dataclass(frozen=True)
class AgentDay:
    """An agent's day so far: the presence log and the contacts of the local day."""

    day_start: datetime
    now: datetime
    intervals: list[PresenceInterval]
    contacts: list[Interaction]


def agent_day(*, profile: AgentProfile, now: datetime | None = None) -> AgentDay:
    """``profile``'s agent today (the local day in ``TIME_ZONE`` up to ``now``): the presence
    intervals that overlap it, oldest first (the one begun before midnight included), with who set
    and who ended each; and the contacts offered to them today, oldest first, with queue and
    disposition. Two queries, each on its ``(agent, …)`` index."""
    now = now or timezone.now()
    day_start, _day_end = local_day_bounds(now)
    # The interval running at midnight began at the latest start before it: from there on.
    before = (
        PresenceInterval.objects.filter(agent_id=profile.user_id, started_at__lt=day_start)
        .order_by("-started_at")
        .values("started_at")[:1]
    )
    intervals = [
        interval
        for interval in PresenceInterval.objects.filter(agent_id=profile.user_id, started_at__lte=now)
        .filter(started_at__gte=Coalesce(Subquery(before), Value(day_start, output_field=DateTimeField())))
        .select_related("set_by", "ended_by")
        .order_by("started_at", "id")
        if interval.ended_at is None or interval.ended_at > day_start
    ]
    contacts = list(
        Interaction.objects.filter(agent_id=profile.user_id, offered_at__gte=day_start, offered_at__lte=now)
        .select_related("queue", "disposition")
        .order_by("offered_at", "id")
    )
    return AgentDay(day_start=day_start, now=now, intervals=intervals, contacts=contacts)
