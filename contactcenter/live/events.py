"""The one module through which live events leave (STYLE.md principle 4).

Services call the ``*_on_commit`` functions below; each schedules a message for after the
database transaction commits, so nothing is announced for a change that is rolled back. Group
names are built here, from ids, never from client input. The channel layer delivers at most
once: a socket is a hint, the database is the truth (clients refetch over HTTP on a gap).

A message on the layer is ``{"type": event, "event": event, "at": ISO-8601, "payload": {...}}``;
the consumers (:mod:`contactcenter.live.consumers`) have a handler named after each event type
and turn the payload into what the socket receives (``docs/live.md``). A payload carries the ids of
what changed as the service saw it (``interaction``, ``queue``, ``agent``; ``ticket``,
``version``…); what needs names is read after commit, in the callback (so it describes the
committed state and the transaction does not pay for it), under keys starting with ``_``
(``_interaction``, ``_ticket``, ``_route``) that the consumers use and never send as such.

Who gets what:

- ``agent.<user id>``: the agent's own stream (``screen_pop``, ``ticket_assigned``,
  ``ticket_updated``, ``status_changed``, ``scope_changed``);
- ``queue.<queue id>``: the agent sockets of the queue's members (``incoming``; each consumer
  relays it only while its agent is available);
- ``wallboard``: every wallboard socket (``agent_status``, ``interaction_logged``, ``incoming``,
  ``scope_changed``); each consumer relays what its user may see (a supervisor: their team) and
  derives ``queue_stats`` from these events.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

if TYPE_CHECKING:
    from contactcenter.agents.models import AgentProfile
    from interactions.models import Interaction, Ticket

logger = logging.getLogger(__name__)

WALLBOARD_GROUP = "wallboard"
#: A publish that takes longer than this (Redis down, retrying) is given up: the write stands.
PUBLISH_TIMEOUT_SECONDS = 2.0

Payload = dict[str, Any]


# --- Group names ----------------------------------------------------------------------------------


def agent_group(user_id: int) -> str:
    """The stream of one agent (every socket that agent has open)."""
    return f"agent.{int(user_id)}"


def queue_group(queue_id: int) -> str:
    """Everyone who watches one queue."""
    return f"queue.{int(queue_id)}"


def team_group(team_id: int) -> str:
    """Supervisors of one team."""
    return f"team.{int(team_id)}"


def agent_stream_groups(*, user_id: int, queue_ids: Iterable[int]) -> set[str]:
    """The groups an agent socket joins: its own stream and its queues (``incoming``)."""
    return {agent_group(user_id), *(queue_group(queue_id) for queue_id in queue_ids)}


def wallboard_groups(*, user_id: int) -> set[str]:
    """The groups a wallboard socket joins: the wallboard (filtered per user by its consumer) and
    the user's own stream for ``scope_changed`` (its deactivation, a new role or team)."""
    return {WALLBOARD_GROUP, agent_group(user_id)}


# --- Sending ------------------------------------------------------------------------------------


async def _publish(groups: list[str], message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    for group in groups:
        try:
            await asyncio.wait_for(layer.group_send(group, message), timeout=PUBLISH_TIMEOUT_SECONDS)
        except TimeoutError:
            raise
        except Exception as exc:
            # After a Redis restart the first publish meets a pooled connection the old server
            # closed (redis.ConnectionError); the client drops it, and a second try takes a new one.
            logger.info("live event to %s: retrying after %r", group, exc)
            await asyncio.wait_for(layer.group_send(group, message), timeout=PUBLISH_TIMEOUT_SECONDS)


def _send(groups: list[str], event_type: str, payload: Payload) -> None:
    if get_channel_layer() is None or not groups:
        return
    message = {"type": event_type, "event": event_type, "at": timezone.now().isoformat(), "payload": payload}
    try:
        # One hop to the event loop for every group of the event (a management command has no loop
        # of its own: each hop there costs a new Redis connection).
        async_to_sync(_publish)(list(groups), message)
    except Exception:  # the layer is down: the write stands, clients refetch on reconnect
        logger.warning("live event %s to %s not delivered", event_type, groups, exc_info=True)


def publish_on_commit(
    *, event_type: str, groups: list[str] | Callable[[], list[str]], payload: Payload | Callable[[], Payload]
) -> None:
    """Send ``payload`` as ``event_type`` to ``groups`` once the current transaction commits.

    ``groups`` and ``payload`` may be callables: they are then evaluated after the commit (reading
    what was committed). If that fails, ``payload`` falls back to nothing but the event (the client
    refetches over HTTP) and ``groups`` to none.
    """

    def send() -> None:
        try:
            resolved_groups = groups() if callable(groups) else groups
        except Exception:
            logger.warning("live event %s: groups not resolved", event_type, exc_info=True)
            return
        try:
            resolved = payload() if callable(payload) else payload
        except Exception:
            logger.warning("live event %s: payload not built", event_type, exc_info=True)
            resolved = {}
        _send(list(resolved_groups), event_type, resolved)

    transaction.on_commit(send)


# --- Calls ------------------------------------------------------------------------------------------


def call_offered_on_commit(interaction: Interaction) -> None:
    """A call arrived in a queue: a hint to the queue's available agents, and the wallboard."""
    groups = [WALLBOARD_GROUP] + ([queue_group(interaction.queue_id)] if interaction.queue_id else [])
    ref = _interaction_ref(interaction)
    publish_on_commit(event_type="incoming", groups=groups, payload=lambda: _interaction_payload(ref))


def call_answered_on_commit(interaction: Interaction) -> None:
    """An agent answered: their screen pop (built by their socket, with what they may see), and
    the wallboard."""
    if interaction.agent_id:
        publish_on_commit(
            event_type="screen_pop", groups=[agent_group(interaction.agent_id)], payload=_interaction_ref(interaction)
        )
    interaction_logged_on_commit(interaction)


def interaction_logged_on_commit(interaction: Interaction) -> None:
    """An interaction was stored or changed (ended, wrapped up, logged by the agent)."""
    ref = _interaction_ref(interaction)
    publish_on_commit(
        event_type="interaction_logged", groups=[WALLBOARD_GROUP], payload=lambda: _interaction_payload(ref)
    )


# --- Tickets ------------------------------------------------------------------------------------


def ticket_assigned_on_commit(ticket: Ticket) -> None:
    """The ticket's assignee gets it on their stream."""
    if ticket.assignee_id:
        ref = _ticket_ref(ticket)
        publish_on_commit(
            event_type="ticket_assigned",
            groups=[agent_group(ticket.assignee_id)],
            payload=lambda: _ticket_payload(ref),
        )


def ticket_updated_on_commit(ticket: Ticket) -> None:
    """The ticket's assignee sees its change."""
    if ticket.assignee_id:
        ref = _ticket_ref(ticket)
        publish_on_commit(
            event_type="ticket_updated",
            groups=[agent_group(ticket.assignee_id)],
            payload=lambda: _ticket_payload(ref),
        )


# --- Presence -----------------------------------------------------------------------------------


def status_changed_on_commit(profile: AgentProfile) -> None:
    """An agent's presence changed: their own stream, and the wallboard (with the agent's team and
    queues, read after commit)."""
    payload = {
        "agent": profile.user.get_username(),
        "status": profile.status,
        "reason": profile.status_reason,
        "since": profile.status_since.isoformat(),
    }
    user_id = profile.user_id
    publish_on_commit(event_type="status_changed", groups=[agent_group(user_id)], payload=payload)
    publish_on_commit(
        event_type="agent_status", groups=[WALLBOARD_GROUP], payload=lambda: _agent_status_payload(user_id, payload)
    )


# --- Who may see what changed --------------------------------------------------------------------


def scope_changed_on_commit(user_id: int | None) -> None:
    """A user's role, team, queues or active flag changed (``None``: several users' queues).

    Their sockets re-check right away (and close when they may no longer watch), and every
    wallboard re-reads which agents and queues its user may see. The process's cached scopes are
    forgotten at once; other processes forget them when the message reaches their sockets.
    """
    from contactcenter.live import selectors

    mark = uuid.uuid4().hex
    groups = [WALLBOARD_GROUP] + ([agent_group(user_id)] if user_id else [])
    transaction.on_commit(lambda: selectors.forget_socket_scopes(mark))
    publish_on_commit(event_type="scope_changed", groups=groups, payload={"user": user_id, "mark": mark})


_SCOPE_FIELDS_OF_PROFILE = frozenset({"role", "team", "team_id", "user", "user_id"})
_SCOPE_FIELDS_OF_USER = frozenset({"is_active", "is_superuser"})


def _profile_saved(sender, instance, created: bool = False, update_fields=None, **kwargs: Any) -> None:
    if update_fields is None or _SCOPE_FIELDS_OF_PROFILE & set(update_fields):
        scope_changed_on_commit(instance.user_id)


def _user_saved(sender, instance, created: bool = False, update_fields=None, **kwargs: Any) -> None:
    if not created and (update_fields is None or _SCOPE_FIELDS_OF_USER & set(update_fields)):
        scope_changed_on_commit(instance.pk)


def _profile_deleted(sender, instance, **kwargs: Any) -> None:
    scope_changed_on_commit(instance.user_id)


def _user_deleted(sender, instance, **kwargs: Any) -> None:
    scope_changed_on_commit(instance.pk)


def _queues_changed(sender, instance, action: str, reverse: bool, **kwargs: Any) -> None:
    if sender._meta.label_lower != "agents.agentprofile_queues" or action not in (
        "post_add",
        "post_remove",
        "post_clear",
    ):
        return
    # From the queue's side (queue.agents.add(...)) several agents may change at once.
    scope_changed_on_commit(None if reverse else instance.user_id)


def connect_signals() -> None:
    """Changes made anywhere (services, the admin, a shell) to what decides a socket's scope.

    Connected once, from ``AgentsConfig.ready``.
    """
    from django.conf import settings

    post_save.connect(_profile_saved, sender="agents.AgentProfile", dispatch_uid="live_scope_profile_saved")
    post_delete.connect(_profile_deleted, sender="agents.AgentProfile", dispatch_uid="live_scope_profile_deleted")
    post_save.connect(_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="live_scope_user_saved")
    post_delete.connect(_user_deleted, sender=settings.AUTH_USER_MODEL, dispatch_uid="live_scope_user_deleted")
    m2m_changed.connect(_queues_changed, dispatch_uid="live_scope_queues_changed")


# --- Payloads -------------------------------------------------------------------------------------


def _interaction_ref(interaction: Interaction) -> Payload:
    return {
        "interaction": interaction.pk,
        "channel": interaction.channel,
        "queue": interaction.queue_id,
        "agent": interaction.agent_id,
        "customer": interaction.customer_id,
    }


def _ticket_ref(ticket: Ticket) -> Payload:
    return {"ticket": ticket.pk, "reference": ticket.reference, "status": ticket.status, "version": ticket.version}


def _interaction_payload(ref: Payload) -> Payload:
    from contactcenter.live import selectors

    return {**ref, **selectors.interaction_event_extras(interaction_id=ref["interaction"])}


def _ticket_payload(ref: Payload) -> Payload:
    from contactcenter.live import selectors

    return {**ref, **selectors.ticket_event_extras(ticket_id=ref["ticket"])}


def _agent_status_payload(user_id: int, payload: Payload) -> Payload:
    from contactcenter.live import selectors

    return {**payload, **selectors.agent_status_extras(user_id=user_id)}
