"""Call scripts and their published versions (SPEC §3).

A script is edited as a draft and published as an immutable, numbered ``ScriptVersion``;
every interaction can record the version its agent used. The step editor, validation of the
step graph and script analytics build on these two models.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contactcenter.scripts.querysets import ScriptQuerySet


class Script(models.Model):
    name = models.CharField(_("name"), max_length=150, unique=True)
    description = models.TextField(_("description"), blank=True)
    queues = models.ManyToManyField("agents.Queue", blank=True, related_name="scripts", verbose_name=_("queues"))
    campaign = models.CharField(_("campaign"), max_length=150, blank=True)
    draft = models.JSONField(
        _("draft steps"),
        default=list,
        blank=True,
        help_text=_("The steps being edited; agents never see them until they are published."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Every edit of the draft, the name or the settings: who and when (the draft's past steps too).
    history = HistoricalRecords(verbose_name=_("call script history"), verbose_name_plural=_("call script history"))

    objects = ScriptQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("call script")
        verbose_name_plural = _("call scripts")

    def __str__(self) -> str:
        return self.name


class ScriptVersion(models.Model):
    """A published, frozen copy of a script's steps.

    Immutable: ``save()`` on a stored version and ``delete()`` raise; a new version is made by
    publishing (``contactcenter.scripts.services.script_publish``). Who published it and when are
    its own fields, so it needs no history.
    """

    script = models.ForeignKey(Script, on_delete=models.PROTECT, related_name="versions", verbose_name=_("script"))
    number = models.PositiveIntegerField(_("version number"))
    steps = models.JSONField(_("steps"), default=list)
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        ordering = ["script", "-number"]
        verbose_name = _("script version")
        verbose_name_plural = _("script versions")
        constraints = [
            models.UniqueConstraint(fields=["script", "number"], name="script_version_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.script.name} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("A published script version cannot be changed; publish a new one."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValidationError(_("A published script version cannot be deleted."))
