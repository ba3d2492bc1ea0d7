"""Live events of the records: calls and other contacts, and tickets.

Published after commit through :mod:`contactcenter.core.events`. A payload carries the ids of what
changed as the service saw it; what needs names is read after commit, in the callback, under keys
starting with ``_`` (``_interaction``, ``_customer``, ``_ticket``) that the consumers use to route
and shape what sockets receive (``docs/live.md``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from contactcenter.core.events import WALLBOARD_GROUP, Payload, agent_group, publish_on_commit, queue_group
from interactions.models import Interaction, Ticket


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- Shapes -----------------------------------------------------------------------------------------


def interaction_summary(interaction: Interaction) -> dict[str, Any]:
    """An interaction as the live messages show it: queue by name, agent by username (with
    ``queue``, ``agent`` and ``disposition`` joined)."""
    return {
        "id": interaction.pk,
        "channel": interaction.channel,
        "direction": interaction.direction,
        "queue": interaction.queue.name if interaction.queue_id else None,
        "agent": interaction.agent.get_username() if interaction.agent_id else None,
        "customer": interaction.customer_id,
        "offered_at": _iso(interaction.offered_at),
        "answered_at": _iso(interaction.answered_at),
        "ended_at": _iso(interaction.ended_at),
        "wrapup_ended_at": _iso(interaction.wrapup_ended_at),
        "wait_seconds": interaction.wait_seconds,
        "abandoned": interaction.abandoned,
        "disposition": interaction.disposition.code if interaction.disposition_id else None,
        "resolved": interaction.resolved,
    }


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    """A ticket as the live messages show it (with ``queue`` and ``assignee`` joined)."""
    return {
        "id": ticket.pk,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "customer": ticket.customer_id,
        "queue": ticket.queue.name if ticket.queue_id else None,
        "assignee": ticket.assignee.get_username() if ticket.assignee_id else None,
        "first_response_due": _iso(ticket.first_response_due),
        "resolution_due": _iso(ticket.resolution_due),
        "version": ticket.version,
        "updated_at": _iso(ticket.updated_at),
    }


def interaction_event_extras(*, interaction_id: int) -> Payload:
    """What ``incoming`` and ``interaction_logged`` add to the interaction's ids: the interaction as
    the sockets show it, and the customer's name (for the agents' ``incoming`` hint only; the
    wallboard shows ids). Routing data for the consumers, never sent as such. One query."""
    interaction = (
        Interaction.objects.select_related("queue", "agent", "customer", "disposition")
        .filter(pk=interaction_id)
        .first()
    )
    if interaction is None:
        return {}
    customer = interaction.customer
    return {
        "_interaction": interaction_summary(interaction),
        "_customer": {"id": customer.pk, "name": str(customer.display_name)} if customer else None,
    }


def ticket_event_extras(*, ticket_id: int) -> Payload:
    """What ``ticket_assigned`` and ``ticket_updated`` add to the ticket's reference: the ticket as
    committed. One query."""
    ticket = Ticket.objects.select_related("queue", "assignee").filter(pk=ticket_id).first()
    return {"_ticket": ticket_summary(ticket)} if ticket is not None else {}


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


class _ExtrasAfterCommit:
    """The extras of one interaction (:func:`interaction_event_extras`), read once after commit for
    every event of the transaction that names it: a wrap-up logs and ends in one transaction, two
    ``interaction_logged`` events whose payloads would read the same committed row twice.

    A reader waits in its thread's ``pending`` (by interaction id) until its first use, which
    takes it out before reading: the events registered later, in another transaction, get a new
    one. A reader left pending (its transaction rolled back) reads nothing until an event of a
    later transaction uses it, after that one's commit: what it reads is always committed."""

    __slots__ = ("extras", "interaction_id")

    def __init__(self, interaction_id: int) -> None:
        self.interaction_id = interaction_id
        self.extras: Payload | None = None

    def __call__(self) -> Payload:
        if self.extras is None:
            pending = _pending_extras()
            if pending.get(self.interaction_id) is self:
                del pending[self.interaction_id]
            self.extras = interaction_event_extras(interaction_id=self.interaction_id)
        return self.extras


_local = threading.local()
#: Readers left pending by rolled-back transactions are dropped past this many (a later event then
#: reads on its own: one query more, nothing else).
_MAX_PENDING = 1000


def _pending_extras() -> dict[int, _ExtrasAfterCommit]:
    pending = getattr(_local, "pending", None)
    if pending is None:
        pending = _local.pending = {}
    return pending


def _extras_after_commit(interaction_id: int) -> _ExtrasAfterCommit:
    pending = _pending_extras()
    reader = pending.get(interaction_id)
    if reader is None:
        if len(pending) >= _MAX_PENDING:
            pending.clear()
        reader = pending[interaction_id] = _ExtrasAfterCommit(interaction_id)
    return reader


def _interaction_payload_on_commit(ref: Payload) -> Callable[[], Payload]:
    """The payload of an interaction event, built after commit: ``ref`` and the extras, read once
    for all the events of the transaction about this interaction."""
    extras = _extras_after_commit(ref["interaction"])
    return lambda: {**ref, **extras()}


def _ticket_payload(ref: Payload) -> Payload:
    return {**ref, **ticket_event_extras(ticket_id=ref["ticket"])}


# --- Calls ------------------------------------------------------------------------------------------


def call_offered_on_commit(interaction: Interaction) -> None:
    """A call arrived in a queue: a hint to the queue's available agents, and the wallboard."""
    groups = [WALLBOARD_GROUP] + ([queue_group(interaction.queue_id)] if interaction.queue_id else [])
    ref = _interaction_ref(interaction)
    publish_on_commit(event_type="incoming", groups=groups, payload=_interaction_payload_on_commit(ref))


def call_answered_on_commit(interaction: Interaction) -> None:
    """An agent answered: their screen pop (built by their socket, with what they may see), and
    the wallboard."""
    if interaction.agent_id:
        publish_on_commit(
            event_type="screen_pop", groups=[agent_group(interaction.agent_id)], payload=_interaction_ref(interaction)
        )
    interaction_logged_on_commit(interaction)


def call_hold_on_commit(interaction: Interaction, *, held_since: datetime | None) -> None:
    """The call was put on hold or taken off it: its agent's desktop (the call bar) says so.
    ``held_since`` is when the hold it is in now began, ``None`` when it is not on hold."""
    if interaction.agent_id:
        publish_on_commit(
            event_type="call_hold",
            groups=[agent_group(interaction.agent_id)],
            payload={"interaction": interaction.pk, "on_hold": held_since is not None, "held_since": _iso(held_since)},
        )


def interaction_logged_on_commit(interaction: Interaction) -> None:
    """An interaction was stored or changed (ended, wrapped up, logged by the agent)."""
    ref = _interaction_ref(interaction)
    publish_on_commit(
        event_type="interaction_logged", groups=[WALLBOARD_GROUP], payload=_interaction_payload_on_commit(ref)
    )


# --- Tickets ------------------------------------------------------------------------------------


def ticket_assigned_on_commit(ticket: Ticket) -> None:
    """The ticket's assignee gets it on their stream."""
    if ticket.assignee_id:
        ref = _ticket_ref(ticket)
        publish_on_commit(
            event_type="ticket_assigned", groups=[agent_group(ticket.assignee_id)], payload=lambda: _ticket_payload(ref)
        )


def ticket_updated_on_commit(ticket: Ticket) -> None:
    """The ticket's assignee sees its change."""
    if ticket.assignee_id:
        ref = _ticket_ref(ticket)
        publish_on_commit(
            event_type="ticket_updated", groups=[agent_group(ticket.assignee_id)], payload=lambda: _ticket_payload(ref)
        )
