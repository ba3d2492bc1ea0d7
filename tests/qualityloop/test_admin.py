"""The back office of the quality loop: sampling rules, sampled interactions, training rules and
their hits, for managers."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contactcenter.quality.models import SampleItem, SamplingRule, TrainingRule, TrainingRuleHit
from tests.qualityloop.helpers import WEEK, contact, scorecard
from tests.training.factories import make_course

pytestmark = pytest.mark.django_db


def test_a_manager_lists_and_writes_the_rules_and_reads_the_samples_and_hits(org, client):
    card, _version, _criteria = scorecard()
    rule = SamplingRule.objects.create(name="Weekly", scorecard=card, per_agent_per_week=2)
    SampleItem.objects.create(rule=rule, interaction=contact(org.agent_a, org.queue_a), agent=org.agent_a, week=WEEK)
    course = make_course(quiz=False)
    training = TrainingRule.objects.create(
        name="Greet", scorecard=card, criterion_key="greeting", threshold=60, last_n=3, course=course
    )
    TrainingRuleHit.objects.create(rule=training, agent=org.agent_a, reason="“Greeting” averaged 0 %")
    client.force_login(org.manager)
    for model in ("samplingrule", "sampleitem", "trainingrule", "trainingrulehit"):
        page = client.get(reverse(f"admin:quality_{model}_changelist"))
        assert page.status_code == 200, model
    assert "averaged 0 %" in client.get(reverse("admin:quality_trainingrulehit_changelist")).content.decode()
    response = client.post(
        reverse("admin:quality_samplingrule_add"),
        {
            "name": "Chats",
            "scorecard": card.pk,
            "per_agent_per_week": 3,
            "channels": '["chat"]',
            "min_duration_seconds": 60,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert SamplingRule.objects.get(name="Chats").channels == ["chat"]
    # An agent reaches none of it.
    client.force_login(org.agent_a)
    assert client.get(reverse("admin:quality_trainingrule_changelist")).status_code in (302, 403)
