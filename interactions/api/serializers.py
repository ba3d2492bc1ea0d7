"""Interaction and ticket API shapes (SPEC §5): customers, tickets and interactions by id, agents
by username, queues and categories by name, dispositions by code.

Serializers check the shape of what comes in and that every object it names is one the caller
may see (else "does not exist", as for an object that does not); every rule lives in
:mod:`interactions.services`, whose ``ValidationError`` answers 400 naming the field.
Timestamps are ISO-8601 with an offset, in and out: a time without one is refused.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contactcenter.agents.models import AgentProfile, Queue
from contactcenter.agents.queues import queue_named
from contactcenter.core.api.serializers import ModelSerializer
from customers.models import Customer
from interactions.models import Disposition, Interaction, Priority, Ticket, TicketCategory, TicketComment, TicketStatus
from interactions.selectors import disposition_of

User = get_user_model()
MAX_VERSION = 2**31 - 1


class AwareDateTimeField(serializers.DateTimeField):
    """ISO-8601 with an offset (``Z`` or ``±hh:mm``); a time without one is refused (400) rather
    than guessed in some time zone. Given back in UTC (``…Z``): unambiguous, and valid RFC 3339
    for any date (a local zone's historical offsets can have seconds)."""

    default_error_messages = {"naive": _("Give the time zone: an offset such as +01:00, or Z for UTC.")}
    #: An aware datetime is answered as DRF's own field does (the API's serializers then answer it
    #: without DRF's generic path); a naive one goes through :meth:`enforce_timezone`.
    represents_aware_as_drf = True

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(**kwargs)

    def enforce_timezone(self, value: Any) -> Any:
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class _CallerScopedMixin:
    """Gives the related fields named in ``scoped_fields`` the querysets of what the caller may see."""

    def caller_querysets(self, user: AbstractBaseUser) -> dict[str, Any]:
        return {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            for name, queryset in self.caller_querysets(request.user).items():
                if name in self.fields:
                    self.fields[name].queryset = queryset


class DispositionCodeField(serializers.SlugRelatedField):
    """An active disposition by its code, found among the cached dispositions
    (:func:`interactions.selectors.disposition_of`): no query while none has changed. Answers
    what a ``SlugRelatedField`` over the active dispositions answers."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="code", queryset=Disposition.objects.filter(is_active=True), **kwargs)

    def to_internal_value(self, data: Any) -> Disposition:
        if not isinstance(data, str | int | float):
            self.fail("invalid")
        found = disposition_of(str(data), active=True)
        if found is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data))
        return found


class QueueNameField(serializers.SlugRelatedField):
    """A queue by its name, found among the cached queues (:func:`contactcenter.agents.queues.queue_named`):
    no query while none has changed. Answers what a ``SlugRelatedField`` over its queryset answers; the
    caller's queryset (``Queue.objects.visible_to``) is every queue or none."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="name", queryset=Queue.objects.none(), **kwargs)

    def to_internal_value(self, data: Any) -> Queue:
        if not isinstance(data, str | int | float):
            self.fail("invalid")
        found = None if self.get_queryset().query.is_empty() else queue_named(str(data))
        if found is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data))
        return found


def visible_agents(user: AbstractBaseUser) -> QuerySet:
    return User.objects.filter(agent_profile__in=AgentProfile.objects.visible_to(user))


def active_agents() -> QuerySet:
    # The profile joined: the assignment rules read it next (their team).
    return User.objects.filter(agent_profile__isnull=False, is_active=True).select_related("agent_profile")


class RecordingFileSerializer(serializers.Serializer):
    url = serializers.CharField(help_text=_("GET streams it (HTTP Range) to whoever may see the interaction."))
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text=_("Bytes."))
    duration = serializers.FloatField(allow_null=True, help_text=_("Seconds, when known."))
    paused_spans = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(allow_null=True), min_length=2, max_length=2),
        help_text=_("[start, end] of each pause of the recording, ISO 8601; end null while it lasts."),
    )


#: The reverse relations :func:`recording_file_of` reads: the recording that telephony keeps for
#: an interaction (named, not imported: telephony sits above this app) and the call it came from.
RECORDING_RELATIONS = ("telephony_recording", "cti_call")


def _related(interaction: Interaction, name: str) -> Any:
    """The object of a reverse one-to-one relation, or ``None``: from what was joined when it was
    (no query), else read."""
    try:
        return getattr(interaction, name)
    except ObjectDoesNotExist:
        return None


def recording_file_of(interaction: Interaction, *, request: Any = None) -> dict[str, Any] | None:
    """The interaction's recording as the API shows it (``recording_file``), or ``None``."""
    recording = _related(interaction, RECORDING_RELATIONS[0])
    if recording is None:
        return None
    call = _related(interaction, RECORDING_RELATIONS[1])
    url = reverse("interaction-recording", kwargs={"pk": interaction.pk})
    return {
        "url": request.build_absolute_uri(url) if request is not None else url,
        "content_type": recording.content_type,
        "size": recording.size,
        "duration": recording.duration_seconds,
        "paused_spans": list(call.recording_paused) if call is not None else [],
    }


class InteractionSerializer(_CallerScopedMixin, ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.none(), allow_null=True, required=False, help_text=_("Customer id.")
    )
    agent = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.none(),
        allow_null=True,
        required=False,
        help_text=_("Agent username (one you may see: agents log their own interactions)."),
    )
    queue = QueueNameField(allow_null=True, required=False)
    ticket = serializers.PrimaryKeyRelatedField(
        queryset=Ticket.objects.none(), allow_null=True, required=False, help_text=_("Ticket id.")
    )
    disposition = DispositionCodeField(allow_null=True, required=False)
    # The records know the script version only through the model's relation (declared by name):
    # scripts sit a layer above and import the records, not the other way round.
    script_version = serializers.PrimaryKeyRelatedField(
        queryset=Interaction.script_version.field.related_model.objects.all(),
        allow_null=True,
        required=False,
        help_text=_("Script version id."),
    )
    offered_at = AwareDateTimeField()
    answered_at = AwareDateTimeField(allow_null=True, required=False)
    ended_at = AwareDateTimeField(allow_null=True, required=False)
    wrapup_ended_at = AwareDateTimeField(allow_null=True, required=False)
    wait_seconds = serializers.FloatField(read_only=True, allow_null=True, help_text=_("answered_at − offered_at."))
    talk_seconds = serializers.FloatField(
        read_only=True, allow_null=True, help_text=_("ended_at − answered_at − hold_seconds.")
    )
    handle_seconds = serializers.FloatField(
        read_only=True, allow_null=True, help_text=_("Talk + hold + after-call work.")
    )
    abandoned = serializers.BooleanField(
        read_only=True, help_text=_("Offered, never answered, ended (short abandons left out).")
    )
    recording_file = serializers.SerializerMethodField(
        help_text=_(
            "The call's recording kept by Switchboard (null: none): url streams it (GET, HTTP Range), "
            "duration in seconds when known, paused_spans the [start, end] times its recording was paused "
            "(end null while the pause lasts). recording (above) is the telephony system's own reference."
        )
    )
    created_at = AwareDateTimeField(read_only=True)
    updated_at = AwareDateTimeField(read_only=True)

    class Meta:
        model = Interaction
        fields = [
            "id",
            "channel",
            "direction",
            "customer",
            "agent",
            "queue",
            "ticket",
            "offered_at",
            "answered_at",
            "ended_at",
            "wrapup_ended_at",
            "hold_seconds",
            "disposition",
            "resolved",
            "notes",
            "sentiment",
            "sentiment_computed",
            "script_version",
            "recording",
            "recording_file",
            "source",
            "external_id",
            "wait_seconds",
            "talk_seconds",
            "handle_seconds",
            "abandoned",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "sentiment_computed", "created_at", "updated_at"]
        # A repeated (source, external_id) is a replay answered by the service, not a 400.
        validators: list = []
        extra_kwargs = {"hold_seconds": {"min_value": 0, "max_value": 2**31 - 1}}

    def caller_querysets(self, user: AbstractBaseUser) -> dict[str, Any]:
        return {
            "customer": Customer.objects.visible_to(user),
            "agent": visible_agents(user),
            "queue": Queue.objects.visible_to(user),
            "ticket": Ticket.objects.visible_to(user),
        }

    @extend_schema_field(RecordingFileSerializer(allow_null=True))
    def get_recording_file(self, interaction: Interaction) -> dict[str, Any] | None:
        return recording_file_of(interaction, request=self.context.get("request"))


class InteractionWrapupSerializer(_CallerScopedMixin, serializers.Serializer):
    """``POST interactions/{id}/wrapup/``: the agent's log of a contact, and the end of its
    after-call work. A field left out keeps its stored value."""

    disposition = DispositionCodeField(
        allow_null=True,
        required=False,
        help_text=_("Disposition code; one that resolves the contact also sets resolved."),
    )
    resolved = serializers.BooleanField(required=False)
    notes = serializers.CharField(allow_blank=True, required=False)
    ticket = serializers.PrimaryKeyRelatedField(
        queryset=Ticket.objects.none(),
        allow_null=True,
        required=False,
        help_text=_("Id of a ticket to link (null: none); not with follow_up_subject."),
    )
    script_version = serializers.PrimaryKeyRelatedField(
        queryset=Interaction.script_version.field.related_model.objects.all(),
        allow_null=True,
        required=False,
        help_text=_("Script version id."),
    )
    follow_up_subject = serializers.CharField(
        max_length=200,
        allow_blank=True,
        required=False,
        help_text=_(
            "Opens a follow-up ticket with this subject for the contact's customer, in its queue, and links it."
        ),
    )
    follow_up_priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    end_wrapup = serializers.BooleanField(
        default=True,
        help_text=_(
            "End the after-call work (once the conversation is over); false saves a correction of the log only."
        ),
    )

    def caller_querysets(self, user: AbstractBaseUser) -> dict[str, Any]:
        return {"ticket": Ticket.objects.visible_to(user)}


class WrapupConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    wrapup_ended_at = AwareDateTimeField(help_text=_("When the after-call work ended."))


class TicketSerializer(_CallerScopedMixin, ModelSerializer):
    """A ticket as read, and what a POST may set."""

    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.none(), allow_null=True, required=False, help_text=_("Customer id.")
    )
    status = serializers.ChoiceField(
        choices=TicketStatus.choices,
        default=TicketStatus.NEW,
        help_text=_("A new ticket starts as new, open or pending; then its moves follow the workflow."),
    )
    category = serializers.SlugRelatedField(
        slug_field="name", queryset=TicketCategory.objects.filter(is_active=True), allow_null=True, required=False
    )
    queue = QueueNameField(allow_null=True, required=False)
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.none(),
        allow_null=True,
        required=False,
        help_text=_("Username of an active agent, within the assignment rules of your role."),
    )
    first_response_due = AwareDateTimeField(read_only=True, allow_null=True)
    resolution_due = AwareDateTimeField(read_only=True, allow_null=True)
    first_responded_at = AwareDateTimeField(read_only=True, allow_null=True)
    resolved_at = AwareDateTimeField(read_only=True, allow_null=True)
    created_at = AwareDateTimeField(read_only=True)
    updated_at = AwareDateTimeField(read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "reference",
            "subject",
            "description",
            "customer",
            "status",
            "priority",
            "category",
            "queue",
            "assignee",
            "first_response_due",
            "resolution_due",
            "first_responded_at",
            "resolved_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "reference", "version"]

    def caller_querysets(self, user: AbstractBaseUser) -> dict[str, Any]:
        return {
            "customer": Customer.objects.visible_to(user),
            "queue": Queue.objects.visible_to(user),
            "assignee": active_agents(),
        }


class TicketUpdateSerializer(_CallerScopedMixin, serializers.Serializer):
    """A PATCH: the ``version`` the client read, and any of the editable fields."""

    version = serializers.IntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        error_messages={"required": _("Send the version of the ticket you read (its version field).")},
        help_text=_("The version you read; a stale one answers 409 and changes nothing."),
    )
    subject = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none(), allow_null=True, required=False)
    status = serializers.ChoiceField(choices=TicketStatus.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    category = serializers.SlugRelatedField(
        slug_field="name", queryset=TicketCategory.objects.filter(is_active=True), allow_null=True, required=False
    )
    queue = QueueNameField(allow_null=True, required=False)
    assignee = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.none(), allow_null=True, required=False
    )

    def caller_querysets(self, user: AbstractBaseUser) -> dict[str, Any]:
        return {
            "customer": Customer.objects.visible_to(user),
            "queue": Queue.objects.visible_to(user),
            "assignee": active_agents(),
        }


class TicketConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    version = serializers.IntegerField(help_text=_("The ticket's version now: read the ticket again."))


class TicketCommentSerializer(ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    public = serializers.BooleanField(
        default=False, help_text=_("Sent to the customer; the first public comment is the first response.")
    )
    created_at = AwareDateTimeField(read_only=True)

    class Meta:
        model = TicketComment
        fields = ["id", "body", "public", "author", "created_at"]
        read_only_fields = ["id"]
