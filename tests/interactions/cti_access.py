"""Access-matrix entries for the CTI intake (merged by tests/api/test_access_matrix.py).

Call events come from integration accounts, users with the admin or manager role
(``cti.post`` in ``contactcenter.core.access``); agents and supervisors get 403.
"""

from tests.api.matrix import Case, statuses, unique

ENTRIES: dict = {
    ("cti-events", "post"): Case(
        statuses(403, manager=201, admin=201),
        body=lambda org: {
            "event": "call.offered",
            "call_id": unique("call"),
            "timestamp": "2026-01-05T10:00:00+01:00",
            "from": "+33 6 12 34 56 78",
            "to": "3900",
            "queue": org.queue_a.name,
            "agent": None,
        },
        notes="integration accounts are managers or admins; each role posts a new call",
    ),
}
