"""The one module through which live events leave (STYLE.md principle 4).

Services call the ``*_on_commit`` functions below; each schedules a message for after the
database transaction commits, so nothing is announced for a change that is rolled back. Group
names are built here, from ids, never from client input. The channel layer delivers at most
once: a socket is a hint, the database is the truth (clients refetch over HTTP on a gap).
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

WALLBOARD_GROUP = "wallboard"


def agent_group(user_id: int) -> str:
    """The stream of one agent (every socket that agent has open)."""
    return f"agent.{int(user_id)}"


def queue_group(queue_id: int) -> str:
    """Everyone who watches one queue."""
    return f"queue.{int(queue_id)}"


def team_group(team_id: int) -> str:
    """Supervisors of one team."""
    return f"team.{int(team_id)}"


def _send(groups: list[str], event_type: str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "live.event", "event": event_type, "at": timezone.now().isoformat(), "payload": payload}
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:  # the layer is down: the write stands, clients refetch on reconnect
            logger.warning("live event %s to %s not delivered", event_type, group, exc_info=True)


def publish_on_commit(*, event_type: str, groups: list[str], payload: dict[str, Any]) -> None:
    """Send ``payload`` as ``event_type`` to ``groups`` once the current transaction commits."""
    transaction.on_commit(lambda: _send(list(groups), event_type, payload))


def call_offered_on_commit(interaction) -> None:
    """A call arrived in a queue: a hint to the queue's watchers and the wallboard."""
    groups = [WALLBOARD_GROUP] + ([queue_group(interaction.queue_id)] if interaction.queue_id else [])
    publish_on_commit(event_type="incoming", groups=groups, payload=_interaction_ref(interaction))


def call_answered_on_commit(interaction) -> None:
    """An agent answered: their screen pop, and the wallboard."""
    if interaction.agent_id:
        publish_on_commit(
            event_type="screen_pop", groups=[agent_group(interaction.agent_id)], payload=_interaction_ref(interaction)
        )
    publish_on_commit(event_type="interaction_logged", groups=[WALLBOARD_GROUP], payload=_interaction_ref(interaction))


def interaction_logged_on_commit(interaction) -> None:
    """An interaction was stored or changed (ended, wrapped up, logged by the agent)."""
    publish_on_commit(event_type="interaction_logged", groups=[WALLBOARD_GROUP], payload=_interaction_ref(interaction))


def ticket_assigned_on_commit(ticket) -> None:
    if ticket.assignee_id:
        publish_on_commit(
            event_type="ticket_assigned", groups=[agent_group(ticket.assignee_id)], payload=_ticket_ref(ticket)
        )


def ticket_updated_on_commit(ticket) -> None:
    if ticket.assignee_id:
        publish_on_commit(
            event_type="ticket_updated", groups=[agent_group(ticket.assignee_id)], payload=_ticket_ref(ticket)
        )


def status_changed_on_commit(profile) -> None:
    payload = {
        "agent": profile.user.get_username(),
        "status": profile.status,
        "reason": profile.status_reason,
        "since": profile.status_since.isoformat(),
    }
    publish_on_commit(event_type="status_changed", groups=[agent_group(profile.user_id)], payload=payload)
    publish_on_commit(event_type="agent_status", groups=[WALLBOARD_GROUP], payload=payload)


def _interaction_ref(interaction) -> dict[str, Any]:
    return {
        "interaction": interaction.pk,
        "channel": interaction.channel,
        "queue": interaction.queue_id,
        "agent": interaction.agent_id,
        "customer": interaction.customer_id,
    }


def _ticket_ref(ticket) -> dict[str, Any]:
    return {"ticket": ticket.pk, "reference": ticket.reference, "status": ticket.status, "version": ticket.version}
