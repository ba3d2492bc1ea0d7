"""Back-office screens for the knowledge base: managers write articles and publish them.

Every save and every status change goes through :mod:`contactcenter.knowledge.services`, so that
the history says who changed what and when, and the search columns stay up to date. History can
be read, never reverted (``ReadOnlyHistoryAdmin``). Who may edit comes from the role groups
(``contactcenter.agents.roles``): managers and admins; other roles read published articles.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from contactcenter.core.admin_utils import ReadOnlyHistoryAdmin, TagsField, visible
from contactcenter.knowledge.models import Article, ArticleCategory, ArticleStatus
from contactcenter.knowledge.services import article_create, article_publish, article_unpublish, article_update


class ArticleAdminForm(forms.ModelForm):
    tags = TagsField(
        label=_("Tags"),
        required=False,
        help_text=_("Separate tags with commas, e.g. invoice, refund."),
        widget=forms.TextInput(attrs={"class": "vLargeTextField"}),
    )

    class Meta:
        model = Article
        fields = ("title", "slug", "language", "category", "audience", "status", "summary", "tags", "body")
        widgets = {"body": forms.Textarea(attrs={"rows": 24, "class": "vLargeTextField"})}


def _report(modeladmin: admin.ModelAdmin, request: HttpRequest, changed: int, message: str) -> None:
    if changed:
        modeladmin.message_user(request, message, messages.SUCCESS)
    else:
        modeladmin.message_user(request, _("Nothing to change."), messages.INFO)


@admin.action(description=_("Publish the selected articles"), permissions=["change"])
def publish(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    changed = 0
    for article in queryset.filter(status=ArticleStatus.DRAFT):
        try:
            article_publish(article=article, by=request.user)
        except ValidationError as exc:
            modeladmin.message_user(
                request,
                _("%(article)s was not published: %(error)s") % {"article": article, "error": " ".join(exc.messages)},
                messages.ERROR,
            )
            continue
        changed += 1
    message = ngettext("%(count)d article published.", "%(count)d articles published.", changed)
    _report(modeladmin, request, changed, message % {"count": changed})


@admin.action(description=_("Unpublish the selected articles (back to draft)"), permissions=["change"])
def unpublish(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    changed = 0
    for article in queryset.filter(status=ArticleStatus.PUBLISHED):
        article_unpublish(article=article, by=request.user)
        changed += 1
    message = ngettext("%(count)d article unpublished.", "%(count)d articles unpublished.", changed)
    _report(modeladmin, request, changed, message % {"count": changed})


@admin.register(Article)
class ArticleAdmin(ReadOnlyHistoryAdmin):
    form = ArticleAdminForm
    list_display = ("title", "language", "category", "audience", "status", "published_at", "updated_at", "updated_by")
    list_select_related = ("category", "updated_by")
    list_filter = ("status", "audience", "language", "category")
    search_fields = ("title", "summary", "body", "slug")
    search_help_text = _("Words of the title, summary or body.")
    ordering = ("-updated_at", "-id")
    list_per_page = 50
    actions = [publish, unpublish]
    readonly_fields = ("published_at", "created_at", "created_by", "updated_at", "updated_by")
    fieldsets = (
        (
            None,
            {"fields": ("title", "slug", ("language", "category"), ("audience", "status"), "summary", "tags", "body")},
        ),
        (
            _("Record"),
            {
                "classes": ("collapse",),
                "fields": (("published_at",), ("created_at", "created_by"), ("updated_at", "updated_by")),
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request).defer("search_vector", "search_text")
        return visible(queryset, Article.objects.visible_to(request.user))

    def save_model(self, request: HttpRequest, obj: Article, form: forms.ModelForm, change: bool) -> None:
        wanted = form.cleaned_data.get("status", ArticleStatus.DRAFT)
        if change:
            # The form has set the new values on ``obj``; the service saves them with their author
            # (and puts the status back to the stored one: it moves below).
            article = article_update(article=obj, by=request.user)
        else:
            article = article_create(
                title=obj.title,
                body=obj.body,
                language=obj.language,
                summary=obj.summary,
                category=obj.category,
                tags=obj.tags,
                slug=obj.slug,
                audience=obj.audience,
                by=request.user,
            )
            # The admin goes on with ``obj`` (its log entry, the redirect): it is now that article.
            obj.pk, obj.slug, obj._state.adding = article.pk, article.slug, False
        if wanted == ArticleStatus.PUBLISHED and article.status != wanted:
            article = article_publish(article=article, by=request.user)
        elif wanted == ArticleStatus.DRAFT and article.status != wanted:
            article = article_unpublish(article=article, by=request.user)
        obj.status, obj.published_at = article.status, article.published_at


@admin.register(ArticleCategory)
class ArticleCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "article_count", "updated_at")
    search_fields = ("name", "description")
    ordering = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(article_total=Count("articles"))

    @admin.display(description=_("articles"), ordering="article_total")
    def article_count(self, obj: ArticleCategory) -> int:
        return obj.article_total
