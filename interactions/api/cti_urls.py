"""CTI intake route (SPEC §7), included under ``/api/v1/`` by ``contactcenter/api_urls.py``."""

from django.urls import path

from interactions.api.cti_views import CtiEventView

urlpatterns = [
    path("cti/events/", CtiEventView.as_view(), name="cti-events"),
]
