"""Access-matrix entries for the routing's routes (merged by tests/api/test_access_matrix.py).

``next-agent``: supervisors (their team's queue, Queue A), managers and admins. An offer is
answered by the agent it was made to only: for everyone else it does not exist (404); for agent A
an offer made to agent A (a fresh one per call)."""

from django.utils import timezone

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


ENTRIES = {
    ("routing-next-agent", "get"): Case(statuses(200, agent=403, other_agent=403), query="?queue=Queue%20A"),
    ("routing-offer-accept", "post"): Case(statuses(404, agent=200), kwargs=_offer_to_agent_a),
    ("routing-offer-decline", "post"): Case(statuses(404, agent=200), kwargs=_offer_to_agent_a),
}
