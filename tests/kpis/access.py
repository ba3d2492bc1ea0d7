"""Access-matrix entries for this app's routes (merged by tests/api/test_access_matrix.py)."""

from tests.api.matrix import Case, statuses

ENTRIES = {
    # Every role reads KPIs, each within its scope (their own, their team's, all): never a 403.
    ("kpis", "get"): Case(statuses(200), query="?from=2026-01-01&to=2026-02-01&group_by=agent"),
    # The Erlang calculator plans staffing: supervisors and up.
    ("staffing-erlang", "get"): Case(statuses(200, agent=403, other_agent=403), query="?calls=100&aht=180"),
    # The forecast plans staffing too: supervisors and up, scoped like the KPIs: supervisor A
    # forecasts the queues of team A only (400 for Queue B), managers and admins any queue.
    ("staffing-forecast", "get"): Case(
        statuses(200, agent=403, other_agent=403, supervisor=400), query="?queue=Queue%20B&date=2026-03-09"
    ),
}
