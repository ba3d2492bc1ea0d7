"""How long each kind of personal data is kept (README "Retention and audit")."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class RetentionKind(models.TextChoices):
    """The kinds of personal data Switchboard stores, each with its own retention period."""

    INTERACTION_NOTES = "interaction_notes", _("Interaction notes")
    INTERACTION_RECORDINGS = "interaction_recordings", _("Call recordings and their references")
    CLOSED_TICKETS = "closed_tickets", _("Closed tickets and their comments")
    SURVEY_COMMENTS = "survey_comments", _("Survey comments")
    CTI_EVENTS = "cti_events", _("Telephony call events")
    CHAT_TRANSCRIPTS = "chat_transcripts", _("Web chat transcripts")
    IDEMPOTENCY_KEYS = "idempotency_keys", _("Stored Idempotency-Key answers")
    PRESENCE_INTERVALS = "presence_intervals", _("Agents' presence log")
    CUSTOMER_READS = "customer_reads", _("Read audit of customers")
    INACTIVE_CUSTOMERS = "inactive_customers", _("Inactive customers")
    ADMIN_LOG = "admin_log", _("Back-office change log")


class RetentionPolicy(models.Model):
    """The retention period of one kind of personal data: one row per kind, made by a migration
    with no period (keep everything), so that nothing is deleted before an admin decides.

    ``manage.py retention_apply`` (and the nightly job) scrubs or deletes what is older than
    ``days``, as :mod:`contactcenter.privacy.services` says for each kind.
    """

    kind = models.CharField(_("kind of data"), max_length=30, choices=RetentionKind.choices, unique=True)
    days = models.PositiveIntegerField(
        _("keep for (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Empty: kept for ever."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("retention period")
        verbose_name_plural = _("retention periods")

    def __str__(self) -> str:
        return str(self.get_kind_display())
