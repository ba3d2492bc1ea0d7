"""``routing/next-agent/``, ``routing/offers/{id}/accept/`` and ``…/decline/`` (``docs/routing.md``):
adapters over :mod:`contactcenter.distribution.selectors` and :mod:`…services`."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.agents.models import Queue
from contactcenter.core.access import can
from contactcenter.core.api.auth import API_AUTHENTICATION
from contactcenter.core.api.permissions import PolicyAllows
from contactcenter.core.roles import team_id_of
from contactcenter.distribution import selectors, services
from contactcenter.distribution.models import WorkItem
from contactcenter.distribution.selection import RULE_NONE


class NextAgentQuerySerializer(serializers.Serializer):
    queue = serializers.CharField(max_length=100, help_text=gettext_lazy("Queue name."))
    # ``from`` is a Python keyword: declared as ``caller`` and renamed.
    caller = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("The caller's number, any usual format: their last agent may be preferred."),
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        return {"queue": fields.pop("queue"), "from": fields.pop("caller")}

    def validate_queue(self, value: str) -> Queue:
        user = self.context["request"].user
        queue = Queue.objects.visible_to(user).filter(name=value).first()
        if queue is None:
            raise serializers.ValidationError(_("No queue is named %(name)s.") % {"name": value})
        # A supervisor asks about the queues their team serves.
        if (
            not can(user, "kpi.read_all")
            and not Queue.objects.served_by_team(team_id_of(user)).filter(pk=queue.pk).exists()
        ):
            raise serializers.ValidationError(_("%(name)s is not a queue your team serves.") % {"name": value})
        return queue


#: ``rule`` of the next-agent answer: a code a dialplan may branch on (``reason`` is for people).
NEXT_AGENT_RULES = {RULE_NONE: "none_available"}


class NextAgentSerializer(serializers.Serializer):
    agent = serializers.CharField(allow_null=True, help_text=gettext_lazy("Username, null when nobody is eligible."))
    reason = serializers.CharField(help_text=gettext_lazy("Why this agent, in words."))
    rule = serializers.CharField(
        help_text=gettext_lazy(
            "Why, as a code: last_agent, longest_idle (skill_level, username: longest idle, tie broken so), "
            "none_available."
        )
    )
    extension = serializers.CharField(
        allow_null=True,
        help_text=gettext_lazy("The agent's phone extension (what a dialplan dials), null when none or nobody."),
    )


class NextAgentView(APIView):
    permission_classes = [PolicyAllows]
    authentication_classes = API_AUTHENTICATION
    policy_actions = {"get": "routing.next_agent"}

    @extend_schema(
        summary="The agent the queue's next work would be offered to",
        parameters=[NextAgentQuerySerializer],
        responses={200: NextAgentSerializer},
        tags=["routing"],
    )
    def get(self, request: Request) -> Response:
        query = NextAgentQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        caller = query.validated_data.get("from") or ""
        customer_id = selectors.customer_by_phone(caller) if caller else None
        choice = selectors.next_agent(queue=query.validated_data["queue"], customer_id=customer_id)
        body = {
            "agent": choice.agent.username if choice.agent else None,
            "reason": choice.reason(),
            "rule": NEXT_AGENT_RULES.get(choice.rule, choice.rule),
            "extension": (choice.agent.extension or None) if choice.agent else None,
        }
        return Response(NextAgentSerializer(body).data)


class WorkItemSerializer(serializers.ModelSerializer):
    queue = serializers.CharField(source="queue.name")
    assigned_to = serializers.CharField(source="assigned_to.username", allow_null=True)

    class Meta:
        model = WorkItem
        fields = [
            "id",
            "kind",
            "queue",
            "priority",
            "state",
            "customer",
            "ticket",
            "arrived_at",
            "assigned_to",
            "assigned_at",
        ]


class OfferAnswerSerializer(serializers.Serializer):
    offer = serializers.IntegerField()
    outcome = serializers.CharField()
    item = WorkItemSerializer()


class OfferAnswerView(APIView):
    """``POST`` with no body, by the agent the offer was made to."""

    permission_classes = [PolicyAllows]
    authentication_classes = API_AUTHENTICATION
    policy_actions = {"post": "routing.answer"}
    outcome = ""

    def answer(self, *, offer_id: int, request: Request) -> WorkItem:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        try:
            item = self.answer(offer_id=pk, request=request)
        except services.OfferNotFound as exc:
            raise NotFound() from exc
        except services.OfferGone:
            return Response(
                {"detail": _("This offer is over: it was answered, withdrawn or it timed out.")},
                status=status.HTTP_409_CONFLICT,
            )
        item = selectors.answered_item(item_id=item.pk)
        return Response(OfferAnswerSerializer({"offer": pk, "outcome": self.outcome, "item": item}).data)


_ANSWER_RESPONSES = {
    200: OfferAnswerSerializer,
    404: OpenApiResponse(description="No such offer made to you."),
    409: OpenApiResponse(description="The offer is over: answered, withdrawn or timed out."),
}


class OfferAcceptView(OfferAnswerView):
    outcome = "accepted"

    @extend_schema(
        summary="Accept an offer: the work is yours", request=None, responses=_ANSWER_RESPONSES, tags=["routing"]
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def answer(self, *, offer_id: int, request: Request) -> WorkItem:
        return services.offer_accept(offer_id=offer_id, by=request.user)


class OfferDeclineView(OfferAnswerView):
    outcome = "declined"

    @extend_schema(
        summary="Decline an offer: it goes to the next agent",
        request=None,
        responses=_ANSWER_RESPONSES,
        tags=["routing"],
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def answer(self, *, offer_id: int, request: Request) -> WorkItem:
        return services.offer_decline(offer_id=offer_id, by=request.user)
