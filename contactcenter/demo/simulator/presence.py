"""The agents' presence log, from their simulated shifts: available between contacts, busy in
conversation, in wrap-up after it, on break with the break's reason; closed, never overlapping.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from contactcenter.demo.errors import DemoError
from contactcenter.demo.simulator.common import moment
from contactcenter.demo.simulator.values import Status
from contactcenter.demo.simulator.world import Agent, Shift


@dataclass(frozen=True)
class Span:
    """An agent in ``status`` (with a break's ``reason``) from ``start`` to ``end``."""

    username: str
    status: str
    reason: str
    start: int
    end: int


def presence_spans(agents: list[Agent], *, end: int, limits: dict[str, int] | None = None) -> list[Span]:
    """Each agent's presence log, closed by ``end`` (agents are offline after the demo) and, for an
    agent with a ``limits`` entry (by username), by that time: where their stored log begins."""
    limits = limits or {}
    spans: list[Span] = []
    for agent in agents:
        limit = min(end, limits.get(agent.username, end))
        for shift in agent.shifts:
            spans.extend(Span(agent.username, *span) for span in shift_spans(shift, limit))
    return spans


def shift_spans(shift: Shift, limit: int) -> list[tuple[str, str, int, int]]:
    """(status, reason, start, end) of one shift, cut at ``limit``, merged where alike."""
    items: list[tuple[int, int, str, str]] = []
    for work in shift.work:
        items.append((work.busy_from, work.busy_to, Status.BUSY, ""))
        if work.wrap_to > work.busy_to:
            items.append((work.busy_to, work.wrap_to, Status.WRAP_UP, ""))
    for pause in shift.breaks[: shift.taken]:
        assert pause.start is not None
        items.append((pause.start, pause.start + pause.seconds, Status.BREAK, pause.reason))
    items.sort()
    finish = min(shift.logout if shift.logout is not None else limit, limit)
    spans: list[tuple[str, str, int, int]] = []
    cursor = shift.login
    for begin, stop, status, reason in items:
        if begin >= finish:
            break
        if begin < cursor:
            raise DemoError(_("The simulated presence log overlaps at %(at)s; this is a bug.") % {"at": moment(begin)})
        if begin > cursor:
            spans.append((Status.AVAILABLE, "", cursor, begin))
        spans.append((status, reason, begin, min(stop, finish)))
        cursor = min(stop, finish)
    if cursor < finish:
        spans.append((Status.AVAILABLE, "", cursor, finish))
    return _merged(spans)


def _merged(spans: list[tuple[str, str, int, int]]) -> list[tuple[str, str, int, int]]:
    """``spans`` without the empty ones, consecutive alike ones joined."""
    merged: list[tuple[str, str, int, int]] = []
    for span in spans:
        if span[3] <= span[2]:
            continue
        if merged and merged[-1][:2] == span[:2] and merged[-1][3] == span[2]:
            merged[-1] = (span[0], span[1], merged[-1][2], span[3])
        else:
            merged.append(span)
    return merged
