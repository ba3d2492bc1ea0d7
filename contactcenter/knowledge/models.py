"""Knowledge base articles and their categories (SPEC §3, issue #7).

An article is written in one language (``settings.LANGUAGES``), edited as a draft and published
for agents; every edit leaves a history row saying who made it and when. Two columns exist only
for search and are kept up to date by :mod:`contactcenter.knowledge.services`, never typed:

- ``search_vector``: on PostgreSQL, the article's weighted ``tsvector`` in its own language's
  text search configuration (French or English stemming), served by a GIN index;
- ``search_text``: title, summary, tags and body in lower case without accents, which the
  SQLite fallback searches word by word.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contactcenter.core import richtext
from contactcenter.knowledge.querysets import ArticleQuerySet

MAX_TAGS = 20
MAX_TAG_LENGTH = 50
LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")


class ArticleAudience(models.TextChoices):
    INTERNAL = "internal", _("internal (agents only)")
    PUBLIC = "public", _("public (chat bot and customer portal)")


class ArticleCategory(models.Model):
    """A shelf of the knowledge base: billing, technical support, contracts…"""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=220,
        unique=True,
        blank=True,
        help_text=_("The article's stable name in links; left empty, it is made from the title."),
    )
    summary = models.CharField(
        _("summary"), max_length=300, blank=True, help_text=_("One or two sentences shown in search results.")
    )
    body = models.TextField(
        _("body"),
        help_text=richtext.HELP_TEXT,
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="fr")
    category = models.ForeignKey(
        ArticleCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("category"),
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    audience = models.CharField(
        _("audience"),
        max_length=10,
        choices=ArticleAudience.choices,
        default=ArticleAudience.INTERNAL,
        help_text=_(
            "Internal articles are read by agents only; public ones also by the chat bot and on the customer portal."
        ),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("updated by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Derived from the fields above by the services (see the module docstring); not history.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)

    history = HistoricalRecords(
        excluded_fields=["search_vector", "search_text"],
        verbose_name=_("historical article"),
        verbose_name_plural=_("article history"),
    )
    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        indexes = [
            # The newest published articles: the desktop's list before anything is typed.
            models.Index(fields=["status", "-published_at"], name="article_status_published_idx"),
            models.Index(fields=["language", "status"], name="article_language_status_idx"),
            models.Index(fields=["audience", "language", "status"], name="article_audience_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status=ArticleStatus.PUBLISHED, published_at__isnull=False))
                | Q(status=ArticleStatus.DRAFT, published_at__isnull=True),
                name="article_published_has_date",
                violation_error_message=_("A published article has a publication date; a draft has none."),
            ),
            models.CheckConstraint(
                condition=Q(language__in=LANGUAGE_CODES),
                name="article_language_known",
                violation_error_message=_("Choose one of the center's languages."),
            ),
            models.CheckConstraint(
                condition=~Q(title=""), name="article_title_not_blank", violation_error_message=_("Give a title.")
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, list] = {}
        self.title = " ".join((self.title or "").split())
        if not self.title:
            errors["title"] = [_("Give the article a title.")]
        if not richtext.markdown_to_text(self.body):
            errors["body"] = [_("An article needs a body.")]
        try:
            self.tags = clean_tags(self.tags)
        except ValidationError as exc:
            errors["tags"] = exc.messages
        if errors:
            raise ValidationError(errors)

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


def clean_tags(value: object) -> list[str]:
    """Tags are a list of short, distinct labels (lower case); blanks are dropped, order is kept."""
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise ValidationError(_("Tags must be a list of words."), code="invalid_tags")
    tags: list[str] = []
    for raw in value:
        tag = " ".join(raw.split()).lower()
        if not tag or tag in tags:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ValidationError(
                _("The tag “%(tag)s…” is longer than %(max)s characters."),
                code="tag_too_long",
                params={"tag": tag[:20], "max": MAX_TAG_LENGTH},
            )
        tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationError(_("An article has %(max)s tags at most."), code="too_many_tags", params={"max": MAX_TAGS})
    return tags
