"""The quality screens of the back office."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from contactcenter.quality import services
from contactcenter.quality.models import (
    CalibrationSession,
    Criterion,
    Dispute,
    Evaluation,
    EvaluatorTeam,
    Scorecard,
    ScorecardSection,
    ScorecardVersion,
)
from tests.quality.factories import FULL_MARKS, answers

pytestmark = pytest.mark.django_db

MODELS = [Scorecard, ScorecardVersion, ScorecardSection, Evaluation, Dispute, CalibrationSession, EvaluatorTeam]


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def filled(qm):
    evaluation = services.evaluation_start(interaction=qm.interaction, by=qm.qa)
    services.evaluation_save(evaluation=evaluation, by=qm.qa, answers=answers(qm.version, **FULL_MARKS))
    services.evaluation_publish(evaluation=evaluation, by=qm.qa)
    services.evaluation_dispute(evaluation=evaluation, by=qm.agent_a, reason="Unfair")
    services.calibration_create(
        title="Jan", interaction=qm.interaction, version=qm.version, evaluators=[qm.qa, qm.qa2], by=qm.manager
    )
    return qm


def test_every_quality_screen_opens(admin_client, filled):
    for model in MODELS:
        assert model in admin.site._registry, model
        assert admin_client.get(url(model, "changelist")).status_code == 200, model
        obj = model._default_manager.order_by("pk").first()
        assert admin_client.get(url(model, "change", obj.pk)).status_code == 200, model
    assert admin_client.get(url(Evaluation, "history", Evaluation.objects.get().pk)).status_code == 200


def test_a_manager_adds_a_scorecard_through_the_service(client, qm):
    qm.manager.is_staff = True
    qm.manager.save()
    client.force_login(qm.manager)
    response = client.post(
        url(Scorecard, "add"),
        {
            "name": "Emails",
            "description": "",
            "channel": "email",
            "is_active": "on",
            "versions-TOTAL_FORMS": 0,
            "versions-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    card = Scorecard.objects.get(name="Emails")
    assert (card.created_by, list(card.versions.values_list("number", "state"))) == (qm.manager, [(1, "draft")])


def test_a_published_version_is_read_only_in_the_admin(admin_client, qm):
    section = ScorecardSection.objects.filter(version=qm.version).first()
    page = admin_client.get(url(ScorecardSection, "change", section.pk))
    assert page.status_code == 200
    assert 'name="title"' not in page.content.decode()
    before = list(Criterion.objects.filter(section=section).values_list("title", flat=True))
    admin_client.post(url(ScorecardSection, "change", section.pk), {"title": "Changed", "position": 1})
    section.refresh_from_db()
    assert section.title != "Changed"
    assert list(Criterion.objects.filter(section=section).values_list("title", flat=True)) == before
    assert admin_client.post(url(ScorecardVersion, "delete", qm.version.pk), {"post": "yes"}).status_code == 403


def test_a_qa_evaluator_reads_only_their_teams_evaluations(client, filled):
    EvaluatorTeam.objects.filter(user=filled.qa2, team=filled.team_a).delete()
    filled.qa2.is_staff = True
    filled.qa2.save()
    client.force_login(filled.qa2)
    page = client.get(url(Evaluation, "changelist"))
    assert page.status_code == 200
    assert "0 evaluations" in page.content.decode()


def test_an_admin_gives_a_team_to_qa_evaluators_only(admin_client, qm):
    page = admin_client.get(url(EvaluatorTeam, "add")).content.decode()
    assert ">qa2<" in page and ">agent_a<" not in page
    refused = admin_client.post(url(EvaluatorTeam, "add"), {"user": qm.agent_a.pk, "team": qm.team_b.pk})
    assert refused.status_code == 200  # the form says why
    assert not EvaluatorTeam.objects.filter(user=qm.agent_a).exists()
    done = admin_client.post(url(EvaluatorTeam, "add"), {"user": qm.qa.pk, "team": qm.team_b.pk})
    assert done.status_code == 302
    assert EvaluatorTeam.objects.filter(user=qm.qa, team=qm.team_b).exists()
