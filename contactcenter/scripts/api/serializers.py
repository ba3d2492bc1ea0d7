"""Call-script API shapes (SPEC §5 ``scripts/``): scripts and versions by id and number, queues
by name, who published by username.

Serializers check the shape of what comes in; the rules (a publishable step graph) live in
:mod:`contactcenter.scripts.graph` and :mod:`contactcenter.scripts.services`.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contactcenter.agents.models import Queue
from contactcenter.core.api.serializers import ModelSerializer
from contactcenter.scripts.graph import MAX_STEPS, validate_steps
from contactcenter.scripts.models import Script, ScriptVersion


class StepProblemSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=["error", "warning"], help_text=_("An error prevents publishing."))
    code = serializers.CharField(help_text=_("Stable identifier of the rule, e.g. dangling_answer."))
    message = serializers.CharField()
    step = serializers.CharField(allow_null=True, help_text=_("The step's key, or #n for a step without one."))
    answer = serializers.IntegerField(allow_null=True, help_text=_("The answer's position in its step, from 1."))


STEPS_HELP = _(
    'The steps: [{"key", "text", "answers": [{"label", "next"}], "disposition"?, "title"?}]; the first is the '
    "start, an answer's next names a step's key, a step without answers ends the script and may suggest a "
    "disposition code."
)


def _storable(value: Any) -> bool:
    """Whether every key and string in ``value`` (JSON) can be stored: no NUL, valid Unicode."""
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_storable(key) and _storable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return True


class ScriptSerializer(ModelSerializer):
    """A script; ``draft`` and ``problems`` only for those who write scripts (null for others)."""

    queues = serializers.SlugRelatedField(
        slug_field="name",
        many=True,
        queryset=Queue.objects.all(),
        required=False,
        help_text=_("Names of the queues whose agents follow this script."),
    )
    draft = serializers.ListField(
        child=serializers.DictField(),
        max_length=MAX_STEPS,
        required=False,
        # Null is what a reader gets in its place; a writer must send a list.
        allow_null=True,
        help_text=STEPS_HELP,
    )
    latest_version = serializers.SerializerMethodField(
        help_text=_("The number of the newest published version, null before the first.")
    )
    problems = serializers.SerializerMethodField(help_text=_("What stands between the draft and publishing."))

    class Meta:
        model = Script
        fields = [
            "id",
            "name",
            "description",
            "campaign",
            "queues",
            "is_active",
            "latest_version",
            "draft",
            "problems",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "latest_version", "problems", "created_at", "updated_at"]

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_latest_version(self, obj: Script) -> int | None:
        return getattr(obj, "latest_number", None)

    @extend_schema_field(StepProblemSerializer(many=True, allow_null=True))
    def get_problems(self, obj: Script) -> list[dict[str, Any]] | None:
        if not self.context.get("can_write"):
            return None
        return [problem.as_dict() for problem in validate_steps(obj.draft)]

    def validate_draft(self, value: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        if value is None:
            raise serializers.ValidationError(_("The draft must be a list of steps (it may be empty)."))
        if not _storable(value):
            # PostgreSQL's JSON cannot hold a NUL character, nor text that is not valid Unicode.
            raise serializers.ValidationError(_("The draft holds a null character or text that is not valid Unicode."))
        return value

    def to_representation(self, instance: Script) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("can_write"):
            data["draft"] = None
        return data


class ScriptListParamsSerializer(serializers.Serializer):
    queue = serializers.CharField(
        required=False, max_length=100, help_text=_("Only the scripts of the queue of this name.")
    )


class ScriptVersionSerializer(ModelSerializer):
    """A published version: frozen steps, who published it and when."""

    script = serializers.PrimaryKeyRelatedField(read_only=True)
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    steps = serializers.ListField(child=serializers.DictField(), read_only=True, help_text=STEPS_HELP)

    class Meta:
        model = ScriptVersion
        fields = ["script", "number", "steps", "published_at", "published_by"]
        read_only_fields = fields
