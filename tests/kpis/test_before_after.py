"""The "Training before/after" report (``/admin/reports/training-before-after/?course=<id>``): each
agent's KPIs over the 30 days before and after they completed a course, with hand-computed figures,
a bounded number of queries, who may open it, and a clear error for a wrong course."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contactcenter.training.services import lesson_complete, quiz_submit
from kpis.before_after import before_after
from kpis.definitions import KpiScope
from kpis.selectors import kpi_rows
from tests.interactions.factories import InteractionFactory, SurveyResponseFactory
from tests.training.factories import all_right, assign, lessons_of, make_course

pytestmark = pytest.mark.django_db

REPORT = reverse("admin:kpis-report", args=["training-before-after"])


@pytest.fixture
def course(org):
    course = make_course(title="Billing basics", by=org.manager)
    assign(course, team=org.team_a)
    return course


def _complete(agent, course, at=None):
    for lesson in lessons_of(course):
        lesson_complete(agent=agent, lesson=lesson, at=at)
    quiz_submit(agent=agent, quiz=course.quiz, answers=all_right(course.quiz), at=at)


def _page(client, user, **params):
    client.force_login(user)
    return client.get(REPORT, params)


COMPLETED = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # 11:00 in Paris: local day 10 March


def _call(agent, offered, *, talk_minutes=5, customer=None, csat=None):
    """A handled inbound call: 10 s wait, ``talk_minutes`` of talk, 1 minute of wrap-up."""
    extra = {"customer": customer} if customer is not None else {}
    interaction = InteractionFactory(
        agent=agent,
        offered_at=offered,
        answered_at=offered + timedelta(seconds=10),
        ended_at=offered + timedelta(seconds=10, minutes=talk_minutes),
        wrapup_ended_at=offered + timedelta(seconds=10, minutes=talk_minutes + 1),
        **extra,
    )
    if csat is not None:
        SurveyResponseFactory(interaction=interaction, kind="csat", score=csat)
    return interaction


def test_before_after_compares_the_30_days_around_the_completion_day(org, course):
    agent = org.agent_a
    # Before: [8 Feb, 10 Mar). Handle times 6 and 4 minutes → AHT 300 s; two customers who never
    # call back → FCR 100 %; CSAT 5 (satisfied) and 2 → 50 %.
    _call(agent, datetime(2026, 3, 1, 9, tzinfo=UTC), talk_minutes=5, csat=5)
    _call(agent, datetime(2026, 3, 2, 9, tzinfo=UTC), talk_minutes=3, csat=2)
    # Left out: the completion day itself, and a day before the 30.
    _call(agent, datetime(2026, 3, 10, 15, tzinfo=UTC), talk_minutes=60)
    _call(agent, datetime(2026, 2, 7, 9, tzinfo=UTC), talk_minutes=60)
    # After: [11 Mar, 10 Apr). 6 and 2 minutes → AHT 240 s; the same customer twice in two days:
    # the first contact is repeated → FCR 1 of 2 = 50 %; one CSAT 4 → 100 %.
    first = _call(agent, datetime(2026, 3, 20, 9, tzinfo=UTC), talk_minutes=5, csat=4)
    _call(agent, datetime(2026, 3, 21, 9, tzinfo=UTC), talk_minutes=1, customer=first.customer)
    _complete(agent, course, at=COMPLETED)

    (row,) = before_after(course=course, user=org.manager, today=date(2026, 6, 1))

    assert row.profile.user == agent
    assert row.before == {"aht": 300.0, "fcr": 1.0, "csat": 0.5, "qm_score": None, "handled": 2}
    assert row.after == {"aht": 240.0, "fcr": 0.5, "csat": 1.0, "qm_score": None, "handled": 2}
    assert row.after_complete is True
    assert dict(row.cells) == {
        "aht-before": "300",
        "aht-after": "240",
        "aht-change": "-60",
        "fcr-before": "100",
        "fcr-after": "50",
        "fcr-change": "-50",
        "csat-before": "50",
        "csat-after": "100",
        "csat-change": "+50",
        "qm_score-before": "—",
        "qm_score-after": "—",
        "qm_score-change": "—",
    }


def test_before_after_without_calls_shows_no_figures_and_an_unfinished_period(org, course):
    _complete(org.agent_a, course, at=COMPLETED)
    (row,) = before_after(course=course, user=org.manager, today=date(2026, 3, 20))
    assert row.before == {"aht": None, "fcr": None, "csat": None, "qm_score": None, "handled": 0}
    assert row.after_complete is False
    assert dict(row.cells)["aht-change"] == "—"


def _kpi_rows_cost() -> int:
    """The queries of one ``kpi_rows`` call by agent with the quality figures (the KPI module's own,
    fixed cost)."""
    with CaptureQueriesContext(connection) as queries:
        kpi_rows(
            scope=KpiScope(everything=True),
            start=date(2026, 1, 1),
            end=date(2026, 1, 31),
            group_by="agent",
            quality=True,
        )
    return len(queries)


def test_before_after_costs_two_kpi_reports_per_completion_day_not_per_agent(org, course, django_assert_num_queries):
    per_day = 2 * _kpi_rows_cost()
    _complete(org.agent_a, course, at=COMPLETED)
    _complete(org.supervisor_a, course, at=COMPLETED + timedelta(hours=2))
    with django_assert_num_queries(2 + per_day):
        assert len(before_after(course=course, user=org.manager)) == 2
    assign(course, agent=org.agent_b)
    _complete(org.agent_b, course, at=COMPLETED + timedelta(days=3))
    with django_assert_num_queries(2 + per_day * 2):
        assert len(before_after(course=course, user=org.manager)) == 3
    # A supervisor sees their team only.
    assert {r.profile.user.username for r in before_after(course=course, user=org.supervisor_a)} == {
        "agent_a",
        "supervisor_a",
    }


# --- The report page ---------------------------------------------------------------------------------


def test_the_report_shows_each_agents_kpis(client, org, course):
    completed = datetime(2026, 3, 10, 10, tzinfo=UTC)
    # Before: one call of 10 s wait + 5 min talk + 1 min wrap-up = 360 s; after: 2 min talk + 1 = 180 s.
    InteractionFactory(agent=org.agent_a, offered_at=datetime(2026, 3, 1, 9, tzinfo=UTC))
    offered = datetime(2026, 3, 15, 9, tzinfo=UTC)
    InteractionFactory(
        agent=org.agent_a,
        offered_at=offered,
        answered_at=offered + timedelta(seconds=10),
        ended_at=offered + timedelta(minutes=2, seconds=10),
        wrapup_ended_at=offered + timedelta(minutes=3, seconds=10),
    )
    _complete(org.agent_a, course, at=completed)

    html = _page(client, org.manager, course=course.pk).content.decode()

    assert "Before/after: Billing basics" in html
    assert '<td class="aht-before">360</td><td class="aht-after">180</td><td class="aht-change">-180</td>' in html
    assert '<td class="fcr-before">100</td><td class="fcr-after">100</td><td class="fcr-change">+0</td>' in html
    assert '<td class="csat-before">—</td>' in html
    assert reverse("admin:training_course_change", args=[course.pk]) in html

    export = _page(client, org.manager, course=course.pk, export="csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["Agent", "Team", "Completed", "AHT (s) before", "AHT (s) after", "AHT (s) change"]
    assert rows[1][0:2] == ["agent_a", "Team A"] and [float(v) for v in rows[1][3:6]] == [360.0, 180.0, -180.0]
    assert export["Content-Disposition"] == f'attachment; filename="course-{course.pk}-before-after.csv"'


def test_a_supervisor_sees_their_team_only(client, org, course):
    assign(course, agent=org.agent_b)
    for agent in (org.agent_a, org.agent_b):
        _complete(agent, course, at=COMPLETED)

    html = _page(client, org.supervisor_a, course=course.pk).content.decode()

    assert 'data-agent="agent_a"' in html and 'data-agent="agent_b"' not in html


def test_the_course_comes_from_the_query_string_with_a_clear_error(client, org, course):
    picker = _page(client, org.manager).content.decode()
    assert "Choose a course to compare" in picker and f'<option value="{course.pk}">Billing basics</option>' in picker

    for value, message in (("", "Choose a course."), ("abc", "No course you may follow has the id “abc”.")):
        response = _page(client, org.manager, course=value)
        assert response.status_code == 200
        assert message in response.content.decode()
    missing = _page(client, org.manager, course=course.pk + 1000).content.decode()
    assert f"No course you may follow has the id “{course.pk + 1000}”." in missing
    assert _page(client, org.manager, course="abc", export="csv").content.decode("utf-8-sig").count("\n") == 1


def test_the_report_is_closed_to_agents(client, org, course):
    client.force_login(org.agent_a)
    assert client.get(REPORT, {"course": course.pk}).status_code == 302  # not staff: the admin's login
    org.agent_a.is_staff = True
    org.agent_a.save()
    assert client.get(REPORT, {"course": course.pk}).status_code == 403
    client.force_login(org.supervisor_a)
    assert REPORT in client.get(reverse("admin:kpis-reports")).content.decode()


def test_the_page_costs_the_same_queries_for_1_or_3_completion_days(client, org, course):
    _complete(org.agent_a, course, at=COMPLETED)
    _page(client, org.manager, course=course.pk)
    with CaptureQueriesContext(connection) as one:
        _page(client, org.manager, course=course.pk)
    per_day = 2 * _kpi_rows_cost()
    assign(course, agent=org.agent_b)
    _complete(org.supervisor_a, course, at=COMPLETED + timedelta(days=1))
    _complete(org.agent_b, course, at=COMPLETED + timedelta(days=2))
    with CaptureQueriesContext(connection) as three:
        _page(client, org.manager, course=course.pk)
    assert len(three.captured_queries) == len(one.captured_queries) + 2 * per_day
