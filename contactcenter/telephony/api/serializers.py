"""Click-to-dial and call control shapes (``docs/telephony.md``, *Click-to-dial*)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contactcenter.agents.models import Queue
from contactcenter.telephony.models import Command
from customers.models import Customer
from interactions.api.serializers import AwareDateTimeField, QueueNameField


class CallDialSerializer(serializers.Serializer):
    """``POST calls/``: the number to call, and optionally whom and for which queue."""

    to = serializers.CharField(max_length=100, help_text=_("The number to call, in any usual format."))
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("The customer called (id), when known: the call's interaction is theirs."),
    )
    queue = QueueNameField(required=False, allow_null=True, help_text=_("The queue the call is made for (name)."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["customer"].queryset = Customer.objects.visible_to(request.user)
            self.fields["queue"].queryset = Queue.objects.visible_to(request.user)


class CallTransferSerializer(serializers.Serializer):
    to = serializers.CharField(
        max_length=100, help_text=_("An extension (1002) or a phone number in any usual format.")
    )


class CommandSerializer(serializers.ModelSerializer):
    """A command as the API follows it: ``to`` is the number dialled (or where a transfer goes),
    ``call_id`` the phone system's id of the call placed or acted on, once known."""

    to = serializers.SerializerMethodField(help_text=_("The number dialled (E.164), or the transfer's target."))
    created_at = AwareDateTimeField(read_only=True)
    finished_at = AwareDateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Command
        fields = ["id", "action", "state", "to", "bridge", "call_id", "error", "created_at", "finished_at"]
        read_only_fields = fields

    def get_to(self, command: Command) -> str | None:
        return command.arguments.get("to") or command.arguments.get("target") or None
