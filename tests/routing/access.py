"""Access-matrix entries for the routing's routes (merged by tests/api/test_access_matrix.py).

``next-agent``: supervisors (their team's queue, Queue A), managers and admins. An offer is
answered by the agent it was made to only: for everyone else it does not exist (404); for agent A
an offer made to agent A (a fresh one per call).

``items/``: supervisors (their team's queues), managers and admins. A chat waiting in Queue A, given
to agent A (available): offered to them (200); agents 403.

``callbacks/``: every role with a profile promises and lists callbacks; a callback agent A promised
in Queue A (a fresh one per call) is theirs, their supervisor's, the managers' and the admins' to
read, cancel and try; another team's agent does not see it (404)."""

from django.utils import timezone

from contactcenter.agents.models import AgentProfile
from contactcenter.agents.services import agent_set_status
from contactcenter.distribution.models import WorkItem, WorkOffer
from contactcenter.distribution.services import callback_create
from tests.api.matrix import Case, statuses
from tests.customers.factories import CustomerFactory


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


def _callback_of_agent_a(org) -> dict:
    callback = callback_create(
        queue=org.queue_a, phone="+33612345678", due_at=timezone.now() + timezone.timedelta(hours=1), by=org.agent_a
    )
    return {"pk": callback.pk}


def _callback_body(org) -> dict:
    due = (timezone.now() + timezone.timedelta(hours=1)).isoformat()
    return {"customer": CustomerFactory().pk, "phone": "+33 1 70 00 00 02", "due_at": due, "queue": "Queue A"}


_SEEN_BY_A = statuses(200, other_agent=404)

ENTRIES = {
    ("routing-next-agent", "get"): Case(statuses(200, agent=403, other_agent=403), query="?queue=Queue%20A"),
    ("routing-offer-accept", "post"): Case(statuses(404, agent=200), kwargs=_offer_to_agent_a),
    ("routing-offer-decline", "post"): Case(statuses(404, agent=200), kwargs=_offer_to_agent_a),
    ("routing-item-list", "get"): Case(statuses(200, agent=403, other_agent=403)),
    ("routing-item-detail", "get"): Case(statuses(200, agent=403, other_agent=403), kwargs=_chat_in_queue_a),
    ("routing-item-move", "post"): Case(
        statuses(200, agent=403, other_agent=403), kwargs=_chat_in_queue_a, body=_agent_a_available
    ),
    ("callback-list", "get"): Case(statuses(200)),
    ("callback-list", "post"): Case(statuses(201), body=_callback_body),
    ("callback-counts", "get"): Case(statuses(200)),
    ("callback-detail", "get"): Case(_SEEN_BY_A, kwargs=_callback_of_agent_a),
    ("callback-cancel", "post"): Case(_SEEN_BY_A, kwargs=_callback_of_agent_a),
    ("callback-attempts", "post"): Case(
        statuses(201, other_agent=404), kwargs=_callback_of_agent_a, body=lambda org: {"outcome": "reached"}
    ),
}
