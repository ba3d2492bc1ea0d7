"""Who works when: shift templates, the teams' rotas (weekend crews, early, middle and late
shifts), breaks a few minutes off plan with staggered lunches, now and then coaching, training or
a meeting; and :func:`next_start`, which settles breaks and shift ends as the simulation runs.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from contactcenter.demo.simulator.center import BACK, FRONT, PREMIUM
from contactcenter.demo.simulator.common import MINUTE
from contactcenter.demo.simulator.values import BreakReason
from contactcenter.demo.simulator.world import Agent, Break, Shift


@dataclass(frozen=True)
class ShiftTemplate:
    """Local start and end (hour, minute) and planned breaks ((hour, minute), minutes, reason)."""

    start: tuple[int, int]
    end: tuple[int, int]
    breaks: tuple[tuple[tuple[int, int], int, str], ...]


_P, _L = BreakReason.PERSONAL, BreakReason.LUNCH
# Phone shifts overlap so that the 10h and 14h peaks and the evening are covered, and lunches
# are staggered from 12h to 17h.
EARLY = ShiftTemplate((8, 0), (16, 0), (((11, 45), 45, _L), ((14, 55), 15, _P)))
MIDDLE = ShiftTemplate((10, 30), (18, 30), (((13, 0), 45, _L), ((16, 0), 15, _P)))
LATE = ShiftTemplate((12, 0), (20, 0), (((15, 15), 40, _L), ((17, 20), 15, _P)))
OFFICE = ShiftTemplate((9, 0), (17, 30), (((10, 30), 15, _P), ((12, 30), 60, _L), ((15, 30), 15, _P)))
SATURDAY_SHIFT = ShiftTemplate((9, 0), (17, 0), (((11, 0), 10, _P), ((12, 45), 45, _L), ((15, 15), 10, _P)))
SATURDAY_MORNING = ShiftTemplate((9, 0), (13, 0), (((11, 0), 10, _P),))
SUNDAY_SHIFT = ShiftTemplate((10, 0), (16, 0), (((12, 30), 30, _L), ((14, 30), 10, _P)))


def local(day: date, hour: int, minute: int, tz: ZoneInfo) -> int:
    """``hour:minute`` on ``day`` in ``tz``, in seconds since the epoch."""
    return int(datetime.combine(day, time(hour, minute), tzinfo=tz).timestamp())


def plan_shifts(rng: random.Random, agents: list[Agent], start: int, end: int, tz: ZoneInfo) -> None:
    """Give every agent the shifts of the rota that overlap ``[start, end)``."""
    teams: dict[str, list[Agent]] = {}
    for agent in agents:
        teams.setdefault(agent.team, []).append(agent)
    day = datetime.fromtimestamp(start, tz).date() - timedelta(days=1)
    last = datetime.fromtimestamp(end, tz).date()
    while day <= last:
        for team, members in teams.items():
            for agent, template in rota(team, members, day):
                shift = make_shift(rng, template, day, tz, team, stagger=agent.index % 3)
                if shift.end > start and shift.login < end:
                    agent.shifts.append(shift)
        day += timedelta(days=1)


def rota(team: str, members: list[Agent], day: date) -> list[tuple[Agent, ShiftTemplate]]:
    """Who works on ``day`` and which shift: weekend crews rotate weekly and take a weekday off;
    on weekdays phone agents spread over early, middle and late shifts, and one back-office
    agent stays late for the evening's messages."""
    n = len(members)
    week, weekday = day.isocalendar().week, day.weekday()
    saturday, sunday = _weekend_crews(team, n, week)
    if weekday == 5:
        template = SATURDAY_MORNING if team == BACK else SATURDAY_SHIFT
        return [(members[i], template) for i in sorted(saturday)]
    if weekday == 6:
        return [(members[i], SUNDAY_SHIFT) for i in sorted(sunday)]
    off = (saturday if weekday == 4 else set()) | (sunday if weekday == 2 else set())
    working = [members[i] for i in sorted(range(n), key=lambda i: (i + week) % n) if i not in off]
    return _weekday_shifts(team, working)


def _weekend_crews(team: str, n: int, week: int) -> tuple[set[int], set[int]]:
    """Which of a team's ``n`` members work on Saturday and on Sunday in ``week``: two on
    Saturdays and one on Sundays at the front office, one Saturday and one Sunday at the premium
    desk, one Saturday morning at the back office."""
    saturday = {week % n, (week + 1) % n} if team == FRONT and n > 1 else {week % n}
    if team == FRONT:
        return saturday, {(week + 2) % n}
    if team == PREMIUM:
        return saturday, {(week + 1) % n}
    return saturday, set()


def _weekday_shifts(team: str, working: list[Agent]) -> list[tuple[Agent, ShiftTemplate]]:
    """The weekday shift of each of ``working`` (in rota order)."""
    count = len(working)
    if team == BACK:
        return [(agent, LATE if count >= 3 and rank == count - 1 else OFFICE) for rank, agent in enumerate(working)]
    early = math.ceil(count * 0.4)
    late = max(1, round(count * 0.25)) if count > 1 else 0
    return [
        (agent, EARLY if rank < early else LATE if rank >= count - late else MIDDLE)
        for rank, agent in enumerate(working)
    ]


def make_shift(
    rng: random.Random, template: ShiftTemplate, day: date, tz: ZoneInfo, team: str, *, stagger: int
) -> Shift:
    """One shift of ``template`` on ``day``: breaks a few minutes off plan, lunches staggered by
    ``stagger`` quarters of an hour so that a team never lunches all at once, and now and then a
    coaching session, a training or a meeting."""
    start, end = local(day, *template.start, tz), local(day, *template.end, tz)
    breaks = [
        Break(
            local(day, *hm, tz) + rng.randint(-5, 5) * MINUTE + (stagger * 15 * MINUTE if reason == _L else 0),
            minutes * MINUTE,
            reason,
        )
        for hm, minutes, reason in template.breaks
    ]
    extras: list[tuple[int, str]] = []
    if team != BACK and rng.random() < 0.1:
        extras.append((30, BreakReason.COACHING))
    if rng.random() < 0.04:
        extras.append((60, BreakReason.TRAINING))
    if team == BACK and day.weekday() == 3 and template is OFFICE:
        extras.append((30, BreakReason.MEETING))
    for minutes, reason in extras:
        _fit_break(rng, breaks, start, end, minutes, reason)
    breaks.sort(key=lambda b: b.planned)
    return Shift(
        login=start - rng.randint(0, 4 * MINUTE),
        start=start,
        end=end,
        breaks=breaks,
        logout_delay=rng.randint(0, 3 * MINUTE),
    )


def _fit_break(rng: random.Random, breaks: list[Break], start: int, end: int, minutes: int, reason: str) -> None:
    """Add a break of ``minutes`` at a random time of the shift at least 15 minutes from the
    others; after five tries that do not fit, none."""
    for _attempt in range(5):
        at = start + rng.randrange(90 * MINUTE, max(91 * MINUTE, end - start - 120 * MINUTE), 5 * MINUTE)
        clear = all(
            at + minutes * MINUTE + 15 * MINUTE <= b.planned or at >= b.planned + b.seconds + 15 * MINUTE
            for b in breaks
        )
        if clear:
            breaks.append(Break(at, minutes * MINUTE, reason))
            return


def next_start(agent: Agent, t: int) -> int | None:
    """When ``agent`` can start new work at or after ``t``; ``None`` when no shift is left.

    Breaks and shift ends are settled lazily, in time order: a break starts when planned or
    when the work in hand is done, whichever is later; a shift ends at its planned end or when
    the last contact is done. Arrivals come in time order, so what is settled here stays true.
    """
    s = max(t, agent.free_at)
    while agent.pos < len(agent.shifts):
        shift = agent.shifts[agent.pos]
        s = max(s, shift.start)
        pending = shift.breaks[shift.taken] if shift.taken < len(shift.breaks) else None
        if pending is not None and s >= pending.planned:
            begin = max(pending.planned, agent.free_at)
            if begin >= shift.end:
                shift.taken = len(shift.breaks)  # the shift is over before this break
                shift.breaks = shift.breaks[: shift.taken]
                continue
            pending.start = begin
            shift.taken += 1
            agent.free_at = max(agent.free_at, begin + pending.seconds)
            s = max(s, agent.free_at)
            continue
        if s >= shift.end:
            shift.breaks = shift.breaks[: shift.taken]
            shift.logout = max(shift.end, agent.free_at) + shift.logout_delay
            agent.pos += 1
            continue
        return s
    return None
