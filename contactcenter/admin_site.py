"""The Switchboard admin site: Django's admin with the index grouped for back-office users."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from contactcenter.core.formats import EMPTY
from contactcenter.desk.login import LoginView
from kpis.admin_views import report_urls, reports_app

# The order in which a back-office person looks for things: people and their contacts first,
# then what happened with them, then the organisation that serves them.
APP_ORDER = ["customers", "interactions", "reports", "agents", "scripts", "knowledge", "training", "auth"]


class SwitchboardAdminSite(admin.AdminSite):
    site_header = _("Switchboard administration")
    site_title = _("Switchboard")
    index_title = _("Contact center back office")

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        # An empty value reads as a dash everywhere in the back office (lists, read-only fields,
        # filters), as on the desk: never "None", never Django's hyphen.
        self.empty_value_display = EMPTY

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """The admin's own login page, through the desk's login view: the same limits per username
        and address, and the same second step (one-time code, or setting one up)."""
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        context = {
            **self.each_context(request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        context.update(extra_context or {})
        request.current_app = self.name
        view = LoginView.as_view(
            extra_context=context,
            authentication_form=self.login_form or AdminAuthenticationForm,
            template_name=self.login_template or "admin/login.html",
        )
        return view(request)

    def get_urls(self) -> list:
        return report_urls(self) + super().get_urls()

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        apps = super().get_app_list(request, app_label)
        if app_label is None:
            apps += reports_app(request)
        rank = {label: i for i, label in enumerate(APP_ORDER)}
        return sorted(apps, key=lambda app: (rank.get(app["app_label"], len(APP_ORDER)), app["name"]))
