"""Every write on the knowledge base (STYLE.md principle 1).

Each service is atomic, validates the article with ``full_clean()`` before saving it, records
who made the change (``_history_user`` and ``updated_by``: the history row says who and when) and
refreshes the article's search columns, which nothing else writes. Search reads the body as its
reader sees it (:func:`contactcenter.core.richtext.markdown_to_text`): no markup, no link address.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from contactcenter.core.db import full_clean
from contactcenter.core.richtext import markdown_to_text
from contactcenter.core.unset import UNSET, Unset, given
from contactcenter.knowledge import search
from contactcenter.knowledge.models import Article, ArticleAudience, ArticleCategory, ArticleStatus


def _saved_fields() -> list[str]:
    """The columns an edit writes: all but the id and ``search_vector``, which only :func:`_index`
    writes (the instance never holds its value: a save would put back a stale one)."""
    return [f.name for f in Article._meta.concrete_fields if not f.primary_key and f.name != "search_vector"]


def _unique_slug(article: Article) -> str:
    """The article's slug, or one made from its title, with ``-2``, ``-3``… when taken."""
    max_length = Article._meta.get_field("slug").max_length
    base = slugify(article.slug or article.title)[: max_length - 6].strip("-") or "article"
    taken = set(Article.objects.filter(slug__startswith=base).exclude(pk=article.pk).values_list("slug", flat=True))
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def _prepare(article: Article, by: AbstractBaseUser | None) -> None:
    """Validate ``article`` and stamp its author and its fallback search text (in place)."""
    if not article.slug:
        article.slug = _unique_slug(article)
    article.updated_by = by
    article._history_user = by
    full_clean(article)
    article.search_text = search.search_text(
        title=article.title, summary=article.summary, tags=article.tags, body=markdown_to_text(article.body)
    )


def _index(article: Article) -> None:
    """Store the PostgreSQL ``search_vector`` of the article as just saved.

    A plain UPDATE, not a save: the vector is derived from fields whose change is already in
    history, and it is excluded from history, so this is no edit of its own.
    """
    if connection.vendor != "postgresql":
        return
    vector = search.search_vector(
        language=article.language,
        title=article.title,
        summary=article.summary,
        tags=article.tags,
        body=markdown_to_text(article.body),
    )
    Article.objects.filter(pk=article.pk).update(search_vector=vector)


@transaction.atomic
def article_category_get_or_create(*, name: str, description: str = "") -> tuple[ArticleCategory, bool]:
    """The category named ``name`` (spaces collapsed), created with ``description`` when missing,
    and whether it was created."""
    name = " ".join(name.split())
    category = ArticleCategory.objects.filter(name=name).first()
    if category is not None:
        return category, False
    category = ArticleCategory(name=name, description=description)
    full_clean(category)
    category.save()
    return category, True


@transaction.atomic
def article_create(
    *,
    title: str,
    body: str,
    language: str,
    by: AbstractBaseUser | None,
    summary: str = "",
    category: ArticleCategory | None = None,
    tags: Iterable[str] = (),
    slug: str = "",
    audience: str = ArticleAudience.INTERNAL,
    publish: bool = False,
    at: datetime | None = None,
) -> Article:
    """Write a new article, a draft unless ``publish`` (then published ``at``, default now).

    The slug is made from the title when not given (``-2``, ``-3``… when taken). One history row
    (two when published: created, then published), both by ``by``. ``ValidationError`` naming
    each bad field; nothing is written then.
    """
    article = Article(
        title=title,
        body=body,
        language=language,
        summary=summary,
        category=category,
        tags=list(tags),
        slug=slug,
        audience=audience,
        created_by=by,
    )
    _prepare(article, by)
    article.save()
    _index(article)
    if publish:
        article = article_publish(article=article, by=by, at=at)
    return article


@transaction.atomic
def article_update(
    *,
    article: Article,
    by: AbstractBaseUser | None,
    title: str | Unset = UNSET,
    slug: str | Unset = UNSET,
    summary: str | Unset = UNSET,
    body: str | Unset = UNSET,
    language: str | Unset = UNSET,
    category: ArticleCategory | Unset | None = UNSET,
    tags: Iterable[str] | Unset = UNSET,
    audience: str | Unset = UNSET,
    status: str | Unset = UNSET,
) -> Article:
    """Change the article's fields given (``UNSET``: unchanged; none given saves ``article`` as it
    is, as the admin's form has set it). One history row by ``by``.

    The status is not changed by an edit (:func:`article_publish`, :func:`article_unpublish`):
    a ``status`` given is refused. ``ValidationError`` naming each bad field.
    """
    if status is not UNSET:
        raise ValidationError({"status": [_("This field is not changed by an edit.")]})
    changes = given(
        {
            "title": title,
            "slug": slug,
            "summary": summary,
            "body": body,
            "language": language,
            "category": category,
            "tags": tags if tags is UNSET else list(tags),
            "audience": audience,
        }
    )
    _lock(article)
    for name, value in changes.items():
        setattr(article, name, value)
    _prepare(article, by)
    article.save(update_fields=_saved_fields())
    _index(article)
    return article


@transaction.atomic
def article_publish(*, article: Article, by: AbstractBaseUser | None, at: datetime | None = None) -> Article:
    """Make the article readable by agents, published ``at`` (default now). An article already
    published is left as it is (no history row). Otherwise one history row by ``by``."""
    _lock(article)
    if article.status == ArticleStatus.PUBLISHED:
        return article
    article.status = ArticleStatus.PUBLISHED
    article.published_at = at or timezone.now()
    _prepare(article, by)
    article.save(update_fields=_saved_fields())
    return article


@transaction.atomic
def article_unpublish(*, article: Article, by: AbstractBaseUser | None) -> Article:
    """Take the article back to draft: agents no longer see it. A draft is left as it is (no
    history row). Otherwise one history row by ``by``; its past publication stays in history."""
    _lock(article)
    if article.status == ArticleStatus.DRAFT:
        return article
    article.status = ArticleStatus.DRAFT
    article.published_at = None
    _prepare(article, by)
    article.save(update_fields=_saved_fields())
    return article


def _lock(article: Article) -> None:
    """Two managers changing one article wait for each other; the status is read again under the lock."""
    current = Article.objects.select_for_update().filter(pk=article.pk).values("status", "published_at").first()
    if current is None:
        raise Article.DoesNotExist(_("This article no longer exists."))
    article.status, article.published_at = current["status"], current["published_at"]
