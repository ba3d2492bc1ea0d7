"""Stored rich text is sanitized each time it is shown, not only when it was validated: a lesson or
an article written straight through the ORM (no ``full_clean``: a script, a migration, a restore)
with a script in it shows no script, on the desk pages and in the API."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from contactcenter.knowledge.models import Article
from contactcenter.training.models import Lesson
from tests.knowledge.factories import ArticleFactory
from tests.training.factories import assign, lessons_of, make_course

pytestmark = pytest.mark.django_db

HOSTILE = (
    '<p>Read me</p><script>alert("lesson")</script><img src=x onerror="alert(1)">'
    '<a href="javascript:alert(2)">link</a><div style="position:fixed" onclick="alert(3)">x</div>'
    "<iframe src=https://example.com></iframe>"
)


def assert_harmless(html: str) -> None:
    assert "Read me" in html
    for needle in ("alert", "<iframe", "onerror", "onclick", "javascript:", "position:fixed"):
        assert needle not in html, needle


def test_a_lesson_saved_through_the_orm_shows_no_script(org):
    course = make_course(lessons=1, quiz=False)
    assign(course, agent=org.agent_a)
    lesson = lessons_of(course)[0]
    Lesson.objects.filter(pk=lesson.pk).update(body=HOSTILE)  # no full_clean, no service
    client = Client()
    client.force_login(org.agent_a)

    page = client.get(reverse("desk:training_lesson", args=[course.pk, lesson.pk]))
    assert page.status_code == 200
    assert_harmless(page.content.decode().split('<main id="main"', 1)[1])
    api = client.get(f"/api/v1/training/{course.pk}/")
    assert api.status_code == 200
    assert_harmless(str(api.json()))


def test_an_article_saved_through_the_orm_shows_no_script(org):
    article = ArticleFactory(title="Refunds")
    Article.objects.filter(pk=article.pk).update(body=HOSTILE)
    client = Client()
    client.force_login(org.agent_a)
    page = client.get(reverse("desk:knowledge_article", args=[article.pk]))
    assert page.status_code == 200
    assert_harmless(page.content.decode())
    body_html = client.get(f"/api/v1/knowledge/{article.pk}/").json()["body_html"]
    assert_harmless(body_html)
