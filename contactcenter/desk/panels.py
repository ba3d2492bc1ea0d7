"""The wallboard's panels: a tile clicked opens one (``docs/wallboard.md``, "Panels").

- a queue's: the contacts waiting in it now (customer if known, since when, for how long);
- an agent's: their state and what waits for the end of their contact, their day (the presence
  log's intervals today, with reasons and who set them; today's contacts; a few figures), and the
  supervisor's actions: *Break* (with a reason) and *Offline*, through the agent state machine
  (:func:`contactcenter.agents.states.agent_state_request`, the service behind ``PUT
  /api/v1/agents/{username}/status/``), deferred while the agent is on a contact.

Who sees what is the wallboard's: a supervisor their team's agents and the queues those agents
serve, managers and admins everything; anything else answers 404. Views are adapters: reads through
:mod:`contactcenter.live.selectors`, the write through the state machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from contactcenter.agents.api.serializers import AgentStatusSerializer
from contactcenter.agents.models import AgentProfile, BreakReason, Queue, Role, Status
from contactcenter.agents.states import CHOSEN_BREAK_REASONS, agent_state_request, agent_status_check
from contactcenter.core import access
from contactcenter.core.choices import Channel
from contactcenter.core.db import MAX_ID
from contactcenter.core.formats import format_duration
from contactcenter.desk.access import page_for
from contactcenter.desk.wallboard import pending_text
from contactcenter.distribution import queue_state
from contactcenter.distribution.models import KIND_CHANNEL, WorkItem, WorkKind, WorkState
from contactcenter.distribution.services import WorkItemGone, work_item_move
from contactcenter.live import selectors as live_selectors
from interactions import durations
from interactions.models import Interaction

User = get_user_model()


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _person(user: AbstractBaseUser | None) -> str:
    """Who did something: a person's name, or the system's."""
    if user is None:
        return _("the system")
    return user.get_full_name() or user.get_username()


# --- A queue's panel ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitingRow:
    """One contact waiting in the queue."""

    name: str
    known: bool
    offered_at: datetime
    seconds: float
    ringing_for: str

    @property
    def since_ms(self) -> int:
        return _ms(self.offered_at)

    @property
    def duration_text(self) -> str:
        return format_duration(self.seconds)


def _waiting_row(interaction: Interaction, now: datetime) -> WaitingRow:
    customer = interaction.customer
    call = getattr(interaction, "cti_call", None)  # joined: no query, None without a call
    ringing_for = ""
    if call is not None and call.presence_status == Status.RINGING and call.presence_agent is not None:
        ringing_for = _person(call.presence_agent)
    return WaitingRow(
        name=customer.display_name if customer else _("Unknown caller"),
        known=customer is not None,
        offered_at=interaction.offered_at,
        seconds=max((now - interaction.offered_at).total_seconds(), 0.0),
        ringing_for=ringing_for,
    )


def queue_panel_context(
    *,
    queue: Queue,
    user: AbstractBaseUser,
    now: datetime | None = None,
    errors: list[str] | None = None,
    done: str = "",
) -> dict[str, Any]:
    now = now or timezone.now()
    waiting = live_selectors.queue_waiting_contacts(queue=queue, now=now)
    rows = [_waiting_row(interaction, now) for interaction in waiting]
    items = queue_state.queue_items(queue=queue, now=now)
    return {
        "queue": queue,
        "channel_label": dict(Channel.choices).get(queue.channel, queue.channel),
        "waiting": rows,
        "capped": len(rows) >= live_selectors.WAITING_LIST_LIMIT,
        "now_ms": _ms(now),
        **_work_context(user=user, items=items, now=now, errors=errors, done=done),
        "work_capped": len(items) >= queue_state.QUEUE_ITEMS_LIMIT,
        "work_panel": "queue",
    }


# --- Routed work in the panels (who has what, the line, moves) -------------------------------------------


@dataclass(frozen=True)
class WorkRow:
    """One routed work item, as a panel lists it."""

    id: int
    kind_label: str
    channel_label: str
    what: str
    queue: str
    state: str
    state_label: str
    arrived_at: datetime
    seconds: float
    position: int | None
    estimated_wait: int | None
    agent: str

    @property
    def since_ms(self) -> int:
        return _ms(self.arrived_at)

    @property
    def duration_text(self) -> str:
        return format_duration(self.seconds)

    @property
    def estimated_text(self) -> str:
        if self.estimated_wait is None:
            return "—"
        return _("now") if self.estimated_wait == 0 else format_duration(self.estimated_wait)

    @property
    def moves_to_queue(self) -> bool:
        return self.state != WorkState.ASSIGNED


def _what(item: WorkItem) -> str:
    """The work in words: the ticket, else the customer, else the kind."""
    if item.ticket_id is not None:
        return f"{item.ticket.reference} · {item.ticket.subject}"
    if item.customer_id is not None:
        return item.customer.display_name
    return _("Unknown customer")


def _work_rows(items: list[WorkItem], now: datetime) -> list[WorkRow]:
    places = queue_state.items_places(items=items, now=now)
    kinds, channels, states = dict(WorkKind.choices), dict(Channel.choices), dict(WorkState.choices)
    rows = []
    for item in items:
        place = places.get(item.pk)
        holder = item.offered_to if item.state == WorkState.OFFERED else item.assigned_to
        rows.append(
            WorkRow(
                id=item.pk,
                kind_label=str(kinds.get(item.kind, item.kind)),
                channel_label=str(channels.get(KIND_CHANNEL[item.kind], "")),
                what=_what(item),
                queue=item.queue.name,
                state=item.state,
                state_label=str(states.get(item.state, item.state)),
                arrived_at=item.arrived_at,
                seconds=max((now - item.arrived_at).total_seconds(), 0.0),
                position=place.position if place else None,
                estimated_wait=place.estimated_wait_seconds if place else None,
                agent=_person(holder) if holder is not None and item.state != WorkState.WAITING else "",
            )
        )
    return rows


def move_choices(user: AbstractBaseUser) -> dict[str, list[tuple[str, str]]]:
    """Where ``user`` may move work: the queues (``queue:<id>``) and the agents (``agent:<username>``)
    of their wallboard. Two queries."""
    queues = [(f"queue:{queue.pk}", queue.name) for queue in queue_state.queues_for_moves(user)]
    profiles = (
        AgentProfile.objects.visible_to(user)
        .filter(user__is_active=True, role__in=(Role.AGENT, Role.SUPERVISOR))
        .select_related("user")
        .order_by("user__username")
    )
    agents = [(f"agent:{profile.user.get_username()}", _person(profile.user)) for profile in profiles]
    return {"queues": queues, "agents": agents}


def _work_context(
    *, user: AbstractBaseUser, items: list[WorkItem], now: datetime, errors: list[str] | None, done: str
) -> dict[str, Any]:
    may_move = access.can(user, "routing.move")
    return {
        "work": _work_rows(items, now),
        "may_move": may_move,
        "move_choices": move_choices(user) if may_move and items else {},
        "work_errors": errors or [],
        "work_done": done,
    }


# --- An agent's panel -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IntervalRow:
    """One stretch of the agent's day in one status (cut at midnight)."""

    status: str
    status_label: str
    reason_label: str
    start: datetime
    end: datetime | None
    seconds: float
    set_by: str
    ended_by: str

    @property
    def duration_text(self) -> str:
        return format_duration(self.seconds)

    @property
    def since_ms(self) -> int:
        return _ms(self.start)


@dataclass(frozen=True)
class ContactRow:
    """One contact of the agent today."""

    offered_at: datetime
    queue: str
    channel_label: str
    seconds: float | None
    ongoing: bool
    answered: bool
    disposition: str

    @property
    def duration_text(self) -> str:
        return format_duration(self.seconds)


@dataclass(frozen=True)
class DayFigures:
    """The agent's figures of the day so far."""

    handled: int
    talk_seconds: float
    average_handle_seconds: float | None
    #: ``(status, label, time in it today as m:ss or h:mm:ss)``, in the board's order.
    time_by_status: list[tuple[str, str, str]]

    @property
    def talk_text(self) -> str:
        return format_duration(self.talk_seconds)

    @property
    def average_handle_text(self) -> str:
        return format_duration(self.average_handle_seconds)


def _interval_rows(day: live_selectors.AgentDay) -> list[IntervalRow]:
    statuses, reasons = dict(Status.choices), dict(BreakReason.choices)
    rows = []
    for interval in day.intervals:
        start = max(interval.started_at, day.day_start)
        end = interval.ended_at
        rows.append(
            IntervalRow(
                status=interval.status,
                status_label=str(statuses.get(interval.status, interval.status)),
                reason_label=str(reasons.get(interval.reason, interval.reason)) if interval.reason else "",
                start=start,
                end=end,
                seconds=max(((end or day.now) - start).total_seconds(), 0.0),
                set_by=_person(interval.set_by),
                ended_by=_person(interval.ended_by) if end is not None else "",
            )
        )
    return rows


def _contact_rows(day: live_selectors.AgentDay) -> list[ContactRow]:
    channels = dict(Channel.choices)
    rows = []
    for interaction in day.contacts:
        ongoing = interaction.answered_at is not None and interaction.wrapup_ended_at is None
        if ongoing:
            seconds = max((day.now - interaction.answered_at).total_seconds(), 0.0)
        else:
            seconds = durations.handle_seconds(interaction)
        rows.append(
            ContactRow(
                offered_at=interaction.offered_at,
                queue=interaction.queue.name if interaction.queue_id else "—",
                channel_label=str(channels.get(interaction.channel, interaction.channel)),
                seconds=seconds,
                ongoing=ongoing,
                answered=interaction.answered_at is not None,
                disposition=str(interaction.disposition) if interaction.disposition_id else "",
            )
        )
    return rows


def _figures(intervals: list[IntervalRow], day: live_selectors.AgentDay) -> DayFigures:
    finished = [
        interaction
        for interaction in day.contacts
        if interaction.answered_at is not None and durations.handle_seconds(interaction) is not None
    ]
    handles = [durations.handle_seconds(interaction) for interaction in finished]
    totals: dict[str, float] = {}
    for row in intervals:
        totals[row.status] = totals.get(row.status, 0.0) + row.seconds
    order = [Status.AVAILABLE, Status.RINGING, Status.BUSY, Status.WRAP_UP, Status.BREAK]
    return DayFigures(
        handled=len(finished),
        talk_seconds=sum(durations.talk_seconds(interaction) or 0.0 for interaction in finished),
        average_handle_seconds=sum(handles) / len(handles) if handles else None,
        time_by_status=[
            (status, Status(status).label, format_duration(totals[status])) for status in order if status in totals
        ],
    )


def may_set_status(*, user: AbstractBaseUser, profile: AgentProfile) -> bool:
    """Whether ``user`` may set ``profile``'s agent offline (and so on a break): the state machine's rule."""
    try:
        agent_status_check(profile=profile, status=Status.OFFLINE, reason="", by=user)
    except (PermissionDenied, ValidationError):
        return False
    return True


def agent_panel_context(
    *,
    user: AbstractBaseUser,
    profile: AgentProfile,
    now: datetime | None = None,
    errors: list[str] | None = None,
    done: str = "",
    chosen_reason: str = "",
    work_errors: list[str] | None = None,
    work_done: str = "",
) -> dict[str, Any]:
    day = live_selectors.agent_day(profile=profile, now=now)
    intervals = _interval_rows(day)
    items = queue_state.agent_items(user_id=profile.user_id)
    statuses, reasons = dict(Status.choices), dict(BreakReason.choices)
    return {
        "profile": profile,
        "name": _person(profile.user),
        "status_label": statuses.get(profile.status, profile.status),
        "reason_label": reasons.get(profile.status_reason, "") if profile.status_reason else "",
        "since_ms": _ms(profile.status_since),
        "pending_label": pending_text(profile.pending_status, profile.pending_reason),
        "pending_by": _person(profile.pending_set_by) if profile.pending_status and profile.pending_set_by_id else "",
        "intervals": intervals,
        "contacts": _contact_rows(day),
        "figures": _figures(intervals, day),
        "may_set_status": may_set_status(user=user, profile=profile),
        "break_reasons": [(reason.value, reason.label) for reason in CHOSEN_BREAK_REASONS],
        "chosen_reason": chosen_reason,
        "errors": errors or [],
        "done": done,
        "now_ms": _ms(day.now),
        **_work_context(user=user, items=items, now=day.now, errors=work_errors, done=work_done),
        "work_panel": f"agent:{profile.user.get_username()}",
    }


def _agent_or_404(request: HttpRequest, username: str) -> AgentProfile:
    profile = live_selectors.wallboard_agent(user=request.user, username=username)
    if profile is None:
        raise Http404
    return profile


# --- Views ----------------------------------------------------------------------------------------


@page_for("wallboard.open")
@require_GET
def queue_panel(request: HttpRequest, queue_id: int) -> HttpResponse:
    """A queue tile clicked: who waits in it now. 404 for a queue the user's wallboard does not show."""
    queue = live_selectors.wallboard_queue(user=request.user, queue_id=queue_id)
    if queue is None:
        raise Http404
    return render(request, "desk/wallboard/queue_panel.html", queue_panel_context(queue=queue, user=request.user))


@page_for("wallboard.open")
@require_GET
def agent_panel(request: HttpRequest, username: str) -> HttpResponse:
    """An agent tile clicked: the agent's day and the supervisor's actions. 404 for an agent the
    user may not see."""
    profile = _agent_or_404(request, username)
    return render(request, "desk/wallboard/agent_panel.html", agent_panel_context(user=request.user, profile=profile))


@page_for("status.write_others")
@require_POST
def agent_status(request: HttpRequest, username: str) -> HttpResponse:
    """Set an agent on a break (with a reason) or offline from their panel: validated as ``PUT
    /api/v1/agents/{username}/status/`` is, through the state machine. On a contact it waits for the
    end of the contact's wrap-up, and the panel says so. Answers the panel again: 200, or 400 with
    the errors inline (403 when the state machine refuses the user: another team's agent)."""
    profile = _agent_or_404(request, username)
    sent = {key: request.POST[key] for key in ("status", "reason") if key in request.POST}
    serializer = AgentStatusSerializer(data=sent)
    errors: list[str] = []
    done = ""
    code = 200
    if not serializer.is_valid():
        errors = [str(message) for messages in serializer.errors.values() for message in messages]
    else:
        try:
            change = agent_state_request(
                profile=profile,
                status=serializer.validated_data["status"],
                reason=serializer.validated_data["reason"],
                by=request.user,
            )
        except ValidationError as exc:
            errors = exc.messages
        except PermissionDenied as exc:
            errors, code = [str(exc) or _("You may not set this agent's status.")], 403
        else:
            profile = _agent_or_404(request, username)
            if change.deferred:
                done = _("%(name)s is on a contact: %(what)s.") % {
                    "name": _person(profile.user),
                    "what": pending_text(profile.pending_status, profile.pending_reason),
                }
            elif profile.status == Status.BREAK:
                done = _("Done: %(name)s is on a break (%(reason)s).") % {
                    "name": _person(profile.user),
                    "reason": BreakReason(profile.status_reason).label,
                }
            else:
                done = _("Done: %(name)s is offline.") % {"name": _person(profile.user)}
    if errors and code == 200:
        code = 400
    context = agent_panel_context(
        user=request.user, profile=profile, errors=errors, done=done, chosen_reason=sent.get("reason", "")
    )
    return render(request, "desk/wallboard/agent_panel.html", context, status=code)


def _move_done(item: WorkItem) -> str:
    what = f"{WorkKind(item.kind).label} #{item.pk}"
    if item.state == WorkState.OFFERED:
        return _("Done: %(what)s is offered to %(name)s.") % {"what": what, "name": _person(item.offered_to)}
    if item.state == WorkState.ASSIGNED:
        return _("Done: %(what)s is now %(name)s’s.") % {"what": what, "name": _person(item.assigned_to)}
    return _("Done: %(what)s waits in %(queue)s.") % {"what": what, "queue": item.queue.name}


def _move(request: HttpRequest, item: WorkItem) -> tuple[list[str], str]:
    """Move ``item`` where the form says (``to``: ``queue:<id>`` or ``agent:<username>``): the errors,
    or what was done."""
    kind, _sep, value = request.POST.get("to", "").partition(":")
    queue = agent = None
    if kind == "queue":
        queue = queue_state.queues_for_moves(request.user).filter(pk=int(value) if value.isdigit() else 0).first()
        if queue is None:
            return [_("This queue is not one your team serves.")], ""
    elif kind == "agent":
        agent = User.objects.filter(**{User.USERNAME_FIELD: value}).first()
        if agent is None:
            return [_("No agent of yours is named %(name)s.") % {"name": value}], ""
    else:
        return [_("Choose a queue or an agent to move the item to.")], ""
    try:
        moved = work_item_move(item=item, queue=queue, agent=agent, by=request.user)
    except ValidationError as exc:
        return exc.messages, ""
    except WorkItemGone:
        return [_("This item is over (done or cancelled): there is nothing to move.")], ""
    except PermissionDenied as exc:
        raise Http404 from exc
    moved = WorkItem.objects.select_related("queue", "offered_to", "assigned_to").get(pk=moved.pk)
    return [], _move_done(moved)


@page_for("routing.move")
@require_POST
def work_move(request: HttpRequest, item_id: int) -> HttpResponse:
    """Move a routed work item from a panel (``docs/routing.md``, "Moving work"): the service behind
    ``POST /api/v1/routing/items/{id}/move/``. Answers the panel it was sent from (``panel``: ``queue``,
    the item's queue's, or ``agent:<username>``) with the outcome: 200 (``HX-Trigger:
    wallboard-changed``), or 400 with the reason inside the panel. 404 for an item the user may
    not see."""
    item = queue_state.work_items_visible_to(request.user).filter(pk=item_id).first() if item_id <= MAX_ID else None
    if item is None:
        raise Http404
    errors, done = _move(request, item)
    code = 400 if errors else 200
    panel = request.POST.get("panel", "queue")
    if panel.startswith("agent:"):
        profile = _agent_or_404(request, panel.removeprefix("agent:"))
        context = agent_panel_context(user=request.user, profile=profile, work_errors=errors, work_done=done)
        response = render(request, "desk/wallboard/agent_panel.html", context, status=code)
    else:
        queue = live_selectors.wallboard_queue(user=request.user, queue_id=item.queue_id)
        if queue is None:
            raise Http404
        context = queue_panel_context(queue=queue, user=request.user, errors=errors, done=done)
        response = render(request, "desk/wallboard/queue_panel.html", context, status=code)
    if not errors:
        response["HX-Trigger"] = "wallboard-changed"
    return response


urlpatterns = [
    path("wallboard/queues/<int:queue_id>/", queue_panel, name="wallboard_queue"),
    path("wallboard/items/<int:item_id>/move/", work_move, name="wallboard_work_move"),
    path("wallboard/agents/<str:username>/", agent_panel, name="wallboard_agent"),
    path("wallboard/agents/<str:username>/status/", agent_status, name="wallboard_agent_status"),
]
