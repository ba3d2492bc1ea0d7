"""Survey endpoints (SPEC §5): ``surveys/``.

One response per interaction and kind: a second one answers 409 with the stored one's id (the
first answer stands; a survey is not re-taken). An interaction the caller may not see answers 400
naming ``interaction``, as one that does not exist.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from contactcenter.core.api.idempotency import idempotent_post
from contactcenter.core.api.views import PolicyViewSet
from interactions.api.filters import SurveyResponseFilter
from interactions.api.survey_serializers import SurveyConflictSerializer, SurveyResponseSerializer
from interactions.models import Interaction, SurveyResponse
from interactions.surveys import survey_response_create

TAGS = ["surveys"]


@extend_schema_view(
    list=extend_schema(summary="Survey responses on the interactions you may see, newest first", tags=TAGS),
    create=extend_schema(
        **idempotent_post(
            summary="Record a survey response",
            description=(
                "The score must be on its kind's scale (CSAT 1–5, NPS 0–10, CES 1–7), else 400 naming `score`. "
                "One response per interaction and kind: a second one answers 409 with the stored one's `id`."
            ),
            tags=TAGS,
            request=SurveyResponseSerializer,
            responses={
                201: SurveyResponseSerializer,
                409: OpenApiResponse(
                    SurveyConflictSerializer,
                    description="This interaction already has a response of this kind (or the same "
                    "Idempotency-Key is still running).",
                ),
            },
        )
    ),
)
class SurveyResponseViewSet(PolicyViewSet):
    serializer_class = SurveyResponseSerializer
    policy_actions = {"list": "interaction.read", "create": "survey.write"}
    filterset_class = SurveyResponseFilter
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return SurveyResponse.objects.filter(
            interaction__in=Interaction.objects.visible_to(self.request.user).values("pk")
        ).order_by("-created_at", "-id")

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            response = survey_response_create(**data)
        except (ValidationError, IntegrityError) as exc:
            stored = SurveyResponse.objects.filter(interaction=data["interaction"], kind=data["kind"]).first()
            if stored is None or (isinstance(exc, ValidationError) and _names_a_field(exc)):
                raise
            body = {
                "detail": _("This interaction already has a response to this survey; it is answered once."),
                "id": stored.pk,
            }
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(response).data, status=status.HTTP_201_CREATED)


def _names_a_field(exc: ValidationError) -> bool:
    """Whether the error is about a field (a score off its scale) rather than the duplicate."""
    return hasattr(exc, "error_dict") and any(field != "__all__" for field in exc.error_dict)
