"""Exact query counts of the hot API endpoints (Zulip's ``assert_database_query_count`` habit).

Each endpoint is called with a real API token, once to warm what a process keeps (content types,
URL resolver, the first use of a code path), then measured with
``django_assert_num_queries(n, exact=True)``, over 3 and then 10 rows: the same number both times,
or a loop queries row by row. A count that changes is a decision to take, not a number to bump:
the comment above each says what the queries are. Writes run their after-commit callbacks (the
live events' payloads) inside the measure, as a request does.

Every request starts with the same two: the token with its user (``TokenAuthentication``), then
the caller's agent profile (their role and scope, ``contactcenter.core.access``). In a test the
request's transaction is a savepoint of the test's own (``SAVEPOINT`` and ``RELEASE`` count as
queries); in production it is a ``BEGIN``/``COMMIT``, which Django does not count.

The counts are the same on SQLite and PostgreSQL (``SELECT … FOR UPDATE`` is one query on both).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from contactcenter.agents.models import AgentProfile
from contactcenter.agents.services import agent_set_status
from customers.services import customer_create
from tests.agents.factories import AgentProfileFactory
from tests.customers.factories import CustomerFactory, EmailFactory, PhoneFactory
from tests.interactions.factories import T0, InteractionFactory, TicketCommentFactory, TicketFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/"
ROWS = [3, 10]
PHONE = "06 12 34 56 78"


@pytest.fixture
def agent(org, api_client_for):
    """Agent A's client (team A, queue A): the agent desktop's calls."""
    return api_client_for(org.agent_a)


def customers(rows: int) -> list:
    """``rows`` customers, each with two phones and an email."""
    made = []
    for _ in range(rows):
        customer = CustomerFactory()
        PhoneFactory(customer=customer)
        PhoneFactory(customer=customer)
        EmailFactory(customer=customer)
        made.append(customer)
    return made


def history(org, customer, rows: int) -> None:
    """``rows`` interactions of ``customer`` in queue A handled by agent A, and ``rows`` open
    tickets of queue A assigned to agent A, each with a comment."""
    for n in range(rows):
        InteractionFactory(customer=customer, queue=org.queue_a, agent=org.agent_a, offered_at=T0 + timedelta(hours=n))
        ticket = TicketFactory(customer=customer, queue=org.queue_a, assignee=org.agent_a)
        TicketCommentFactory(ticket=ticket, author=org.agent_a)


# --- Customers --------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", ROWS)
def test_customer_list(org, agent, rows, django_assert_num_queries):
    customers(rows)
    agent.get(f"{API}customers/")
    # 4: token and user, caller's profile; the page of customers, their contact points (one prefetch).
    with django_assert_num_queries(4, exact=True):
        response = agent.get(f"{API}customers/")
    assert response.status_code == 200
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", ROWS)
def test_customer_detail(org, agent, rows, django_assert_num_queries):
    customer, *_others = customers(rows)
    url = f"{API}customers/{customer.pk}/"
    agent.get(url)
    # 5: token and user, caller's profile; the customer, its contact points (one prefetch); the
    # read audit's row (one INSERT).
    with django_assert_num_queries(5, exact=True):
        response = agent.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("rows", ROWS)
def test_customer_lookup(org, agent, rows, django_assert_num_queries):
    customer = customer_create(first_name="Anne", last_name="Martin", phones=[PHONE], emails=["anne@example.test"])
    history(org, customer, rows)
    agent.get(f"{API}customers/lookup/", {"phone": PHONE})
    # 7: token and user, caller's profile; the customers holding the number (their ids), the
    # customer shown, its contact points, its open tickets, its last interactions.
    with django_assert_num_queries(7, exact=True):
        response = agent.get(f"{API}customers/lookup/", {"phone": PHONE})
    assert response.status_code == 200
    assert len(response.json()["last_interactions"]) == len(response.json()["open_tickets"]) == rows


@pytest.mark.parametrize("rows", ROWS)
def test_customer_timeline(org, agent, rows, django_assert_num_queries):
    customer = customer_create(first_name="Anne", last_name="Martin", phones=[PHONE])
    history(org, customer, rows)
    url = f"{API}customers/{customer.pk}/timeline/"
    agent.get(url)
    # 7: token and user, caller's profile; the customer; the read audit's row (one INSERT); then a
    # page of each kind of entry: interactions, tickets, ticket comments (with their ticket).
    with django_assert_num_queries(7, exact=True):
        response = agent.get(url)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3 * rows


# --- Interactions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", ROWS)
def test_interaction_list(org, agent, rows, django_assert_num_queries):
    history(org, CustomerFactory(), rows)
    agent.get(f"{API}interactions/")
    # 3: token and user, caller's profile; the page of interactions (agent, queue and disposition joined).
    with django_assert_num_queries(3, exact=True):
        response = agent.get(f"{API}interactions/")
    assert response.status_code == 200
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", ROWS)
def test_interaction_create(org, agent, rows, django_assert_num_queries, django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    history(org, customer, rows)
    body = {"channel": "email", "direction": "inbound", "customer": customer.pk, "queue": "Queue A"}
    with django_capture_on_commit_callbacks(execute=True):
        agent.post(f"{API}interactions/", {**body, "offered_at": T0.isoformat()})
    # 15: token and user, caller's profile; the serializer reads the customer and the queue;
    # savepoint; full_clean() checks again that the customer and the queue exist, and the
    # (source, external_id) constraint in a savepoint of its own (3); insert, history row; release;
    # the interaction read back for the answer; after commit, the wallboard's interaction_logged
    # payload reads it once more.
    with django_assert_num_queries(15, exact=True), django_capture_on_commit_callbacks(execute=True):
        response = agent.post(f"{API}interactions/", {**body, "offered_at": (T0 + timedelta(minutes=1)).isoformat()})
    assert response.status_code == 201, response.json()


# --- Tickets ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", ROWS)
def test_ticket_list(org, agent, rows, django_assert_num_queries):
    history(org, CustomerFactory(), rows)
    agent.get(f"{API}tickets/")
    # 3: token and user, caller's profile; the page of tickets (category, queue, assignee joined).
    with django_assert_num_queries(3, exact=True):
        response = agent.get(f"{API}tickets/")
    assert response.status_code == 200
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", ROWS)
def test_ticket_detail(org, agent, rows, django_assert_num_queries):
    history(org, CustomerFactory(), rows)
    ticket = TicketFactory(queue=org.queue_a, assignee=org.agent_a)
    TicketCommentFactory.create_batch(rows, ticket=ticket, author=org.agent_a)
    url = f"{API}tickets/{ticket.pk}/"
    agent.get(url)
    # 3: token and user, caller's profile; the ticket (its comments are another endpoint).
    with django_assert_num_queries(3, exact=True):
        response = agent.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("rows", ROWS)
def test_ticket_update(org, agent, rows, django_assert_num_queries, django_capture_on_commit_callbacks):
    history(org, CustomerFactory(), rows)
    ticket = TicketFactory(queue=org.queue_a, assignee=org.agent_a)
    TicketCommentFactory.create_batch(rows, ticket=ticket, author=org.agent_a)
    url = f"{API}tickets/{ticket.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        agent.patch(url, {"version": 1, "priority": "high"})
    # 20: token and user, caller's profile; the ticket (in the caller's sight); savepoint, the
    # ticket again, locked, to compare versions; savepoint; full_clean() checks that its customer,
    # queue, assignee and SLA policy exist (4) and that its reference is unique, and its version
    # constraint in a savepoint (3); update, history row; two releases; the ticket read back for
    # the answer; after commit, the assignee's ticket_updated payload reads it once more.
    with django_assert_num_queries(20, exact=True), django_capture_on_commit_callbacks(execute=True):
        response = agent.patch(url, {"version": 2, "status": "open"})
    assert response.status_code == 200, response.json()


# --- CTI ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", ROWS)
def test_cti_call_answered(org, api_client_for, rows, django_assert_num_queries, django_capture_on_commit_callbacks):
    pbx = api_client_for(org.manager)  # an integration account
    start = timezone.now() - timedelta(minutes=10)
    AgentProfile.objects.filter(user=org.agent_a).update(status_since=start - timedelta(days=1))
    agent_set_status(profile=AgentProfile.objects.get(user=org.agent_a), status="available", at=start)
    customer = customer_create(first_name="Anne", last_name="Martin", phones=[PHONE])
    history(org, customer, rows)

    def event(name: str, call_id: str, seconds: int):
        body = {
            "event": name,
            "call_id": call_id,
            "timestamp": (start + timedelta(seconds=seconds)).isoformat(),
            "from": PHONE,
            "to": "+33 1 70 00 00 00",
            "queue": "Queue A",
            "agent": "agent_a" if name != "call.offered" else None,
        }
        return pbx.post(f"{API}cti/events/", body)

    with django_capture_on_commit_callbacks(execute=True):
        for name, seconds in (("call.offered", 0), ("call.answered", 5), ("call.ended", 60), ("call.wrapup_ended", 90)):
            event(name, "warm", seconds)
        event("call.offered", "measured", 100)
    # 38, the agent available when the call is answered:
    # - 4: token and user, caller's profile; the serializer reads the queue and the agent's profile;
    # - 7: savepoint; the call, locked; its events; insert the event; update the interaction, its
    #   history row; update the call;
    # - 2: presence: the agent's profile again, and whether a later call already moved it;
    # - 20: agent_set_status() to busy in a savepoint: the profile locked, close the open presence
    #   interval, full_clean() of the new one (its agent exists; two constraints, each in a
    #   savepoint: 7), insert it, full_clean() of the profile (user and team exist, one profile per
    #   user; a constraint in a savepoint: 6), update it, the user read for the status event; release;
    # - 2: the call's presence mark, release;
    # - 3 after commit: the status event's profile and queues, the interaction_logged payload.
    # (The screen pop itself is built by the agent's socket, not in this request.)
    with django_assert_num_queries(38, exact=True), django_capture_on_commit_callbacks(execute=True):
        response = event("call.answered", "measured", 110)
    assert response.status_code == 201, response.json()


# --- KPIs and agents ----------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", ROWS)
def test_kpis(org, api_client_for, rows, django_assert_num_queries):
    manager = api_client_for(org.manager)
    for n in range(rows):
        agent = AgentProfileFactory(team=org.team_a, queues=[org.queue_a]).user
        InteractionFactory(queue=org.queue_a, agent=agent, offered_at=T0 + timedelta(hours=n))
    params = {"from": "2026-01-01", "to": "2026-02-01", "group_by": "agent"}
    manager.get(f"{API}kpis/", params)
    # 7: token and user, caller's profile; the rollup plan (which days are filled); then one
    # aggregate each, over the whole period and every agent: occupancy (presence), counts and
    # durations, first-contact resolution, surveys.
    with django_assert_num_queries(7, exact=True):
        response = manager.get(f"{API}kpis/", params)
    assert response.status_code == 200
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", ROWS)
def test_agent_list(org, api_client_for, rows, django_assert_num_queries):
    supervisor = api_client_for(org.supervisor_a)
    for _ in range(rows):
        AgentProfileFactory(team=org.team_a, queues=[org.queue_a])
    supervisor.get(f"{API}agents/")
    # 5: token and user, caller's profile; the page of profiles (user and team joined), their
    # queues, their skills (two prefetches).
    with django_assert_num_queries(5, exact=True):
        response = supervisor.get(f"{API}agents/")
    assert response.status_code == 200
    assert len(response.json()["results"]) == rows + 2  # agent A and supervisor A too
