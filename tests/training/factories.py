"""Training factories: material is written through the services, as the admin writes it (history
by ``by``)."""

from __future__ import annotations

import itertools

from contactcenter.training.models import Course, Lesson, Quiz
from contactcenter.training.services import assignment_create, course_create, lesson_create, quiz_create

_numbers = itertools.count(1)


def make_course(*, title: str | None = None, lessons: int = 2, quiz: bool = True, by=None, **extra) -> Course:
    """A course with ``lessons`` lessons and, with ``quiz``, a quiz of two questions (pass mark 50 %):

    1. single choice: "Right" (correct), "Wrong";
    2. multiple choice: "A" (correct), "B" (correct), "C".
    """
    course = course_create(title=title or f"Course {next(_numbers)}", by=by, **extra)
    for number in range(1, lessons + 1):
        lesson_create(course=course, title=f"Lesson {number}", body=f"<p>Text of lesson {number}.</p>", by=by)
    if quiz:
        quiz_create(
            course=course,
            title="Final quiz",
            pass_mark=50,
            by=by,
            questions=[
                ("Which is right?", "single", [("Right", True), ("Wrong", False)]),
                ("Which letters?", "multiple", [("A", True), ("B", True), ("C", False)]),
            ],
        )
    return course


def lessons_of(course: Course) -> list[Lesson]:
    return list(course.lessons.order_by("order"))


def quiz_ids(quiz: Quiz) -> dict[str, object]:
    """``{"q1": id, "right": id, "wrong": id, "q2": id, "a": id, "b": id, "c": id}`` of a quiz made by
    :func:`make_course`."""
    first, second = list(quiz.questions.order_by("order"))
    right, wrong = list(first.choices.order_by("order"))
    a, b, c = list(second.choices.order_by("order"))
    return {"q1": first.pk, "right": right.pk, "wrong": wrong.pk, "q2": second.pk, "a": a.pk, "b": b.pk, "c": c.pk}


def all_right(quiz: Quiz) -> dict[str, list[int]]:
    ids = quiz_ids(quiz)
    return {str(ids["q1"]): [ids["right"]], str(ids["q2"]): [ids["a"], ids["b"]]}


def assign(course: Course, **target) -> object:
    return assignment_create(course=course, by=None, **target)
