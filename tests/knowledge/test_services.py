"""Writes on the knowledge base (issue #7): managers write, every edit is in history with who and
when, publishing dates the article."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from contactcenter.knowledge.models import Article, ArticleStatus
from contactcenter.knowledge.services import (
    article_category_get_or_create,
    article_create,
    article_publish,
    article_unpublish,
    article_update,
)
from tests.knowledge.factories import ArticleCategoryFactory, ArticleFactory

pytestmark = pytest.mark.django_db


def test_a_new_article_is_a_draft_written_by_its_author(manager):
    category = ArticleCategoryFactory(name="Billing")

    article = article_create(
        title="  Explaining   an estimated bill ",
        body="When the meter could not be read…",
        language="en",
        category=category,
        tags=["Bill", "meter"],
        by=manager,
    )

    article.refresh_from_db()
    assert article.title == "Explaining an estimated bill"
    assert article.slug == "explaining-an-estimated-bill"
    assert article.status == ArticleStatus.DRAFT and article.published_at is None
    assert article.tags == ["bill", "meter"]
    assert article.created_by == manager and article.updated_by == manager
    (record,) = article.history.all()
    assert record.history_type == "+" and record.history_user == manager


def test_slugs_stay_unique(manager):
    first = article_create(title="Refunds", body="x", language="en", by=manager)
    second = article_create(title="Refunds", body="y", language="fr", by=manager)

    assert (first.slug, second.slug) == ("refunds", "refunds-2")


def test_an_invalid_article_is_refused_and_nothing_is_written(manager):
    with pytest.raises(ValidationError) as caught:
        article_create(title=" ", body="", language="de", by=manager)

    assert {"title", "body", "language"} <= set(caught.value.message_dict)
    assert not Article.objects.exists()


def test_publishing_dates_the_article_and_history_says_who(manager):
    article = ArticleFactory(publish=False)
    before = timezone.now()

    article_publish(article=article, by=manager)

    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED
    assert before <= article.published_at <= timezone.now()
    latest = article.history.first()
    assert latest.status == ArticleStatus.PUBLISHED
    assert latest.history_user == manager
    assert latest.history_date >= before


def test_publishing_at_a_given_moment(manager):
    moment = timezone.now() - timedelta(days=3)

    article = ArticleFactory(publish=False)
    article_publish(article=article, by=manager, at=moment)

    article.refresh_from_db()
    assert article.published_at == moment


def test_publishing_twice_changes_nothing(manager):
    article = ArticleFactory(by=manager)
    published_at, records = article.published_at, article.history.count()

    article_publish(article=article, by=manager)

    article.refresh_from_db()
    assert article.published_at == published_at
    assert article.history.count() == records


def test_unpublishing_takes_it_back_to_draft_and_history_keeps_the_publication(manager):
    article = ArticleFactory(by=manager)

    article_unpublish(article=article, by=manager)

    article.refresh_from_db()
    assert article.status == ArticleStatus.DRAFT and article.published_at is None
    statuses = list(article.history.order_by("history_date", "history_id").values_list("status", flat=True))
    assert statuses == ["draft", "published", "draft"]


def test_every_edit_is_in_history_with_who_and_when(manager, org):
    article = ArticleFactory(title="Modem", body="Unplug it.", by=manager)

    article_update(article=article, title="Restarting the modem", by=org.admin)
    article_update(article=article, body="Unplug it for 30 seconds.", tags=["modem"], by=manager)

    records = list(article.history.order_by("history_date", "history_id"))
    assert [(r.title, r.history_user) for r in records[-2:]] == [
        ("Restarting the modem", org.admin),
        ("Restarting the modem", manager),
    ]
    assert records[-1].body == "Unplug it for 30 seconds."
    assert records[-1].history_date >= records[-2].history_date
    article.refresh_from_db()
    assert article.updated_by == manager
    assert article.slug == "modem"  # links to the article keep working


def test_an_edit_does_not_change_the_status(manager):
    article = ArticleFactory(publish=False)

    with pytest.raises(ValidationError) as caught:
        article_update(article=article, status="published", by=manager)

    assert "status" in caught.value.message_dict
    article.refresh_from_db()
    assert article.status == ArticleStatus.DRAFT


def test_an_edit_refreshes_the_fallback_search_text(manager):
    article = ArticleFactory(title="Modem", body="x", by=manager)

    article_update(article=article, title="Déménagement", by=manager)

    article.refresh_from_db()
    assert article.search_text.startswith("demenagement\n")


def test_an_edit_keeps_the_search_vector_fresh_on_postgresql(manager):
    article = ArticleFactory(title="Modem", by=manager)

    article_update(article=article, title="Router", by=manager)
    article_publish(article=article, by=manager)  # a save that must not blank the vector

    vector = Article.objects.values_list("search_vector", flat=True).get(pk=article.pk)
    if connection.vendor == "postgresql":
        assert "'router':" in vector and "'modem'" not in vector
    else:
        assert vector is None


def test_categories_are_found_by_name_or_created_once():
    first, created = article_category_get_or_create(name=" Billing ")
    again, created_again = article_category_get_or_create(name="Billing")

    assert created and not created_again and first == again
    assert first.name == "Billing"
