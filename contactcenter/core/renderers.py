"""The forms' renderer (``FORM_RENDERER``): Django's own, with the empty choice of every list named
for a person.

Django writes ``---------`` for the empty choice of a select (``BLANK_CHOICE_DASH`` and
``ModelChoiceField.empty_label``), in the desk's forms, the admin's change forms, its inlines and
the action list of its changelists. Every select and radio list goes through this renderer, so
this one place says instead "— none —" where the field may stay empty, and "— choose —" where it
must be filled. A form that names its empty choice itself (``empty_label="Unassigned"``) keeps it.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest
from django.utils.safestring import SafeString
from django.utils.translation import gettext

#: Django's empty choice label.
DJANGO_EMPTY_LABEL = "---------"


def empty_choice_label(*, required: bool) -> str:
    """What the empty choice of a list says, in the active language."""
    return gettext("— choose —") if required else gettext("— none —")


class SwitchboardFormRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None) -> SafeString:
        widget = context.get("widget") if isinstance(context, dict) else None
        if isinstance(widget, dict) and widget.get("optgroups"):
            _name_empty_choice(widget)
        return super().render(template_name, context, request)


def _name_empty_choice(widget: dict[str, Any]) -> None:
    for _group, options, _index in widget["optgroups"]:
        for option in options:
            if option.get("value") in ("", None) and str(option.get("label")) == DJANGO_EMPTY_LABEL:
                option["label"] = empty_choice_label(required=bool(widget.get("required")))
