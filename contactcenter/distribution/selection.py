"""Who gets a piece of work, and which work goes first: pure rules, no database (``docs/routing.md``).

**Eligible** for an item: a member of its queue; holding each required skill at the level asked;
``available`` (or, when the queue allows *blending*, ``busy``/``wrap_up`` on a call), nothing
pending, no other offer open; under capacity for the item's channel; not blocked by voice work (an
open call or an assigned callback blocks every other work unless the queue allows blending); not
an agent who declined or let this item time out within the queue's offer timeout.

**Chosen**: for a callback, the agent who promised it when they are eligible; the customer's last
agent when the queue prefers them and they are eligible; else the
agent idle longest. *Idle since* is the moment the agent last became ``available``: the end of
their last contact's wrap-up, their answer to their last offer, or their return from a break or
from offline (the presence log's current interval). Agents on a call (blending) come after every
available one. Ties: the higher skill level (the sum of their levels in the required skills),
then the username.

**Order of the items**: higher priority first; within a priority, items due within the queue's
SLA jump threshold first; then the oldest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from contactcenter.agents.models import Status
from contactcenter.core.choices import Channel

#: Statuses in which an agent on a call may still be offered work, when the queue allows blending.
BLENDED_STATUSES = (Status.BUSY, Status.WRAP_UP)

RULE_PROMISED = "promised"
RULE_LAST_AGENT = "last_agent"
RULE_LONGEST_IDLE = "longest_idle"
RULE_SKILL = "skill_level"
RULE_USERNAME = "username"
RULE_NONE = "none"


@dataclass(frozen=True)
class Candidate:
    """An agent as the rules see them."""

    user_id: int
    username: str
    status: str
    #: When their present status began (``idle since`` for an available agent).
    since: datetime
    queue_ids: frozenset[int]
    #: skill id → level, for the skills they hold.
    levels: dict[int, int] = field(default_factory=dict)
    #: channel → open work: assigned items (a ticket counts as email, a callback as voice), and
    #: their open calls on voice.
    load: dict[str, int] = field(default_factory=dict)
    capacity: dict[str, int] = field(default_factory=dict)
    pending: bool = False
    offered: bool = False
    #: Their phone on the telephony system (what a dialplan dials), blank when none.
    extension: str = ""

    def skill_score(self, required: Iterable[tuple[int, int]]) -> int:
        return sum(self.levels.get(skill, 0) for skill, _level in required)


@dataclass(frozen=True)
class Demand:
    """What one item asks for."""

    queue_id: int
    channel: str
    required: tuple[tuple[int, int], ...] = ()
    blending: bool = False
    #: The customer's last agent, when the queue prefers them.
    preferred: int | None = None
    #: Agents not to offer this item to now (they declined it or let it time out lately).
    excluded: frozenset[int] = frozenset()
    #: The agent who promised the callback (callbacks only): first, when eligible.
    promised: int | None = None


@dataclass(frozen=True)
class Choice:
    agent: Candidate | None
    rule: str
    idle_seconds: float | None = None

    def reason(self) -> str:
        """The choice in words, in the active language."""
        if self.agent is None:
            return _("no agent available")
        if self.rule == RULE_LAST_AGENT:
            return _("customer's last agent")
        if self.rule == RULE_PROMISED:
            return _("promised the callback")
        minutes = int((self.idle_seconds or 0) // 60)
        idle = _("longest idle (%(minutes)s min)") % {"minutes": minutes}
        if self.rule == RULE_SKILL:
            return _("%(idle)s, higher skill level") % {"idle": idle}
        if self.rule == RULE_USERNAME:
            return _("%(idle)s, first by username") % {"idle": idle}
        return idle


def refusal(candidate: Candidate, demand: Demand) -> str | None:
    """Why ``candidate`` may not be offered ``demand`` now (a short code), ``None`` when they may."""
    if demand.queue_id not in candidate.queue_ids:
        return "queue"
    if any(candidate.levels.get(skill, 0) < level for skill, level in demand.required):
        return "skills"
    if candidate.status == Status.AVAILABLE:
        pass
    elif not (demand.blending and candidate.status in BLENDED_STATUSES):
        return "status"
    if candidate.pending:
        return "pending"
    if candidate.offered:
        return "offered"
    if candidate.user_id in demand.excluded:
        return "declined"
    if candidate.load.get(demand.channel, 0) >= candidate.capacity.get(demand.channel, 0):
        return "capacity"
    if demand.channel != Channel.VOICE and not demand.blending and candidate.load.get(Channel.VOICE, 0) > 0:
        return "voice"
    return None


def may_take_work(candidate: Candidate, *, blending: bool) -> bool:
    """Whether ``candidate`` could be offered some work now, whatever the item (the checks of
    :func:`refusal` that do not depend on it); ``blending``: some queue of the items allows it."""
    if candidate.pending or candidate.offered:
        return False
    return candidate.status == Status.AVAILABLE or (blending and candidate.status in BLENDED_STATUSES)


def _idle_key(candidate: Candidate) -> tuple[int, datetime]:
    # Available agents first (idle since they became available), then agents on a call.
    return (0 if candidate.status == Status.AVAILABLE else 1, candidate.since)


def choose(candidates: Sequence[Candidate], demand: Demand, *, now: datetime) -> Choice:
    """The agent to offer ``demand`` to, and by which rule."""
    eligible = [candidate for candidate in candidates if refusal(candidate, demand) is None]
    if not eligible:
        return Choice(None, RULE_NONE)
    if demand.promised is not None:
        for candidate in eligible:
            if candidate.user_id == demand.promised:
                return Choice(candidate, RULE_PROMISED)
    if demand.preferred is not None:
        for candidate in eligible:
            if candidate.user_id == demand.preferred:
                return Choice(candidate, RULE_LAST_AGENT)

    def key(candidate: Candidate) -> tuple:
        return (*_idle_key(candidate), -candidate.skill_score(demand.required), candidate.username)

    ranked = sorted(eligible, key=key)
    best = ranked[0]
    idle = max((now - best.since).total_seconds(), 0.0)
    if len(ranked) == 1 or _idle_key(ranked[1]) != _idle_key(best):
        return Choice(best, RULE_LONGEST_IDLE, idle)
    if ranked[1].skill_score(demand.required) != best.skill_score(demand.required):
        return Choice(best, RULE_SKILL, idle)
    return Choice(best, RULE_USERNAME, idle)


@dataclass(frozen=True)
class Waiting:
    """An item as the order sees it."""

    item_id: int
    priority: int
    arrived_at: datetime
    #: From when it is near its SLA due time: its due time minus the queue's SLA jump threshold
    #: (``None``: the queue has no threshold, or the item no due time).
    jump_at: datetime | None = None


def jump_at(sla_due_at: datetime | None, jump_seconds: int | None) -> datetime | None:
    """When an item due at ``sla_due_at`` starts passing ahead, with a threshold of ``jump_seconds``."""
    if sla_due_at is None or jump_seconds is None:
        return None
    return sla_due_at - timedelta(seconds=jump_seconds)


def near_due(item: Waiting, *, now: datetime) -> bool:
    """Due within the queue's SLA jump threshold (overdue included)."""
    return item.jump_at is not None and item.jump_at <= now


def order_key(item: Waiting, *, now: datetime) -> tuple:
    """Sort key: higher priority, then near due, then oldest, then id (the dispatcher's SQL order,
    :func:`contactcenter.distribution.services.waiting_order`, says the same)."""
    return (-item.priority, 0 if near_due(item, now=now) else 1, item.arrived_at, item.item_id)


def in_order(items: Iterable[Waiting], *, now: datetime) -> list[Waiting]:
    return sorted(items, key=lambda item: order_key(item, now=now))
