"""Access-matrix entries for ``interactions/{id}/recording/`` (merged by tests/api/test_access_matrix.py).

The interaction belongs to Queue A (agent A, supervisor A, managers and admins see it; agent B gets
404). Listening: whoever sees it. Attaching: the integration accounts (managers, admins), sent
here without a file (400: the matrix speaks JSON; tests/telephony/test_recordings.py uploads real
files). Deleting: admins.
"""

from tests.api.matrix import Case, statuses
from tests.interactions.factories import InteractionFactory


def _interaction(org) -> dict:
    return {"pk": InteractionFactory(queue=org.queue_a, agent=None).pk}


ENTRIES: dict = {
    ("interaction-recording", "get"): Case(
        statuses(404, nobody=403), kwargs=_interaction, notes="no recording: 404 for whoever may ask"
    ),
    ("interaction-recording", "post"): Case(
        statuses(403, manager=415, admin=415), kwargs=_interaction, body=lambda org: {}, notes="multipart only"
    ),
    ("interaction-recording", "delete"): Case(statuses(403, admin=404), kwargs=_interaction),
}
