"""``calls/`` (``docs/telephony.md``, *Click-to-dial*): place a call from the agent's phone, follow
the commands, hold, resume or transfer the call one is on. Adapters over
:mod:`contactcenter.telephony.services` and :mod:`…selectors`.

The answers: 202 with the command (the bridge carries it out; the call's own events make the
interaction), 400 naming the bad field (``to``, ``extension``), 409 when the agent is on a contact
(dial) or not on the call (hold, resume, transfer), 503 with ``Retry-After`` when no connected
bridge can do it."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.core.api.auth import API_AUTHENTICATION
from contactcenter.core.api.permissions import PolicyAllows
from contactcenter.core.api.views import PolicyViewSet
from contactcenter.telephony import selectors, services
from contactcenter.telephony.api.serializers import CallDialSerializer, CallTransferSerializer, CommandSerializer
from contactcenter.telephony.models import Command, CommandAction

CALLS = ["calls"]
#: How long a client waits before asking again when no bridge is connected (a bridge reconnects
#: within its backoff; its heartbeat is every few seconds).
RETRY_AFTER_SECONDS = 30

_BUSY = OpenApiResponse(description="You are on a contact (ringing, on a call, in wrap-up).")
_NOT_ON_CALL = OpenApiResponse(description="You are not on this call.")
_NO_BRIDGE = OpenApiResponse(description="No connected telephony bridge can do it: retry after Retry-After seconds.")


def conflict(message: str) -> Response:
    return Response({"detail": message}, status=status.HTTP_409_CONFLICT)


def no_bridge(error: services.NoBridge) -> Response:
    response = Response(
        {"detail": error.message, "capability": error.capability}, status=status.HTTP_503_SERVICE_UNAVAILABLE
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def accepted(command: Command) -> Response:
    return Response(CommandSerializer(command).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(
        summary="Telephony commands you may follow, newest first",
        description="An agent's own; a supervisor's team's; managers and admins all.",
        tags=CALLS,
    ),
    retrieve=extend_schema(summary="A command: follow a call you placed", tags=CALLS),
    create=extend_schema(
        summary="Click-to-dial: call a number from your phone",
        description=(
            "Your phone (the extension on your agent profile) rings first, then the number. The "
            "outbound interaction comes from the call's own events. 400: `to` is not a phone number, "
            "or you have no extension (`extension`)."
        ),
        request=CallDialSerializer,
        responses={202: CommandSerializer, 409: _BUSY, 503: _NO_BRIDGE},
        tags=CALLS,
    ),
)
class CallViewSet(mixins.RetrieveModelMixin, PolicyViewSet):
    serializer_class = CommandSerializer
    policy_actions = {"list": "call.read", "retrieve": "call.read", "create": "call.dial"}
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Command]:
        return selectors.commands_for(user=self.request.user)

    def create(self, request: Request) -> Response:
        serializer = CallDialSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            command = services.call_dial(
                by=request.user, to=data["to"], customer=data.get("customer"), queue=data.get("queue")
            )
        except services.AgentOnContact as error:
            return conflict(error.message)
        except services.NoBridge as error:
            return no_bridge(error)
        return accepted(command)


class CallActionView(APIView):
    """``POST calls/{call_id}/hold/`` (``resume/``, ``transfer/``): by the agent on the call."""

    permission_classes = [PolicyAllows]
    authentication_classes = API_AUTHENTICATION
    policy_actions = {"post": "call.dial"}
    command_action = ""

    def post(self, request: Request, call_id: str) -> Response:
        target = ""
        if self.command_action == CommandAction.TRANSFER:
            body = CallTransferSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            target = body.validated_data["to"]
        try:
            command = services.call_act(by=request.user, call_id=call_id, action=self.command_action, target=target)
        except services.NotOnCall as error:
            return conflict(error.message)
        except services.NoBridge as error:
            return no_bridge(error)
        return accepted(command)


_ACTION_RESPONSES = {202: CommandSerializer, 409: _NOT_ON_CALL, 503: _NO_BRIDGE}


class CallHoldView(CallActionView):
    command_action = CommandAction.HOLD

    @extend_schema(summary="Put the call you are on on hold", request=None, responses=_ACTION_RESPONSES, tags=CALLS)
    def post(self, request: Request, call_id: str) -> Response:
        return super().post(request, call_id)


class CallResumeView(CallActionView):
    command_action = CommandAction.RESUME

    @extend_schema(summary="Take the call you are on off hold", request=None, responses=_ACTION_RESPONSES, tags=CALLS)
    def post(self, request: Request, call_id: str) -> Response:
        return super().post(request, call_id)


class CallTransferView(CallActionView):
    command_action = CommandAction.TRANSFER

    @extend_schema(
        summary="Transfer the call you are on",
        description="`to`: an extension (an agent's phone) or a phone number in any usual format.",
        request=CallTransferSerializer,
        responses=_ACTION_RESPONSES,
        tags=CALLS,
    )
    def post(self, request: Request, call_id: str) -> Response:
        return super().post(request, call_id)
