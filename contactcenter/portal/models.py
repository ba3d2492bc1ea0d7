"""The portal's own records: the sign-in links mailed to customers, and what customers wrote on
their tickets through the portal (docs/portal.md)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PortalLink(models.Model):
    """A single-use sign-in link mailed to a customer.

    The link's token is never stored: it is an HMAC of ``nonce`` under the ``SECRET_KEY``
    (:func:`contactcenter.portal.services.link_token`), so the job that mails it needs only the
    row's id, and what the database holds (the nonce, the token's SHA-256) signs nobody in.
    """

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="portal_links", verbose_name=_("customer")
    )
    email = models.EmailField(_("sent to"), max_length=254)
    nonce = models.CharField(_("nonce"), max_length=64, editable=False)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    language = models.CharField(_("language"), max_length=10, blank=True)
    base_url = models.CharField(
        _("portal address"), max_length=300, help_text=_("The address the link points to (scheme and host).")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("portal sign-in link")
        verbose_name_plural = _("portal sign-in links")
        indexes = [
            models.Index(fields=["customer", "created_at"], name="portal_link_customer_idx"),
            models.Index(fields=["expires_at"], name="portal_link_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.created_at:%Y-%m-%d %H:%M}"


class PortalMessage(models.Model):
    """A reply a customer wrote on one of their tickets in the portal; its contact is the inbound
    ``web`` interaction logged with it."""

    ticket = models.ForeignKey(
        "interactions.Ticket", on_delete=models.CASCADE, related_name="portal_messages", verbose_name=_("ticket")
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="portal_messages",
        verbose_name=_("customer"),
    )
    # No database constraint: the interactions table may be partitioned by month, and a foreign
    # key to it would need the month too (interactions/partitions.py). Django keeps on_delete.
    interaction = models.OneToOneField(
        "interactions.Interaction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="portal_message",
        verbose_name=_("interaction"),
    )
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("portal message")
        verbose_name_plural = _("portal messages")
        indexes = [models.Index(fields=["ticket", "created_at"], name="portal_message_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} #{self.pk}"
