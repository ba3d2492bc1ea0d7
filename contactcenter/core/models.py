"""Project-wide records that belong to no single domain app."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key`` header (SPEC §8).

    A repeat of the same key by the same user with the same request gets this answer again; the
    same key with another request is refused (422). Rows older than seven days are purged by
    ``manage.py purge_idempotency_keys``. See :mod:`contactcenter.core.api.idempotency`.
    """

    key = models.CharField(_("key"), max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    method = models.CharField(_("method"), max_length=10)
    path = models.TextField(_("path"))
    request_hash = models.CharField(_("request fingerprint"), max_length=64)
    response_status = models.PositiveSmallIntegerField(
        _("response status"), null=True, blank=True, help_text=_("Empty while the first request is running.")
    )
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.key}"


class ApiToken(models.Model):
    """A key for ``Authorization: Token <key>``, stored as its SHA-256 digest only.

    The key itself is shown once, when it is issued (:func:`contactcenter.core.tokens.api_token_issue`),
    and cannot be read back. A key is 256 random bits, so a plain digest is as hard to reverse as the
    key is to guess: no salt or slow hash is needed, and one indexed lookup finds it. Revoking a
    token deletes its row.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        _("prefix"), max_length=8, editable=False, help_text=_("The key's first characters, to recognise it.")
    )
    label = models.CharField(_("label"), max_length=100, blank=True, help_text=_("What the token is for."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(
        _("expires at"), null=True, blank=True, help_text=_("Empty: the token never expires.")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["expires_at"], name="api_token_expires_idx")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
