"""The call bar at the top of the desktop: the current call's clock (talking, on hold, wrap-up
countdown), what the agent asked for after the call, and their own figures for today.

The page draws the clocks once with the server's instants (``data-`` attributes, ISO 8601) and
``static/desk/callbar.js`` makes them tick; the socket's ``status_changed`` and ``call_hold`` ask
for the bar again (``desk/callbar/``), and the figures (``desk/callbar/figures/``, loaded after
the page) are asked for again when a call leaves the bar, that is when its wrap-up ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from contactcenter.core.formats import format_duration, format_percent
from contactcenter.desk import selectors
from contactcenter.desk.access import page_for
from contactcenter.desk.dial import CAPABILITY_MISSING
from contactcenter.desk.recording_controls import RecordingControls, call_of, recording_controls
from contactcenter.telephony.models import Capability, CommandAction
from contactcenter.telephony.services import capabilities_online
from kpis.selectors import KpiRow


def _iso(value: datetime | None) -> str:
    """An instant for the page's clocks (``Date.parse`` reads it): ISO 8601 in UTC, milliseconds."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds") if value is not None else ""


@dataclass(frozen=True)
class CallControl:
    """One call bar button: the action, whether a connected bridge can do it, why not otherwise."""

    action: str
    enabled: bool
    why_not: str


@dataclass(frozen=True)
class CallBarView:
    """:class:`~contactcenter.desk.selectors.CallBar` as the template shows it: each clock's
    instant for the page's script and its first text, the same as the script's (``m:ss``,
    ``h:mm:ss`` from an hour on; a countdown rounds up, so it reads 0:00 once the limit is
    reached)."""

    bar: selectors.CallBar
    #: The recording's pause buttons during a call (:mod:`contactcenter.desk.recording_controls`).
    recording: RecordingControls | None = None
    #: What the connected bridges can do, read once for the whole bar during a call (``None``: not read).
    online: frozenset[str] | None = None

    @property
    def now(self) -> str:
        return _iso(self.bar.now)

    @property
    def call_id(self) -> str:
        return str(self.bar.interaction.pk) if self.bar.interaction is not None else ""

    @property
    def pbx_call_id(self) -> str:
        """The phone system's id of the current call (what hold, resume and transfer act on)."""
        call = getattr(self.bar.interaction, "cti_call", None) if self.bar.interaction is not None else None
        return call.call_id if call is not None else ""

    @cached_property
    def controls(self) -> list[CallControl]:
        """The call bar's buttons while the call is on: each enabled when a connected bridge can do
        it, else off with the reason (read once, only while a call is on: one query)."""
        if self.bar.phase not in ("talking", "on_hold") or not self.pbx_call_id:
            return []
        online = self.online if self.online is not None else capabilities_online()
        hold = CommandAction.RESUME if self.bar.phase == "on_hold" else CommandAction.HOLD
        return [
            CallControl(hold, Capability.HOLD in online, CAPABILITY_MISSING[hold]()),
            CallControl(
                CommandAction.TRANSFER, Capability.TRANSFER in online, CAPABILITY_MISSING[CommandAction.TRANSFER]()
            ),
        ]

    @property
    def answered_at(self) -> str:
        return _iso(self.bar.interaction.answered_at) if self.bar.talk_seconds is not None else ""

    @property
    def talk_text(self) -> str:
        return format_duration(self.bar.talk_seconds)

    @property
    def held_since(self) -> str:
        return _iso(self.bar.held_since) if self.bar.phase == "on_hold" else ""

    @property
    def hold_text(self) -> str:
        return format_duration(self.bar.hold_seconds)

    @property
    def wrapup_ends_at(self) -> str:
        return _iso(self.bar.wrapup_ends_at)

    @property
    def wrapup_since(self) -> str:
        return _iso(self.bar.interaction.ended_at) if self.bar.phase == "wrap_up" else ""

    @property
    def wrapup_text(self) -> str:
        seconds = self.bar.wrapup_seconds
        if seconds is not None and self.bar.wrapup_ends_at is not None:
            seconds = math.ceil(seconds)
        return format_duration(seconds)


def callbar_context(*, user: AbstractBaseUser, view: selectors.CallView | None) -> dict:
    """What ``desk/partials/callbar.html`` needs inside the desktop page, from the call region it
    has read (no query)."""
    return {"callbar": call_bar_view(selectors.call_bar_of(user=user, view=view))}


def call_bar_view(bar: selectors.CallBar, *, message: str = "") -> CallBarView:
    """The bar as shown, with what the connected bridges can do read once (one query, during a
    call only) for both its call buttons and its recording's."""
    online = capabilities_online() if bar.phase in ("talking", "on_hold") and call_of(bar.interaction)[0] else None
    return CallBarView(bar, recording=recording_controls(bar, message=message, online=online), online=online)


@page_for("desk.open")
@require_GET
def callbar(request: HttpRequest) -> HttpResponse:
    """The call bar's clocks and pending state as they are now (asked again by the page when the
    socket says the status or the hold changed, and after a reconnection)."""
    return render(
        request, "desk/partials/callbar.html", {"callbar": call_bar_view(selectors.call_bar(user=request.user))}
    )


@dataclass(frozen=True)
class MyFigures:
    """The agent's own KPIs of the day, as the bar shows them (``—`` for a rate with nothing to
    count)."""

    row: KpiRow

    @property
    def handled(self) -> int:
        return self.row.handled

    @property
    def aht(self) -> str:
        return format_duration(self.row.aht)

    @property
    def fcr(self) -> str:
        return format_percent(self.row.fcr)

    @property
    def csat(self) -> str:
        return format_percent(self.row.csat)


@page_for("desk.open")
@require_GET
def callbar_figures(request: HttpRequest) -> HttpResponse:
    """The user's own figures for today (contacts handled, AHT, FCR, CSAT), by the KPI engine:
    loaded after the page, and again when a call's wrap-up ends."""
    now = timezone.now()
    row = selectors.my_figures_today(user=request.user, now=now)
    return render(
        request, "desk/partials/callbar_figures.html", {"figures": MyFigures(row), "day": timezone.localdate(now)}
    )


urlpatterns = [
    path("desk/callbar/", callbar, name="callbar"),
    path("desk/callbar/figures/", callbar_figures, name="callbar_figures"),
]
