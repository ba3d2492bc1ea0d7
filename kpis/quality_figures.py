"""Quality management figures of the KPI engine (``docs/kpis.md`` "Quality figures").

Counted in a report's period (local days), in the user's scope (the evaluations of the agents
whose figures they may read), filtered and grouped like the interactions: ``agent`` and ``team``
are the agent evaluated (the team: their current team), ``queue`` and ``channel`` the evaluated
interaction's; ``day``, ``week``, ``month`` the local day of the figure's own date (below).

- **Evaluations** (``qm_evaluations``): the regular evaluations (calibrations never count) shown
  to the agent (published, acknowledged, disputed or final) published in the period, with a score
  (all criteria n.a. have none). **QM score** ``qm_score`` = mean score (percent, 0–100) =
  ``qm_score_sum ÷ qm_evaluations``; **critical-fail rate** ``qm_critical_fail_rate`` =
  ``qm_critical_fails ÷ qm_evaluations`` (an evaluation failed by a critical criterion scores 0).
- **Score per criterion** ``qm_criteria``: ``{criterion key: mean percent}`` over the answers of
  those evaluations not marked n.a.; a criterion's percent in one evaluation is ``value ÷
  maximum`` (yes 100, no 0; points out of the criterion's maximum). Criteria are named by their
  key, stable across scorecard versions.
- **Planned vs done** (``qm_planned``, ``qm_done``, ``qm_done_rate``): the sampled interactions
  (sampling) whose week starts in the period, and those evaluated; skipped ones count as planned,
  not done. Their date is the Monday of the week sampled.
- **Disputes overturned** (``qm_disputes_decided``, ``qm_disputes_overturned``,
  ``qm_overturn_rate``): disputes decided in the period (by ``decided_at``) and those overturned.

Each family is one aggregate query (no Python loop over rows).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Case, Count, DateField, F, FloatField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Cast, Trunc
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contactcenter.quality.models import (
    SHOWN_TO_AGENT,
    Dispute,
    DisputeDecision,
    Evaluation,
    EvaluationAnswer,
    EvaluationKind,
    SampleItem,
    SampleState,
    Scale,
)
from kpis.definitions import GROUPS, TIME_GROUPS, KpiFilters, KpiScope, bucket_key, local_midnight, next_bucket

#: The additive counts of the quality figures (a report row holds them, 0 when none).
QUALITY_COUNTS: tuple[str, ...] = (
    "qm_evaluations",
    "qm_score_sum",
    "qm_critical_fails",
    "qm_planned",
    "qm_done",
    "qm_disputes_decided",
    "qm_disputes_overturned",
)


def _filters_q(scope: KpiScope, filters: KpiFilters, prefix: str) -> Q:
    """Scope and filters on rows that reach an agent (``<prefix>agent``) and an interaction
    (``<prefix>interaction``)."""
    condition = scope.agents_q(f"{prefix}agent") & filters.agents_q(f"{prefix}agent")
    if filters.queue:
        condition &= Q(**{f"{prefix}interaction__queue__name": filters.queue})
    if filters.channel:
        condition &= Q(**{f"{prefix}interaction__channel": filters.channel})
    return condition


def _period_q(field: str, start: date, end: date) -> Q:
    return Q(**{f"{field}__gte": local_midnight(start), f"{field}__lt": local_midnight(end)})


def evaluations_q(scope: KpiScope, filters: KpiFilters, start: date, end: date, prefix: str = "") -> Q:
    """The evaluations a report counts (see the module's docstring)."""
    return (
        _filters_q(scope, filters, prefix)
        & _period_q(f"{prefix}published_at", start, end)
        & Q(**{f"{prefix}kind": EvaluationKind.REGULAR, f"{prefix}state__in": SHOWN_TO_AGENT})
        & Q(**{f"{prefix}score__isnull": False})
    )


def samples_q(scope: KpiScope, filters: KpiFilters, start: date, end: date) -> Q:
    """The sampled interactions a report counts: their week starts in ``[start, end)``."""
    return _filters_q(scope, filters, "") & Q(week__gte=start, week__lt=end)


def disputes_q(scope: KpiScope, filters: KpiFilters, start: date, end: date) -> Q:
    """The disputes a report counts: decided in the local days ``[start, end)``."""
    return (
        _filters_q(scope, filters, "evaluation__")
        & _period_q("decided_at", start, end)
        & ~Q(decision="")
        & Q(evaluation__kind=EvaluationKind.REGULAR)
    )


def _group_key(group_by: str, prefix: str, when: str, *, is_date: bool = False) -> Any:
    if group_by == "agent":
        return F(f"{prefix}agent__username")
    if group_by == "team":
        return F(f"{prefix}agent__agent_profile__team__name")
    if group_by == "queue":
        return F(f"{prefix}interaction__queue__name")
    if group_by == "channel":
        return F(f"{prefix}interaction__channel")
    if is_date:
        return Trunc(when, group_by, output_field=DateField())
    return Trunc(when, group_by, output_field=DateField(), tzinfo=timezone.get_default_timezone())


def _grouped(queryset: QuerySet, group_by: str | None, key: Any, aggregates: dict[str, Any]) -> dict[str | None, dict]:
    if group_by is None:
        return {None: queryset.aggregate(**aggregates)}
    result: dict[str | None, dict] = {}
    for row in queryset.order_by().values(kpi_key=key).annotate(**aggregates):
        found = row.pop("kpi_key")
        if isinstance(found, date):
            found = bucket_key(group_by, found)
        result[found] = row
    return result


def _plain(family: dict[str | None, dict]) -> dict[str | None, dict]:
    """Decimal sums as floats, ``None`` as 0: the counts add up."""
    return {
        key: {name: float(value) if isinstance(value, Decimal) else (value or 0) for name, value in row.items()}
        for key, row in family.items()
    }


def quality_family(
    *, scope: KpiScope, start: date, end: date, group_by: str | None, filters: KpiFilters
) -> list[dict[str | None, dict]]:
    """The quality figures' counts per group, three queries: evaluations, samples, disputes."""
    evaluations = Evaluation.objects.filter(evaluations_q(scope, filters, start, end))
    samples = SampleItem.objects.filter(samples_q(scope, filters, start, end))
    disputes = Dispute.objects.filter(disputes_q(scope, filters, start, end))
    key = group_by or "day"
    return [
        _plain(
            _grouped(
                evaluations,
                group_by,
                _group_key(key, "", "published_at"),
                {
                    "qm_evaluations": Count("pk"),
                    "qm_score_sum": Sum("score"),
                    "qm_critical_fails": Count("pk", filter=Q(critical_failed=True)),
                },
            )
        ),
        _plain(
            _grouped(
                samples,
                group_by,
                _group_key(key, "", "week", is_date=True),
                {"qm_planned": Count("pk"), "qm_done": Count("pk", filter=Q(state=SampleState.DONE))},
            )
        ),
        _plain(
            _grouped(
                disputes,
                group_by,
                _group_key(key, "evaluation__", "decided_at"),
                {
                    "qm_disputes_decided": Count("pk"),
                    "qm_disputes_overturned": Count("pk", filter=Q(decision=DisputeDecision.OVERTURNED)),
                },
            )
        ),
    ]


def answer_percent_sql() -> Any:
    """One answer's score in percent of its criterion's maximum (yes/no: 100 or 0)."""
    value = Cast("value", FloatField())
    return Case(
        When(criterion__scale=Scale.YES_NO, then=value * Value(100.0)),
        default=value * Value(100.0) / Cast("criterion__max_points", FloatField()),
        output_field=FloatField(),
    )


def criterion_scores(
    *, scope: KpiScope, start: date, end: date, group_by: str | None, filters: KpiFilters
) -> dict[str | None, dict[str, float]]:
    """``{group key: {criterion key: mean percent}}`` over the answers (not n.a.) of the
    evaluations a report counts. One query."""
    answers = EvaluationAnswer.objects.filter(
        evaluations_q(scope, filters, start, end, prefix="evaluation__"), not_applicable=False, value__isnull=False
    )
    columns: dict[str, Any] = {"criterion_key": F("criterion__key")}
    if group_by is not None:
        columns["kpi_key"] = _group_key(group_by, "evaluation__", "evaluation__published_at")
    result: dict[str | None, dict[str, float]] = {}
    rows = answers.order_by().values(**columns).annotate(mean=Avg(answer_percent_sql()))
    for row in rows:
        found = row.get("kpi_key")
        if isinstance(found, date):
            found = bucket_key(group_by, found)
        result.setdefault(found, {})[row["criterion_key"]] = row["mean"]
    return {key: dict(sorted(means.items())) for key, means in result.items()}


# --- Drill-down ------------------------------------------------------------------------------------


#: Count of a report row → (label, condition on the evaluations it counts).
EVALUATION_FIGURES: dict[str, tuple[Any, Callable[[], Q]]] = {
    "qm_evaluations": (_("Evaluations"), Q),
    "qm_critical_fails": (_("Evaluations failed by a critical criterion"), lambda: Q(critical_failed=True)),
}

#: A quality figure of the report → the count whose evaluations a click on it lists.
KPI_EVALUATION_FIGURES: dict[str, str] = {
    "qm_evaluations": "qm_evaluations",
    "qm_score": "qm_evaluations",
    "qm_critical_fails": "qm_critical_fails",
    "qm_critical_fail_rate": "qm_critical_fails",
}


def evaluation_group_q(group_by: str, key: str | None) -> Q:
    """The evaluations of one group of a report grouped by ``group_by`` (``None``: those without
    a key). Raises ``ValueError`` for a grouping or a key that cannot be."""
    if group_by not in GROUPS:
        raise ValueError(f"Unknown grouping {group_by!r}.")
    if group_by in TIME_GROUPS:
        if key is None:
            raise ValueError("A day, week or month always has a key.")
        first = date.fromisoformat(f"{key}-01" if group_by == "month" else key)
        if group_by == "week" and first.weekday() != 0:
            raise ValueError("A week's key is its Monday.")
        return _period_q("published_at", first, next_bucket(group_by, first))
    name = {
        "agent": "agent__username",
        "team": "agent__agent_profile__team__name",
        "queue": "interaction__queue__name",
        "channel": "interaction__channel",
    }[group_by]
    return Q(**{f"{name}__isnull": True}) if key is None else Q(**{name: key})


def drilldown_evaluations(
    *,
    scope: KpiScope,
    start: date,
    end: date,
    figure: str,
    group_by: str | None = None,
    key: str | None = None,
    filters: KpiFilters | None = None,
) -> QuerySet[Evaluation]:
    """The evaluations counted by ``figure`` (a key of :data:`EVALUATION_FIGURES`) in the row
    ``key`` of the report (the only row when ``group_by`` is ``None``), newest first, with the
    agent, evaluator, interaction and its queue joined: ``.count()`` equals the figure. Raises
    ``ValueError`` for an unknown figure, grouping or key."""
    if figure not in EVALUATION_FIGURES:
        raise ValueError(f"Unknown figure {figure!r}.")
    condition = evaluations_q(scope, filters or KpiFilters(), start, end) & EVALUATION_FIGURES[figure][1]()
    if group_by is not None:
        condition &= evaluation_group_q(group_by, key)
    return (
        Evaluation.objects.filter(condition)
        .select_related("agent", "evaluator", "interaction__queue", "version__scorecard")
        .order_by("-published_at", "-pk")
    )
