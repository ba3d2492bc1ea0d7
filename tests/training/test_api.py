"""``/api/v1/training/``: my courses with progress, a course without its answers, completing a
lesson, submitting the quiz (clear 400s), each list at a fixed number of queries."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from contactcenter.training.models import CourseCompletion, LessonCompletion, QuizAttempt
from contactcenter.training.services import lesson_complete
from tests.knowledge.factories import ArticleFactory
from tests.training.factories import assign, lessons_of, make_course, quiz_ids

pytestmark = pytest.mark.django_db

LIST = reverse("training-course-list")


def detail(pk: int) -> str:
    return reverse("training-course-detail", args=[pk])


def complete_url(course, lesson) -> str:
    return reverse("training-course-lesson-complete", kwargs={"pk": course.pk, "lesson_pk": lesson.pk})


def quiz_url(course) -> str:
    return reverse("training-course-quiz", kwargs={"pk": course.pk})


def test_the_list_shows_my_courses_with_progress_and_is_paginated(api_client_for, org, course):
    assign(course, agent=org.agent_a, due_on=date(2026, 9, 1))
    lesson_complete(agent=org.agent_a, lesson=lessons_of(course)[0])
    make_course(title="Not mine")

    body = api_client_for(org.agent_a).get(LIST).json()

    assert set(body) == {"next", "previous", "results"}
    (row,) = body["results"]
    assert (row["id"], row["title"], row["due_on"]) == (course.pk, "Billing basics", "2026-09-01")
    progress = row["progress"]
    assert (progress["lessons_done"], progress["lessons_total"], progress["has_quiz"]) == (1, 2, True)
    assert (progress["best_score"], progress["is_completed"], progress["percent"]) == (None, False, 33)
    assert api_client_for(org.agent_b).get(LIST).json()["results"] == []


def test_the_list_costs_the_same_queries_for_1_or_10_courses(
    api_client_for, org, course, django_assert_max_num_queries
):
    client = api_client_for(org.agent_a)
    client.get(LIST)
    with django_assert_max_num_queries(6) as first:
        client.get(LIST)
    for _ in range(9):
        assign(make_course(lessons=3), role="agent")
    with django_assert_max_num_queries(len(first)):
        assert len(client.get(LIST).json()["results"]) == 10


def test_the_detail_has_sanitized_lessons_and_the_quiz_without_correct_answers(api_client_for, org, course):
    lesson = lessons_of(course)[0]
    published, draft = ArticleFactory(title="Refunds"), ArticleFactory(title="Secret", publish=False)
    lesson.articles.set([published, draft])

    body = api_client_for(org.agent_a).get(detail(course.pk)).json()

    assert [item["title"] for item in body["lessons"]] == ["Lesson 1", "Lesson 2"]
    assert body["lessons"][0]["body"] == "<p>Text of lesson 1.</p>"
    assert [a["title"] for a in body["lessons"][0]["articles"]] == ["Refunds"]  # drafts are not for agents
    quiz = body["quiz"]
    assert quiz["pass_mark"] == 50
    assert [q["kind"] for q in quiz["questions"]] == ["single", "multiple"]
    assert set(quiz["questions"][0]["choices"][0]) == {"id", "text"}
    assert "is_correct" not in str(body) and "correct" not in str(body)


def test_a_course_not_assigned_is_404_and_a_manager_may_preview_it(api_client_for, org, course):
    assert api_client_for(org.agent_b).get(detail(course.pk)).status_code == 404
    assert api_client_for(org.manager).get(detail(course.pk)).status_code == 200


def test_completing_a_lesson(api_client_for, org, course):
    client = api_client_for(org.agent_a)
    first, second = lessons_of(course)
    response = client.post(complete_url(course, first))
    assert response.status_code == 200
    assert response.json()["course_completed"] is False
    assert client.post(complete_url(course, first)).status_code == 200  # again: no second record
    assert LessonCompletion.objects.filter(agent=org.agent_a).count() == 1
    other = make_course()
    assert client.post(complete_url(course, lessons_of(other)[0])).status_code == 404  # not of this course
    assert api_client_for(org.agent_b).post(complete_url(course, second)).status_code == 404


def test_submitting_the_quiz_scores_it_and_completes_the_course(api_client_for, org, course):
    client = api_client_for(org.agent_a)
    for lesson in lessons_of(course):
        client.post(complete_url(course, lesson))
    ids = quiz_ids(course.quiz)
    half = {str(ids["q1"]): [ids["right"]], str(ids["q2"]): [ids["a"]]}

    response = client.post(quiz_url(course), {"answers": half}, format="json")
    assert response.status_code == 201
    assert {k: response.json()[k] for k in ("score", "passed", "pass_mark", "course_completed")} == {
        "score": 50.0,
        "passed": True,
        "pass_mark": 50,
        "course_completed": True,
    }
    assert CourseCompletion.objects.filter(agent=org.agent_a, course=course).exists()


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        (lambda ids: {str(ids["q1"]): [ids["right"]]}, "answers.q2", "Answer this question."),
        (
            lambda ids: {str(ids["q1"]): [ids["right"], ids["wrong"]], str(ids["q2"]): [ids["a"]]},
            "answers.q1",
            "Choose exactly one answer.",
        ),
        (
            lambda ids: {str(ids["q1"]): [ids["c"]], str(ids["q2"]): [ids["a"]]},
            "answers.q1",
            "These choices are not of this question",
        ),
        (lambda ids: {**all_ids(ids), "0": [1]}, "answers", "Unknown questions: 0."),
    ],
)
def test_wrong_answers_are_400s_naming_the_question(api_client_for, org, course, answers, field, message):
    ids = quiz_ids(course.quiz)
    response = api_client_for(org.agent_a).post(quiz_url(course), {"answers": answers(ids)}, format="json")
    assert response.status_code == 400
    key = field.replace("q1", str(ids["q1"])).replace("q2", str(ids["q2"]))
    assert message in response.json()[key][0]
    assert not QuizAttempt.objects.exists()


def all_ids(ids):
    return {str(ids["q1"]): [ids["right"]], str(ids["q2"]): [ids["a"], ids["b"]]}


def test_a_malformed_body_is_a_400_naming_answers(api_client_for, org, course):
    client = api_client_for(org.agent_a)
    for body in ({}, {"answers": "yes"}, {"answers": {"1": ["x"]}}):
        response = client.post(quiz_url(course), body, format="json")
        assert response.status_code == 400
        assert "answers" in response.json()


def test_a_course_without_quiz_has_no_quiz_endpoint(api_client_for, org):
    course = make_course(quiz=False)
    assign(course, agent=org.agent_a)
    assert api_client_for(org.agent_a).get(detail(course.pk)).json()["quiz"] is None
    assert api_client_for(org.agent_a).post(quiz_url(course), {"answers": {}}, format="json").status_code == 404
