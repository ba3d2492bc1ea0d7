"""Routes of ``routing/`` (``docs/routing.md``)."""

from django.urls import path

from contactcenter.distribution.api import views

urlpatterns = [
    path("routing/next-agent/", views.NextAgentView.as_view(), name="routing-next-agent"),
    path("routing/offers/<int:pk>/accept/", views.OfferAcceptView.as_view(), name="routing-offer-accept"),
    path("routing/offers/<int:pk>/decline/", views.OfferDeclineView.as_view(), name="routing-offer-decline"),
]
