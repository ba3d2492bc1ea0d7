"""Routes of ``interactions/``, ``tickets/`` and ``tickets/{id}/comments/`` (SPEC §5)."""

from rest_framework.routers import SimpleRouter

from interactions.api import views

router = SimpleRouter()
router.register("interactions", views.InteractionViewSet, basename="interaction")
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register(r"tickets/(?P<ticket_pk>[0-9]+)/comments", views.TicketCommentViewSet, basename="ticket-comment")

urlpatterns = router.urls
