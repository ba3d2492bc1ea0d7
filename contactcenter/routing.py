"""WebSocket routes (SPEC §6). The consumers arrive with the live-events work."""

websocket_urlpatterns: list = []
