"""The one thing live events keep in the database: single-use socket tickets."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SocketTicket(models.Model):
    """A ticket from ``POST /api/v1/auth/ws-ticket/``, stored as the SHA-256 digest of the ticket
    (a ticket is 256 random bits: a digest is as hard to reverse as the ticket is to guess).

    In the database rather than the cache: every server process finds it, and it is given out and
    taken while Redis is away. The row is deleted when the ticket is used; expired rows are deleted
    when new tickets are given out (:mod:`contactcenter.live.tickets`).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="socket_tickets", verbose_name=_("user")
    )
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        ordering = ["expires_at", "id"]
        verbose_name = _("socket ticket")
        verbose_name_plural = _("socket tickets")
        indexes = [models.Index(fields=["expires_at"], name="socket_ticket_expires_idx")]

    def __str__(self) -> str:
        return f"{self.digest[:8]}… ({self.user_id})"
