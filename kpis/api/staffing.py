"""``staffing/erlang/``: the Erlang C calculator of SPEC §4 and §5; ``staffing/forecast/``: the
forecast of one queue's day (:mod:`kpis.forecast`)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.agents.models import Queue
from contactcenter.core.access import can
from contactcenter.core.api.auth import API_AUTHENTICATION
from contactcenter.core.api.permissions import PolicyAllows
from contactcenter.core.roles import team_id_of
from kpis.forecast import Forecast, ForecastError, queue_forecast
from kpis.staffing import MAX_ERLANGS, required_agents

#: The days a forecast may be asked for (its history reaches 52 weeks back).
FORECAST_MIN_DATE, FORECAST_MAX_DATE = date(1901, 1, 1), date(9000, 1, 1)


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
    authentication_classes = API_AUTHENTICATION
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


class ForecastQuerySerializer(serializers.Serializer):
    """The query of ``staffing/forecast/``; ``date`` is declared as ``day`` and renamed."""

    queue = serializers.CharField(max_length=100, help_text=_("Queue name."))
    day = serializers.DateField(help_text=_("The local day to forecast (YYYY-MM-DD, in the center's time zone)."))
    weeks = serializers.IntegerField(
        default=6, min_value=1, max_value=52, help_text=_("Weeks of history to average (1 to 52, default 6).")
    )
    aht = serializers.FloatField(
        required=False, help_text=_("What-if: this average handle time in seconds instead of the history's.")
    )
    shrinkage = serializers.FloatField(
        default=0, min_value=0, help_text=_("Share of paid time not on the phones, from 0 to below 1.")
    )
    target = serializers.FloatField(
        required=False, help_text=_("Service-level goal above 0 and below 1 instead of the queue's.")
    )
    threshold = serializers.FloatField(
        required=False, min_value=0, help_text=_("Answered within this many seconds instead of the queue's.")
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        day = fields.pop("day")
        return {"queue": fields.pop("queue"), "date": day, **fields}

    def validate_queue(self, value: str) -> Queue:
        user = self.context["request"].user
        queue = Queue.objects.visible_to(user).filter(name=value).first()
        if queue is None:
            raise serializers.ValidationError(_("No queue is named %(name)s.") % {"name": value})
        # Scoped like the KPIs: a supervisor forecasts the queues their team serves.
        if (
            not can(user, "kpi.read_all")
            and not Queue.objects.served_by_team(team_id_of(user)).filter(pk=queue.pk).exists()
        ):
            raise serializers.ValidationError(
                _("%(name)s is not a queue your team serves: you can forecast your team's queues only.")
                % {"name": value}
            )
        return queue

    def validate_date(self, value: date) -> date:
        if not FORECAST_MIN_DATE <= value < FORECAST_MAX_DATE:
            raise serializers.ValidationError(
                _("Give a date from %(low)s to %(high)s.") % {"low": FORECAST_MIN_DATE, "high": FORECAST_MAX_DATE}
            )
        return value

    validate_aht = ErlangQuerySerializer.validate_aht
    validate_target = ErlangQuerySerializer.validate_target
    validate_shrinkage = ErlangQuerySerializer.validate_shrinkage


class ForecastIntervalSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text=_("Start of the interval, local time with its offset."))
    end = serializers.DateTimeField()
    calls = serializers.FloatField(help_text=_("Forecast offered contacts."))
    aht = serializers.FloatField(help_text=_("Forecast average handle time in seconds."))
    agents = serializers.IntegerField(help_text=_("Agents on the phones needed for the goal (Erlang C)."))
    scheduled = serializers.IntegerField(help_text=_("Agents to schedule, shrinkage included."))
    service_level = serializers.FloatField(allow_null=True)
    occupancy = serializers.FloatField(allow_null=True)


class ForecastTotalsSerializer(serializers.Serializer):
    calls = serializers.FloatField()
    aht = serializers.FloatField(allow_null=True)
    agent_hours = serializers.FloatField()
    scheduled_hours = serializers.FloatField()
    peak_agents = serializers.IntegerField()
    peak_scheduled = serializers.IntegerField()
    service_level = serializers.FloatField(allow_null=True)
    occupancy = serializers.FloatField(allow_null=True)


class ForecastResultSerializer(serializers.Serializer):
    queue = serializers.CharField(source="queue.name")
    date = serializers.DateField(source="day")
    time_zone = serializers.SerializerMethodField()
    weeks = serializers.IntegerField()
    history_days = serializers.ListField(
        child=serializers.DateField(), help_text=_("The history days averaged (days without any call left out).")
    )
    target = serializers.FloatField(help_text=_("The service-level goal planned for."))
    threshold = serializers.FloatField(help_text=_("Its threshold in seconds."))
    shrinkage = serializers.FloatField()
    intervals = ForecastIntervalSerializer(many=True)
    totals = ForecastTotalsSerializer()

    def get_time_zone(self, forecast: Forecast) -> str:
        return settings.TIME_ZONE


class ForecastView(APIView):
    """``GET staffing/forecast/``: :func:`kpis.forecast.queue_forecast` (supervisors and up)."""

    permission_classes = [PolicyAllows]
    authentication_classes = API_AUTHENTICATION
    policy_actions = {"get": "staffing.read"}

    @extend_schema(
        summary="Forecast calls and agents per 30-minute interval of a day for a queue",
        parameters=[ForecastQuerySerializer],
        responses={200: ForecastResultSerializer},
        tags=["staffing"],
    )
    def get(self, request: Request) -> Response:
        query = ForecastQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        params = query.validated_data
        try:
            forecast = queue_forecast(
                queue=params["queue"],
                day=params["date"],
                weeks=params["weeks"],
                aht=params.get("aht"),
                shrinkage=params["shrinkage"],
                target=params.get("target"),
                threshold=params.get("threshold"),
            )
        except ForecastError as error:
            raise serializers.ValidationError({name: [message] for name, message in error.errors.items()}) from error
        return Response(ForecastResultSerializer(forecast).data)
