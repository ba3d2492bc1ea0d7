"""WebSocket routes (SPEC §6); the protocol for integrators is ``docs/live.md``."""

from django.urls import path

from contactcenter.live.consumers import AgentConsumer, WallboardConsumer

websocket_urlpatterns = [
    path("ws/agent/", AgentConsumer.as_asgi()),
    path("ws/wallboard/", WallboardConsumer.as_asgi()),
]
