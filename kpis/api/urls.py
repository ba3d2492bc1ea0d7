"""Routes of ``surveys/`` (SPEC §5)."""

from rest_framework.routers import SimpleRouter

from kpis.api import views

router = SimpleRouter()
router.register("surveys", views.SurveyResponseViewSet, basename="survey")

urlpatterns = router.urls
