"""``POST /api/v1/cti/events/``: the telephony system's call events (SPEC §7, ``docs/cti.md``).

An adapter: the serializer checks the shape and resolves names, :func:`interactions.cti.cti_event_apply`
applies the event exactly once, and ``contactcenter.core.access`` says who may post (``cti.post``).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.core.api.auth import API_AUTHENTICATION
from contactcenter.core.api.permissions import PolicyAllows
from interactions.api.cti_serializers import CtiEventResultSerializer, CtiEventSerializer
from interactions.cti import cti_event_apply


class CtiEventView(APIView):
    permission_classes = [PolicyAllows]
    authentication_classes = API_AUTHENTICATION
    policy_actions = {"post": "cti.post"}
    serializer_class = CtiEventSerializer

    @extend_schema(
        operation_id="cti_events_create",
        summary="Post a call event from the telephony system (CTI)",
        description=(
            "Each `(call_id, event)` is applied once; holds and resumes are told apart by their "
            "`timestamp`. A repeat answers 200 and changes nothing. Events may arrive in any order: the "
            "call's interaction is recomputed from all its events. `call.answered` sends the agent a screen "
            "pop. For the integration accounts (admin or manager role)."
        ),
        tags=["cti"],
        request=CtiEventSerializer,
        responses={
            201: OpenApiResponse(CtiEventResultSerializer, description="The event was stored and applied."),
            200: OpenApiResponse(CtiEventResultSerializer, description="A repeat: already stored, nothing changed."),
            400: OpenApiResponse(
                description="A field is missing or wrong, a queue or agent is unknown, or the event contradicts "
                "the call's other events: the body names each field. Nothing was stored."
            ),
            401: OpenApiResponse(description="No or wrong credentials."),
            403: OpenApiResponse(description="Your role may not post call events."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = CtiEventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = cti_event_apply(**serializer.service_arguments(), by=request.user)
        return Response(
            CtiEventResultSerializer(outcome).data,
            status=status.HTTP_200_OK if outcome.duplicate else status.HTTP_201_CREATED,
        )
