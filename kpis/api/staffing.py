"""``staffing/erlang/``: the Erlang C calculator of SPEC §4 and §5."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.api.permissions import PolicyAllows
from kpis.staffing import MAX_ERLANGS, required_agents


class ErlangQuerySerializer(serializers.Serializer):
    calls = serializers.FloatField(min_value=0, help_text=_("Forecast contacts in the interval."))
    interval = serializers.FloatField(
        default=1800, help_text=_("Interval length in seconds (default 1800: 30 minutes).")
    )
    aht = serializers.FloatField(help_text=_("Average handle time in seconds."))
    target = serializers.FloatField(default=0.8, help_text=_("Service-level goal, above 0 and below 1."))
    threshold = serializers.FloatField(
        default=20, min_value=0, help_text=_("Answered within this many seconds (default 20).")
    )
    shrinkage = serializers.FloatField(
        default=0, min_value=0, help_text=_("Share of paid time not on the phones, from 0 to below 1.")
    )

    def validate_interval(self, value: float) -> float:
        if value <= 0:
            raise serializers.ValidationError(_("The interval must be longer than 0 seconds."))
        return value

    def validate_aht(self, value: float) -> float:
        if value <= 0:
            raise serializers.ValidationError(_("The average handle time must be longer than 0 seconds."))
        return value

    def validate_target(self, value: float) -> float:
        if not 0 < value < 1:
            raise serializers.ValidationError(_("The service-level goal must be above 0 and below 1."))
        return value

    def validate_shrinkage(self, value: float) -> float:
        if value >= 1:
            raise serializers.ValidationError(_("Shrinkage must be below 1."))
        return value

    def validate(self, attrs: dict) -> dict:
        if attrs["calls"] * attrs["aht"] / attrs["interval"] > MAX_ERLANGS:
            raise serializers.ValidationError(
                {"calls": [_("More than %(max)s Erlangs of traffic in one queue.") % {"max": MAX_ERLANGS}]}
            )
        return attrs


class ErlangResultSerializer(serializers.Serializer):
    agents = serializers.IntegerField()
    scheduled = serializers.IntegerField()
    service_level = serializers.FloatField(allow_null=True)
    occupancy = serializers.FloatField(allow_null=True)
    traffic = serializers.FloatField(help_text=_("Traffic intensity A in Erlangs."))


class ErlangView(APIView):
    permission_classes = [PolicyAllows]
    policy_actions = {"get": "staffing.read"}

    @extend_schema(
        summary="Agents needed for an interval (Erlang C)",
        parameters=[ErlangQuerySerializer],
        responses={200: ErlangResultSerializer},
        tags=["staffing"],
    )
    def get(self, request: Request) -> Response:
        query = ErlangQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(ErlangResultSerializer(required_agents(**query.validated_data)).data)
