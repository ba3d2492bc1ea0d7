"""Knowledge API shapes (SPEC §5 ``knowledge/``): articles by id, categories by name."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contactcenter.core.api.serializers import ModelSerializer
from contactcenter.core.richtext import render_markdown
from contactcenter.knowledge.models import Article, ArticleAudience
from contactcenter.knowledge.selectors import MAX_SEARCH_LENGTH

LIST_FIELDS = [
    "id",
    "title",
    "slug",
    "summary",
    "language",
    "category",
    "tags",
    "audience",
    "status",
    "published_at",
    "updated_at",
]


class ArticleListSerializer(ModelSerializer):
    """An article as a search result: everything but its body."""

    category = serializers.SlugRelatedField(
        slug_field="name", read_only=True, allow_null=True, help_text=_("The category's name, or null.")
    )
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Article
        fields = LIST_FIELDS
        read_only_fields = LIST_FIELDS


class ArticleSerializer(ArticleListSerializer):
    """An article with its body: as written (Markdown) and as shown (sanitized HTML)."""

    body = serializers.CharField(read_only=True, help_text=_("The body as written: Markdown, HTML allowed."))
    body_html = serializers.SerializerMethodField(
        help_text=_("The body rendered from Markdown and sanitized: HTML safe to show as it is.")
    )

    class Meta:
        model = Article
        fields = [*LIST_FIELDS, "body", "body_html", "created_at"]
        read_only_fields = fields

    def get_body_html(self, obj: Article) -> str:
        return render_markdown(obj.body)


class ArticleListParamsSerializer(serializers.Serializer):
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        default="",
        help_text=_("Words to look for; blank: the newest published articles."),
    )
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES, required=False, help_text=_("Only articles in this language.")
    )
    category = serializers.CharField(
        required=False, max_length=100, help_text=_("Only articles of the category of this name.")
    )
    audience = serializers.ChoiceField(
        choices=ArticleAudience.choices,
        required=False,
        help_text=_("Only internal articles (agents only) or public ones (chat bot and customer portal)."),
    )

    def validate_search(self, value: str) -> str:
        # The selector says what else is wrong with a term; this only bounds what it is given.
        if len(value) > MAX_SEARCH_LENGTH * 2:
            raise serializers.ValidationError(
                _("A search term has at most %(max)s characters.") % {"max": MAX_SEARCH_LENGTH}
            )
        return value
