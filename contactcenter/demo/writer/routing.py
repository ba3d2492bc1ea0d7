"""The demo's routing: its queues that hold tickets offer them to their agents, so that an agent
who logs in and goes available is offered the tickets nobody holds (docs/routing.md)."""

from __future__ import annotations

from contactcenter.demo.result import count
from contactcenter.demo.writer.organisation import Center
from contactcenter.distribution.models import QueueRouting
from contactcenter.distribution.services import queue_tickets_routing_switched
from interactions.models import Ticket


def ensure_ticket_routing(center: Center, *, created: dict[str, int]) -> None:
    """Give each demo queue that holds tickets a routing that offers them (``routes_tickets``) when
    it has none (an admin may have switched one off: left as it is), and put the tickets nobody
    holds of the queues that offer them in line (once: a ticket in line keeps its place)."""
    queues = {queue.pk: queue for queue in center.queues.values()}
    with_tickets = set(Ticket.objects.filter(queue_id__in=queues).values_list("queue_id", flat=True).distinct())
    routings = dict(QueueRouting.objects.filter(queue_id__in=with_tickets).values_list("queue_id", "routes_tickets"))
    for queue_id in sorted(with_tickets):
        if queue_id not in routings:
            routing = QueueRouting(queue=queues[queue_id], routes_tickets=True)
            routing.full_clean()
            routing.save()
            count(created, "queue routings")
            routings[queue_id] = True
        if routings[queue_id]:
            queue_tickets_routing_switched(queue=queues[queue_id])
