"""The training admin writes through :mod:`contactcenter.training.services`, like the scripts'
and the knowledge base's admins: every save, inline save and deletion is validated there and its
history row says who did it, also for the rows a deletion takes along."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from contactcenter.core.richtext import render_markdown
from contactcenter.training import services
from contactcenter.training.models import Assignment, Choice, Course, Lesson, LessonAttachment, Question, Quiz
from contactcenter.training.services import course_update, material_delete, material_save
from tests.training.factories import make_course

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def inline(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


@pytest.fixture
def calls(monkeypatch) -> list[str]:
    """The training services the admin called, in order."""
    seen: list[str] = []
    for name in ("course_update", "lesson_save", "material_save", "material_delete"):
        original = getattr(services, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            seen.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(f"contactcenter.training.admin.{name}", spy)
    return seen


def deleted_by(model, pk: int):
    """Who deleted row ``pk`` of ``model``, from its history."""
    return model.history.filter(id=pk, history_type="-").get().history_user


# --- The services --------------------------------------------------------------------------------------


def test_course_update_changes_what_it_is_given(org):
    course = make_course(title="Billing", quiz=False, lessons=0, by=org.manager)
    course_update(course=course, by=org.admin, description="Invoices and refunds")
    course.refresh_from_db()
    assert (course.title, course.description) == ("Billing", "Invoices and refunds")
    assert course.history.latest().history_user == org.admin


def test_material_save_validates_and_records_who_assigned(org):
    course = make_course(quiz=False, lessons=0)
    assignment = material_save(item=Assignment(course=course, team=org.team_a), by=org.manager)
    assert assignment.assigned_by == org.manager
    assert assignment.history.get().history_user == org.manager
    with pytest.raises(ValidationError):
        material_save(item=Assignment(course=course, team=org.team_a, role="agent"), by=org.manager)


def test_material_delete_outside_a_request_still_says_who_for_every_row_of_the_cascade(org):
    course = make_course(by=org.manager)
    lesson, question = course.lessons.first(), Question.objects.filter(quiz__course=course).first()
    choice = question.choices.first()

    course_pk = course.pk

    material_delete(item=course, by=org.admin)

    assert not Course.objects.filter(pk=course_pk).exists()
    assert {deleted_by(Course, course_pk), deleted_by(Lesson, lesson.pk)} == {org.admin}
    assert {deleted_by(Question, question.pk), deleted_by(Choice, choice.pk)} == {org.admin}


# --- The admin pages ---------------------------------------------------------------------------------


def test_a_course_changed_in_the_admin_goes_through_course_update_and_its_inlines_through_the_services(
    org, course, calls
):
    lessons = list(course.lessons.order_by("order"))
    assignment = course.assignments.get()
    data = {
        "title": "Billing, the basics",
        "description": "",
        "is_active": "on",
        "grants_level": "1",
        **inline("lessons", 2, 2),
        "lessons-0-id": lessons[0].pk,
        "lessons-0-course": course.pk,
        "lessons-0-order": 1,
        "lessons-0-title": "Hello again",
        "lessons-0-body": "<p>Say hello<script>x()</script></p>",
        "lessons-1-id": lessons[1].pk,
        "lessons-1-course": course.pk,
        "lessons-1-order": 2,
        "lessons-1-title": lessons[1].title,
        "lessons-1-body": lessons[1].body,
        "lessons-1-DELETE": "on",
        **inline("quiz", 1, 1),
        "quiz-0-id": course.quiz.pk,
        "quiz-0-course": course.pk,
        "quiz-0-title": "Final quiz",
        "quiz-0-pass_mark": 60,
        **inline("assignments", 1, 1),
        "assignments-0-id": assignment.pk,
        "assignments-0-course": course.pk,
        "assignments-0-team": org.team_a.pk,
        "assignments-0-role": "",
        "assignments-0-due_on": "2026-07-01",
    }

    response = client_for(org.manager).post(reverse("admin:training_course_change", args=[course.pk]), data)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert calls[0] == "course_update"
    assert {"lesson_save", "material_save", "material_delete"} <= set(calls)
    course.refresh_from_db()
    assert course.title == "Billing, the basics"
    # Stored as written, cleaned each time it is shown.
    body = Lesson.objects.get(pk=lessons[0].pk).body
    assert body == "<p>Say hello<script>x()</script></p>"
    assert "script" not in render_markdown(body) and "Say hello" in render_markdown(body)
    assert deleted_by(Lesson, lessons[1].pk) == org.manager
    assert Quiz.objects.get(course=course).pass_mark == 60
    assert Quiz.objects.get(course=course).history.latest().history_user == org.manager
    assert str(Assignment.objects.get(pk=assignment.pk).due_on) == "2026-07-01"


def test_a_course_deleted_in_the_admin_takes_its_material_along_in_history_by_the_manager(org, course, calls):
    lesson = course.lessons.first()

    response = client_for(org.manager).post(reverse("admin:training_course_delete", args=[course.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert calls == ["material_delete"]
    assert not Lesson.objects.filter(pk=lesson.pk).exists()
    assert deleted_by(Course, course.pk) == deleted_by(Lesson, lesson.pk) == org.manager


def test_the_delete_action_goes_through_the_service_for_each_course(org, calls):
    first, second = make_course(quiz=False), make_course(quiz=False)

    response = client_for(org.manager).post(
        reverse("admin:training_course_changelist"),
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert calls == ["material_delete", "material_delete"]
    assert not Course.objects.filter(pk__in=[first.pk, second.pk]).exists()


def test_questions_and_choices_are_written_through_the_services(org, course, calls):
    quiz = course.quiz
    question = quiz.questions.get(kind="single")
    right, wrong = question.choices.order_by("order")
    data = {
        "quiz": quiz.pk,
        "order": question.order,
        "text": "Which one is right?",
        "kind": "single",
        **inline("choices", 3, 2),
        "choices-0-id": right.pk,
        "choices-0-question": question.pk,
        "choices-0-order": 1,
        "choices-0-text": right.text,
        "choices-0-is_correct": "on",
        "choices-1-id": wrong.pk,
        "choices-1-question": question.pk,
        "choices-1-order": 2,
        "choices-1-text": wrong.text,
        "choices-1-DELETE": "on",
        "choices-2-question": question.pk,
        "choices-2-order": 3,
        "choices-2-text": "Also wrong",
    }

    response = client_for(org.manager).post(reverse("admin:training_question_change", args=[question.pk]), data)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert calls.count("material_save") == 2 and calls.count("material_delete") == 1
    assert list(question.choices.order_by("order").values_list("text", flat=True)) == [right.text, "Also wrong"]
    added = question.choices.get(text="Also wrong")
    assert added.history.get().history_user == org.manager
    assert deleted_by(Choice, wrong.pk) == org.manager
    assert Question.objects.get(pk=question.pk).history.latest().history_user == org.manager


def test_an_assignment_added_in_its_admin_records_who_assigned_it(org, course, calls):
    data = {"course": course.pk, "agent": org.agent_b.pk, "team": "", "role": "", "due_on": "2026-08-01"}

    response = client_for(org.manager).post(reverse("admin:training_assignment_add"), data)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert calls == ["material_save"]
    assignment = Assignment.objects.get(course=course, agent=org.agent_b)
    assert assignment.assigned_by == org.manager and assignment.history.get().history_user == org.manager


def test_a_lesson_attachment_is_saved_and_deleted_through_the_services(org, course, calls, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    lesson = course.lessons.first()
    data = {
        "course": course.pk,
        "order": lesson.order,
        "title": lesson.title,
        "body": lesson.body,
        **inline("attachments", 1),
        "attachments-0-title": "Price list",
        "attachments-0-file": SimpleUploadedFile("prices.pdf", b"%PDF-1.4 prices", content_type="application/pdf"),
    }

    response = client_for(org.manager).post(reverse("admin:training_lesson_change", args=[lesson.pk]), data)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert calls == ["lesson_save", "material_save"]
    attachment = LessonAttachment.objects.get(lesson=lesson)
    assert attachment.history.get().history_user == org.manager

    calls.clear()
    data.update(
        {
            **inline("attachments", 1, 1),
            "attachments-0-id": attachment.pk,
            "attachments-0-lesson": lesson.pk,
            "attachments-0-title": "Price list",
            "attachments-0-DELETE": "on",
        }
    )
    del data["attachments-0-file"]
    response = client_for(org.manager).post(reverse("admin:training_lesson_change", args=[lesson.pk]), data)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert calls == ["lesson_save", "material_delete"]
    assert deleted_by(LessonAttachment, attachment.pk) == org.manager
