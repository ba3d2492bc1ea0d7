"""The report pages of the admin (``/admin/reports/``), added by
:meth:`contactcenter.admin_site.SwitchboardAdminSite.get_urls` through :func:`report_urls`.

Every view is wrapped in ``AdminSite.admin_view`` (signed-in staff only: supervisors, managers
and admins are staff, see ``contactcenter.agents.roles.STAFF_ROLES``) and then checks the
report's own :meth:`~kpis.reports.Report.is_available_to`: a staff user without the role gets a
403 page. Views are thin: the figures come from :mod:`kpis.reports`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _

from kpis.definitions import GROUPS, KpiFilters, scope_for
from kpis.drilldown import FIGURES, drilldown_interactions
from kpis.exports import csv_response, xlsx_response
from kpis.quality_figures import EVALUATION_FIGURES, drilldown_evaluations
from kpis.reports import PerformanceForm, Report, get_report, reports_for
from kpis.routing_figures import CALLBACK_COUNTS, OFFER_FIGURES, drilldown_callbacks, drilldown_offers

DRILLDOWN_PAGE_SIZE = 100


def _report(request: HttpRequest, name: str) -> type[Report]:
    report = get_report(name)
    if report is None:
        raise Http404
    if not report.is_available_to(request.user):
        raise PermissionDenied
    return report


def report_index(site: AdminSite, request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(
        request,
        "admin/kpis/reports/index.html",
        {**site.each_context(request), "title": _("Reports"), "reports": reports_for(request.user)},
    )


def report_page(site: AdminSite, request: HttpRequest, name: str) -> HttpResponse:
    """The report's page; ``?export=csv`` or ``?export=xlsx`` downloads its table instead."""
    report = _report(request, name)(request)
    export = request.GET.get("export")
    if export == "csv":
        return csv_response(report.filename(), report.headers(), report.rows())
    if export == "xlsx":
        return xlsx_response(report.filename(), report.name, report.headers(), report.rows())
    query = request.GET.copy()
    query.pop("export", None)
    context = {
        **site.each_context(request),
        "title": report.title,
        "report": report,
        "query": query.urlencode(),
        **report.context(),
    }
    return TemplateResponse(request, report.template_name, context)


def _drilldown_query(request: HttpRequest, name: str, figures: dict) -> tuple[dict, KpiFilters, str, str | None]:
    """The performance report's parameters of a drill-down page (the report's own, plus ``figure``,
    ``group_by`` and ``key``): its form's data, the filters, the figure and the grouping; 404 for
    anything that is not one."""
    if name != "performance":
        raise Http404
    _report(request, name)
    form = PerformanceForm(request.GET, user=request.user)
    figure, group_by = request.GET.get("figure", ""), request.GET.get("group_by") or None
    if not form.is_valid() or figure not in figures or (group_by is not None and group_by not in GROUPS):
        raise Http404
    data = form.cleaned_data
    filters = KpiFilters(
        agent=data.get("agent") or None,
        team=data.get("team") or None,
        queue=data.get("queue") or None,
        channel=data.get("channel") or None,
    )
    return data, filters, figure, group_by


def _drilldown_response(
    site: AdminSite, request: HttpRequest, name: str, template: str, title: str, label: Any, rows: Any, data: dict
) -> TemplateResponse:
    page = Paginator(rows, DRILLDOWN_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    back = request.GET.copy()
    for name_ in ("figure", "key", "page"):
        back.pop(name_, None)
    return TemplateResponse(
        request,
        template,
        {
            **site.each_context(request),
            "title": title,
            "figure_label": label,
            "report_name": name,
            "group_by": request.GET.get("group_by") or None,
            "key": request.GET.get("key"),
            "start": data["start"],
            "end": data["end"],
            "page_obj": page,
            "query": query.urlencode(),
            "back": back.urlencode(),
        },
    )


def _drilldown(
    site: AdminSite,
    request: HttpRequest,
    name: str,
    *,
    figures: dict,
    rows: Callable[..., Any],
    template: str,
    title: str,
) -> TemplateResponse:
    """The rows behind one figure of the performance report: ``rows`` (a drill-down selector)
    called with the report's parameters; ``title`` formats the figure's label (``%(figure)s``)."""
    data, filters, figure, group_by = _drilldown_query(request, name, figures)
    try:
        found = rows(
            scope=scope_for(request.user),
            start=data["start"],
            end=data["end"] + timedelta(days=1),
            figure=figure,
            group_by=group_by,
            key=request.GET.get("key"),
            filters=filters,
        )
    except ValueError as error:
        raise Http404 from error
    label = figures[figure][0]
    return _drilldown_response(site, request, name, template, title % {"figure": label}, label, found, data)


def drilldown_page(site: AdminSite, request: HttpRequest, name: str) -> TemplateResponse:
    """The interactions behind one figure of the performance report (same parameters as the
    report, plus ``figure``, ``group_by`` and ``key``; no ``key`` with a ``group_by`` is the row of
    interactions without one)."""
    return _drilldown(
        site,
        request,
        name,
        figures=FIGURES,
        rows=drilldown_interactions,
        template="admin/kpis/reports/drilldown.html",
        title=_("%(figure)s: the interactions"),
    )


def offers_drilldown_page(site: AdminSite, request: HttpRequest, name: str) -> TemplateResponse:
    """The offers behind one routing figure of the performance report (parameters as
    :func:`drilldown_page`, ``figure`` one of :data:`kpis.routing_figures.OFFER_FIGURES`)."""
    return _drilldown(
        site,
        request,
        name,
        figures=OFFER_FIGURES,
        rows=drilldown_offers,
        template="admin/kpis/reports/drilldown_offers.html",
        title=_("%(figure)s: the offers"),
    )


def callbacks_drilldown_page(site: AdminSite, request: HttpRequest, name: str) -> TemplateResponse:
    """The callbacks behind one callback figure of the performance report (parameters as
    :func:`drilldown_page`, ``figure`` one of :data:`kpis.routing_figures.CALLBACK_COUNTS`)."""
    return _drilldown(
        site,
        request,
        name,
        figures=CALLBACK_COUNTS,
        rows=drilldown_callbacks,
        template="admin/kpis/reports/drilldown_callbacks.html",
        title=_("%(figure)s: the callbacks"),
    )


def evaluations_drilldown_page(site: AdminSite, request: HttpRequest, name: str) -> TemplateResponse:
    """The evaluations behind one quality figure of the performance report (parameters as
    :func:`drilldown_page`, ``figure`` one of :data:`kpis.quality_figures.EVALUATION_FIGURES`)."""
    return _drilldown(
        site,
        request,
        name,
        figures=EVALUATION_FIGURES,
        rows=drilldown_evaluations,
        template="admin/kpis/reports/drilldown_evaluations.html",
        title=_("%(figure)s: the evaluations"),
    )


def report_urls(site: AdminSite) -> list[URLPattern]:
    """The URL patterns of the reports, each through ``site.admin_view``."""

    def wrap(view: Callable) -> Callable:
        return site.admin_view(lambda request, *args, **kwargs: view(site, request, *args, **kwargs))

    return [
        path("reports/", wrap(report_index), name="kpis-reports"),
        path("reports/<slug:name>/", wrap(report_page), name="kpis-report"),
        path("reports/<slug:name>/interactions/", wrap(drilldown_page), name="kpis-report-drilldown"),
        path("reports/<slug:name>/offers/", wrap(offers_drilldown_page), name="kpis-report-offers"),
        path("reports/<slug:name>/callbacks/", wrap(callbacks_drilldown_page), name="kpis-report-callbacks"),
        path("reports/<slug:name>/evaluations/", wrap(evaluations_drilldown_page), name="kpis-report-evaluations"),
    ]


def reports_app(request: HttpRequest) -> list[dict]:
    """The "Reports" entry of the admin's index and side bar: one line per report the user may
    open (none: no entry)."""
    reports = reports_for(request.user)
    if not reports:
        return []
    models = [
        {
            "name": report.title,
            "object_name": report.name,
            "admin_url": reverse("admin:kpis-report", args=[report.name]),
            "add_url": None,
            "view_only": True,
            "perms": {"view": True},
        }
        for report in reports
    ]
    return [
        {
            "name": _("Reports"),
            "app_label": "reports",
            "app_url": reverse("admin:kpis-reports"),
            "has_module_perms": True,
            "models": models,
        }
    ]
