"""Public knowledge articles on the portal: open to anyone, internal ones and drafts never."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.knowledge.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(db):
    return {
        "public": ArticleFactory(
            language="en", title="Restarting the box", body="## Steps\n\nUnplug the box.", audience="public"
        ),
        "internal": ArticleFactory(language="en", title="Restarting the box (agents)", audience="internal"),
        "draft": ArticleFactory(language="en", title="Restarting the box (new)", audience="public", publish=False),
    }


def test_the_search_lists_public_published_articles_only(shelf):
    page = Client().get("/portal/articles/", {"q": "restarting"}).content.decode()
    assert shelf["public"].title in page
    assert shelf["internal"].title not in page
    assert shelf["draft"].title not in page


def test_an_article_reads_without_signing_in_at_its_named_address(shelf):
    url = reverse("portal:article", kwargs={"slug": shelf["public"].slug})
    assert url == f"/portal/articles/{shelf['public'].slug}/"
    response = Client().get(url)
    assert response.status_code == 200
    assert "<h2>Steps</h2>" in response.content.decode()


def test_internal_articles_and_drafts_are_not_found(shelf):
    for name in ("internal", "draft"):
        assert Client().get(f"/portal/articles/{shelf[name].slug}/").status_code == 404


def test_a_search_refused_answers_its_message(shelf):
    response = Client().get("/portal/articles/", {"q": " ".join(["mot"] * 40)})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_the_article_pages_read_one_query(shelf, django_assert_num_queries):
    client = Client()
    with django_assert_num_queries(1):
        assert client.get("/portal/articles/", {"q": "restarting"}).status_code == 200
    with django_assert_num_queries(1):
        assert client.get(f"/portal/articles/{shelf['public'].slug}/").status_code == 200
