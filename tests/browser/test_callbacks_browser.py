"""Callbacks on the agent desktop in a real browser: the log's "callback" disposition shows the
callback's date, time, number (the caller's) and note; saving promises the callback, which the
"My callbacks" panel then shows with the number and a form for the outcome; the API sees it.

Served by uvicorn in a thread (``asgi_live_server``): HTTP, static files and the agent's WebSocket.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contactcenter.agents.models import Status
from customers.services import customer_create
from tests.agents.factories import AgentProfileFactory, QueueFactory, TeamFactory
from tests.browser.test_desktop_browser import SCREENSHOTS, api, cti, live, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(transactional_db):
    """A queue, an available agent, a known caller, and the telephony system's account (a manager's
    token)."""
    from contactcenter.core.tokens import api_token_issue

    queue = QueueFactory(name="Billing")
    AgentProfileFactory(
        user__username="agent1", team=TeamFactory(name="Front office"), queues=[queue], status=Status.AVAILABLE
    )
    pbx = AgentProfileFactory(user__username="pbx", role="manager", team=None).user
    customer = customer_create(first_name="Amélie", last_name="Poulain", phones=["06 12 34 56 78"])
    return {"customer": customer, "token": api_token_issue(user=pbx).key}


def test_the_callback_disposition_promises_a_callback_shown_in_my_callbacks(page, asgi_live_server, desk):
    server, token = asgi_live_server, desk["token"]
    page.set_viewport_size({"width": 1600, "height": 1000})
    log_in(page, server, "agent1")
    page.wait_for_url(f"{server.url}/desk/")
    live(page)
    expect(page.locator("#callbacks-list")).to_contain_text("No callback to make")

    cti(server, token, "call.offered", "browser-callback-1")
    cti(server, token, "call.answered", "browser-callback-1", agent="agent1")
    expect(page.locator("#call .customer-name")).to_contain_text("Amélie Poulain", timeout=5_000)

    # The callback's fields show with the callback disposition only, the caller's number prefilled.
    callback_fields = page.locator("#log-callback")
    expect(callback_fields).to_be_hidden()
    page.select_option("#log-form select[name=disposition]", "callback")
    expect(callback_fields).to_be_visible()
    expect(page.locator("#log-form input[name=callback_phone]")).to_have_value("+33 6 12 34 56 78")
    page.select_option("#log-form select[name=disposition]", "resolved")
    expect(callback_fields).to_be_hidden()
    page.select_option("#log-form select[name=disposition]", "callback")

    # Saved without a time: the form says so in place, nothing is promised.
    tomorrow = (timezone.localtime() + timedelta(days=1)).date()
    page.fill("#log-form input[name=callback_date]", tomorrow.isoformat())
    page.fill("#log-form textarea[name=callback_note]", "About the March invoice")
    page.locator("#log-form button[type=submit]").click()
    expect(page.locator("#log-callback .error")).to_contain_text("Needed for a callback")
    assert api(server, token, "GET", "callbacks/").json()["results"] == []

    page.fill("#log-form input[name=callback_time]", "10:30")
    page.locator("#log-form button[type=submit]").click()
    expect(page.locator("#log-panel [data-callback-promised]")).to_contain_text("Callback promised for")
    expect(page.locator("#log-panel [data-callback-promised]")).to_contain_text("to +33 6 12 34 56 78")
    expect(page.locator("#log-callback")).to_contain_text("A callback is promised on this contact")
    panel = page.locator("#callbacks-list")
    expect(panel).to_contain_text("+33 6 12 34 56 78")
    expect(panel).to_contain_text("Amélie Poulain")
    expect(panel).to_contain_text("Scheduled")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "desktop-callback.png"))

    (callback,) = api(server, token, "GET", "callbacks/").json()["results"]
    assert (callback["promised_by"], callback["queue"], callback["phone"], callback["customer"]) == (
        "agent1",
        "Billing",
        "+33612345678",
        desk["customer"].pk,
    )
    assert callback["note"] == "About the March invoice"
    due = timezone.localtime(timezone.datetime.fromisoformat(callback["due_at"]))
    assert (due.date(), due.hour, due.minute) == (tomorrow, 10, 30)

    # The panel's Dial says no bridge is connected; the outcome form logs a try.
    panel.get_by_role("button", name="Dial").click()
    expect(page.locator("[data-callback-notice]")).to_contain_text("No telephony bridge is connected")
    page.select_option("#callbacks-list select[name=outcome]", "no_answer")
    page.locator("#callbacks-list button[type=submit]").click()
    expect(page.locator("[data-callback-notice]")).to_contain_text("Outcome logged.")
    detail = api(server, token, "GET", f"callbacks/{callback['id']}/").json()
    assert [attempt["outcome"] for attempt in detail["attempt_log"]] == ["no_answer"]
