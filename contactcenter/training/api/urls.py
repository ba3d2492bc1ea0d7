"""``/api/v1/training/…`` (included by ``contactcenter/api_urls.py``)."""

from rest_framework.routers import SimpleRouter

from contactcenter.training.api import views

router = SimpleRouter()
router.register("training", views.TrainingViewSet, basename="training-course")

urlpatterns = router.urls
