"""Quality management (SPEC §14): scorecards, evaluations, disputes, calibration, sampling and the
training loop.

A scorecard is edited as a draft version and published as an immutable, numbered version, like a
call script. An evaluation scores one interaction against one published version; the agent
acknowledges or disputes it, and a dispute is decided by another evaluator. A calibration session
puts one interaction in front of several evaluators blind. Sampling rules fill the evaluators'
queue; training rules assign a course when a criterion's average drops under a threshold.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contactcenter.core.choices import Channel


class Scorecard(models.Model):
    name = models.CharField(_("name"), max_length=150, unique=True)
    description = models.TextField(_("description"), blank=True)
    queue = models.ForeignKey(
        "agents.Queue",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scorecards",
        verbose_name=_("queue"),
        help_text=_("The queue whose interactions it scores; empty: any queue."),
    )
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=Channel.choices,
        blank=True,
        help_text=_("The channel whose interactions it scores; empty: any channel."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")

    def __str__(self) -> str:
        return self.name


class VersionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ScorecardVersion(models.Model):
    """One version of a scorecard: a draft being edited, or a published one, frozen.

    A published version is immutable, its sections and criteria too (their ``save()`` and
    ``delete()`` refuse); a change is made in a new draft (``scorecard_version_new_draft``) and
    published as the next number (``scorecard_version_publish``).
    """

    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.CASCADE, related_name="versions", verbose_name=_("scorecard")
    )
    number = models.PositiveIntegerField(_("version number"))
    state = models.CharField(_("state"), max_length=10, choices=VersionState.choices, default=VersionState.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["scorecard", "-number"]
        verbose_name = _("scorecard version")
        verbose_name_plural = _("scorecard versions")
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "number"], name="quality_version_number_unique"),
            # One draft at a time per scorecard.
            models.UniqueConstraint(fields=["scorecard"], condition=Q(state="draft"), name="quality_version_one_draft"),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(published_at__isnull=False),
                name="quality_version_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scorecard.name} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and self.pk is not None:
            stored = type(self)._default_manager.filter(pk=self.pk).values_list("state", flat=True).first()
            if stored == VersionState.PUBLISHED:
                raise ValidationError(_("A published scorecard version cannot be changed; make a new draft."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.state == VersionState.PUBLISHED:
            raise ValidationError(_("A published scorecard version cannot be deleted."))
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.state == VersionState.PUBLISHED


class _FrozenWithVersion(models.Model):
    """A part of a scorecard version: frozen once its version is published."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._version_state() == VersionState.PUBLISHED:
            raise ValidationError(_("A published scorecard version cannot be changed; make a new draft."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self._version_state() == VersionState.PUBLISHED:
            raise ValidationError(_("A published scorecard version cannot be changed; make a new draft."))
        return super().delete(*args, **kwargs)

    def _version_state(self) -> str | None:
        raise NotImplementedError


class ScorecardSection(_FrozenWithVersion):
    version = models.ForeignKey(
        ScorecardVersion, on_delete=models.CASCADE, related_name="sections", verbose_name=_("version")
    )
    title = models.CharField(_("title"), max_length=150)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["version", "position", "id"]
        verbose_name = _("scorecard section")
        verbose_name_plural = _("scorecard sections")

    def __str__(self) -> str:
        return self.title

    def _version_state(self) -> str | None:
        if self.version_id is None:
            return None
        return ScorecardVersion.objects.filter(pk=self.version_id).values_list("state", flat=True).first()


class Scale(models.TextChoices):
    YES_NO = "yes_no", _("Yes / no")
    POINTS = "points", _("Points (0 to n)")


class Criterion(_FrozenWithVersion):
    section = models.ForeignKey(
        ScorecardSection, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("section")
    )
    key = models.SlugField(
        _("key"),
        max_length=60,
        help_text=_("A short name kept from version to version (training rules name it), e.g. greeting."),
    )
    title = models.CharField(_("title"), max_length=200)
    guidance = models.TextField(_("guidance"), blank=True, help_text=_("What the evaluator looks for."))
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    scale = models.CharField(_("scale"), max_length=10, choices=Scale.choices, default=Scale.YES_NO)
    max_points = models.PositiveSmallIntegerField(
        _("maximum points"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("For a points scale: the best answer, from 1 to 10."),
    )
    allow_na = models.BooleanField(_("may be not applicable"), default=False)
    critical = models.BooleanField(
        _("critical"), default=False, help_text=_("Failed (no, or 0 points), it fails the whole evaluation.")
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["section__position", "section_id", "position", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=1), name="quality_criterion_weight_positive"),
            models.CheckConstraint(
                condition=Q(scale="yes_no", max_points__isnull=True)
                | Q(scale="points", max_points__gte=1, max_points__lte=10),
                name="quality_criterion_scale_points",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def maximum(self) -> int:
        """The best value: 1 (yes) on a yes/no scale, ``max_points`` on a points scale."""
        return 1 if self.scale == Scale.YES_NO else int(self.max_points or 1)

    def clean(self) -> None:
        super().clean()
        if self.scale == Scale.YES_NO and self.max_points is not None:
            raise ValidationError({"max_points": _("A yes/no criterion has no maximum points.")})
        if self.scale == Scale.POINTS and not self.max_points:
            raise ValidationError({"max_points": _("A points criterion needs its maximum points (1 to 10).")})

    def _version_state(self) -> str | None:
        if self.section_id is None:
            return None
        return ScorecardSection.objects.filter(pk=self.section_id).values_list("version__state", flat=True).first()


class EvaluationKind(models.TextChoices):
    REGULAR = "regular", _("Regular")
    CALIBRATION = "calibration", _("Calibration")


class EvaluationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    DISPUTED = "disputed", _("Disputed")
    FINAL = "final", _("Final")


#: The states an agent sees their evaluation in: published to them, and after.
SHOWN_TO_AGENT = (
    EvaluationState.PUBLISHED,
    EvaluationState.ACKNOWLEDGED,
    EvaluationState.DISPUTED,
    EvaluationState.FINAL,
)


class Evaluation(models.Model):
    # No database constraint: the interactions table may be partitioned by month, and a foreign
    # key to it would need the month too (interactions/partitions.py). Django keeps on_delete.
    interaction = models.ForeignKey(
        "interactions.Interaction",
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="evaluations",
        verbose_name=_("interaction"),
    )
    version = models.ForeignKey(
        ScorecardVersion, on_delete=models.PROTECT, related_name="evaluations", verbose_name=_("scorecard version")
    )
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="quality_evaluations_made",
        verbose_name=_("evaluator"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="quality_evaluations",
        verbose_name=_("agent"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EvaluationKind.choices, default=EvaluationKind.REGULAR)
    state = models.CharField(_("state"), max_length=12, choices=EvaluationState.choices, default=EvaluationState.DRAFT)
    score = models.DecimalField(
        _("score (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty until published, and when every criterion is not applicable."),
    )
    critical_failed = models.BooleanField(_("critical criterion failed"), default=False)
    comment = models.TextField(_("comment"), blank=True)
    calibration = models.ForeignKey(
        "CalibrationSession",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="evaluations",
        verbose_name=_("calibration session"),
    )
    sample = models.ForeignKey(
        "SampleItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evaluations",
        verbose_name=_("sample"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    # Every change of state and score (a dispute's decision included): who and when.
    history = HistoricalRecords(verbose_name=_("historical evaluation"), verbose_name_plural=_("evaluation history"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        indexes = [
            models.Index(fields=["agent", "state", "published_at"], name="quality_eval_agent_idx"),
            models.Index(fields=["state", "published_at"], name="quality_eval_state_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="quality_evaluation_score_percent",
            ),
            models.CheckConstraint(
                condition=Q(kind="regular", calibration__isnull=True)
                | Q(kind="calibration", calibration__isnull=False),
                name="quality_evaluation_calibration_kind",
            ),
            # One calibration evaluation per evaluator and session.
            models.UniqueConstraint(
                fields=["calibration", "evaluator"],
                condition=Q(calibration__isnull=False),
                name="quality_calibration_one_per_evaluator",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.version}"

    @property
    def is_draft(self) -> bool:
        return self.state == EvaluationState.DRAFT


class EvaluationAnswer(models.Model):
    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="answers", verbose_name=_("evaluation")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="answers", verbose_name=_("criterion")
    )
    value = models.PositiveSmallIntegerField(
        _("value"), null=True, blank=True, help_text=_("Yes = 1, no = 0, or the points given.")
    )
    not_applicable = models.BooleanField(_("not applicable"), default=False)
    comment = models.TextField(_("comment"), blank=True)
    history = HistoricalRecords(
        verbose_name=_("historical evaluation answer"), verbose_name_plural=_("evaluation answer history")
    )

    class Meta:
        ordering = ["evaluation", "criterion__section__position", "criterion__position", "criterion_id"]
        verbose_name = _("evaluation answer")
        verbose_name_plural = _("evaluation answers")
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "criterion"], name="quality_answer_once"),
            models.CheckConstraint(
                condition=Q(not_applicable=False) | Q(value__isnull=True), name="quality_answer_na_has_no_value"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {'n/a' if self.not_applicable else self.value}"


class DisputeDecision(models.TextChoices):
    PENDING = "", _("Pending")
    UPHELD = "upheld", _("Upheld (the evaluation stands)")
    OVERTURNED = "overturned", _("Overturned (the evaluation is corrected)")


class Dispute(models.Model):
    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="disputes", verbose_name=_("evaluation")
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("raised by")
    )
    reason = models.TextField(_("reason"))
    raised_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quality_disputes_reviewed",
        verbose_name=_("reviewer"),
        help_text=_("Another evaluator than the one who scored it."),
    )
    decision = models.CharField(
        _("decision"), max_length=12, choices=DisputeDecision.choices, blank=True, default=DisputeDecision.PENDING
    )
    decision_comment = models.TextField(_("decision comment"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    score_before = models.DecimalField(_("score before"), max_digits=5, decimal_places=2, null=True, blank=True)
    score_after = models.DecimalField(_("score after"), max_digits=5, decimal_places=2, null=True, blank=True)
    history = HistoricalRecords(verbose_name=_("historical dispute"), verbose_name_plural=_("dispute history"))

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        constraints = [
            # One dispute per evaluation: the decision on it is final.
            models.UniqueConstraint(fields=["evaluation"], name="quality_dispute_once"),
            models.CheckConstraint(
                condition=Q(decision="", decided_at__isnull=True) | (~Q(decision="") & Q(decided_at__isnull=False)),
                name="quality_dispute_decided_has_date",
            ),
        ]

    def __str__(self) -> str:
        return _("Dispute of evaluation #%(id)s") % {"id": self.evaluation_id}

    @property
    def is_open(self) -> bool:
        return self.decision == DisputeDecision.PENDING


class CalibrationState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class CalibrationSession(models.Model):
    title = models.CharField(_("title"), max_length=200)
    # No database constraint: the interactions table may be partitioned by month, and a foreign
    # key to it would need the month too (interactions/partitions.py). Django keeps on_delete.
    interaction = models.ForeignKey(
        "interactions.Interaction",
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="calibration_sessions",
        verbose_name=_("interaction"),
    )
    version = models.ForeignKey(
        ScorecardVersion, on_delete=models.PROTECT, related_name="calibrations", verbose_name=_("scorecard version")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    evaluators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="quality_calibrations", verbose_name=_("evaluators")
    )
    reference = models.ForeignKey(
        Evaluation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reference evaluation"),
        help_text=_("The evaluation the others are compared with."),
    )
    state = models.CharField(_("state"), max_length=10, choices=CalibrationState.choices, default=CalibrationState.OPEN)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("calibration session")
        verbose_name_plural = _("calibration sessions")

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state == CalibrationState.OPEN


class EvaluatorTeam(models.Model):
    """A team whose interactions a QA evaluator (a user with the ``quality`` role) sees and evaluates."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="quality_teams",
        verbose_name=_("evaluator"),
    )
    team = models.ForeignKey(
        "agents.Team", on_delete=models.CASCADE, related_name="quality_evaluators", verbose_name=_("team")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["user", "team"]
        verbose_name = _("evaluator team")
        verbose_name_plural = _("evaluator teams")
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="quality_evaluator_team_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.team}"


class SamplingRule(models.Model):
    name = models.CharField(_("name"), max_length=150, unique=True)
    queue = models.ForeignKey(
        "agents.Queue",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sampling_rules",
        verbose_name=_("queue"),
        help_text=_("Empty: every queue."),
    )
    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.CASCADE, related_name="sampling_rules", verbose_name=_("scorecard")
    )
    per_agent_per_week = models.PositiveSmallIntegerField(
        _("interactions per agent per week"), default=2, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    channels = models.JSONField(
        _("channels"), default=list, blank=True, help_text=_("The channels sampled, spread evenly; empty: all.")
    )
    min_duration_seconds = models.PositiveIntegerField(_("minimum duration (seconds)"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("sampling rule")
        verbose_name_plural = _("sampling rules")

    def __str__(self) -> str:
        return self.name


class SampleState(models.TextChoices):
    OPEN = "open", _("To evaluate")
    DONE = "done", _("Evaluated")
    SKIPPED = "skipped", _("Skipped")


class SampleItem(models.Model):
    rule = models.ForeignKey(SamplingRule, on_delete=models.CASCADE, related_name="items", verbose_name=_("rule"))
    # No database constraint: the interactions table may be partitioned by month, and a foreign
    # key to it would need the month too (interactions/partitions.py). Django keeps on_delete.
    interaction = models.OneToOneField(
        "interactions.Interaction",
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="quality_sample",
        verbose_name=_("interaction"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quality_samples", verbose_name=_("agent")
    )
    week = models.DateField(_("week (Monday)"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quality_queue",
        verbose_name=_("assigned to"),
    )
    state = models.CharField(_("state"), max_length=10, choices=SampleState.choices, default=SampleState.OPEN)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["week", "created_at", "id"]
        verbose_name = _("sampled interaction")
        verbose_name_plural = _("sampled interactions")
        indexes = [
            models.Index(fields=["assigned_to", "state"], name="quality_sample_queue_idx"),
            models.Index(fields=["rule", "agent", "week"], name="quality_sample_week_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} · {self.interaction_id}"


class TrainingRule(models.Model):
    name = models.CharField(_("name"), max_length=150, unique=True)
    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.CASCADE, related_name="training_rules", verbose_name=_("scorecard")
    )
    criterion_key = models.SlugField(_("criterion key"), max_length=60)
    threshold = models.PositiveSmallIntegerField(
        _("threshold (%)"),
        validators=[MaxValueValidator(100)],
        help_text=_("The course is assigned when the criterion's average score falls under it."),
    )
    last_n = models.PositiveSmallIntegerField(
        _("over the last N evaluations"), default=5, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    course = models.ForeignKey(
        "training.Course", on_delete=models.CASCADE, related_name="quality_rules", verbose_name=_("course")
    )
    due_days = models.PositiveSmallIntegerField(_("due in (days)"), default=14)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("training rule")
        verbose_name_plural = _("training rules")
        constraints = [
            models.CheckConstraint(condition=Q(threshold__lte=100), name="quality_training_threshold_percent"),
        ]

    def __str__(self) -> str:
        return self.name


class TrainingRuleHit(models.Model):
    rule = models.ForeignKey(TrainingRule, on_delete=models.CASCADE, related_name="hits", verbose_name=_("rule"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quality_rule_hits", verbose_name=_("agent")
    )
    assignment = models.ForeignKey(
        "training.Assignment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quality_hits",
        verbose_name=_("assignment"),
    )
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("training rule hit")
        verbose_name_plural = _("training rule hits")
        constraints = [models.UniqueConstraint(fields=["rule", "agent"], name="quality_training_hit_once")]

    def __str__(self) -> str:
        return f"{self.rule} · {self.agent}"
