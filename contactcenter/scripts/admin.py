"""Back-office screens for call scripts: managers edit a draft and publish it as a version.

Published versions are frozen: they can be read, never changed or deleted (an interaction may
record which one its agent followed).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Max, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from contactcenter.scripts.models import Script, ScriptVersion
from contactcenter.scripts.services import check_steps, script_publish


class ScriptVersionInline(admin.TabularInline):
    """The script's published versions, newest first, read-only."""

    model = ScriptVersion
    fields = ("number", "published_at", "published_by", "step_count")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-number",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("script", "published_by")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("steps"))
    def step_count(self, obj: ScriptVersion) -> int:
        return len(obj.steps or [])


@admin.action(description=_("Publish the draft as a new version"), permissions=["publish"])
def publish_draft(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    published = 0
    for script in queryset:
        try:
            version = script_publish(version=ScriptVersion(script=script, steps=script.draft), by=request.user)
        except ValidationError as exc:
            modeladmin.message_user(
                request,
                _("%(script)s was not published: %(error)s") % {"script": script, "error": " ".join(exc.messages)},
                messages.ERROR,
            )
            continue
        published += 1
        modeladmin.log_addition(request, version, [{"added": {}}])
    if published:
        modeladmin.message_user(
            request,
            ngettext("%(count)d script published.", "%(count)d scripts published.", published) % {"count": published},
            messages.SUCCESS,
        )


@admin.register(Script)
class ScriptAdmin(admin.ModelAdmin):
    list_display = ("name", "campaign", "queue_names", "latest_version", "is_active", "updated_at")
    list_filter = ("is_active", "queues")
    search_fields = ("name", "campaign", "description")
    ordering = ("name",)
    filter_horizontal = ("queues",)
    inlines = [ScriptVersionInline]
    actions = [publish_draft]
    fieldsets = (
        (None, {"fields": ("name", "description", "queues", "campaign", "is_active")}),
        (_("Draft"), {"fields": ("draft",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(latest_version_number=Max("versions__number"))
            .prefetch_related("queues")
        )

    def has_publish_permission(self, request: HttpRequest) -> bool:
        opts = ScriptVersion._meta
        return request.user.has_perm(f"{opts.app_label}.add_{opts.model_name}")

    @admin.display(description=_("queues"))
    def queue_names(self, obj: Script) -> str:
        return ", ".join(queue.name for queue in obj.queues.all()) or "—"

    @admin.display(description=_("published version"), ordering="latest_version_number")
    def latest_version(self, obj: Script) -> str:
        number = obj.latest_version_number
        return _("v%(number)s") % {"number": number} if number else _("not published")


class ScriptVersionAddForm(forms.ModelForm):
    class Meta:
        model = ScriptVersion
        fields = ("script", "steps")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["steps"].help_text = _("Leave empty to publish the script's current draft.")
        self.fields["steps"].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        script = cleaned.get("script")
        if script is not None and cleaned.get("steps") in (None, [], ""):
            cleaned["steps"] = script.draft
            self.instance.steps = script.draft
        if script is not None:
            try:
                check_steps(cleaned["steps"])
            except ValidationError as exc:
                self.add_error(None, exc.message_dict["steps"])
        return cleaned


@admin.register(ScriptVersion)
class ScriptVersionAdmin(admin.ModelAdmin):
    """Published versions: read here, added by publishing, never changed."""

    list_display = ("__str__", "script", "number", "step_count", "published_at", "published_by")
    list_select_related = ("script", "published_by")
    list_filter = ("script",)
    search_fields = ("script__name",)
    ordering = ("script__name", "-number")
    fields = ("script", "number", "steps", "published_at", "published_by")
    readonly_fields = ("number", "published_at", "published_by")

    def get_form(self, request: HttpRequest, obj: ScriptVersion | None = None, **kwargs: Any) -> type[forms.ModelForm]:
        if obj is None:
            kwargs["form"] = ScriptVersionAddForm
            kwargs["fields"] = ("script", "steps")
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request: HttpRequest, obj: ScriptVersion | None = None) -> tuple[str, ...]:
        return self.fields if obj else ("script", "steps")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ScriptVersion, form: forms.ModelForm, change: bool) -> None:
        script_publish(version=obj, by=request.user)

    @admin.display(description=_("steps"))
    def step_count(self, obj: ScriptVersion) -> int:
        return len(obj.steps or [])
