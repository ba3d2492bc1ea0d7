"""Presence follows the agent desktop: an agent whose every socket is gone goes offline.

How it holds (``docs/live.md``, "Presence"):

* **Seen, not counted.** Each open ``ws/agent/`` socket writes "seen now" for its agent in the
  cache (``live:presence:seen:<user id>``) when it opens, every :func:`heartbeat_seconds` while it
  stays open, and when it closes. A counter of open sockets would never come down after a crashed
  server process; a heartbeat simply stops.
* **Grace.** An agent last seen more than ``PRESENCE_GRACE_SECONDS`` (default 60) ago has no
  socket left: they go ``offline`` through the state machine
  (:func:`~contactcenter.agents.states.agent_state_gone`), so the presence log stays the one of
  every other change. The offline status starts when they were last seen (their desktop went away
  then), not when the check noticed. In ``wrap_up`` their after-contact work ends then too; while
  ``ringing`` the offline waits for the offer to close. ``busy`` agents are left alone: the
  telephony system says they are on a call, and its ``call.ended`` will move them.
* **Two checks.** The server process that saw the last socket close checks once the grace is
  over (:func:`presence_check`); the background job ``presence_sweep`` (every minute,
  contactcenter/agents/tasks.py) checks every agent (:func:`presence_sweep`) and so also covers a crashed process.
  An agent the sweep finds with no mark at all (never connected, or the cache was emptied) gets
  one: their grace starts then.
* **A shared cache.** With ``REDIS_URL`` every process shares the marks. Without it (the embedded
  default) the marks live in the serving process; only its own check applies there.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from contactcenter.agents.models import AgentProfile, PendingStatus, Status
from contactcenter.agents.states import agent_lock, agent_state_gone

#: Statuses that end when the agent's desktop is gone (a ringing offer: once it closes).
SWEPT_STATUSES = (Status.AVAILABLE, Status.BREAK, Status.WRAP_UP, Status.RINGING)
#: A mark outlives any grace: a missing mark means "never seen", not "seen long ago".
MARK_TIMEOUT_SECONDS = 7 * 24 * 3600


def seen_key(user_id: int) -> str:
    return f"live:presence:seen:{int(user_id)}"


def grace_seconds() -> float:
    """How long an agent may have no socket before going offline (``PRESENCE_GRACE_SECONDS``)."""
    return float(settings.PRESENCE_GRACE_SECONDS)


def heartbeat_seconds() -> float:
    """How often an open socket renews its agent's mark: three times per grace, at most every 20 s."""
    return max(min(grace_seconds() / 3, 20.0), 0.05)


def presence_mark_seen(*, user_id: int, at: float | None = None) -> None:
    """Record that ``user_id`` has (or just had) a socket open at ``at`` (epoch seconds; now)."""
    cache.set(seen_key(user_id), at if at is not None else time.time(), timeout=MARK_TIMEOUT_SECONDS)


def presence_last_seen(*, user_id: int) -> float | None:
    """When ``user_id`` last had a socket open (epoch seconds), ``None`` without a mark."""
    return cache.get(seen_key(user_id))


def presence_check(*, user_id: int, now: float | None = None) -> bool:
    """Set ``user_id`` offline if their grace is over; whether it did.

    Reads the mark again inside the transaction that moves the agent, so a socket opened meanwhile
    keeps the agent's status.
    """
    now = now if now is not None else time.time()
    seen = presence_last_seen(user_id=user_id)
    if seen is None or now - seen <= grace_seconds():
        return False
    with transaction.atomic():
        profile = (
            AgentProfile.objects.filter(user_id=user_id, status__in=SWEPT_STATUSES)
            .exclude(pending_status=PendingStatus.OFFLINE)
            .first()
        )
        if profile is None:
            return False
        if profile.status != Status.WRAP_UP:
            # Under the profile's lock the mark is read again: a socket opened meanwhile keeps the
            # agent's status. (In wrap-up the contacts are locked before the profile, by
            # agent_state_gone itself: the mark is read just before.)
            agent_lock(user_id=user_id)
        seen = presence_last_seen(user_id=user_id)
        if seen is None or now - seen <= grace_seconds():
            return False
        at = max(datetime.fromtimestamp(seen, tz=UTC), profile.status_since)
        agent_state_gone(user_id=user_id, at=at)
    return True


@dataclass(frozen=True)
class SweepResult:
    checked: int
    started: int
    set_offline: list[str]


def presence_sweep(*, now: float | None = None) -> SweepResult:
    """Check every agent who is available, on break or in wrap-up (see the module docstring).

    Two queries and one cache read for the whole center, plus one transaction per agent who goes
    offline.
    """
    now = now if now is not None else time.time()
    agents = list(
        AgentProfile.objects.filter(status__in=SWEPT_STATUSES, user__is_active=True)
        .exclude(pending_status=PendingStatus.OFFLINE)
        .order_by("pk")
        .values_list("user_id", "user__username")
    )
    marks = cache.get_many([seen_key(user_id) for user_id, _name in agents])
    started, offline = 0, []
    for user_id, username in agents:
        seen = marks.get(seen_key(user_id))
        if seen is None:
            # Never seen (or the cache was emptied): the grace starts now.
            started += int(cache.add(seen_key(user_id), now, timeout=MARK_TIMEOUT_SECONDS))
        elif now - seen > grace_seconds() and presence_check(user_id=user_id, now=now):
            offline.append(username)
    return SweepResult(checked=len(agents), started=started, set_offline=offline)
