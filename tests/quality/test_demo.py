"""``manage.py demo`` loads the quality demo: a published scorecard, the QA evaluator and a few
evaluations, once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import authenticate

from contactcenter.demo.loader import load_demo
from contactcenter.demo.simulator.center import DEMO_PASSWORD
from contactcenter.quality.models import Criterion, Dispute, Evaluation, EvaluatorTeam, Scorecard
from contactcenter.quality.selectors import evaluations_visible_to

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_the_demo_has_a_scorecard_a_quality_login_and_evaluations():
    load_demo(customers=60, days=3, now=NOW)

    card = Scorecard.objects.get(name="Inbound calls")
    version = card.versions.get()
    assert version.state == "published"
    criteria = {c.key: c for c in Criterion.objects.filter(section__version=version)}
    assert set(criteria) == {"greeting", "identification", "solution", "closing"}
    assert criteria["identification"].critical
    qa = authenticate(username="quality", password=DEMO_PASSWORD)
    assert qa is not None
    assert set(EvaluatorTeam.objects.filter(user=qa).values_list("team__name", flat=True)) == {
        "Front office",
        "Premium",
    }
    evaluations = Evaluation.objects.filter(version=version)
    assert evaluations.count() == 6
    assert set(evaluations.values_list("state", flat=True)) == {"published", "acknowledged", "disputed"}
    assert evaluations.filter(critical_failed=True).exists()
    assert Dispute.objects.filter(decision="").count() == 1
    assert evaluations_visible_to(qa).count() == 6

    load_demo(customers=60, days=3, now=NOW)
    assert Evaluation.objects.count() == 6
    assert Scorecard.objects.count() == 1
