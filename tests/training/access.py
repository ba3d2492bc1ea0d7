"""Access-matrix entries for the training routes (merged by tests/api/test_access_matrix.py).

The course is assigned to team A: agent A and supervisor A take it; agent B (team B) does not see
it (404). Managers and admins open every course, but record progress only in courses assigned to
them: completing a lesson or submitting the quiz of another's course answers 404 to them too.
"""

from tests.api.matrix import Case, statuses
from tests.training.factories import all_right, assign, lessons_of, make_course


def _course(org):
    course = make_course(title="Matrix course", lessons=1)
    assign(course, team=org.team_a)
    return course


def _lesson_kwargs(org):
    course = _course(org)
    return {"pk": course.pk, "lesson_pk": lessons_of(course)[0].pk}


_quiz_course = {}


def _quiz_kwargs(org):
    course = _course(org)
    _quiz_course["answers"] = all_right(course.quiz)
    return {"pk": course.pk}


ENTRIES = {
    ("training-course-list", "get"): Case(statuses(200)),
    ("training-course-detail", "get"): Case(statuses(200, other_agent=404), kwargs=lambda org: {"pk": _course(org).pk}),
    ("training-course-lesson-complete", "post"): Case(
        statuses(200, other_agent=404, manager=404, admin=404), kwargs=_lesson_kwargs
    ),
    ("training-course-quiz", "post"): Case(
        statuses(201, other_agent=404, manager=404, admin=404),
        kwargs=_quiz_kwargs,
        body=lambda org: {"answers": _quiz_course["answers"]},
    ),
}
