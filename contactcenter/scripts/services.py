"""Every write on call scripts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from contactcenter.scripts.models import Script, ScriptVersion


def check_steps(steps: Any) -> None:
    """A publishable script has at least one step, as a JSON list."""
    if not isinstance(steps, list) or not steps:
        raise ValidationError({"steps": _("A published script needs at least one step (a JSON list).")})


@transaction.atomic
def script_publish(*, version: ScriptVersion, by: AbstractBaseUser | None) -> ScriptVersion:
    """Number ``version`` after its script's last one and store it, frozen.

    The script row is locked so that two managers publishing at once get two numbers.
    """
    Script.objects.select_for_update().filter(pk=version.script_id).get()
    last = ScriptVersion.objects.filter(script_id=version.script_id).aggregate(last=Max("number"))["last"]
    version.number = (last or 0) + 1
    version.published_by = by
    check_steps(version.steps)
    version.full_clean()
    version.save()
    return version
