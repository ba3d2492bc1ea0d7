"""Interaction and ticket endpoints (SPEC §5): ``interactions/``, ``tickets/`` and
``tickets/{id}/comments/``.

Adapters only: shapes are checked by serializers, reads go through :mod:`interactions.selectors`,
writes through :mod:`interactions.services`, and who sees what is ``contactcenter.core.access`` (an
object the caller may not see answers 404). Every POST also takes an ``Idempotency-Key`` header,
served by :mod:`contactcenter.core.api.idempotency`.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from contactcenter.core.api.idempotency import idempotent_post
from contactcenter.core.api.serializers import represent_many
from contactcenter.core.api.views import PolicyViewSet
from interactions.api.filters import InteractionFilter, TicketFilter
from interactions.api.pagination import InteractionCursorPagination
from interactions.api.serializers import (
    RECORDING_RELATIONS,
    AwareDateTimeField,
    InteractionSerializer,
    InteractionWrapupSerializer,
    TicketCommentSerializer,
    TicketConflictSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
    WrapupConflictSerializer,
)
from interactions.models import Interaction, Ticket
from interactions.selectors import interaction_list, ticket_comments, ticket_list
from interactions.services import (
    INTERACTION_SHOWN_RELATIONS,
    TicketVersionConflict,
    WrapupAlreadyEnded,
    interaction_log,
    interaction_update,
    interaction_wrapup_log,
    ticket_comment_add,
    ticket_create,
    ticket_update,
)

INTERACTIONS = ["interactions"]
TICKETS = ["tickets"]


@extend_schema_view(
    list=extend_schema(
        summary="Interactions you may see, newest first (cursor pagination)",
        description=(
            "Ordered by `offered_at` then `id`, newest first. Follow the `next`/`previous` links: "
            "their `cursor` is opaque. `offered_after` is inclusive, `offered_before` exclusive; both "
            "need an offset."
        ),
        tags=INTERACTIONS,
    ),
    create=extend_schema(
        **idempotent_post(
            summary="Log an interaction (once per source and external_id)",
            description=(
                "201 with the new interaction; 200 with the stored one, creating nothing, when an "
                "interaction with the same `source` and non-empty `external_id` exists."
            ),
            tags=INTERACTIONS,
            request=InteractionSerializer,
            responses={
                201: InteractionSerializer,
                200: OpenApiResponse(InteractionSerializer, description="Already stored: the stored one."),
            },
        )
    ),
    retrieve=extend_schema(summary="An interaction", tags=INTERACTIONS),
    partial_update=extend_schema(summary="Change an interaction", tags=INTERACTIONS),
    wrapup=extend_schema(
        **idempotent_post(
            summary="Log the outcome of a contact and end its after-call work",
            description=(
                "What the agent desktop saves: `disposition`, `resolved`, `notes`, `ticket`, "
                "`script_version` (left out: kept as stored), optionally a follow-up ticket "
                "(`follow_up_subject`, `follow_up_priority`) opened for the contact's customer and "
                "linked to it. With `end_wrapup` (default true), once the conversation is over, "
                "`wrapup_ended_at` is set and the agent goes from wrap-up back to available; while it "
                "is still on, the log alone is saved. 409 when the after-call work is over already "
                "(send `end_wrapup: false` to correct the log); nothing is saved then. One transaction: "
                "any refusal changes nothing."
            ),
            tags=INTERACTIONS,
            request=InteractionWrapupSerializer,
            responses={
                200: InteractionSerializer,
                409: OpenApiResponse(
                    WrapupConflictSerializer,
                    description=(
                        "The after-call work is over already; or a request with the same "
                        "Idempotency-Key is still running."
                    ),
                ),
            },
        )
    ),
)
class InteractionViewSet(PolicyViewSet):
    serializer_class = InteractionSerializer
    policy_actions = {
        "list": "interaction.read",
        "retrieve": "interaction.read",
        "create": "interaction.write",
        "partial_update": "interaction.write",
        "wrapup": "interaction.write",
    }
    pagination_class = InteractionCursorPagination
    filterset_class = InteractionFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return interaction_list(user=self.request.user)

    def _reload(self, interaction: Interaction) -> Interaction:
        # What the caller wrote is given back even if it left their sight (another queue).
        return Interaction.objects.select_related(*INTERACTION_SHOWN_RELATIONS).get(pk=interaction.pk)

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        interaction, created = interaction_log(by=request.user, **serializer.validated_data)
        if not created and not self.get_queryset().filter(pk=interaction.pk).exists():
            # Stored already, but not one the caller may see: refused as a duplicate, nothing shown.
            raise ValidationError(
                {"external_id": [_("An interaction with this external id already exists for this source.")]}
            )
        # A new one is given back as saved (it holds its agent, queue and disposition); one stored
        # before is read with them.
        if created:
            for name in RECORDING_RELATIONS:  # a new interaction has no recording nor call yet
                Interaction._meta.get_field(name).set_cached_value(interaction, None)
        return Response(
            self.get_serializer(interaction if created else self._reload(interaction)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        interaction = self.get_object()
        serializer = self.get_serializer(interaction, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        interaction = interaction_update(interaction=interaction, by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(interaction).data)  # read with its relations by the service

    @action(detail=True, methods=["post"], url_path="wrapup")
    def wrapup(self, request: Request, pk: str) -> Response:
        interaction = self.get_object()
        serializer = InteractionWrapupSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        try:
            interaction = interaction_wrapup_log(interaction=interaction, by=request.user, **serializer.validated_data)
        except WrapupAlreadyEnded as conflict:
            body = {
                "detail": _("The after-call work of this contact is over already: nothing was saved."),
                "wrapup_ended_at": AwareDateTimeField().to_representation(conflict.ended_at),
            }
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(InteractionSerializer(interaction, context=self.get_serializer_context()).data)


@extend_schema_view(
    list=extend_schema(summary="Tickets you may see, newest first", tags=TICKETS),
    create=extend_schema(
        **idempotent_post(
            summary="Open a ticket",
            description="Its reference and SLA due times are set from the policy of its priority.",
            tags=TICKETS,
            request=TicketSerializer,
            responses={201: TicketSerializer},
        )
    ),
    retrieve=extend_schema(summary="A ticket", tags=TICKETS),
    partial_update=extend_schema(
        summary="Change a ticket, sending the version you read",
        description=(
            "`version` is required: the one you read. If the ticket changed since, the answer is 409 with "
            "its current `version` and nothing is changed: read it again, then retry. Status moves follow the "
            "workflow (see docs/api-interactions.md); assignment follows the rules of your role."
        ),
        tags=TICKETS,
        request=TicketUpdateSerializer,
        responses={
            200: TicketSerializer,
            409: OpenApiResponse(TicketConflictSerializer, description="Someone changed the ticket since you read it."),
        },
    ),
)
class TicketViewSet(PolicyViewSet):
    serializer_class = TicketSerializer
    policy_actions = {
        "list": "ticket.read",
        "retrieve": "ticket.read",
        "create": "ticket.write",
        "partial_update": "ticket.write",
    }
    filterset_class = TicketFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return ticket_list(user=self.request.user, listed=self.action == "list")

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(represent_many(TicketSerializer, page))

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The ticket as saved holds its category, queue and assignee: given back without a read.
        ticket = ticket_create(by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(ticket).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        ticket = self.get_object()
        serializer = TicketUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version")
        try:
            ticket = ticket_update(ticket=ticket, changes=changes, by=request.user, version=version)
        except TicketVersionConflict as conflict:
            body = {
                "detail": _("This ticket changed since you read it: read it again, then retry."),
                "version": conflict.current,
            }
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(ticket).data)  # locked with its relations (ticket_lock)


TICKET_PK = OpenApiParameter("ticket_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="Ticket id.")


@extend_schema_view(
    list=extend_schema(summary="A ticket's comments, oldest first", tags=TICKETS, parameters=[TICKET_PK]),
    create=extend_schema(
        **idempotent_post(
            summary="Comment on a ticket",
            description="The first public comment is the ticket's first response (its version rises).",
            tags=TICKETS,
            parameters=[TICKET_PK],
            request=TicketCommentSerializer,
            responses={201: TicketCommentSerializer},
        )
    ),
)
class TicketCommentViewSet(PolicyViewSet):
    serializer_class = TicketCommentSerializer
    policy_actions = {"list": "ticket.read", "create": "ticket.write"}
    filter_backends: list = []

    def _ticket(self) -> Ticket:
        return get_object_or_404(Ticket.objects.visible_to(self.request.user), pk=self.kwargs["ticket_pk"])

    def get_queryset(self):
        return ticket_comments(ticket=self._ticket())

    def create(self, request: Request, ticket_pk: str) -> Response:
        ticket = self._ticket()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = ticket_comment_add(ticket=ticket, author=request.user, **serializer.validated_data)
        return Response(self.get_serializer(comment).data, status=status.HTTP_201_CREATED)
