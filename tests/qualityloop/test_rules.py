"""The closed loop: "criterion C under S % on average over the agent's last N published
evaluations → assign course K due in D days", by itself, once per rule and agent, with the reason
shown to the agent and their supervisor."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from contactcenter.quality.models import TrainingRule, TrainingRuleHit
from contactcenter.quality.rules import criterion_average, rule_hits_visible_to, training_rules_apply
from contactcenter.quality.services import (
    dispute_decide,
    evaluation_dispute,
    evaluation_publish,
    evaluation_save,
    evaluation_start,
)
from contactcenter.training.models import Assignment
from contactcenter.training.selectors import assigned_courses, course_agent_progress
from tests.qualityloop.helpers import contact, evaluation, scorecard
from tests.training.factories import make_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def card():
    return scorecard()


@pytest.fixture
def rule(card):
    return TrainingRule.objects.create(
        name="Greet", scorecard=card[0], criterion_key="greeting", threshold=60, last_n=3,
        course=make_course(title="Greeting well", quiz=False), due_days=10,
    )  # fmt: skip


def _evaluated(org, card, values, n=1, day=1, agent=None):
    _card, version, criteria = card
    return [
        evaluation(
            version=version,
            criteria=criteria,
            agent=agent or org.agent_a,
            evaluator=org.supervisor_a,
            queue=org.queue_a,
            values=values,
            day=day + i,
        )
        for i in range(n)
    ]


def _publish_through_the_services(org, card, values):
    """What an evaluator does: start, answer, publish; the hook runs inside."""
    _card, version, criteria = card
    draft = evaluation_start(interaction=contact(org.agent_a, org.queue_a, day=6), by=org.supervisor_a, version=version)
    answers = [
        {"criterion": criteria[key].pk, "value": value, "not_applicable": False, "comment": ""}
        for key, value in values.items()
    ]
    evaluation_save(evaluation=draft, by=org.supervisor_a, answers=answers)
    return evaluation_publish(evaluation=draft, by=org.supervisor_a)


def test_the_average_is_over_the_last_n_answered_evaluations(org, card, rule):
    _evaluated(org, card, {"greeting": 0, "solution": 4, "identity": 1}, n=2)
    assert criterion_average(agent=org.agent_a, rule=rule) is None  # 2 < 3
    _evaluated(org, card, {"solution": 4, "identity": 1}, day=3)  # greeting n.a.: does not count
    assert criterion_average(agent=org.agent_a, rule=rule) is None
    _evaluated(org, card, {"greeting": 1, "solution": 4, "identity": 1}, n=2, day=4)
    found = criterion_average(agent=org.agent_a, rule=rule)
    assert (found.average, found.count) == (Decimal("66.7"), 3)  # 1, 1, 0 newest first


def test_publishing_under_the_threshold_assigns_the_course_once_with_the_reason(org, card, rule):
    # Given two poor greetings, when a third one is published through the services,
    _evaluated(org, card, {"greeting": 0, "solution": 4, "identity": 1}, n=2)
    _publish_through_the_services(org, card, {"greeting": 0, "solution": 3, "identity": 1})
    # then the course is assigned to the agent, due in 10 days, with the reason.
    hit = TrainingRuleHit.objects.get()
    assignment = Assignment.objects.get(agent=org.agent_a, course=rule.course)
    assert hit.assignment == assignment
    assert assignment.due_on == timezone.localdate() + timedelta(days=10)
    assert assignment.assigned_by is None
    assert "“Greeting” averaged 0 % over your last 3 evaluations (under 60 %)" in hit.reason
    assert assignment.reason == hit.reason
    # The agent reads it on their training page, their supervisor on the progress page.
    (row,) = assigned_courses(user=org.agent_a)
    assert row.reason == hit.reason
    (progress,) = course_agent_progress(course=rule.course, user=org.supervisor_a)
    assert progress.reason == hit.reason
    assert list(rule_hits_visible_to(org.supervisor_a)) == [hit]
    assert list(rule_hits_visible_to(org.agent_a)) == [hit]
    assert list(rule_hits_visible_to(org.agent_b)) == []
    # Once per rule and agent: another poor evaluation assigns nothing more.
    _publish_through_the_services(org, card, {"greeting": 0, "solution": 3, "identity": 1})
    assert (TrainingRuleHit.objects.count(), Assignment.objects.filter(course=rule.course).count()) == (1, 1)


def test_at_or_over_the_threshold_or_another_criterion_assigns_nothing(org, card, rule):
    # 1, 1, 0 → 66.7 %: not under 60 %.
    _evaluated(org, card, {"greeting": 0, "solution": 0, "identity": 1})
    _evaluated(org, card, {"greeting": 1, "solution": 0, "identity": 1}, day=2)
    (item,) = _evaluated(org, card, {"greeting": 1, "solution": 0, "identity": 1}, day=3)
    assert training_rules_apply(evaluation=item) == []
    # Points criteria count as value / maximum: 1 / 4 = 25 % → fires a rule on "solution".
    solution = TrainingRule.objects.create(
        name="Solve", scorecard=card[0], criterion_key="solution", threshold=50, last_n=3, course=rule.course
    )
    (hit,) = training_rules_apply(evaluation=item)
    assert hit.rule == solution
    assert "averaged 0 %" in hit.reason


def test_drafts_calibrations_and_inactive_rules_do_not_count(org, card, rule):
    _card, version, criteria = card
    for day in range(3):
        evaluation(
            version=version, criteria=criteria, agent=org.agent_a, evaluator=org.supervisor_a, queue=org.queue_a,
            values={"greeting": 0, "solution": 1, "identity": 1}, day=day, state="draft",
        )  # fmt: skip
    (item,) = _evaluated(org, card, {"greeting": 0, "solution": 1, "identity": 1})
    assert training_rules_apply(evaluation=item) == []
    _evaluated(org, card, {"greeting": 0, "solution": 1, "identity": 1}, n=2, day=2)
    TrainingRule.objects.update(is_active=False)
    assert training_rules_apply(evaluation=item) == []
    TrainingRule.objects.update(is_active=True)
    assert len(training_rules_apply(evaluation=item)) == 1


def test_an_overturned_dispute_counts_its_corrected_score(org, card, rule):
    _card, _version, criteria = card
    TrainingRule.objects.filter(pk=rule.pk).update(last_n=1)
    published = _publish_through_the_services(org, card, {"greeting": 1, "solution": 3, "identity": 1})
    assert not TrainingRuleHit.objects.exists()  # 100 %: nothing
    dispute = evaluation_dispute(evaluation=published, by=org.agent_a, reason="Too kind?")
    corrected = [{"criterion": criteria["greeting"].pk, "value": 0, "not_applicable": False, "comment": "No greeting"}]
    dispute_decide(dispute=dispute, by=org.manager, decision="overturned", comment="Listened again", answers=corrected)
    hit = TrainingRuleHit.objects.get()
    assert (hit.agent, hit.assignment.course) == (org.agent_a, rule.course)
    assert "“Greeting” scored 0 % in your last evaluation (under 60 %)" in hit.reason
