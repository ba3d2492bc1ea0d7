"""Customer endpoints (SPEC §5): ``customers/``, ``customers/{id}/``, ``customers/lookup/`` and the
customer's ``timeline/``, ``merge/``, ``export/`` and ``erase/``.

Adapters only: parameters are checked by serializers, reads go through :mod:`customers.selectors`,
writes through :mod:`customers.services`, and who may do what is ``contactcenter.core.access``.
"""

from __future__ import annotations

import dataclasses

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed, NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from contactcenter.core.api.auth import API_AUTHENTICATION
from contactcenter.core.api.permissions import PolicyAllows
from contactcenter.core.api.serializers import answering_serializer, represent, represent_many
from customers.api.serializers import (
    TIMELINE_SERIALIZERS,
    CustomerExportSerializer,
    CustomerListParamsSerializer,
    CustomerSerializer,
    ErasureRecordSerializer,
    LookupParamsSerializer,
    MergeResultSerializer,
    MergeSerializer,
    ScreenPopSerializer,
    TimelinePageSerializer,
    TimelineParamsSerializer,
)
from customers.models import Customer, CustomerRead
from customers.querysets import customers_visible_to
from customers.selectors import (
    SCREEN_POP_INTERACTIONS,
    SCREEN_POP_OPEN_TICKETS,
    TIMELINE_MAX_LIMIT,
    customer_detail,
    customer_export,
    customer_list,
    customer_queryset,
    customer_timeline,
    screen_pop,
    with_shown_points,
)
from customers.services import (
    customer_create,
    customer_delete,
    customer_erase,
    customer_merge,
    customer_read_record,
    customer_update,
)

ERRORS = {
    400: OpenApiResponse(description="A field or parameter is wrong: the body names each one."),
    401: OpenApiResponse(description="No or wrong credentials."),
    403: OpenApiResponse(description="Your role may not do this."),
    404: OpenApiResponse(description="No such customer, or not one you may see."),
}
TAGS = ["customers"]


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


@extend_schema_view(
    list=extend_schema(
        summary="Customers, searched by name, company, email or phone",
        description=(
            "`search`: a term that is a phone number in any usual format matches that number exactly; "
            "otherwise every word must appear (case-insensitive) in the first name, last name, company or "
            "an email. Erased customers are listed only with `erased=true`. Ordered by last name, first name, id."
        ),
        tags=TAGS,
        parameters=[CustomerListParamsSerializer],
        responses={200: CustomerSerializer(many=True), **_errors(400, 401, 403)},
    ),
    create=extend_schema(
        summary="Create a customer",
        tags=TAGS,
        request=CustomerSerializer,
        responses={201: CustomerSerializer, **_errors(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="A customer", tags=TAGS, responses={200: CustomerSerializer, **_errors(401, 403, 404)}
    ),
    partial_update=extend_schema(
        summary="Change a customer; `phones` or `emails` given replace that whole list",
        tags=TAGS,
        request=CustomerSerializer,
        responses={200: CustomerSerializer, **_errors(400, 401, 403, 404)},
    ),
    destroy=extend_schema(
        summary="Delete a customer (admins). History keeps the past values: to forget someone, use erase/",
        tags=TAGS,
        responses={204: OpenApiResponse(description="Deleted."), **_errors(401, 403, 404)},
    ),
)
class CustomerViewSet(viewsets.GenericViewSet):
    serializer_class = CustomerSerializer
    permission_classes = [PolicyAllows]
    authentication_classes = API_AUTHENTICATION
    policy_actions = {
        "list": "customer.read",
        "retrieve": "customer.read",
        "lookup": "customer.read",
        "timeline": "customer.read",
        "create": "customer.write",
        "partial_update": "customer.write",
        "merge": "customer.merge",
        "destroy": "customer.delete",
        "export": "customer.export",
        "erase": "customer.erase",
    }
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    # Search is the selector's job (phones in any format, trigram-indexed words).
    filter_backends: list = []

    def get_queryset(self):
        if self.action in ("timeline", "merge", "export", "erase", "destroy", "partial_update"):
            # Their answer shows no contact point, or those the service returns (partial_update).
            return Customer.objects.visible_to(self.request.user)
        return customer_queryset(user=self.request.user)

    def check_permissions(self, request: Request) -> None:
        # A method this endpoint does not offer (PUT) is a 405, not a policy refusal.
        if self.action is None and request.method != "OPTIONS" and request.user.is_authenticated:
            raise MethodNotAllowed(request.method)
        super().check_permissions(request)

    def _reload(self, customer: Customer) -> Customer:
        return customer_queryset(user=self.request.user).get(pk=customer.pk)

    def _answer(self, customer: Customer) -> Customer:
        """The customer a write returned (holding its contact points as saved), when the caller
        sees it, as every writer does (the same rule as ``visible_to``, no query); else read again
        as ``visible_to`` reads it."""
        if customers_visible_to(self.request.user):
            return customer
        return self._reload(customer)

    def list(self, request: Request) -> Response:
        params = CustomerListParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        queryset = customer_list(user=request.user, **params.validated_data)
        page = with_shown_points(self.paginate_queryset(queryset))
        return self.get_paginated_response(represent_many(CustomerSerializer, page))

    def create(self, request: Request) -> Response:
        serializer = CustomerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        customer = customer_create(
            phones=data.pop("phones", []), emails=data.pop("emails", []), by=request.user, **data
        )
        return Response(CustomerSerializer(self._answer(customer)).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str) -> Response:
        customer = customer_detail(user=request.user, pk=int(pk))
        if customer is None:
            raise Http404
        self.check_object_permissions(request, customer)
        customer_read_record(request=request, customer_id=customer.pk, what=CustomerRead.What.DETAIL)
        return Response(represent(CustomerSerializer, customer))

    def partial_update(self, request: Request, pk: str) -> Response:
        customer = self.get_object()
        serializer = CustomerSerializer(customer, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        customer = customer_update(
            customer=customer, phones=data.pop("phones", None), emails=data.pop("emails", None), by=request.user, **data
        )
        return Response(CustomerSerializer(self._answer(customer)).data)

    def destroy(self, request: Request, pk: str) -> Response:
        customer_delete(customer=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Screen pop: the caller's customer, open tickets and last interactions",
        description=(
            f"`phone` in any usual format. Answers the customer, its open tickets (newest first, at most "
            f"{SCREEN_POP_OPEN_TICKETS}) and its {SCREEN_POP_INTERACTIONS} newest interactions, only those you may "
            "see. When several customers share the number, the one holding it as primary (then the most "
            "recently updated) is shown and the others are listed in `other_customers`. 404 when no customer "
            "has the number; 400 naming `phone` when it is not a phone number."
        ),
        tags=TAGS,
        parameters=[LookupParamsSerializer],
        responses={200: ScreenPopSerializer, **_errors(400, 401, 403, 404)},
    )
    @action(detail=False, methods=["get"], url_path="lookup")
    def lookup(self, request: Request) -> Response:
        params = LookupParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        pop = screen_pop(user=request.user, phone=params.validated_data["phone"])
        if pop is None:
            raise NotFound(_("No customer has this phone number."))
        return Response(represent(ScreenPopSerializer, pop))

    @extend_schema(
        summary="The customer's history across every channel, newest first",
        description=(
            "Interactions (at `offered_at`), tickets (at `created_at`) and ticket comments (at `created_at`) "
            "you may see, as one list of entries told apart by `kind`. Pages of `limit` entries (50 by "
            f"default, {TIMELINE_MAX_LIMIT} at most); follow `next` (a `cursor`) for older ones."
        ),
        tags=TAGS,
        parameters=[TimelineParamsSerializer],
        responses={200: TimelinePageSerializer, **_errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, pk: str) -> Response:
        customer = self.get_object()
        params = TimelineParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        customer_read_record(request=request, customer_id=customer.pk, what=CustomerRead.What.TIMELINE)
        page = customer_timeline(
            user=request.user,
            customer=customer,
            cursor=params.validated_data.get("cursor") or None,
            limit=params.validated_data["limit"],
        )
        next_url = None
        if page.next_cursor:
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor)
        answering = {kind: answering_serializer(serializer) for kind, serializer in TIMELINE_SERIALIZERS.items()}
        results = [answering[entry.kind].to_representation(entry.obj) for entry in page.entries]
        return Response({"next": next_url, "previous": None, "results": results})

    @extend_schema(
        summary="Merge a duplicate into this customer (supervisors and up)",
        description=(
            "Moves the duplicate's contact points (a value this customer already has is dropped), "
            "interactions (with their survey responses) and tickets onto this customer, unites the tags, "
            "appends the notes, re-points the duplicate's history rows to this customer and deletes the "
            "duplicate, all in one transaction. 400 naming `duplicate` for this customer itself, an unknown "
            "or erased one."
        ),
        tags=TAGS,
        request=MergeSerializer,
        responses={200: MergeResultSerializer, **_errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str) -> Response:
        customer = self.get_object()
        serializer = MergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        duplicate = Customer.objects.visible_to(request.user).filter(pk=serializer.validated_data["duplicate"]).first()
        if duplicate is None:
            raise ValidationError({"duplicate": [_("No such customer, or not one you may see.")]})
        try:
            result = customer_merge(customer=customer, duplicate=duplicate, by=request.user)
        except Customer.DoesNotExist:
            raise NotFound() from None
        result = dataclasses.replace(result, customer=self._reload(result.customer))
        return Response(MergeResultSerializer(result).data)

    @extend_schema(
        summary="Everything held on the customer, as JSON (admins; data-protection access request)",
        description=(
            "Every stored field of the customer, its contact points, interactions, survey responses, tickets "
            "with their comments, the field history of the customer and its contact points, its erasures, and "
            "who read its data (`reads`: user, what, when)."
        ),
        tags=TAGS,
        responses={200: CustomerExportSerializer, **_errors(401, 403, 404)},
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str) -> Response:
        customer = self.get_object()
        customer_read_record(request=request, customer_id=customer.pk, what=CustomerRead.What.EXPORT)
        data = customer_export(user=request.user, customer=customer)
        return Response(data, headers={"Content-Disposition": f'attachment; filename="customer-{customer.pk}.json"'})

    @extend_schema(
        summary="Erase the customer's personal data, history included (admins)",
        description=(
            "Blanks the customer's names, company, notes, tags and external id, deletes its contact points, "
            "blanks the free text of its interactions, tickets, comments and survey responses and of all "
            "their history rows. Interactions and tickets stay, linked to the anonymous customer, so KPIs keep "
            "their counts. Erasing again answers 200 too and blanks whatever was added since. The answer is "
            "the erasure record, which holds no personal data."
        ),
        tags=TAGS,
        request=None,
        responses={200: ErasureRecordSerializer, **_errors(401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def erase(self, request: Request, pk: str) -> Response:
        customer = self.get_object()
        try:
            record = customer_erase(customer=customer, by=request.user)
        except Customer.DoesNotExist:
            raise NotFound() from None
        return Response(ErasureRecordSerializer(record).data)
