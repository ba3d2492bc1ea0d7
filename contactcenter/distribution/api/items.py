"""``routing/items/``, ``routing/items/{id}/`` and ``…/move/`` (``docs/routing.md``, "Queue state" and
"Moving work"): adapters over :mod:`contactcenter.distribution.queue_state` and
:func:`contactcenter.distribution.services.work_item_move`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.agents.models import Queue
from contactcenter.core.api.auth import API_AUTHENTICATION
from contactcenter.core.api.permissions import PolicyAllows
from contactcenter.core.db import MAX_ID
from contactcenter.distribution import queue_state, services
from contactcenter.distribution.models import KIND_CHANNEL, OPEN_STATES, WorkItem, WorkState

User = get_user_model()


class EstimateSerializer(serializers.Serializer):
    """The numbers a waiting item's estimated wait comes from (``docs/routing.md``)."""

    handle_seconds = serializers.FloatField(help_text=gettext_lazy("The queue's handle time for the channel."))
    handle_sample = serializers.IntegerField(
        help_text=gettext_lazy("Finished items it is the mean of (0: the channel's default).")
    )
    agents_staffed = serializers.IntegerField()
    slots = serializers.IntegerField(help_text=gettext_lazy("The staffed agents' capacities, summed."))
    free_slots = serializers.IntegerField(help_text=gettext_lazy("Room left now among the available agents."))


class QueueStateItemSerializer(serializers.ModelSerializer):
    """A work item, and for a waiting one its place in line and estimated wait."""

    queue = serializers.CharField(source="queue.name")
    channel = serializers.SerializerMethodField()
    offered_to = serializers.SerializerMethodField()
    assigned_to = serializers.SerializerMethodField()
    position = serializers.SerializerMethodField(help_text=gettext_lazy("1: offered next. Null unless waiting."))
    estimated_wait_seconds = serializers.SerializerMethodField(
        help_text=gettext_lazy("Null unless waiting, or when nobody is staffed.")
    )
    estimate = serializers.SerializerMethodField()

    class Meta:
        model = WorkItem
        fields = [
            "id",
            "kind",
            "channel",
            "queue",
            "priority",
            "state",
            "customer",
            "ticket",
            "arrived_at",
            "sla_due_at",
            "offered_to",
            "offer_expires_at",
            "assigned_to",
            "assigned_at",
            "position",
            "estimated_wait_seconds",
            "estimate",
        ]

    def _place(self, item: WorkItem) -> queue_state.ItemPlace | None:
        return self.context.get("places", {}).get(item.pk)

    def get_channel(self, item: WorkItem) -> str:
        return KIND_CHANNEL[item.kind]

    def get_offered_to(self, item: WorkItem) -> str | None:
        return item.offered_to.get_username() if item.offered_to_id else None

    def get_assigned_to(self, item: WorkItem) -> str | None:
        return item.assigned_to.get_username() if item.assigned_to_id else None

    def get_position(self, item: WorkItem) -> int | None:
        place = self._place(item)
        return place.position if place else None

    def get_estimated_wait_seconds(self, item: WorkItem) -> int | None:
        place = self._place(item)
        return place.estimated_wait_seconds if place else None

    @extend_schema_field(EstimateSerializer(allow_null=True))
    def get_estimate(self, item: WorkItem) -> dict[str, Any] | None:
        place = self._place(item)
        if place is None:
            return None
        return {
            "handle_seconds": place.handle.seconds,
            "handle_sample": place.handle.sample,
            "agents_staffed": place.staffing.agents,
            "slots": place.staffing.slots,
            "free_slots": place.staffing.free,
        }


def _items(user) -> QuerySet[WorkItem]:
    return queue_state.work_items_visible_to(user).select_related("queue", "offered_to", "assigned_to")


def _item_or_404(user, pk: int) -> WorkItem:
    """The item ``pk`` among those ``user`` may see (an id past the largest key: none)."""
    item = _items(user).filter(pk=pk).first() if pk <= MAX_ID else None
    if item is None:
        raise NotFound()
    return item


class ItemsQuerySerializer(serializers.Serializer):
    queue = serializers.CharField(max_length=100, required=False, help_text=gettext_lazy("Queue name."))
    state = serializers.ChoiceField(
        choices=WorkState.choices,
        required=False,
        help_text=gettext_lazy("Default: the open items (waiting, offered, assigned)."),
    )

    def validate_queue(self, value: str) -> Queue:
        queue = queue_state.queues_for_moves(self.context["request"].user).filter(name=value).first()
        if queue is None:
            raise serializers.ValidationError(_("%(name)s is not a queue your team serves.") % {"name": value})
        return queue


class QueueStateItemListView(generics.ListAPIView):
    """The work items of the caller's queues (a supervisor: the queues their team serves; managers
    and admins: all), the open ones by default, by queue then in line order (a waiting item's
    position, then the rest oldest first)."""

    permission_classes = [PolicyAllows]
    authentication_classes = API_AUTHENTICATION
    policy_actions = {"get": "routing.items"}
    serializer_class = QueueStateItemSerializer

    def get_queryset(self) -> QuerySet[WorkItem]:
        query = ItemsQuerySerializer(data=self.request.query_params, context={"request": self.request})
        query.is_valid(raise_exception=True)
        items = _items(self.request.user)
        state = query.validated_data.get("state")
        items = items.filter(state=state) if state else items.filter(state__in=OPEN_STATES)
        if "queue" in query.validated_data:
            items = items.filter(queue=query.validated_data["queue"])
        return items.order_by("queue__name", "queue_id", *services.waiting_order(timezone.now()))

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "places": getattr(self, "places", {})}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        self.places = queue_state.items_places(items=page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Work items with their place in line and estimated wait",
        parameters=[ItemsQuerySerializer],
        tags=["routing"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class QueueStateItemDetailView(APIView):
    permission_classes = [PolicyAllows]
    authentication_classes = API_AUTHENTICATION
    policy_actions = {"get": "routing.items"}

    @extend_schema(
        summary="One work item with its place in line", responses={200: QueueStateItemSerializer}, tags=["routing"]
    )
    def get(self, request: Request, pk: int) -> Response:
        item = _item_or_404(request.user, pk)
        places = queue_state.items_places(items=[item])
        return Response(QueueStateItemSerializer(item, context={"places": places}).data)


class MoveSerializer(serializers.Serializer):
    queue = serializers.CharField(max_length=100, required=False, help_text=gettext_lazy("Queue name."))
    agent = serializers.CharField(max_length=150, required=False, help_text=gettext_lazy("Username."))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("queue" in attrs) == ("agent" in attrs):
            raise serializers.ValidationError(_("Name either a queue or an agent to move the item to."))
        if "queue" in attrs:
            queue = Queue.objects.filter(name=attrs["queue"]).first()
            if queue is None:
                raise serializers.ValidationError(
                    {"queue": _("No queue is named %(name)s.") % {"name": attrs["queue"]}}
                )
            attrs["queue"] = queue
        else:
            agent = User.objects.filter(**{User.USERNAME_FIELD: attrs["agent"]}).first()
            if agent is None:
                raise serializers.ValidationError(
                    {"agent": _("No agent of yours is named %(name)s.") % {"name": attrs["agent"]}}
                )
            attrs["agent"] = agent
        return attrs


def _api_errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


class QueueStateItemMoveView(APIView):
    """``POST {"queue": name}`` or ``{"agent": username}``."""

    permission_classes = [PolicyAllows]
    authentication_classes = API_AUTHENTICATION
    policy_actions = {"post": "routing.move"}

    @extend_schema(
        summary="Move a work item to another queue or give it to an agent",
        request=MoveSerializer,
        responses={
            200: QueueStateItemSerializer,
            400: OpenApiResponse(description="No such queue or agent, or the move is refused: the field says why."),
            404: OpenApiResponse(description="No such item among your queues'."),
            409: OpenApiResponse(description="The item is over (done or cancelled)."),
        },
        tags=["routing"],
    )
    def post(self, request: Request, pk: int) -> Response:
        item = _item_or_404(request.user, pk)
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.work_item_move(item=item, by=request.user, **body.validated_data)
        except ValidationError as exc:
            raise ApiValidationError(_api_errors(exc)) from exc
        except PermissionDenied as exc:
            raise NotFound() from exc
        except services.WorkItemGone:
            return Response(
                {"detail": _("This item is over (done or cancelled): there is nothing to move.")},
                status=status.HTTP_409_CONFLICT,
            )
        # Moved to a queue the caller serves, or to one of their agents: read as it is now.
        item = WorkItem.objects.select_related("queue", "offered_to", "assigned_to").get(pk=pk)
        places = queue_state.items_places(items=[item])
        return Response(QueueStateItemSerializer(item, context={"places": places}).data)
