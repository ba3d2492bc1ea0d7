"""``interactions/{id}/recording/``: a call's recording, streamed (GET, HTTP Range), attached
(POST, multipart ``file``) and deleted (DELETE). ``docs/telephony.md`` "Recordings".

Adapters only: the interaction is one the caller may see (``Interaction.objects.visible_to``: else
404, as for one that does not exist), what each role may do is ``contactcenter.core.access``
(``recording.read``, ``recording.write``, ``recording.delete``), and everything else is
:mod:`contactcenter.telephony.recordings`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.core.api.auth import API_AUTHENTICATION
from contactcenter.core.api.permissions import PolicyAllows
from contactcenter.telephony import recordings
from contactcenter.telephony.models import Recording
from interactions.api.serializers import AwareDateTimeField
from interactions.models import Interaction

TAGS = ["interactions"]


class RecordingUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_("The recording: WAV, MP3, Ogg, FLAC, WebM or MP4 audio (recognised by its content).")
    )


class RecordingSerializer(serializers.Serializer):
    """A recording as stored (the answer to an upload)."""

    interaction = serializers.IntegerField(source="interaction_id")
    url = serializers.SerializerMethodField(help_text=_("GET streams it (HTTP Range)."))
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text=_("Bytes."))
    duration = serializers.FloatField(source="duration_seconds", allow_null=True, help_text=_("Seconds, when known."))
    source = serializers.CharField(help_text=_("uploaded or fetched (from the telephony system)."))
    created_at = AwareDateTimeField()
    retain_until = AwareDateTimeField(
        allow_null=True,
        help_text=_("Deleted after this time (null: as retention says)."),
    )

    def get_url(self, recording: Recording) -> str:
        url = reverse("interaction-recording", kwargs={"pk": recording.interaction_id})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


def _etag(recording: Recording) -> str:
    return f'"{recording.sha256}"'


def _matches(header: str, etag: str) -> bool:
    return header.strip() == "*" or etag in [item.strip().removeprefix("W/") for item in header.split(",")]


class InteractionRecordingView(APIView):
    permission_classes = [PolicyAllows]
    authentication_classes = API_AUTHENTICATION
    parser_classes = [MultiPartParser]
    policy_actions = {
        "get": "recording.read",
        "head": "recording.read",
        "post": "recording.write",
        "delete": "recording.delete",
    }

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple:
        # A player asks for audio (Accept: audio/*): the JSON errors are answered anyway.
        return super().perform_content_negotiation(request, force=True)

    def _interaction(self, request: Request, pk: int) -> Interaction:
        return get_object_or_404(
            Interaction.objects.visible_to(request.user).select_related("telephony_recording", "cti_call"), pk=pk
        )

    @extend_schema(
        operation_id="interaction_recording_stream",
        summary="Listen to an interaction's recording (HTTP Range)",
        description=(
            "The audio itself, for whoever may see the interaction. One byte range (`Range: bytes=0-1023`, "
            "`bytes=1024-`, `bytes=-1024`) answers 206 with it; a range past the end 416; several ranges, or none, "
            "the whole file (200). `ETag` is the file's SHA-256: `If-None-Match` answers 304, `If-Range` with "
            "another one the whole file. 404 when the interaction has no recording, or is not one you may see."
        ),
        tags=TAGS,
        parameters=[
            OpenApiParameter("Range", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False),
            OpenApiParameter("If-Range", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False),
            OpenApiParameter("If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False),
        ],
        responses={
            (200, "audio/*"): OpenApiTypes.BINARY,
            (206, "audio/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The range asked for."),
            304: OpenApiResponse(description="Not modified (If-None-Match)."),
            404: OpenApiResponse(description="No recording, or an interaction you may not see."),
            416: OpenApiResponse(description="The range starts past the end of the file."),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        interaction = self._interaction(request, pk)
        recording = getattr(interaction, "telephony_recording", None)
        if recording is None:
            return Response({"detail": _("This interaction has no recording.")}, status=status.HTTP_404_NOT_FOUND)
        etag = _etag(recording)
        common = {"ETag": etag, "Accept-Ranges": "bytes", "Cache-Control": "private, no-cache"}
        if _matches(request.headers.get("If-None-Match", ""), etag):
            response = HttpResponse(status=status.HTTP_304_NOT_MODIFIED)
            for name, value in common.items():
                response[name] = value
            return response
        wanted = recordings.byte_range(request.headers.get("Range"), recording.size)
        if_range = request.headers.get("If-Range")
        if if_range is not None and if_range.strip() != etag:
            wanted = None  # the file changed since the client's first part: all of it
        if wanted == recordings.UNSATISFIABLE:
            response = HttpResponse(status=status.HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE)
            response["Content-Range"] = f"bytes */{recording.size}"
            for name, value in common.items():
                response[name] = value
            return response
        first, last = wanted if isinstance(wanted, tuple) else (0, recording.size - 1)
        body = recordings.recording_chunks(recording, first=first, last=last) if request.method != "HEAD" else iter(())
        response = StreamingHttpResponse(
            body,
            status=status.HTTP_206_PARTIAL_CONTENT if isinstance(wanted, tuple) else status.HTTP_200_OK,
            content_type=recording.content_type,
        )
        if isinstance(wanted, tuple):
            response["Content-Range"] = f"bytes {first}-{last}/{recording.size}"
        response["Content-Length"] = str(last - first + 1)
        response["Content-Disposition"] = f'inline; filename="interaction-{interaction.pk}.{recording.extension}"'
        for name, value in common.items():
            response[name] = value
        return response

    @extend_schema(
        operation_id="interaction_recording_attach",
        summary="Attach a call's recording to an interaction",
        description=(
            "Multipart, one `file`: WAV, MP3, Ogg, FLAC, WebM or MP4 audio, recognised by its content (its name and "
            "declared type are not trusted), at most RECORDING_MAX_BYTES. One recording per interaction: 409 when it "
            "has one (DELETE it first to replace it). For the integration accounts (admin or manager role)."
        ),
        tags=TAGS,
        request={"multipart/form-data": RecordingUploadSerializer},
        responses={
            201: RecordingSerializer,
            400: OpenApiResponse(description="No file, not audio, or too large."),
            409: OpenApiResponse(description="The interaction has a recording already."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        declared = request.META.get("CONTENT_LENGTH") or ""
        if declared.isdigit() and int(declared) > settings.RECORDING_MAX_BYTES + 64 * 1024:
            # Refused before the body is read (the form's own fields fit in the margin).
            raise ApiValidationError(
                {"file": [_("A recording may weigh %(max)s bytes at most.") % {"max": settings.RECORDING_MAX_BYTES}]}
            )
        interaction = self._interaction(request, pk)
        serializer = RecordingUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            recording = recordings.recording_store(
                interaction=interaction, file=serializer.validated_data["file"], by=request.user
            )
        except ValidationError as error:
            raise ApiValidationError(error.message_dict) from error
        except recordings.RecordingExists as exists:
            return Response({"detail": exists.message}, status=status.HTTP_409_CONFLICT)
        return Response(
            RecordingSerializer(recording, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        operation_id="interaction_recording_delete",
        summary="Delete an interaction's recording",
        description="The file is deleted from storage too. Admins only.",
        tags=TAGS,
        responses={204: None, 404: OpenApiResponse(description="No recording.")},
    )
    def delete(self, request: Request, pk: int) -> Response:
        interaction = self._interaction(request, pk)
        recording = getattr(interaction, "telephony_recording", None)
        if recording is None:
            return Response({"detail": _("This interaction has no recording.")}, status=status.HTTP_404_NOT_FOUND)
        recordings.recording_delete(recording=recording, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
