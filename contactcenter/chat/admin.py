"""Chat widgets (admins; the embed line shown on each) and the conversations (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from contactcenter.chat.models import BotAnswer, ChatConversation, ChatMessage, ChatWidget
from contactcenter.core.admin_utils import LargeTablePaginator


def embed_line(widget: ChatWidget, *, base: str = "") -> str:
    """The one line the company's site adds to its pages to show ``widget``."""
    return f'<script src="{base}{reverse("chat:widget_js")}" data-key="{widget.key}" async></script>'


@admin.register(ChatWidget)
class ChatWidgetAdmin(admin.ModelAdmin):
    list_display = ("name", "queue", "languages", "is_active", "updated_at")
    list_filter = ("is_active", "queue")
    list_select_related = ("queue",)
    search_fields = ("name",)
    readonly_fields = ("key", "embed")
    fieldsets = (
        (None, {"fields": ("name", "queue", "is_active", "languages", "allowed_origins")}),
        (_("Look and words"), {"fields": ("colour", "greeting")}),
        (_("Opening hours"), {"fields": ("opening_hours",)}),
        (_("Embedding"), {"fields": ("key", "embed")}),
    )

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        self.request_base = f"{request.scheme}://{request.get_host()}"
        return super().get_form(request, obj, change, **kwargs)

    @admin.display(description=_("embed line"))
    def embed(self, widget: ChatWidget) -> SafeString | str:
        if not widget.pk:
            return _("Shown once the widget is saved.")
        line = embed_line(widget, base=getattr(self, "request_base", ""))
        return format_html(
            '<code>{}</code><div class="help">{}</div>',
            line,
            _("Add this line to the pages of your site (before </body>). See docs/chat.md."),
        )


class ChatMessageInline(admin.TabularInline):
    model = ChatMessage
    extra = 0
    can_delete = False
    fields = ("created_at", "author", "agent", "text", "article")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("agent", "article")


class BotAnswerInline(admin.TabularInline):
    model = BotAnswer
    extra = 0
    can_delete = False
    fields = ("created_at", "question", "article", "score", "helped")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("article")


@admin.register(ChatConversation)
class ChatConversationAdmin(admin.ModelAdmin):
    """What was said in each chat: read-only (it is what happened)."""

    list_display = ("started_at", "widget", "state", "language", "visitor_name", "customer", "agent", "csat")
    list_filter = ("state", "widget", "language")
    list_select_related = ("widget", "customer", "agent")
    search_fields = ("visitor_name", "visitor_email", "messages__text")
    show_full_result_count = False
    paginator = LargeTablePaginator
    inlines = (ChatMessageInline, BotAnswerInline)
    fields = (
        "widget",
        "state",
        "language",
        "visitor_name",
        "visitor_email",
        "customer",
        "agent",
        "interaction",
        "work_item",
        "ticket",
        "started_at",
        "handed_over_at",
        "ended_at",
        "ended_by",
        "unhelpful_answers",
        "csat",
    )
    readonly_fields = fields

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        results, _duplicates = super().get_search_results(request, queryset, search_term)
        return results.distinct(), False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BotAnswer)
class BotAnswerAdmin(admin.ModelAdmin):
    """What the bot answered, and whether it helped (read-only): the articles to improve."""

    list_display = ("created_at", "question", "article", "score", "helped")
    list_filter = ("helped",)
    list_select_related = ("article",)
    search_fields = ("question",)
    show_full_result_count = False
    paginator = LargeTablePaginator
    fields = ("conversation", "question", "article", "score", "helped", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
