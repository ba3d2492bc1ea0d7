"""CTI intake shapes (SPEC §7): one call event in, what became of it out.

Names are resolved here (queues by ``name``, agents by ``username``) so that an unknown one
answers 400 naming its field; every rule about the call lives in :mod:`interactions.cti`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

from contactcenter.agents.models import AgentProfile, Queue
from contactcenter.agents.queues import queue_named
from contactcenter.core.choices import Direction
from customers.models import Customer
from interactions.cti import MAX_CALL_ID_LENGTH, MAX_NUMBER_LENGTH, MAX_RECORDING_LOCATION_LENGTH
from interactions.models import CtiEventType


class OffsetDateTimeField(serializers.DateTimeField):
    """An ISO-8601 time that must carry its UTC offset: a naive time is refused, never guessed."""

    default_error_messages = {"naive": _("Give the time with its UTC offset (…+01:00 or …Z).")}

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None  # well formed but impossible (month 13…): the parent says so
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        return super().to_internal_value(value)


class CtiEventTypeField(serializers.ChoiceField):
    """A call event type; the schema names its enum ``CtiEventEnum`` (see the extension below), not
    the ``EventEnum`` a field called ``event`` would get and might share with another one."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=CtiEventType.choices, **kwargs)


class CtiEventTypeFieldExtension(OpenApiSerializerFieldExtension):
    target_class = CtiEventTypeField

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict:
        component = ResolvedComponent(
            name="CtiEventEnum",
            type=ResolvedComponent.SCHEMA,
            object="CtiEventEnum",
            schema={
                "type": "string",
                "enum": list(CtiEventType.values),
                "description": "\n".join(f"* `{value}` - {label}" for value, label in CtiEventType.choices),
            },
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


class CtiEventSerializer(serializers.Serializer):
    """One call event: what happened (event), to which call (call_id) and when (timestamp), with the
    caller (from), the number called (to), the queue and the agent."""

    event = CtiEventTypeField(help_text=_("What happened to the call."))
    call_id = serializers.CharField(
        max_length=MAX_CALL_ID_LENGTH,
        help_text=_("The call's id in the telephony system, the same for all its events."),
    )
    timestamp = OffsetDateTimeField(
        help_text=_(
            "When it happened, ISO-8601 with its UTC offset. It also tells one hold or resume of the call "
            "from another: a repeat of a hold carries the same timestamp."
        )
    )
    # "from" is a Python keyword: declared as ``caller``, named "from" on the wire (see get_fields).
    caller = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=MAX_NUMBER_LENGTH,
        help_text=_(
            "The caller's number in any usual format (06 12 34 56 78, +33…, tel:/sip: addresses); "
            "blank, null or not a number when withheld (the customer is then unknown)."
        ),
    )
    to = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=MAX_NUMBER_LENGTH,
        help_text=_("The number called; kept with the event."),
    )
    queue = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=100,
        help_text=_("The queue's name; must be a known queue when given."),
    )
    agent = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=150,
        help_text=_("The agent's username; required with call.answered, must be a known active agent when given."),
    )
    direction = serializers.ChoiceField(
        choices=Direction.choices,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text=_(
            "inbound (the default) or outbound (a call placed from the agent's phone: from is the agent's "
            "side, to the customer's number). Any event of the call may say it."
        ),
    )
    customer = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text=_(
            "The customer's id, when the telephony system knows whom the call is with (a click-to-dial "
            "call); must exist. Otherwise the customer is matched by number."
        ),
    )

    recording = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=MAX_RECORDING_LOCATION_LENGTH,
        help_text=_(
            "Where the telephony system keeps the call's recording: an absolute path (under the folder "
            "Switchboard may read) or an http(s) URL. Usually sent with call.ended: once the call is over, "
            "Switchboard fetches it into its storage."
        ),
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        return {("from" if name == "caller" else name): field for name, field in fields.items()}

    def validate_queue(self, value: str | None) -> Queue | None:
        if not value:
            return None
        queue = queue_named(value)  # from the cache: no query while the queues are unchanged
        if queue is None:
            raise serializers.ValidationError(_("No queue is named “%(name)s”.") % {"name": value})
        return queue

    def validate_agent(self, value: str | None) -> AgentProfile | None:
        if not value:
            return None
        profile = AgentProfile.objects.select_related("user").filter(user__username=value, user__is_active=True).first()
        if profile is None:
            raise serializers.ValidationError(_("No active agent has the username “%(name)s”.") % {"name": value})
        return profile

    def validate_recording(self, value: str | None) -> str:
        value = (value or "").strip()
        if not value:
            return ""
        if value.startswith("/"):
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise serializers.ValidationError(_("Give an absolute path (/…) or an http(s) URL."))
        if parts.username or parts.password:
            # The URL is kept with the event (and shown in the back office): credentials go in the settings.
            raise serializers.ValidationError(
                _("Leave the credentials out of the URL: Switchboard sends those of its settings.")
            )
        return value

    def validate_customer(self, value: int | None) -> Customer | None:
        if value is None:
            return None
        customer = Customer.objects.filter(pk=value).first()
        if customer is None:
            raise serializers.ValidationError(_("No customer has the id %(id)s.") % {"id": value})
        return customer

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["event"] == CtiEventType.ANSWERED and attrs.get("agent") is None:
            raise serializers.ValidationError({"agent": [_("Name the agent who answered the call.")]})
        return attrs

    def service_arguments(self) -> dict[str, Any]:
        """The validated event as :func:`interactions.cti.cti_event_apply`'s keyword arguments."""
        data, raw = self.validated_data, self.initial_data
        profile: AgentProfile | None = data.get("agent")
        return {
            "event": data["event"],
            "call_id": data["call_id"],
            "timestamp": data["timestamp"],
            "caller": data.get("from") or "",
            "called": data.get("to") or "",
            "direction": data.get("direction") or "",
            "customer": data.get("customer"),
            "queue": data.get("queue"),
            "agent": profile.user if profile else None,
            "payload": {
                **{key: raw.get(key) for key in ("event", "call_id", "timestamp", "from", "to", "queue", "agent")},
                **{key: raw[key] for key in ("direction", "customer") if key in raw},
                **({"recording": data["recording"]} if data.get("recording") else {}),
            },
        }


class CtiEventResultSerializer(serializers.Serializer):
    call_id = serializers.CharField(read_only=True)
    event = CtiEventTypeField(read_only=True)
    interaction = serializers.IntegerField(
        source="interaction.pk", read_only=True, help_text=_("The call's interaction: GET /api/v1/interactions/{id}/.")
    )
    duplicate = serializers.BooleanField(
        read_only=True, help_text=_("True when this event was already stored: nothing changed (answered 200).")
    )
