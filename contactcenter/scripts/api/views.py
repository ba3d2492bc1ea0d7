"""Call-script endpoints (SPEC §5): ``scripts/``, ``scripts/{id}/``, ``scripts/{id}/versions/`` and
``scripts/{id}/versions/{number}/``.

Adapters only: reads go through :mod:`contactcenter.scripts.selectors` (agents and supervisors read
the active scripts that have a published version; the others answer 404), writes through
:mod:`contactcenter.scripts.services` (managers and admins: ``script.write``).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from contactcenter.core import access
from contactcenter.core.api.views import PolicyViewSet
from contactcenter.scripts.api.serializers import (
    ScriptListParamsSerializer,
    ScriptSerializer,
    ScriptVersionSerializer,
)
from contactcenter.scripts.graph import errors_of, validate_steps
from contactcenter.scripts.models import Script
from contactcenter.scripts.selectors import script_list, script_versions
from contactcenter.scripts.services import script_create, script_publish, script_update

TAGS = ["scripts"]
ERRORS = {
    400: OpenApiResponse(description="A field or parameter is wrong: the body names each one."),
    401: OpenApiResponse(description="No or wrong credentials."),
    403: OpenApiResponse(description="Your role may not do this."),
    404: OpenApiResponse(description="No such script or version, or not one you may read."),
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


@extend_schema_view(
    list=extend_schema(
        summary="Call scripts",
        description=(
            "Managers and admins: every script, with its draft and the draft's problems. Other roles: the active "
            "scripts with at least one published version (`draft` and `problems` are null). `queue`: only the "
            "scripts of the queue of that name. Ordered by name."
        ),
        tags=TAGS,
        parameters=[ScriptListParamsSerializer],
        responses={200: ScriptSerializer(many=True), **_errors(400, 401, 403)},
    ),
    create=extend_schema(
        summary="Create a script (managers); its draft may be incomplete",
        tags=TAGS,
        request=ScriptSerializer,
        responses={201: ScriptSerializer, **_errors(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="A call script", tags=TAGS, responses={200: ScriptSerializer, **_errors(401, 403, 404)}
    ),
    partial_update=extend_schema(
        summary="Change a script or its draft (managers); published versions never change",
        tags=TAGS,
        request=ScriptSerializer,
        responses={200: ScriptSerializer, **_errors(400, 401, 403, 404)},
    ),
)
class ScriptViewSet(PolicyViewSet):
    serializer_class = ScriptSerializer
    policy_actions = {
        "list": "script.read",
        "retrieve": "script.read",
        "create": "script.write",
        "partial_update": "script.write",
    }
    lookup_value_regex = "[0-9]+"
    filter_backends: list = []

    def get_queryset(self):
        return script_list(user=self.request.user)

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "can_write": access.can(self.request.user, "script.write")}

    def _reload(self, script: Script) -> Script:
        return script_list(user=self.request.user).get(pk=script.pk)

    def list(self, request: Request) -> Response:
        params = ScriptListParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        queryset = script_list(user=request.user, queue=params.validated_data.get("queue"))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        script = script_create(by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(self._reload(script)).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        script = self.get_object()
        serializer = self.get_serializer(script, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        script_update(script=script, by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(self._reload(script)).data)


@extend_schema_view(
    list=extend_schema(
        summary="A script's published versions, newest first",
        tags=TAGS,
        responses={200: ScriptVersionSerializer(many=True), **_errors(401, 403, 404)},
    ),
    create=extend_schema(
        summary="Publish the script's draft as its next version (managers)",
        description=(
            "No body: the draft as stored becomes the next numbered version, frozen. An invalid draft answers 400 "
            "with `draft`: the message of each problem (orphan or unreachable step, dangling answer, …)."
        ),
        tags=TAGS,
        request=None,
        responses={201: ScriptVersionSerializer, **_errors(400, 401, 403, 404)},
    ),
    retrieve=extend_schema(
        summary="One published version of a script",
        tags=TAGS,
        responses={200: ScriptVersionSerializer, **_errors(401, 403, 404)},
    ),
)
class ScriptVersionViewSet(PolicyViewSet):
    serializer_class = ScriptVersionSerializer
    policy_actions = {"list": "script.read", "retrieve": "script.read", "create": "script.write"}
    filter_backends: list = []

    def _script(self) -> Script:
        return get_object_or_404(script_list(user=self.request.user), pk=self.kwargs["script_pk"])

    def get_queryset(self):
        return script_versions(script=self._script())

    def list(self, request: Request, script_pk: int) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ScriptVersionSerializer(page, many=True).data)

    def retrieve(self, request: Request, script_pk: int, number: int) -> Response:
        version = get_object_or_404(self.get_queryset(), number=number)
        return Response(ScriptVersionSerializer(version).data)

    def create(self, request: Request, script_pk: int) -> Response:
        script = self._script()
        errors = errors_of(validate_steps(script.draft))
        if errors:
            raise ValidationError({"draft": [problem.message for problem in errors]})
        version = script_publish(script=script, by=request.user)
        return Response(ScriptVersionSerializer(version).data, status=status.HTTP_201_CREATED)
