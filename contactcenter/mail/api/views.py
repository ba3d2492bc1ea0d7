"""``mailboxes/``: the center's mail addresses, for admins."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from contactcenter.core.api.auth import API_AUTHENTICATION
from contactcenter.core.api.permissions import PolicyAllows
from contactcenter.mail.api.serializers import MailboxSerializer
from contactcenter.mail.models import Mailbox
from contactcenter.mail.services import MailboxInUse, mailbox_create, mailbox_delete, mailbox_update


@extend_schema_view(
    list=extend_schema(summary="Mailboxes (admins)", tags=["email"]),
    create=extend_schema(summary="Create a mailbox (admins)", tags=["email"], responses={201: MailboxSerializer}),
    retrieve=extend_schema(summary="A mailbox (admins)", tags=["email"], responses={200: MailboxSerializer}),
    partial_update=extend_schema(
        summary="Change a mailbox (admins)", tags=["email"], responses={200: MailboxSerializer}
    ),
    destroy=extend_schema(summary="Delete a mailbox that has no mail (admins)", tags=["email"]),
)
class MailboxViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = MailboxSerializer
    permission_classes = [PolicyAllows]
    authentication_classes = API_AUTHENTICATION
    policy_actions = {
        "list": "mailbox.read",
        "retrieve": "mailbox.read",
        "create": "mailbox.write",
        "partial_update": "mailbox.write",
        "destroy": "mailbox.write",
    }
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Mailbox]:
        return Mailbox.objects.select_related("queue").order_by("address", "id")

    def perform_create(self, serializer: MailboxSerializer) -> None:
        serializer.instance = mailbox_create(**serializer.validated_data)

    def perform_update(self, serializer: MailboxSerializer) -> None:
        serializer.instance = mailbox_update(mailbox=serializer.instance, changes=dict(serializer.validated_data))

    def destroy(self, request: Request, *args: object, **kwargs: object) -> Response:
        try:
            mailbox_delete(mailbox=self.get_object())
        except MailboxInUse as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)
