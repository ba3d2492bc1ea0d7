"""``POST /api/v1/auth/ws-ticket/``: a single-use ticket to open a socket (SPEC §6, docs/live.md)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.core.api.auth import API_AUTHENTICATION
from contactcenter.core.roles import role_of
from contactcenter.live.tickets import TICKET_TTL_SECONDS, ws_ticket_issue


class HasRole(BasePermission):
    """Every role has a socket to open (its own stream); a user without a role has none."""

    message = _("Your account has no role in the contact center.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and role_of(request.user) is not None)


class WsTicketSerializer(serializers.Serializer):
    ticket = serializers.CharField(
        read_only=True, help_text=_("Open ws/agent/?ticket=… or ws/wallboard/?ticket=… with it, once.")
    )
    expires_in = serializers.IntegerField(read_only=True, help_text=_("Seconds the ticket stays valid."))


class WsTicketView(APIView):
    permission_classes = [HasRole]
    authentication_classes = API_AUTHENTICATION
    serializer_class = WsTicketSerializer

    @extend_schema(
        operation_id="auth_ws_ticket_create",
        summary="A single-use ticket to open a WebSocket",
        description=(
            "For clients without a browser session (the browser's own session opens sockets directly). "
            "Connect to `ws/agent/?ticket=<ticket>` or `ws/wallboard/?ticket=<ticket>` within 60 seconds; "
            "the ticket opens one socket, once. Protocol: docs/live.md."
        ),
        request=None,
        responses={200: WsTicketSerializer},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        ticket = ws_ticket_issue(user=request.user)
        return Response(WsTicketSerializer({"ticket": ticket, "expires_in": TICKET_TTL_SECONDS}).data)
