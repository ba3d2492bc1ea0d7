"""Organisation API shapes: teams and queues by name, agents by username (SPEC §5)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contactcenter.agents.models import (
    MAX_SERVICE_LEVEL_SECONDS,
    AgentProfile,
    BreakReason,
    PendingStatus,
    Queue,
    Role,
    Status,
    Team,
)
from contactcenter.agents.states import CHOSEN_BREAK_REASONS, SELF_SERVICE_STATUSES, SET_BY_OTHERS_STATUSES
from contactcenter.core.api.serializers import ModelSerializer


class SkillNamesField(serializers.ListField):
    """Skills as a list of names; a name not seen before becomes a new skill."""

    child = serializers.CharField(max_length=100)

    def to_representation(self, value) -> list[str]:
        return [skill.name for skill in value.all()]


class TeamSerializer(ModelSerializer):
    class Meta:
        model = Team
        fields = ["name", "description", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class QueueSerializer(ModelSerializer):
    skills = SkillNamesField(required=False)

    class Meta:
        model = Queue
        fields = [
            "name",
            "channel",
            "skills",
            "service_level_seconds",
            "service_level_target",
            "wrapup_limit_seconds",
            "wrapup_requires_disposition",
            "wrapup_requires_notes",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "service_level_seconds": {"min_value": 1, "max_value": MAX_SERVICE_LEVEL_SECONDS},
            "service_level_target": {"min_value": 0.01, "max_value": 1.0},
            "wrapup_limit_seconds": {"min_value": 1, "max_value": MAX_SERVICE_LEVEL_SECONDS},
        }


class AgentSerializer(ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    email = serializers.CharField(source="user.email", read_only=True)
    is_active = serializers.BooleanField(source="user.is_active", read_only=True)
    team = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    queues = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    skills = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    status_reason = serializers.ChoiceField(choices=BreakReason.choices, allow_blank=True, read_only=True)
    pending_status = serializers.ChoiceField(choices=PendingStatus.choices, allow_blank=True, read_only=True)
    pending_reason = serializers.ChoiceField(choices=BreakReason.choices, allow_blank=True, read_only=True)

    class Meta:
        model = AgentProfile
        fields = [
            "username",
            "first_name",
            "last_name",
            "email",
            "is_active",
            "role",
            "team",
            "queues",
            "skills",
            "status",
            "status_reason",
            "status_since",
            "pending_status",
            "pending_reason",
            "extension",
        ]
        read_only_fields = fields


class AgentCreateSerializer(serializers.Serializer):
    """What an admin sends to provision an agent."""

    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, trim_whitespace=False, style={"input_type": "password"})
    role = serializers.ChoiceField(choices=Role.choices, default=Role.AGENT)
    team = serializers.SlugRelatedField(slug_field="name", queryset=Team.objects.all(), required=False, allow_null=True)
    queues = serializers.SlugRelatedField(slug_field="name", queryset=Queue.objects.all(), many=True, required=False)
    skills = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    extension = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text=_("The agent's phone on the telephony system (1001, PJSIP/1001): unique; blank for none."),
    )


class AgentUpdateSerializer(serializers.Serializer):
    """What an admin may change on an agent (a supervisor may only set one offline)."""

    role = serializers.ChoiceField(choices=Role.choices, required=False)
    team = serializers.SlugRelatedField(slug_field="name", queryset=Team.objects.all(), required=False, allow_null=True)
    queues = serializers.SlugRelatedField(slug_field="name", queryset=Queue.objects.all(), many=True, required=False)
    skills = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    is_active = serializers.BooleanField(required=False)
    status = serializers.ChoiceField(choices=[(Status.OFFLINE, Status.OFFLINE.label)], required=False)
    extension = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text=_("The agent's phone on the telephony system (1001, PJSIP/1001): unique; blank for none."),
    )


#: The choices of the requests, named in the schema (settings: SPECTACULAR_SETTINGS).
CHOSEN_REASON_CHOICES = [(reason.value, reason.label) for reason in CHOSEN_BREAK_REASONS]
SELF_SERVICE_CHOICES = [(s.value, s.label) for s in SELF_SERVICE_STATUSES]
SET_BY_OTHERS_CHOICES = [(s.value, s.label) for s in SET_BY_OTHERS_STATUSES]


class MyStatusSerializer(serializers.Serializer):
    """The shape of an agent's own status change; its rules (a break needs a reason, …) are the
    state machine's (:func:`contactcenter.agents.states.agent_status_check`)."""

    status = serializers.ChoiceField(choices=SELF_SERVICE_CHOICES)
    reason = serializers.ChoiceField(choices=CHOSEN_REASON_CHOICES, required=False, allow_blank=True, default="")


class AgentStatusSerializer(MyStatusSerializer):
    """What a supervisor, a manager or an admin may set for an agent: ``offline``, or ``break``
    with a reason."""

    status = serializers.ChoiceField(choices=SET_BY_OTHERS_CHOICES)


class StatusStateSerializer(serializers.Serializer):
    """An agent's state as ``agents/me/status/`` and ``agents/{username}/status/`` answer it.

    ``reason``: the break's reason: the current one on a break, the pending one while a break
    waits for the end of the contact. ``pending``: ``break`` or ``offline`` waiting for the end of
    the contact (null: available then)."""

    agent = serializers.CharField(source="user.username", read_only=True)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    reason = serializers.SerializerMethodField()
    since = serializers.DateTimeField(source="status_since", read_only=True)
    pending = serializers.SerializerMethodField()
    pending_reason = serializers.ChoiceField(choices=BreakReason.choices, allow_blank=True, read_only=True)

    def get_reason(self, profile: AgentProfile) -> str:
        return profile.status_reason or profile.pending_reason

    def get_pending(self, profile: AgentProfile) -> str | None:
        return profile.pending_status or None
