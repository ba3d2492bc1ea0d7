"""``/api/v1/quality/…`` (included by ``contactcenter/api_urls.py``)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from contactcenter.quality.api import views

router = SimpleRouter()
router.register("quality/scorecards", views.ScorecardViewSet, basename="quality-scorecard")
router.register("quality/evaluations", views.EvaluationViewSet, basename="quality-evaluation")
router.register("quality/disputes", views.DisputeViewSet, basename="quality-dispute")
router.register("quality/calibrations", views.CalibrationViewSet, basename="quality-calibration")
router.register("quality/evaluator-teams", views.EvaluatorTeamViewSet, basename="quality-evaluator-team")

versions = views.ScorecardVersionViewSet.as_view({"get": "list", "post": "create"})
version = views.ScorecardVersionViewSet.as_view({"get": "retrieve", "patch": "partial_update"})
publish = views.ScorecardVersionViewSet.as_view({"post": "publish"})

urlpatterns = [
    *router.urls,
    path("quality/scorecards/<int:scorecard_pk>/versions/", versions, name="quality-version-list"),
    path("quality/scorecards/<int:scorecard_pk>/versions/<int:number>/", version, name="quality-version-detail"),
    path(
        "quality/scorecards/<int:scorecard_pk>/versions/<int:number>/publish/",
        publish,
        name="quality-version-publish",
    ),
]
