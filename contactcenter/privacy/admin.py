"""Back-office screen of the retention periods: one row per kind of data, the period editable."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from contactcenter.privacy.models import RetentionPolicy
from contactcenter.privacy.services import ACTIONS


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    """The kinds are fixed (made by a migration): an admin sets or clears their periods only."""

    list_display = ("kind_column", "days", "action", "updated_at")
    list_editable = ("days",)
    list_display_links = None
    fields = ("kind", "days", "action", "updated_at")
    readonly_fields = ("kind", "action", "updated_at")
    ordering = ("kind",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("kind of data"), ordering="kind")
    def kind_column(self, obj: RetentionPolicy) -> str:
        return obj.get_kind_display()

    @admin.display(description=_("once the period is over"))
    def action(self, obj: RetentionPolicy) -> str:
        return str(ACTIONS.get(obj.kind, "—"))
