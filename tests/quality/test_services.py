"""Scorecards, evaluations, disputes and calibration through their services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from contactcenter.core.events import agent_group
from contactcenter.quality import selectors, services
from contactcenter.quality.models import (
    Criterion,
    Dispute,
    Evaluation,
    EvaluationState,
    ScorecardSection,
    VersionState,
)
from tests.interactions.factories import InteractionFactory
from tests.quality.factories import FULL_MARKS, WORKED_EXAMPLE, answers, criteria_by_key, published_scorecard

pytestmark = pytest.mark.django_db


def published_evaluation(qm, values=WORKED_EXAMPLE, by=None, interaction=None) -> Evaluation:
    by = by or qm.qa
    evaluation = services.evaluation_start(interaction=interaction or qm.interaction, by=by)
    services.evaluation_save(evaluation=evaluation, by=by, answers=answers(qm.version, **values), comment="Good")
    return services.evaluation_publish(evaluation=evaluation, by=by)


# --- Scorecards ------------------------------------------------------------------------------------


def test_a_published_version_is_frozen_with_its_sections_and_criteria(qm):
    criterion = Criterion.objects.filter(section__version=qm.version).first()
    section = ScorecardSection.objects.filter(version=qm.version).first()

    with pytest.raises(ValidationError):
        qm.version.save()
    with pytest.raises(ValidationError):
        qm.version.delete()
    criterion.weight = 9
    with pytest.raises(ValidationError):
        criterion.save()
    with pytest.raises(ValidationError):
        section.delete()
    with pytest.raises(ValidationError):
        services.scorecard_version_set_content(version=qm.version, by=qm.manager, sections=[])


def test_a_new_draft_copies_the_last_published_version_and_publishes_as_the_next_number(qm):
    draft = services.scorecard_version_new_draft(scorecard=qm.version.scorecard, by=qm.manager)

    assert (draft.number, draft.state) == (2, VersionState.DRAFT)
    assert set(criteria_by_key(draft)) == {"greeting", "identification", "solution", "closing"}
    assert criteria_by_key(draft)["identification"].critical is True
    with pytest.raises(ValidationError):
        services.scorecard_version_new_draft(scorecard=qm.version.scorecard, by=qm.manager)

    services.scorecard_version_set_content(
        version=draft, by=qm.manager, sections=[{"title": "Only", "criteria": [{"key": "greeting", "title": "Hi"}]}]
    )
    services.scorecard_version_publish(version=draft, by=qm.manager)

    assert set(criteria_by_key(qm.version)) == {"greeting", "identification", "solution", "closing"}
    assert set(criteria_by_key(draft)) == {"greeting"}
    assert selectors.published_version_for(qm.interaction) == draft


def test_draft_content_errors_are_all_named(qm):
    scorecard = services.scorecard_create(name="Email", by=qm.manager)
    draft = scorecard.versions.get()
    with pytest.raises(ValidationError) as caught:
        services.scorecard_version_set_content(
            version=draft,
            by=qm.manager,
            sections=[
                {
                    "title": "",
                    "criteria": [
                        {"key": "a", "title": "A", "scale": "points"},
                        {"key": "a", "title": "A again", "weight": 0},
                        {"key": "b", "title": "B", "scale": "points", "max_points": 11},
                    ],
                }
            ],
        )
    messages = caught.value.message_dict["sections"]
    assert len(messages) >= 5, messages
    assert any("used twice" in m for m in messages)
    with pytest.raises(ValidationError):
        services.scorecard_version_publish(version=draft, by=qm.manager)


def test_only_managers_write_scorecards(qm):
    for user in (qm.agent_a, qm.supervisor_a, qm.qa):
        with pytest.raises(PermissionDenied):
            services.scorecard_create(name=f"x-{user.pk}", by=user)


def test_the_scorecard_that_fits_an_interaction_best(qm):
    for_queue = published_scorecard(by=qm.manager, name="Queue A calls", queue=qm.queue_a)
    by_channel = published_scorecard(by=qm.manager, name="Emails", channel="email")
    email_b = InteractionFactory(agent=qm.agent_b, queue=qm.queue_b, channel="email")
    voice_b = InteractionFactory(agent=qm.agent_b, queue=qm.queue_b)

    assert selectors.published_version_for(qm.interaction) == for_queue
    assert selectors.published_version_for(email_b) == by_channel
    assert selectors.published_version_for(voice_b) == qm.version


# --- Evaluations -----------------------------------------------------------------------------------


def test_publishing_scores_and_tells_the_agent(qm, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(
        "contactcenter.core.events._send", lambda groups, event, payload: sent.append((groups, event, payload))
    )
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = published_evaluation(qm)

    assert evaluation.state == EvaluationState.PUBLISHED
    assert evaluation.score == Decimal("88.89")
    assert evaluation.critical_failed is False
    assert evaluation.published_at is not None
    assert sent == [
        (
            [agent_group(qm.agent_a.pk)],
            "quality.evaluation",
            {"evaluation": evaluation.pk, "state": "published", "score": "88.89", "critical_failed": False},
        )
    ]


def test_a_failed_critical_criterion_scores_zero(qm):
    evaluation = published_evaluation(qm, {**FULL_MARKS, "identification": 0})
    assert (evaluation.score, evaluation.critical_failed) == (Decimal("0.00"), True)


def test_publishing_needs_every_criterion_answered(qm):
    evaluation = services.evaluation_start(interaction=qm.interaction, by=qm.qa)
    services.evaluation_save(evaluation=evaluation, by=qm.qa, answers=answers(qm.version, greeting=1))
    with pytest.raises(ValidationError) as caught:
        services.evaluation_publish(evaluation=evaluation, by=qm.qa)
    assert "Identification" in str(caught.value)


def test_bad_answers_are_refused_by_name(qm):
    evaluation = services.evaluation_start(interaction=qm.interaction, by=qm.qa)
    by_key = criteria_by_key(qm.version)
    with pytest.raises(ValidationError) as caught:
        services.evaluation_save(
            evaluation=evaluation,
            by=qm.qa,
            answers=[
                {"criterion": by_key["greeting"].pk, "value": 2},
                {"criterion": by_key["solution"].pk, "value": 5},
                {"criterion": by_key["identification"].pk, "not_applicable": True},
                {"criterion": 999999, "value": 1},
            ],
        )
    assert len(caught.value.message_dict["answers"]) == 4
    assert not evaluation.answers.exists()


def test_who_evaluates_whom(qm):
    other_team = InteractionFactory(agent=qm.agent_b, queue=qm.queue_b)
    with pytest.raises(PermissionDenied):
        services.evaluation_start(interaction=other_team, by=qm.qa)  # team B is not qa's
    with pytest.raises(PermissionDenied):
        services.evaluation_start(interaction=other_team, by=qm.supervisor_a)
    with pytest.raises(PermissionDenied):
        services.evaluation_start(interaction=qm.interaction, by=qm.agent_a)
    own = InteractionFactory(agent=qm.supervisor_a, queue=qm.queue_a)
    with pytest.raises(PermissionDenied):
        services.evaluation_start(interaction=own, by=qm.supervisor_a)
    assert services.evaluation_start(interaction=other_team, by=qm.qa2).agent == qm.agent_b
    assert services.evaluation_start(interaction=qm.interaction, by=qm.supervisor_a).agent == qm.agent_a
    assert services.evaluation_start(interaction=other_team, by=qm.manager).agent == qm.agent_b


def test_only_its_evaluator_changes_a_draft_and_nobody_a_published_one(qm):
    evaluation = services.evaluation_start(interaction=qm.interaction, by=qm.qa)
    with pytest.raises(PermissionDenied):
        services.evaluation_save(evaluation=evaluation, by=qm.qa2, answers=[])
    services.evaluation_save(evaluation=evaluation, by=qm.qa, answers=answers(qm.version, **FULL_MARKS))
    services.evaluation_publish(evaluation=evaluation, by=qm.qa)
    with pytest.raises(ValidationError):
        services.evaluation_save(evaluation=evaluation, by=qm.qa, answers=answers(qm.version, greeting=0))


def test_the_agent_sees_their_evaluation_once_published_and_acknowledges_it(qm):
    evaluation = services.evaluation_start(interaction=qm.interaction, by=qm.qa)
    assert not selectors.evaluations_visible_to(qm.agent_a).exists()
    assert not selectors.evaluations_visible_to(qm.qa2).exists()  # another evaluator's draft

    services.evaluation_save(evaluation=evaluation, by=qm.qa, answers=answers(qm.version, **FULL_MARKS))
    services.evaluation_publish(evaluation=evaluation, by=qm.qa)

    assert list(selectors.evaluations_visible_to(qm.agent_a)) == [evaluation]
    assert not selectors.evaluations_visible_to(qm.agent_b).exists()
    assert list(selectors.evaluations_visible_to(qm.supervisor_a)) == [evaluation]
    assert list(selectors.evaluations_visible_to(qm.qa2)) == [evaluation]
    with pytest.raises(PermissionDenied):
        services.evaluation_acknowledge(evaluation=evaluation, by=qm.agent_b)

    services.evaluation_acknowledge(evaluation=evaluation, by=qm.agent_a)

    evaluation.refresh_from_db()
    assert evaluation.state == EvaluationState.ACKNOWLEDGED
    assert evaluation.acknowledged_at is not None
    with pytest.raises(ValidationError):
        services.evaluation_dispute(evaluation=evaluation, by=qm.agent_a, reason="Too late")


def test_hooks_run_when_an_evaluation_is_scored(qm, monkeypatch):
    seen = []
    monkeypatch.setattr(services, "_scored_hooks", [])
    services.evaluation_hooks_register(scored=lambda evaluation: seen.append(evaluation.pk))
    evaluation = published_evaluation(qm)
    assert seen == [evaluation.pk]


# --- Disputes --------------------------------------------------------------------------------------


def test_a_dispute_is_decided_by_another_evaluator_and_kept_in_history(qm):
    evaluation = published_evaluation(qm, {**FULL_MARKS, "identification": 0})
    with pytest.raises(ValidationError):
        services.evaluation_dispute(evaluation=evaluation, by=qm.agent_a, reason="  ")
    dispute = services.evaluation_dispute(evaluation=evaluation, by=qm.agent_a, reason="I did check the name")
    evaluation.refresh_from_db()
    assert evaluation.state == EvaluationState.DISPUTED
    assert dispute.score_before == Decimal("0.00")

    with pytest.raises(PermissionDenied):  # never the original evaluator
        services.dispute_decide(dispute=dispute, by=qm.qa, decision="upheld", comment="Mine stands")
    with pytest.raises(ValidationError):  # an overturn says the corrected answers
        services.dispute_decide(dispute=dispute, by=qm.qa2, decision="overturned", comment="Right")

    services.dispute_decide(
        dispute=dispute,
        by=qm.qa2,
        decision="overturned",
        comment="The name was checked at 0:42",
        answers=answers(qm.version, identification=1),
    )

    dispute.refresh_from_db()
    evaluation.refresh_from_db()
    assert (dispute.decision, dispute.reviewer, dispute.score_after) == ("overturned", qm.qa2, Decimal("100.00"))
    assert dispute.decided_at is not None
    assert (evaluation.state, evaluation.score, evaluation.critical_failed) == ("final", Decimal("100.00"), False)
    states = list(evaluation.history.order_by("history_date").values_list("state", "score", "history_user__username"))
    assert states[-1] == ("final", Decimal("100.00"), "qa2")
    assert ("disputed", Decimal("0.00"), "agent_a") in states
    identification = evaluation.answers.get(criterion__key="identification")
    assert list(identification.history.order_by("history_date").values_list("value", flat=True)) == [0, 1]
    with pytest.raises(ValidationError):  # final
        services.dispute_decide(dispute=dispute, by=qm.manager, decision="upheld", comment="Again")


def test_an_upheld_dispute_keeps_the_score(qm):
    evaluation = published_evaluation(qm)
    dispute = services.evaluation_dispute(evaluation=evaluation, by=qm.agent_a, reason="Unfair")
    with pytest.raises(PermissionDenied):
        services.dispute_decide(dispute=dispute, by=qm.agent_a, decision="upheld", comment="x")
    services.dispute_decide(dispute=dispute, by=qm.supervisor_a, decision="upheld", comment="It stands")
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.score) == ("final", Decimal("88.89"))
    assert Dispute.objects.get().score_after == Decimal("88.89")


def test_an_assigned_dispute_is_its_reviewers(qm):
    evaluation = published_evaluation(qm)
    dispute = services.evaluation_dispute(evaluation=evaluation, by=qm.agent_a, reason="Unfair")
    with pytest.raises(PermissionDenied):
        services.dispute_assign(dispute=dispute, reviewer=qm.qa, by=qm.manager)  # the original evaluator
    services.dispute_assign(dispute=dispute, reviewer=qm.qa2, by=qm.manager)
    with pytest.raises(PermissionDenied):
        services.dispute_decide(dispute=dispute, by=qm.supervisor_a, decision="upheld", comment="x")
    assert list(selectors.disputes_to_decide(user=qm.qa2)) == [dispute]
    assert not selectors.disputes_to_decide(user=qm.qa).exists()


# --- Calibration -----------------------------------------------------------------------------------


def test_calibration_is_blind_until_closed_and_reports_the_spread(qm):
    session = services.calibration_create(
        title="January",
        interaction=qm.interaction,
        version=qm.version,
        evaluators=[qm.qa, qm.qa2, qm.manager],
        by=qm.manager,
    )
    scores = {
        qm.manager: FULL_MARKS,
        qm.qa: {**FULL_MARKS, "solution": 2},
        qm.qa2: {**FULL_MARKS, "solution": 1, "closing": "na"},
    }
    made = {}
    for user, values in scores.items():
        evaluation = services.evaluation_start(interaction=qm.interaction, by=user, calibration=session)
        services.evaluation_save(evaluation=evaluation, by=user, answers=answers(qm.version, **values))
        made[user] = services.evaluation_publish(evaluation=evaluation, by=user)

    assert list(selectors.evaluations_visible_to(qm.qa)) == [made[qm.qa]]
    assert list(selectors.evaluations_visible_to(qm.manager)) == [made[qm.manager]]
    assert not selectors.evaluations_visible_to(qm.agent_a).exists()
    with pytest.raises(ValidationError):  # once per evaluator
        services.evaluation_start(interaction=qm.interaction, by=qm.qa, calibration=session)
    with pytest.raises(PermissionDenied):
        services.calibration_close(session=session, by=qm.qa)

    services.calibration_close(session=session, by=qm.manager)

    session.refresh_from_db()
    assert session.reference == made[qm.manager]
    assert set(selectors.evaluations_visible_to(qm.qa)) == set(made.values())
    assert not selectors.evaluations_visible_to(qm.agent_a).exists()  # never shown to the agent
    report = selectors.calibration_report(session=session)
    solution = next(row for row in report["criteria"] if row["key"] == "solution")
    cells = {cell["evaluator"]: cell for cell in solution["evaluators"]}
    assert solution["reference_value"] == 4
    assert (cells["qa"]["value"], cells["qa"]["deviation"]) == (2, Decimal("-50.00"))
    assert (cells["qa2"]["value"], cells["qa2"]["deviation"]) == (1, Decimal("-75.00"))
    assert solution["spread"] == Decimal("25.00")
    closing = next(row for row in report["criteria"] if row["key"] == "closing")
    assert {c["evaluator"]: c["not_applicable"] for c in closing["evaluators"]}["qa2"] is True
    assert {e["evaluator"]: e["score"] for e in report["evaluators"]} == {
        "manager": Decimal("100.00"),
        "qa": Decimal("80.00"),
        "qa2": Decimal("66.67"),
    }


def test_calibration_needs_evaluators(qm):
    with pytest.raises(ValidationError) as caught:
        services.calibration_create(
            title="x", interaction=qm.interaction, version=qm.version, evaluators=[qm.qa, qm.agent_b], by=qm.manager
        )
    assert "agent_b" in str(caught.value)
    with pytest.raises(PermissionDenied):
        services.calibration_create(
            title="x", interaction=qm.interaction, version=qm.version, evaluators=[qm.qa, qm.qa2], by=qm.supervisor_a
        )


def test_agent_qm_trend(qm):
    published_evaluation(qm, FULL_MARKS)
    published_evaluation(qm, {**FULL_MARKS, "identification": 0})
    trend = selectors.agent_qm_trend(agent=qm.agent_a, weeks=4)
    assert len(trend) == 4
    assert trend[-1]["evaluations"] == 2
    assert trend[-1]["average"] == Decimal("50.00")
    assert trend[0]["evaluations"] == 0
