"""Routes of ``kpis/``, ``staffing/erlang/`` and ``staffing/forecast/`` (SPEC §5)."""

from django.urls import path

from kpis.api import views
from kpis.api.staffing import ErlangView, ForecastView

urlpatterns = [
    path("kpis/", views.KpiView.as_view(), name="kpis"),
    path("staffing/erlang/", ErlangView.as_view(), name="staffing-erlang"),
    path("staffing/forecast/", ForecastView.as_view(), name="staffing-forecast"),
]
