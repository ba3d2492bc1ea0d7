"""Drill-down: the interactions behind one figure of a KPI report.

:func:`kpi_rows` counts, for a group of a report, the interactions that meet a condition (offered,
handled, abandoned, …). :func:`drilldown_interactions` returns exactly those interactions, built
from the same pieces as the engine: the report's scope (:class:`KpiScope`), period (local days,
:func:`local_midnight`) and filters (:class:`KpiFilters`), the group's key, and the SQL
definitions of :mod:`interactions.durations`; so ``drilldown_interactions(...).count()`` equals the
figure (``tests/kpis/test_reports.py`` proves it figure by figure).

A rate drills down to the interactions of its numerator's or denominator's count (see
:data:`KPI_FIGURES`): the service level to those answered within the threshold, the AHT to the
handled and ended ones, the FCR to its contacts, and so on. Occupancy has no interactions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from contactcenter.core.choices import Direction
from interactions import durations
from interactions.models import Interaction, SurveyKind, SurveyResponse
from kpis.definitions import GROUPS, TIME_GROUPS, KpiFilters, KpiScope, local_midnight, repeat_contacts


def _handled_ended() -> Q:
    return durations.handled_q() & Q(ended_at__isnull=False)


def _handled_inbound() -> Q:
    return durations.handled_q() & Q(direction=Direction.INBOUND)


def _fcr_contacts() -> Q:
    return _handled_inbound() & Q(customer__isnull=False)


def _answered(kind: str) -> Callable[[], Q]:
    return lambda: Q(Exists(SurveyResponse.objects.filter(interaction_id=OuterRef("pk"), kind=kind)))


#: Count of :class:`kpis.selectors.KpiRow` → (label, condition on the interactions it counts).
FIGURES: dict[str, tuple[str, Callable[[], Q]]] = {
    "offered": (_("Offered"), durations.offered_q),
    "handled": (_("Handled"), durations.handled_q),
    "abandoned": (_("Abandoned"), durations.abandoned_q),
    "short_abandons": (_("Short abandons"), durations.short_abandon_q),
    "answered_in_threshold": (_("Answered within the threshold"), durations.within_service_level_q),
    "handled_ended": (_("Handled and ended (AHT)"), _handled_ended),
    "handled_inbound": (_("Handled inbound (ASA)"), _handled_inbound),
    "fcr_contacts": (_("First-contact resolution contacts"), _fcr_contacts),
    "fcr_repeats": (_("Contacts followed by a repeat"), lambda: _fcr_contacts() & Q(Exists(repeat_contacts()))),
    "csat_responses": (_("With a CSAT response"), _answered(SurveyKind.CSAT)),
    "nps_responses": (_("With an NPS response"), _answered(SurveyKind.NPS)),
    "ces_responses": (_("With a CES response"), _answered(SurveyKind.CES)),
    "sentiment_scored": (_("With a sentiment score"), lambda: Q(sentiment__isnull=False)),
}

#: A KPI of the report → the count whose interactions a click on it lists.
KPI_FIGURES: dict[str, str] = {
    "offered": "offered",
    "handled": "handled",
    "abandoned": "abandoned",
    "aht": "handled_ended",
    "asa": "handled_inbound",
    "service_level": "answered_in_threshold",
    "abandonment_rate": "abandoned",
    "fcr": "fcr_contacts",
    "csat": "csat_responses",
    "nps": "nps_responses",
    "ces": "ces_responses",
    "sentiment": "sentiment_scored",
    "sentiment_positive": "sentiment_scored",
    "sentiment_negative": "sentiment_scored",
}

_GROUP_FIELDS = {
    "agent": "agent__username",
    "team": "agent__agent_profile__team__name",
    "queue": "queue__name",
    "channel": "channel",
}


def _following(group_by: str, first: date) -> date:
    if group_by == "week":
        return first + timedelta(days=7)
    if group_by == "month":
        return date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first + timedelta(days=1)


def group_q(group_by: str, key: str | None) -> Q:
    """The interactions of one group of a report grouped by ``group_by``: those whose key is
    ``key`` (``None``: those without one). A time key (``YYYY-MM-DD`` of a day or a week's Monday,
    ``YYYY-MM`` of a month) is a local period. Raises ``ValueError`` for a key that cannot be."""
    if group_by not in GROUPS:
        raise ValueError(f"Unknown grouping {group_by!r}.")
    if group_by in TIME_GROUPS:
        if key is None:
            raise ValueError("A day, week or month always has a key.")
        first = date.fromisoformat(f"{key}-01" if group_by == "month" else key)
        if group_by == "week" and first.weekday() != 0:
            raise ValueError("A week's key is its Monday.")
        return Q(offered_at__gte=local_midnight(first), offered_at__lt=local_midnight(_following(group_by, first)))
    name = _GROUP_FIELDS[group_by]
    return Q(**{f"{name}__isnull": True}) if key is None else Q(**{name: key})


def drilldown_interactions(
    *,
    scope: KpiScope,
    start: date,
    end: date,
    figure: str,
    group_by: str | None = None,
    key: str | None = None,
    filters: KpiFilters | None = None,
) -> QuerySet[Interaction]:
    """The interactions counted by ``figure`` (a key of :data:`FIGURES`) in the row ``key`` of
    ``kpi_rows(scope=scope, start=start, end=end, group_by=group_by, filters=filters)`` (the only
    row when ``group_by`` is ``None``), newest first, with agent, queue and customer joined.
    Raises ``ValueError`` for an unknown figure, grouping or key."""
    if figure not in FIGURES:
        raise ValueError(f"Unknown figure {figure!r}.")
    lower, upper = local_midnight(start), local_midnight(end)
    condition = (
        scope.interactions_q()
        & Q(offered_at__gte=lower, offered_at__lt=upper)
        & (filters or KpiFilters()).interactions_q()
        & FIGURES[figure][1]()
    )
    if group_by is not None:
        condition &= group_q(group_by, key)
    return (
        Interaction.objects.filter(condition)
        .select_related("agent", "queue", "customer")
        .order_by("-offered_at", "-pk")
    )
