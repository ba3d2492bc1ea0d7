"""Routes of ``interactions/``, ``tickets/``, ``tickets/{id}/comments/`` and ``surveys/`` (SPEC §5)."""

from rest_framework.routers import SimpleRouter

from interactions.api import survey_views, views

router = SimpleRouter()
router.register("interactions", views.InteractionViewSet, basename="interaction")
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register(r"tickets/(?P<ticket_pk>[0-9]+)/comments", views.TicketCommentViewSet, basename="ticket-comment")
router.register("surveys", survey_views.SurveyResponseViewSet, basename="survey")

urlpatterns = router.urls
