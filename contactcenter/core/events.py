"""The publishing half of live events: group names and publish-after-commit, for every layer.

Each domain announces its own events through :func:`publish_on_commit` from its services
(``contactcenter.agents.events``: presence and who sees what; ``interactions.events``: calls and
tickets); each message is sent once the database transaction commits, so nothing is announced for
a change that is rolled back. Group names are built here, from ids, never from client input.
The channel layer delivers at most once: a socket is a hint, the database is the truth (clients
refetch over HTTP on a gap). The layer (``contactcenter.live.layers``, set in the settings) numbers
each group's messages as it sends them, so that a loss shows as a gap on the receiving sockets; a
publish that fails (Redis away) never fails the request or the transaction: it is logged, without
the payload, and the layer makes it known to the group's sockets once it can.

A message on the layer is ``{"type": event, "event": event, "at": ISO-8601, "payload": {...}}``;
the consumers (:mod:`contactcenter.live.consumers`) have a handler named after each event type
and turn the payload into what the socket receives (``docs/live.md``). A payload carries the ids of
what changed as the service saw it (``interaction``, ``queue``, ``agent``; ``ticket``,
``version``…); what needs names is read after commit, in the callback (so it describes the
committed state and the transaction does not pay for it), under keys starting with ``_``
(``_interaction``, ``_ticket``, ``_route``) that the consumers use and never send as such.

Who gets what:

- ``agent.<user id>``: the agent's own stream (``screen_pop``, ``call_hold``, ``ticket_assigned``,
  ``ticket_updated``, ``status_changed``, ``scope_changed``, ``quality.evaluation``);
- ``queue.<queue id>``: the agent sockets of the queue's members (``incoming``; each consumer
  relays it only while its agent is available);
- ``chat.<conversation id>``: the visitor's sockets of one web chat (``docs/chat.md``);
- ``wallboard``: every wallboard socket (``agent_status``, ``interaction_logged``, ``incoming``,
  ``scope_changed``); each consumer relays what its user may see (a supervisor: their team) and
  derives ``queue_stats`` from these events.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

logger = logging.getLogger(__name__)

WALLBOARD_GROUP = "wallboard"
#: A publish that takes longer than this (Redis down, retrying) is given up: the write stands.
PUBLISH_TIMEOUT_SECONDS = 2.0

Payload = dict[str, Any]

#: Sent in this process after the commit of a change to who may see what (``mark``: its id), so
#: that what caches a user's scope (the sockets of the workspace) forgets it at once.
scope_changed = Signal()


# --- Group names ----------------------------------------------------------------------------------


def agent_group(user_id: int) -> str:
    """The stream of one agent (every socket that agent has open)."""
    return f"agent.{int(user_id)}"


def queue_group(queue_id: int) -> str:
    """Everyone who watches one queue."""
    return f"queue.{int(queue_id)}"


def visitor_chat_group(conversation_id: int) -> str:
    """The visitor's side of one web chat (every ``ws/chat/`` socket of that conversation)."""
    return f"chat.{int(conversation_id)}"


def agent_stream_groups(*, user_id: int, queue_ids: Iterable[int]) -> set[str]:
    """The groups an agent socket joins: its own stream and its queues (``incoming``)."""
    return {agent_group(user_id), *(queue_group(queue_id) for queue_id in queue_ids)}


def wallboard_groups(*, user_id: int) -> set[str]:
    """The groups a wallboard socket joins: the wallboard (filtered per user by its consumer) and
    the user's own stream for ``scope_changed`` (its deactivation, a new role or team)."""
    return {WALLBOARD_GROUP, agent_group(user_id)}


# --- Sending ------------------------------------------------------------------------------------


async def _publish(groups: list[str], message: dict[str, Any]) -> list[str]:
    """Send ``message`` to every group at once, for :data:`PUBLISH_TIMEOUT_SECONDS` at most; the
    groups it did not reach. Raises ``TimeoutError`` when it ran out of time (the layer is away)."""
    layer = get_channel_layer()
    results = await asyncio.wait_for(
        asyncio.gather(*(layer.group_send(group, message) for group in groups), return_exceptions=True),
        timeout=PUBLISH_TIMEOUT_SECONDS,
    )
    return [group for group, result in zip(groups, results, strict=True) if isinstance(result, BaseException)]


Outgoing = tuple[list[str], dict[str, Any]]


async def _publish_all(outgoing: list[Outgoing]) -> list[tuple[str, list[str], str]]:
    """Send the messages in order (each group gets them in order); for each message not delivered
    everywhere, the groups it missed and why. A layer that sends several at once
    (``group_send_many``: the Redis layer, one round trip) gets them all together; else one after
    the other, and once one ran out of time the layer is away: the rest are not tried (they would
    each wait as long)."""
    layer = get_channel_layer()
    if len(outgoing) > 1 and hasattr(layer, "group_send_many"):
        sends = [(group, message) for groups, message in outgoing for group in groups]
        try:
            await asyncio.wait_for(layer.group_send_many(sends), timeout=PUBLISH_TIMEOUT_SECONDS)
        except TimeoutError:
            return [(message["event"], groups, "unreachable or too slow") for groups, message in outgoing]
        except Exception:
            return [(message["event"], groups, "unreachable") for groups, message in outgoing]
        return []
    failures: list[tuple[str, list[str], str]] = []
    for index, (groups, message) in enumerate(outgoing):
        try:
            failed = await _publish(groups, message)
        except TimeoutError:
            failures += [
                (left["event"], left_groups, "unreachable or too slow") for left_groups, left in outgoing[index:]
            ]
            break
        if failed:
            failures.append((message["event"], failed, "unreachable"))
    return failures


#: The live events held by :func:`publishing_together` in this context, or ``None``: sent at once.
_held: ContextVar[list[Outgoing] | None] = ContextVar("live_events_held", default=None)


@contextmanager
def publishing_together() -> Iterator[None]:
    """Hold the live events sent inside the block and send them all, in order, at its end.

    Going from a request's thread to the event loop that talks to the channel layer has a cost of
    its own for every hop (in a process without a loop, a new loop and a new Redis connection each
    time); a request whose transactions announce several events (an offer answered: the agent's
    status, the work's, the wallboard's) pays it once. Events still leave only after their
    transaction's commit, and those of a request before its answer (``LiveEventsMiddleware``)."""
    if _held.get() is not None:  # already inside one: the outer block sends
        yield
        return
    token = _held.set([])
    try:
        yield
    finally:
        outgoing = _held.get() or []
        _held.reset(token)
        _deliver(outgoing)


def _deliver(outgoing: list[Outgoing]) -> None:
    if not outgoing:
        return
    try:
        # One hop to the event loop for all of them.
        failures = async_to_sync(_publish_all)(outgoing)
    except Exception as exc:
        failures = [(message["event"], groups, type(exc).__name__) for groups, message in outgoing]
    for event_type, groups, reason in failures:
        # The write stands. No payload in the log (names, numbers): the event type and group ids.
        logger.warning("live event %s not delivered to %s (%s): their sockets will resync", event_type, groups, reason)


def _send(groups: list[str], event_type: str, payload: Payload) -> None:
    if get_channel_layer() is None or not groups:
        return
    message = {"type": event_type, "event": event_type, "at": timezone.now().isoformat(), "payload": payload}
    held = _held.get()
    if held is not None:
        held.append((list(groups), message))
    else:
        _deliver([(list(groups), message)])


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


# --- Who may see what changed --------------------------------------------------------------------


def scope_changed_on_commit(user_id: int | None) -> None:
    """A user's role, team, queues or active flag changed (``None``: several users' queues).

    Their sockets re-check right away (and close when they may no longer watch), and every
    wallboard re-reads which agents and queues its user may see. The process's cached scopes are
    forgotten at once; other processes forget them when the message reaches their sockets.
    """
    mark = uuid.uuid4().hex
    groups = [WALLBOARD_GROUP] + ([agent_group(user_id)] if user_id else [])
    transaction.on_commit(lambda: scope_changed.send(sender=None, mark=mark))
    publish_on_commit(event_type="scope_changed", groups=groups, payload={"user": user_id, "mark": mark})
