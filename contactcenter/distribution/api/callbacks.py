"""``callbacks/`` (``docs/routing.md``, *Callbacks*): promise a call back, list and read the
callbacks one may see, count them by state, cancel one, log an attempt's outcome. Adapters over
:mod:`contactcenter.distribution.selectors` and :mod:`…services`."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from contactcenter.agents.models import Queue
from contactcenter.core.api.idempotency import idempotent_post
from contactcenter.core.api.serializers import ModelSerializer
from contactcenter.core.api.views import PolicyViewSet
from contactcenter.distribution import selectors, services
from contactcenter.distribution.models import Callback, CallbackAttempt, CallbackOutcome, CallbackState
from customers.models import Customer
from interactions.api.filters import AwareDateTimeFilter, IdFilter, NamedFilter
from interactions.api.serializers import AwareDateTimeField, QueueNameField

CALLBACKS = ["callbacks"]


class CallbackAttemptSerializer(ModelSerializer):
    agent = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    at = AwareDateTimeField(read_only=True)

    class Meta:
        model = CallbackAttempt
        fields = ["outcome", "note", "agent", "at"]


class CallbackSerializer(ModelSerializer):
    """A callback in and out: ``customer`` by id, ``queue`` by name, ``phone`` in any usual format
    (given back in E.164), ``due_at`` with its offset."""

    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.none(), help_text=gettext_lazy("Customer id.")
    )
    phone = serializers.CharField(max_length=50, help_text=gettext_lazy("The number to call, any usual format."))
    due_at = AwareDateTimeField()
    queue = QueueNameField(help_text=gettext_lazy("Queue name."))
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    promised_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    next_attempt_at = AwareDateTimeField(read_only=True)
    first_attempt_at = AwareDateTimeField(read_only=True, allow_null=True)
    closed_at = AwareDateTimeField(read_only=True, allow_null=True)
    created_at = AwareDateTimeField(read_only=True)

    class Meta:
        model = Callback
        fields = [
            "id",
            "customer",
            "phone",
            "due_at",
            "queue",
            "note",
            "promised_by",
            "state",
            "attempts",
            "next_attempt_at",
            "first_attempt_at",
            "kept_on_time",
            "work_item",
            "closed_at",
            "created_at",
        ]
        read_only_fields = ["id", "state", "attempts", "kept_on_time", "work_item"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["customer"].queryset = Customer.objects.visible_to(request.user)
            self.fields["queue"].queryset = Queue.objects.visible_to(request.user)


class CallbackDetailSerializer(CallbackSerializer):
    attempt_log = CallbackAttemptSerializer(many=True, read_only=True)

    class Meta(CallbackSerializer.Meta):
        fields = [*CallbackSerializer.Meta.fields, "attempt_log"]


class CallbackAttemptInSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=CallbackOutcome.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CallbackCountsSerializer(serializers.Serializer):
    scheduled = serializers.IntegerField()
    waiting = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    done = serializers.IntegerField()
    missed = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    kept_on_time = serializers.IntegerField(help_text=gettext_lazy("Callbacks whose first attempt was on time."))
    late = serializers.IntegerField(help_text=gettext_lazy("Callbacks whose first attempt was late."))


class CallbackFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=CallbackState.choices, help_text=gettext_lazy("State code."))
    queue = NamedFilter(field_name="queue", model=Queue, name_field="name", help_text=gettext_lazy("Queue name."))
    due_after = AwareDateTimeFilter(
        field_name="due_at", lookup_expr="gte", help_text=gettext_lazy("Due at or after this time (with its offset).")
    )
    due_before = AwareDateTimeFilter(
        field_name="due_at", lookup_expr="lt", help_text=gettext_lazy("Due before this time (with its offset).")
    )
    work_item = IdFilter(
        field_name="work_item_id", help_text=gettext_lazy("Work item id: the callback an accepted offer is about.")
    )

    class Meta:
        model = Callback
        fields: list[str] = []


_CLOSED = OpenApiResponse(description="The callback is over (done, missed or cancelled): nothing was changed.")


@extend_schema_view(
    list=extend_schema(
        summary="Callbacks you may see, soonest due first",
        description=(
            "An agent sees the callbacks they promised and their queues'; a supervisor their team's "
            "and its queues'; managers and admins all. Filters: `state`, `queue`, `due_after` "
            "(inclusive), `due_before` (exclusive), `work_item`."
        ),
        tags=CALLBACKS,
    ),
    create=extend_schema(
        **idempotent_post(
            summary="Promise a call back",
            description=(
                "The callback waits for its due time (`scheduled`), then in its queue for an agent "
                "(`waiting`), offered first to the user who promised it (the caller). `due_at` may be "
                "a few minutes past at most; `phone` is stored in E.164."
            ),
            tags=CALLBACKS,
            request=CallbackSerializer,
            responses={201: CallbackSerializer},
        )
    ),
    retrieve=extend_schema(summary="A callback, with its attempts", tags=CALLBACKS),
    counts=extend_schema(
        summary="How many callbacks you may see are in each state",
        description="With the list's filters. `kept_on_time` and `late`: among those tried at least once.",
        tags=CALLBACKS,
        responses={200: CallbackCountsSerializer},
    ),
    cancel=extend_schema(
        **idempotent_post(
            summary="Call a callback off",
            description="An agent cancels the callbacks they promised; supervisors and up those they see.",
            tags=CALLBACKS,
            request=None,
            responses={200: CallbackSerializer, 409: _CLOSED},
        )
    ),
    attempts=extend_schema(
        **idempotent_post(
            summary="Log an attempt's outcome",
            description=(
                "`reached`: the callback is done. `no_answer`, `busy`, `voicemail`: tried again later "
                "until its attempts run out, then missed. `wrong_number`: missed."
            ),
            tags=CALLBACKS,
            request=CallbackAttemptInSerializer,
            responses={201: CallbackDetailSerializer, 409: _CLOSED},
        )
    ),
)
class CallbackViewSet(PolicyViewSet):
    serializer_class = CallbackSerializer
    policy_actions = {
        "list": "callback.read",
        "retrieve": "callback.read",
        "counts": "callback.read",
        "create": "callback.write",
        "cancel": "callback.write",
        "attempts": "callback.write",
    }
    filterset_class = CallbackFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Callback]:
        user: AbstractBaseUser = self.request.user
        if self.action == "retrieve":
            return selectors.callback_detail(user=user)
        return selectors.callback_list(user=user)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return CallbackDetailSerializer if self.action == "retrieve" else CallbackSerializer

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        callback = services.callback_create(by=request.user, **serializer.validated_data)
        # As saved: it holds its queue and its promiser (the caller).
        return Response(self.get_serializer(callback).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @action(detail=False, methods=["get"], url_path="counts")
    def counts(self, request: Request) -> Response:
        rows = self.filter_queryset(self.get_queryset())
        return Response(selectors.callback_counts(queryset=rows))

    def _closed(self) -> Response:
        return Response(
            {"detail": _("This callback is over: it was done, missed or cancelled.")},
            status=status.HTTP_409_CONFLICT,
        )

    @action(detail=True, methods=["post"], url_path="cancel")
    def cancel(self, request: Request, pk: str) -> Response:
        callback = self.get_object()
        try:
            callback = services.callback_cancel(callback=callback, by=request.user)
        except services.CallbackClosed:
            return self._closed()
        return Response(CallbackSerializer(callback, context=self.get_serializer_context()).data)

    @action(detail=True, methods=["post"], url_path="attempts")
    def attempts(self, request: Request, pk: str) -> Response:
        callback = self.get_object()
        serializer = CallbackAttemptInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.callback_attempt_log(callback=callback, by=request.user, **serializer.validated_data)
        except services.CallbackClosed:
            return self._closed()
        callback = selectors.callback_detail(user=request.user).get(pk=callback.pk)
        body = CallbackDetailSerializer(callback, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)
