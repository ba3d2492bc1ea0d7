"""Quality in the back office: scorecards (managers write them; a version's sections and criteria
one click away), evaluations and disputes (read, with their history), calibration sessions and
the teams each QA evaluator covers (admins).

Every write goes through :mod:`contactcenter.quality.services`, as the API's: a published version
refuses any change, evaluations are scored only by their evaluator.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from contactcenter.core.admin_utils import ReadOnlyHistoryAdmin, admin_change_link, visible
from contactcenter.core.roles import Role
from contactcenter.quality import selectors, services
from contactcenter.quality.models import (
    CalibrationSession,
    CalibrationState,
    Criterion,
    Dispute,
    Evaluation,
    EvaluationAnswer,
    EvaluatorTeam,
    SampleItem,
    SamplingRule,
    Scorecard,
    ScorecardSection,
    ScorecardVersion,
    TrainingRule,
    TrainingRuleHit,
    VersionState,
)
from contactcenter.quality.rules import rule_hits_visible_to


def _message_of(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


# --- Scorecards ------------------------------------------------------------------------------------


class ScorecardVersionInline(admin.TabularInline):
    model = ScorecardVersion
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("number", "state", "published_at", "published_by")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.action(description=_("Open a new draft version (a copy of the latest published one)"))
def new_draft(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    made = 0
    for scorecard in queryset:
        try:
            services.scorecard_version_new_draft(scorecard=scorecard, by=request.user)
            made += 1
        except (ValidationError, PermissionDenied) as error:
            modeladmin.message_user(request, f"{scorecard}: {_message_of(error)}", messages.ERROR)
    if made:
        modeladmin.message_user(request, ngettext("%d draft opened.", "%d drafts opened.", made) % made)


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ("name", "queue", "channel", "is_active", "created_at")
    list_filter = ("is_active", "channel", "queue")
    list_select_related = ("queue",)
    search_fields = ("name", "description")
    fields = ("name", "description", "queue", "channel", "is_active")
    inlines = [ScorecardVersionInline]
    actions = [new_draft]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible(super().get_queryset(request), selectors.scorecards_visible_to(request.user))

    def save_model(self, request: HttpRequest, obj: Scorecard, form: forms.ModelForm, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in self.fields}
        if change:
            services.scorecard_update(scorecard=Scorecard.objects.get(pk=obj.pk), by=request.user, **data)
        else:
            created = services.scorecard_create(by=request.user, **data)
            obj.pk, obj._state.adding, obj._state.db = created.pk, False, created._state.db


class SectionInline(admin.TabularInline):
    """A version's sections; each opens on its criteria (``show_change_link``)."""

    model = ScorecardSection
    extra = 0
    show_change_link = True
    fields = ("title", "position", "criteria_count")
    readonly_fields = ("criteria_count",)

    @admin.display(description=_("criteria"))
    def criteria_count(self, section: ScorecardSection) -> int:
        return section.criteria.count() if section.pk else 0

    def _editable(self, obj: ScorecardVersion | None) -> bool:
        return obj is None or obj.state == VersionState.DRAFT

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.action(description=_("Publish the selected drafts"))
def publish_versions(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    done = 0
    for version in queryset.filter(state=VersionState.DRAFT):
        try:
            services.scorecard_version_publish(version=version, by=request.user)
            done += 1
        except (ValidationError, PermissionDenied) as error:
            modeladmin.message_user(request, f"{version}: {_message_of(error)}", messages.ERROR)
    if done:
        modeladmin.message_user(request, ngettext("%d version published.", "%d versions published.", done) % done)


@admin.register(ScorecardVersion)
class ScorecardVersionAdmin(admin.ModelAdmin):
    """A version with its sections; a published one is read-only."""

    list_display = ("__str__", "state", "published_at", "published_by")
    list_filter = ("state", "scorecard")
    list_select_related = ("scorecard", "published_by")
    fields = ("scorecard", "number", "state", "published_at", "published_by")
    readonly_fields = fields
    inlines = [SectionInline]
    actions = [publish_versions]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible(super().get_queryset(request), selectors.versions_visible_to(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a draft is opened from its scorecard ("Open a new draft version")

    def has_delete_permission(self, request: HttpRequest, obj: ScorecardVersion | None = None) -> bool:
        return (obj is None or obj.state == VersionState.DRAFT) and super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: ScorecardVersion) -> None:
        services.scorecard_version_delete_draft(version=obj, by=request.user)


class CriterionInline(admin.StackedInline):
    model = Criterion
    extra = 0
    fields = (("key", "title"), "guidance", ("weight", "scale", "max_points"), ("allow_na", "critical"), "position")

    def _editable(self, obj: ScorecardSection | None) -> bool:
        return obj is None or obj.version.state == VersionState.DRAFT

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.register(ScorecardSection)
class ScorecardSectionAdmin(admin.ModelAdmin):
    """A section with its criteria (opened from its version)."""

    list_display = ("title", "version", "position")
    list_select_related = ("version__scorecard",)
    fields = ("version", "title", "position")
    inlines = [CriterionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible(super().get_queryset(request), selectors.versions_visible_to(request.user), through="version")

    def get_readonly_fields(self, request: HttpRequest, obj: ScorecardSection | None = None) -> tuple:
        if obj is not None and obj.version.state != VersionState.DRAFT:
            return self.fields
        return ("version",) if obj is not None else ()

    def has_change_permission(self, request: HttpRequest, obj: ScorecardSection | None = None) -> bool:
        if obj is not None and obj.version.state != VersionState.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: ScorecardSection | None = None) -> bool:
        if obj is not None and obj.version.state != VersionState.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        return {}  # reached from its version, not listed on the index

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "version":
            kwargs["queryset"] = ScorecardVersion.objects.filter(state=VersionState.DRAFT).select_related("scorecard")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- Evaluations and disputes ---------------------------------------------------------------------


class AnswerInline(admin.TabularInline):
    model = EvaluationAnswer
    extra = 0
    can_delete = False
    fields = ("criterion", "value", "not_applicable", "comment")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("criterion")


class DisputeInline(admin.StackedInline):
    model = Dispute
    extra = 0
    can_delete = False
    fields = ("raised_by", "raised_at", "reason", "reviewer", "decision", "decision_comment", "decided_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyHistoryAdmin):
    """Evaluations are read here (scored on the desk or through the API); their history says who
    changed which state and score when."""

    list_display = ("id", "agent", "evaluator", "scorecard_version", "kind", "state", "score", "critical_failed")
    list_filter = ("state", "kind", "critical_failed", "version__scorecard")
    list_select_related = ("agent", "evaluator", "version__scorecard")
    search_fields = ("agent__username", "evaluator__username")
    date_hierarchy = "created_at"
    fields = (
        "interaction_link",
        "version",
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
    )
    readonly_fields = fields
    inlines = [AnswerInline, DisputeInline]

    @admin.display(description=_("scorecard version"), ordering="version__scorecard__name")
    def scorecard_version(self, evaluation: Evaluation) -> str:
        return str(evaluation.version)

    @admin.display(description=_("interaction"))
    def interaction_link(self, evaluation: Evaluation) -> str:
        return admin_change_link(evaluation.interaction)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible(super().get_queryset(request), selectors.evaluations_visible_to(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Evaluation | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Evaluation | None = None) -> bool:
        return False


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyHistoryAdmin):
    """Disputes and their decisions (taken on the desk or through the API), with their history."""

    list_display = ("evaluation", "raised_by", "raised_at", "reviewer", "decision", "score_before", "score_after")
    list_filter = ("decision",)
    list_select_related = ("evaluation__version__scorecard", "raised_by", "reviewer")
    fields = (
        "evaluation",
        "raised_by",
        "raised_at",
        "reason",
        "reviewer",
        "decision",
        "decision_comment",
        "decided_at",
        "score_before",
        "score_after",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible(super().get_queryset(request), selectors.disputes_visible_to(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Dispute | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Dispute | None = None) -> bool:
        return False


# --- Calibration and evaluator teams ---------------------------------------------------------------


class CalibrationForm(forms.ModelForm):
    class Meta:
        model = CalibrationSession
        fields = ("title", "interaction", "version", "evaluators")

    def clean_evaluators(self) -> Any:
        evaluators = self.cleaned_data["evaluators"]
        if len(evaluators) < 2:
            raise ValidationError(_("A calibration session needs two evaluators at least."))
        return evaluators

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "version" in self.fields:
            self.fields["version"].queryset = ScorecardVersion.objects.filter(
                state=VersionState.PUBLISHED
            ).select_related("scorecard")


@admin.action(description=_("Close the selected sessions (their scores show)"))
def close_sessions(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    done = 0
    for session in queryset.filter(state=CalibrationState.OPEN):
        try:
            services.calibration_close(session=session, by=request.user)
            done += 1
        except (ValidationError, PermissionDenied) as error:
            modeladmin.message_user(request, f"{session}: {_message_of(error)}", messages.ERROR)
    if done:
        modeladmin.message_user(request, ngettext("%d session closed.", "%d sessions closed.", done) % done)


@admin.register(CalibrationSession)
class CalibrationSessionAdmin(admin.ModelAdmin):
    form = CalibrationForm
    list_display = ("title", "version", "state", "created_by", "created_at", "closed_at")
    list_filter = ("state",)
    list_select_related = ("version__scorecard", "created_by")
    raw_id_fields = ("interaction",)
    filter_horizontal = ("evaluators",)
    actions = [close_sessions]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible(super().get_queryset(request), selectors.calibrations_visible_to(request.user))

    def get_fields(self, request: HttpRequest, obj: CalibrationSession | None = None) -> tuple:
        if obj is None:
            return ("title", "interaction", "version", "evaluators")
        return ("title", "interaction", "version", "evaluators", "reference", "state", "created_by", "closed_at")

    def get_readonly_fields(self, request: HttpRequest, obj: CalibrationSession | None = None) -> tuple:
        return self.get_fields(request, obj) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: CalibrationSession, form: forms.ModelForm, change: bool) -> None:
        if change:
            return
        try:
            created = services.calibration_create(
                title=form.cleaned_data["title"],
                interaction=form.cleaned_data["interaction"],
                version=form.cleaned_data["version"],
                evaluators=list(form.cleaned_data["evaluators"]),
                by=request.user,
            )
        except ValidationError as error:
            raise PermissionDenied(_message_of(error)) from error
        obj.pk, obj._state.adding, obj._state.db = created.pk, False, created._state.db

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        pass  # the service set the evaluators


@admin.register(EvaluatorTeam)
class EvaluatorTeamAdmin(admin.ModelAdmin):
    list_display = ("user", "team", "created_at")
    list_filter = ("team",)
    list_select_related = ("user", "team")
    search_fields = ("user__username",)
    fields = ("user", "team")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("user", "team")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user":
            # Teams are given to QA evaluators only (the service says so too).
            kwargs["queryset"] = db_field.related_model._default_manager.filter(
                agent_profile__role=Role.QUALITY
            ).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: EvaluatorTeam | None = None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: EvaluatorTeam, form: forms.ModelForm, change: bool) -> None:
        created = services.evaluator_team_add(user=obj.user, team=obj.team, by=request.user)
        obj.pk, obj._state.adding, obj._state.db = created.pk, False, created._state.db

    def delete_model(self, request: HttpRequest, obj: EvaluatorTeam) -> None:
        services.evaluator_team_remove(link=obj, by=request.user)


# --- Sampling and training rules (the quality loop: sampling.py, rules.py) ------------------------


@admin.register(SamplingRule)
class SamplingRuleAdmin(admin.ModelAdmin):
    """What is sampled each week (``manage.py quality_sample``, the weekly job ``quality_sample``)."""

    list_display = ("name", "queue", "scorecard", "per_agent_per_week", "channels", "min_duration_seconds", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("queue", "scorecard")
    search_fields = ("name",)
    fields = ("name", "queue", "scorecard", "per_agent_per_week", "channels", "min_duration_seconds", "is_active")

    def save_model(self, request: HttpRequest, obj: SamplingRule, form: forms.ModelForm, change: bool) -> None:
        obj.full_clean()
        super().save_model(request, obj, form, change)


@admin.register(SampleItem)
class SampleItemAdmin(admin.ModelAdmin):
    """The sampled interactions in the evaluators' queues: who has which, and done or not."""

    list_display = ("week", "rule", "interaction", "agent", "assigned_to", "state")
    list_filter = ("state", "week", "rule")
    list_select_related = ("rule", "interaction", "agent", "assigned_to")
    search_fields = ("agent__username", "assigned_to__username")
    fields = ("rule", "interaction", "agent", "week", "assigned_to", "state", "created_at")
    readonly_fields = ("rule", "interaction", "agent", "week", "created_at")
    raw_id_fields = ("assigned_to",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(TrainingRule)
class TrainingRuleAdmin(admin.ModelAdmin):
    """ "Criterion under S % over the last N evaluations → course": the closed loop (rules.py)."""

    list_display = ("name", "scorecard", "criterion_key", "threshold", "last_n", "course", "due_days", "is_active")
    list_filter = ("is_active", "scorecard")
    list_select_related = ("scorecard", "course")
    search_fields = ("name", "criterion_key")
    fields = ("name", "scorecard", "criterion_key", "threshold", "last_n", "course", "due_days", "is_active")

    def save_model(self, request: HttpRequest, obj: TrainingRule, form: forms.ModelForm, change: bool) -> None:
        obj.full_clean()
        super().save_model(request, obj, form, change)


@admin.register(TrainingRuleHit)
class TrainingRuleHitAdmin(admin.ModelAdmin):
    """Each time a training rule assigned its course, with the reason (read-only)."""

    list_display = ("created_at", "rule", "agent", "assignment", "reason")
    list_filter = ("rule",)
    list_select_related = ("rule", "agent", "assignment__course")
    search_fields = ("agent__username", "rule__name")
    fields = ("rule", "agent", "assignment", "reason", "created_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # A supervisor follows their team's agents (the training rules' reasons), a manager everyone.
        return rule_hits_visible_to(request.user).select_related("assignment__course")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: TrainingRuleHit | None = None) -> bool:
        return False
