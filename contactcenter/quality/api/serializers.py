"""Quality API shapes: scorecards and their versions (sections, criteria), evaluations with their
answers, disputes, calibration sessions and their report, evaluator teams. Users by username,
queues and teams by name.

Serializers check the shape of what comes in; the rules (a criterion's scale, who may do what, the
score) live in :mod:`contactcenter.quality.services` and :mod:`contactcenter.quality.scoring`.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contactcenter.agents.models import Queue, Team
from contactcenter.core.api.serializers import ModelSerializer
from contactcenter.core.choices import Channel
from contactcenter.quality.models import (
    CalibrationSession,
    Criterion,
    Dispute,
    DisputeDecision,
    Evaluation,
    EvaluationAnswer,
    EvaluatorTeam,
    Scale,
    Scorecard,
    ScorecardSection,
    ScorecardVersion,
)

User = get_user_model()

#: The largest id a row may have.
MAX_ID = 2**63 - 1
#: The most sections and criteria per section one version holds (a body is bounded).
MAX_SECTIONS = 30
MAX_CRITERIA = 50


# --- Scorecards ------------------------------------------------------------------------------------


class CriterionSerializer(ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["id", "key", "title", "guidance", "weight", "scale", "max_points", "allow_na", "critical", "position"]
        read_only_fields = fields


class SectionSerializer(ModelSerializer):
    criteria = CriterionSerializer(many=True, read_only=True)

    class Meta:
        model = ScorecardSection
        fields = ["id", "title", "position", "criteria"]
        read_only_fields = fields


class ScorecardVersionSerializer(ModelSerializer):
    scorecard = serializers.IntegerField(source="scorecard_id", read_only=True)
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    sections = SectionSerializer(many=True, read_only=True)

    class Meta:
        model = ScorecardVersion
        fields = ["id", "scorecard", "number", "state", "published_at", "published_by", "created_at", "sections"]
        read_only_fields = fields


class CriterionInputSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=60, help_text=_("Kept from version to version, e.g. greeting."))
    title = serializers.CharField(max_length=200)
    guidance = serializers.CharField(required=False, allow_blank=True, default="")
    weight = serializers.IntegerField(min_value=1, max_value=100, default=1)
    scale = serializers.ChoiceField(choices=Scale.choices, default=Scale.YES_NO)
    max_points = serializers.IntegerField(
        min_value=1, max_value=10, required=False, allow_null=True, help_text=_("For a points scale: 1 to 10.")
    )
    allow_na = serializers.BooleanField(default=False)
    critical = serializers.BooleanField(default=False)


class SectionInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=150)
    criteria = CriterionInputSerializer(many=True, max_length=MAX_CRITERIA)


class VersionContentSerializer(serializers.Serializer):
    """The whole content of a draft, replacing what it held."""

    sections = SectionInputSerializer(many=True, max_length=MAX_SECTIONS)


class ScorecardSerializer(ModelSerializer):
    queue = serializers.SlugRelatedField(
        slug_field="name",
        queryset=Queue.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The queue whose interactions it scores; null: any."),
    )
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, allow_blank=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    published_number = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("The newest published version's number.")
    )
    has_draft = serializers.BooleanField(read_only=True, help_text=_("Whether a draft version is open."))

    class Meta:
        model = Scorecard
        fields = [
            "id",
            "name",
            "description",
            "queue",
            "channel",
            "is_active",
            "created_by",
            "created_at",
            "published_number",
            "has_draft",
        ]
        read_only_fields = ["id", "created_by", "created_at", "published_number", "has_draft"]


# --- Evaluations -----------------------------------------------------------------------------------


class AnswerSerializer(ModelSerializer):
    key = serializers.CharField(source="criterion.key", read_only=True)

    class Meta:
        model = EvaluationAnswer
        fields = ["criterion", "key", "value", "not_applicable", "comment"]
        read_only_fields = fields


class AnswerInputSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text=_("The criterion's id in the evaluation's version.")
    )
    value = serializers.IntegerField(
        min_value=0, required=False, allow_null=True, help_text=_("Yes = 1, no = 0, or the points given.")
    )
    not_applicable = serializers.BooleanField(default=False)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class EvaluationSerializer(ModelSerializer):
    """An evaluation as listed; its answers and disputes in the detail."""

    scorecard = serializers.CharField(source="version.scorecard.name", read_only=True)
    version_number = serializers.IntegerField(source="version.number", read_only=True)
    evaluator = serializers.SlugRelatedField(slug_field="username", read_only=True)
    agent = serializers.SlugRelatedField(slug_field="username", read_only=True)
    channel = serializers.CharField(source="interaction.channel", read_only=True)

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "interaction",
            "channel",
            "version",
            "scorecard",
            "version_number",
            "evaluator",
            "agent",
            "kind",
            "state",
            "score",
            "critical_failed",
            "comment",
            "calibration",
            "sample",
            "created_at",
            "published_at",
            "acknowledged_at",
        ]
        read_only_fields = fields


class DisputeSerializer(ModelSerializer):
    raised_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Dispute
        fields = [
            "id",
            "evaluation",
            "raised_by",
            "reason",
            "raised_at",
            "reviewer",
            "decision",
            "decision_comment",
            "decided_at",
            "score_before",
            "score_after",
        ]
        read_only_fields = fields


class EvaluationDetailSerializer(EvaluationSerializer):
    answers = AnswerSerializer(many=True, read_only=True)
    disputes = DisputeSerializer(many=True, read_only=True)

    class Meta(EvaluationSerializer.Meta):
        fields = [*EvaluationSerializer.Meta.fields, "answers", "disputes"]
        read_only_fields = fields


class EvaluationStartSerializer(serializers.Serializer):
    interaction = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text=_("The interaction to evaluate."))
    version = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text=_("A published scorecard version; default: the one that fits."),
    )
    sample = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, help_text=_("The sampled item it answers.")
    )
    calibration = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text=_("The calibration session it belongs to."),
    )


class EvaluationAnswersSerializer(serializers.Serializer):
    answers = AnswerInputSerializer(many=True, max_length=500)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10000)


class DisputeRaiseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class DisputeDecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[DisputeDecision.UPHELD, DisputeDecision.OVERTURNED])
    comment = serializers.CharField(max_length=5000)
    answers = AnswerInputSerializer(
        many=True, required=False, max_length=500, help_text=_("The corrected answers of an overturned evaluation.")
    )


# --- Calibration -----------------------------------------------------------------------------------


class CalibrationSerializer(ModelSerializer):
    evaluators = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    published_count = serializers.IntegerField(read_only=True, help_text=_("Evaluators who have published."))

    class Meta:
        model = CalibrationSession
        fields = [
            "id",
            "title",
            "interaction",
            "version",
            "evaluators",
            "reference",
            "state",
            "created_by",
            "created_at",
            "closed_at",
            "published_count",
        ]
        read_only_fields = fields


class CalibrationCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    interaction = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    version = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text=_("A published scorecard version."))
    evaluators = serializers.ListField(
        child=serializers.CharField(max_length=150), min_length=2, max_length=50, help_text=_("Usernames.")
    )


class CalibrationCloseSerializer(serializers.Serializer):
    reference = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text=_("The evaluation the others are compared with."),
    )


class ReportCellSerializer(serializers.Serializer):
    evaluation = serializers.IntegerField()
    evaluator = serializers.CharField()
    value = serializers.IntegerField(allow_null=True)
    not_applicable = serializers.BooleanField()
    percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    deviation = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)


class ReportRowSerializer(serializers.Serializer):
    criterion = serializers.IntegerField()
    key = serializers.CharField()
    title = serializers.CharField()
    section = serializers.CharField()
    critical = serializers.BooleanField()
    reference_value = serializers.IntegerField(allow_null=True)
    reference_not_applicable = serializers.BooleanField()
    reference_percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    evaluators = ReportCellSerializer(many=True)
    spread = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)


class ReportEvaluatorSerializer(serializers.Serializer):
    evaluation = serializers.IntegerField()
    evaluator = serializers.CharField()
    score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    critical_failed = serializers.BooleanField()
    deviation = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)


class CalibrationReportSerializer(serializers.Serializer):
    session = serializers.IntegerField()
    title = serializers.CharField()
    state = serializers.CharField()
    reference = serializers.IntegerField(allow_null=True)
    reference_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    evaluators = ReportEvaluatorSerializer(many=True)
    criteria = ReportRowSerializer(many=True)
    score_spread = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)


# --- Evaluator teams -------------------------------------------------------------------------------


class EvaluatorTeamSerializer(ModelSerializer):
    user = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), help_text=_("A user with the quality role.")
    )
    team = serializers.SlugRelatedField(slug_field="name", queryset=Team.objects.all())

    class Meta:
        model = EvaluatorTeam
        fields = ["id", "user", "team", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators: list = []  # the pair's uniqueness is the service's (full_clean)
