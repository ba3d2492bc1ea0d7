"""Back-office screens for the organisation: users and their agent profiles, teams, skills,
queues and the presence log.

Roles and presence are changed through :mod:`contactcenter.agents.services`, so that a role
always comes with its group (and staff flag) and a status change always closes and opens the
right presence intervals.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from contactcenter.agents.models import AgentProfile, Passkey, PresenceInterval, Queue, Role, Skill, Status, Team
from contactcenter.agents.services import agent_check_update, agent_provision, agent_set_role
from contactcenter.agents.states import agent_state_request
from contactcenter.core.admin_utils import LargeTablePaginator, visible
from contactcenter.core.formats import format_duration, format_span
from contactcenter.core.roles import ADMIN, role_of

User = get_user_model()

#: An agent's state on their profile: shown, changed only through the state machine (the actions).
STATE_FIELDS = ("status", "status_reason", "status_since", "pending_status", "pending_reason")


# --- Users and agent profiles -------------------------------------------------------------


def _may_assign_roles(request: HttpRequest) -> bool:
    """Only admins hand out roles: a supervisor who may edit agents must not promote anyone."""
    return role_of(request.user) == Role.ADMIN


def _autocompletes_a_form_the_user_may_fill(request: HttpRequest) -> bool:
    """Whether ``request`` is the admin's autocomplete for a field of a form the user may submit
    (an assignee on a ticket, the agent of an interaction)."""
    match = request.resolver_match
    if match is None or match.url_name != "autocomplete":
        return False
    try:
        source = apps.get_model(request.GET.get("app_label", ""), request.GET.get("model_name", ""))
    except (LookupError, ValueError):
        return False
    source_admin = admin.site._registry.get(source)
    return source_admin is not None and (
        source_admin.has_add_permission(request) or source_admin.has_change_permission(request)
    )


class AgentProfileInline(admin.StackedInline):
    """The agent side of a user: role, team, skills, queues; presence is shown, not edited."""

    model = AgentProfile
    fk_name = "user"
    can_delete = False
    extra = 1
    max_num = 1
    fields = ("role", "team", "skills", "queues", "extension", *STATE_FIELDS)
    readonly_fields = STATE_FIELDS
    autocomplete_fields = ("team", "skills", "queues")
    verbose_name = _("agent profile")
    verbose_name_plural = _("agent profile")


# django.contrib.auth registered its own user admin first (it comes before us in INSTALLED_APPS).
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class AgentUserAdmin(UserAdmin):
    """Django's user admin with the agent profile inline and the role as the source of groups."""

    inlines = [AgentProfileInline]
    list_display = ("username", "first_name", "last_name", "email", "agent_role", "agent_team", "is_staff", "is_active")
    list_select_related = ("agent_profile", "agent_profile__team")
    list_filter = ("agent_profile__role", "agent_profile__team", "is_staff", "is_superuser", "is_active")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Supervisors reassign tickets without the right to read the user accounts: the
        # assignee field's autocomplete (usernames only) is open to whoever may fill the form.
        if super().has_view_permission(request, obj):
            return True
        return obj is None and _autocompletes_a_form_the_user_may_fill(request)

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
        # A new user is saved in save_related, once its agent profile (if any) is known.

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)
            return
        profiles = [formset for formset in formsets if formset.model is AgentProfile]
        profile_form = next((f for formset in profiles for f in formset.forms if f.has_changed()), None)
        if profile_form is None:
            # A user with no role (an account for the back office only): Django's own way.
            form.instance.save()
            super().save_related(request, form, formsets, change)
            return
        self._provision(request, form, profile_form)
        for formset in profiles:
            # What the admin's change message and log entry read from a saved formset.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [profile_form.instance], [], []

    def _provision(self, request: HttpRequest, form: forms.ModelForm, profile_form: forms.ModelForm) -> None:
        """The user and their agent profile, skills and queues in one service call: the same
        provisioning as ``POST /api/v1/agents/``."""
        user, data = form.instance, profile_form.cleaned_data
        usable = form.cleaned_data.get("set_usable_password", True)
        profile = agent_provision(
            username=user.get_username(),
            password=form.cleaned_data.get("password1") if usable else None,
            role=data["role"],
            team=data.get("team"),
            queues=data.get("queues") or (),
            skills=data.get("skills") or (),
            first_name=user.first_name,
            last_name=user.last_name,
            email=user.email,
        )
        # The admin goes on with its objects (change message, log entry, redirect): they are now these.
        saved = profile.user
        user.pk, user.password, user.is_staff = saved.pk, saved.password, saved.is_staff
        user._state.adding, user._state.db = False, saved._state.db
        profile_form.instance = profile

    def save_formset(
        self, request: HttpRequest, form: forms.ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        if formset.model is not AgentProfile:
            super().save_formset(request, form, formset, change)
            return
        # Which profiles get a (new) role, read before saving: afterwards every form looks saved.
        moved = [
            inline_form.instance
            for inline_form in formset.forms
            if inline_form.has_changed() and ("role" in inline_form.changed_data or inline_form.instance._state.adding)
        ]
        super().save_formset(request, form, formset, change)
        for profile in moved:
            # Runs after the user form's groups were saved: the role decides the role group.
            agent_set_role(profile=profile, role=profile.role)

    @admin.display(description=_("role"), ordering="agent_profile__role")
    def agent_role(self, obj: Any) -> str:
        profile = getattr(obj, "agent_profile", None)
        return profile.get_role_display() if profile else "—"

    @admin.display(description=_("team"), ordering="agent_profile__team__name")
    def agent_team(self, obj: Any) -> str:
        profile = getattr(obj, "agent_profile", None)
        return str(profile.team) if profile and profile.team else "—"


@admin.action(description=_("Set offline"), permissions=["change"])
def set_offline(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    """Supervisors end a forgotten session: the agent's open presence interval is closed (the
    rules of the state machine: a supervisor, their team's agents only; an agent on a call goes
    offline once its wrap-up ends)."""
    done = 0
    for profile in queryset.select_related("user"):
        try:
            agent_state_request(profile=profile, status=Status.OFFLINE, by=request.user)
        except (ValidationError, PermissionDenied) as exc:
            error = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            modeladmin.message_user(
                request, _("%(agent)s: %(error)s") % {"agent": profile, "error": error}, messages.ERROR
            )
            continue
        done += 1
    if done:
        modeladmin.message_user(
            request,
            ngettext("%(count)d agent set offline.", "%(count)d agents set offline.", done) % {"count": done},
            messages.SUCCESS,
        )


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = (
        "username",
        "full_name",
        "role",
        "team",
        "status",
        "status_reason",
        "status_since",
        "pending_status",
    )
    list_select_related = ("user", "team")
    list_filter = ("status", "role", "team")
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email", "extension")
    ordering = ("user__username",)
    actions = [set_offline]
    autocomplete_fields = ("user", "team", "skills", "queues")
    fields = ("user", "role", "team", "skills", "queues", "extension", *STATE_FIELDS)
    readonly_fields = STATE_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible(super().get_queryset(request), AgentProfile.objects.visible_to(request.user))

    def get_readonly_fields(self, request: HttpRequest, obj: AgentProfile | None = None) -> tuple[str, ...]:
        fields = self.readonly_fields
        if obj is not None:
            fields = (*fields, "user")  # a profile stays with its user
        if not _may_assign_roles(request):
            fields = (*fields, "role")
        return fields

    def has_change_permission(self, request: HttpRequest, obj: AgentProfile | None = None) -> bool:
        # Supervisors hold the change permission for the "Set offline" action only: the profile's
        # form (team, queues, skills) is an admin's (agent_check_update), also their own profile.
        if obj is not None and role_of(request.user) != Role.ADMIN:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: AgentProfile, form: forms.ModelForm, change: bool) -> None:
        agent_check_update(by=request.user, profile=obj)
        super().save_model(request, obj, form, change)
        if not change or "role" in form.changed_data:
            agent_set_role(profile=obj, role=obj.role)

    @admin.display(description=_("username"), ordering="user__username")
    def username(self, obj: AgentProfile) -> str:
        return obj.user.get_username()

    @admin.display(description=_("name"), ordering="user__last_name")
    def full_name(self, obj: AgentProfile) -> str:
        return obj.user.get_full_name() or "—"


@admin.register(PresenceInterval)
class PresenceIntervalAdmin(admin.ModelAdmin):
    """The presence log is written by status changes only: here it is read."""

    list_display = ("agent", "status", "reason", "started_at", "ended_at", "duration", "set_by", "ended_by")
    list_select_related = ("agent", "set_by", "ended_by")
    list_filter = ("status", "reason", ("started_at", admin.DateFieldListFilter))
    search_fields = ("agent__username", "agent__first_name", "agent__last_name")
    ordering = ("-started_at",)
    list_per_page = 100
    show_full_result_count = False
    paginator = LargeTablePaginator

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible(
            super().get_queryset(request), AgentProfile.objects.visible_to(request.user), "agent__agent_profile"
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("duration"))
    def duration(self, obj: PresenceInterval) -> str:
        text = format_duration(obj.seconds())
        return text if obj.ended_at else _("%(duration)s (ongoing)") % {"duration": text}


# --- Organisation ------------------------------------------------------------------------


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "member_count", "description", "updated_at")
    search_fields = ("name",)
    ordering = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("agents"), ordering="member_count")
    def member_count(self, obj: Team) -> int:
        return obj.member_count


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ("name", "description")
    search_fields = ("name",)
    ordering = ("name",)


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ("name", "channel", "service_level_goal", "skill_names", "agent_count", "is_active")
    list_filter = ("channel", "is_active", "skills")
    search_fields = ("name",)
    ordering = ("name",)
    filter_horizontal = ("skills",)
    fieldsets = (
        (None, {"fields": ("name", "channel", "skills", "service_level_seconds", "service_level_target", "is_active")}),
        (
            _("Wrap-up"),
            {"fields": ("wrapup_limit_seconds", "wrapup_requires_disposition", "wrapup_requires_notes")},
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(agent_count=Count("agents", distinct=True))
            .prefetch_related("skills")
        )

    @admin.display(description=_("service level goal"))
    def service_level_goal(self, obj: Queue) -> str:
        return _("%(percent)s %% in %(span)s") % {
            "percent": round(obj.service_level_target * 100),
            "span": format_span(obj.service_level_seconds),
        }

    @admin.display(description=_("skills"))
    def skill_names(self, obj: Queue) -> str:
        return ", ".join(skill.name for skill in obj.skills.all()) or "—"

    @admin.display(description=_("agents"), ordering="agent_count")
    def agent_count(self, obj: Queue) -> int:
        return obj.agent_count


@admin.register(Passkey)
class PasskeyAdmin(admin.ModelAdmin):
    """Admins only: every user's passkeys, when each was added and last used; a lost one is deleted
    here (the user adds passkeys from the desk, never here). A user's whole second factor is reset by
    deleting their passkeys here and their TOTP and static devices in their own lists."""

    list_display = ("user", "name", "created_at", "last_used_at")
    list_select_related = ("user",)
    list_filter = ("created_at", "last_used_at")
    search_fields = ("user__username", "name")
    fields = ("user", "name", "created_at", "last_used_at", "aaguid", "transports", "backup_eligible")
    readonly_fields = fields

    def _is_admin(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff and role_of(request.user) == ADMIN

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_admin(request)
