"""The KPI endpoint (SPEC §5): ``kpis/``. (Survey answers, which it counts, are recorded through
``surveys/``, an endpoint of the interactions.)"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.core.api.auth import API_AUTHENTICATION
from contactcenter.core.api.permissions import PolicyAllows
from kpis.api.serializers import KpiQuerySerializer, KpiReportSerializer
from kpis.selectors import kpi_report


class KpiView(APIView):
    """``GET kpis/``: the KPIs of SPEC §4 over a period, grouped and filtered, from the one engine
    (:mod:`kpis.selectors`). Not paginated: one row per group."""

    permission_classes = [PolicyAllows]
    authentication_classes = API_AUTHENTICATION
    policy_actions = {"get": "kpi.read"}

    @extend_schema(
        summary="KPIs of a period, grouped and filtered",
        description=(
            "SPEC §4's KPIs of the interactions offered in the local days `[from, to)` (the center's time "
            "zone), one row per group (`group_by`), or a single row keyed `null`. Managers and admins see "
            "every interaction; supervisors their team's (handled by its agents, or unanswered in its "
            "queues); agents their own. A filter naming an agent, team or queue you may not see matches "
            "nothing. Rates are fractions (null over an empty denominator), NPS −100…100, durations seconds; "
            "nothing is rounded. Each row also carries the counts behind its rates, and the routing figures: the "
            "offers of work items made to agents in the period and how they ended, and the callbacks due in the "
            "period and how many were kept on time, and the quality figures: evaluations published, mean score, "
            "critical fails, score per criterion, sampled interactions planned and done, disputes overturned. "
            "See docs/kpis.md."
        ),
        parameters=[KpiQuerySerializer],
        responses={200: KpiReportSerializer},
        tags=["kpis"],
    )
    def get(self, request: Request) -> Response:
        query = KpiQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        rows = kpi_report(
            user=request.user,
            start=params["from"],
            end=params["to"],
            group_by=params["group_by"],
            agent=params["agent"],
            team=params["team"],
            queue=params["queue"],
            channel=params["channel"],
            routing=True,
            quality=True,
        )
        body = {
            "from": params["from"],
            "to": params["to"],
            "group_by": params["group_by"],
            "time_zone": settings.TIME_ZONE,
            "results": [row.as_dict() for row in rows],
        }
        return Response(KpiReportSerializer(body).data)
