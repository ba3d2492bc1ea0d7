"""Back-office screens for survey responses."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from contactcenter.core.admin_utils import visible
from interactions.models import Interaction
from kpis.models import SurveyResponse


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ("kind", "score", "interaction", "agent", "queue", "customer", "created_at")
    list_select_related = ("interaction", "interaction__agent", "interaction__queue", "interaction__customer")
    list_filter = ("kind", "score", ("created_at", admin.DateFieldListFilter), "interaction__queue")
    search_fields = ("comment", "interaction__external_id", "interaction__customer__last_name")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    list_per_page = 50
    show_full_result_count = False
    autocomplete_fields = ("interaction",)
    fields = ("interaction", "kind", "score", "comment", "created_at")
    readonly_fields = ("created_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # A survey is seen by whoever sees its interaction (the API's access policy).
        return visible(super().get_queryset(request), Interaction.objects.visible_to(request.user), "interaction")

    @admin.display(description=_("agent"), ordering="interaction__agent__username")
    def agent(self, obj: SurveyResponse) -> object:
        return obj.interaction.agent or "—"

    @admin.display(description=_("queue"), ordering="interaction__queue__name")
    def queue(self, obj: SurveyResponse) -> object:
        return obj.interaction.queue or "—"

    @admin.display(description=_("customer"))
    def customer(self, obj: SurveyResponse) -> object:
        return obj.interaction.customer or "—"
