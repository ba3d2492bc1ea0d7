"""The durations and outcome flags of one interaction, exactly as SPEC §4 defines them.

This is the one place they are computed for a single interaction: the model's properties, the
API and the admin call these functions. All durations are seconds (float).

The same definitions as SQL (the ``*_sql`` expressions and ``*_q`` conditions at the end of this
module) let the KPI engine (:mod:`kpis.selectors`) aggregate them in the database, on SQLite and
PostgreSQL alike; ``tests/kpis/test_kpi_engine.py`` proves that both agree, interaction by
interaction. Each takes a ``prefix`` for reaching the interaction through a relation
(``"interaction__"`` from a survey response).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.db import NotSupportedError
from django.db.models import DurationField, ExpressionWrapper, F, FloatField, Func, Q, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan, LessThanOrEqual
from django.utils.translation import gettext as _

from contactcenter.core.choices import Channel, Direction


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


def is_handled(i: Timed) -> bool:
    """Answered by an agent, inbound or outbound."""
    return i.answered_at is not None and getattr(i, "agent_id", None) is not None


#: The service-level threshold of an interaction without a queue (and a queue's default).
DEFAULT_SERVICE_LEVEL_SECONDS = 20


def service_level_seconds(i: Timed) -> int:
    """The threshold that applies to ``i``: its queue's ``service_level_seconds``, 20 without one."""
    queue = getattr(i, "queue", None) if getattr(i, "queue_id", None) is not None else None
    return queue.service_level_seconds if queue is not None else DEFAULT_SERVICE_LEVEL_SECONDS


def is_within_service_level(i: Timed) -> bool:
    """Handled, inbound, and waited no longer than its queue's threshold (the service level's
    numerator; a wait exactly at the threshold counts)."""
    wait = wait_seconds(i)
    return is_handled(i) and i.direction == Direction.INBOUND and wait is not None and wait <= service_level_seconds(i)


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


# --- The same definitions in SQL -------------------------------------------------------------------


class ElapsedSeconds(Func):
    """``later − earlier`` in seconds (float), computed by the database, exact to the microsecond.

    Both arguments are datetime expressions (field names are read as ``F()``); ``NULL`` when either
    is. SQLite: Django's own difference of two timestamps (whole microseconds) ÷ 10⁶, the division
    ``timedelta.total_seconds()`` makes. PostgreSQL: the epoch of the interval, as double precision.
    """

    output_field = FloatField()

    def __init__(self, later: str | Combinable, earlier: str | Combinable) -> None:
        later = F(later) if isinstance(later, str) else later
        earlier = F(earlier) if isinstance(earlier, str) else earlier
        super().__init__(ExpressionWrapper(later - earlier, output_field=DurationField()))

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"ElapsedSeconds is not written for {connection.vendor}.")

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"(({sql}) / 1000000.0)", params

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"CAST(EXTRACT(EPOCH FROM ({sql})) AS double precision)", params


def wait_seconds_sql(prefix: str = "") -> ElapsedSeconds:
    """SQL :func:`wait_seconds`: ``answered_at − offered_at``, ``NULL`` when never answered."""
    return ElapsedSeconds(f"{prefix}answered_at", f"{prefix}offered_at")


def talk_seconds_sql(prefix: str = "") -> Combinable:
    """SQL :func:`talk_seconds`: ``ended_at − answered_at − hold_seconds``."""
    return ElapsedSeconds(f"{prefix}ended_at", f"{prefix}answered_at") - F(f"{prefix}hold_seconds")


def acw_seconds_sql(prefix: str = "") -> Coalesce:
    """SQL :func:`acw_seconds`: ``wrapup_ended_at − ended_at``, 0 when either is null."""
    return Coalesce(
        ElapsedSeconds(f"{prefix}wrapup_ended_at", f"{prefix}ended_at"), Value(0.0), output_field=FloatField()
    )


def handle_seconds_sql(prefix: str = "") -> Combinable:
    """SQL :func:`handle_seconds`: talk + hold + after-call work, summed in the same order."""
    return ExpressionWrapper(
        talk_seconds_sql(prefix) + F(f"{prefix}hold_seconds") + acw_seconds_sql(prefix), output_field=FloatField()
    )


def short_abandon_q(prefix: str = "") -> Q:
    """SQL :func:`is_short_abandon` (``SHORT_ABANDON_SECONDS`` is read at each call)."""
    return Q(
        **{
            f"{prefix}direction": Direction.INBOUND,
            f"{prefix}answered_at__isnull": True,
            f"{prefix}ended_at__isnull": False,
        }
    ) & Q(
        LessThan(
            ElapsedSeconds(f"{prefix}ended_at", f"{prefix}offered_at"),
            Value(settings.SHORT_ABANDON_SECONDS, output_field=FloatField()),
        )
    )


def offered_q(prefix: str = "") -> Q:
    """SQL :func:`is_offered`: inbound, not IVR, not a short abandon."""
    return (
        Q(**{f"{prefix}direction": Direction.INBOUND})
        & ~Q(**{f"{prefix}channel": Channel.IVR})
        & ~short_abandon_q(prefix)
    )


def abandoned_q(prefix: str = "") -> Q:
    """SQL :func:`is_abandoned`: offered, never answered, over."""
    return offered_q(prefix) & Q(**{f"{prefix}answered_at__isnull": True, f"{prefix}ended_at__isnull": False})


def handled_q(prefix: str = "") -> Q:
    """SQL :func:`is_handled`: answered, with an agent."""
    return Q(**{f"{prefix}answered_at__isnull": False, f"{prefix}agent__isnull": False})


def service_level_seconds_sql(prefix: str = "") -> Coalesce:
    """SQL :func:`service_level_seconds`: the queue's threshold, 20 without a queue."""
    return Coalesce(F(f"{prefix}queue__service_level_seconds"), Value(DEFAULT_SERVICE_LEVEL_SECONDS))


def within_service_level_q(prefix: str = "") -> Q:
    """SQL :func:`is_within_service_level`: handled inbound, waited at most its queue's threshold."""
    return (
        handled_q(prefix)
        & Q(**{f"{prefix}direction": Direction.INBOUND})
        & Q(LessThanOrEqual(wait_seconds_sql(prefix), service_level_seconds_sql(prefix)))
    )
