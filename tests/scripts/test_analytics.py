"""Script analytics per version against hand-computed figures (SPEC §4 definitions)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contactcenter.scripts.analytics import version_figures
from contactcenter.scripts.services import script_publish, script_update_draft
from interactions.models import Disposition
from tests.customers.factories import CustomerFactory
from tests.interactions.factories import T0, InteractionFactory, SurveyResponseFactory
from tests.scripts.factories import make_script, steps

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_versions(org):
    script = make_script(by=org.manager, queues=[org.queue_a])
    v1 = script_publish(script=script, by=org.manager)
    changed = steps()
    changed[2]["disposition"] = "information-given"
    script_update_draft(script=script, steps=changed, by=org.manager)
    v2 = script_publish(script=script, by=org.manager)
    resolved, callback = Disposition.objects.get(code="resolved"), Disposition.objects.get(code="callback")
    agent, queue = org.agent_a, org.queue_a
    # v1: handle 300 talk + 60 wrap-up = 360 s, resolved at first contact, CSAT 5.
    first = InteractionFactory(agent=agent, queue=queue, script_version=v1, disposition=resolved)
    SurveyResponseFactory(interaction=first, score=5)
    # v1: 600 s talk of which 40 on hold, + 60 wrap-up = 660 s; the customer calls back: no FCR; CSAT 2.
    second = InteractionFactory(
        agent=agent,
        queue=queue,
        script_version=v1,
        disposition=callback,
        hold_seconds=40,
        ended_at=T0 + timedelta(seconds=10 + 600),
    )
    SurveyResponseFactory(interaction=second, score=2)
    InteractionFactory(agent=agent, queue=queue, customer=second.customer, offered_at=T0 + timedelta(days=2))
    # v1: abandoned, not handled.
    InteractionFactory(queue=queue, script_version=v1, answered_at=None, ended_at=T0 + timedelta(seconds=60))
    # v2: 360 s, resolved, CSAT 4; and one by team B's agent.
    third = InteractionFactory(
        agent=agent, queue=queue, script_version=v2, disposition=resolved, customer=CustomerFactory()
    )
    SurveyResponseFactory(interaction=third, score=4)
    InteractionFactory(agent=org.agent_b, queue=org.queue_b, script_version=v2, disposition=callback)
    return script, v1, v2


def test_figures_per_version_beside_the_previous_one(org, two_versions, django_assert_max_num_queries):
    script, v1, v2 = two_versions

    with django_assert_max_num_queries(5):
        newest, oldest = version_figures(script=script, user=org.manager)

    assert (newest.version, oldest.version, newest.previous, oldest.previous) == (v2, v1, oldest, None)
    assert (oldest.interactions, oldest.handled) == (3, 2)
    assert oldest.aht == pytest.approx((360 + 660) / 2)
    assert (oldest.fcr_contacts, oldest.fcr) == (2, 0.5)
    assert (oldest.csat_responses, oldest.csat) == (2, 0.5)
    assert [(d.code, d.count, d.share) for d in oldest.dispositions] == [
        ("callback", 1, pytest.approx(1 / 3)),
        ("resolved", 1, pytest.approx(1 / 3)),
    ]
    # v1's end steps suggest "callback" (other) and "resolved" (closing).
    assert [(e.key, e.code, e.count) for e in oldest.end_steps] == [
        ("other", "callback", 1),
        ("closing", "resolved", 1),
    ]

    assert (newest.interactions, newest.handled, newest.aht) == (2, 2, pytest.approx(360))
    assert (newest.fcr_contacts, newest.fcr, newest.csat) == (2, 1.0, 1.0)
    assert [(e.key, e.code, e.count, e.share) for e in newest.end_steps] == [
        ("other", "information-given", 0, 0.0),
        ("closing", "resolved", 1, 0.5),
    ]


def test_a_supervisor_counts_only_their_teams_interactions(org, two_versions):
    script, _v1, _v2 = two_versions

    newest, _oldest = version_figures(script=script, user=org.supervisor_a)

    assert newest.interactions == 1
    assert [(d.code, d.count) for d in newest.dispositions] == [("resolved", 1)]


def test_a_version_nobody_used_has_no_rates(org):
    script = make_script(by=org.manager)
    script_publish(script=script, by=org.manager)

    (only,) = version_figures(script=script, user=org.manager)

    assert (only.interactions, only.aht, only.fcr, only.csat, only.dispositions) == (0, None, None, None, [])
    assert [e.share for e in only.end_steps] == [None, None]
