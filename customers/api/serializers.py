"""Customer API shapes (SPEC §5): customers by id, phones in E.164, agents by username, queues by name.

Serializers check the shape of what comes in; normalization and every rule live in
:mod:`customers.services`, whose ``ValidationError`` answers 400 naming the field.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from contactcenter.core.api.serializers import ModelSerializer
from contactcenter.core.db import MAX_ID
from customers.models import MAX_TAG_LENGTH, MAX_TAGS, ContactPoint, Customer, ErasureRecord
from customers.selectors import MAX_SEARCH_LENGTH, TIMELINE_DEFAULT_LIMIT, TIMELINE_MAX_LIMIT
from interactions.models import Interaction, Ticket, TicketComment, TicketStatus

#: A customer holds at most this many phones, and as many emails, through the API.
MAX_CONTACT_POINTS = 20


class ContactValuesField(serializers.ListField):
    """A customer's phones or emails as a list of strings, read from the prefetched contact points
    (primary first); written as a whole list that replaces the old one."""

    def __init__(self, *, kind: str, **kwargs: Any) -> None:
        self.kind = kind
        kwargs.setdefault("max_length", MAX_CONTACT_POINTS)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def get_attribute(self, instance: Customer) -> list[str]:
        # A list's customers carry their points as ``shown_points``; one customer as its prefetched
        # ``contact_points`` (customers.selectors.contact_points_prefetch).
        points = getattr(instance, "shown_points", None)
        if points is None:
            points = instance.contact_points.all()
        return [point.value for point in points if point.kind == self.kind]


class CustomerSerializer(ModelSerializer):
    phones = ContactValuesField(
        kind=ContactPoint.Kind.PHONE,
        child=serializers.CharField(max_length=100),
        help_text=_(
            "Phone numbers in any usual format (06 12 34 56 78, +33 6 12 34 56 78, 0033612345678); "
            "returned in E.164. The first is the primary one; writing the list replaces the old one."
        ),
    )
    emails = ContactValuesField(
        kind=ContactPoint.Kind.EMAIL,
        child=serializers.CharField(max_length=254),
        help_text=_("Email addresses, stored lower-case. The first is the primary one; writing the list replaces it."),
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TAG_LENGTH, allow_blank=True),
        max_length=MAX_TAGS * 2,
        required=False,
        help_text=_("Short labels; blanks and repeats are dropped."),
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "first_name",
            "last_name",
            "company",
            "language",
            "notes",
            "tags",
            "phones",
            "emails",
            "external_id",
            "consent_marketing",
            "consent_recording",
            "consent_surveys",
            "erased_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "erased_at", "created_at", "updated_at"]


class CustomerListParamsSerializer(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="")
    erased = serializers.BooleanField(required=False, default=False)

    def validate_search(self, value: str) -> str:
        # The selector says what else is wrong with a term; this only bounds what it is given.
        if len(value) > MAX_SEARCH_LENGTH * 2:
            raise serializers.ValidationError(
                _("A search term has at most %(max)s characters.") % {"max": MAX_SEARCH_LENGTH}
            )
        return value


class LookupParamsSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=100, trim_whitespace=True)


class TimelineParamsSerializer(serializers.Serializer):
    cursor = serializers.CharField(required=False, allow_blank=True, max_length=200)
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=TIMELINE_MAX_LIMIT, default=TIMELINE_DEFAULT_LIMIT
    )


class MergeSerializer(serializers.Serializer):
    duplicate = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text=_("Id of the customer merged into this one, then deleted.")
    )


# --- Related rows, as the screen pop, the timeline and the merge show them -----------------------


class TicketSummarySerializer(ModelSerializer):
    status = serializers.ChoiceField(choices=TicketStatus.choices, read_only=True)
    queue = serializers.SlugRelatedField(slug_field="name", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True)
    category = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "reference",
            "subject",
            "status",
            "priority",
            "category",
            "queue",
            "assignee",
            "first_response_due",
            "resolution_due",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class InteractionSummarySerializer(ModelSerializer):
    agent = serializers.SlugRelatedField(slug_field="username", read_only=True)
    queue = serializers.SlugRelatedField(slug_field="name", read_only=True)
    disposition = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Interaction
        fields = [
            "id",
            "channel",
            "direction",
            "agent",
            "queue",
            "ticket",
            "offered_at",
            "answered_at",
            "ended_at",
            "disposition",
            "resolved",
            "notes",
            "sentiment",
        ]
        read_only_fields = fields


class ScreenPopSerializer(serializers.Serializer):
    customer = CustomerSerializer(read_only=True)
    open_tickets = TicketSummarySerializer(many=True, read_only=True)
    last_interactions = InteractionSummarySerializer(
        many=True, read_only=True, help_text=_("The 10 newest, newest first.")
    )
    other_customers = serializers.ListField(
        child=serializers.IntegerField(),
        source="other_customer_ids",
        read_only=True,
        help_text=_("Ids of other customers with the same phone number."),
    )


# --- Timeline -----------------------------------------------------------------------------------


class _TimelineEntrySerializer(serializers.Serializer):
    kind = serializers.SerializerMethodField()
    at = serializers.SerializerMethodField()

    kind_name = ""
    time_field = ""

    def get_kind(self, obj: Any) -> str:
        return self.kind_name

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_at(self, obj: Any) -> str:
        return serializers.DateTimeField().to_representation(getattr(obj, self.time_field))


class TimelineInteractionSerializer(_TimelineEntrySerializer, InteractionSummarySerializer):
    kind_name, time_field = "interaction", "offered_at"

    class Meta(InteractionSummarySerializer.Meta):
        fields = ["kind", "at", *InteractionSummarySerializer.Meta.fields]
        read_only_fields = fields


class TimelineTicketSerializer(_TimelineEntrySerializer, TicketSummarySerializer):
    kind_name, time_field = "ticket", "created_at"

    class Meta(TicketSummarySerializer.Meta):
        fields = ["kind", "at", *TicketSummarySerializer.Meta.fields]
        read_only_fields = fields


class TimelineCommentSerializer(_TimelineEntrySerializer, ModelSerializer):
    kind_name, time_field = "comment", "created_at"
    ticket_reference = serializers.CharField(source="ticket.reference", read_only=True)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = TicketComment
        fields = ["kind", "at", "id", "ticket", "ticket_reference", "author", "public", "body", "created_at"]
        read_only_fields = fields


TIMELINE_SERIALIZERS: dict[str, type[serializers.Serializer]] = {
    "interaction": TimelineInteractionSerializer,
    "ticket": TimelineTicketSerializer,
    "comment": TimelineCommentSerializer,
}

TimelineEntrySchema = PolymorphicProxySerializer(
    component_name="TimelineEntry",
    serializers=TIMELINE_SERIALIZERS,
    resource_type_field_name="kind",
    many=True,
)


class TimelinePageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text=_("The next (older) page, or null on the last one."))
    previous = serializers.URLField(allow_null=True, help_text=_("Always null: the timeline reads forward only."))
    results = TimelineEntrySchema


# --- Merge, export, erasure --------------------------------------------------------------------


class MergeResultSerializer(serializers.Serializer):
    customer = CustomerSerializer(read_only=True)
    duplicate = serializers.IntegerField(source="duplicate_id", read_only=True, help_text=_("The deleted id."))
    contact_points_moved = serializers.IntegerField(read_only=True)
    contact_points_already_held = serializers.IntegerField(
        read_only=True, help_text=_("The duplicate's contact points the customer already had (dropped).")
    )
    interactions_moved = serializers.IntegerField(read_only=True)
    tickets_moved = serializers.IntegerField(read_only=True)


class ExportHistorySerializer(serializers.Serializer):
    customer = serializers.ListField(child=serializers.DictField())
    contact_points = serializers.ListField(child=serializers.DictField())


class CustomerExportSerializer(serializers.Serializer):
    """The shape of an export (for the schema): every stored field of every row, as stored."""

    format = serializers.CharField()
    exported_at = serializers.DateTimeField()
    customer = serializers.DictField()
    contact_points = serializers.ListField(child=serializers.DictField())
    interactions = serializers.ListField(child=serializers.DictField())
    survey_responses = serializers.ListField(child=serializers.DictField())
    tickets = serializers.ListField(child=serializers.DictField(), help_text=_("Each with its comments."))
    history = ExportHistorySerializer()
    erasures = serializers.ListField(child=serializers.DictField())
    reads = serializers.ListField(
        child=serializers.DictField(),
        help_text=_(
            "Who read the customer's data and when: user, username, what (detail, timeline, export, desk, admin)."
        ),
    )


class ErasureCountsSerializer(serializers.Serializer):
    """Rows blanked or deleted, by kind (0 for a kind an older erasure did not count)."""

    contact_points = serializers.IntegerField(default=0)
    interactions = serializers.IntegerField(default=0)
    tickets = serializers.IntegerField(default=0)
    ticket_comments = serializers.IntegerField(default=0)
    survey_responses = serializers.IntegerField(default=0)
    history_rows = serializers.IntegerField(default=0)
    admin_log_entries = serializers.IntegerField(default=0)
    cti_events = serializers.IntegerField(default=0, help_text=_("Call events whose caller number was blanked."))
    stored_answers = serializers.IntegerField(
        default=0, help_text=_("Idempotency-Key answers quoting the customer, blanked.")
    )


class ErasureRecordSerializer(ModelSerializer):
    customer = serializers.IntegerField(source="customer_id", read_only=True)
    erased_by = serializers.CharField(source="erased_by_username", read_only=True)
    counts = ErasureCountsSerializer(read_only=True)

    class Meta:
        model = ErasureRecord
        fields = ["id", "customer", "erased_by", "erased_at", "counts"]
        read_only_fields = fields
