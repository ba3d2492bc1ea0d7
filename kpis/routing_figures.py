"""Routing figures of the KPI engine: how the offers of work items to agents ended
(``docs/kpis.md`` "Routing figures").

The routing keeps every offer of a work item to an agent (:class:`WorkOffer`: the agent, when it
was offered, when and how it ended: ``accepted``, ``declined``, ``timed_out`` or ``withdrawn``, or
still open). A report counts the offers **made** in its period (by ``offered_at``, local days as
every other figure), in the user's scope (the offers made to the agents whose figures they may
read), filtered and grouped like the interactions:

- ``agent``, ``team``: the agent the offer was made to (the team: their current team);
- ``queue``: the work item's queue; ``channel``: the channel the item's kind uses (a chat ``chat``,
  an email or a ticket ``email``, a callback ``voice``);
- ``day``, ``week``, ``month``: the local day of ``offered_at``.

Everything is one aggregate query over the offers (no Python loop over them), the 90th percentile
of the time to accept included: the nearest rank, found by a window function (``CUME_DIST``) over
the accepted offers of each group, SQLite and PostgreSQL alike. Offers are not rolled up (a
percentile does not add up across days): the query reads the period's offers, through the index
on their offer time.

Callbacks kept on time are counted over the callbacks themselves (:class:`Callback`), by their due
time: the callbacks **due** in the period (``due_at``, local days), cancelled ones left out, in the
user's scope (those promised by the agents whose figures they may read), grouped by the agent who
promised it (``agent``, ``team``), its queue (``queue``), ``voice`` (``channel``) and the local day
of ``due_at``; one aggregate query too (:func:`callback_family`, :data:`CALLBACK_FIGURES`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db.models import Case, Count, DateField, F, Min, Q, QuerySet, Sum, Value, When, Window
from django.db.models.functions import CumeDist, Trunc
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contactcenter.core.choices import Channel
from contactcenter.distribution.models import (
    KIND_CHANNEL,
    Callback,
    CallbackState,
    OfferOutcome,
    WorkKind,
    WorkOffer,
)
from interactions.durations import ElapsedSeconds
from kpis.definitions import GROUPS, TIME_GROUPS, KpiFilters, KpiScope, bucket_key, local_midnight, next_bucket

#: The percentile of the time to accept (nearest rank: the smallest time at or under which at
#: least this share of the accepted offers were accepted).
ACCEPT_PERCENTILE = 0.9

#: The additive counts of the routing figures (a report row holds them, 0 when no offer).
ROUTING_COUNTS = (
    "offers",
    "offers_accepted",
    "offers_declined",
    "offers_timed_out",
    "offers_withdrawn",
    "offers_open",
    "accept_seconds",
)

#: The additive counts of the callback figures, over the callbacks due in the period, cancelled
#: ones left out (a report row holds them, 0 when none): due, tried at least once, kept on time
#: (first tried within ``CALLBACK_ON_TIME_MINUTES`` of the due time), missed. The rate
#: ``callbacks_on_time_rate`` is ``callbacks_kept_on_time ÷ callbacks_due`` (``None`` when none due).
CALLBACK_FIGURES: tuple[str, ...] = (
    "callbacks_due",
    "callbacks_tried",
    "callbacks_kept_on_time",
    "callbacks_missed",
)

#: The channel of a callback (a call).
CALLBACK_CHANNEL = KIND_CHANNEL[WorkKind.CALLBACK]


def _kinds_of(channel: str) -> list[str]:
    """The kinds of work whose channel is ``channel`` (none for a channel no work item uses)."""
    return [kind for kind, of in KIND_CHANNEL.items() if of == channel]


def offers_q(scope: KpiScope, filters: KpiFilters, start: date, end: date) -> Q:
    """The offers a report counts: made to an agent of ``scope`` in the local days ``[start,
    end)``, filtered (agent, team: the agent's; queue: the item's; channel: the item's kind's)."""
    condition = scope.agents_q() & filters.agents_q()
    condition &= Q(offered_at__gte=local_midnight(start), offered_at__lt=local_midnight(end))
    if filters.queue:
        condition &= Q(item__queue__name=filters.queue)
    if filters.channel:
        condition &= Q(item__kind__in=_kinds_of(filters.channel))
    return condition


def offer_group_key(group_by: str) -> Any:
    """The SQL expression of an offer's group (see the module's docstring)."""
    if group_by == "agent":
        return F("agent__username")
    if group_by == "team":
        return F("agent__agent_profile__team__name")
    if group_by == "queue":
        return F("item__queue__name")
    if group_by == "channel":
        used = [channel for channel in Channel.values if _kinds_of(channel)]
        return Case(*[When(item__kind__in=_kinds_of(channel), then=Value(channel)) for channel in used], default=None)
    return Trunc("offered_at", group_by, output_field=DateField(), tzinfo=timezone.get_default_timezone())


def accept_seconds_sql() -> ElapsedSeconds:
    """Time to accept an offer: ``answered_at − offered_at``, in seconds (of accepted offers)."""
    return ElapsedSeconds("answered_at", "offered_at")


def routing_aggregates(condition: Q, group_by: str | None) -> dict[str, Any]:
    """The counts and sums behind the routing figures of the offers meeting ``condition``, and the
    percentile time to accept of each group (``time_to_accept_p90``, not additive): ``Min`` of the
    times of the accepted offers whose cumulative distribution in their group (``CUME_DIST``
    ordered by time) reaches :data:`ACCEPT_PERCENTILE`."""
    accepted = Q(outcome=OfferOutcome.ACCEPTED)
    partition = [offer_group_key(group_by)] if group_by is not None else []
    ranked = (
        WorkOffer.objects.filter(condition, accepted)
        .annotate(accept_rank=Window(CumeDist(), partition_by=partition or None, order_by=accept_seconds_sql().asc()))
        .filter(accept_rank__gte=ACCEPT_PERCENTILE)
        .values("pk")
    )
    return {
        "offers": Count("pk"),
        "offers_accepted": Count("pk", filter=accepted),
        "offers_declined": Count("pk", filter=Q(outcome=OfferOutcome.DECLINED)),
        "offers_timed_out": Count("pk", filter=Q(outcome=OfferOutcome.TIMED_OUT)),
        "offers_withdrawn": Count("pk", filter=Q(outcome=OfferOutcome.WITHDRAWN)),
        "offers_open": Count("pk", filter=Q(outcome=OfferOutcome.OPEN)),
        "accept_seconds": Sum(accept_seconds_sql(), filter=accepted),
        "time_to_accept_p90": Min(accept_seconds_sql(), filter=accepted & Q(pk__in=ranked)),
    }


def routing_family(
    *, scope: KpiScope, start: date, end: date, group_by: str | None, filters: KpiFilters
) -> dict[str | None, dict]:
    """The routing figures' counts per group: ``{key: {name: value}}``, one query."""
    condition = offers_q(scope, filters, start, end)
    offers = WorkOffer.objects.filter(condition)
    aggregates = routing_aggregates(condition, group_by)
    if group_by is None:
        return {None: offers.aggregate(**aggregates)}
    rows = offers.order_by().values(kpi_key=offer_group_key(group_by)).annotate(**aggregates)
    result = {}
    for row in rows:
        key = row.pop("kpi_key")
        if isinstance(key, date):
            key = bucket_key(group_by, key)
        result[key] = row
    return result


# --- Drill-down ------------------------------------------------------------------------------------


#: Count of a report row → (label, condition on the offers it counts).
OFFER_FIGURES: dict[str, tuple[Any, Callable[[], Q]]] = {
    "offers": (_("Offers"), Q),
    "offers_accepted": (_("Offers accepted"), lambda: Q(outcome=OfferOutcome.ACCEPTED)),
    "offers_declined": (_("Offers declined"), lambda: Q(outcome=OfferOutcome.DECLINED)),
    "offers_timed_out": (_("Offers timed out"), lambda: Q(outcome=OfferOutcome.TIMED_OUT)),
    "offers_withdrawn": (_("Offers withdrawn"), lambda: Q(outcome=OfferOutcome.WITHDRAWN)),
    "offers_open": (_("Offers still open"), lambda: Q(outcome=OfferOutcome.OPEN)),
}

#: A routing figure of the report → the count whose offers a click on it lists.
KPI_OFFER_FIGURES: dict[str, str] = {
    "offers": "offers",
    "offers_accepted": "offers_accepted",
    "offers_declined": "offers_declined",
    "offers_timed_out": "offers_timed_out",
    "accept_rate": "offers_accepted",
    "time_to_accept": "offers_accepted",
    "time_to_accept_p90": "offers_accepted",
}


def offer_group_q(group_by: str, key: str | None) -> Q:
    """The offers of one group of a report grouped by ``group_by`` (``None``: those without a
    key). Raises ``ValueError`` for a grouping or a key that cannot be."""
    if group_by not in GROUPS:
        raise ValueError(f"Unknown grouping {group_by!r}.")
    if group_by in TIME_GROUPS:
        if key is None:
            raise ValueError("A day, week or month always has a key.")
        first = date.fromisoformat(f"{key}-01" if group_by == "month" else key)
        if group_by == "week" and first.weekday() != 0:
            raise ValueError("A week's key is its Monday.")
        return Q(offered_at__gte=local_midnight(first), offered_at__lt=local_midnight(next_bucket(group_by, first)))
    if group_by == "channel":
        return Q(item__kind__in=_kinds_of(key)) if key is not None else Q(pk__in=[])
    name = {"agent": "agent__username", "team": "agent__agent_profile__team__name", "queue": "item__queue__name"}
    return Q(**{f"{name[group_by]}__isnull": True}) if key is None else Q(**{name[group_by]: key})


def drilldown_offers(
    *,
    scope: KpiScope,
    start: date,
    end: date,
    figure: str,
    group_by: str | None = None,
    key: str | None = None,
    filters: KpiFilters | None = None,
) -> QuerySet[WorkOffer]:
    """The offers counted by ``figure`` (a key of :data:`OFFER_FIGURES`) in the row ``key`` of the
    report (the only row when ``group_by`` is ``None``), newest first, with the agent and the item's
    queue joined, each with its ``answer_seconds`` (offer to answer): ``.count()`` equals the
    figure. Raises ``ValueError`` for an unknown figure, grouping or key."""
    if figure not in OFFER_FIGURES:
        raise ValueError(f"Unknown figure {figure!r}.")
    condition = offers_q(scope, filters or KpiFilters(), start, end) & OFFER_FIGURES[figure][1]()
    if group_by is not None:
        condition &= offer_group_q(group_by, key)
    return WorkOffer.objects.filter(condition).select_related("agent", "item__queue").order_by("-offered_at", "-pk")


# --- Callbacks kept on time -----------------------------------------------------------------------


def callbacks_q(scope: KpiScope, filters: KpiFilters, start: date, end: date) -> Q:
    """The callbacks a report counts: due in the local days ``[start, end)``, not cancelled,
    promised by an agent of ``scope`` (all of them, the unpromised included, for a scope of
    everything), filtered (agent, team: the promiser's; queue: the callback's; channel: voice)."""
    condition = scope.agents_q("promised_by") & filters.agents_q("promised_by")
    condition &= Q(due_at__gte=local_midnight(start), due_at__lt=local_midnight(end))
    condition &= ~Q(state=CallbackState.CANCELLED)
    if filters.queue:
        condition &= Q(queue__name=filters.queue)
    if filters.channel and filters.channel != CALLBACK_CHANNEL:
        condition &= Q(pk__in=[])
    return condition


def callback_group_key(group_by: str) -> Any:
    """The SQL expression of a callback's group (see the module's docstring; not ``channel``: every
    callback is a call)."""
    if group_by == "agent":
        return F("promised_by__username")
    if group_by == "team":
        return F("promised_by__agent_profile__team__name")
    if group_by == "queue":
        return F("queue__name")
    return Trunc("due_at", group_by, output_field=DateField(), tzinfo=timezone.get_default_timezone())


#: Count of a report row → (label, condition on the callbacks it counts, among those due).
CALLBACK_COUNTS: dict[str, tuple[Any, Callable[[], Q]]] = {
    "callbacks_due": (_("Callbacks due"), Q),
    "callbacks_tried": (_("Callbacks tried"), lambda: Q(first_attempt_at__isnull=False)),
    "callbacks_kept_on_time": (_("Callbacks kept on time"), lambda: Q(kept_on_time=True)),
    "callbacks_missed": (_("Callbacks missed"), lambda: Q(state=CallbackState.MISSED)),
}

#: A callback figure of the report → the count whose callbacks a click on it lists.
KPI_CALLBACK_FIGURES: dict[str, str] = {
    "callbacks_due": "callbacks_due",
    "callbacks_tried": "callbacks_tried",
    "callbacks_kept_on_time": "callbacks_kept_on_time",
    "callbacks_missed": "callbacks_missed",
    "callbacks_on_time_rate": "callbacks_kept_on_time",
}


def callback_family(
    *, scope: KpiScope, start: date, end: date, group_by: str | None, filters: KpiFilters
) -> dict[str | None, dict]:
    """The callback figures' counts per group: ``{key: {name: value}}``, one aggregate query over
    the callbacks due in the period."""
    callbacks = Callback.objects.filter(callbacks_q(scope, filters, start, end))
    aggregates = {name: Count("pk", filter=condition()) for name, (_label, condition) in CALLBACK_COUNTS.items()}
    if group_by is None:
        return {None: callbacks.aggregate(**aggregates)}
    if group_by == "channel":
        # Every callback is a call: one group, present only when a callback is due.
        counts = callbacks.aggregate(**aggregates)
        return {CALLBACK_CHANNEL: counts} if counts["callbacks_due"] else {}
    rows = callbacks.order_by().values(kpi_key=callback_group_key(group_by)).annotate(**aggregates)
    result = {}
    for row in rows:
        key = row.pop("kpi_key")
        if isinstance(key, date):
            key = bucket_key(group_by, key)
        result[key] = row
    return result


def callback_group_q(group_by: str, key: str | None) -> Q:
    """The callbacks of one group of a report grouped by ``group_by`` (``None``: those without a
    key). Raises ``ValueError`` for a grouping or a key that cannot be."""
    if group_by not in GROUPS:
        raise ValueError(f"Unknown grouping {group_by!r}.")
    if group_by in TIME_GROUPS:
        if key is None:
            raise ValueError("A day, week or month always has a key.")
        first = date.fromisoformat(f"{key}-01" if group_by == "month" else key)
        if group_by == "week" and first.weekday() != 0:
            raise ValueError("A week's key is its Monday.")
        return Q(due_at__gte=local_midnight(first), due_at__lt=local_midnight(next_bucket(group_by, first)))
    if group_by == "channel":
        return Q() if key == CALLBACK_CHANNEL else Q(pk__in=[])
    name = {
        "agent": "promised_by__username",
        "team": "promised_by__agent_profile__team__name",
        "queue": "queue__name",
    }
    return Q(**{f"{name[group_by]}__isnull": True}) if key is None else Q(**{name[group_by]: key})


def drilldown_callbacks(
    *,
    scope: KpiScope,
    start: date,
    end: date,
    figure: str,
    group_by: str | None = None,
    key: str | None = None,
    filters: KpiFilters | None = None,
) -> QuerySet[Callback]:
    """The callbacks counted by ``figure`` (a key of :data:`CALLBACK_COUNTS`) in the row ``key`` of
    the report (the only row when ``group_by`` is ``None``), by due time, with the queue and the
    promiser joined: ``.count()`` equals the figure. Raises ``ValueError`` for an unknown figure,
    grouping or key."""
    if figure not in CALLBACK_COUNTS:
        raise ValueError(f"Unknown figure {figure!r}.")
    condition = callbacks_q(scope, filters or KpiFilters(), start, end) & CALLBACK_COUNTS[figure][1]()
    if group_by is not None:
        condition &= callback_group_q(group_by, key)
    return Callback.objects.filter(condition).select_related("promised_by", "queue").order_by("due_at", "pk")
