"""The agent's training pages: my courses, a lesson (safe HTML, attachments, articles, mark as
done), the quiz form with its score; what is not assigned is 404 or not recorded."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from contactcenter.training.models import LessonAttachment, LessonCompletion, QuizAttempt
from contactcenter.training.services import lesson_save
from tests.knowledge.factories import ArticleFactory
from tests.training.factories import assign, lessons_of, make_course, quiz_ids

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_shows_my_courses_with_progress_and_overdue_flag(org, course):
    late = make_course(title="Late course", quiz=False)
    assign(late, agent=org.agent_a, due_on=date(2020, 1, 1))
    response = client_for(org.agent_a).get(reverse("desk:training"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Billing basics" in html and "Late course" in html
    assert "0 / 2" in html
    assert html.count("overdue") >= 1
    assert "Billing basics" not in client_for(org.agent_b).get(reverse("desk:training")).content.decode()


def test_the_list_needs_a_login_and_a_role(org):
    assert Client().get(reverse("desk:training")).status_code == 302
    assert client_for(org.nobody).get(reverse("desk:training")).status_code == 403


def test_a_lesson_shows_safe_html_attachments_and_linked_articles(org, course, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    lesson = lessons_of(course)[0]
    lesson.body = '<p>Say <strong>hello</strong><script>alert("x")</script></p>'
    lesson_save(lesson=lesson, by=org.manager, articles=[ArticleFactory(title="How to refund")])
    attachment = LessonAttachment.objects.create(
        lesson=lesson, title="Cheat sheet", file=SimpleUploadedFile("sheet.pdf", b"%PDF-1.4 demo")
    )
    client = client_for(org.agent_a)

    html = client.get(reverse("desk:training_lesson", args=[course.pk, lesson.pk])).content.decode()

    assert "<p>Say <strong>hello</strong></p>" in html
    assert "alert" not in html
    assert reverse("desk:knowledge_article", args=[lesson.articles.get().pk]) in html
    assert reverse("desk:training_attachment", args=[attachment.pk]) in html
    assert "Mark as done" in html
    download = client.get(reverse("desk:training_attachment", args=[attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 demo"
    assert client_for(org.agent_b).get(reverse("desk:training_attachment", args=[attachment.pk])).status_code == 404


def test_mark_as_done_records_and_goes_to_the_next_lesson(org, course):
    first, second = lessons_of(course)
    client = client_for(org.agent_a)
    response = client.post(reverse("desk:training_lesson", args=[course.pk, first.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:training_lesson", args=[course.pk, second.pk])
    assert LessonCompletion.objects.filter(agent=org.agent_a, lesson=first).exists()
    last = client.post(reverse("desk:training_lesson", args=[course.pk, second.pk]))
    assert last["Location"] == reverse("desk:training_course", args=[course.pk])


def test_a_course_not_assigned_is_404_to_an_agent_and_a_preview_to_a_manager(org, course):
    lesson = lessons_of(course)[0]
    url = reverse("desk:training_lesson", args=[course.pk, lesson.pk])
    assert client_for(org.agent_b).get(url).status_code == 404
    assert client_for(org.agent_b).post(url).status_code == 404
    manager = client_for(org.manager)
    assert "Mark as done" not in manager.get(url).content.decode()
    assert "Preview" in manager.get(reverse("desk:training_course", args=[course.pk])).content.decode()
    manager.post(url)
    assert not LessonCompletion.objects.exists()


def test_the_quiz_form_scores_and_says_passed(org, course):
    ids = quiz_ids(course.quiz)
    url = reverse("desk:training_quiz", args=[course.pk])
    client = client_for(org.agent_a)
    form = client.get(url).content.decode()
    assert f'type="radio" name="question-{ids["q1"]}"' in form
    assert f'type="checkbox" name="question-{ids["q2"]}"' in form

    response = client.post(
        url, {f"question-{ids['q1']}": [ids["right"]], f"question-{ids['q2']}": [ids["a"], ids["b"]]}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Your score: 100 %" in html and "Passed." in html
    assert QuizAttempt.objects.get(agent=org.agent_a).score == 100.0


def test_an_incomplete_quiz_is_shown_again_with_the_question_to_answer(org, course):
    ids = quiz_ids(course.quiz)
    response = client_for(org.agent_a).post(
        reverse("desk:training_quiz", args=[course.pk]), {f"question-{ids['q1']}": [ids["wrong"]]}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Answer this question." in html
    assert f'value="{ids["wrong"]}" checked' in html
    assert not QuizAttempt.objects.exists()


def test_the_course_page_lists_lessons_and_the_best_score(org, course):
    client = client_for(org.agent_a)
    ids = quiz_ids(course.quiz)
    client.post(
        reverse("desk:training_quiz", args=[course.pk]),
        {f"question-{ids['q1']}": [ids["right"]], f"question-{ids['q2']}": [ids["c"]]},
    )
    html = client.get(reverse("desk:training_course", args=[course.pk])).content.decode()
    assert "Lesson 1" in html and "Lesson 2" in html
    assert "Best score 50 % in 1 attempt." in html


def test_the_list_costs_the_same_queries_for_1_or_10_courses(org, course, django_assert_max_num_queries):
    client = client_for(org.agent_a)
    url = reverse("desk:training")
    client.get(url)
    with django_assert_max_num_queries(12) as first:
        client.get(url)
    for _ in range(9):
        assign(make_course(), role="agent")
    with django_assert_max_num_queries(len(first)):
        client.get(url)
