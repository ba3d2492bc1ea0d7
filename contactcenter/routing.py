"""WebSocket routes (SPEC §6); the protocol for integrators is ``docs/live.md``, the visitor's chat
socket ``docs/chat.md``."""

from collections.abc import Callable
from typing import Any

from django.urls import path

from contactcenter.chat.consumers import VisitorChatConsumer
from contactcenter.live.consumers import AgentConsumer, WallboardConsumer

websocket_urlpatterns = [
    path("ws/agent/", AgentConsumer.as_asgi()),
    path("ws/wallboard/", WallboardConsumer.as_asgi()),
]

#: Sockets opened from the company's own site (the chat widget): no session, their own origin check.
visitor_websocket_urlpatterns = [
    path("ws/chat/", VisitorChatConsumer.as_asgi()),
]
#: The paths of :data:`visitor_websocket_urlpatterns`.
VISITOR_PATHS = ("/ws/chat/",)


class SocketsByPath:
    """The visitor's chat socket to ``visitors`` (each checks its widget's origins), every other
    socket to ``staff`` (Switchboard's origins, the session or a ticket)."""

    def __init__(self, *, visitors: Callable, staff: Callable) -> None:
        self.visitors, self.staff = visitors, staff

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        app = self.visitors if scope.get("path") in VISITOR_PATHS else self.staff
        return await app(scope, receive, send)
