"""The background jobs in the back office: the queue's own screens (django-q2), with what an
operator asks of them: which jobs are queued and which are running, which failed runs will be
retried and which were given up (the dead letters), each schedule's cadence and last run, and a
button to run a failed job or a schedule's job again now."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_q import admin as queue_admin
from django_q.models import Failure, OrmQ, Schedule
from django_q.tasks import async_task

from contactcenter.core.jobs import dead_letter_names, job_at, job_rerun
from contactcenter.core.models import ApiToken
from contactcenter.core.roles import ADMIN, role_of
from contactcenter.core.tokens import api_token_issue, api_token_revoke

# django-q2 registers its screens when its admin module loads (imported above, whatever the order
# of the apps): ours replace them.
for _model in (OrmQ, Failure, Schedule):
    admin.site.unregister(_model)


class QueuedStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("queued", _("Queued")), ("running", _("Running"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        # A worker that takes a job moves its lock into the future (its lease); a queued job's
        # lock is in the past (when it was queued, or when the lease of a dead worker ran out).
        if self.value() == "running":
            return queryset.filter(lock__gt=timezone.now())
        if self.value() == "queued":
            return queryset.filter(lock__lte=timezone.now())
        return queryset


@admin.register(OrmQ)
class QueueAdmin(queue_admin.QueueAdmin):
    list_display = ("name", "group", "func", "state", "lock")
    list_filter = (QueuedStateFilter,)
    ordering = ("lock",)

    @admin.display(description=_("state"))
    def state(self, obj: OrmQ) -> str:
        return _("Running") if obj.lock and obj.lock > timezone.now() else _("Queued")


class OutcomeFilter(admin.SimpleListFilter):
    title = _("outcome")
    parameter_name = "outcome"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("retrying", _("Will be retried")), ("gave-up", _("Given up (dead letters)"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        last_attempts = Q(name__in=dead_letter_names())
        if self.value() == "gave-up":
            return queryset.filter(last_attempts)
        if self.value() == "retrying":
            return queryset.exclude(last_attempts)
        return queryset


@admin.action(description=_("Run the selected jobs again"))
def run_again(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    runs = list(queryset)
    # Queued again and gone from the failures together (both are rows of the same database).
    with transaction.atomic():
        for run in runs:
            job_rerun(path=run.func, args=run.args, kwargs=run.kwargs)
            run.delete()
    model_admin.message_user(
        request,
        ngettext("%(count)s job queued again.", "%(count)s jobs queued again.", len(runs)) % {"count": len(runs)},
        messages.SUCCESS,
    )


@admin.register(Failure)
class FailureAdmin(queue_admin.FailAdmin):
    list_display = ("name", "func", "outcome", "started", "stopped", "short_result")
    list_filter = (OutcomeFilter, "group")
    actions = [run_again]
    ordering = ("-stopped",)

    @admin.display(description=_("outcome"))
    def outcome(self, obj: Failure) -> str:
        if obj.name in dead_letter_names():
            return _("Given up")
        if job_at(obj.func) is None:
            return _("Not retried")
        return _("Will be retried")


@admin.action(description=_("Run the selected schedules' jobs now"))
def run_now(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    schedules = list(queryset)
    for schedule in schedules:
        declared = job_at(schedule.func)
        options = declared.q_options(1) if declared else {}
        async_task(schedule.func, q_options={**options, "group": schedule.name or options.get("group")})
    model_admin.message_user(
        request,
        ngettext("%(count)s job queued.", "%(count)s jobs queued.", len(schedules)) % {"count": len(schedules)},
        messages.SUCCESS,
    )


@admin.register(Schedule)
class ScheduleAdmin(queue_admin.ScheduleAdmin):
    list_display = ("name", "func", "cadence", "repeats", "next_run", "get_last_run", "get_success")
    list_display_links = ("name",)
    list_filter = ("schedule_type",)
    actions = [run_now]
    ordering = ("next_run",)

    @admin.display(description=_("cadence"))
    def cadence(self, obj: Schedule) -> str:
        declared = job_at(obj.func)
        if declared is not None and declared.every is not None and obj.schedule_type != Schedule.ONCE:
            return str(declared.every)
        return obj.get_schedule_type_display()


# --- API tokens: issued and revoked by admins; the key is shown once ---------------------------


@admin.action(description=_("Revoke the selected tokens"))
def revoke_tokens(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    tokens = list(queryset)
    for token in tokens:
        api_token_revoke(token=token)
    model_admin.message_user(
        request,
        ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", len(tokens)) % {"count": len(tokens)},
        messages.SUCCESS,
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Admins only. "Add" issues a token (for an integration account: leave the expiry empty and
    it never expires) and shows its key once; a token is never edited, only revoked (deleted)."""

    list_display = ["prefix", "user", "label", "created_at", "expires_at", "state"]
    list_select_related = ["user"]
    search_fields = ["user__username", "label", "prefix"]
    fields = ["user", "label", "expires_at"]
    readonly_fields = ["prefix", "created_at"]
    autocomplete_fields = ["user"]
    actions = [revoke_tokens]

    @admin.display(description=_("state"))
    def state(self, token: ApiToken) -> str:
        if token.is_expired:
            return str(_("expired"))
        return str(_("never expires")) if token.expires_at is None else str(_("valid"))

    def _is_admin(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff and role_of(request.user) == ADMIN

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return self._is_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return self._is_admin(request)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: object, change: bool) -> None:
        issued = api_token_issue(user=obj.user, label=obj.label, expires_at=obj.expires_at)
        obj.pk, obj.digest, obj.prefix, obj.created_at = issued.pk, issued.digest, issued.prefix, issued.created_at
        obj._state.adding = False
        self.message_user(
            request,
            _("The new token's key, shown only now: %(key)s") % {"key": issued.key},
            messages.WARNING,
        )
