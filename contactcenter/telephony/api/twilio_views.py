"""``POST /api/v1/cti/twilio/``: Twilio's webhooks (Voice status callbacks, TaskRouter event
callbacks, recording status callbacks), ``docs/telephony.md`` "Twilio".

Twilio cannot send a token: the request's credential is its ``X-Twilio-Signature``, checked with
the account's auth token over the URL Twilio called and the form fields. So no authentication
class (a token sent along is ignored) and no CSRF (which only session authentication checks); the
API's rate limits apply, by client address. The rest is :mod:`contactcenter.telephony.twilio_bridge`.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from contactcenter.telephony.api.twilio_serializers import TwilioWebhookSerializer
from contactcenter.telephony.twilio_bridge import (
    EMPTY_TWIML,
    signature_valid,
    twilio_webhook_apply,
    webhook_configured,
    webhook_url,
)


class TwilioNotConfigured(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("Twilio is not configured here: set TWILIO_AUTH_TOKEN.")
    default_code = "twilio_not_configured"


class TwilioWebhookView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser]

    @extend_schema(
        operation_id="cti_twilio_create",
        summary="Twilio's webhooks (voice status, TaskRouter events, recordings)",
        description=(
            "For Twilio only: set it as the status callback of the calls, the Event Callback URL of the "
            "TaskRouter workspace and the recording status callback. Signed by Twilio with the account's auth "
            "token (`X-Twilio-Signature`); no API token. Each webhook becomes at most one call event of "
            "`POST /api/v1/cti/events/`, applied once: Twilio's retries change nothing."
        ),
        tags=["cti"],
        request={"application/x-www-form-urlencoded": TwilioWebhookSerializer},
        parameters=[
            OpenApiParameter(
                "X-Twilio-Signature",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="Twilio's signature of the URL and the form fields.",
            ),
            OpenApiParameter(
                "command",
                OpenApiTypes.INT,
                OpenApiParameter.QUERY,
                description="Set by Switchboard on the calls it places: the click-to-dial command.",
            ),
        ],
        responses={
            (200, "text/xml"): OpenApiResponse(OpenApiTypes.STR, description="Voice or recording: empty TwiML."),
            204: OpenApiResponse(description="TaskRouter event: taken."),
            403: OpenApiResponse(description="No signature, or not Twilio's."),
            429: OpenApiResponse(description="Rate limit."),
            503: OpenApiResponse(description="Twilio is not configured (no auth token), or the database is away."),
        },
    )
    def post(self, request: Request) -> HttpResponse:
        if not webhook_configured():
            raise TwilioNotConfigured()
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature_valid(url=webhook_url(request), params=request.data, signature=signature):
            raise PermissionDenied(_("This request is not signed by Twilio with this account's auth token."))
        outcome = twilio_webhook_apply(params=request.data.dict(), query=request.query_params.dict())
        if outcome.kind == "taskrouter":
            # TaskRouter asks for 204 with a JSON content type.
            return HttpResponse(status=status.HTTP_204_NO_CONTENT, content_type="application/json")
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")
