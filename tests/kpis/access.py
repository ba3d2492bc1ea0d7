"""Access-matrix entries for this app's routes (merged by tests/api/test_access_matrix.py)."""

from tests.api.matrix import Case, statuses
from tests.interactions.factories import InteractionFactory

ENTRIES = {
    ("survey-list", "get"): Case(statuses(200)),
    # The interaction is in Queue A: agent B may not see it, so for them it does not exist (400).
    ("survey-list", "post"): Case(
        statuses(201, other_agent=400),
        body=lambda org: {
            "interaction": InteractionFactory(queue=org.queue_a, agent=None).pk,
            "kind": "csat",
            "score": 5,
        },
    ),
    # Every role reads KPIs, each within its scope (their own, their team's, all): never a 403.
    ("kpis", "get"): Case(statuses(200), query="?from=2026-01-01&to=2026-02-01&group_by=agent"),
    # The Erlang calculator plans staffing: supervisors and up.
    ("staffing-erlang", "get"): Case(statuses(200, agent=403, other_agent=403), query="?calls=100&aht=180"),
    # The forecast plans staffing too: supervisors and up, for any queue (queues are no secret).
    ("staffing-forecast", "get"): Case(
        statuses(200, agent=403, other_agent=403), query="?queue=Queue%20B&date=2026-03-09"
    ),
}
