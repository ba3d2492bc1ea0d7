"""Training rules, the closed loop (docs/quality.md, *Training rules*): "criterion C scored under
S % on average over the agent's last N published evaluations → assign course K, due in D days".

:func:`training_rules_apply` runs each time a regular evaluation gets its score for the agent
(published, or overturned on dispute): it is registered on the services' ``scored`` hook by
:class:`~contactcenter.quality.apps.QualityConfig`, and runs inside that transaction.

For each active rule of the evaluation's scorecard that has not yet fired for the agent:

- the agent's last ``last_n`` evaluations of that scorecard shown to them (published,
  acknowledged, disputed or final; calibrations never count) in which the criterion ``criterion_key``
  was answered (not marked n.a.), newest first by publication;
- fewer than ``last_n`` of them: nothing yet;
- the criterion's score in each is ``value / maximum`` (yes = 100 %, no = 0 %; points out of the
  maximum), their plain average under ``threshold`` → the course is assigned to the agent through
  the training app's :func:`~contactcenter.training.services.assignment_create` (by nobody: the
  system), due ``due_days`` days from today, with the reason (criterion, average, N) the agent
  reads on their training page and their supervisor on the course's progress page;
- a rule fires **once per agent**: a :class:`TrainingRuleHit` (unique per rule and agent)
  records it, with the assignment and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import ngettext

from contactcenter.quality.models import (
    SHOWN_TO_AGENT,
    Evaluation,
    EvaluationAnswer,
    EvaluationKind,
    Scale,
    TrainingRule,
    TrainingRuleHit,
)
from contactcenter.quality.selectors import covered_agents_q
from contactcenter.training.services import assignment_create


@dataclass(frozen=True)
class CriterionAverage:
    """A criterion's average score (percent) over an agent's last evaluations."""

    title: str
    average: Decimal
    count: int


def criterion_average(*, agent: AbstractBaseUser, rule: TrainingRule) -> CriterionAverage | None:
    """The average score of ``rule``'s criterion over ``agent``'s last ``rule.last_n`` evaluations
    of its scorecard where it was answered; ``None`` while there are fewer. One query."""
    answers = list(
        EvaluationAnswer.objects.filter(
            evaluation__agent=agent,
            evaluation__kind=EvaluationKind.REGULAR,
            evaluation__state__in=SHOWN_TO_AGENT,
            evaluation__version__scorecard_id=rule.scorecard_id,
            criterion__key=rule.criterion_key,
            not_applicable=False,
            value__isnull=False,
        )
        .order_by("-evaluation__published_at", "-evaluation_id")
        .values_list("value", "criterion__scale", "criterion__max_points", "criterion__title")[: rule.last_n]
    )
    if len(answers) < rule.last_n:
        return None
    percents = [
        Decimal(100) * value / (1 if scale == Scale.YES_NO else (max_points or 1))
        for value, scale, max_points, _title in answers
    ]
    average = (sum(percents) / len(percents)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return CriterionAverage(title=answers[0][3], average=average, count=len(answers))


def hit_reason(*, rule: TrainingRule, found: CriterionAverage) -> str:
    """The sentence the agent and their supervisor read: which criterion, its average, over how many."""
    return ngettext(
        "“%(criterion)s” scored %(average)s %% in your last evaluation (under %(threshold)s %%): rule “%(rule)s”.",
        "“%(criterion)s” averaged %(average)s %% over your last %(n)s evaluations (under %(threshold)s %%): "
        "rule “%(rule)s”.",
        found.count,
    ) % {
        "criterion": found.title,
        "average": found.average.normalize() if found.average == found.average.to_integral() else found.average,
        "n": found.count,
        "threshold": rule.threshold,
        "rule": rule.name,
    }


def rules_pending_for(*, agent_id: int, version_id: int) -> QuerySet[TrainingRule]:
    """The active rules of the scorecard of version ``version_id`` that have not fired for the
    agent ``agent_id`` yet, with their course."""
    fired = TrainingRuleHit.objects.filter(rule_id=OuterRef("pk"), agent_id=agent_id)
    return (
        TrainingRule.objects.filter(scorecard__versions=version_id, is_active=True)
        .exclude(Exists(fired))
        .select_related("course")
        .order_by("name", "pk")
    )


def training_rules_apply(*, evaluation: Evaluation) -> list[TrainingRuleHit]:
    """The ``scored`` hook: fire the rules of ``evaluation``'s scorecard that its agent now meets
    (see the module's docstring); the hits written. Nothing for a calibration or an evaluation not
    shown to the agent. One query while no rule fires (the pending rules of the evaluation's
    scorecard); each hit is written in a savepoint: a rule fired by another
    transaction at the same moment is skipped, not an error."""
    if evaluation.kind != EvaluationKind.REGULAR or evaluation.state not in SHOWN_TO_AGENT:
        return []
    hits: list[TrainingRuleHit] = []
    for rule in rules_pending_for(agent_id=evaluation.agent_id, version_id=evaluation.version_id):
        agent = evaluation.agent  # loaded only when a rule may fire
        found = criterion_average(agent=agent, rule=rule)
        if found is None or found.average >= rule.threshold:
            continue
        reason = hit_reason(rule=rule, found=found)
        try:
            with transaction.atomic():
                hit = TrainingRuleHit.objects.create(rule=rule, agent=agent, reason=reason)
                hit.assignment = assignment_create(
                    course=rule.course,
                    by=None,
                    agent=agent,
                    due_on=timezone.localdate() + timedelta(days=rule.due_days),
                    reason=reason,
                )
                hit.save(update_fields=["assignment"])
        except IntegrityError:
            continue
        hits.append(hit)
    return hits


def rule_hits_visible_to(user: AbstractBaseUser) -> QuerySet[TrainingRuleHit]:
    """The hits ``user`` may read: their own (an agent), their team's (a supervisor), their
    teams' (a QA evaluator), all (managers and admins); with the rule, course and agent."""
    hits = TrainingRuleHit.objects.select_related("rule", "rule__course", "agent", "assignment")
    condition = covered_agents_q(user)
    if condition is None:
        return hits.filter(agent=user)
    return hits.filter(condition)
