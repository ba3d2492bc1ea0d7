from django.contrib import admin
from django.http import HttpRequest

from contactcenter.telephony.models import Bridge, Command


@admin.register(Bridge)
class BridgeAdmin(admin.ModelAdmin):
    """The bridges as they last said; written by the bridge processes only."""

    list_display = ("kind", "connected", "peer", "connected_at", "seen_at", "events_applied", "last_error")
    readonly_fields = (
        "kind",
        "connected",
        "connected_at",
        "seen_at",
        "capabilities",
        "peer",
        "last_error",
        "events_applied",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Bridge | None = None) -> bool:
        return False


@admin.register(Command)
class CommandAdmin(admin.ModelAdmin):
    """The log of what was asked of the phone system (click-to-dial, hold, transfer, recording pause)."""

    list_display = ("created_at", "action", "bridge", "agent", "state", "call_id", "error")
    list_filter = ("state", "action", "bridge")
    list_select_related = ("agent__user",)
    search_fields = ("call_id", "agent__user__username")
    show_full_result_count = False
    readonly_fields = (
        "bridge",
        "action",
        "arguments",
        "agent",
        "call_id",
        "state",
        "result",
        "error",
        "requested_by",
        "created_at",
        "sent_at",
        "finished_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Command | None = None) -> bool:
        return False
