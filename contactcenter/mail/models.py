"""Mailboxes and the messages they receive and send (docs/email.md).

A :class:`Mailbox` is one address of the center: the mail it receives (piped in by the MTA, or
read over IMAP) opens or joins tickets in its queue. Each message received or sent is an
:class:`EmailMessage` on its ticket, beside the ``email`` interaction it counts as; its files are
:class:`EmailAttachment` rows, the files themselves in the default storage.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from contactcenter.core.choices import Direction

#: The placeholders an acknowledgement's subject and body may hold.
ACKNOWLEDGEMENT_PLACEHOLDERS = ("reference", "subject", "customer_name", "mailbox")


class Mailbox(models.Model):
    """One address of the center and the queue its mail goes to.

    The IMAP fields stay empty when the MTA pipes the mail in (``manage.py email_receive``). The
    password is kept to log in to the server; it is never shown back (the admin and the API take it
    write-only) and never logged.
    """

    address = models.EmailField(_("address"), unique=True)
    queue = models.ForeignKey(
        "agents.Queue", on_delete=models.PROTECT, related_name="mailboxes", verbose_name=_("queue")
    )
    language = models.CharField(
        _("language"), max_length=10, default="fr", help_text=_("Language code such as fr, en, de, es.")
    )
    signature = models.TextField(_("signature"), blank=True, help_text=_("Added below every reply sent from here."))
    acknowledgement_subject = models.CharField(
        _("acknowledgement subject"),
        max_length=200,
        blank=True,
        help_text=_("Placeholders: {reference}, {subject}, {customer_name}, {mailbox}."),
    )
    acknowledgement_body = models.TextField(
        _("acknowledgement body"),
        blank=True,
        help_text=_(
            "Sent to the customer when their mail opens a ticket; empty: no acknowledgement. "
            "Placeholders: {reference}, {subject}, {customer_name}, {mailbox}."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(
        _("IMAP port"), default=993, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    imap_use_tls = models.BooleanField(_("IMAP over TLS"), default=True)
    imap_username = models.CharField(_("IMAP username"), max_length=255, blank=True)
    imap_password = models.CharField(_("IMAP password"), max_length=255, blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    imap_uidvalidity = models.PositiveBigIntegerField(_("IMAP UIDVALIDITY"), null=True, blank=True, editable=False)
    imap_last_uid = models.PositiveBigIntegerField(_("last IMAP UID read"), default=0, editable=False)
    last_fetched_at = models.DateTimeField(_("last fetched at"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["address"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.address

    def clean(self) -> None:
        self.address = (self.address or "").strip().lower()
        self.language = (self.language or "").strip().lower()
        errors: dict[str, str] = {}
        if not self.language:
            errors["language"] = _("Choose a language.")
        if self.imap_host and not self.imap_username:
            errors["imap_username"] = _("Give the IMAP username, or leave the IMAP host empty.")
        for name in ("acknowledgement_subject", "acknowledgement_body"):
            try:
                getattr(self, name).format(**dict.fromkeys(ACKNOWLEDGEMENT_PLACEHOLDERS, ""))
            except (KeyError, IndexError, ValueError):
                errors[name] = _("Only these placeholders may be used: %(names)s.") % {
                    "names": ", ".join(f"{{{name}}}" for name in ACKNOWLEDGEMENT_PLACEHOLDERS)
                }
        if errors:
            raise ValidationError(errors)

    @property
    def uses_imap(self) -> bool:
        return bool(self.imap_host)


class AutomaticKind(models.TextChoices):
    """What a machine sent: stored like any mail, never acknowledged nor answered."""

    NONE = "none", _("Written by a person")
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    BOUNCE = "bounce", _("Delivery failure")
    LIST = "list", _("Mailing list")
    LOOP = "loop", _("Our own mail coming back")


class SendState(models.TextChoices):
    NONE = "", _("Not to send")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class EmailMessage(models.Model):
    """One mail received by a mailbox or sent from it, on its ticket."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="messages", verbose_name=_("mailbox"))
    ticket = models.ForeignKey(
        "interactions.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="email_messages",
        verbose_name=_("ticket"),
    )
    # No database constraint: the interactions table may be partitioned by month, and a foreign
    # key to it would need the month too (interactions/partitions.py). Django keeps on_delete.
    interaction = models.ForeignKey(
        "interactions.Interaction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="email_messages",
        verbose_name=_("interaction"),
    )
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=255, blank=True)
    references = models.TextField(_("References"), blank=True)
    from_address = models.CharField(_("from (address)"), max_length=254, blank=True)
    from_name = models.CharField(_("from (name)"), max_length=200, blank=True)
    to = models.JSONField(_("to"), default=list, blank=True)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=998, blank=True)
    date = models.DateTimeField(_("date"), null=True, blank=True, help_text=_("The Date header, when valid."))
    body_text = models.TextField(_("text"), blank=True, help_text=_("Without the quoted history, for display."))
    full_text = models.TextField(_("full text"), blank=True, help_text=_("The whole text, quoted history included."))
    body_html = models.TextField(_("HTML (sanitized)"), blank=True)
    raw = models.FileField(_("raw message"), upload_to="mail/raw/%Y/%m/", blank=True)
    automatic = models.CharField(
        _("automatic"), max_length=12, choices=AutomaticKind.choices, default=AutomaticKind.NONE
    )
    send_state = models.CharField(_("sending"), max_length=10, choices=SendState.choices, blank=True, default="")
    send_attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)
    send_error = models.TextField(_("last sending error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    comment = models.OneToOneField(
        "interactions.TicketComment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="email_message",
        verbose_name=_("comment"),
        help_text=_("The public comment this reply sends."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("email message")
        verbose_name_plural = _("email messages")
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="email_message_ticket_idx"),
            models.Index(fields=["created_at", "id"], name="email_message_created_idx"),
            models.Index(fields=["send_state"], name="email_message_sending_idx", condition=~models.Q(send_state="")),
        ]

    def __str__(self) -> str:
        return self.subject or self.message_id


class EmailAttachment(models.Model):
    """A file a mail carried, or an image inline in its HTML (``content_id``)."""

    message = models.ForeignKey(
        EmailMessage, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    file = models.FileField(_("file"), upload_to="mail/attachments/%Y/%m/", blank=True)
    content_id = models.CharField(_("Content-ID"), max_length=255, blank=True)
    too_large = models.BooleanField(
        _("too large to keep"), default=False, help_text=_("Over EMAIL_ATTACHMENT_MAX_BYTES: listed, not stored.")
    )

    class Meta:
        ordering = ["message", "id"]
        verbose_name = _("email attachment")
        verbose_name_plural = _("email attachments")

    def __str__(self) -> str:
        return self.filename


#: The placeholders a canned reply may hold, filled on the desk for the ticket and the agent.
CANNED_PLACEHOLDERS = (
    "customer_first_name",
    "customer_last_name",
    "customer_name",
    "ticket_reference",
    "ticket_subject",
    "agent_name",
)
#: ``{name}``: a placeholder, as in the scripts.
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def canned_fill(text: str, values: dict[str, str]) -> str:
    """``text`` with each known ``{name}`` replaced by ``values[name]`` (blank when unknown for
    this ticket, e.g. a ticket without customer). Any other brace is left as written: nothing
    but the whitelist is ever looked up (no attribute access, unlike ``str.format``)."""
    return PLACEHOLDER.sub(
        lambda match: values.get(match.group(1), "") if match.group(1) in CANNED_PLACEHOLDERS else match.group(0),
        text,
    )


class CannedReply(models.Model):
    """A ready-made answer the agents of a queue pick on an email ticket's reply box (managers
    keep the list in the back office)."""

    queue = models.ForeignKey(
        "agents.Queue", on_delete=models.CASCADE, related_name="canned_replies", verbose_name=_("queue")
    )
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(
        _("body"),
        help_text=_(
            "Placeholders: {customer_first_name}, {customer_last_name}, {customer_name}, "
            "{ticket_reference}, {ticket_subject}, {agent_name}."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["queue", "title"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        constraints = [models.UniqueConstraint(fields=["queue", "title"], name="canned_reply_queue_title_unique")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        unknown = sorted({name for name in PLACEHOLDER.findall(self.body or "")} - set(CANNED_PLACEHOLDERS))
        if unknown:
            raise ValidationError(
                {
                    "body": _("Unknown placeholder %(unknown)s; known: %(names)s.")
                    % {
                        "unknown": ", ".join(f"{{{name}}}" for name in unknown),
                        "names": ", ".join(f"{{{name}}}" for name in CANNED_PLACEHOLDERS),
                    }
                }
            )
