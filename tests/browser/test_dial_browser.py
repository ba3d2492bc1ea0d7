"""Calling from the desk in a real browser: the customer card's Call button, with no phone system
connected (the page says to dial it yourself, nothing is asked of any bridge) and with a bridge
that can dial (a command waits for it, the number in E.164).

Served by uvicorn in a thread (``asgi_live_server``)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from contactcenter.agents.models import Status
from contactcenter.telephony.models import Command
from customers.services import customer_create
from tests.agents.factories import AgentProfileFactory, QueueFactory, TeamFactory
from tests.browser.test_desktop_browser import log_in
from tests.telephony.helpers import bridge_online

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(transactional_db):
    """An available agent with phone 1001, and a customer with a number."""
    queue = QueueFactory(name="Billing")
    AgentProfileFactory(
        user__username="agent1",
        team=TeamFactory(name="Front office"),
        queues=[queue],
        status=Status.AVAILABLE,
        extension="1001",
    )
    return customer_create(first_name="Amélie", last_name="Poulain", phones=["06 12 34 56 78"])


def open_customer(page, server) -> None:
    log_in(page, server, "agent1")
    page.wait_for_url(f"{server.url}/desk/")
    page.keyboard.press("/")
    page.keyboard.type("Poulain")
    expect(page.locator("#search-results")).to_contain_text("Amélie Poulain")
    page.locator("#search-results [data-result]").first.click()
    expect(page.locator("#call .customer-name")).to_contain_text("Amélie Poulain")


def test_the_call_button_without_and_with_a_bridge(page, asgi_live_server, desk):
    server = asgi_live_server
    page.set_viewport_size({"width": 1600, "height": 1000})
    open_customer(page, server)
    button = page.get_by_role("button", name="Call Amélie Poulain")
    expect(button).to_be_visible()

    # No phone system connected: the agent is told to dial it, with the number.
    button.click()
    outcome = page.locator("#dial-outcome")
    expect(outcome).to_contain_text("No phone system is connected to Switchboard: dial +33 6 12 34 56 78 yourself.")
    expect(outcome.locator("a[href='tel:+33612345678']")).to_be_visible()
    assert not Command.objects.exists()

    # A bridge that can dial, connected just now: the command waits for it.
    bridge_online("dial")
    page.locator("#call .facts [data-dial='+33612345678']").click()
    expect(outcome).to_contain_text("Calling +33 6 12 34 56 78: your phone rings first, pick it up.")
    command = Command.objects.get()
    assert (command.action, command.state, command.bridge) == ("dial", "pending", "asterisk")
    assert command.arguments == {"to": "+33612345678", "extension": "1001", "agent": "agent1", "customer": desk.pk}
