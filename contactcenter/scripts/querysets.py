"""Chainable script filters, and what each user may read of them (SPEC §5, Access)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.db.models import Exists, OuterRef

from contactcenter.core.access import can


class ScriptQuerySet(models.QuerySet):
    def visible_to(self, user: AbstractBaseUser) -> ScriptQuerySet:
        """Those who write scripts (``script.write``) read every script and its draft; other roles
        the active scripts with at least one published version; a user without a role none."""
        if can(user, "script.write"):
            return self
        if can(user, "script.read"):
            versions = self.model._meta.get_field("versions").related_model.objects.filter(script=OuterRef("pk"))
            return self.filter(Exists(versions), is_active=True)
        return self.none()
