"""Organisation endpoints: ``teams/``, ``queues/``, ``agents/``, ``agents/me/status/``,
``agents/{username}/status/``."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.agents.api.serializers import (
    AgentCreateSerializer,
    AgentSerializer,
    AgentStatusSerializer,
    AgentUpdateSerializer,
    MyStatusSerializer,
    QueueSerializer,
    StatusStateSerializer,
    TeamSerializer,
)
from contactcenter.agents.models import AgentProfile, Queue, Status, Team
from contactcenter.agents.services import (
    agent_provision,
    agent_set_status,
    agent_state_request,
    agent_update,
    queue_create,
    queue_update,
    skills_get_or_create,
    team_create,
)
from contactcenter.core import access
from contactcenter.core.api.auth import API_AUTHENTICATION
from contactcenter.core.api.permissions import PolicyAllows
from contactcenter.core.roles import profile_of


@extend_schema_view(
    list=extend_schema(summary="Teams", tags=["organisation"]),
    create=extend_schema(summary="Create a team (admins)", tags=["organisation"], responses={201: TeamSerializer}),
    retrieve=extend_schema(summary="A team, by name", tags=["organisation"], responses={200: TeamSerializer}),
)
class TeamViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TeamSerializer
    permission_classes = [PolicyAllows]
    authentication_classes = API_AUTHENTICATION
    policy_actions = {"list": "organisation.read", "retrieve": "organisation.read", "create": "team.write"}
    lookup_field = "name"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return Team.objects.visible_to(self.request.user).order_by("name")

    def perform_create(self, serializer: TeamSerializer) -> None:
        serializer.instance = team_create(**serializer.validated_data)


@extend_schema_view(
    list=extend_schema(summary="Queues", tags=["organisation"]),
    create=extend_schema(summary="Create a queue (admins)", tags=["organisation"], responses={201: QueueSerializer}),
    retrieve=extend_schema(summary="A queue, by name", tags=["organisation"], responses={200: QueueSerializer}),
    partial_update=extend_schema(
        summary="Change a queue (admins)", tags=["organisation"], responses={200: QueueSerializer}
    ),
)
class QueueViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = QueueSerializer
    permission_classes = [PolicyAllows]
    authentication_classes = API_AUTHENTICATION
    policy_actions = {
        "list": "organisation.read",
        "retrieve": "organisation.read",
        "create": "queue.write",
        "partial_update": "queue.write",
    }
    lookup_field = "name"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return Queue.objects.visible_to(self.request.user).prefetch_related("skills").order_by("name")

    def perform_create(self, serializer: QueueSerializer) -> None:
        data = dict(serializer.validated_data)
        skills = skills_get_or_create(names=data.pop("skills", []))
        serializer.instance = queue_create(skills=skills, **data)

    def perform_update(self, serializer: QueueSerializer) -> None:
        data = dict(serializer.validated_data)
        names = data.pop("skills", None)
        skills = None if names is None else skills_get_or_create(names=names)
        serializer.instance = queue_update(queue=serializer.instance, skills=skills, **data)


@extend_schema_view(
    list=extend_schema(summary="Agents you may see", tags=["organisation"]),
    retrieve=extend_schema(summary="An agent, by username", tags=["organisation"], responses={200: AgentSerializer}),
)
class AgentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AgentSerializer
    permission_classes = [PolicyAllows]
    authentication_classes = API_AUTHENTICATION
    policy_actions = {
        "list": "agent.read",
        "retrieve": "agent.read",
        "create": "agent.provision",
        "partial_update": "agent.read",  # refined in partial_update: admins, or a supervisor setting offline
    }
    lookup_field = "user__username"
    lookup_url_kwarg = "username"
    lookup_value_regex = r"[\w.@+-]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            AgentProfile.objects.visible_to(self.request.user)
            .select_related("user", "team")
            .prefetch_related("queues", "skills")
            .order_by("user__username")
        )

    @extend_schema(
        summary="Provision an agent (admins)",
        tags=["organisation"],
        request=AgentCreateSerializer,
        responses={201: AgentSerializer},
    )
    def create(self, request: Request) -> Response:
        serializer = AgentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Skills by name: the service creates the new ones in its own transaction.
        profile = agent_provision(**serializer.validated_data)
        return Response(AgentSerializer(self._reload(profile)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change an agent (admins; a supervisor may set a team member offline)",
        tags=["organisation"],
        request=AgentUpdateSerializer,
        responses={200: AgentSerializer},
    )
    def partial_update(self, request: Request, username: str) -> Response:
        profile = self.get_object()
        serializer = AgentUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        wants_offline = data.pop("status", None) == Status.OFFLINE
        # Admins change anything; others may at most set an agent offline, within the rules of
        # agent_set_status (a supervisor: their team's agents).
        setting_offline_only = wants_offline and not data and access.can(request.user, "status.write_others")
        if not (access.can(request.user, "agent.provision") or setting_offline_only):
            raise PermissionDenied()
        if "skills" in data:
            data["skills"] = skills_get_or_create(names=data["skills"])
        if data:
            profile = agent_update(profile=profile, by=request.user, **data)
        if wants_offline:
            agent_set_status(profile=profile, status=Status.OFFLINE, by=request.user)
        return Response(AgentSerializer(self._reload(profile)).data)

    def _reload(self, profile: AgentProfile) -> AgentProfile:
        return (
            AgentProfile.objects.select_related("user", "team").prefetch_related("queues", "skills").get(pk=profile.pk)
        )


def _state_requested(request: Request, profile: AgentProfile, serializer_class: type) -> Response:
    """The state ``request`` asks for ``profile`` (read by ``serializer_class``), through the state
    machine: 200, or 202 when it waits for the end of the agent's contact."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    change = agent_state_request(
        profile=profile,
        status=serializer.validated_data["status"],
        reason=serializer.validated_data["reason"],
        by=request.user,
    )
    return _state_response(change.profile, deferred=change.deferred)


def _state_response(profile: AgentProfile, *, deferred: bool = False) -> Response:
    """The agent's state; 202 when the request waits for the end of their contact."""
    code = status.HTTP_202_ACCEPTED if deferred else status.HTTP_200_OK
    return Response(StatusStateSerializer(profile).data, status=code)


class MyStatusView(APIView):
    """``agents/me/status/``: the caller's own state (docs/agent-states.md)."""

    permission_classes = [IsAuthenticated]
    authentication_classes = API_AUTHENTICATION
    serializer_class = MyStatusSerializer

    def _profile(self, request: Request) -> AgentProfile:
        # The one the request read with the token (profile_of): 404 for a user without one.
        profile = profile_of(request.user)
        if profile is None:
            raise Http404
        return profile

    @extend_schema(summary="My status", tags=["organisation"], responses={200: StatusStateSerializer})
    def get(self, request: Request) -> Response:
        return _state_response(self._profile(request))

    @extend_schema(
        summary="Change my status (available, break with a reason, offline)",
        description=(
            "Applies at once from offline, available or break; from wrap-up, available ends the "
            "wrap-up. While ringing, busy or in wrap-up, break and offline wait for the end of the "
            "contact (202 with `pending`); available then clears what was pending (202)."
        ),
        tags=["organisation"],
        request=MyStatusSerializer,
        responses={200: StatusStateSerializer, 202: StatusStateSerializer},
    )
    def put(self, request: Request) -> Response:
        return _state_requested(request, self._profile(request), MyStatusSerializer)


class AgentStatusView(APIView):
    """``agents/{username}/status/``: an agent's state, as a supervisor (their team), a manager or
    an admin sees and sets it (docs/agent-states.md)."""

    permission_classes = [PolicyAllows]
    authentication_classes = API_AUTHENTICATION
    policy_actions = {"get": "agent.read", "put": "status.write_others"}
    serializer_class = AgentStatusSerializer

    def _profile(self, request: Request, username: str) -> AgentProfile:
        profile = (
            AgentProfile.objects.visible_to(request.user).select_related("user").filter(user__username=username).first()
        )
        if profile is None:
            raise Http404
        return profile

    @extend_schema(summary="An agent's status", tags=["organisation"], responses={200: StatusStateSerializer})
    def get(self, request: Request, username: str) -> Response:
        return _state_response(self._profile(request, username))

    @extend_schema(
        summary="Set an agent offline or on a break (supervisors: their team; managers, admins)",
        description=(
            "Applies at once when the agent is not on a contact; otherwise waits for the end of "
            "the contact's wrap-up (202 with `pending`)."
        ),
        tags=["organisation"],
        request=AgentStatusSerializer,
        responses={200: StatusStateSerializer, 202: StatusStateSerializer},
    )
    def put(self, request: Request, username: str) -> Response:
        return _state_requested(request, self._profile(request, username), AgentStatusSerializer)
