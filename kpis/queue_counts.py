"""The wallboard's queue counters kept at write time (docs/kpis.md, "Queue counters kept at write
time"): fill them, check them, and what a read of them looks like.

:class:`~kpis.models.KpiQueueCount` holds, per queue × quarter hour (UTC, of ``offered_at``), the
wallboard's counts of the contacts offered in it (offered, handled, abandoned, handled within the
queue's service-level threshold); the database triggers of ``kpis/migrations/0006_queue_counts.py``
keep them in every writing transaction. A local day of any time zone starts and ends on a quarter
hour (:func:`day_quarters` checks it), so a day's counts are the sum of its 92 to 100 quarters,
whatever its traffic, and the counters need nothing rebuilt when ``TIME_ZONE`` changes.

What the counters depend on beyond one interaction row:

- ``SHORT_ABANDON_SECONDS``: the triggers read it from :class:`~kpis.models.QueueCountState`,
  whose ``definition`` says which; counters of another definition, or not ``ready``, are not used
  (:func:`counters_usable`) until :func:`counters_sync` (run by ``kpis_rollup``) rebuilds them all;
- each queue's ``service_level_seconds``: every counter row stores the threshold it counted with; a
  queue saved with a new threshold has its rows from today on rebuilt in the same transaction
  (:func:`queue_saved`); a row whose threshold is not its queue's is not used (the wallboard counts
  that queue's day from the interactions), whoever changed the queue.

The fill is set-based (one ``INSERT … SELECT`` grouped by queue and quarter), with the engine's own
definitions (:mod:`interactions.durations`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import BooleanField, Count, F, Func, IntegerField, Q
from django.db.models.signals import post_init, post_save
from django.utils import timezone

from contactcenter.agents.models import Queue
from contactcenter.core.choices import Direction
from interactions import durations
from interactions.models import Interaction
from kpis.models import KpiQueueCount, QueueCountState

#: Seconds in one counter row's span (a quarter hour: every time zone's offset is a multiple of it).
QUARTER_SECONDS = 900
#: Bump when what a counter counts changes in code: the counters are then rebuilt before use.
VERSION = "v1"
#: The advisory lock (class, key 0) the PostgreSQL triggers take shared before reading the state
#: row, and a rebuild exclusively before changing it (``kpis/migrations/0006_queue_counts.py``).
LOCK_CLASS = 1178813011
#: The counted columns of :class:`KpiQueueCount`.
COUNTED = ("offered", "handled", "abandoned", "answered_in_threshold")


def definition() -> str:
    """The definition the counters must have been kept under to be used (version, threshold)."""
    return f"{VERSION}|{float(settings.SHORT_ABANDON_SECONDS)}"


def quarter_of(moment: datetime) -> int:
    """The quarter hour holding ``moment``: ``floor(epoch seconds / 900)``."""
    return math.floor(moment.timestamp()) // QUARTER_SECONDS


def day_quarters(start: datetime, end: datetime) -> tuple[int, int] | None:
    """The quarters ``[first, after)`` that make up ``[start, end)`` exactly; ``None`` when a bound
    is not on a quarter hour (the counters cannot answer that span)."""
    if start.timestamp() % QUARTER_SECONDS or end.timestamp() % QUARTER_SECONDS:
        return None
    return quarter_of(start), quarter_of(end)


class Quarter(Func):
    """The quarter hour of a datetime column, as the triggers compute it."""

    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(floor(EXTRACT(EPOCH FROM date_trunc('second', {sql})) / 900) AS bigint)", params

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        # Whole seconds only: SQLite's strftime rounds a fraction to milliseconds (59.9999 → next
        # second); char(37, 115) is the format "%s" (no percent sign to escape); floor division.
        seconds = f"CAST(strftime(char(37, 115), substr({sql}, 1, 19)) AS INTEGER)"
        return f"(CASE WHEN {seconds} >= 0 THEN {seconds} / 900 ELSE -((899 - {seconds}) / 900) END)", params * 3


class AnsweredWithin(Func):
    """``answered − offered ≤ seconds``, exactly (to the microsecond), on PostgreSQL and SQLite."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, answered: str, offered: str, seconds: str) -> None:
        super().__init__(F(answered), F(offered), F(seconds))

    def as_sql(self, compiler, connection, **extra_context) -> tuple[str, list]:
        parts, params = [], []
        for expression in self.get_source_expressions():
            sql, part_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(part_params)
        answered, offered, seconds = parts
        if connection.vendor == "sqlite":
            # Django's own SQLite function for datetime differences, in whole microseconds.
            return f"(django_timestamp_diff({answered}, {offered}) <= {seconds} * 1000000)", params
        return f"({answered} <= {offered} + {seconds} * INTERVAL '1 second')", params


def day_counts_q(prefix: str = "", threshold: str = "service_level_seconds") -> dict[str, Q]:
    """The conditions behind each counted column (``threshold``: the service-level seconds' field,
    as seen from the grouped model); the wallboard's definitions (SPEC §4)."""
    inbound = Q(**{f"{prefix}direction": Direction.INBOUND})
    return {
        "offered": durations.offered_q(prefix),
        "handled": durations.handled_q(prefix),
        "abandoned": durations.abandoned_q(prefix),
        "answered_in_threshold": durations.handled_q(prefix)
        & inbound
        & AnsweredWithin(f"{prefix}answered_at", f"{prefix}offered_at", threshold),
    }


# --- Filling ---------------------------------------------------------------------------------------


def counters_usable() -> bool:
    """Whether the counters are ``ready`` under the current :func:`definition`. One query."""
    return QueueCountState.objects.filter(pk=1, ready=True, definition=definition()).exists()


def _lock() -> None:
    """PostgreSQL: the counters to this transaction until it ends (writers of interactions wait at
    their trigger; those already past it are waited for, so the fill sees their rows)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {KpiQueueCount._meta.db_table} IN EXCLUSIVE MODE")


def _fill(queue_ids: Iterable[int] | None, since: datetime | None) -> int:
    """Delete then count again the counters of ``queue_ids`` (all: ``None``) from the quarter of
    ``since`` on (all: ``None``), set-based. Returns the rows written. In the caller's transaction."""
    _lock()
    counters = KpiQueueCount.objects.all()
    interactions = Interaction.objects.filter(queue__isnull=False)
    if queue_ids is not None:
        ids = list(queue_ids)
        counters = counters.filter(queue_id__in=ids)
        interactions = interactions.filter(queue_id__in=ids)
    if since is not None:
        first = quarter_of(since)
        counters = counters.filter(quarter__gte=first)
        interactions = interactions.filter(offered_at__gte=datetime.fromtimestamp(first * QUARTER_SECONDS, tz=UTC))
    counters.delete()
    grouped = (
        interactions.annotate(
            the_queue=F("queue_id"),
            the_quarter=Quarter("offered_at"),
            the_threshold=F("queue__service_level_seconds"),
        )
        .values("the_queue", "the_quarter", "the_threshold")
        .annotate(
            **{
                column: Count("pk", filter=condition)
                for column, condition in day_counts_q(threshold="queue__service_level_seconds").items()
            }
        )
        .order_by()
    )
    select, params = grouped.query.sql_with_params()
    columns = ", ".join(("queue_id", "quarter", "service_level_seconds", *COUNTED))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {KpiQueueCount._meta.db_table} ({columns}) {select}", params)
        return cursor.rowcount


def counters_sync(*, force: bool = False) -> int | None:
    """Bring the counters in line with the settings: when the state row holds another definition,
    or is not ``ready`` (or ``force``), store the current threshold and definition (the triggers
    use them from then on) and count every queue's quarters again, in one transaction. Returns the
    rows written, ``None`` when there was nothing to do."""
    current = definition()
    state = QueueCountState.objects.filter(pk=1).first()
    if not force and state is not None and state.ready and state.definition == current:
        return None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Waits for the writers whose triggers read the threshold before (they hold the lock
            # shared until they end); writers after this wait, then read the new one.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [LOCK_CLASS])
        QueueCountState.objects.update_or_create(
            pk=1,
            defaults={
                "short_abandon_seconds": float(settings.SHORT_ABANDON_SECONDS),
                "definition": current,
                "ready": True,
                "computed_at": timezone.now(),
            },
        )
        return _fill(None, None)


def queue_counters_refill(*, queue_ids: Iterable[int], since: datetime) -> int:
    """Count again the counters of ``queue_ids`` from ``since`` on (their thresholds changed), in
    the caller's transaction (one is opened when there is none). Returns the rows written."""
    with transaction.atomic():
        return _fill(queue_ids, since)


def queue_saved(*, queue: Queue, now: datetime | None = None) -> int:
    """After ``queue`` was saved with another threshold: its counters from the start of today
    (local) on that hold another threshold than the queue's are counted again. Returns the rows
    written."""
    now = now or timezone.now()
    since = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    stale = KpiQueueCount.objects.filter(queue_id=queue.pk, quarter__gte=quarter_of(since)).exclude(
        service_level_seconds=queue.service_level_seconds
    )
    if not stale.exists():
        return 0
    return queue_counters_refill(queue_ids=[queue.pk], since=since)


#: The attribute of a loaded queue that remembers the threshold it was loaded with.
_LOADED = "_kpis_loaded_service_level_seconds"


def _on_queue_loaded(sender: type[Queue], instance: Queue, **kwargs: object) -> None:
    setattr(instance, _LOADED, instance.__dict__.get("service_level_seconds"))


def _on_queue_saved(sender: type[Queue], instance: Queue, created: bool, raw: bool = False, **kwargs: object) -> None:
    threshold = instance.__dict__.get("service_level_seconds")
    if not raw and not created and threshold != getattr(instance, _LOADED, None):
        queue_saved(queue=instance)
    setattr(instance, _LOADED, threshold)


def state_ensure_after_migrate(sender: object, apps: Any = None, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """After ``migrate`` (or ``flush``, which empties every table, this one included), the state
    row exists: made ``ready`` when there is no interaction (every counter is zero), otherwise left
    for ``kpis_rollup`` to fill. Nothing when the counters' tables are not migrated yet."""
    try:
        state = apps.get_model("kpis", "QueueCountState") if apps else QueueCountState
        interactions = apps.get_model("interactions", "Interaction") if apps else Interaction
    except LookupError:
        return
    if state.objects.using(using).filter(pk=1).exists():
        return
    state.objects.using(using).create(
        pk=1,
        short_abandon_seconds=float(settings.SHORT_ABANDON_SECONDS),
        definition=definition(),
        ready=not interactions.objects.using(using).exists(),
    )


def connect_signals() -> None:
    """A queue saved with another threshold than it was loaded with (admin, API, services) has its
    counters of today on counted with the new one (no query when the threshold is unchanged)."""
    post_init.connect(_on_queue_loaded, sender=Queue, dispatch_uid="kpis_queue_counts_queue_loaded")
    post_save.connect(_on_queue_saved, sender=Queue, dispatch_uid="kpis_queue_counts_queue_saved")
