"""Every write on call scripts.

A script is edited as a draft (:func:`script_update_draft`, every edit a history row saying who and
when), checked by :func:`contactcenter.scripts.graph.validate_steps` and published as a frozen,
numbered :class:`ScriptVersion` (:func:`script_publish`); an earlier version comes back as the draft
with :func:`script_restore`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from contactcenter.agents.models import Queue
from contactcenter.core.db import full_clean
from contactcenter.scripts.graph import errors_of, validate_steps
from contactcenter.scripts.models import Script, ScriptVersion

_UNSET: Any = object()


def check_steps(steps: Any) -> None:
    """Raise ``ValidationError({"steps": [...]})`` listing every error of ``steps`` (warnings do not
    count): what stands between a draft and publishing."""
    errors = errors_of(validate_steps(steps))
    if errors:
        raise ValidationError({"steps": [problem.message for problem in errors]})


def check_draft_shape(steps: Any) -> None:
    """A draft may be incomplete, but it is a list of objects (what the editor and the API store)."""
    if not isinstance(steps, list) or not all(isinstance(step, dict) for step in steps):
        raise ValidationError({"draft": [_("The draft must be a list of step objects.")]})


@transaction.atomic
def script_create(
    *,
    name: str,
    by: AbstractBaseUser | None,
    description: str = "",
    campaign: str = "",
    queues: Iterable[Queue] = (),
    draft: list[dict[str, Any]] | None = None,
    is_active: bool = True,
) -> Script:
    """A new script with its (possibly empty, possibly invalid) draft; one history row by ``by``."""
    script = Script(name=name, description=description, campaign=campaign, draft=draft or [], is_active=is_active)
    check_draft_shape(script.draft)
    full_clean(script)
    script._history_user = by  # type: ignore[attr-defined]
    script.save()
    script.queues.set(list(queues))
    return script


@transaction.atomic
def script_update(
    *,
    script: Script,
    by: AbstractBaseUser | None,
    name: str = _UNSET,
    description: str = _UNSET,
    campaign: str = _UNSET,
    is_active: bool = _UNSET,
    draft: list[dict[str, Any]] = _UNSET,
    queues: Iterable[Queue] = _UNSET,
) -> Script:
    """Change the fields given (the others stay); one history row by ``by`` when a field changed.
    The draft may be left invalid (the editor shows its problems); it must be a list of objects."""
    changed = False
    for attribute, value in (
        ("name", name),
        ("description", description),
        ("campaign", campaign),
        ("is_active", is_active),
        ("draft", draft),
    ):
        if value is not _UNSET and getattr(script, attribute) != value:
            setattr(script, attribute, value)
            changed = True
    check_draft_shape(script.draft)
    full_clean(script)
    if changed:
        script._history_user = by  # type: ignore[attr-defined]
        script.save()
    if queues is not _UNSET:
        script.queues.set(list(queues))
    return script


def script_update_draft(*, script: Script, steps: list[dict[str, Any]], by: AbstractBaseUser | None) -> Script:
    """Replace the draft's steps (one history row by ``by``); published versions are untouched."""
    return script_update(script=script, draft=steps, by=by)


@transaction.atomic
def script_publish(
    *, script: Script, by: AbstractBaseUser | None, steps: list[dict[str, Any]] | None = None
) -> ScriptVersion:
    """Publish ``steps`` (default: the script's draft, as stored) as the script's next numbered
    version, a deep copy frozen from then on: later edits of the draft change no published step.

    Refuses with ``ValidationError({"steps": [...]})`` naming every error of the graph. The script
    row is locked so that two managers publishing at once get two numbers.
    """
    locked = Script.objects.select_for_update().get(pk=script.pk)
    steps = copy.deepcopy(locked.draft if steps is None else steps)
    check_steps(steps)
    last = ScriptVersion.objects.filter(script_id=script.pk).aggregate(last=Max("number"))["last"]
    version = ScriptVersion(script=locked, number=(last or 0) + 1, steps=steps, published_by=by)
    full_clean(version)
    version.save()
    return version


def script_restore(*, version: ScriptVersion, by: AbstractBaseUser | None) -> Script:
    """Make ``version``'s steps the script's draft (a copy: editing it changes no version); the
    previous draft stays in the history. Publishing it makes a new number."""
    script = Script.objects.get(pk=version.script_id)
    return script_update(script=script, draft=copy.deepcopy(version.steps), by=by)
