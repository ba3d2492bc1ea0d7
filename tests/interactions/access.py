"""Access-matrix entries for this app's routes (merged by tests/api/test_access_matrix.py).

The objects belong to team A: an interaction and a ticket in Queue A, seen by agent A (their
queue), supervisor A (their team's queue), managers and admins; agent B (team B) gets 404.
"""

from tests.api.matrix import Case, statuses, unique
from tests.interactions.factories import InteractionFactory, TicketFactory

HIDDEN_FROM_OTHER_TEAM = statuses(200, other_agent=404)
#: A contact of Queue A handled by nobody yet: agent A sees it, but changes only their own
#: (tests/security/test_write_scope.py has the agent's own and the field-by-field table).
NOT_THE_AGENTS_OWN = statuses(200, other_agent=404, agent=403)


def _interaction(org) -> dict:
    return {"pk": InteractionFactory(queue=org.queue_a, agent=None).pk}


def _interaction_in_wrapup(org) -> dict:
    """A contact of Queue A whose after-call work is not over (each role its own: a wrap-up ends once)."""
    return {"pk": InteractionFactory(queue=org.queue_a, agent=None, wrapup_ended_at=None).pk}


def _ticket(org) -> dict:
    return {"pk": TicketFactory(queue=org.queue_a).pk}


def _ticket_of_comments(org) -> dict:
    return {"ticket_pk": TicketFactory(queue=org.queue_a).pk}


ENTRIES = {
    ("interaction-list", "get"): Case(statuses(200)),
    ("interaction-list", "post"): Case(
        statuses(201),
        body=lambda org: {
            "channel": "voice",
            "direction": "inbound",
            "queue": org.queue_a.name,
            "offered_at": "2026-01-05T09:00:00Z",
        },
    ),
    ("interaction-detail", "get"): Case(HIDDEN_FROM_OTHER_TEAM, kwargs=_interaction),
    ("interaction-detail", "patch"): Case(
        NOT_THE_AGENTS_OWN, kwargs=_interaction, body=lambda org: {"notes": "Called back"}
    ),
    ("interaction-wrapup", "post"): Case(
        NOT_THE_AGENTS_OWN,
        kwargs=_interaction_in_wrapup,
        # The queue requires a disposition to end the wrap-up.
        body=lambda org: {"notes": "Explained the invoice", "disposition": "resolved"},
        notes="its agent logs the contact and ends its wrap-up; supervisors and up may too",
    ),
    ("ticket-list", "get"): Case(statuses(200)),
    ("ticket-list", "post"): Case(
        statuses(201), body=lambda org: {"subject": unique("Router down"), "queue": org.queue_a.name}
    ),
    ("ticket-detail", "get"): Case(HIDDEN_FROM_OTHER_TEAM, kwargs=_ticket),
    ("ticket-detail", "patch"): Case(
        HIDDEN_FROM_OTHER_TEAM, kwargs=_ticket, body=lambda org: {"version": 1, "priority": "high"}
    ),
    ("ticket-comment-list", "get"): Case(HIDDEN_FROM_OTHER_TEAM, kwargs=_ticket_of_comments),
    ("ticket-comment-list", "post"): Case(
        statuses(201, other_agent=404),
        kwargs=_ticket_of_comments,
        body=lambda org: {"body": "Called the customer back", "public": False},
    ),
    ("survey-list", "get"): Case(statuses(200)),
    # Surveys: the interaction is in Queue A: agent B may not see it, so for them it does not exist (400).
    ("survey-list", "post"): Case(
        statuses(201, other_agent=400),
        body=lambda org: {
            "interaction": InteractionFactory(queue=org.queue_a, agent=None).pk,
            "kind": "csat",
            "score": 5,
        },
    ),
}
