"""``routing/next-agent/`` and ``routing/offers/{id}/accept|decline/``: answers, refusals, 409s."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from contactcenter.distribution.models import QueueRouting, WorkItem, WorkState
from contactcenter.distribution.services import offers_expire, routing_dispatch
from customers.services import customer_create
from tests.interactions.factories import InteractionFactory
from tests.routing.factories import agent_in, enqueue

pytestmark = pytest.mark.django_db

API = "/api/v1/routing/"


@pytest.fixture
def supervisor(org, api_client_for):
    return api_client_for(org.supervisor_a)


def test_next_agent_names_the_longest_idle_with_the_reason(org, supervisor):
    now = timezone.now()
    agent_in(org.queue_a, "idle12", at=now - timedelta(minutes=12, seconds=10))
    agent_in(org.queue_a, "idle2", at=now - timedelta(minutes=2))
    response = supervisor.get(f"{API}next-agent/", {"queue": "Queue A"})
    assert response.status_code == 200
    assert response.json() == {
        "agent": "idle12",
        "reason": "longest idle (12 min)",
        "rule": "longest_idle",
        "extension": None,
    }


def test_next_agent_nobody_in_french(org, supervisor):
    response = supervisor.get(f"{API}next-agent/", {"queue": "Queue A"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.json() == {
        "agent": None,
        "reason": "aucun agent disponible",
        "rule": "none_available",
        "extension": None,
    }


def test_next_agent_prefers_the_callers_last_agent(org, supervisor):
    QueueRouting.objects.create(queue=org.queue_a, prefer_last_agent=True)
    now = timezone.now()
    agent_in(org.queue_a, "idle_longest", at=now - timedelta(minutes=40))
    known = agent_in(org.queue_a, "known", at=now - timedelta(minutes=1))
    customer = customer_create(first_name="Anne", last_name="Martin", phones=["+33612345678"])
    InteractionFactory(customer=customer, agent=known.user, queue=org.queue_a)
    response = supervisor.get(f"{API}next-agent/", {"queue": "Queue A", "from": "06 12 34 56 78"})
    assert response.json() == {
        "agent": "known",
        "reason": "customer's last agent",
        "rule": "last_agent",
        "extension": None,
    }


@pytest.mark.parametrize("queue", ["Queue B", "Nope"])
def test_next_agent_of_a_queue_the_supervisor_does_not_serve_is_a_400(org, supervisor, queue):
    response = supervisor.get(f"{API}next-agent/", {"queue": queue})
    assert response.status_code == 400
    assert "queue" in response.json()


def test_accept_then_409(org, api_client_for):
    profile = agent_in(org.queue_a, "anna")
    item = enqueue(org.queue_a)
    [offer] = routing_dispatch()
    client = api_client_for(profile.user)
    response = client.post(f"{API}offers/{offer.pk}/accept/")
    assert response.status_code == 200
    body = response.json()
    assert (body["offer"], body["outcome"], body["item"]["id"], body["item"]["state"]) == (
        offer.pk,
        "accepted",
        item.pk,
        "assigned",
    )
    assert body["item"]["assigned_to"] == "anna"
    assert client.post(f"{API}offers/{offer.pk}/accept/").status_code == 409
    assert client.post(f"{API}offers/{offer.pk}/decline/").status_code == 409


def test_decline_and_an_expired_offer(org, api_client_for):
    profile = agent_in(org.queue_a, "anna")
    enqueue(org.queue_a)
    [offer] = routing_dispatch()
    client = api_client_for(profile.user)
    response = client.post(f"{API}offers/{offer.pk}/decline/")
    assert (response.status_code, response.json()["item"]["state"]) == (200, "waiting")


def test_an_offer_past_its_time_is_a_409_before_and_after_it_is_reclaimed(org, api_client_for):
    profile = agent_in(org.queue_a, "anna")
    item = enqueue(org.queue_a)
    past = timezone.now() - timedelta(minutes=5)
    [offer] = routing_dispatch(now=past)
    client = api_client_for(profile.user)
    response = client.post(f"{API}offers/{offer.pk}/accept/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 409
    assert "expiré" in response.json()["detail"]
    offers_expire()
    assert client.post(f"{API}offers/{offer.pk}/accept/").status_code == 409
    item.refresh_from_db()
    assert item.state == WorkState.WAITING


def test_someone_elses_offer_is_a_404(org, api_client_for):
    agent_in(org.queue_a, "anna")
    enqueue(org.queue_a)
    [offer] = routing_dispatch()
    response = api_client_for(org.supervisor_a).post(f"{API}offers/{offer.pk}/accept/")
    assert response.status_code == 404
    assert WorkItem.objects.get().state == WorkState.OFFERED


def test_next_agent_for_a_dialplans_integration_account(org, api_client_for):
    """The PBX asks with its integration account (manager role), any queue; agents may not ask."""
    response = api_client_for(org.manager).get(f"{API}next-agent/", {"queue": "Queue B", "from": "0612345678"})
    assert response.status_code == 200
    assert response.json() == {
        "agent": None,
        "reason": "no agent available",
        "rule": "none_available",
        "extension": None,
    }
    assert api_client_for(org.agent_a).get(f"{API}next-agent/", {"queue": "Queue A"}).status_code == 403
    missing = api_client_for(org.manager).get(f"{API}next-agent/")
    assert missing.status_code == 400 and "queue" in missing.json()


def test_next_agent_gives_the_agents_extension_for_the_dialplan(org, api_client_for):
    profile = agent_in(org.queue_a, "phoned", at=timezone.now() - timedelta(minutes=3))
    type(profile).objects.filter(pk=profile.pk).update(extension="1007")
    response = api_client_for(org.manager).get(f"{API}next-agent/", {"queue": "Queue A"})
    assert response.json() == {
        "agent": "phoned",
        "reason": "longest idle (3 min)",
        "rule": "longest_idle",
        "extension": "1007",
    }


@pytest.mark.parametrize("agents", [2, 6])
def test_next_agent_with_the_caller_reads_a_fixed_number_of_rows(
    org, api_client_for, agents, django_assert_num_queries
):
    """The dialplan's question, with the caller's number, on a queue preferring the last agent: the
    same queries whatever the number of agents and of the caller's past calls."""
    QueueRouting.objects.create(queue=org.queue_a, prefer_last_agent=True)
    customer = customer_create(first_name="Anne", last_name="Martin", phones=["+33612345678"])
    for n in range(agents):
        profile = agent_in(org.queue_a, f"agent{n}", at=timezone.now() - timedelta(minutes=n + 1))
        InteractionFactory(customer=customer, agent=profile.user, queue=org.queue_a)
    client = api_client_for(org.manager)
    query = {"queue": "Queue A", "from": "06 12 34 56 78"}
    client.get(f"{API}next-agent/", query)  # warms the caches a process keeps
    # 7: token; the queue; the customer by the caller's number; their last agent; the agents ready to take work
    # (the queues they serve; their profiles with users, capacities, loads; their skills). None per agent or call.
    with django_assert_num_queries(7, exact=True):
        response = client.get(f"{API}next-agent/", query)
    assert response.json()["rule"] == "last_agent"
