"""Live events of the routing, on the agent's own stream (``ws/agent/``), after commit
(``docs/routing.md``, "Events"): ``offer`` when work is offered to the agent, ``offer_closed``
when that offer ends (accepted, declined, timed out, withdrawn)."""

from __future__ import annotations

from contactcenter.core.compiled import CompiledQuery
from contactcenter.core.events import Payload, agent_group, publish_on_commit
from contactcenter.distribution.models import Callback, WorkItem, WorkKind, WorkOffer


def item_payload(item: WorkItem) -> Payload:
    """What the agent is offered: the item, its queue, customer and ticket (read with it)."""
    customer, ticket = item.customer, item.ticket
    return {
        "id": item.pk,
        "kind": item.kind,
        "queue": item.queue.name,
        "priority": item.priority,
        "arrived_at": item.arrived_at.isoformat(),
        "sla_due_at": item.sla_due_at.isoformat() if item.sla_due_at else None,
        "customer": (
            {"id": customer.pk, "name": f"{customer.first_name} {customer.last_name}".strip()}
            if customer is not None
            else None
        ),
        "ticket": (
            {"id": ticket.pk, "reference": ticket.reference, "subject": ticket.subject} if ticket is not None else None
        ),
    }


def callback_payload(item: WorkItem) -> Payload | None:
    """A callback item's callback: the number to dial, when it was due, the note, who promised it
    (one query)."""
    callback = Callback.objects.filter(work_item=item).select_related("promised_by").order_by("-pk").first()
    if callback is None:
        return None
    return {
        "id": callback.pk,
        "phone": callback.phone,
        "due_at": callback.due_at.isoformat(),
        "note": callback.note,
        "attempts": callback.attempts,
        "promised_by": callback.promised_by.username if callback.promised_by else None,
    }


#: An offer with what its message shows (compiled once: every offer is announced).
_OFFER_WITH_ITEM = CompiledQuery(
    lambda offer_id: WorkOffer.objects.select_related("item__queue", "item__customer", "item__ticket").filter(
        pk=offer_id
    )[:1],
    samples=[-7_600_021],
)


def offer_payload(offer_id: int) -> Payload:
    """The ``offer`` message, read after commit (one query; a callback's, two)."""
    offer = _OFFER_WITH_ITEM.fetch(offer_id)[0]
    payload = {
        "offer": offer.pk,
        "offered_at": offer.offered_at.isoformat(),
        "expires_at": offer.expires_at.isoformat(),
        "item": item_payload(offer.item),
    }
    if offer.item.kind == WorkKind.CALLBACK:
        payload["item"]["callback"] = callback_payload(offer.item)
    return payload


def offer_on_commit(offer: WorkOffer) -> None:
    """Work is offered to the offer's agent: their stream, once committed."""
    offer_id = offer.pk
    publish_on_commit(event_type="offer", groups=[agent_group(offer.agent_id)], payload=lambda: offer_payload(offer_id))


def offer_closed_on_commit(offer: WorkOffer) -> None:
    """The agent's offer ended (``outcome``): their stream, once committed (the desk drops it)."""
    publish_on_commit(
        event_type="offer_closed",
        groups=[agent_group(offer.agent_id)],
        payload={"offer": offer.pk, "item": offer.item_id, "outcome": offer.outcome},
    )
