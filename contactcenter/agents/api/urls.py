from django.urls import path
from rest_framework.routers import SimpleRouter

from contactcenter.agents.api import views

router = SimpleRouter()
router.register("teams", views.TeamViewSet, basename="team")
router.register("queues", views.QueueViewSet, basename="queue")
router.register("agents", views.AgentViewSet, basename="agent")

urlpatterns = [
    # Before the router, so that "me" is never read as a username.
    path("agents/me/status/", views.MyStatusView.as_view(), name="agent-my-status"),
    path("agents/<str:username>/status/", views.AgentStatusView.as_view(), name="agent-status"),
    *router.urls,
]
