"""The desktop's offer card and My work (contactcenter/desk/offers.py), and the per-queue switch
that offers a queue's tickets to its agents (``QueueRouting.routes_tickets``)."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from contactcenter.agents.models import AgentProfile, Status
from contactcenter.agents.services import agent_set_status
from contactcenter.desk.offers import outcome_text
from contactcenter.distribution.models import (
    AgentRouting,
    OfferOutcome,
    QueueRouting,
    WorkItem,
    WorkKind,
    WorkOffer,
    WorkState,
)
from contactcenter.distribution.services import offers_expire, queue_tickets_routing_switched, ticket_followed
from customers.services import customer_create
from interactions.services import ticket_create, ticket_update
from tests.agents.factories import AgentProfileFactory
from tests.routing.factories import enqueue

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def available(user) -> AgentProfile:
    return agent_set_status(profile=AgentProfile.objects.get(user=user), status=Status.AVAILABLE, reason="")


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def routed(org):
    """Queue A offers its tickets; agent A is available in it."""
    QueueRouting.objects.create(queue=org.queue_a, routes_tickets=True, offer_timeout_seconds=30)
    available(org.agent_a)
    return org


def offered_ticket(org, capture, subject: str = "Refund"):
    """A new ticket in Queue A nobody holds, offered to agent A after its commit."""
    anne = customer_create(first_name="Anne", last_name="Martin", emails=["anne@example.test"])
    with capture(execute=True):
        ticket = ticket_create(subject=subject, queue=org.queue_a, customer=anne, by=None)
    offer = WorkOffer.objects.get(item__ticket=ticket, outcome=OfferOutcome.OPEN)
    return ticket, offer


# --- The per-queue switch ---------------------------------------------------------------------------


def test_a_queue_that_routes_its_tickets_offers_them(routed, django_capture_on_commit_callbacks):
    _ticket, offer = offered_ticket(routed, django_capture_on_commit_callbacks)
    assert offer.agent == routed.agent_a
    assert offer.item.kind == WorkKind.TICKET and offer.item.queue == routed.queue_a


def test_a_queue_without_the_switch_keeps_its_tickets_out_of_the_line(org, django_capture_on_commit_callbacks):
    QueueRouting.objects.create(queue=org.queue_b, routes_tickets=True)  # another queue is on
    available(org.agent_a)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(subject="Router down", queue=org.queue_a, by=None)
    assert not WorkItem.objects.filter(ticket=ticket).exists()


def test_nothing_is_routed_and_nothing_read_while_no_queue_routes_tickets(org, django_assert_num_queries):
    ticket_followed(ticket=None, created=True, changed=frozenset())  # type: ignore[arg-type]  # the cache warmed
    with django_assert_num_queries(0):
        ticket_followed(ticket=None, created=True, changed=frozenset())  # type: ignore[arg-type]


def test_routing_tickets_setting_still_routes_every_queue(org, settings, django_capture_on_commit_callbacks):
    settings.ROUTING_TICKETS = True
    available(org.agent_a)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(subject="Router down", queue=org.queue_a, by=None)
    assert WorkItem.objects.get(ticket=ticket).state == WorkState.OFFERED


def test_a_ticket_moved_to_a_queue_that_does_not_route_leaves_the_line(routed, django_capture_on_commit_callbacks):
    ticket, offer = offered_ticket(routed, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, changes={"queue": routed.queue_b}, by=None)
    offer.refresh_from_db()
    assert offer.outcome == OfferOutcome.WITHDRAWN
    assert WorkItem.objects.get(pk=offer.item_id).state == WorkState.CANCELLED


def test_switching_on_puts_the_queues_waiting_tickets_in_line_and_off_takes_them_out(
    org, django_capture_on_commit_callbacks
):
    held = ticket_create(subject="Held", queue=org.queue_a, by=None, assignee=org.agent_a)
    waiting = [ticket_create(subject=f"Waiting {n}", queue=org.queue_a, by=None) for n in range(2)]
    assert not WorkItem.objects.exists()
    routing = QueueRouting.objects.create(queue=org.queue_a, routes_tickets=True)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert queue_tickets_routing_switched(queue=org.queue_a) == 2
    assert len(callbacks) == 1  # one dispatch for them all
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert queue_tickets_routing_switched(queue=org.queue_a) == 0  # once
    assert callbacks == []
    assert set(WorkItem.objects.values_list("ticket_id", flat=True)) == {t.pk for t in waiting}
    assert not WorkItem.objects.filter(ticket=held).exists()
    routing.routes_tickets = False
    routing.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert queue_tickets_routing_switched(queue=org.queue_a) == 2
    assert set(WorkItem.objects.values_list("state", flat=True)) == {WorkState.CANCELLED}


def test_the_admin_switch_runs_the_service(org, django_capture_on_commit_callbacks):
    ticket = ticket_create(subject="Waiting", queue=org.queue_a, by=None)
    client = client_of(org.admin)
    org.admin.is_staff = org.admin.is_superuser = True
    org.admin.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:routing_queuerouting_add"),
            {"queue": org.queue_a.pk, "routes_tickets": "on", "offer_timeout_seconds": 30, "priority": 50},
            follow=True,
        )
    assert response.status_code == 200
    assert "1 ticket of Queue A now waits for an agent." in response.content.decode()
    assert WorkItem.objects.get(ticket=ticket).queue == org.queue_a


# --- The card -----------------------------------------------------------------------------------------


def test_the_desktop_draws_the_open_offer_on_reload(routed, django_capture_on_commit_callbacks):
    ticket, offer = offered_ticket(routed, django_capture_on_commit_callbacks)
    response = client_of(routed.agent_a).get(reverse("desk:desktop"))
    html = response.content.decode()
    assert f'data-offer="{offer.pk}"' in html
    assert f'data-expires="{offer.expires_at.astimezone(UTC).isoformat(timespec="milliseconds")}"' in html
    assert ticket.reference in html and "Refund" in html and "Anne Martin" in html and "Queue A" in html
    assert "Ticket offered to you" in html
    assert reverse("desk:offer_accept", args=[offer.pk]) in html
    assert "Work is offered to you" in html  # the call bar says what rings


def test_the_desktop_without_an_offer_has_an_empty_slot(org):
    html = client_of(org.agent_a).get(reverse("desk:desktop")).content.decode()
    assert 'id="offer-slot"' in html and "data-expires" not in html


def test_the_card_asked_for_by_the_socket(routed, django_capture_on_commit_callbacks):
    _ticket, offer = offered_ticket(routed, django_capture_on_commit_callbacks)
    response = client_of(routed.agent_a).get(reverse("desk:offer_current"), **HTMX)
    assert response.status_code == 200
    assert f'data-offer="{offer.pk}"' in response.content.decode()
    # Another agent has nothing offered: an empty card.
    assert client_of(routed.agent_b).get(reverse("desk:offer_current"), **HTMX).content.decode().strip() == ""


def test_the_card_in_french(routed, django_capture_on_commit_callbacks):
    offered_ticket(routed, django_capture_on_commit_callbacks)
    html = (
        client_of(routed.agent_a).get(reverse("desk:offer_current"), HTTP_ACCEPT_LANGUAGE="fr", **HTMX).content.decode()
    )
    assert "Ticket qui vous est proposé" in html and "Accepter" in html and "Refuser" in html


def test_accept_from_the_desk_assigns_and_opens_the_ticket(routed, django_capture_on_commit_callbacks):
    ticket, offer = offered_ticket(routed, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(routed.agent_a).post(reverse("desk:offer_accept", args=[offer.pk]), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Accepted: the work is yours." in html
    assert reverse("desk:ticket_detail", args=[ticket.pk]) in html
    triggers = json.loads(response["HX-Trigger"])
    assert triggers["offer-open-ticket"] == {"url": reverse("desk:ticket_detail", args=[ticket.pk])}
    assert "work-changed" in triggers
    ticket.refresh_from_db()
    assert ticket.assignee == routed.agent_a
    assert WorkItem.objects.get(pk=offer.item_id).state == WorkState.ASSIGNED


def test_accepting_a_chat_links_the_customer_card(org, django_capture_on_commit_callbacks):
    available(org.agent_a)
    anne = customer_create(first_name="Anne", last_name="Martin", emails=["anne@example.test"])
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(org.queue_a, customer=anne)
    offer = WorkOffer.objects.get(outcome=OfferOutcome.OPEN)
    response = client_of(org.agent_a).post(reverse("desk:offer_accept", args=[offer.pk]), **HTMX)
    assert response.status_code == 200
    assert reverse("desk:customer", args=[anne.pk]) in response.content.decode()
    assert "offer-open-ticket" not in json.loads(response["HX-Trigger"])


def test_decline_from_the_desk(routed, django_capture_on_commit_callbacks):
    _ticket, offer = offered_ticket(routed, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(routed.agent_a).post(reverse("desk:offer_decline", args=[offer.pk]), **HTMX)
    assert response.status_code == 200
    assert "Declined: the work goes to the next agent." in response.content.decode()
    offer.refresh_from_db()
    assert offer.outcome == OfferOutcome.DECLINED
    assert WorkItem.objects.get(pk=offer.item_id).state == WorkState.WAITING  # nobody else in Queue A


def test_an_offer_that_is_over_answers_409_with_the_message(routed, django_capture_on_commit_callbacks):
    _ticket, offer = offered_ticket(routed, django_capture_on_commit_callbacks)
    client = client_of(routed.agent_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("desk:offer_decline", args=[offer.pk]), **HTMX)
    response = client.post(reverse("desk:offer_accept", args=[offer.pk]), **HTMX)
    assert response.status_code == 409
    assert "This offer is over: it was answered, withdrawn or it timed out." in response.content.decode()


def test_an_offer_past_its_time_answers_409(routed, django_capture_on_commit_callbacks):
    _ticket, offer = offered_ticket(routed, django_capture_on_commit_callbacks)
    WorkOffer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client_of(routed.agent_a).post(reverse("desk:offer_accept", args=[offer.pk]), **HTMX)
    assert response.status_code == 409
    assert WorkItem.objects.get(pk=offer.item_id).state == WorkState.OFFERED  # the timeout job reclaims it


def test_another_agents_offer_is_a_404(routed, django_capture_on_commit_callbacks):
    _ticket, offer = offered_ticket(routed, django_capture_on_commit_callbacks)
    other = AgentProfileFactory(user__username="agent_c", team=routed.team_a, queues=[routed.queue_a]).user
    for name in ("desk:offer_accept", "desk:offer_decline"):
        assert client_of(other).post(reverse(name, args=[offer.pk]), **HTMX).status_code == 404
    offer.refresh_from_db()
    assert offer.outcome == OfferOutcome.OPEN


def test_answers_are_posts_with_the_csrf_token(routed, django_capture_on_commit_callbacks):
    _ticket, offer = offered_ticket(routed, django_capture_on_commit_callbacks)
    client = Client(enforce_csrf_checks=True)
    client.force_login(routed.agent_a)
    assert client.get(reverse("desk:offer_accept", args=[offer.pk])).status_code == 405
    assert client.post(reverse("desk:offer_accept", args=[offer.pk]), **HTMX).status_code == 403
    offer.refresh_from_db()
    assert offer.outcome == OfferOutcome.OPEN


def test_anonymous_users_go_to_the_login_page(routed, django_capture_on_commit_callbacks):
    _ticket, offer = offered_ticket(routed, django_capture_on_commit_callbacks)
    response = Client().post(reverse("desk:offer_accept", args=[offer.pk]))
    assert response.status_code == 302 and reverse("desk:login") in response["Location"]


def test_a_timed_out_offer_leaves_no_card(routed, django_capture_on_commit_callbacks):
    _ticket, offer = offered_ticket(routed, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        offers_expire(now=offer.expires_at + timedelta(seconds=1))
    html = client_of(routed.agent_a).get(reverse("desk:desktop")).content.decode()
    assert "data-expires" not in html
    assert AgentProfile.objects.get(user=routed.agent_a).status_reason == "missed"


@pytest.mark.parametrize("outcome", [o for o in OfferOutcome.values if o])
def test_every_outcome_has_its_words_in_both_languages(outcome):
    english = outcome_text(outcome)
    with override("fr"):
        french = outcome_text(outcome)
    assert english and french and english != french


# --- My work --------------------------------------------------------------------------------------------


def test_my_work_lists_the_items_held_and_the_load(routed, django_capture_on_commit_callbacks):
    AgentRouting.objects.create(profile=AgentProfile.objects.get(user=routed.agent_a), email_capacity=2)
    ticket, offer = offered_ticket(routed, django_capture_on_commit_callbacks)
    client = client_of(routed.agent_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("desk:offer_accept", args=[offer.pk]), **HTMX)
    html = client.get(reverse("desk:my_work"), **HTMX).content.decode()
    assert ticket.reference in html and "Queue A" in html and "Anne Martin" in html
    assert "Email 1/2" in html and "Chat 0/3" in html and "Voice 0/1" in html
    # Resolved: the work is done and leaves the list.
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, changes={"status": "resolved"}, by=routed.agent_a)
    html = client.get(reverse("desk:my_work"), **HTMX).content.decode()
    assert ticket.reference not in html and "Email 0/2" in html and "No work assigned to you." in html


def test_my_work_is_the_agents_own(routed, django_capture_on_commit_callbacks):
    ticket, offer = offered_ticket(routed, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client_of(routed.agent_a).post(reverse("desk:offer_accept", args=[offer.pk]), **HTMX)
    html = client_of(routed.agent_b).get(reverse("desk:my_work"), **HTMX).content.decode()
    assert ticket.reference not in html


def test_the_card_costs_the_desktop_one_query_and_nothing_without_an_offer(
    routed, django_capture_on_commit_callbacks, django_assert_num_queries
):
    client = client_of(routed.agent_a)
    client.get(reverse("desk:desktop"))  # warms what a process keeps
    with CaptureQueriesContext(connection) as without:
        client.get(reverse("desk:desktop"))
    offered_ticket(routed, django_capture_on_commit_callbacks)
    with django_assert_num_queries(len(without) + 1):
        html = client.get(reverse("desk:desktop")).content.decode()
    assert "data-expires" in html
