"""Teams, agents (a user with a profile), skills, queues and the presence log."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp_webauthn.models import WebAuthnCredential

from contactcenter.agents.querysets import AgentProfileQuerySet, QueueQuerySet, TeamQuerySet
from contactcenter.core.choices import Channel
from contactcenter.core.roles import Role


class Status(models.TextChoices):
    OFFLINE = "offline", _("Offline")
    AVAILABLE = "available", _("Available")
    RINGING = "ringing", _("Ringing")
    BUSY = "busy", _("Busy")
    WRAP_UP = "wrap_up", _("Wrap-up")
    BREAK = "break", _("Break")


class BreakReason(models.TextChoices):
    LUNCH = "lunch", _("Lunch")
    TRAINING = "training", _("Training")
    COACHING = "coaching", _("Coaching")
    MEETING = "meeting", _("Meeting")
    PERSONAL = "personal", _("Personal")
    OTHER = "other", _("Other")
    #: Set by the system, never chosen: a contact was offered to the agent and not taken.
    MISSED = "missed", _("Missed contact")


#: The statuses an agent is in while a contact is open (SPEC: follow the contacts, not a choice).
CONTACT_STATUSES = (Status.RINGING, Status.BUSY, Status.WRAP_UP)


class PendingStatus(models.TextChoices):
    """What an agent on a contact goes to once its wrap-up is over, instead of ``available``."""

    NONE = "", _("Available")
    BREAK = "break", _("Break")
    OFFLINE = "offline", _("Offline")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self) -> str:
        return self.name


#: The longest service-level threshold a queue may have: a week (email is answered in hours).
MAX_SERVICE_LEVEL_SECONDS = 7 * 24 * 3600


class Queue(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.VOICE)
    skills = models.ManyToManyField(Skill, blank=True, related_name="queues", verbose_name=_("skills"))
    service_level_seconds = models.PositiveIntegerField(
        _("service level threshold (seconds)"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SERVICE_LEVEL_SECONDS)],
        help_text=_(
            "A contact answered within this many seconds counts towards the service level "
            "(up to 604800, a week: hours are usual for email, e.g. 28800 for 8 h)."
        ),
    )
    service_level_target = models.FloatField(
        _("service level goal"),
        default=0.8,
        help_text=_("Share of contacts to answer within the threshold, between 0 and 1 (0.8 = 80 %)."),
    )
    wrapup_limit_seconds = models.PositiveIntegerField(
        _("wrap-up limit (seconds)"),
        null=True,
        blank=True,
        help_text=_(
            "After-contact work ends by itself this many seconds after the contact ends "
            "(empty: no limit, the agent ends it)."
        ),
    )
    wrapup_requires_disposition = models.BooleanField(
        _("wrap-up requires a disposition"),
        default=True,
        help_text=_("An agent cannot end the after-contact work of this queue's contacts without a disposition."),
    )
    wrapup_requires_notes = models.BooleanField(
        _("wrap-up requires notes"),
        default=False,
        help_text=_("An agent cannot end the after-contact work of this queue's contacts without notes."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = QueueQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        constraints = [
            models.CheckConstraint(
                condition=Q(service_level_target__gt=0) & Q(service_level_target__lte=1),
                name="queue_service_level_target_in_0_1",
                violation_error_message=_("The service level goal must be above 0 and at most 1."),
            ),
            models.CheckConstraint(
                condition=Q(service_level_seconds__gt=0),
                name="queue_service_level_seconds_positive",
                violation_error_message=_("The service level threshold must be at least 1 second."),
            ),
            models.CheckConstraint(
                condition=Q(wrapup_limit_seconds__isnull=True) | Q(wrapup_limit_seconds__gt=0),
                name="queue_wrapup_limit_positive",
                violation_error_message=_("The wrap-up limit must be at least 1 second (or empty: no limit)."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    """What makes a user an agent: role, team, skills, queues and current presence."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="agent_profile",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("team"),
    )
    skills = models.ManyToManyField(Skill, blank=True, related_name="agents", verbose_name=_("skills"))
    queues = models.ManyToManyField(Queue, blank=True, related_name="agents", verbose_name=_("queues"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OFFLINE)
    status_reason = models.CharField(_("break reason"), max_length=20, choices=BreakReason.choices, blank=True)
    status_since = models.DateTimeField(_("in this status since"), default=timezone.now)
    pending_status = models.CharField(
        _("status after the current contact"),
        max_length=10,
        choices=PendingStatus.choices,
        blank=True,
        help_text=_("Asked for during a contact; applied when its wrap-up is over (empty: available)."),
    )
    pending_reason = models.CharField(
        _("break reason after the current contact"), max_length=20, choices=BreakReason.choices, blank=True
    )
    pending_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("status after the current contact asked by"),
    )
    work_offered = models.BooleanField(
        _("work offered"),
        default=False,
        editable=False,
        help_text=_(
            "A chat, email, ticket or callback is offered to the agent by Switchboard's routing and not "
            "answered yet: the agent rings for it."
        ),
    )
    extension = models.CharField(
        _("phone extension"),
        max_length=40,
        blank=True,
        help_text=_(
            "The agent's phone on the telephony system (1001, PJSIP/1001, user/1001…): the phone a "
            "click-to-dial rings first, and how the telephony bridges know the agent in the PBX's events."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AgentProfileQuerySet.as_manager()

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        indexes = [models.Index(fields=["team", "status"], name="agent_team_status_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["extension"],
                condition=~Q(extension=""),
                name="agent_extension_unique",
                violation_error_message=_("Another agent has this extension."),
            ),
            models.CheckConstraint(
                condition=Q(status="break") | Q(status_reason=""),
                name="agent_reason_only_on_break",
                violation_error_message=_("Only a break carries a reason."),
            ),
            models.CheckConstraint(
                condition=Q(pending_status="break") | Q(pending_reason=""),
                name="agent_pending_reason_only_on_break",
                violation_error_message=_("Only a break carries a reason."),
            ),
            models.CheckConstraint(
                condition=Q(pending_status="") | Q(status__in=["ringing", "busy", "wrap_up"]),
                name="agent_pending_only_on_a_contact",
                violation_error_message=_("A status waits for the end of a contact only while on one."),
            ),
        ]

    def __str__(self) -> str:
        return self.user.get_username()

    @property
    def effective_role(self) -> str:
        """A superuser has the admin role whatever the profile says."""
        return Role.ADMIN if self.user.is_superuser else self.role


class PresenceInterval(models.Model):
    """One stretch of time an agent spent in one status; ``ended_at`` is null while it lasts."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="presence_intervals",
        verbose_name=_("agent"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("break reason"), max_length=20, choices=BreakReason.choices, blank=True)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("set by"),
        help_text=_("Who chose this status: the agent, a supervisor, a manager or an admin (empty: the system)."),
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
        help_text=_("Who chose the next status (empty: the system); the one who set an agent offline, say."),
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("presence interval")
        verbose_name_plural = _("presence intervals")
        indexes = [
            models.Index(fields=["agent", "started_at"], name="presence_agent_started_idx"),
            # The admin lists the whole log newest first.
            models.Index(fields=["started_at"], name="presence_started_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="presence_ends_after_start",
                violation_error_message=_("A presence interval cannot end before it starts."),
            ),
            models.UniqueConstraint(
                fields=["agent"],
                condition=Q(ended_at__isnull=True),
                name="presence_one_open_interval_per_agent",
                violation_error_message=_("An agent has one open presence interval at most."),
            ),
        ]

    def __str__(self) -> str:
        # Its label and the center's time: it names the row on screens (the admin's title, history).
        return f"{self.agent} {self.get_status_display()} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"

    def seconds(self, until: datetime | None = None) -> float:
        """Length in seconds; an open interval counts up to ``until`` (default: now)."""
        end = self.ended_at or until or timezone.now()
        return max((end - self.started_at).total_seconds(), 0.0)


class Passkey(WebAuthnCredential):
    """A user's passkey (a credential of django-otp-webauthn), as the back office lists it; the
    second factor itself is :mod:`contactcenter.core.twofactor`."""

    class Meta:
        proxy = True
        ordering = ["user__username", "created_at"]
        verbose_name = _("passkey")
        verbose_name_plural = _("passkeys")
