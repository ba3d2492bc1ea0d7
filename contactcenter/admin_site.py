"""The Switchboard admin site: Django's admin with the index grouped for back-office users."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kpis.admin_views import report_urls, reports_app

# The order in which a back-office person looks for things: people and their contacts first,
# then what happened with them, then the organisation that serves them.
APP_ORDER = ["customers", "interactions", "reports", "agents", "scripts", "knowledge", "training", "auth"]


class SwitchboardAdminSite(admin.AdminSite):
    site_header = _("Switchboard administration")
    site_title = _("Switchboard")
    index_title = _("Contact center back office")

    def get_urls(self) -> list:
        return report_urls(self) + super().get_urls()

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        apps = super().get_app_list(request, app_label)
        if app_label is None:
            apps += reports_app(request)
        rank = {label: i for i, label in enumerate(APP_ORDER)}
        return sorted(apps, key=lambda app: (rank.get(app["app_label"], len(APP_ORDER)), app["name"]))
