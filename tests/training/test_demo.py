"""The demo training (issue #7): a course with three lessons linked to knowledge articles and a
quiz of four questions, assigned to the Front office team, completed by three of its agents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contactcenter.demo.content.knowledge import load_knowledge_demo
from contactcenter.demo.content.training import COURSE_TITLE, load_training_demo
from contactcenter.training.models import Course, CourseCompletion, QuizAttempt
from contactcenter.training.selectors import assigned_courses, team_progress
from tests.agents.factories import AgentProfileFactory, TeamFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 31, 12, tzinfo=UTC)


@pytest.fixture
def front(org):
    team = TeamFactory(name="Front office")
    return [AgentProfileFactory(user__username=f"front{n}", team=team).user for n in range(1, 5)]


def test_the_demo_course_is_assigned_and_completed_by_three_agents(org, front):
    load_knowledge_demo(by=org.manager)
    created = load_training_demo(by=org.manager, now=NOW, days=30)

    assert created == {"training courses": 1, "training completions": 3}
    course = Course.objects.get(title=COURSE_TITLE)
    assert [lesson.articles.count() for lesson in course.lessons.order_by("order")] == [2, 2, 2]
    assert course.quiz.questions.count() == 4
    assert course.history.get().history_user == org.manager
    completions = CourseCompletion.objects.filter(course=course).order_by("agent__username")
    assert [c.agent.username for c in completions] == ["front1", "front2", "front3"]
    assert all(NOW - timedelta(days=16) < c.completed_at < NOW - timedelta(days=14) for c in completions)
    assert set(QuizAttempt.objects.values_list("score", "passed")) == {(100.0, True)}
    (row,) = assigned_courses(user=front[3])
    assert (row.lessons_total, row.lessons_done, row.has_quiz) == (3, 0, True)
    (team,) = team_progress(course=course, user=org.manager)
    assert (team.name, team.assigned, team.completed) == ("Front office", 4, 3)


def test_loading_again_creates_nothing(org, front):
    load_training_demo(by=org.manager, now=NOW)
    assert load_training_demo(by=org.manager, now=NOW) == {}
    assert Course.objects.count() == 1
