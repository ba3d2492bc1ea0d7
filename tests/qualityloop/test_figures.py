"""QM figures in the KPI engine: mean score, score per criterion, critical-fail rate, evaluations
done vs planned, disputes overturned, by agent, team, queue and period, through the same API and
reports, with a drill-down to the evaluations; and the QM score before and after a course."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from contactcenter.quality.models import Dispute, SampleItem, SamplingRule
from contactcenter.training.models import CourseCompletion
from kpis.before_after import before_after
from kpis.definitions import KpiFilters, KpiScope
from kpis.quality_figures import drilldown_evaluations
from kpis.selectors import kpi_rows
from tests.qualityloop.helpers import WEEK, at, contact, evaluation, scorecard
from tests.training.factories import assign, make_course

pytestmark = pytest.mark.django_db

ALL = KpiScope(everything=True)
START, END = WEEK, WEEK + timedelta(days=7)


@pytest.fixture
def figures(org):
    """Agent A: 3 evaluations (100 %, 50 %, critical fail 0 %); agent B: 1 evaluation (75 %).
    Agent A: 4 samples planned, 2 done. One dispute of A's upheld, one overturned."""
    _card, version, criteria = scorecard()
    made = {}

    def evaluate(agent, queue, values, day):
        return evaluation(
            version=version, criteria=criteria, agent=agent, evaluator=org.manager, queue=queue, values=values, day=day
        )

    made["a1"] = evaluate(org.agent_a, org.queue_a, {"greeting": 1, "solution": 4, "identity": 1}, 0)
    made["a2"] = evaluate(org.agent_a, org.queue_a, {"greeting": 0, "solution": 2, "identity": 1}, 1)
    made["a3"] = evaluate(org.agent_a, org.queue_a, {"greeting": 1, "solution": 4, "identity": 0}, 2)
    made["b1"] = evaluate(org.agent_b, org.queue_b, {"greeting": 1, "solution": 2, "identity": None}, 3)
    evaluate(org.agent_a, org.queue_a, {"greeting": 1, "solution": 4, "identity": 1}, 8)  # next week
    rule = SamplingRule.objects.create(name="Weekly", scorecard=_card, per_agent_per_week=4)
    for n in range(4):
        SampleItem.objects.create(
            rule=rule, interaction=contact(org.agent_a, org.queue_a), agent=org.agent_a, week=WEEK,
            state="done" if n < 2 else "open",
        )  # fmt: skip
    for item, decision in ((made["a1"], "upheld"), (made["a2"], "overturned")):
        Dispute.objects.create(
            evaluation=item, raised_by=org.agent_a, reason="No", reviewer=org.supervisor_a, decision=decision,
            decided_at=at(4),
        )  # fmt: skip
    return made


def test_the_figures_by_agent(org, figures):
    rows = {row.key: row for row in kpi_rows(scope=ALL, start=START, end=END, group_by="agent", quality=True)}
    a, b = rows["agent_a"], rows["agent_b"]
    # A: (1·1 + 3·4/4 + 1)/5 = 100 %; (0 + 3·2/4 + 1)/5 = 50 %; critical fail = 0 %.
    assert (a.qm_evaluations, a.qm_score, a.qm_critical_fails) == (3, pytest.approx(50.0), 1)
    assert a.qm_critical_fail_rate == pytest.approx(1 / 3)
    assert a.qm_criteria == {
        "greeting": pytest.approx(200 / 3),
        "identity": pytest.approx(200 / 3),
        "solution": pytest.approx(250 / 3),
    }
    assert (a.qm_planned, a.qm_done, a.qm_done_rate) == (4, 2, 0.5)
    assert (a.qm_disputes_decided, a.qm_disputes_overturned, a.qm_overturn_rate) == (2, 1, 0.5)
    # B: identity n.a.: (1 + 3·2/4)/4 = 62.5 %.
    assert (b.qm_evaluations, b.qm_score, b.qm_criteria) == (
        1,
        pytest.approx(62.5),
        {"greeting": 100.0, "solution": 50.0},
    )
    assert (b.qm_planned, b.qm_done_rate, b.qm_overturn_rate) == (0, None, None)


def test_by_team_queue_and_week_and_left_out_without_the_flag(org, figures):
    teams = {row.key: row for row in kpi_rows(scope=ALL, start=START, end=END, group_by="team", quality=True)}
    assert (teams["Team A"].qm_evaluations, teams["Team B"].qm_evaluations) == (3, 1)
    queues = {row.key: row for row in kpi_rows(scope=ALL, start=START, end=END, group_by="queue", quality=True)}
    assert queues["Queue B"].qm_score == pytest.approx(62.5)
    (week,) = kpi_rows(scope=ALL, start=START, end=END, group_by="week", quality=True)
    assert (week.key, week.qm_evaluations, week.qm_planned) == (WEEK.isoformat(), 4, 4)
    (total,) = kpi_rows(scope=ALL, start=START, end=END + timedelta(days=7), quality=True)
    assert total.qm_evaluations == 5
    (plain,) = kpi_rows(scope=ALL, start=START, end=END)
    assert (plain.qm_evaluations, plain.qm_score, plain.qm_criteria) == (None, None, None)


def test_the_scope_and_filters_follow_the_reader(org, figures):
    (mine,) = kpi_rows(scope=KpiScope(user_id=org.agent_b.pk), start=START, end=END, quality=True)
    assert mine.qm_evaluations == 1
    (team_a,) = kpi_rows(
        scope=KpiScope(user_id=org.supervisor_a.pk, team_id=org.team_a.pk), start=START, end=END, quality=True
    )
    assert (team_a.qm_evaluations, team_a.qm_planned) == (3, 4)
    (voice_b,) = kpi_rows(scope=ALL, start=START, end=END, quality=True, filters=KpiFilters(queue="Queue B"))
    assert voice_b.qm_evaluations == 1


@pytest.mark.parametrize("group_by", [None, "agent", "team", "queue", "day"])
def test_the_drilldown_lists_exactly_the_evaluations_counted(org, figures, group_by):
    rows = kpi_rows(scope=ALL, start=START, end=END, group_by=group_by, quality=True)
    for row in rows:
        for figure in ("qm_evaluations", "qm_critical_fails"):
            listed = drilldown_evaluations(
                scope=ALL, start=START, end=END, figure=figure, group_by=group_by, key=row.key
            )
            assert listed.count() == getattr(row, figure), (group_by, row.key, figure)
    listed = drilldown_evaluations(scope=ALL, start=START, end=END, figure="qm_critical_fails")
    assert list(listed) == [figures["a3"]]


def test_the_api_carries_the_figures(org, figures, api_client_for):
    response = api_client_for(org.manager).get(
        "/api/v1/kpis/", {"from": START.isoformat(), "to": END.isoformat(), "group_by": "agent"}
    )
    assert response.status_code == 200
    rows = {row["key"]: row for row in response.json()["results"]}
    assert rows["agent_a"]["qm_score"] == pytest.approx(50.0)
    assert rows["agent_a"]["qm_criteria"]["greeting"] == pytest.approx(200 / 3)
    assert (rows["agent_a"]["qm_done_rate"], rows["agent_a"]["qm_overturn_rate"]) == (0.5, 0.5)


def test_the_performance_report_links_to_the_evaluations(org, figures, client):
    client.force_login(org.manager)
    params = {"start": START.isoformat(), "end": (END - timedelta(days=1)).isoformat(), "group_by": "agent"}
    page = client.get(reverse("admin:kpis-report", args=["performance"]), params)
    assert page.status_code == 200
    assert reverse("admin:kpis-report-evaluations", args=["performance"]) in page.content.decode()
    drill = client.get(
        reverse("admin:kpis-report-evaluations", args=["performance"]),
        {**params, "figure": "qm_critical_fails", "key": "agent_a"},
    )
    assert drill.status_code == 200
    assert "1 evaluation," in drill.content.decode()


def test_the_before_after_view_shows_the_qm_score(org):
    _card, version, criteria = scorecard()
    course = make_course(quiz=False)
    assign(course, agent=org.agent_a)
    completed = timezone.make_aware(timezone.datetime(2026, 3, 10, 12))
    CourseCompletion.objects.create(agent=org.agent_a, course=course, completed_at=completed)
    for values, day in (
        ({"greeting": 0, "solution": 2, "identity": 1}, 3),
        ({"greeting": 1, "solution": 4, "identity": 1}, 12),
    ):
        evaluation(
            version=version, criteria=criteria, agent=org.agent_a, evaluator=org.manager, queue=org.queue_a,
            values=values, day=day,
        )  # fmt: skip
    (row,) = before_after(course=course, user=org.manager, today=date(2026, 5, 1))
    assert (row.before["qm_score"], row.after["qm_score"]) == (pytest.approx(50.0), pytest.approx(100.0))
    assert ("qm_score-change", "+50") in row.cells
