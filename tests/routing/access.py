"""Access-matrix entries for the routing's routes (merged by tests/api/test_access_matrix.py).

``next-agent``: supervisors (their team's queue, Queue A), managers and admins. An offer is
answered by the agent it was made to only: for everyone else it does not exist (404); for agent A
an offer made to agent A (a fresh one per call).

``items/``: supervisors (their team's queues), managers and admins. A chat waiting in Queue A, given
to agent A (available): offered to them (200); agents 403."""

from django.utils import timezone

from contactcenter.agents.models import AgentProfile
from contactcenter.agents.services import agent_set_status
from contactcenter.distribution.models import WorkItem, WorkOffer
from tests.api.matrix import Case, statuses


def _offer_to_agent_a(org) -> dict:
    now = timezone.now()
    item = WorkItem.objects.create(
        kind="chat",
        queue=org.queue_a,
        arrived_at=now,
        state="offered",
        offered_to=org.agent_a,
        offer_expires_at=now + timezone.timedelta(seconds=30),
    )
    offer = WorkOffer.objects.create(item=item, agent=org.agent_a, offered_at=now, expires_at=item.offer_expires_at)
    return {"pk": offer.pk}


def _chat_in_queue_a(org) -> dict:
    return {"pk": WorkItem.objects.create(kind="chat", queue=org.queue_a, arrived_at=timezone.now()).pk}


def _agent_a_available(org) -> dict:
    agent_set_status(profile=AgentProfile.objects.get(user=org.agent_a), status="available")
    return {"agent": "agent_a"}


ENTRIES = {
    ("routing-next-agent", "get"): Case(statuses(200, agent=403, other_agent=403), query="?queue=Queue%20A"),
    ("routing-offer-accept", "post"): Case(statuses(404, agent=200), kwargs=_offer_to_agent_a),
    ("routing-offer-decline", "post"): Case(statuses(404, agent=200), kwargs=_offer_to_agent_a),
    ("routing-item-list", "get"): Case(statuses(200, agent=403, other_agent=403)),
    ("routing-item-detail", "get"): Case(statuses(200, agent=403, other_agent=403), kwargs=_chat_in_queue_a),
    ("routing-item-move", "post"): Case(
        statuses(200, agent=403, other_agent=403), kwargs=_chat_in_queue_a, body=_agent_a_available
    ),
}
