from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from contactcenter.telephony.models import Bridge, Command, Recording
from contactcenter.telephony.recordings import recording_delete
from interactions.admin import InteractionAdmin
from interactions.models import Interaction


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


def recording_player(recording: Recording | None) -> str:
    """An ``<audio>`` player streaming the recording through the API (which checks who listens:
    the back office's session is enough), and the spans during which the recording was paused."""
    if recording is None or recording.pk is None:
        return "—"
    url = reverse("interaction-recording", kwargs={"pk": recording.interaction_id})
    call = getattr(recording.interaction, "cti_call", None) if recording.interaction_id else None
    spans = list(call.recording_paused) if call is not None else []
    paused = format_html_join("", "<li>{} {} – {}</li>", ((_("Paused"), start, end or "…") for start, end in spans))
    return format_html(
        '<audio controls preload="none" src="{}"></audio>{}',
        url,
        format_html('<ul class="recording-pauses">{}</ul>', paused) if spans else "",
    )


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    """Call recordings: listened to here (streamed, for those who may see the interaction), deleted
    by admins (the file goes with the row); attached through the API or fetched from the phone
    system, never added here."""

    list_display = ("interaction", "created_at", "content_type", "size", "duration_seconds", "source", "retain_until")
    list_filter = ("source", "content_type")
    list_select_related = ("interaction",)
    show_full_result_count = False
    fields = (
        "interaction",
        "player",
        "content_type",
        "size",
        "duration_seconds",
        "sha256",
        "source",
        "location",
        "created_at",
        "retain_until",
    )
    readonly_fields = fields

    @admin.display(description=_("recording"))
    def player(self, obj: Recording) -> str:
        return recording_player(obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Only the recordings of the interactions the user may see (the API's rule).
        return (
            super()
            .get_queryset(request)
            .filter(interaction_id__in=Interaction.objects.visible_to(request.user).values("pk"))
            .select_related("interaction__cti_call")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Recording | None = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Recording) -> None:
        recording_delete(recording=obj, by=request.user)


class RecordingInline(admin.StackedInline):
    """The interaction's recording, with its player (read-only)."""

    model = Recording
    fields = ("player", "content_type", "size", "duration_seconds", "source", "created_at", "retain_until")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("call recording")

    @admin.display(description=_("recording"))
    def player(self, obj: Recording) -> str:
        return recording_player(obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# The interaction's admin page shows its recording: telephony sits above the interactions app,
# which cannot name this model, so the inline joins its page from here.
if RecordingInline not in InteractionAdmin.inlines:
    InteractionAdmin.inlines = [*InteractionAdmin.inlines, RecordingInline]
