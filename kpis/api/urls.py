"""Routes of ``surveys/``, ``kpis/``, ``staffing/erlang/`` and ``staffing/forecast/`` (SPEC §5)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from kpis.api import views
from kpis.api.staffing import ErlangView, ForecastView

router = SimpleRouter()
router.register("surveys", views.SurveyResponseViewSet, basename="survey")

urlpatterns = [
    path("kpis/", views.KpiView.as_view(), name="kpis"),
    path("staffing/erlang/", ErlangView.as_view(), name="staffing-erlang"),
    path("staffing/forecast/", ForecastView.as_view(), name="staffing-forecast"),
    *router.urls,
]
