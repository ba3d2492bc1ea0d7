"""Articles (issue #7): the invariants the database keeps, and a body that shows something."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from contactcenter.knowledge.models import Article, ArticleStatus, clean_tags
from tests.knowledge.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_an_article_reads_as_its_title():
    assert str(ArticleFactory.build(title="Restarting the modem")) == "Restarting the modem"


def test_a_published_article_without_a_date_is_refused_by_the_database():
    article = ArticleFactory(publish=False)

    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(status=ArticleStatus.PUBLISHED)


def test_a_draft_with_a_publication_date_is_refused_by_the_database():
    article = ArticleFactory(publish=False)

    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(published_at=timezone.now())


def test_a_language_the_center_does_not_speak_is_refused():
    article = ArticleFactory.build(language="xx")

    with pytest.raises(ValidationError) as caught:
        article.full_clean()

    assert "language" in caught.value.message_dict


def test_tags_are_trimmed_lower_case_and_distinct():
    assert clean_tags([" Refund ", "refund", "", "Bill  Shock"]) == ["refund", "bill shock"]


@pytest.mark.parametrize("bad", ["refund", [1, 2], ["x" * 51], [f"t{n}" for n in range(21)]])
def test_bad_tags_are_refused(bad):
    with pytest.raises(ValidationError):
        clean_tags(bad)


@pytest.mark.parametrize("body", ["", "  \n ", "<script>alert(1)</script>", "<p> </p><!-- a note -->"])
def test_a_body_of_which_nothing_would_show_is_refused(body):
    article = ArticleFactory.build(body=body)

    with pytest.raises(ValidationError) as caught:
        article.full_clean()

    assert "An article needs a body." in caught.value.message_dict["body"]
