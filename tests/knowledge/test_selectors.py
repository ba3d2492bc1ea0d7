"""Reading and searching the knowledge base (issue #7): agents read published articles, managers
drafts too; a French query finds the French article, on PostgreSQL by stemming in each article's
own language, on SQLite by the fallback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from contactcenter.knowledge.models import Article
from contactcenter.knowledge.selectors import (
    MAX_SEARCH_LENGTH,
    MAX_SEARCH_RESULTS,
    _fallback,
    article_detail,
    article_search,
    public_article_detail,
    public_article_search,
)
from contactcenter.knowledge.services import article_publish
from tests.knowledge.factories import ArticleCategoryFactory, ArticleFactory

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search runs on PostgreSQL (DATABASE_URL)"
)


@pytest.fixture
def shelf():
    """The same four topics in French and English, the way a real knowledge base has them."""
    contracts, billing, support = (ArticleCategoryFactory(name=n) for n in ("Contracts", "Billing", "Support"))
    return {
        "fr_termination": ArticleFactory(
            language="fr",
            category=contracts,
            title="Résiliation d'un contrat d'abonnement",
            summary="Enregistrer la résiliation, les délais de préavis et les frais.",
            tags=["préavis"],
            body="Un client peut résilier son contrat à tout moment. La résiliation prend effet sous 10 jours.",
        ),
        "fr_moving": ArticleFactory(
            language="fr",
            category=contracts,
            title="Déménagement : transférer le contrat",
            summary="Le service suit le client à sa nouvelle adresse.",
            body="Un client qui déménage garde son contrat. Notez la nouvelle adresse et la date d'arrivée.",
        ),
        "fr_refund": ArticleFactory(
            language="fr",
            category=billing,
            title="Remboursement d'un trop-perçu",
            body="Un solde créditeur est remboursé par virement sous 15 jours.",
        ),
        "en_termination": ArticleFactory(
            language="en",
            category=contracts,
            title="Terminating a subscription contract",
            summary="Record a cancellation, the notice period and any early termination fee.",
            body="Customers may terminate their contract at any time; termination takes effect within 10 days.",
        ),
        "en_modem": ArticleFactory(
            language="en",
            category=support,
            title="Restarting the modem",
            tags=["router"],
            body="Unplug the modem for 30 seconds, plug it back in and wait for the lights to settle.",
        ),
        "en_refund": ArticleFactory(
            language="en",
            category=billing,
            title="Issuing a refund",
            body="Credits above 15 EUR are refunded by bank transfer. Refunds take up to 15 days.",
        ),
    }


def titles(queryset) -> list[str]:
    return [article.title for article in queryset]


# --- who sees what ------------------------------------------------------------------------------


def test_agents_and_supervisors_read_published_articles_only(org):
    published, draft = ArticleFactory(), ArticleFactory(publish=False)

    for user in (org.agent_a, org.agent_b, org.supervisor_a):
        assert list(Article.objects.visible_to(user)) == [published]
        with pytest.raises(Article.DoesNotExist):
            article_detail(user=user, pk=draft.pk)
    assert (
        set(Article.objects.visible_to(org.manager)) == set(Article.objects.visible_to(org.admin)) == {published, draft}
    )
    assert not Article.objects.visible_to(org.nobody).exists()


def test_a_manager_finds_drafts_too(org):
    ArticleFactory(title="Restarting the modem", publish=False)

    assert titles(article_search(user=org.manager, query="modem")) == ["Restarting the modem"]
    assert titles(article_search(user=org.agent_a, query="modem")) == []


# --- listing without a query ------------------------------------------------------------------


def test_without_a_query_the_newest_published_come_first_and_drafts_last(org, manager):
    now = timezone.now()
    old = ArticleFactory(title="old", publish=False)
    new = ArticleFactory(title="new", publish=False)

    article_publish(article=old, by=manager, at=now - timedelta(days=9))
    article_publish(article=new, by=manager, at=now - timedelta(days=1))
    ArticleFactory(title="draft", publish=False)

    assert titles(article_search(user=org.agent_a, query="  ")) == ["new", "old"]
    assert titles(article_search(user=org.manager, query="")) == ["new", "old", "draft"]
    assert titles(article_search(user=org.agent_a, query="", limit=1)) == ["new"]


def test_language_and_category_narrow_the_list(org, shelf):
    assert set(titles(article_search(user=org.agent_a, language="fr"))) == {
        shelf[key].title for key in ("fr_termination", "fr_moving", "fr_refund")
    }
    assert set(titles(article_search(user=org.agent_a, category="Billing"))) == {
        shelf["fr_refund"].title,
        shelf["en_refund"].title,
    }
    assert titles(article_search(user=org.agent_a, category="Billing", language="en")) == [shelf["en_refund"].title]
    assert titles(article_search(user=org.agent_a, category="No such shelf")) == []


def test_only_published_public_articles_are_found_outside_the_desk(org, shelf):
    internal = shelf["en_modem"]
    public = ArticleFactory(language="en", title="Restarting the box", body="Unplug the box.", audience="public")
    draft = ArticleFactory(language="en", title="Restarting the box (new)", audience="public", publish=False)
    assert titles(public_article_search(query="restarting")) == [public.title]
    assert titles(public_article_search(language="fr")) == []
    assert public_article_detail(slug=public.slug) == public
    for hidden in (internal, draft):
        with pytest.raises(Article.DoesNotExist):
            public_article_detail(slug=hidden.slug)
    # The desk sees both audiences, and narrows to one when asked.
    assert {internal.title, public.title} <= set(titles(article_search(user=org.agent_a, query="restarting")))
    assert titles(article_search(user=org.agent_a, audience="public")) == [public.title]
    assert draft.title not in titles(article_search(user=org.manager, audience="internal"))


# --- searching, whatever the database -----------------------------------------------------------


def test_a_french_query_finds_the_french_termination_article_first(org, shelf):
    found = titles(article_search(user=org.agent_a, query="résilier mon contrat"))

    assert found[0] == shelf["fr_termination"].title
    assert shelf["en_modem"].title not in found


def test_accents_and_case_are_optional(org, shelf):
    for query in ("RESILIATION", "resilier", "demenagement", "Déménager"):
        found = titles(article_search(user=org.agent_a, query=query))
        assert found, query
        assert found[0] in (shelf["fr_termination"].title, shelf["fr_moving"].title), query


def test_an_english_query_finds_the_english_article_first(org, shelf):
    assert titles(article_search(user=org.agent_a, query="how do I restart the modem"))[0] == "Restarting the modem"
    assert titles(article_search(user=org.agent_a, query="refunds"))[0] == "Issuing a refund"


def test_tags_are_searched(org, shelf):
    assert titles(article_search(user=org.agent_a, query="router")) == ["Restarting the modem"]


def test_the_language_filter_applies_to_a_search(org, shelf):
    found = titles(article_search(user=org.agent_a, query="contrat contract", language="en"))

    assert found == [shelf["en_termination"].title]


def test_a_query_without_words_or_of_common_words_only_finds_nothing(org, shelf):
    assert titles(article_search(user=org.agent_a, query="?!")) == []
    assert titles(article_search(user=org.agent_a, query="the")) == []


def test_results_are_bounded(org):
    for n in range(MAX_SEARCH_RESULTS + 3):
        ArticleFactory(title=f"Modem {n}")

    assert len(article_search(user=org.agent_a, query="modem")) == MAX_SEARCH_RESULTS
    assert len(article_search(user=org.agent_a, query="modem", limit=5)) == 5


@pytest.mark.parametrize(
    ("term", "message"),
    [("x" * (MAX_SEARCH_LENGTH + 1), "characters"), ("a " * 17, "words"), ("modem\x00", "control")],
)
def test_an_unusable_term_is_refused_naming_search(org, term, message):
    with pytest.raises(ValidationError) as caught:
        article_search(user=org.agent_a, query=term)

    assert message in caught.value.message_dict["search"][0]


def test_a_search_is_one_query_whatever_the_number_of_results(org, shelf, django_assert_num_queries):
    org.agent_a.agent_profile  # noqa: B018 - the role is read once per request, not per row
    with django_assert_num_queries(1):
        rows = list(article_search(user=org.agent_a, query="contrat"))
        assert [row.category.name for row in rows]
    with django_assert_num_queries(1):
        rows = list(article_search(user=org.agent_a))
        assert len({row.category.name for row in rows}) == 3


# --- the SQLite fallback ----------------------------------------------------------------------


def test_the_fallback_ranks_by_the_words_found_in_the_title_first(org, shelf):
    # The SQLite search, called directly so that it is checked on PostgreSQL as well.
    found = titles(_fallback(Article.objects.visible_to(org.agent_a), "contrat demenagement"))

    assert found[0] == shelf["fr_moving"].title  # both words, in the title
    assert found[1] == shelf["fr_termination"].title  # one of them
    assert titles(_fallback(Article.objects.visible_to(org.agent_a), "RÉSILIER")) == [shelf["fr_termination"].title]


# --- PostgreSQL full-text search --------------------------------------------------------------


@pytest.mark.postgres
@on_postgresql
def test_postgresql_stems_a_french_query_in_french_and_ranks_the_french_article_first(org, shelf):
    # « résilier » is not in the termination article's title: « résiliation » is, and both stem to « résili ».
    found = titles(article_search(user=org.agent_a, query="résilier mon contrat"))

    assert found[0] == shelf["fr_termination"].title
    assert shelf["en_termination"].title not in found  # English words are not French stems
    assert titles(article_search(user=org.agent_a, query="rembourser"))[0] == shelf["fr_refund"].title


@pytest.mark.postgres
@on_postgresql
def test_postgresql_stems_an_english_query_in_english(org, shelf):
    found = titles(article_search(user=org.agent_a, query="terminated contracts"))

    assert found[0] == shelf["en_termination"].title
    assert titles(article_search(user=org.agent_a, query="restarted modems"))[0] == "Restarting the modem"


@pytest.mark.postgres
@on_postgresql
def test_postgresql_takes_the_last_word_as_a_prefix_while_the_agent_types(org, shelf):
    assert titles(article_search(user=org.agent_a, query="modem restar")) == ["Restarting the modem"]
    assert titles(article_search(user=org.agent_a, query="déména"))[0] == shelf["fr_moving"].title


@pytest.mark.postgres
@on_postgresql
def test_postgresql_ranks_a_title_match_above_a_body_match(org):
    ArticleFactory(title="Wifi settings", body="After a modem restart the wifi name comes back.")
    ArticleFactory(title="Modem lights", body="What each light means.")

    assert titles(article_search(user=org.agent_a, query="modem")) == ["Modem lights", "Wifi settings"]


@pytest.mark.postgres
@on_postgresql
def test_postgresql_searches_through_the_gin_index(org, shelf):
    # Enough published articles, analyzed, for the planner to plan as on a real knowledge base.
    now = timezone.now()
    Article.objects.bulk_create(
        Article(title=f"Filler {n}", slug=f"filler-{n}", body=f"word{n}", status="published", published_at=now)
        for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE knowledge_article SET search_vector = to_tsvector('english', body) WHERE slug LIKE 'filler-%%'"
        )
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'article_search_vector_gin'")
        (definition,) = cursor.fetchone()
        assert "gin (search_vector)" in definition
        cursor.execute("SELECT gin_clean_pending_list('article_search_vector_gin'::regclass)")
        cursor.execute("ANALYZE knowledge_article")
        cursor.execute("SET LOCAL enable_seqscan = off")

    plan = article_search(user=org.agent_a, query="résilier contrat").explain()

    assert "article_search_vector_gin" in plan, plan
