"""The agent's training pages: the courses assigned to them, a course, a lesson, the quiz.

Reads go through :mod:`contactcenter.training.selectors` and writes through
:mod:`contactcenter.training.services`: a course the user may not open answers 404, as on the API.
Managers may open any course to preview it; only a course assigned to the user records progress.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from contactcenter.core.db import MAX_ID
from contactcenter.core.richtext import render_markdown
from contactcenter.desk.access import page_for
from contactcenter.training.models import Course, LessonAttachment
from contactcenter.training.selectors import (
    assigned_courses,
    course_detail,
    courses_assigned_to,
    courses_readable_by,
    lessons_done_by,
    quiz_attempts_of,
)
from contactcenter.training.services import NotAssigned, lesson_complete, quiz_submit


def _course(request: HttpRequest, pk: int) -> Course:
    if pk > MAX_ID:
        raise Http404
    try:
        return course_detail(user=request.user, pk=pk)
    except Course.DoesNotExist:
        raise Http404 from None


def _is_assigned(request: HttpRequest, course: Course) -> bool:
    return courses_assigned_to(request.user).filter(pk=course.pk).exists()


@page_for("training.read")
@require_GET
def training_list(request: HttpRequest) -> HttpResponse:
    """The courses assigned to the user: progress, due date, overdue ones flagged."""
    return render(request, "desk/training/list.html", {"rows": assigned_courses(user=request.user)})


@page_for("training.read")
@require_GET
def training_course(request: HttpRequest, pk: int) -> HttpResponse:
    """A course: its lessons in order (done ones ticked) and its quiz with the user's best score."""
    course = _course(request, pk)
    quiz = course.quiz_or_none
    attempts = quiz_attempts_of(user=request.user, quiz=quiz) if quiz else []
    context = {
        "course": course,
        "lessons": list(course.lessons.all()),
        "done": lessons_done_by(user=request.user, course=course),
        "quiz": quiz,
        "attempts": attempts,
        "best": max((a.score for a in attempts), default=None),
        "assigned": _is_assigned(request, course),
    }
    return render(request, "desk/training/course.html", context)


@page_for("training.read")
@require_http_methods(["GET", "POST"])
def training_lesson(request: HttpRequest, pk: int, lesson_pk: int) -> HttpResponse:
    """One lesson: its body (rendered and sanitized, its headings under the lesson's title),
    attachments and knowledge articles; POST marks it done and goes on to the next lesson (or back
    to the course after the last)."""
    course = _course(request, pk)
    lessons = list(course.lessons.all())
    lesson = next((item for item in lessons if item.pk == lesson_pk), None)
    if lesson is None:
        raise Http404
    if request.method == "POST":
        try:
            lesson_complete(agent=request.user, lesson=lesson)
        except NotAssigned:
            messages.error(request, _("This course is not assigned to you: nothing was recorded."))
            return redirect("desk:training_lesson", pk=course.pk, lesson_pk=lesson.pk)
        messages.success(request, _("Lesson marked as done."))
        following = lessons[lessons.index(lesson) + 1 :]
        if following:
            return redirect("desk:training_lesson", pk=course.pk, lesson_pk=following[0].pk)
        return redirect("desk:training_course", pk=course.pk)
    position = lessons.index(lesson)
    context = {
        "course": course,
        "lesson": lesson,
        "body": render_markdown(lesson.body, top_heading=2),
        "position": position + 1,
        "count": len(lessons),
        "previous": lessons[position - 1] if position else None,
        "next": lessons[position + 1] if position + 1 < len(lessons) else None,
        "done": lesson.pk in lessons_done_by(user=request.user, course=course),
        "assigned": _is_assigned(request, course),
    }
    return render(request, "desk/training/lesson.html", context)


@page_for("training.read")
@require_http_methods(["GET", "POST"])
def training_quiz(request: HttpRequest, pk: int) -> HttpResponse:
    """The course's quiz as a form (radio buttons or checkboxes); POST scores it and shows the
    score and whether it passed. The answers given stay ticked after a refused submission."""
    course = _course(request, pk)
    quiz = course.quiz_or_none
    if quiz is None:
        raise Http404
    questions = list(quiz.questions.all())
    attempt, errors, chosen = None, {}, {}
    if request.method == "POST":
        chosen = {q.pk: request.POST.getlist(f"question-{q.pk}") for q in questions}
        answers = {str(pk_): values for pk_, values in chosen.items() if values}
        try:
            attempt = quiz_submit(agent=request.user, quiz=quiz, answers=answers)
        except NotAssigned:
            errors = {"answers": [_("This course is not assigned to you: nothing was recorded.")]}
        except ValidationError as exc:
            errors = exc.message_dict
    status = 400 if errors else 200
    context = {
        "course": course,
        "quiz": quiz,
        "questions": [
            {
                "question": q,
                "errors": errors.get(f"answers.{q.pk}", []),
                "chosen": {str(c) for c in chosen.get(q.pk, [])},
            }
            for q in questions
        ],
        "errors": errors.get("answers", []),
        "attempt": attempt,
        "assigned": _is_assigned(request, course),
    }
    return render(request, "desk/training/quiz.html", context, status=status)


@page_for("training.read")
@require_GET
def training_attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A lesson's attached file, for users who may open its course (404 otherwise)."""
    if pk > MAX_ID:
        raise Http404
    attachment = (
        LessonAttachment.objects.filter(pk=pk, lesson__course__in=courses_readable_by(request.user).values("pk"))
        .select_related("lesson")
        .first()
    )
    if attachment is None or not attachment.file:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=attachment.file.name.rsplit("/", 1)[-1])


urlpatterns = [
    path("desk/training/", training_list, name="training"),
    path("desk/training/<int:pk>/", training_course, name="training_course"),
    path("desk/training/<int:pk>/lessons/<int:lesson_pk>/", training_lesson, name="training_lesson"),
    path("desk/training/<int:pk>/quiz/", training_quiz, name="training_quiz"),
    path("desk/training/attachments/<int:pk>/", training_attachment, name="training_attachment"),
]
