"""The call bar's *Pause recording* / *Resume recording* (PCI DSS: a card number read out must not
be recorded): during a call, each asks the telephony bridge to pause or resume the call's
recording (a ``recording_pause`` / ``recording_resume`` command for the call's id in the phone
system). The bridge applies the matching call event once the phone system did it, so the bar shows
the pause after its next refresh (the ``call_hold`` live event asks for it).

The buttons are offered only while a connected bridge can pause recordings
(:func:`contactcenter.telephony.services.capabilities_online`); otherwise they show, disabled,
with the reason. Only calls that came through the CTI intake have a call id to act on.
"""

from __future__ import annotations

from dataclasses import replace

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contactcenter.desk import selectors
from contactcenter.desk.access import page_for
from contactcenter.desk.callbar import call_bar_view
from contactcenter.desk.recording_controls import RecordingControls, call_of
from contactcenter.telephony.models import CommandAction
from contactcenter.telephony.services import NoBridge, command_request


def _render_bar(request: HttpRequest, bar: selectors.CallBar, message: str) -> HttpResponse:
    view = call_bar_view(bar, message=message)
    if view.recording is None:  # outside a call only the message shows (the buttons need a call)
        view = replace(view, recording=RecordingControls("", False, False, message))
    return render(request, "desk/partials/callbar.html", {"callbar": view})


@page_for("recording.pause")
@require_POST
def callbar_recording(request: HttpRequest, action: str) -> HttpResponse:
    """Ask the bridge to pause (``pause``) or resume (``resume``) the recording of the user's
    current call; answers the call bar again, with what came of it."""
    command = {"pause": CommandAction.RECORDING_PAUSE, "resume": CommandAction.RECORDING_RESUME}.get(action)
    if command is None:
        raise Http404
    bar = selectors.call_bar(user=request.user)
    call_id, _paused = call_of(bar.interaction)
    if bar.phase not in ("talking", "on_hold") or not call_id:
        return _render_bar(request, bar, _("You are not on a call."))
    try:
        command_request(
            action=command,
            by=request.user,
            agent=bar.profile,
            arguments={"call_id": call_id},
            call_id=call_id,
        )
    except NoBridge as refused:
        return _render_bar(request, bar, refused.message)
    asked = (
        _("The phone system was asked to pause the recording.")
        if command == CommandAction.RECORDING_PAUSE
        else _("The phone system was asked to resume the recording.")
    )
    return _render_bar(request, bar, asked)


urlpatterns = [
    path("desk/callbar/recording/<slug:action>/", callbar_recording, name="callbar_recording"),
]
