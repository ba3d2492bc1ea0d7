"""The "Script analytics" report (``/admin/reports/script-versions/?script=<id>``): figures per
version against hand-computed ones (SPEC §4 definitions), the page, its export, who may open it,
a clear error for a wrong script, and queries independent of the number of versions."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contactcenter.scripts.services import script_publish, script_update_draft
from interactions.models import Disposition
from kpis.script_versions import version_figures
from tests.customers.factories import CustomerFactory
from tests.interactions.factories import T0, InteractionFactory, SurveyResponseFactory
from tests.scripts.factories import make_published, make_script, steps

pytestmark = pytest.mark.django_db

REPORT = reverse("admin:kpis-report", args=["script-versions"])


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


# --- The report page ---------------------------------------------------------------------------------


def _page(client, user, **params):
    client.force_login(user)
    return client.get(REPORT, params)


def test_the_report_lists_each_version_beside_the_previous_one(client, org, two_versions):
    script, _v1, _v2 = two_versions

    html = _page(client, org.manager, script=script.pk).content.decode()

    assert f"Analytics of {script.name}" in html
    assert "Version 2, published" in html and "Version 1, published" in html
    assert '<th scope="col">v2</th><th scope="col">v1</th>' in html
    assert reverse("admin:scripts_script_change", args=[script.pk]) in html

    export = _page(client, org.manager, script=script.pk, export="csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Version",
        "Published",
        "Interactions",
        "Handled",
        "AHT (s)",
        "FCR",
        "FCR contacts",
        "CSAT",
        "CSAT responses",
    ]
    assert [row[0] for row in rows[1:]] == ["2", "1"]
    assert [float(v) for v in rows[2][2:9]] == [3, 2, (360 + 660) / 2, 0.5, 2, 0.5, 2]
    assert export["Content-Disposition"] == f'attachment; filename="script-{script.pk}-versions.csv"'


def test_a_supervisor_counts_their_teams_interactions_on_the_page(client, org, two_versions):
    script, _v1, _v2 = two_versions
    export = _page(client, org.supervisor_a, script=script.pk, export="csv").content.decode("utf-8-sig")
    newest = list(csv.reader(io.StringIO(export)))[1]
    assert newest[0] == "2" and newest[2] == "1"


def test_the_script_comes_from_the_query_string_with_a_clear_error(client, org):
    script, _v = make_published()
    draft_only = make_script(name="Draft only")

    picker = _page(client, org.supervisor_a).content.decode()
    assert "Choose a script to see the figures" in picker and f'<option value="{script.pk}">' in picker
    for value, message in (
        ("", "Choose a script."),
        ("abc", "No script you may read has the id “abc”."),
        # A supervisor reads published scripts only: a draft is no script of theirs.
        (str(draft_only.pk), f"No script you may read has the id “{draft_only.pk}”."),
    ):
        response = _page(client, org.supervisor_a, script=value)
        assert response.status_code == 200
        assert message in response.content.decode()
    assert "Analytics of Draft only" in _page(client, org.manager, script=draft_only.pk).content.decode()


def test_the_report_is_closed_to_agents(client, org):
    script, _v = make_published()
    client.force_login(org.agent_a)
    assert client.get(REPORT, {"script": script.pk}).status_code == 302  # not staff: the admin's login
    org.agent_a.is_staff = True
    org.agent_a.save()
    assert client.get(REPORT, {"script": script.pk}).status_code == 403
    client.force_login(org.supervisor_a)
    assert REPORT in client.get(reverse("admin:kpis-reports")).content.decode()


def test_the_page_costs_the_same_queries_however_many_versions(client, org, django_assert_max_num_queries):
    script, _v = make_published(versions=1)
    _page(client, org.manager, script=script.pk)
    with CaptureQueriesContext(connection) as one:
        assert _page(client, org.manager, script=script.pk).status_code == 200
    for _ in range(4):
        script_publish(script=script, by=org.manager)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert _page(client, org.manager, script=script.pk).status_code == 200
