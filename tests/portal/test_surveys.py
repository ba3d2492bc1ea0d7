"""Surveys waiting for the customer in the portal, answered as every other survey answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from contactcenter.portal.selectors import portal_pending_surveys
from interactions.models import SurveyResponse
from kpis.definitions import KpiScope
from kpis.selectors import kpi_rows
from tests.agents.factories import AgentProfileFactory
from tests.interactions.factories import InteractionFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(customer):
    agent = AgentProfileFactory(user__username="agent_survey").user
    return InteractionFactory(customer=customer, agent=agent, offered_at=timezone.now() - timedelta(days=2))


def test_a_handled_contact_waits_for_its_three_surveys(signed_in, customer, contact):
    pending = portal_pending_surveys(customer=customer)
    assert [(p.interaction, p.kinds) for p in pending] == [(contact, ("csat", "nps", "ces"))]
    page = signed_in.get("/portal/surveys/").content.decode()
    assert f'action="/portal/surveys/{contact.pk}/"' in page
    assert signed_in.get("/portal/").content.decode().count("/portal/surveys/") >= 2


def test_answers_are_stored_as_survey_responses_the_kpis_count(signed_in, customer, contact):
    response = signed_in.post(f"/portal/surveys/{contact.pk}/", {"csat": "4", "nps": "9", "comment": "Rapide"})
    assert response.status_code == 302
    answers = {r.kind: (r.score, r.comment) for r in SurveyResponse.objects.filter(interaction=contact)}
    assert answers == {"csat": (4, "Rapide"), "nps": (9, "")}
    # Only CES is still pending, and answering CSAT again is refused.
    assert [p.kinds for p in portal_pending_surveys(customer=customer)] == [("ces",)]
    assert signed_in.post(f"/portal/surveys/{contact.pk}/", {"csat": "5"}).status_code == 400
    day = timezone.localdate(contact.offered_at)
    row = kpi_rows(scope=KpiScope(everything=True), start=day, end=day + timedelta(days=1))[0]
    assert row.csat == 1.0  # a 4 is satisfied


def test_a_score_off_its_scale_is_refused(signed_in, contact):
    for data in ({"csat": "6"}, {"nps": "-1"}, {"ces": "abc"}, {}):
        assert signed_in.post(f"/portal/surveys/{contact.pk}/", data).status_code == 400
    assert not SurveyResponse.objects.exists()


def test_no_survey_on_another_customers_contact_nor_on_an_old_one(signed_in, customer, other, contact):
    theirs = InteractionFactory(customer=other, agent=contact.agent, offered_at=contact.offered_at)
    old = InteractionFactory(customer=customer, agent=contact.agent, offered_at=timezone.now() - timedelta(days=60))
    unanswered = InteractionFactory(
        customer=customer, agent=None, answered_at=None, ended_at=contact.offered_at, offered_at=contact.offered_at
    )
    for interaction in (theirs, old, unanswered):
        assert signed_in.post(f"/portal/surveys/{interaction.pk}/", {"csat": "5"}).status_code == 404
    assert [p.interaction for p in portal_pending_surveys(customer=customer)] == [contact]
    assert not SurveyResponse.objects.exists()


def test_answered_contacts_and_customers_without_consent_have_none(customer, contact):
    for kind in ("csat", "nps", "ces"):
        SurveyResponseFactory(interaction=contact, kind=kind, score=5)
    assert portal_pending_surveys(customer=customer) == []
    SurveyResponse.objects.all().delete()
    customer.consent_surveys = False
    customer.save(update_fields=["consent_surveys"])
    assert portal_pending_surveys(customer=customer) == []


def test_surveys_need_a_portal_session(contact):
    assert Client().get("/portal/surveys/").status_code == 302
    assert Client().post(f"/portal/surveys/{contact.pk}/", {"csat": "5"}).status_code == 302
    assert not SurveyResponse.objects.exists()
