"""The quality pages (docs/quality.md "On the desk"), through Django's client: a QA evaluator finds a
call of a team assigned to them, scores it (a critical criterion, an n.a.) and publishes it; the
agent reads it, acknowledges or disputes it; another evaluator decides the dispute; calibration
sessions are scored blind and reported. Who may open what: agents only their own evaluations, QA
evaluators only their assigned teams' contacts, nobody another evaluator's draft.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from contactcenter.chat.models import Author, ChatConversation, ChatMessage
from contactcenter.quality.models import (
    CalibrationSession,
    CalibrationState,
    Dispute,
    Evaluation,
    EvaluationState,
    SampleItem,
    SamplingRule,
)
from interactions.models import Interaction
from tests.chat.factories import start as chat_start
from tests.chat.factories import widget
from tests.desk.quality_fixtures import criteria_of, published_scorecard, quality_user, recorded_call
from tests.interactions.factories import InteractionFactory
from tests.routing.factories import chat_queue
from tests.scripts.factories import make_published

pytestmark = pytest.mark.django_db


@pytest.fixture
def qm(org, settings, tmp_path):
    """``org`` with a published scorecard, a QA evaluator of Team A (``qa``) and one of Team B
    (``qa_b``), and a recorded call of agent A (its recording paused for a card payment)."""
    settings.MEDIA_ROOT = tmp_path
    org.version = published_scorecard(by=org.manager)
    org.criteria = criteria_of(org.version)
    org.qa = quality_user("qa_a", org.team_a)
    org.qa_b = quality_user("qa_b", org.team_b)
    org.call = recorded_call(agent=org.agent_a, queue=org.queue_a, by=org.manager)
    return org


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def url(name: str, *args) -> str:
    return reverse(f"desk:{name}", args=args)


def form(org, **answers) -> dict[str, str]:
    """The scorecard form's fields: ``answers`` by criterion key (``"1"``, ``"0"``, ``"na"``, points)."""
    data = {}
    for key, value in answers.items():
        data[f"criterion-{org.criteria[key].pk}"] = value
        data[f"comment-{org.criteria[key].pk}"] = f"About {key}"
    return data


def start(org, evaluator=None) -> Evaluation:
    response = client(evaluator or org.qa).post(url("quality_evaluate", org.call.pk), {"version": org.version.pk})
    assert response.status_code == 302, response.content[:500]
    evaluation = Evaluation.objects.get(interaction=org.call, evaluator=evaluator or org.qa)
    assert response["Location"] == url("quality_evaluation", evaluation.pk)
    return evaluation


def published(org, **answers) -> Evaluation:
    evaluation = start(org)
    data = {**form(org, **answers), "comment": "Listen to the opening again.", "action": "publish"}
    response = client(org.qa).post(url("quality_evaluation", evaluation.pk), data)
    assert response.status_code == 302, response.content[:2000]
    evaluation.refresh_from_db()
    return evaluation


def test_the_evaluator_finds_the_call_and_opens_it_with_its_recording_and_paused_span(qm):
    qa = client(qm.qa)
    found = qa.get(url("quality_search"), {"agent": "agent_a"})
    assert found.status_code == 200
    assert url("quality_interaction", qm.call.pk) in found.content.decode()

    page = qa.get(url("quality_interaction", qm.call.pk)).content.decode()
    assert reverse("interaction-recording", args=[qm.call.pk]) in page
    assert "data-paused-from" in page
    assert 'id="quality-evaluate"' in page

    # The recording itself streams to the evaluator (a Range request, as the player makes).
    audio = qa.get(reverse("interaction-recording", args=[qm.call.pk]), HTTP_RANGE="bytes=0-99")
    assert audio.status_code == 206
    assert audio["Content-Type"] == "audio/wav"


def test_an_evaluator_sees_only_the_contacts_of_the_teams_assigned_to_them(qm):
    other = client(qm.qa_b)
    assert other.get(url("quality_interaction", qm.call.pk)).status_code == 404
    assert other.post(url("quality_evaluate", qm.call.pk)).status_code == 404
    found = other.get(url("quality_search"), {"q": str(qm.call.pk)}).content.decode()
    assert url("quality_interaction", qm.call.pk) not in found


def test_scoring_with_a_critical_fail_and_an_na_publishes_zero_and_keeps_the_comments(qm):
    evaluation = start(qm)
    qa = client(qm.qa)
    page = qa.get(url("quality_evaluation", evaluation.pk)).content.decode()
    assert 'id="scorecard-form"' in page
    assert "What to look for: identity checked." in page  # the guidance
    assert "data-critical" in page

    # Saved as a draft: nothing scored, the answers kept.
    data = {**form(qm, identity="1", greeting="1", empathy="na", upsell="0"), "action": "save"}
    assert qa.post(url("quality_evaluation", evaluation.pk), data).status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.state == EvaluationState.DRAFT
    assert 'value="na" checked' in qa.get(url("quality_evaluation", evaluation.pk)).content.decode()

    # Published with the critical criterion failed: 0 %, whatever the others say.
    data = {**form(qm, identity="0", greeting="1", empathy="na", upsell="1"), "action": "publish"}
    assert qa.post(url("quality_evaluation", evaluation.pk), data).status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.state == EvaluationState.PUBLISHED
    assert evaluation.critical_failed is True
    assert evaluation.score == Decimal("0")
    answers = {answer.criterion.key: answer for answer in evaluation.answers.select_related("criterion")}
    assert answers["empathy"].not_applicable is True
    assert answers["identity"].comment == "About identity"

    # Published, it is no longer a form: a second POST is refused.
    assert qa.post(url("quality_evaluation", evaluation.pk), data).status_code == 403


def test_the_score_is_the_servers_weighted_formula(qm):
    # identity yes (2×1), greeting no (1×0), empathy 3/4 (2×0.75), upsell n.a.: 100 × 3.5 / 5 = 70 %.
    evaluation = published(qm, identity="1", greeting="0", empathy="3", upsell="na")
    assert evaluation.score == Decimal("70.00")
    assert evaluation.critical_failed is False


def test_publishing_with_a_criterion_unanswered_is_refused_in_place(qm):
    evaluation = start(qm)
    data = {**form(qm, identity="1", greeting="1"), "action": "publish"}
    response = client(qm.qa).post(url("quality_evaluation", evaluation.pk), data)
    assert response.status_code == 400
    assert 'id="evaluation-errors"' in response.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.state == EvaluationState.DRAFT


def test_a_draft_is_its_evaluators_alone(qm):
    evaluation = start(qm)
    for user in (qm.agent_a, qm.supervisor_a, qm.qa_b, qm.agent_b):
        assert client(user).get(url("quality_evaluation", evaluation.pk)).status_code == 404, user


def test_the_agent_reads_acknowledges_and_only_their_own(qm):
    evaluation = published(qm, identity="1", greeting="1", empathy="4", upsell="1")
    agent = client(qm.agent_a)
    mine = agent.get(url("quality_mine")).content.decode()
    assert url("quality_evaluation", evaluation.pk) in mine
    page = agent.get(url("quality_evaluation", evaluation.pk)).content.decode()
    assert "Listen to the opening again." in page
    assert "About empathy" in page
    assert 'id="evaluation-acknowledge"' in page

    assert client(qm.agent_b).get(url("quality_evaluation", evaluation.pk)).status_code == 404
    assert client(qm.agent_b).post(url("quality_acknowledge", evaluation.pk)).status_code == 404
    assert url("quality_evaluation", evaluation.pk) not in client(qm.agent_b).get(url("quality_mine")).content.decode()
    # The evaluator may not acknowledge in the agent's name.
    assert client(qm.qa).post(url("quality_acknowledge", evaluation.pk)).status_code == 403

    assert agent.post(url("quality_acknowledge", evaluation.pk)).status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.state == EvaluationState.ACKNOWLEDGED
    assert 'id="evaluation-acknowledge"' not in agent.get(url("quality_evaluation", evaluation.pk)).content.decode()


def test_a_dispute_is_decided_by_another_evaluator_who_may_score_again(qm):
    evaluation = published(qm, identity="0", greeting="1", empathy="na", upsell="1")
    agent = client(qm.agent_a)
    response = agent.post(url("quality_dispute", evaluation.pk), {"reason": "I checked the identity at 0:12."})
    assert response.status_code == 302
    dispute = Dispute.objects.get(evaluation=evaluation)
    evaluation.refresh_from_db()
    assert evaluation.state == EvaluationState.DISPUTED

    # The evaluator who made it does not see it to decide, nor may they decide it.
    assert url("quality_dispute_review", dispute.pk) not in client(qm.qa).get(url("quality_disputes")).content.decode()
    own = client(qm.qa).post(url("quality_dispute_review", dispute.pk), {"decision": "upheld"})
    assert own.status_code == 403
    # An agent has no dispute pages.
    assert agent.get(url("quality_disputes")).status_code == 403
    assert agent.get(url("quality_dispute_review", dispute.pk)).status_code == 403

    supervisor = client(qm.supervisor_a)
    assert url("quality_dispute_review", dispute.pk) in supervisor.get(url("quality_disputes")).content.decode()
    page = supervisor.get(url("quality_dispute_review", dispute.pk)).content.decode()
    assert "I checked the identity at 0:12." in page
    data = {
        "decision": "overturned",
        "comment": "Identity checked at 0:12 indeed.",
        "rescore": "1",
        **form(qm, identity="1", greeting="1", empathy="na", upsell="1"),
    }
    response = supervisor.post(url("quality_dispute_review", dispute.pk), data)
    assert response.status_code == 302, response.content[:2000]
    dispute.refresh_from_db()
    evaluation.refresh_from_db()
    assert dispute.decision == "overturned"
    assert dispute.reviewer == qm.supervisor_a
    assert (dispute.score_before, dispute.score_after) == (Decimal("0"), Decimal("100"))
    assert evaluation.state == EvaluationState.FINAL
    assert evaluation.score == Decimal("100")
    assert "Identity checked at 0:12 indeed." in agent.get(url("quality_evaluation", evaluation.pk)).content.decode()


def test_the_queue_lists_my_sampled_contacts_and_open_calibrations(qm):
    rule = SamplingRule.objects.create(name="Weekly", scorecard=qm.version.scorecard, per_agent_per_week=2)
    SampleItem.objects.create(
        rule=rule, interaction=qm.call, agent=qm.agent_a, week=qm.call.offered_at.date(), assigned_to=qm.qa
    )
    page = client(qm.qa).get(url("quality_queue")).content.decode()
    assert url("quality_interaction", qm.call.pk) in page
    assert url("quality_interaction", qm.call.pk) not in client(qm.qa_b).get(url("quality_queue")).content.decode()
    # Evaluating the contact does the sample: published, it leaves the queue.
    evaluation = start(qm)
    assert evaluation.sample is not None
    data = {**form(qm, identity="1", greeting="1", empathy="4", upsell="1"), "action": "publish"}
    assert client(qm.qa).post(url("quality_evaluation", evaluation.pk), data).status_code == 302
    assert url("quality_interaction", qm.call.pk) not in client(qm.qa).get(url("quality_queue")).content.decode()


def test_evaluator_pages_are_refused_to_agents(qm):
    agent = client(qm.agent_a)
    for name, args in (
        ("quality_queue", ()),
        ("quality_search", ()),
        ("quality_interaction", (qm.call.pk,)),
        ("quality_calibrations", ()),
        ("quality_calibration_new", ()),
    ):
        assert agent.get(url(name, *args)).status_code == 403, name
    assert agent.post(url("quality_evaluate", qm.call.pk)).status_code == 403
    anonymous = Client().get(url("quality_mine"))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("desk:login"))


def test_a_quality_user_lands_on_their_queue(qm):
    response = client(qm.qa).get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == url("quality_queue")


def test_calibration_is_blind_until_closed_then_reported(qm):
    qa2 = quality_user("qa_a2", qm.team_a)
    creator = client(qm.qa)
    data = {
        "title": "March calls",
        "interaction": qm.call.pk,
        "version": qm.version.pk,
        "evaluators": [qm.qa.pk, qa2.pk],
    }
    response = creator.post(url("quality_calibration_new"), data)
    assert response.status_code == 302, response.content[:2000]
    session = CalibrationSession.objects.get()
    # A supervisor may sit in a session but does not set one up.
    assert client(qm.supervisor_a).get(url("quality_calibration_new")).status_code == 403

    scored = {}
    for user, identity in ((qm.qa, "1"), (qa2, "0")):
        c = client(user)
        response = c.post(url("quality_calibration", session.pk), {"action": "score"})
        assert response.status_code == 302
        evaluation = Evaluation.objects.get(calibration=session, evaluator=user)
        answers = {**form(qm, identity=identity, greeting="1", empathy="2", upsell="na"), "action": "publish"}
        assert c.post(url("quality_evaluation", evaluation.pk), answers).status_code == 302
        scored[user.pk] = evaluation

    # Blind: while open, nobody opens another evaluator's scoring, nor sees the report.
    assert client(qa2).get(url("quality_evaluation", scored[qm.qa.pk].pk)).status_code == 404
    assert 'id="calibration-report"' not in client(qa2).get(url("quality_calibration", session.pk)).content.decode()
    # Only its creator closes it.
    client(qa2).post(url("quality_calibration", session.pk), {"action": "close"})
    session.refresh_from_db()
    assert session.state == CalibrationState.OPEN

    assert creator.post(url("quality_calibration", session.pk), {"action": "close"}).status_code == 302
    session.refresh_from_db()
    assert session.state == CalibrationState.CLOSED
    report = client(qa2).get(url("quality_calibration", session.pk)).content.decode()
    assert 'id="calibration-report"' in report
    assert "qa_a2" in report
    assert 'data-criterion-row="identity"' in report
    # Another team's evaluator does not see the session at all.
    assert client(qm.qa_b).get(url("quality_calibration", session.pk)).status_code == 404


def test_the_trend_on_the_desktop(qm):
    published(qm, identity="1", greeting="0", empathy="3", upsell="na")
    agent = client(qm.agent_a)
    desktop = agent.get(url("desktop")).content.decode()
    assert url("quality_trend") in desktop
    assert 'id="quality-notice"' in desktop
    trend = agent.get(url("quality_trend")).content.decode()
    assert "70 %" in trend
    assert "<svg" in trend


def test_the_evaluation_page_in_french(qm):
    evaluation = start(qm)
    text = client(qm.qa).get(url("quality_evaluation", evaluation.pk), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Enregistrer le brouillon" in text
    assert "Publier" in text


def test_a_chat_is_reviewed_with_its_transcript(qm):
    chat = InteractionFactory(channel="chat", agent=qm.agent_a, queue=qm.queue_a)
    conversation, _token = chat_start(widget(chat_queue("Chat QA")))
    ChatConversation.objects.filter(pk=conversation.pk).update(interaction=chat, agent=qm.agent_a)
    ChatMessage.objects.create(conversation=conversation, author=Author.VISITOR, text="Where is my parcel?")
    ChatMessage.objects.create(conversation=conversation, author=Author.AGENT, agent=qm.agent_a, text="On its way.")
    page = client(qm.qa).get(url("quality_interaction", chat.pk)).content.decode()
    assert 'id="quality-transcript"' in page
    assert page.index("Where is my parcel?") < page.index("On its way.")


def test_the_script_path_the_agent_followed_is_beside_the_scorecard(qm):
    _script, version = make_published(by=qm.manager)
    Interaction.objects.filter(pk=qm.call.pk).update(
        script_version=version, script_path=["greeting", "billing", "closing"]
    )
    page = client(qm.qa).get(url("quality_interaction", qm.call.pk)).content.decode()
    path = page[page.index('id="quality-script-path"') :]
    assert path.index("Hello") < path.index("Let me open your last invoice.") < path.index("Thank you for calling.")
    assert "<strong>Invoice</strong>" in path and "<strong>Done</strong>" in path  # the answers given
