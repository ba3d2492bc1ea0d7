"""The presence phase: the agents' simulated presence log becomes ``PresenceInterval`` rows, all
closed, and none after an interval already stored for the agent.
"""

from __future__ import annotations

from typing import TextIO

from django.contrib.auth.models import AbstractBaseUser

from contactcenter.agents.models import PresenceInterval
from contactcenter.demo.result import DemoResult
from contactcenter.demo.simulator.common import moment
from contactcenter.demo.simulator.presence import presence_spans
from contactcenter.demo.simulator.world import Agent
from contactcenter.demo.writer.bulk import save_rows


def save_presence(
    agents: list[Agent], users: dict[str, AbstractBaseUser], *, end: int, result: DemoResult, progress: TextIO | None
) -> None:
    """Write each agent's presence log up to ``end`` (agents are offline after the demo), or up to
    the first interval stored for them before ``end``, if any."""
    rows = [
        PresenceInterval(
            agent=users[span.username],
            status=span.status,
            reason=span.reason,
            started_at=moment(span.start),
            ended_at=moment(span.end),
        )
        for span in presence_spans(agents, end=end, limits=_stored_starts(agents, users, end))
    ]
    save_rows(PresenceInterval, rows, result, "presence intervals", progress, exclude=("agent",), history=False)


def _stored_starts(agents: list[Agent], users: dict[str, AbstractBaseUser], end: int) -> dict[str, int]:
    """By username, when the agent's first interval stored before ``end`` starts."""
    username_of = {users[agent.username].pk: agent.username for agent in agents}
    starts: dict[str, int] = {}
    stored = PresenceInterval.objects.filter(agent__in=[users[a.username] for a in agents], started_at__lt=moment(end))
    for agent_id, started in stored.values_list("agent_id", "started_at"):
        username, at = username_of[agent_id], int(started.timestamp())
        starts[username] = min(starts.get(username, at), at)
    return starts
