"""Routes of ``routing/`` and ``callbacks/`` (``docs/routing.md``)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from contactcenter.distribution.api import callbacks, items, views

router = SimpleRouter()
router.register("callbacks", callbacks.CallbackViewSet, basename="callback")

urlpatterns = [
    path("routing/next-agent/", views.NextAgentView.as_view(), name="routing-next-agent"),
    path("routing/offers/<int:pk>/accept/", views.OfferAcceptView.as_view(), name="routing-offer-accept"),
    path("routing/offers/<int:pk>/decline/", views.OfferDeclineView.as_view(), name="routing-offer-decline"),
    # Queue state and moving work.
    path("routing/items/", items.QueueStateItemListView.as_view(), name="routing-item-list"),
    path("routing/items/<int:pk>/", items.QueueStateItemDetailView.as_view(), name="routing-item-detail"),
    path("routing/items/<int:pk>/move/", items.QueueStateItemMoveView.as_view(), name="routing-item-move"),
    *router.urls,
]
