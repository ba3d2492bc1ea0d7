"""The knowledge base in the back office: managers write and publish through the services, every
edit is in history with who and when, history cannot be reverted, other roles only read."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from contactcenter.knowledge.models import Article, ArticleCategory, ArticleStatus
from tests.knowledge.factories import ArticleCategoryFactory, ArticleFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:knowledge_article_changelist")
ADD = reverse("admin:knowledge_article_add")


def change_url(article: Article) -> str:
    return reverse("admin:knowledge_article_change", args=[article.pk])


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form(**values: Any) -> dict[str, Any]:
    data = {
        "title": "Restarting the modem",
        "slug": "",
        "language": "en",
        "category": "",
        "audience": "internal",
        "status": "draft",
        "summary": "",
        "tags": "modem, Router",
        "body": "Unplug it for 30 seconds.",
    }
    data.update(values)
    return data


def test_a_manager_writes_a_draft_through_the_service(org):
    category = ArticleCategoryFactory(name="Technical support")

    response = client_for(org.manager).post(ADD, form(category=category.pk))

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    article = Article.objects.get()
    assert (article.slug, article.tags, article.status) == ("restarting-the-modem", ["modem", "router"], "draft")
    assert article.created_by == org.manager and article.search_text
    assert [r.history_user for r in article.history.all()] == [org.manager]


def test_choosing_published_in_the_form_publishes_it(org):
    client = client_for(org.manager)
    client.post(ADD, form(status="published"))
    article = Article.objects.get()
    assert article.status == ArticleStatus.PUBLISHED and article.published_at is not None

    response = client.post(change_url(article), form(title="Restarting the router", status="draft"))

    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.status, article.published_at) == ("Restarting the router", "draft", None)
    assert list(article.history.order_by("history_date", "history_id").values_list("status", "title")) == [
        ("draft", "Restarting the modem"),
        ("published", "Restarting the modem"),
        ("published", "Restarting the router"),
        ("draft", "Restarting the router"),
    ]
    assert {r.history_user for r in article.history.all()} == {org.manager}


def test_the_publish_and_unpublish_actions(org):
    drafts = [ArticleFactory(publish=False) for _ in range(2)]
    client = client_for(org.manager)

    client.post(CHANGELIST, {"action": "publish", "_selected_action": [a.pk for a in drafts]})
    assert set(Article.objects.values_list("status", flat=True)) == {"published"}
    assert all(a.history.first().history_user == org.manager for a in drafts)

    client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [drafts[0].pk]})
    assert Article.objects.get(pk=drafts[0].pk).status == "draft"


def test_the_history_can_be_read_but_not_reverted(org):
    article = ArticleFactory(title="Modem", by=org.manager)
    client = client_for(org.manager)
    client.post(change_url(article), form(title="Router", status="published"))
    old = article.history.order_by("history_date", "history_id").first()

    history = client.get(reverse("admin:knowledge_article_history", args=[article.pk]))
    version_url = reverse("admin:knowledge_article_simple_history", args=[article.pk, old.history_id])

    assert history.status_code == 200 and "Router" in history.content.decode()
    assert client.get(version_url).status_code == 200
    assert client.post(version_url, form(title="Modem", status="published")).status_code == 403
    article.refresh_from_db()
    assert article.title == "Router"


def test_a_supervisor_reads_published_articles_and_changes_nothing(org):
    published, draft = ArticleFactory(title="Published one"), ArticleFactory(title="Draft one", publish=False)
    client = client_for(org.supervisor_a)

    listing = client.get(CHANGELIST)
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [published]
    assert client.get(change_url(draft)).status_code == 302  # not one they may see: back to the index
    assert client.post(change_url(published), form(title="Changed", status="published")).status_code == 403
    assert client.get(ADD).status_code == 403
    assert Article.objects.get(pk=published.pk).title == "Published one"


def test_managers_may_manage_categories(org):
    response = client_for(org.manager).post(reverse("admin:knowledge_articlecategory_add"), {"name": "Billing"})

    assert response.status_code == 302
    assert ArticleCategory.objects.filter(name="Billing").exists()


def test_the_changelist_costs_the_same_queries_for_1_or_25_articles(admin_client, django_assert_max_num_queries):
    admin_client.get(CHANGELIST)  # warm the session and content-type caches
    ArticleFactory()
    with django_assert_max_num_queries(8) as few:
        assert admin_client.get(CHANGELIST).status_code == 200
    for n in range(24):
        ArticleFactory(category=ArticleCategoryFactory(name=f"Shelf {n}"))
    with django_assert_max_num_queries(8) as many:
        response = admin_client.get(CHANGELIST)

    assert response.context["cl"].result_count == 25
    assert len(many) == len(few)
