"""The supervisors' wallboard page, and the simulated call's two buttons.

The first paint comes from the very selectors the ``ws/wallboard/`` socket uses
(:func:`contactcenter.live.selectors.socket_scope`, ``visible_queue_ids``, ``queue_stats``), so the
page and the socket agree on who sees what: a supervisor their team's agents and the queues those
agents serve, managers and admins everything. ``static/desk/wallboard.js`` then applies the
socket's messages; on a reconnect or a gap in ``seq`` it fetches the board again
(``wallboard/board/``): the socket is a hint, the database is the truth.

Views are adapters: reads through selectors, writes through :mod:`contactcenter.desk.simulation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext
from django.views.decorators.http import require_GET, require_POST

from contactcenter.agents.models import BreakReason, Queue, Status
from contactcenter.core import access
from contactcenter.core.choices import Channel
from contactcenter.core.formats import format_duration, format_percent, format_span
from contactcenter.desk.access import page_for
from contactcenter.desk.simulation import UNKNOWN_CALLER, simulated_call_end, simulated_call_start
from contactcenter.distribution import queue_state
from contactcenter.distribution.models import WorkKind
from contactcenter.live import selectors as live_selectors
from interactions.models import Interaction
from interactions.selectors import agents_current_contacts

User = get_user_model()


# --- Formatting (the same rules as wallboard.js, so the first paint and the updates agree) ---------
# Durations and percentages: contactcenter.core.formats, shared with the desktop's call bar and the admin.


def pending_text(pending: str, reason: str) -> str:
    """What waits for the end of an agent's contact, in words ("Break after this call (Lunch)");
    empty when nothing does."""
    if pending == Status.BREAK:
        label = dict(BreakReason.choices).get(reason, reason)
        return _("Break after this call (%(reason)s)") % {"reason": label}
    if pending == Status.OFFLINE:
        return _("Offline after this call")
    return ""


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def service_level_state(fraction: float | None, target: float) -> str:
    """``ok`` when the service level reaches its goal, ``bad`` below it, ``none`` with nothing offered."""
    if fraction is None:
        return "none"
    return "ok" if fraction + 1e-9 >= target else "bad"


# --- The board ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoutedFigure:
    """Routed work (chats, emails, tickets, callbacks) not yet taken in a queue, for one channel."""

    channel: str
    channel_label: str
    waiting: int
    oldest_seconds: float
    since_ms: int

    @property
    def oldest_text(self) -> str:
        return format_duration(self.oldest_seconds)


def routed_figures(rows: list[queue_state.ChannelWaiting], now: datetime) -> list[RoutedFigure]:
    channels = dict(Channel.choices)
    return [
        RoutedFigure(
            channel=row.channel,
            channel_label=str(channels.get(row.channel, row.channel)),
            waiting=row.waiting,
            oldest_seconds=max((now - row.oldest).total_seconds(), 0.0),
            since_ms=_ms(row.oldest),
        )
        for row in rows
    ]


def work_text(work: queue_state.AgentWork | None) -> tuple[str, str]:
    """Who has what, for an agent's card: a short note ("3 items · offer") and the sentence ("2
    chats, 1 ticket; an offer ringing")."""
    if work is None or (not work.total and not work.offered):
        return "", ""
    kinds = dict(WorkKind.choices)
    parts = [f"{count} × {kinds.get(kind, kind)}" for kind, count in sorted(work.assigned.items())]
    sentence = ", ".join(parts)
    short = ngettext("%(count)s item", "%(count)s items", work.total) % {"count": work.total} if work.total else ""
    if work.offered:
        offer = _("an offer ringing")
        sentence = f"{sentence}; {offer}" if sentence else offer
        short = f"{short} · {_('offer')}" if short else _("offer")
    return short, sentence


@dataclass
class QueueTile:
    """One queue's figures, as ``queue_stats`` carries them, ready to show."""

    id: int
    name: str
    channel: str
    channel_label: str
    waiting: int
    longest_wait: float | None
    waiting_since_ms: int | None
    agents: dict[str, int]
    offered: int
    handled: int
    abandoned: int
    service_level: float | None
    abandonment_rate: float | None
    service_level_seconds: int
    service_level_target: float
    #: Routed work not yet taken, per channel (empty: none).
    routed: list[RoutedFigure] = field(default_factory=list)

    @property
    def service_level_text(self) -> str:
        return format_percent(self.service_level)

    @property
    def service_level_state(self) -> str:
        return service_level_state(self.service_level, self.service_level_target)

    @property
    def goal_text(self) -> str:
        return _("goal %(target)s in %(span)s") % {
            "target": format_percent(self.service_level_target),
            "span": format_span(self.service_level_seconds),
        }

    @property
    def abandonment_text(self) -> str:
        return format_percent(self.abandonment_rate, 1)

    @property
    def longest_wait_text(self) -> str:
        return format_duration(self.longest_wait)

    @property
    def wait_state(self) -> str:
        """``bad`` when the oldest caller has waited past the service-level threshold."""
        if self.longest_wait is not None and self.longest_wait > self.service_level_seconds:
            return "bad"
        return "ok" if self.waiting == 0 else "warn"


@dataclass
class AgentRow:
    """One agent of the grid."""

    username: str
    name: str
    team: str
    status: str
    status_label: str
    reason: str
    reason_label: str
    since: datetime
    rank: int
    seconds_in_status: float = 0.0
    #: The contact the agent is on (ringing, busy, wrap-up): its queue, and when its phase began.
    contact_queue: str = ""
    contact_since: datetime | None = None
    #: What waits for the end of the contact ("Break after this call (Lunch)"), in words.
    pending: str = ""
    pending_label: str = ""
    #: Who has what: their routed work in short ("3 items · offer") and in words.
    work_short: str = ""
    work_label: str = ""

    @property
    def pending_short(self) -> str:
        """The card's short note of it ("→ Break"); the sentence is its title and what a screen
        reader reads."""
        return f"→ {Status(self.pending).label}" if self.pending else ""

    @property
    def since_ms(self) -> int:
        return _ms(self.since)

    @property
    def clock_since_ms(self) -> int:
        """The tile's clock counts from the contact's phase on a contact, else from the status."""
        return _ms(self.contact_since or self.since)

    @property
    def time_in_status_text(self) -> str:
        return format_duration(self.seconds_in_status)


@dataclass
class Board:
    """Everything the wallboard shows at ``now``."""

    now: datetime
    tiles: list[QueueTile] = field(default_factory=list)
    agents: list[AgentRow] = field(default_factory=list)

    @property
    def now_ms(self) -> int:
        return int(self.now.timestamp() * 1000)

    @property
    def density(self) -> str:
        """How tightly the board is drawn, so that a room's screen shows it all without scrolling:
        ``roomy`` up to 4 queues and 12 agents, ``dense`` up to 8 queues and 30 agents (they fit
        1366×768 and 1920×1080), ``compact`` past that."""
        queues, agents = len(self.tiles), len(self.agents)
        if queues <= 4 and agents <= 12:
            return "roomy"
        if queues <= 8 and agents <= 32:
            return "dense"
        return "compact"

    @property
    def status_counts(self) -> list[tuple[str, str, int]]:
        """``(status, label, agents)`` for every status, in the grid's order."""
        counts = {status: 0 for status in live_selectors.WALLBOARD_STATUS_ORDER}
        for agent in self.agents:
            counts[agent.status] = counts.get(agent.status, 0) + 1
        return [(status, Status(status).label, counts[status]) for status in live_selectors.WALLBOARD_STATUS_ORDER]


def wallboard_board(*, user: AbstractBaseUser, now: datetime | None = None) -> Board:
    """The board ``user`` may see: the tiles of :func:`~contactcenter.live.selectors.queue_stats`
    for the queues their ``ws/wallboard/`` socket covers, and the agents whose ``agent_status``
    events it relays (:func:`~contactcenter.live.selectors.wallboard_agents`).

    Eight queries at most (the scope's four, the figures' one, the agents' one, their current
    contacts' one when some agent is on a contact, the routed work's one: per queue and channel
    the items not yet taken, per agent their items and offer), whatever the number of queues,
    agents and items.
    Raises ``PermissionDenied`` when the user may not watch a wallboard.
    """
    now = now or timezone.now()
    scope = live_selectors.socket_scope(user_id=user.pk)
    if scope is None or not scope.may_watch_wallboard:
        raise PermissionDenied
    rows = live_selectors.queue_stats(queue_ids=live_selectors.visible_queue_ids(scope), now=now)
    profiles = live_selectors.wallboard_agents(scope=scope)
    routed = queue_state.routed_work(
        queue_ids=[row["_id"] for row in rows], agent_ids=[profile.user_id for profile in profiles]
    )
    channels = dict(Channel.choices)
    tiles = [
        QueueTile(
            id=row["_id"],
            name=row["queue"],
            channel=row["channel"],
            channel_label=str(channels.get(row["channel"], row["channel"])),
            waiting=row["waiting"],
            longest_wait=row["longest_wait"],
            waiting_since_ms=(
                int(now.timestamp() * 1000 - row["longest_wait"] * 1000) if row["longest_wait"] is not None else None
            ),
            agents=row["agents"],
            offered=row["offered"],
            handled=row["handled"],
            abandoned=row["abandoned"],
            service_level=row["service_level"],
            abandonment_rate=row["abandonment_rate"],
            service_level_seconds=row["service_level_seconds"],
            service_level_target=row["service_level_target"],
            routed=routed_figures(routed.queues.get(row["_id"], []), now),
        )
        for row in rows
    ]
    statuses = dict(Status.choices)
    reasons = dict(BreakReason.choices)
    rank = {status: index for index, status in enumerate(live_selectors.WALLBOARD_STATUS_ORDER)}
    contacts = agents_current_contacts(statuses={profile.user_id: profile.status for profile in profiles})
    agents = []
    for profile in profiles:
        contact = contacts.get(profile.user_id)
        clock_since = contact.since if contact else profile.status_since
        work_short, work_label = work_text(routed.agents.get(profile.user_id))
        agents.append(
            AgentRow(
                username=profile.user.get_username(),
                name=profile.user.get_full_name() or profile.user.get_username(),
                team=profile.team.name if profile.team_id else "",
                status=profile.status,
                status_label=str(statuses.get(profile.status, profile.status)),
                reason=profile.status_reason,
                reason_label=str(reasons.get(profile.status_reason, profile.status_reason)),
                since=profile.status_since,
                rank=rank.get(profile.status, len(rank)),
                seconds_in_status=max((now - clock_since).total_seconds(), 0.0),
                contact_queue=contact.queue if contact else "",
                contact_since=contact.since if contact else None,
                pending=profile.pending_status,
                pending_label=pending_text(profile.pending_status, profile.pending_reason),
                work_short=work_short,
                work_label=work_label,
            )
        )
    return Board(now=now, tiles=tiles, agents=agents)


# --- The simulated call form ----------------------------------------------------------------------


class SimulatedCallForm(forms.Form):
    """Play a simulated call in one of the queues of the board (voice queues only)."""

    KNOWN = "known"
    CALLERS = [
        (KNOWN, gettext_lazy("A known customer (random)")),
        (UNKNOWN_CALLER, gettext_lazy("An unknown number")),
    ]

    queue = forms.TypedChoiceField(label=gettext_lazy("Queue"), coerce=int)
    agent = forms.ChoiceField(label=gettext_lazy("Agent"), required=False)
    caller = forms.ChoiceField(label=gettext_lazy("Caller"), choices=CALLERS, initial=KNOWN, widget=forms.RadioSelect)

    def __init__(self, *args: Any, board: Board, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["queue"].choices = [(tile.id, tile.name) for tile in board.tiles if tile.channel == Channel.VOICE]
        self.fields["agent"].choices = [
            ("", _("Any available agent of the queue")),
            *((agent.username, f"{agent.name} · {agent.status_label}") for agent in board.agents),
        ]

    @property
    def has_queues(self) -> bool:
        return bool(self.fields["queue"].choices)


def _page_context(request: HttpRequest, board: Board, form: SimulatedCallForm | None = None) -> dict[str, Any]:
    may_simulate = access.can(request.user, "call.simulate")
    return {
        "board": board,
        "may_open_desktop": access.can(request.user, "desk.open"),
        "may_simulate": may_simulate,
        "simulate_form": form or (SimulatedCallForm(board=board) if may_simulate else None),
        "labels": _script_labels(),
    }


def _script_labels() -> dict[str, Any]:
    """The words ``wallboard.js`` shows, in the page's language (it has no catalogue of its own)."""
    return {
        "statuses": {status: str(label) for status, label in Status.choices},
        "reasons": {reason: str(label) for reason, label in BreakReason.choices},
        # What became of a call, in the "Latest calls" line ("09:12 · Billing · Léa · answered").
        "events": {
            "answered": pgettext("call event", "answered"),
            "ended": pgettext("call event", "ended"),
            "abandoned": pgettext("call event", "abandoned"),
            "wrapped_up": pgettext("call event", "after-call work over"),
            "logged": pgettext("call event", "logged"),
        },
        "wait": _("waited %(duration)s"),
        "unknown_agent": _("no agent"),
        # What waits for the end of an agent's contact, on their tile.
        "pending_break": _("Break after this call (%(reason)s)"),
        "pending_offline": _("Offline after this call"),
    }


# --- Views ----------------------------------------------------------------------------------------


@page_for("wallboard.open")
@require_GET
def wallboard(request: HttpRequest) -> HttpResponse:
    """The wallboard: queue tiles and the agents grid, then live over ``ws/wallboard/``."""
    board = wallboard_board(user=request.user)
    return render(request, "desk/wallboard/page.html", _page_context(request, board))


@page_for("wallboard.open")
@require_GET
def wallboard_board_view(request: HttpRequest) -> HttpResponse:
    """The tiles and the grid alone, as they are now: what the page swaps in after a reconnect."""
    board = wallboard_board(user=request.user)
    return render(request, "desk/wallboard/board.html", {"board": board})


@page_for("call.simulate")
@require_POST
def simulate_call(request: HttpRequest) -> HttpResponse:
    """Play a simulated call (offered, then answered by an available agent) through the CTI intake.

    With htmx: the form again with a success or error message (400 on error); the board refreshes
    on the ``wallboard-changed`` event. Without: the whole page.
    """
    board = wallboard_board(user=request.user)
    form = SimulatedCallForm(request.POST, board=board)
    context_message: dict[str, Any] = {}
    status = 200
    if form.is_valid():
        queue = Queue.objects.filter(pk=form.cleaned_data["queue"]).first()
        agent = None
        username = form.cleaned_data["agent"]
        if username:
            agent = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        caller = None if form.cleaned_data["caller"] == SimulatedCallForm.KNOWN else UNKNOWN_CALLER
        try:
            if queue is None:
                raise ValidationError({"queue": _("This queue no longer exists.")})
            interaction = simulated_call_start(queue=queue, agent=agent, caller=caller, by=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            context_message = {
                "simulate_ok": _("Call %(id)s rings in %(queue)s and %(agent)s answered it.")
                % {
                    "id": interaction.pk,
                    "queue": queue.name,
                    "agent": interaction.agent.get_full_name() or interaction.agent.get_username(),
                }
            }
            board = wallboard_board(user=request.user)
            form = SimulatedCallForm(board=board)
    if form.errors:
        status = 400
    context = {**_page_context(request, board, form), **context_message}
    if request.htmx:
        response = render(request, "desk/wallboard/simulate.html", context, status=status)
        if status == 200:
            response["HX-Trigger"] = "wallboard-changed"
        return response
    return render(request, "desk/wallboard/page.html", context, status=status)


@page_for("desk.open")
@require_POST
def simulated_call_end_view(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """Hang up a simulated call: for the call's own agent, or a supervisor and up who may see it.

    404 when the interaction is not one the user may see; 403 for another agent; 400 with a short
    message when it is not a simulated call or is over. Success: 204 with ``HX-Trigger:
    call-changed`` for htmx, otherwise back to the desktop.
    """
    interaction = Interaction.objects.visible_to(request.user).filter(pk=interaction_id).first()
    if interaction is None:
        raise Http404
    if interaction.agent_id != request.user.pk and not access.can(request.user, "call.simulate"):
        raise PermissionDenied
    try:
        simulated_call_end(interaction=interaction, by=request.user)
    except ValidationError as exc:
        return render(request, "desk/wallboard/end_error.html", {"messages_": exc.messages}, status=400)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Trigger"] = "call-changed"
        return response
    return redirect("desk:desktop")


urlpatterns = [
    path("wallboard/", wallboard, name="wallboard"),
    path("wallboard/board/", wallboard_board_view, name="wallboard_board"),
    path("wallboard/simulate/", simulate_call, name="simulate_call"),
    path(
        "desk/calls/<int:interaction_id>/simulated-end/",
        simulated_call_end_view,
        name="simulated_call_end",
    ),
]
