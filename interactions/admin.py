"""Back-office screens for interactions, their survey responses, tickets and their configuration (SLA,
hours, lists).

Tickets and their comments are written through :mod:`interactions.services`, exactly as the API
writes them: the reference, SLA due times, version and first response come from there.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from contactcenter.core.admin_utils import (
    LargeTablePaginator,
    ReadOnlyHistoryAdmin,
    ViewerAwareAdmin,
    admin_changelist_link,
    viewer_of,
    visible,
)
from contactcenter.core.formats import format_duration, format_span
from customers.admin import interactions_table, phone_search
from interactions.models import (
    BusinessHours,
    Disposition,
    Holiday,
    Interaction,
    SlaPolicy,
    SurveyResponse,
    Ticket,
    TicketCategory,
    TicketComment,
)
from interactions.querysets import overdue_q
from interactions.services import (
    TICKET_EDITABLE_FIELDS,
    interaction_log,
    interaction_update,
    ticket_check_changes,
    ticket_check_new,
    ticket_comment_add,
    ticket_save_changes,
    ticket_save_new,
)


def _minutes(value: int) -> str:
    """480 → "8 h", 90 → "1 h 30 min", 30 → "30 min"."""
    return format_span(value * 60)


# --- Interactions ---------------------------------------------------------------------------


class AnsweredFilter(admin.SimpleListFilter):
    title = _("answered")
    parameter_name = "answered"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("yes", _("Answered")), ("no", _("Not answered"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(answered_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(answered_at__isnull=True)
        return queryset


class SurveyResponseInline(admin.TabularInline):
    """The interaction's survey answers, read-only (at most one per kind)."""

    model = SurveyResponse
    fields = ("kind", "score", "comment", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Interaction)
class InteractionAdmin(ReadOnlyHistoryAdmin):
    list_display = (
        "channel",
        "direction",
        "offered_at",
        "customer",
        "agent",
        "queue",
        "wait_column",
        "handle_column",
        "disposition",
        "resolved",
    )
    list_display_links = ("channel", "offered_at")
    list_select_related = ("customer", "agent", "queue", "disposition")
    list_filter = (
        "channel",
        "direction",
        "queue",
        "resolved",
        AnsweredFilter,
        "disposition",
        ("offered_at", admin.DateFieldListFilter),
    )
    search_fields = ("=external_id", "customer__last_name", "customer__first_name", "customer__company")
    search_help_text = _("External id, the customer's name or company, or the customer's phone in any format.")
    ordering = ("-offered_at", "-id")
    list_per_page = 50
    # Interactions are the biggest table: no COUNT(*) of all of them on any page, and no date
    # hierarchy (it lists the years and months that hold rows by reading every row).
    show_full_result_count = False
    paginator = LargeTablePaginator
    autocomplete_fields = ("customer", "agent", "ticket", "script_version")
    inlines = [SurveyResponseInline]
    readonly_fields = (
        "wait_display",
        "talk_display",
        "acw_display",
        "handle_display",
        "abandoned_display",
        "sentiment_computed",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": (("channel", "direction"), "customer", "agent", "queue", "ticket")}),
        (
            _("Timeline"),
            {"fields": ("offered_at", "answered_at", "ended_at", "wrapup_ended_at", "hold_seconds")},
        ),
        (
            _("Outcome"),
            {"fields": ("disposition", "resolved", "notes", "sentiment", "sentiment_computed", "script_version")},
        ),
        (
            _("Durations (seconds)"),
            {"fields": (("wait_display", "talk_display", "acw_display", "handle_display"), "abandoned_display")},
        ),
        (_("Source"), {"classes": ("collapse",), "fields": ("source", "external_id", "recording")}),
        (_("Record"), {"classes": ("collapse",), "fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # The access policy of the API applies here too: a supervisor sees their team's.
        return visible(super().get_queryset(request), Interaction.objects.visible_to(request.user))

    def save_model(self, request: HttpRequest, obj: Interaction, form: forms.ModelForm, change: bool) -> None:
        # Through the services, as the API and the desktop: a resolving disposition marks the
        # contact resolved, notes are scored, an outbound contact may be a ticket's first response,
        # the wallboard hears of it. A change sends only the fields changed in the form.
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
            saved = interaction_update(interaction=obj, by=request.user, **changes)
        else:
            saved, _created = interaction_log(by=request.user, **form.cleaned_data)
        # The admin goes on with ``obj`` (its inlines, log entry, redirect): it is now the stored one.
        obj.pk, obj._state.adding, obj._state.db = saved.pk, False, saved._state.db
        obj.refresh_from_db()

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            results |= phone_search(queryset, search_term, "customer_id")
        return results, may_have_duplicates

    @admin.display(description=_("wait"))
    def wait_column(self, obj: Interaction) -> str:
        return format_duration(obj.wait_seconds)

    @admin.display(description=_("handle time"))
    def handle_column(self, obj: Interaction) -> str:
        return format_duration(obj.handle_seconds)

    @admin.display(description=_("wait"))
    def wait_display(self, obj: Interaction) -> str:
        return format_duration(obj.wait_seconds)

    @admin.display(description=_("talk"))
    def talk_display(self, obj: Interaction) -> str:
        return format_duration(obj.talk_seconds)

    @admin.display(description=_("after-call work"))
    def acw_display(self, obj: Interaction) -> str:
        return format_duration(obj.acw_seconds) if obj.ended_at else "—"

    @admin.display(description=_("handle time"))
    def handle_display(self, obj: Interaction) -> str:
        return format_duration(obj.handle_seconds)

    @admin.display(description=_("abandoned"), boolean=True)
    def abandoned_display(self, obj: Interaction) -> bool | None:
        return obj.abandoned if obj.offered_at else None


# --- Survey responses ------------------------------------------------------------------------


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ("kind", "score", "interaction", "agent", "queue", "customer", "created_at")
    list_select_related = ("interaction", "interaction__agent", "interaction__queue", "interaction__customer")
    list_filter = ("kind", "score", ("created_at", admin.DateFieldListFilter), "interaction__queue")
    search_fields = ("comment", "interaction__external_id", "interaction__customer__last_name")
    ordering = ("-created_at", "-id")
    list_per_page = 50
    show_full_result_count = False
    paginator = LargeTablePaginator
    autocomplete_fields = ("interaction",)
    fields = ("interaction", "kind", "score", "comment", "created_at")
    readonly_fields = ("created_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # A survey is seen by whoever sees its interaction (the API's access policy).
        return visible(super().get_queryset(request), Interaction.objects.visible_to(request.user), "interaction")

    @admin.display(description=_("agent"), ordering="interaction__agent__username")
    def agent(self, obj: SurveyResponse) -> object:
        return obj.interaction.agent or "—"

    @admin.display(description=_("queue"), ordering="interaction__queue__name")
    def queue(self, obj: SurveyResponse) -> object:
        return obj.interaction.queue or "—"

    @admin.display(description=_("customer"))
    def customer(self, obj: SurveyResponse) -> object:
        return obj.interaction.customer or "—"


# --- Tickets --------------------------------------------------------------------------------


class OverdueFilter(admin.SimpleListFilter):
    title = _("SLA")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("yes", _("Overdue")), ("no", _("On time or closed"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(overdue_q(timezone.now()))
        if self.value() == "no":
            return queryset.exclude(overdue_q(timezone.now()))
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assigned"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("me", _("Assigned to me")), ("none", _("Unassigned")), ("any", _("Assigned"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "me":
            return queryset.filter(assignee_id=request.user.pk)
        if self.value() == "none":
            return queryset.filter(assignee__isnull=True)
        if self.value() == "any":
            return queryset.filter(assignee__isnull=False)
        return queryset


class TicketAdminForm(forms.ModelForm):
    # The version the user read: a save on top of someone else's change is refused, as the
    # API answers 409 to a stale version.
    read_version = forms.IntegerField(label=_("version read"), widget=forms.HiddenInput, required=False)

    class Meta:
        model = Ticket
        fields = ("subject", "description", "customer", "status", "priority", "category", "queue", "team", "assignee")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "read_version" in self.fields and self.instance.pk:
            self.fields["read_version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        read = cleaned.get("read_version")
        if self.instance.pk and read is not None and read != self.instance.version:
            raise ValidationError(
                _(
                    "Someone changed this ticket while you were editing it (version %(read)s → %(now)s). "
                    "Open it again to see their change, then make yours."
                ),
                code="stale_version",
                params={"read": read, "now": self.instance.version},
            )
        # The rules of the API and the desk: the workflow, the assignment and the queue moves the
        # user's role allows (errors on the fields they name).
        user = getattr(self, "user", None)
        if user is not None and not self.errors:
            if self.instance.pk:
                names = [name for name in self.changed_data if name in TICKET_EDITABLE_FIELDS]
                ticket_check_changes(by=user, ticket=self.instance, changes={name: cleaned[name] for name in names})
            else:
                ticket_check_new(by=user, status=cleaned.get("status", ""), assignee=cleaned.get("assignee"))
        return cleaned


class TicketCommentInline(admin.TabularInline):
    """The conversation: existing comments read-only, new ones added through the service."""

    model = TicketComment
    fields = ("created_at", "author", "public", "body")
    readonly_fields = ("created_at", "author")
    extra = 1
    can_delete = False
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 80})}}
    verbose_name = _("comment")
    verbose_name_plural = _("comments (public ones are sent to the customer)")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("ticket", "author")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A comment, once posted, is part of the record (the customer may have received it).
        return False


@admin.register(Ticket)
class TicketAdmin(ViewerAwareAdmin, ReadOnlyHistoryAdmin):
    form = TicketAdminForm
    inlines = [TicketCommentInline]
    list_display = (
        "reference",
        "subject",
        "status",
        "priority",
        "queue",
        "assignee",
        "customer",
        "first_response_due",
        "resolution_due",
        "overdue",
    )
    list_display_links = ("reference", "subject")
    list_select_related = ("customer", "queue", "assignee")
    list_filter = (
        "status",
        "priority",
        OverdueFilter,
        AssigneeFilter,
        "queue",
        "category",
        "team",
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("^reference", "subject", "customer__last_name", "customer__first_name", "customer__company")
    search_help_text = _("Reference, subject, or the customer's name, company or phone (any format).")
    ordering = ("-created_at", "-id")
    list_per_page = 50
    show_full_result_count = False
    paginator = LargeTablePaginator
    autocomplete_fields = ("customer", "assignee", "queue", "team", "category")
    readonly_fields = (
        "reference",
        "version",
        "sla_policy",
        "first_response_due",
        "resolution_due",
        "first_responded_at",
        "resolved_at",
        "closed_at",
        "linked_interactions",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("reference", "subject", "description", "customer", "read_version")}),
        (_("Handling"), {"fields": (("status", "priority"), "category", ("queue", "team"), "assignee")}),
        (
            _("Service level"),
            {
                "fields": (
                    "sla_policy",
                    ("first_response_due", "first_responded_at"),
                    ("resolution_due", "resolved_at"),
                    "closed_at",
                )
            },
        ),
        (_("Interactions"), {"fields": ("linked_interactions",)}),
        (_("Record"), {"classes": ("collapse",), "fields": ("version", "created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible(super().get_queryset(request), Ticket.objects.visible_to(request.user))

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            results |= phone_search(queryset, search_term, "customer_id")
        return results, may_have_duplicates

    def get_form(self, request: HttpRequest, obj: Ticket | None = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})  # whose rules its clean() applies

    def save_model(self, request: HttpRequest, obj: Ticket, form: forms.ModelForm, change: bool) -> None:
        if not change:
            ticket_save_new(ticket=obj, by=request.user)
            return
        changed = set(form.changed_data) - {"read_version"}
        if changed:
            ticket_save_changes(ticket=obj, changed=changed, by=request.user)

    def save_formset(
        self, request: HttpRequest, form: forms.ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        if formset.model is not TicketComment:
            super().save_formset(request, form, formset, change)
            return
        added = [
            ticket_comment_add(ticket=formset.instance, body=comment.body, public=comment.public, author=request.user)
            for comment in formset.save(commit=False)
            if comment._state.adding
        ]
        # What the admin's change message and log report.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = added, [], []

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj: Ticket) -> bool:
        if not obj.is_open:
            return False
        now = timezone.now()
        if obj.resolution_due and obj.resolution_due < now:
            return True
        return bool(obj.first_responded_at is None and obj.first_response_due and obj.first_response_due < now)

    @admin.display(description=_("linked interactions"))
    def linked_interactions(self, obj: Ticket) -> SafeString | str:
        user = viewer_of(obj)
        if obj.pk is None or user is None:
            return "—"
        return interactions_table(
            visible(Interaction.objects.filter(ticket=obj), Interaction.objects.visible_to(user)).order_by(
                "-offered_at", "-id"
            ),
            admin_changelist_link(Interaction, _("All interactions of this ticket"), ticket__id__exact=obj.pk),
        )


@admin.register(TicketComment)
class TicketCommentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "ticket", "author", "public", "excerpt", "created_at")
    list_select_related = ("ticket", "author")
    list_filter = ("public", ("created_at", admin.DateFieldListFilter))
    search_fields = ("^ticket__reference", "body")
    ordering = ("-created_at", "-id")
    list_per_page = 50
    show_full_result_count = False
    paginator = LargeTablePaginator
    autocomplete_fields = ("ticket",)
    fields = ("ticket", "public", "body", "author", "created_at")
    readonly_fields = ("author", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible(super().get_queryset(request), Ticket.objects.visible_to(request.user), "ticket")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: TicketComment, form: forms.ModelForm, change: bool) -> None:
        comment = ticket_comment_add(ticket=obj.ticket, body=obj.body, public=obj.public, author=request.user)
        # The admin goes on with ``obj`` (log entry, redirect): make it the stored comment.
        obj.pk, obj.author, obj.created_at = comment.pk, comment.author, comment.created_at
        obj._state.adding = False

    @admin.display(description=_("comment"))
    def excerpt(self, obj: TicketComment) -> str:
        return Truncator(obj.body).chars(80)


# --- Configuration --------------------------------------------------------------------------


@admin.register(Disposition)
class DispositionAdmin(admin.ModelAdmin):
    list_display = ("label_column", "code", "resolves", "is_active", "sort_order")
    list_editable = ("is_active", "sort_order")
    list_filter = ("resolves", "is_active")
    search_fields = ("code", "label")
    ordering = ("sort_order", "label")
    prepopulated_fields = {"code": ("label",)}
    fields = ("label", "code", "resolves", "is_active", "sort_order")

    @admin.display(description=_("label"), ordering="label")
    def label_column(self, obj: Disposition) -> str:
        return str(obj)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("name_column", "priority", "first_response", "resolution", "business_hours_only")
    list_filter = ("business_hours_only",)
    search_fields = ("name",)
    ordering = ("first_response_minutes",)
    fields = ("name", "priority", "first_response_minutes", "resolution_minutes", "business_hours_only")

    @admin.display(description=_("name"), ordering="name")
    def name_column(self, obj: SlaPolicy) -> str:
        return str(obj)

    @admin.display(description=_("first response within"), ordering="first_response_minutes")
    def first_response(self, obj: SlaPolicy) -> str:
        return _minutes(obj.first_response_minutes)

    @admin.display(description=_("resolution within"), ordering="resolution_minutes")
    def resolution(self, obj: SlaPolicy) -> str:
        return _minutes(obj.resolution_minutes)


@admin.register(BusinessHours)
class BusinessHoursAdmin(admin.ModelAdmin):
    list_display = ("__str__", "weekday", "opens_at", "closes_at")
    list_display_links = ("__str__",)
    list_filter = ("weekday",)
    ordering = ("weekday", "opens_at")


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name")
    search_fields = ("name",)
    date_hierarchy = "date"
    ordering = ("-date",)


@admin.register(TicketCategory)
class TicketCategoryAdmin(admin.ModelAdmin):
    list_display = ("name_column", "is_active")
    list_editable = ("is_active",)
    list_filter = ("is_active",)
    search_fields = ("name",)
    ordering = ("name",)

    @admin.display(description=_("name"), ordering="name")
    def name_column(self, obj: TicketCategory) -> str:
        return str(obj)
