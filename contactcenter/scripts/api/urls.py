"""``/api/v1/scripts/…`` (included by ``contactcenter/api_urls.py``)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from contactcenter.scripts.api import views

router = SimpleRouter()
router.register("scripts", views.ScriptViewSet, basename="script")

versions = views.ScriptVersionViewSet.as_view({"get": "list", "post": "create"})
version = views.ScriptVersionViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    *router.urls,
    path("scripts/<int:script_pk>/versions/", versions, name="script-version-list"),
    path("scripts/<int:script_pk>/versions/<int:number>/", version, name="script-version-detail"),
]
