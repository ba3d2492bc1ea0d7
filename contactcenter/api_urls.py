"""``/api/v1/``: every app's API routes, wired in one place."""

from django.urls import include, path

from contactcenter.core.api.auth import TokenView

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("", include("contactcenter.live.urls")),
    path("", include("contactcenter.agents.api.urls")),
    path("", include("customers.api.urls")),
    path("", include("interactions.api.urls")),
    path("", include("interactions.api.cti_urls")),
    path("", include("contactcenter.telephony.api.twilio_urls")),
    path("", include("contactcenter.telephony.api.recording_urls")),
    path("", include("kpis.api.urls")),
    path("", include("contactcenter.distribution.api.urls")),
    path("", include("contactcenter.telephony.api.urls")),
    path("", include("contactcenter.mail.api.urls")),
    path("", include("contactcenter.knowledge.api.urls")),
    path("", include("contactcenter.scripts.api.urls")),
    path("", include("contactcenter.training.api.urls")),
    path("", include("contactcenter.quality.api.urls")),
]
