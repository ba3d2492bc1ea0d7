"""The demo knowledge base (issue #7): a dozen published articles, half French, half English,
loaded once however often the demo runs."""

from __future__ import annotations

from collections import Counter

import pytest

from contactcenter.demo.content.knowledge import ARTICLES, load_knowledge_demo
from contactcenter.knowledge.models import Article, ArticleCategory
from contactcenter.knowledge.selectors import article_search

pytestmark = pytest.mark.django_db


def test_a_dozen_published_articles_in_french_and_english(org):
    created = load_knowledge_demo(by=org.manager)

    assert created == {"knowledge categories": 4, "knowledge articles": 12}
    assert Counter(Article.objects.values_list("language", flat=True)) == {"fr": 6, "en": 6}
    assert set(Article.objects.values_list("status", flat=True)) == {"published"}
    for article in Article.objects.all():
        article.full_clean()
        assert article.summary and article.category_id and article.tags
        assert [r.history_user for r in article.history.all()] == [org.manager, org.manager]


def test_loading_again_creates_nothing_and_keeps_edits(org):
    load_knowledge_demo(by=org.manager)
    Article.objects.filter(slug=ARTICLES[0].slug).update(title="Edited by a manager")

    assert load_knowledge_demo(by=org.manager) == {}
    assert Article.objects.count() == len(ARTICLES) == 12
    assert ArticleCategory.objects.count() == 4
    assert Article.objects.get(slug=ARTICLES[0].slug).title == "Edited by a manager"


def test_the_demo_answers_the_questions_agents_ask(org):
    load_knowledge_demo(by=org.manager)

    def first(query: str) -> str:
        return article_search(user=org.agent_a, query=query)[0].slug

    assert first("résilier mon contrat") == "fr-resiliation-contrat"
    assert first("terminate contract") == "en-terminating-a-contract"
    assert first("box internet redémarrer") == "fr-redemarrer-box-internet"
    assert first("restart router") == "en-restarting-the-router"
    assert first("rgpd") == "fr-demande-rgpd"
    assert first("GDPR erasure") == "en-gdpr-request"
