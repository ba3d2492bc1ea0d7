"""Training reads: an agent's courses and progress, progress per team, overdue assignments and who
completed a course when, each with hand-computed figures and a bounded number of queries. (The
before/after view of KPIs is a report: tests/kpis/test_before_after.py.)"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contactcenter.training.selectors import (
    assigned_courses,
    course_agent_progress,
    course_completions,
    courses_followed_by,
    overdue_assignments,
    team_progress,
)
from contactcenter.training.services import lesson_complete, quiz_submit
from tests.agents.factories import AgentProfileFactory
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


def test_course_completions_are_those_of_the_agents_one_follows(org, course, django_assert_num_queries):
    _complete(org.supervisor_a, course, at=datetime(2026, 3, 12, 9, tzinfo=UTC))
    _complete(org.agent_a, course, at=datetime(2026, 3, 10, 9, tzinfo=UTC))
    assign(course, agent=org.agent_b)
    _complete(org.agent_b, course, at=datetime(2026, 3, 11, 9, tzinfo=UTC))

    with django_assert_num_queries(2):
        everyone = course_completions(course=course, user=org.manager)

    assert [(c.profile.user.username, c.completed_at.day) for c in everyone] == [
        ("agent_a", 10),
        ("agent_b", 11),
        ("supervisor_a", 12),
    ]
    assert [c.profile.user.username for c in course_completions(course=course, user=org.supervisor_a)] == [
        "agent_a",
        "supervisor_a",
    ]
    assert course_completions(course=course, user=org.agent_a) == []


def test_supervisors_and_up_follow_every_course_agents_none(org, course):
    other = make_course(title="Another")
    for user in (org.supervisor_a, org.manager, org.admin):
        assert list(courses_followed_by(user)) == [other, course]
    assert not courses_followed_by(org.agent_a).exists()
