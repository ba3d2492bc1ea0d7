"""Telephony (``docs/telephony.md``): the bridges to the phone system, and the commands the
application asks them to carry out (dial, hold, transfer, pause the recording).

A bridge is a long-running process (``manage.py cti_bridge asterisk|freeswitch``) or, for
Twilio, the account's settings. The processes that serve the application and the bridge's never
talk directly: the bridge says it is connected by its :class:`Bridge` row, which it touches every
few seconds, and takes the :class:`Command` rows meant for it. That works on every database and
channel layer, survives a restart of either side, and leaves a log of every command."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contactcenter.agents.models import AgentProfile
from contactcenter.telephony.querysets import CommandQuerySet


class BridgeKind(models.TextChoices):
    ASTERISK = "asterisk", _("Asterisk (AMI)")
    FREESWITCH = "freeswitch", _("FreeSWITCH (event socket)")
    TWILIO = "twilio", _("Twilio")


class Capability(models.TextChoices):
    """What a bridge can ask its phone system to do; the desk offers only what a connected bridge can."""

    DIAL = "dial", _("Click-to-dial")
    HOLD = "hold", _("Hold and resume")
    TRANSFER = "transfer", _("Transfer")
    RECORDING_PAUSE = "recording_pause", _("Pause and resume the recording")


class Bridge(models.Model):
    """One bridge to a phone system, as it last said: connected or not, since when, able to do what."""

    kind = models.CharField(_("kind"), max_length=20, choices=BridgeKind.choices, unique=True)
    connected = models.BooleanField(_("connected"), default=False)
    connected_at = models.DateTimeField(_("connected at"), null=True, blank=True)
    seen_at = models.DateTimeField(
        _("last seen at"),
        null=True,
        blank=True,
        help_text=_("A connected bridge says it is alive every few seconds; a silent one is taken as gone."),
    )
    capabilities = models.JSONField(_("capabilities"), default=list, blank=True)
    peer = models.CharField(
        _("phone system"), max_length=200, blank=True, help_text=_("What the bridge is connected to.")
    )
    last_error = models.TextField(_("last error"), blank=True)
    events_applied = models.PositiveBigIntegerField(_("call events applied"), default=0)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("telephony bridge")
        verbose_name_plural = _("telephony bridges")

    def __str__(self) -> str:
        return self.get_kind_display()


class CommandAction(models.TextChoices):
    DIAL = "dial", _("Dial")
    HOLD = "hold", _("Hold")
    RESUME = "resume", _("Resume")
    TRANSFER = "transfer", _("Transfer")
    RECORDING_PAUSE = "recording_pause", _("Pause the recording")
    RECORDING_RESUME = "recording_resume", _("Resume the recording")


#: The capability a bridge needs to carry out each action.
ACTION_CAPABILITY: dict[str, str] = {
    CommandAction.DIAL: Capability.DIAL,
    CommandAction.HOLD: Capability.HOLD,
    CommandAction.RESUME: Capability.HOLD,
    CommandAction.TRANSFER: Capability.TRANSFER,
    CommandAction.RECORDING_PAUSE: Capability.RECORDING_PAUSE,
    CommandAction.RECORDING_RESUME: Capability.RECORDING_PAUSE,
}


class CommandState(models.TextChoices):
    PENDING = "pending", _("Waiting for the bridge")
    SENT = "sent", _("Sent to the phone system")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired (no bridge took it in time)")


class Command(models.Model):
    """Something the application asked a bridge to have the phone system do, and what came of it."""

    bridge = models.CharField(_("bridge"), max_length=20, choices=BridgeKind.choices)
    action = models.CharField(_("action"), max_length=20, choices=CommandAction.choices)
    arguments = models.JSONField(_("arguments"), default=dict, blank=True)
    agent = models.ForeignKey(
        AgentProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("agent")
    )
    call_id = models.CharField(
        _("call id"), max_length=150, blank=True, help_text=_("The phone system's id of the call it acts on or placed.")
    )
    state = models.CharField(_("state"), max_length=10, choices=CommandState.choices, default=CommandState.PENDING)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = CommandQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("telephony command")
        verbose_name_plural = _("telephony commands")
        indexes = [models.Index(fields=["bridge", "state", "id"], name="telephony_command_queue_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.get_state_display()})"


# --- Recordings (docs/telephony.md "Recordings") ---------------------------------------------------


class RecordingSource(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    FETCHED = "fetched", _("Fetched from the phone system")


#: Content type → the extension of the stored file.
RECORDING_TYPES: dict[str, str] = {
    "audio/wav": "wav",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/webm": "webm",
    "audio/flac": "flac",
    "audio/mp4": "m4a",
}


def recordings_storage() -> Storage:
    """Where recordings are kept: the ``recordings`` storage of ``STORAGES`` (media storage on
    disk by default, an S3-compatible bucket with ``RECORDINGS_STORAGE=s3``)."""
    return storages["recordings"]


def recording_upload_to(instance: Recording, filename: str) -> str:
    """``recordings/2026/03/<random>.wav``: by year and month, under a random name (never the
    caller's number or anything else about the call); the extension is the content's."""
    extension = RECORDING_TYPES.get(instance.content_type, "bin")
    return f"recordings/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{extension}"


class Recording(models.Model):
    """The recording of one call (at most one per interaction), kept in the recordings storage.

    It is read only through the API and the pages, which check that the reader may see its
    interaction: the storage is never served as it is. ``sha256`` is its ETag."""

    # Not a database foreign key: interactions may be partitioned by month (interactions/partitions.py),
    # where a foreign key to them would need the partition key. Django still deletes the recording
    # with its interaction (the file goes after the commit, see services).
    interaction = models.OneToOneField(
        "interactions.Interaction",
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="telephony_recording",
        verbose_name=_("interaction"),
    )
    file = models.FileField(_("file"), upload_to=recording_upload_to, storage=recordings_storage, max_length=200)
    content_type = models.CharField(_("content type"), max_length=30, choices=[(key, key) for key in RECORDING_TYPES])
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    duration_seconds = models.FloatField(_("duration (seconds)"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=RecordingSource.choices)
    location = models.CharField(
        _("location on the phone system"),
        max_length=2000,
        blank=True,
        help_text=_("The path or URL it was fetched from (empty when uploaded)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    retain_until = models.DateTimeField(
        _("kept until"),
        null=True,
        blank=True,
        help_text=_(
            "Deleted, file and all, after this time by the retention job (empty: as the retention periods say)."
        ),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("call recording")
        verbose_name_plural = _("call recordings")
        indexes = [models.Index(fields=["retain_until"], name="recording_retain_until_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gt=0), name="recording_not_empty"),
        ]

    def __str__(self) -> str:
        return str(_("Recording of interaction %(id)s") % {"id": self.interaction_id})

    @property
    def extension(self) -> str:
        return RECORDING_TYPES.get(self.content_type, "bin")
