"""Back-office screens for call scripts: managers edit a draft and publish it as a version.

The script's page links to its own screens (``ScriptAdmin.get_urls``): the step editor, a preview
that walks the draft as the agent desktop will, publishing (with the changes since the last
version and the validation problems), each version, the comparison of two versions (or of a
version and the draft), restoring a version as the draft. The analytics of each version are a
report of the back office's "Reports" (``script-versions``); the script's pages link to it.

Published versions are frozen: they can be read, never changed or deleted (an interaction may
record which one its agent followed). Every write goes through
:mod:`contactcenter.scripts.services`, so that the history says who changed the draft and when.
Who may edit comes from the role groups (``contactcenter.agents.roles``): managers and admins
change scripts and publish; supervisors read them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from contactcenter.core.admin_utils import ReadOnlyHistoryAdmin, visible
from contactcenter.scripts.editor import rows_for, steps_from_post
from contactcenter.scripts.graph import errors_of, validate_steps
from contactcenter.scripts.models import Script, ScriptVersion
from contactcenter.scripts.selectors import (
    parse_trail,
    script_diff,
    script_step,
    script_versions,
)
from contactcenter.scripts.services import (
    check_steps,
    script_create,
    script_publish,
    script_restore,
    script_update,
    script_update_draft,
)
from interactions.models import Disposition

#: The customer the preview fills the placeholders with.
SAMPLE_CUSTOMER = {
    "first_name": "Amélie",
    "last_name": "Poulain",
    "customer": "Amélie Poulain",
    "company": "Café des 2 Moulins",
}


def _admin_url(name: str, *args: Any) -> str:
    return reverse(f"admin:scripts_script_{name}", args=args)


def analytics_url(script_id: int | str) -> str:
    """The "Script analytics" report of one script (a page of the back office's reports)."""
    return f"{reverse('admin:kpis-report', args=['script-versions'])}?{urlencode({'script': script_id})}"


class ScriptVersionInline(admin.TabularInline):
    """The script's published versions, newest first, read-only, each with its screens."""

    model = ScriptVersion
    fields = ("number", "published_at", "published_by", "step_count", "links")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-number",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("script", "published_by")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("steps"))
    def step_count(self, obj: ScriptVersion) -> int:
        return len(obj.steps or [])

    @admin.display(description=_("actions"))
    def links(self, obj: ScriptVersion) -> str:
        script_id = obj.script_id
        items = [
            (_admin_url("version", script_id, obj.number), gettext("View")),
            (_admin_url("preview", script_id) + f"?version={obj.number}", gettext("Preview")),
            (_admin_url("compare", script_id) + f"?a=draft&b={obj.number}", gettext("Compare with the draft")),
        ]
        if obj.number > 1:
            items.insert(
                1,
                (
                    _admin_url("compare", script_id) + f"?a={obj.number - 1}&b={obj.number}",
                    gettext("Compare with previous"),
                ),
            )
        items.append((_admin_url("restore", script_id, obj.number), gettext("Restore as draft")))
        return format_html_join(" · ", '<a href="{}">{}</a>', items)


@admin.action(description=_("Publish the draft as a new version"), permissions=["publish"])
def publish_draft(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    published = 0
    for script in queryset:
        try:
            version = script_publish(script=script, by=request.user)
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


class ScriptAdminForm(forms.ModelForm):
    class Meta:
        model = Script
        fields = ("name", "description", "queues", "campaign", "is_active")


@admin.register(Script)
class ScriptAdmin(ReadOnlyHistoryAdmin):
    form = ScriptAdminForm
    list_display = ("name", "campaign", "queue_names", "latest_version", "is_active", "updated_at")
    list_filter = ("is_active", "queues")
    search_fields = ("name", "campaign", "description")
    ordering = ("name",)
    filter_horizontal = ("queues",)
    inlines = [ScriptVersionInline]
    actions = [publish_draft]
    readonly_fields = ("draft_summary",)
    change_form_template = "admin/scripts/script/change_form.html"
    fieldsets = (
        (None, {"fields": ("name", "description", "queues", "campaign", "is_active")}),
        (_("Draft"), {"fields": ("draft_summary",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = (
            super()
            .get_queryset(request)
            .annotate(latest_version_number=Max("versions__number"))
            .prefetch_related("queues")
        )
        return visible(queryset, Script.objects.visible_to(request.user))

    def get_fieldsets(self, request: HttpRequest, obj: Script | None = None) -> Any:
        return self.fieldsets if obj else self.fieldsets[:1]

    def get_inlines(self, request: HttpRequest, obj: Script | None) -> list:
        return self.inlines if obj else []

    def has_publish_permission(self, request: HttpRequest) -> bool:
        opts = ScriptVersion._meta
        return request.user.has_perm(f"{opts.app_label}.add_{opts.model_name}")

    def save_model(self, request: HttpRequest, obj: Script, form: forms.ModelForm, change: bool) -> None:
        data = {field: getattr(obj, field) for field in ("name", "description", "campaign", "is_active")}
        if change:
            script_update(script=Script.objects.get(pk=obj.pk), by=request.user, **data)
        else:
            created = script_create(by=request.user, **data)
            # The admin goes on with ``obj`` (its queues, log entry, redirect): it is now that script.
            obj.pk, obj._state.adding, obj._state.db = created.pk, False, created._state.db

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_publish": self.has_publish_permission(request),
            "analytics_url": analytics_url(unquote(object_id)),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def response_add(self, request: HttpRequest, obj: Script, post_url_continue: str | None = None) -> HttpResponse:
        if "_addanother" not in request.POST and "_continue" not in request.POST:
            return HttpResponseRedirect(_admin_url("steps", obj.pk))
        return super().response_add(request, obj, post_url_continue)

    @admin.display(description=_("queues"))
    def queue_names(self, obj: Script) -> str:
        return ", ".join(queue.name for queue in obj.queues.all()) or "—"

    @admin.display(description=_("published version"), ordering="latest_version_number")
    def latest_version(self, obj: Script) -> str:
        number = obj.latest_version_number
        return _("v%(number)s") % {"number": number} if number else _("not published")

    @admin.display(description=_("draft"))
    def draft_summary(self, obj: Script) -> str:
        steps = obj.draft if isinstance(obj.draft, list) else []
        problems = validate_steps(obj.draft)
        errors = errors_of(problems)
        summary = ngettext("%(count)d step.", "%(count)d steps.", len(steps)) % {"count": len(steps)}
        state = (
            ngettext("%(count)d problem prevents publishing.", "%(count)d problems prevent publishing.", len(errors))
            % {"count": len(errors)}
            if errors
            else gettext("Ready to publish.")
        )
        return format_html(
            '{} {} <a href="{}">{}</a> · <a href="{}">{}</a>',
            summary,
            state,
            _admin_url("steps", obj.pk),
            gettext("Edit the steps"),
            _admin_url("preview", obj.pk),
            gettext("Preview"),
        )

    # --- The script's own screens -------------------------------------------------------------

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/steps/", wrap(self.steps_view), name="scripts_script_steps"),
            path("<path:object_id>/preview/", wrap(self.preview_view), name="scripts_script_preview"),
            path("<path:object_id>/publish/", wrap(self.publish_view), name="scripts_script_publish"),
            path("<path:object_id>/compare/", wrap(self.compare_view), name="scripts_script_compare"),
            path("<path:object_id>/analytics/", wrap(self.analytics_view), name="scripts_script_analytics"),
            path("<path:object_id>/versions/<int:number>/", wrap(self.version_view), name="scripts_script_version"),
            path(
                "<path:object_id>/versions/<int:number>/restore/",
                wrap(self.restore_view),
                name="scripts_script_restore",
            ),
            *super().get_urls(),
        ]

    def _script(self, request: HttpRequest, object_id: str) -> Script:
        script = self.get_object(request, unquote(object_id))
        if script is None or not self.has_view_or_change_permission(request, script):
            raise Http404
        return script

    def _version(self, script: Script, number: int) -> ScriptVersion:
        return get_object_or_404(script_versions(script=script), number=number)

    def _context(self, request: HttpRequest, script: Script, title: str, **extra: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": script,
            "script": script,
            "title": title,
            "subtitle": str(script),
            "can_change": self.has_change_permission(request, script),
            "can_publish": self.has_publish_permission(request),
            "change_url": reverse("admin:scripts_script_change", args=[script.pk]),
            "analytics_url": analytics_url(script.pk),
            **extra,
        }

    def _problems_by_step(self, problems: list) -> dict[str, list[str]]:
        by_step: dict[str, list[str]] = {}
        for problem in problems:
            if problem.step:
                by_step.setdefault(problem.step, []).append(problem.message)
        return by_step

    def steps_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The step editor: the draft as rows of fields; saving keeps even an invalid draft and shows
        its problems."""
        script = self._script(request, object_id)
        if not self.has_change_permission(request, script):
            raise PermissionDenied
        steps: Any = script.draft
        if request.method == "POST":
            steps = steps_from_post(request.POST)
            script_update_draft(script=script, steps=steps, by=request.user)
            problems = validate_steps(steps)
            errors = errors_of(problems)
            if errors:
                self.message_user(
                    request,
                    ngettext(
                        "Draft saved, with %(count)d problem to fix before publishing.",
                        "Draft saved, with %(count)d problems to fix before publishing.",
                        len(errors),
                    )
                    % {"count": len(errors)},
                    messages.WARNING,
                )
            else:
                self.message_user(request, gettext("Draft saved; it can be published."), messages.SUCCESS)
            if "_publish" in request.POST and not errors:
                return HttpResponseRedirect(_admin_url("publish", script.pk))
            return HttpResponseRedirect(_admin_url("steps", script.pk))
        problems = validate_steps(steps)
        keys = [
            str(raw.get("key"))
            for raw in (steps if isinstance(steps, list) else [])
            if isinstance(raw, dict) and raw.get("key")
        ]
        dispositions = list(Disposition.objects.filter(is_active=True).order_by("sort_order", "label"))
        context = self._context(
            request,
            script,
            gettext("Edit the steps of %(script)s") % {"script": script},
            rows=rows_for(steps, self._problems_by_step(problems)),
            keys=keys,
            problems=problems,
            dispositions=dispositions,
            disposition_codes={d.code for d in dispositions},
            placeholders=["{first_name}", "{last_name}", "{customer}", "{company}", "{agent}"],
        )
        return TemplateResponse(request, "admin/scripts/script/steps.html", context)

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The draft (or ``?version=n``) walked as the agent will: ``?trail=a,b`` are the steps
        walked so far, the last one shown, its answers as buttons."""
        script = self._script(request, object_id)
        number = request.GET.get("version", "")
        if number.isdigit():
            source = self._version(script, int(number))
        else:
            source = ScriptVersion(script=script, steps=script.draft)
            number = ""
        trail = parse_trail(request.GET.get("trail", ""))
        values = {**SAMPLE_CUSTOMER, "agent": request.user.first_name or request.user.get_username()}
        step = script_step(version=source, key=trail[-1] if trail else None, values=values)
        if step is not None and not trail:
            trail = [step.key]
        walked = []
        for key in trail[:-1]:
            earlier = script_step(version=source, key=key, values=values)
            if earlier is not None:
                walked.append(earlier)
        base = _admin_url("preview", script.pk) + (f"?version={number}&" if number else "?")
        answers = [
            {"label": answer["label"], "url": base + "trail=" + ",".join([*trail, answer["next"]])}
            for answer in (step.answers if step else [])
        ]
        context = self._context(
            request,
            script,
            gettext("Preview of %(what)s")
            % {"what": gettext("version %(number)s") % {"number": number} if number else gettext("the draft")},
            step=step,
            walked=walked,
            answers=answers,
            back_url=base + "trail=" + ",".join(trail[:-1]) if len(trail) > 1 else None,
            restart_url=base.rstrip("?&"),
            sample=values,
            number=number,
            disposition=Disposition.objects.filter(code=step.disposition).first()
            if step and step.disposition
            else None,
        )
        return TemplateResponse(request, "admin/scripts/script/preview.html", context)

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """What publishing the draft would change (since the last version) and its problems; a POST
        publishes it."""
        script = self._script(request, object_id)
        if not self.has_publish_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            try:
                version = script_publish(script=script, by=request.user)
            except ValidationError as exc:
                for message in exc.messages:
                    self.message_user(request, message, messages.ERROR)
                return HttpResponseRedirect(_admin_url("publish", script.pk))
            self.log_addition(request, version, [{"added": {}}])
            self.message_user(
                request, gettext("Version %(number)s is published.") % {"number": version.number}, messages.SUCCESS
            )
            return HttpResponseRedirect(reverse("admin:scripts_script_change", args=[script.pk]))
        latest = script_versions(script=script).first()
        problems = validate_steps(script.draft)
        context = self._context(
            request,
            script,
            gettext("Publish %(script)s") % {"script": script},
            latest=latest,
            diff=script_diff(latest.steps if latest else [], script),
            problems=problems,
            errors=errors_of(problems),
        )
        return TemplateResponse(request, "admin/scripts/script/publish.html", context)

    def version_view(self, request: HttpRequest, object_id: str, number: int) -> HttpResponse:
        script = self._script(request, object_id)
        version = self._version(script, number)
        context = self._context(
            request,
            script,
            gettext("%(script)s, version %(number)s") % {"script": script, "number": number},
            version=version,
            steps=rows_for(version.steps)[:-1],
        )
        return TemplateResponse(request, "admin/scripts/script/version.html", context)

    def compare_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """``?a=`` and ``?b=``: version numbers or ``draft``; by default the last two versions."""
        script = self._script(request, object_id)
        versions = list(script_versions(script=script))
        by_number = {str(version.number): version for version in versions}
        default_b = str(versions[0].number) if versions else "draft"
        default_a = str(versions[1].number) if len(versions) > 1 else "draft"
        choices = {"draft": script, **by_number}
        a_key, b_key = request.GET.get("a", default_a), request.GET.get("b", default_b)
        if a_key not in choices or b_key not in choices:
            raise Http404
        diff = script_diff(choices[a_key], choices[b_key])
        context = self._context(
            request,
            script,
            gettext("Compare versions of %(script)s") % {"script": script},
            versions=versions,
            a_key=a_key,
            b_key=b_key,
            diff=diff,
            changed=sum(1 for step in diff if step.status != "unchanged"),
        )
        return TemplateResponse(request, "admin/scripts/script/compare.html", context)

    def restore_view(self, request: HttpRequest, object_id: str, number: int) -> HttpResponse:
        """Ask, then (POST) make version ``number``'s steps the draft."""
        script = self._script(request, object_id)
        version = self._version(script, number)
        if not self.has_change_permission(request, script):
            raise PermissionDenied
        if request.method == "POST":
            script_restore(version=version, by=request.user)
            self.message_user(
                request,
                gettext("The draft is now a copy of version %(number)s; publish it to make it the current one.")
                % {"number": number},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(_admin_url("steps", script.pk))
        context = self._context(
            request,
            script,
            gettext("Restore version %(number)s as the draft") % {"number": number},
            version=version,
            diff=script_diff(script, version),
        )
        return TemplateResponse(request, "admin/scripts/script/restore.html", context)

    def analytics_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The former address of the script's analytics: the "Script analytics" report now."""
        return HttpResponseRedirect(analytics_url(self._script(request, object_id).pk))


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

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible(super().get_queryset(request), Script.objects.visible_to(request.user), through="script")

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
        version = script_publish(script=obj.script, steps=obj.steps, by=request.user)
        # The admin goes on with ``obj`` (its log entry, the redirect): it is now that version.
        obj.pk, obj.number, obj.published_at, obj.published_by = (
            version.pk,
            version.number,
            version.published_at,
            version.published_by,
        )
        obj._state.adding, obj._state.db = False, version._state.db

    @admin.display(description=_("steps"))
    def step_count(self, obj: ScriptVersion) -> int:
        return len(obj.steps or [])
