"""Every read on the knowledge base, with its joins (STYLE.md: selectors own reads).

Who sees what (SPEC §5, Access): every role reads published articles; managers and admins, who
write them, also read drafts. A draft is absent for everyone else (404 on the API and the desk).
Each selector costs one query, category joined, whatever the number of rows.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.search import SearchRank
from django.db import connection
from django.db.models import Case, ExpressionWrapper, F, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Length, StrIndex

from contactcenter.core import access
from contactcenter.core.search import clean_search_term as shared_clean_search_term
from contactcenter.knowledge import search
from contactcenter.knowledge.models import Article, ArticleAudience, ArticleStatus

#: A search term longer than this is refused (400 naming ``search``): nobody types it.
MAX_SEARCH_LENGTH = 200
#: Words of a search term beyond this many are refused too: each one is a condition.
MAX_SEARCH_WORDS = 16
#: A search answers the best this many articles: past them, ranking is noise.
MAX_SEARCH_RESULTS = 100
#: Columns a list never shows: the body (only the article's own page has it) and the search data.
LIST_DEFERRED = ("body", "search_vector", "search_text")


def clean_search_term(raw: str) -> str:
    """The term with its whitespace collapsed; ``ValidationError`` naming ``search`` when the
    search refuses it (:func:`contactcenter.core.search.clean_search_term`)."""
    return shared_clean_search_term(raw, max_length=MAX_SEARCH_LENGTH, max_words=MAX_SEARCH_WORDS)


def article_search(
    *,
    user: AbstractBaseUser,
    query: str = "",
    language: str | None = None,
    category: str | None = None,
    audience: str | None = None,
    limit: int | None = None,
) -> QuerySet[Article]:
    """The articles ``user`` may read that match ``query``, best first, category joined, body deferred.

    - A blank ``query``: every readable article, the most recently published first (drafts, for
      managers, after them).
    - Otherwise the articles matching any word of it, best first, at most
      :data:`MAX_SEARCH_RESULTS`: on PostgreSQL by full-text search in each article's own language
      (stemmed, accents optional, ``ts_rank``); on SQLite by the fallback of
      :mod:`contactcenter.knowledge.search`.
    - ``language`` (a code of ``settings.LANGUAGES``), ``category`` (a category name) and
      ``audience`` (``internal`` or ``public``) narrow it.
    - ``limit`` caps the rows further. ``ValidationError`` naming ``search`` for an unusable term.
    """
    queryset = Article.objects.visible_to(user)
    if audience:
        queryset = queryset.filter(audience=audience)
    return _search(queryset, query=query, language=language, category=category, limit=limit)


def public_article_search(
    *,
    query: str = "",
    language: str | None = None,
    category: str | None = None,
    limit: int | None = None,
) -> QuerySet[Article]:
    """The published **public** articles matching ``query``, best first, as :func:`article_search`
    ranks them: what the chat bot and the customer portal may show to anyone. Internal articles
    and drafts are never among them."""
    queryset = Article.objects.filter(status=ArticleStatus.PUBLISHED, audience=ArticleAudience.PUBLIC)
    return _search(queryset, query=query, language=language, category=category, limit=limit)


def public_article_detail(*, slug: str) -> Article:
    """The published public article of this slug; ``Article.DoesNotExist`` for any other."""
    return Article.objects.select_related("category").get(
        slug=slug, status=ArticleStatus.PUBLISHED, audience=ArticleAudience.PUBLIC
    )


def _search(
    queryset: QuerySet[Article], *, query: str, language: str | None, category: str | None, limit: int | None
) -> QuerySet[Article]:
    term = clean_search_term(query)
    queryset = queryset.select_related("category").defer(*LIST_DEFERRED)
    if language:
        queryset = queryset.filter(language=language)
    if category:
        queryset = queryset.filter(category__name=category)
    newest = (F("published_at").desc(nulls_last=True), "-updated_at", "-pk")
    if not term:
        queryset = queryset.order_by(*newest)
    elif connection.vendor == "postgresql":
        queryset = _full_text(queryset, term, language)[:MAX_SEARCH_RESULTS]
    else:
        queryset = _fallback(queryset, term)[:MAX_SEARCH_RESULTS]
    return queryset[:limit] if limit is not None else queryset


def _full_text(queryset: QuerySet[Article], term: str, language: str | None) -> QuerySet[Article]:
    """PostgreSQL: each article matched and ranked in its own language's configuration; the
    ``search_vector @@ query`` conditions are served by the GIN index ``article_search_vector_gin``."""
    codes = [language] if language else [code for code, _name in settings.LANGUAGES]
    queries = {code: search.search_query(term, language=code) for code in codes}
    queries = {code: query for code, query in queries.items() if query is not None}
    if not queries:
        return queryset.none()
    condition = reduce(or_, (Q(language=code, search_vector=query) for code, query in queries.items()))
    rank = Case(
        *(When(language=code, then=SearchRank(F("search_vector"), query)) for code, query in queries.items()),
        default=Value(0.0),
        output_field=FloatField(),
    )
    return (
        queryset.filter(condition).annotate(rank=rank).order_by("-rank", F("published_at").desc(nulls_last=True), "-pk")
    )


def _fallback(queryset: QuerySet[Article], term: str) -> QuerySet[Article]:
    """SQLite: articles whose folded text holds the rough stem of any word of the term, ranked by
    the words found, those found in the title counting three times.

    ``search_text`` starts with the folded title: a stem first found within the title's length is
    in the title (folding may lengthen a title by a ligature or two: a bonus slightly off, no more).
    """
    stems = search.fallback_stems(term)
    if not stems:
        return queryset.none()
    positions = {f"position_{n}": StrIndex("search_text", Value(stem)) for n, stem in enumerate(stems)}
    score = sum(
        (
            Case(
                When(Q(**{f"{name}__gte": 1, f"{name}__lte": Length("title")}), then=Value(3)),
                When(**{f"{name}__gte": 1}, then=Value(1)),
                default=Value(0),
            )
            for name in positions
        ),
        start=Value(0),
    )
    return (
        queryset.alias(**positions)
        .annotate(rank=ExpressionWrapper(score, output_field=IntegerField()))
        .filter(rank__gt=0)
        .order_by("-rank", F("published_at").desc(nulls_last=True), "-pk")
    )


def article_detail(*, user: AbstractBaseUser, pk: int) -> Article:
    """The article ``pk`` with its category, if ``user`` may read it; ``Article.DoesNotExist`` otherwise."""
    return Article.objects.visible_to(user).select_related("category").defer("search_vector", "search_text").get(pk=pk)


def is_draft_visible(user: AbstractBaseUser) -> bool:
    """Whether ``user`` sees drafts (and so needs them marked as such)."""
    return access.can(user, "knowledge.write")
