"""Back-office screens of the routing: each queue's routing settings and the skill levels it
asks, each agent's capacities and skill levels (admins), the work items with their offers and the
callbacks with their attempts (read only: the routing, the API and the desk write them)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from contactcenter.distribution.models import (
    AgentRouting,
    AgentSkillLevel,
    Callback,
    CallbackAttempt,
    QueueRouting,
    QueueSkillLevel,
    WorkItem,
    WorkItemMove,
    WorkOffer,
)
from contactcenter.distribution.services import queue_tickets_routing_switched


@admin.register(QueueRouting)
class QueueRoutingAdmin(admin.ModelAdmin):
    list_display = (
        "queue",
        "routes_tickets",
        "priority",
        "offer_timeout_seconds",
        "prefer_last_agent",
        "blending",
        "sla_jump_seconds",
    )
    list_filter = ("routes_tickets",)
    list_select_related = ("queue",)
    autocomplete_fields = ("queue",)
    search_fields = ("queue__name",)

    def save_model(self, request: HttpRequest, obj: QueueRouting, form: ModelForm, change: bool) -> None:
        """Switching the queue's tickets on puts its tickets nobody holds in its line; off takes
        them out (the same service as everywhere, in the admin's transaction)."""
        super().save_model(request, obj, form, change)
        if "routes_tickets" in form.changed_data or (not change and obj.routes_tickets):
            moved = queue_tickets_routing_switched(queue=obj.queue)
            if obj.routes_tickets:
                text = ngettext(
                    "%(count)d ticket of %(queue)s now waits for an agent.",
                    "%(count)d tickets of %(queue)s now wait for an agent.",
                    moved,
                )
            else:
                text = ngettext(
                    "%(count)d ticket of %(queue)s left the line.",
                    "%(count)d tickets of %(queue)s left the line.",
                    moved,
                )
            self.message_user(request, text % {"count": moved, "queue": obj.queue}, messages.INFO)


@admin.register(QueueSkillLevel)
class QueueSkillLevelAdmin(admin.ModelAdmin):
    list_display = ("queue", "skill", "level")
    list_select_related = ("queue", "skill")
    autocomplete_fields = ("queue", "skill")
    list_filter = ("queue",)


@admin.register(AgentRouting)
class AgentRoutingAdmin(admin.ModelAdmin):
    list_display = ("profile", "voice_capacity", "chat_capacity", "email_capacity")
    list_select_related = ("profile__user",)
    autocomplete_fields = ("profile",)
    search_fields = ("profile__user__username",)


@admin.register(AgentSkillLevel)
class AgentSkillLevelAdmin(admin.ModelAdmin):
    list_display = ("profile", "skill", "level")
    list_select_related = ("profile__user", "skill")
    autocomplete_fields = ("profile", "skill")
    search_fields = ("profile__user__username", "skill__name")


class WorkOfferInline(admin.TabularInline):
    model = WorkOffer
    fields = ("agent", "rule", "offered_at", "expires_at", "outcome", "answered_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("offers")

    def has_add_permission(self, request: HttpRequest, obj: WorkItem | None = None) -> bool:
        return False


class WorkItemMoveInline(admin.TabularInline):
    """Who moved the item, when, from where to where (docs/routing.md, "Moving work")."""

    model = WorkItemMove
    fields = ("moved_at", "moved_by", "target", "state_before", "from_queue", "to_queue", "from_agent", "to_agent")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("moves")

    def has_add_permission(self, request: HttpRequest, obj: WorkItem | None = None) -> bool:
        return False


@admin.register(WorkItem)
class WorkItemAdmin(admin.ModelAdmin):
    """Read only: the routing moves items (docs/routing.md)."""

    list_display = ("id", "kind", "queue", "priority", "state", "arrived_at", "sla_due_at", "offered_to", "assigned_to")
    list_filter = ("state", "kind", "queue")
    list_select_related = ("queue", "offered_to", "assigned_to")
    date_hierarchy = "arrived_at"
    inlines = [WorkOfferInline, WorkItemMoveInline]

    def get_readonly_fields(self, request: HttpRequest, obj: WorkItem | None = None) -> list[str]:
        return [field.name for field in WorkItem._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WorkItem | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: WorkItem | None = None) -> bool:
        return False


@admin.register(WorkItemMove)
class WorkItemMoveAdmin(admin.ModelAdmin):
    """Read only: the log of the supervisors' moves of work items."""

    list_display = (
        "moved_at",
        "item",
        "moved_by",
        "target",
        "state_before",
        "from_queue",
        "to_queue",
        "from_agent",
        "to_agent",
    )
    list_filter = ("target", "to_queue")
    list_select_related = ("item__queue", "moved_by", "from_queue", "to_queue", "from_agent", "to_agent")
    date_hierarchy = "moved_at"

    def get_readonly_fields(self, request: HttpRequest, obj: WorkItemMove | None = None) -> list[str]:
        return [field.name for field in WorkItemMove._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WorkItemMove | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: WorkItemMove | None = None) -> bool:
        return False


class CallbackAttemptInline(admin.TabularInline):
    model = CallbackAttempt
    fields = ("at", "agent", "outcome", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("attempts")

    def has_add_permission(self, request: HttpRequest, obj: Callback | None = None) -> bool:
        return False


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):
    """Read only: callbacks are promised on the API and the desk, and moved by the routing
    (docs/routing.md, Callbacks)."""

    list_display = (
        "id",
        "due_at",
        "phone",
        "queue",
        "promised_by",
        "state",
        "attempts",
        "next_attempt_at",
        "kept_on_time",
    )
    list_filter = ("state", "queue", "kept_on_time")
    list_select_related = ("queue", "promised_by")
    search_fields = ("phone",)
    date_hierarchy = "due_at"
    inlines = [CallbackAttemptInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Callback | None = None) -> list[str]:
        return [field.name for field in Callback._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Callback | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Callback | None = None) -> bool:
        return False
