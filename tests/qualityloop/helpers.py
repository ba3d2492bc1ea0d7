"""Helpers of the quality loop's tests: a published scorecard with two criteria, evaluations
written as published ones are (rows, scored), interactions of a week."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from contactcenter.quality.models import (
    Criterion,
    Evaluation,
    EvaluationAnswer,
    Scorecard,
    ScorecardSection,
    ScorecardVersion,
)
from tests.interactions.factories import InteractionFactory

#: A Monday; its week is the one sampled in the tests.
WEEK = date(2026, 3, 2)


def at(day: int, hour: int = 10) -> datetime:
    """``day`` days after the Monday :data:`WEEK`, at ``hour`` (UTC)."""
    return datetime(WEEK.year, WEEK.month, WEEK.day, hour, tzinfo=UTC) + timedelta(days=day)


def contact(agent, queue, *, channel: str = "voice", day: int = 1, talk_minutes: int = 5, **extra):
    offered = at(day)
    return InteractionFactory(
        agent=agent,
        queue=queue,
        channel=channel,
        offered_at=offered,
        answered_at=offered + timedelta(seconds=10),
        ended_at=offered + timedelta(seconds=10, minutes=talk_minutes),
        wrapup_ended_at=offered + timedelta(seconds=10, minutes=talk_minutes),
        **extra,
    )


def scorecard(name: str = "Calls", *, queue=None) -> tuple[Scorecard, ScorecardVersion, dict[str, Criterion]]:
    """A scorecard with a published version: "greeting" (yes/no, weight 1) and "solution" (0–4
    points, weight 3), and "identity" (yes/no, critical)."""
    card = Scorecard.objects.create(name=name, queue=queue)
    version = ScorecardVersion.objects.create(scorecard=card, number=1)
    section = ScorecardSection.objects.create(version=version, title="Call", position=1)
    criteria = {
        "greeting": Criterion.objects.create(section=section, key="greeting", title="Greeting", weight=1, position=1),
        "solution": Criterion.objects.create(
            section=section, key="solution", title="Solution", weight=3, scale="points", max_points=4, position=2
        ),
        "identity": Criterion.objects.create(
            section=section, key="identity", title="Identity", weight=1, critical=True, position=3
        ),
    }
    ScorecardVersion.objects.filter(pk=version.pk).update(state="published", published_at=timezone.now())
    version.refresh_from_db()
    return card, version, criteria


def evaluation(
    *, version, criteria, agent, evaluator, queue, values: dict[str, int | None], day: int = 1, state: str = "published"
) -> Evaluation:
    """A published evaluation of a new contact of ``agent``, with ``values`` per criterion key and
    its score computed by the contract's formula."""
    interaction = contact(agent, queue, day=day)
    total = weights = 0.0
    critical_failed = False
    for key, criterion in criteria.items():
        value = values.get(key)
        if value is None:
            continue
        total += criterion.weight * value / criterion.maximum
        weights += criterion.weight
        critical_failed |= criterion.critical and value == 0
    score = None
    if critical_failed:
        score = Decimal("0")
    elif weights:
        score = Decimal(str(round(100 * total / weights, 2)))
    item = Evaluation.objects.create(
        interaction=interaction,
        version=version,
        evaluator=evaluator,
        agent=agent,
        state=state,
        score=score,
        critical_failed=critical_failed,
        published_at=at(day, 18),
    )
    for key, criterion in criteria.items():
        value = values.get(key)
        EvaluationAnswer.objects.create(evaluation=item, criterion=criterion, value=value, not_applicable=value is None)
    return item
