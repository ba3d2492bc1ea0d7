"""The access matrix (SPEC §5, Access): every route of /api/ as every role.

Roles: anonymous; ``nobody`` (a user with no role); ``agent`` (agent_a, team A); ``other_agent``
(agent_b, team B: the objects below belong to team A, so to them they are another team's);
``supervisor`` (of team A); ``manager``; ``admin``. A route added to the URLconf without an entry
here fails ``test_every_api_route_has_an_entry``.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.urls import URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from tests.agents.factories import PASSWORD
from tests.api.matrix import ADMIN_ONLY_CHANGE, ADMIN_ONLY_CREATE, ROLES, Case, statuses, unique

MATRIX: dict[tuple[str, str], Case] = {
    # Anyone may ask for a token with a password; the answer does not depend on who asks.
    ("auth-token", "post"): Case(
        {role: 200 for role in ROLES}, body=lambda org: {"username": "agent_a", "password": PASSWORD}
    ),
    # Anyone signed in with a token may revoke it, a user without a role too.
    ("auth-token", "delete"): Case(statuses(204, nobody=204)),
    ("api-schema", "get"): Case(statuses(200, nobody=200)),
    ("api-docs", "get"): Case(statuses(200, nobody=200)),
    ("agent-my-status", "get"): Case(statuses(200, nobody=404)),
    ("agent-my-status", "put"): Case(statuses(200, nobody=404), body=lambda org: {"status": "available"}),
    ("team-list", "get"): Case(statuses(200)),
    ("team-list", "post"): Case(ADMIN_ONLY_CREATE, body=lambda org: {"name": unique("team")}),
    ("team-detail", "get"): Case(statuses(200), kwargs=lambda org: {"name": org.team_a.name}),
    ("queue-list", "get"): Case(statuses(200)),
    ("queue-list", "post"): Case(ADMIN_ONLY_CREATE, body=lambda org: {"name": unique("queue"), "channel": "chat"}),
    ("queue-detail", "get"): Case(statuses(200), kwargs=lambda org: {"name": org.queue_a.name}),
    ("queue-detail", "patch"): Case(
        ADMIN_ONLY_CHANGE, kwargs=lambda org: {"name": org.queue_a.name}, body=lambda org: {"service_level_seconds": 30}
    ),
    ("agent-list", "get"): Case(statuses(200)),
    ("agent-list", "post"): Case(
        ADMIN_ONLY_CREATE,
        body=lambda org: {"username": unique("new_agent"), "password": "Sturdy-pass-2026", "team": "Team A"},
    ),
    # Agent A as seen by each role: agent B (another team) and nobody cannot see them.
    ("agent-detail", "get"): Case(statuses(200, other_agent=404), kwargs=lambda org: {"username": "agent_a"}),
    ("agent-status", "get"): Case(statuses(200, other_agent=404), kwargs=lambda org: {"username": "agent_a"}),
    ("agent-status", "put"): Case(
        statuses(200, agent=403, other_agent=403),
        kwargs=lambda org: {"username": "agent_a"},
        body=lambda org: {"status": "offline"},
        notes="supervisors (their team), managers and admins set an agent offline or on a break",
    ),
    ("agent-detail", "patch"): Case(
        statuses(200, agent=403, other_agent=404),
        kwargs=lambda org: {"username": "agent_a"},
        body=lambda org: {"status": "offline"},
        notes="supervisors and managers may set a visible agent offline; admins change anything",
    ),
}


def _merge_app_entries() -> None:
    """Each app keeps the entries of its own routes beside its tests; they join the matrix here."""
    from tests.customers.access import ENTRIES as customers
    from tests.interactions.access import ENTRIES as interactions
    from tests.interactions.cti_access import ENTRIES as cti
    from tests.knowledge.access import ENTRIES as knowledge
    from tests.kpis.access import ENTRIES as kpis
    from tests.live.access import ENTRIES as live
    from tests.mail.access import ENTRIES as mail
    from tests.quality.access import ENTRIES as quality
    from tests.routing.access import ENTRIES as routing
    from tests.scripts.access import ENTRIES as scripts
    from tests.telephony.calls_access import ENTRIES as calls
    from tests.telephony.recording_access import ENTRIES as recordings
    from tests.telephony.twilio_access import ENTRIES as twilio
    from tests.training.access import ENTRIES as training

    for entries in (
        customers,
        interactions,
        cti,
        twilio,
        kpis,
        live,
        knowledge,
        training,
        scripts,
        routing,
        recordings,
        calls,
        mail,
        quality,
    ):
        overlap = set(entries) & set(MATRIX)
        assert not overlap, f"access-matrix entries defined twice: {sorted(overlap)}"
        MATRIX.update(entries)


_merge_app_entries()


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def api_routes() -> set[tuple[str, str]]:
    """Every (route name, HTTP method) under /api/ that a view really answers."""
    found = set()
    for route, pattern in _walk(get_resolver().url_patterns):
        if not route.startswith("api/"):
            continue
        callback = pattern.callback
        view_class = getattr(callback, "cls", None)
        allowed = set(getattr(view_class, "http_method_names", [])) - {"options", "head", "trace"}
        actions = getattr(callback, "actions", None)
        methods = set(actions) & allowed if actions else {m for m in allowed if hasattr(view_class, m)}
        found |= {(pattern.name, method) for method in methods}
    return found


def test_every_api_route_has_an_entry():
    routes = api_routes()
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert not missing, f"routes without an access-matrix entry: {missing}"
    assert not stale, f"entries for routes that no longer exist: {stale}"


def client_for(role: str, org: SimpleNamespace, api_client_for) -> APIClient:
    users = {
        "nobody": org.nobody,
        "agent": org.agent_a,
        "other_agent": org.agent_b,
        "supervisor": org.supervisor_a,
        "manager": org.manager,
        "admin": org.admin,
    }
    return APIClient() if role == "anonymous" else api_client_for(users[role])


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method"), sorted(MATRIX), ids=lambda v: str(v))
def test_access(name, method, role, org, api_client_for):
    case = MATRIX[(name, method)]
    url = reverse(name, kwargs=case.kwargs(org)) + case.query
    client = client_for(role, org, api_client_for)
    body = case.body(org) if case.body else None
    response = getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)
    assert response.status_code == case.expected[role], (role, name, method, getattr(response, "data", None))
