"""The desktop's offer card in a real browser: a ticket created in a queue that offers its tickets is
routed to the agent, whose card appears live with a countdown that ticks; Accept opens the ticket
in the desk and My work lists it. Another offer runs out of time: the card goes away with the
missed message, and the agent is on a break.

Served by uvicorn in a thread (``asgi_live_server``): HTTP, static files and the agent's WebSocket.
The ticket is created through the API (the server's own thread publishes the offer); the timeout
job runs on the server's event loop, as the job queue's worker would run it in its own process.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import requests
from asgiref.sync import sync_to_async
from django.utils import timezone
from playwright.sync_api import expect

from contactcenter.agents.models import AgentProfile, Status
from contactcenter.distribution.models import OfferOutcome, QueueRouting, WorkOffer
from contactcenter.distribution.services import offers_expire
from customers.services import customer_create
from tests.agents.factories import PASSWORD, AgentProfileFactory, QueueFactory, TeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def center(transactional_db):
    """A queue that offers its tickets (an offer lasts ``timeout`` seconds), an available agent in
    it, a customer, and a manager's API token to create tickets with."""
    from contactcenter.core.tokens import api_token_issue

    queue = QueueFactory(name="Billing", channel="email")
    QueueRouting.objects.create(queue=queue, routes_tickets=True, offer_timeout_seconds=120)
    AgentProfileFactory(
        user__username="agent1", team=TeamFactory(name="Front office"), queues=[queue], status=Status.AVAILABLE
    )
    manager = AgentProfileFactory(user__username="boss", role="manager", team=None).user
    customer = customer_create(first_name="Amélie", last_name="Poulain", emails=["amelie@example.test"])
    return {"token": api_token_issue(user=manager).key, "customer": customer.pk, "queue": queue}


def new_ticket(server, center: dict, subject: str) -> dict:
    response = requests.post(
        f"{server.url}/api/v1/tickets/",
        json={"subject": subject, "queue": "Billing", "customer": center["customer"]},
        headers={"Authorization": f"Token {center['token']}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def on_server(server, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``func`` in the server's event loop (its live events go out through the server's layer)."""
    future = asyncio.run_coroutine_threadsafe(sync_to_async(func)(*args, **kwargs), server.server.loop)
    return future.result(15)


def log_in(page, server) -> None:
    page.set_viewport_size({"width": 1400, "height": 800})
    page.goto(f"{server.url}/login/")
    page.fill("#id_username", "agent1")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/desk/")
    page.wait_for_function("document.documentElement.dataset.live === 'open'", timeout=10_000)


def seconds_left(page) -> int:
    text = page.locator("[data-offer-clock]").inner_text()
    assert re.fullmatch(r"\d+:\d\d", text), text
    minutes, seconds = text.split(":")
    return int(minutes) * 60 + int(seconds)


def test_a_routed_ticket_rings_on_the_desk_and_accept_opens_it(page, asgi_live_server, center):
    server = asgi_live_server
    log_in(page, server)
    expect(page.locator("#work-list")).to_contain_text("No work assigned to you.")
    expect(page.locator("#offer-card")).to_have_count(0)

    ticket = new_ticket(server, center, "Refund of invoice 42")

    card = page.locator("#offer-card")
    expect(card).to_be_visible(timeout=5_000)
    expect(card).to_contain_text("Ticket offered to you")
    expect(card).to_contain_text(ticket["reference"])
    expect(card).to_contain_text("Refund of invoice 42")
    expect(card).to_contain_text("Amélie Poulain")
    expect(card).to_contain_text("Billing")
    assert 110 <= seconds_left(page) <= 120
    before = page.locator("[data-offer-clock]").inner_text()
    page.wait_for_function(
        "(before) => document.querySelector('[data-offer-clock]').textContent !== before", arg=before, timeout=5_000
    )
    # It rings as a call does: the call bar and the status say so.
    expect(page.locator("#callbar-phase")).to_have_text("Work is offered to you", timeout=5_000)

    # A reload draws the same card, with the same time left (the server's times).
    left = seconds_left(page)
    page.reload()
    expect(page.locator("#offer-card")).to_be_visible()
    assert left - 5 <= seconds_left(page) <= left

    # Keyboard: the buttons are reachable and named; Alt+A accepts.
    expect(page.get_by_role("button", name=re.compile("^Accept"))).to_be_visible()
    page.wait_for_function("document.documentElement.dataset.live === 'open'", timeout=10_000)
    page.keyboard.press("Alt+a")

    expect(page.locator("#offer-slot")).to_contain_text("Accepted: the work is yours.", timeout=5_000)
    dialog = page.locator("#ticket-dialog")
    expect(dialog).to_be_visible(timeout=5_000)
    expect(dialog).to_contain_text(ticket["reference"])
    expect(page.locator("#work-list")).to_contain_text(ticket["reference"], timeout=5_000)
    expect(page.locator("#work-list")).to_contain_text("Email 1/5")
    offer = WorkOffer.objects.get(item__ticket_id=ticket["id"])
    assert offer.outcome == OfferOutcome.ACCEPTED


def test_an_offer_that_times_out_leaves_with_the_missed_message(page, asgi_live_server, center):
    server = asgi_live_server
    routing = QueueRouting.objects.get(queue=center["queue"])
    routing.offer_timeout_seconds = 5
    routing.save()  # as the admin does: the routing rules are read again
    log_in(page, server)

    new_ticket(server, center, "Router down")

    card = page.locator("#offer-card[data-expires]")
    expect(card).to_be_visible(timeout=5_000)
    assert seconds_left(page) <= 5
    # The countdown reaches 0:00 and stops there.
    expect(page.locator("[data-offer-clock]")).to_have_text("0:00", timeout=8_000)

    # The timeout job (the job queue's worker, here on the server) reclaims the offer.
    assert on_server(server, offers_expire, now=timezone.now() + timedelta(seconds=1))

    slot = page.locator("#offer-slot")
    expect(slot).to_contain_text("Time ran out", timeout=5_000)
    expect(slot).to_contain_text("you were put on a break (missed)")
    expect(page.locator("#offer-card[data-expires]")).to_have_count(0)
    # The message goes away by itself.
    expect(page.locator("#offer-card")).to_have_count(0, timeout=12_000)
    profile = AgentProfile.objects.get(user__username="agent1")
    assert (profile.status, profile.status_reason) == (Status.BREAK, "missed")
