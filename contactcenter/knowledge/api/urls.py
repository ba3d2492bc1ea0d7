"""``/api/v1/knowledge/…`` (included by ``contactcenter/api_urls.py``)."""

from rest_framework.routers import SimpleRouter

from contactcenter.knowledge.api import views

router = SimpleRouter()
router.register("knowledge", views.ArticleViewSet, basename="knowledge-article")

urlpatterns = router.urls
