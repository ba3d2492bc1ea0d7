"""Click-to-dial and call control on the desktop (``docs/desktop.md``, *Calling from the desk*):
the dial buttons beside every phone number the desk shows, and the call bar's hold, resume and
transfer. Thin adapters over :mod:`contactcenter.telephony.services`; the outcome is drawn in the
desktop's ``#dial-outcome`` region (a polite live region: screen readers say it).

A dial ends in one of: placed (the agent's phone rings first), no bridge (the number is shown to
dial by hand), on a contact (not now), no extension (an admin sets it), not a number."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from contactcenter.desk.access import page_for
from contactcenter.telephony.models import Capability, CommandAction
from contactcenter.telephony.services import (
    AgentOnContact,
    NoBridge,
    NotOnCall,
    call_act,
    call_dial,
    capabilities_online,
)
from customers.models import Customer
from customers.phones import format_phone_international, try_normalize_phone


class DialForm(forms.Form):
    to = forms.CharField(label=gettext_lazy("Number"), max_length=100)
    customer = forms.IntegerField(required=False, min_value=1)


class CallControlForm(forms.Form):
    call_id = forms.CharField(max_length=150)
    to = forms.CharField(label=gettext_lazy("Extension or number"), max_length=100, required=False)


@dataclass(frozen=True)
class Outcome:
    """What came of a click on the desk: ``kind`` (``placed``, ``no_bridge``, ``on_contact``,
    ``no_extension``, ``invalid``, ``asked``, ``not_on_call``), the message, and the number to dial
    by hand when no bridge can."""

    kind: str
    message: str
    number: str = ""

    @property
    def ok(self) -> bool:
        return self.kind in ("placed", "asked")


def _shown(raw: str) -> str:
    """A number as the desk shows it: international format when it is one, else as typed."""
    number = try_normalize_phone(raw)
    return format_phone_international(number) if number else raw.strip()


def _render(request: HttpRequest, outcome: Outcome, status: int = 200) -> HttpResponse:
    return render(request, "desk/partials/dial_outcome.html", {"outcome": outcome}, status=status)


def dial_outcome(*, request: HttpRequest, to: str, customer: Customer | None) -> tuple[Outcome, int]:
    """Ask :func:`call_dial` and say what came of it (the outcome and the answer's status)."""
    number = _shown(to)
    try:
        call_dial(by=request.user, to=to, customer=customer)
    except ValidationError as error:
        if "extension" not in error.message_dict:
            return Outcome("invalid", " ".join(error.messages)), 400
        if Capability.DIAL not in capabilities_online():
            # Without a bridge the extension does not matter: the agent dials by hand either way.
            return _no_bridge(number), 200
        return Outcome("no_extension", " ".join(error.messages), number), 400
    except AgentOnContact as error:
        return Outcome("on_contact", error.message, number), 409
    except NoBridge:
        return _no_bridge(number), 200
    return Outcome("placed", _("Calling %(number)s: your phone rings first, pick it up.") % {"number": number}), 200


def _no_bridge(number: str) -> Outcome:
    return Outcome(
        "no_bridge",
        _("No phone system is connected to Switchboard: dial %(number)s yourself.") % {"number": number},
        number,
    )


@page_for("call.dial")
@require_POST
def dial(request: HttpRequest) -> HttpResponse:
    """A dial button: call ``to`` from the agent's phone (``customer``: whom, when the desk knows)."""
    form = DialForm(request.POST)
    if not form.is_valid():
        return _render(request, Outcome("invalid", _("Give the number to call.")), status=400)
    customer = None
    if form.cleaned_data["customer"]:
        customer = (
            Customer.objects.visible_to(request.user)
            .filter(pk=form.cleaned_data["customer"], erased_at__isnull=True)
            .first()
        )
    outcome, status = dial_outcome(request=request, to=form.cleaned_data["to"], customer=customer)
    return _render(request, outcome, status=status)


_ASKED = {
    CommandAction.HOLD: gettext_lazy("Putting the call on hold…"),
    CommandAction.RESUME: gettext_lazy("Taking the call off hold…"),
}


@page_for("call.dial")
@require_POST
def call_control(request: HttpRequest, action: str) -> HttpResponse:
    """The call bar's hold, resume and transfer buttons, for the call the agent is on."""
    form = CallControlForm(request.POST)
    if not form.is_valid():
        return _render(request, Outcome("invalid", _("Give an extension or a number.")), status=400)
    target = form.cleaned_data["to"]
    try:
        command = call_act(by=request.user, call_id=form.cleaned_data["call_id"], action=action, target=target)
    except ValidationError as error:
        return _render(request, Outcome("invalid", " ".join(error.messages)), status=400)
    except NotOnCall as error:
        return _render(request, Outcome("not_on_call", error.message), status=409)
    except NoBridge:
        return _render(request, Outcome("no_bridge", CAPABILITY_MISSING[action]()), status=200)
    if action == CommandAction.TRANSFER:
        message = _("Transferring the call to %(target)s…") % {"target": _shown(command.arguments["target"])}
    else:
        message = str(_ASKED[action])
    return _render(request, Outcome("asked", message))


#: Why a call bar button is off: no connected phone system can do it (the button's tooltip).
CAPABILITY_MISSING = {
    CommandAction.HOLD: lambda: _("No connected phone system can put calls on hold from Switchboard"),
    CommandAction.RESUME: lambda: _("No connected phone system can put calls on hold from Switchboard"),
    CommandAction.TRANSFER: lambda: _("No connected phone system can transfer calls from Switchboard"),
}

urlpatterns = [
    path("desk/dial/", dial, name="dial"),
    path("desk/call/hold/", call_control, {"action": CommandAction.HOLD}, name="call_hold"),
    path("desk/call/resume/", call_control, {"action": CommandAction.RESUME}, name="call_resume"),
    path("desk/call/transfer/", call_control, {"action": CommandAction.TRANSFER}, name="call_transfer"),
]
