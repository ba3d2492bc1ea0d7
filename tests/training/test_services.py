"""Training writes: the model's invariants, a lesson's body, who a course reaches, completing
lessons, scoring quizzes and completing courses."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from contactcenter.core.richtext import render_markdown
from contactcenter.training.models import Assignment, CourseCompletion, LessonCompletion, QuizAttempt
from contactcenter.training.selectors import courses_assigned_to
from contactcenter.training.services import (
    NotAssigned,
    assignment_create,
    course_completion_check,
    lesson_complete,
    lesson_create,
    quiz_create,
    quiz_submit,
)
from tests.agents.factories import AgentProfileFactory
from tests.training.factories import all_right, assign, lessons_of, make_course, quiz_ids

pytestmark = pytest.mark.django_db


# --- Model invariants -------------------------------------------------------------------------


def test_an_assignment_has_exactly_one_target_in_the_database(org):
    course = make_course(quiz=False)
    for target in ({}, {"agent": org.agent_a, "team": org.team_a}, {"team": org.team_a, "role": "agent"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Assignment.objects.create(course=course, **target)
    Assignment.objects.create(course=course, role="agent")  # one target: fine


def test_assignment_create_refuses_zero_or_two_targets(org):
    course = make_course(quiz=False)
    with pytest.raises(ValidationError) as error:
        assignment_create(course=course, by=org.manager, agent=org.agent_a, team=org.team_a)
    assert "exactly one" in str(error.value)
    with pytest.raises(ValidationError):
        assignment_create(course=course, by=org.manager)
    assert not Assignment.objects.exists()


def test_an_assignment_records_who_made_it_in_history(org):
    course = make_course(quiz=False)
    assignment = assignment_create(course=course, by=org.manager, team=org.team_a, due_on=date(2026, 3, 1))
    assert assignment.assigned_by == org.manager
    assert assignment.history.get().history_user == org.manager


def test_a_lesson_completion_and_a_course_completion_are_recorded_once(org, course):
    lesson = lessons_of(course)[0]
    LessonCompletion.objects.create(agent=org.agent_a, lesson=lesson, completed_at=datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(IntegrityError), transaction.atomic():
        LessonCompletion.objects.create(agent=org.agent_a, lesson=lesson, completed_at=datetime.now(UTC))
    CourseCompletion.objects.create(agent=org.agent_a, course=course, completed_at=datetime.now(UTC))
    with pytest.raises(IntegrityError), transaction.atomic():
        CourseCompletion.objects.create(agent=org.agent_a, course=course, completed_at=datetime.now(UTC))


def test_a_pass_mark_is_a_percentage(org):
    course = make_course(quiz=False)
    with pytest.raises(ValidationError) as error:
        quiz_create(course=course, title="Q", pass_mark=120, questions=[], by=org.manager)
    assert "pass_mark" in error.value.message_dict


def test_a_single_choice_question_needs_exactly_one_correct_choice(org):
    course = make_course(quiz=False)
    with pytest.raises(ValidationError) as error:
        quiz_create(
            course=course,
            title="Q",
            pass_mark=50,
            questions=[("Pick", "single", [("A", True), ("B", True)])],
            by=org.manager,
        )
    assert "exactly one correct" in str(error.value)


# --- A lesson's body (rendering and sanitizing: tests/test_richtext.py) --------------------------


def test_a_lesson_body_is_kept_as_written_shown_sanitized_and_must_not_be_empty(org):
    course = make_course(lessons=0, quiz=False)
    written = '<p onmouseover="x()">Hello <b>agent</b><script>x()</script></p>'
    lesson = lesson_create(course=course, title="L", body=written, by=org.manager)
    lesson.refresh_from_db()
    assert lesson.body == written
    assert render_markdown(lesson.body) == "<p>Hello <b>agent</b></p>"
    assert lesson.order == 1
    assert lesson.history.get().history_user == org.manager
    with pytest.raises(ValidationError) as error:
        lesson_create(course=course, title="Empty", body="<script>only()</script><p> </p>", by=org.manager)
    assert "body" in error.value.message_dict


# --- Who a course reaches -------------------------------------------------------------------------


def test_a_course_reaches_an_agent_directly_through_their_team_and_through_their_role(org):
    direct, by_team, by_role, elsewhere = (make_course(quiz=False) for _ in range(4))
    assign(direct, agent=org.agent_a)
    assign(by_team, team=org.team_a)
    assign(by_role, role="agent")
    assign(elsewhere, team=org.team_b)
    assign(elsewhere, role="supervisor")

    assert set(courses_assigned_to(org.agent_a)) == {direct, by_team, by_role}
    assert set(courses_assigned_to(org.agent_b)) == {by_role, elsewhere}
    assert set(courses_assigned_to(org.supervisor_a)) == {by_team, elsewhere}
    assert set(courses_assigned_to(org.nobody)) == set()


def test_the_due_date_is_the_earliest_of_the_assignments_that_reach_the_agent(org):
    course = make_course(quiz=False)
    assign(course, team=org.team_a, due_on=date(2026, 5, 1))
    assign(course, agent=org.agent_a, due_on=date(2026, 4, 1))
    assign(course, role="agent")  # no due date: does not hide the others
    (row,) = courses_assigned_to(org.agent_a)
    assert row.due_on == date(2026, 4, 1)
    (row,) = courses_assigned_to(AgentProfileFactory(team=org.team_a).user)
    assert row.due_on == date(2026, 5, 1)


def test_an_inactive_course_reaches_nobody(org):
    course = make_course(quiz=False, is_active=False)
    assign(course, team=org.team_a)
    assert list(courses_assigned_to(org.agent_a)) == []


# --- Completing lessons ---------------------------------------------------------------------------


def test_an_agent_completes_a_lesson_of_a_course_assigned_to_them_once(org, course):
    lesson = lessons_of(course)[0]
    first = lesson_complete(agent=org.agent_a, lesson=lesson)
    again = lesson_complete(agent=org.agent_a, lesson=lesson)
    assert again.pk == first.pk
    assert LessonCompletion.objects.filter(agent=org.agent_a).count() == 1


def test_a_lesson_of_a_course_not_assigned_is_refused_even_to_a_manager(org, course):
    lesson = lessons_of(course)[0]
    for user in (org.agent_b, org.manager):
        with pytest.raises(NotAssigned):
            lesson_complete(agent=user, lesson=lesson)
    assert not LessonCompletion.objects.exists()


# --- Scoring quizzes --------------------------------------------------------------------------------


def test_all_right_scores_100_and_passes(org, course):
    attempt = quiz_submit(agent=org.agent_a, quiz=course.quiz, answers=all_right(course.quiz))
    assert (attempt.score, attempt.passed) == (100.0, True)


def test_a_multiple_choice_question_counts_only_with_exactly_its_correct_choices(org, course):
    ids = quiz_ids(course.quiz)
    cases = [
        ([ids["a"]], 50.0),  # one correct choice missing: wrong, no partial credit
        ([ids["a"], ids["b"], ids["c"]], 50.0),  # every box ticked: wrong
        ([ids["b"], ids["a"]], 100.0),  # order does not matter
    ]
    for picked, expected in cases:
        attempt = quiz_submit(
            agent=org.agent_a, quiz=course.quiz, answers={str(ids["q1"]): [ids["right"]], str(ids["q2"]): picked}
        )
        assert attempt.score == expected, picked


def test_the_pass_mark_is_reached_or_not(org):
    course = make_course(quiz=False, lessons=0)
    quiz = quiz_create(
        course=course,
        title="Three",
        pass_mark=67,
        by=org.manager,
        questions=[(f"Q{n}", "single", [("yes", True), ("no", False)]) for n in range(3)],
    )
    assign(course, agent=org.agent_a)
    questions = list(quiz.questions.order_by("order"))
    yes = {q.pk: q.choices.get(text="yes").pk for q in questions}
    no = {q.pk: q.choices.get(text="no").pk for q in questions}
    two_of_three = {str(q.pk): [yes[q.pk] if n < 2 else no[q.pk]] for n, q in enumerate(questions)}
    attempt = quiz_submit(agent=org.agent_a, quiz=quiz, answers=two_of_three)
    assert (attempt.score, attempt.passed) == (66.7, False)  # 2/3 = 66.7 % < 67 %


def test_wrong_answers_are_refused_naming_each_question_and_nothing_is_written(org, course):
    ids = quiz_ids(course.quiz)
    with pytest.raises(ValidationError) as error:
        quiz_submit(
            agent=org.agent_a,
            quiz=course.quiz,
            answers={str(ids["q1"]): [ids["right"], ids["wrong"]], "999999": [1]},
        )
    errors = error.value.message_dict
    assert errors[f"answers.{ids['q1']}"] == ["Choose exactly one answer."]
    assert errors[f"answers.{ids['q2']}"] == ["Answer this question."]
    assert errors["answers"] == ["Unknown questions: 999999."]
    with pytest.raises(ValidationError) as error:
        quiz_submit(
            agent=org.agent_a,
            quiz=course.quiz,
            answers={str(ids["q1"]): [ids["a"]], str(ids["q2"]): [ids["a"]]},
        )
    assert error.value.message_dict == {
        f"answers.{ids['q1']}": [f"These choices are not of this question: {ids['a']}."]
    }
    assert not QuizAttempt.objects.exists()


def test_every_attempt_is_kept_and_a_limit_can_be_set(org, course, settings):
    ids = quiz_ids(course.quiz)
    wrong = {str(ids["q1"]): [ids["wrong"]], str(ids["q2"]): [ids["c"]]}
    quiz_submit(agent=org.agent_a, quiz=course.quiz, answers=wrong)
    quiz_submit(agent=org.agent_a, quiz=course.quiz, answers=wrong)
    assert QuizAttempt.objects.filter(agent=org.agent_a).count() == 2
    settings.TRAINING_QUIZ_MAX_ATTEMPTS = 2
    with pytest.raises(ValidationError) as error:
        quiz_submit(agent=org.agent_a, quiz=course.quiz, answers=wrong)
    assert "answers" in error.value.message_dict
    assert QuizAttempt.objects.filter(agent=org.agent_a).count() == 2


def test_the_quiz_of_a_course_not_assigned_is_refused(org, course):
    with pytest.raises(NotAssigned):
        quiz_submit(agent=org.agent_b, quiz=course.quiz, answers=all_right(course.quiz))


# --- Completing courses -----------------------------------------------------------------------------


def test_a_course_is_completed_when_every_lesson_is_done_and_the_quiz_passed(org, course):
    first, second = lessons_of(course)
    t1, t2, t3 = (datetime(2026, 2, day, 9, tzinfo=UTC) for day in (1, 2, 3))
    lesson_complete(agent=org.agent_a, lesson=first, at=t1)
    quiz_submit(agent=org.agent_a, quiz=course.quiz, answers=all_right(course.quiz), at=t2)
    assert not CourseCompletion.objects.exists()  # a lesson is still to do
    lesson_complete(agent=org.agent_a, lesson=second, at=t3)
    completion = CourseCompletion.objects.get(agent=org.agent_a, course=course)
    assert completion.completed_at == t3


def test_a_failed_quiz_does_not_complete_the_course_a_passed_one_does(org, course):
    for lesson in lessons_of(course):
        lesson_complete(agent=org.agent_a, lesson=lesson, at=datetime(2026, 2, 1, tzinfo=UTC))
    ids = quiz_ids(course.quiz)
    failed = quiz_submit(
        agent=org.agent_a, quiz=course.quiz, answers={str(ids["q1"]): [ids["wrong"]], str(ids["q2"]): [ids["c"]]}
    )
    assert failed.passed is False
    assert course_completion_check(agent=org.agent_a, course=course) is None
    passed_at = datetime(2026, 2, 5, 10, tzinfo=UTC)
    quiz_submit(agent=org.agent_a, quiz=course.quiz, answers=all_right(course.quiz), at=passed_at)
    assert CourseCompletion.objects.get(agent=org.agent_a, course=course).completed_at == passed_at


def test_a_course_without_quiz_is_completed_by_its_lessons(org):
    course = make_course(quiz=False, lessons=1)
    assign(course, role="agent")
    lesson_complete(agent=org.agent_b, lesson=lessons_of(course)[0])
    assert CourseCompletion.objects.filter(agent=org.agent_b, course=course).exists()
