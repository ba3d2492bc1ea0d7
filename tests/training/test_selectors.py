"""Training reads: an agent's courses and progress, progress per team, overdue assignments and the
before/after view of KPIs, each with hand-computed figures and a bounded number of queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contactcenter.training.selectors import (
    assigned_courses,
    before_after,
    course_agent_progress,
    overdue_assignments,
    team_progress,
)
from contactcenter.training.services import lesson_complete, quiz_submit
from kpis.definitions import KpiScope
from kpis.selectors import kpi_rows
from tests.agents.factories import AgentProfileFactory
from tests.interactions.factories import InteractionFactory, SurveyResponseFactory
from tests.training.factories import all_right, assign, lessons_of, make_course, quiz_ids

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 1)


def test_assigned_courses_show_progress_due_date_and_overdue(org):
    late = make_course(title="Late")
    assign(late, team=org.team_a, due_on=date(2026, 2, 1))
    soon = make_course(title="Soon", quiz=False)
    assign(soon, agent=org.agent_a, due_on=date(2026, 3, 15))
    free = make_course(title="Whenever", lessons=3)
    assign(free, role="agent")
    lesson_complete(agent=org.agent_a, lesson=lessons_of(late)[0])
    ids = quiz_ids(late.quiz)
    quiz_submit(agent=org.agent_a, quiz=late.quiz, answers={str(ids["q1"]): [ids["right"]], str(ids["q2"]): [ids["c"]]})
    quiz_submit(agent=org.agent_a, quiz=late.quiz, answers={str(ids["q1"]): [ids["wrong"]], str(ids["q2"]): [ids["c"]]})

    rows = assigned_courses(user=org.agent_a, today=TODAY)

    assert [row.course.title for row in rows] == ["Late", "Soon", "Whenever"]
    first, second, third = rows
    assert (first.due_on, first.lessons_done, first.lessons_total) == (date(2026, 2, 1), 1, 2)
    assert (first.quiz_attempts, first.best_score, first.quiz_passed) == (2, 50.0, True)  # 50 % ≥ pass mark 50
    assert first.is_overdue and not first.is_completed
    assert first.percent == 67  # 1 lesson of 2 + the quiz: 2 of 3 steps
    assert (second.has_quiz, second.lessons_done, second.percent, second.is_overdue) == (False, 0, 0, False)
    assert (third.due_on, third.lessons_total, third.best_score) == (None, 3, None)


def test_a_completed_course_is_not_overdue(org, course):
    assign(course, agent=org.agent_a, due_on=date(2026, 1, 1))
    for lesson in lessons_of(course):
        lesson_complete(agent=org.agent_a, lesson=lesson)
    quiz_submit(agent=org.agent_a, quiz=course.quiz, answers=all_right(course.quiz))
    (row,) = assigned_courses(user=org.agent_a, today=TODAY)
    assert row.is_completed and not row.is_overdue and row.percent == 100


def test_assigned_courses_cost_four_queries_for_1_or_10_courses(org, django_assert_num_queries):
    def count():
        with django_assert_num_queries(4):
            return assigned_courses(user=org.agent_a)

    course = make_course()
    assign(course, team=org.team_a)
    assert len(count()) == 1
    for _ in range(9):
        other = make_course(lessons=3)
        assign(other, role="agent")
        lesson_complete(agent=org.agent_a, lesson=lessons_of(other)[0])
        quiz_submit(agent=org.agent_a, quiz=other.quiz, answers=all_right(other.quiz))
    assert len(count()) == 10


def _team_a_course(org):
    course = make_course(title="Team A course")
    assign(course, team=org.team_a, due_on=date(2026, 2, 15))
    assign(course, agent=org.agent_b, due_on=date(2026, 3, 10))
    return course


def _complete(agent, course, at=None):
    for lesson in lessons_of(course):
        lesson_complete(agent=agent, lesson=lesson, at=at)
    quiz_submit(agent=agent, quiz=course.quiz, answers=all_right(course.quiz), at=at)


def test_team_progress_counts_assigned_completed_and_overdue_per_team(org):
    course = _team_a_course(org)
    _complete(org.agent_a, course)
    third = AgentProfileFactory(user__username="agent_c", team=org.team_a).user
    lesson_complete(agent=third, lesson=lessons_of(course)[0])

    teams = team_progress(course=course, user=org.manager, today=TODAY)

    # Team A: agent_a (done), supervisor_a and agent_c (past 15 Feb); team B: agent_b (due 10 Mar).
    assert [(t.name, t.assigned, t.completed, t.overdue) for t in teams] == [("Team A", 3, 1, 2), ("Team B", 1, 0, 0)]
    rows = {
        row.profile.user.username: row for row in course_agent_progress(course=course, user=org.manager, today=TODAY)
    }
    assert (rows["agent_c"].lessons_done, rows["agent_c"].lessons_total, rows["agent_c"].days_overdue) == (1, 2, 14)
    assert rows["agent_a"].best_score == 100.0 and rows["agent_a"].completed_at is not None


def test_a_supervisor_follows_only_their_team_and_an_agent_nobody(org):
    course = _team_a_course(org)
    teams = team_progress(course=course, user=org.supervisor_a, today=TODAY)
    assert [(t.name, t.assigned) for t in teams] == [("Team A", 2)]
    assert team_progress(course=course, user=org.agent_a, today=TODAY) == []


def test_agent_progress_costs_six_queries_whatever_the_number_of_agents(org, django_assert_num_queries):
    course = _team_a_course(org)
    with django_assert_num_queries(6):
        assert len(course_agent_progress(course=course, user=org.manager)) == 3
    for _ in range(8):
        agent = AgentProfileFactory(team=org.team_a).user
        lesson_complete(agent=agent, lesson=lessons_of(course)[0])
    with django_assert_num_queries(6):
        assert len(course_agent_progress(course=course, user=org.manager)) == 11


def test_overdue_assignments_list_every_late_agent_longest_first(org, django_assert_num_queries):
    course = _team_a_course(org)
    other = make_course(title="Older")
    assign(other, agent=org.agent_b, due_on=date(2026, 1, 31))
    inactive = make_course(title="Retired", is_active=False)
    assign(inactive, role="agent", due_on=date(2026, 1, 1))
    _complete(org.agent_a, course)

    with django_assert_num_queries(3):
        rows = overdue_assignments(user=org.manager, today=TODAY)

    assert [(r.profile.user.username, r.course.title, r.days_overdue) for r in rows] == [
        ("agent_b", "Older", 29),
        ("supervisor_a", "Team A course", 14),
    ]
    assert [r.profile.user.username for r in overdue_assignments(user=org.supervisor_a, today=TODAY)] == [
        "supervisor_a"
    ]


# --- Before / after -------------------------------------------------------------------------------

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
    assert row.before == {"aht": 300.0, "fcr": 1.0, "csat": 0.5, "handled": 2}
    assert row.after == {"aht": 240.0, "fcr": 0.5, "csat": 1.0, "handled": 2}
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
    }


def test_before_after_without_calls_shows_no_figures_and_an_unfinished_period(org, course):
    _complete(org.agent_a, course, at=COMPLETED)
    (row,) = before_after(course=course, user=org.manager, today=date(2026, 3, 20))
    assert row.before == {"aht": None, "fcr": None, "csat": None, "handled": 0}
    assert row.after_complete is False
    assert dict(row.cells)["aht-change"] == "—"


def _kpi_rows_cost() -> int:
    """The queries of one ``kpi_rows`` call by agent (the KPI module's own, fixed cost)."""
    with CaptureQueriesContext(connection) as queries:
        kpi_rows(scope=KpiScope(everything=True), start=date(2026, 1, 1), end=date(2026, 1, 31), group_by="agent")
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
