"""The desktop's "My callbacks" panel (``docs/desktop.md``, *Callbacks*): the callbacks in the
agent's hands and those they promised, with the number to dial and a form for each try's outcome.
Thin adapters over :mod:`contactcenter.distribution.selectors` and :mod:`…services`."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from contactcenter.desk.access import page_for
from contactcenter.distribution import selectors
from contactcenter.distribution.models import Callback, CallbackOutcome
from contactcenter.distribution.services import NO_BRIDGE, CallbackClosed, callback_attempt_log, callback_dial
from customers.phones import format_phone_international


class AttemptForm(forms.Form):
    """How one try of a callback went."""

    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=CallbackOutcome.choices)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=2000, required=False)


def _panel(
    request: HttpRequest, *, notice: str = "", error: str = "", about: int | None = None, status: int = 200
) -> HttpResponse:
    rows = selectors.my_callbacks(user=request.user)
    for row in rows:
        row.display_phone = format_phone_international(row.phone)
    context = {"callbacks": rows, "form": AttemptForm(), "notice": notice, "error": error, "about": about}
    return render(request, "desk/partials/callbacks.html", context, status=status)


def _callback_or_404(request: HttpRequest, callback_id: int) -> Callback:
    callback = selectors.callback_for_desk(user=request.user, callback_id=callback_id)
    if callback is None:
        raise Http404
    return callback


@page_for("callback.read")
@require_GET
def my_callbacks(request: HttpRequest) -> HttpResponse:
    """The panel as it is now (refetched when a log promises one and when the agent's status moves)."""
    return _panel(request)


@page_for("callback.write")
@require_POST
def callback_dial_view(request: HttpRequest, callback_id: int) -> HttpResponse:
    """Dial: through the telephony bridge where one is connected; otherwise the agent dials the
    number shown."""
    callback = _callback_or_404(request, callback_id)
    result = callback_dial(callback=callback, by=request.user)
    number = format_phone_international(callback.phone)
    if result.placed:
        notice = _("Calling %(number)s: your phone rings first, pick it up.") % {"number": number}
    elif result.reason == NO_BRIDGE:
        notice = _("No telephony bridge is connected: dial %(number)s yourself, then log how it went.") % {
            "number": number
        }
    else:  # on a contact, no extension: said as the telephony says it
        return _panel(request, error=result.message, about=callback.pk)
    return _panel(request, notice=notice, about=callback.pk)


@page_for("callback.write")
@require_POST
def callback_attempt(request: HttpRequest, callback_id: int) -> HttpResponse:
    """Log how a try went: done, tried again later, or missed (docs/routing.md, Callbacks)."""
    callback = _callback_or_404(request, callback_id)
    form = AttemptForm(request.POST)
    if not form.is_valid():
        error = " ".join(message for messages in form.errors.values() for message in messages)
        return _panel(request, error=error, about=callback.pk, status=400)
    try:
        callback_attempt_log(
            callback=callback, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"], by=request.user
        )
    except CallbackClosed:
        return _panel(request, error=_("This callback is over already."), about=callback.pk, status=409)
    except ValidationError as exc:
        return _panel(request, error=" ".join(exc.messages), about=callback.pk, status=400)
    return _panel(request, notice=_("Outcome logged."), about=callback.pk)


urlpatterns = [
    path("desk/callbacks/", my_callbacks, name="callbacks"),
    path("desk/callbacks/<int:callback_id>/dial/", callback_dial_view, name="callback_dial"),
    path("desk/callbacks/<int:callback_id>/attempts/", callback_attempt, name="callback_attempt"),
]
