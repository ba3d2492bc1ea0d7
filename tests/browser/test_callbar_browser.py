"""The desktop's call bar in a real browser: the telephony system answers a call a minute ago and
the bar's clock already reads a minute (the server's instants, not the page's), then ticks; a hold
shows "On hold" with its own clock; a break asked for during the call waits in the bar; the end
starts the queue's wrap-up countdown; once the log is saved the agent's figures of the day count
the call. The bar stays in sight when the page scrolls.

Served by uvicorn in a thread (``asgi_live_server``): HTTP, static files and the agent's WebSocket.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import expect

from contactcenter.agents.models import Status
from customers.services import customer_create
from tests.agents.factories import PASSWORD, AgentProfileFactory, QueueFactory, TeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CALL = "callbar-call-1"


@pytest.fixture
def center(transactional_db):
    """A queue whose wrap-up ends by itself 5 minutes after the call, an available agent, a known
    caller, and the telephony system's account (a manager's token)."""
    from contactcenter.core.tokens import api_token_issue

    queue = QueueFactory(name="Billing", wrapup_limit_seconds=300)
    AgentProfileFactory(
        user__username="agent1", team=TeamFactory(name="Front office"), queues=[queue], status=Status.AVAILABLE
    )
    pbx = AgentProfileFactory(user__username="pbx", role="manager", team=None).user
    customer_create(first_name="Amélie", last_name="Poulain", phones=["06 12 34 56 78"])
    return {"token": api_token_issue(user=pbx).key}


def cti(server, token: str, event: str, seconds_ago: float = 0) -> None:
    """The telephony system posts ``event`` of the call, as happened ``seconds_ago``."""
    body = {
        "event": event,
        "call_id": CALL,
        "timestamp": (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat(),
        "from": "+33 6 12 34 56 78",
        "queue": "Billing",
        "agent": None if event == "call.offered" else "agent1",
    }
    response = requests.post(
        f"{server.url}/api/v1/cti/events/", json=body, headers={"Authorization": f"Token {token}"}, timeout=10
    )
    assert response.status_code in (200, 201), response.text


def seconds_shown(page, selector: str) -> int:
    """The seconds a clock of the bar reads (m:ss or h:mm:ss)."""
    text = page.locator(selector).inner_text()
    assert re.fullmatch(r"\d+(:\d\d){1,2}", text), text
    seconds = 0
    for part in text.split(":"):
        seconds = seconds * 60 + int(part)
    return seconds


def ticks(page, selector: str) -> None:
    """The clock's text changes by itself (the script counts; nothing is fetched)."""
    before = page.locator(selector).inner_text()
    page.wait_for_function(
        "([selector, before]) => document.querySelector(selector).textContent !== before",
        arg=[selector, before],
        timeout=5_000,
    )


def test_the_call_bar_follows_a_call_from_answer_to_the_figures_of_the_day(page, asgi_live_server, center):
    server, token = asgi_live_server, center["token"]
    page.set_viewport_size({"width": 1400, "height": 700})
    page.goto(f"{server.url}/login/")
    page.fill("#id_username", "agent1")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/desk/")
    page.wait_for_function("document.documentElement.dataset.live === 'open'", timeout=10_000)
    bar = page.locator("#callbar")
    expect(bar.locator("#callbar-phase")).to_have_text("No call")
    # The figures come after the page: nothing handled yet today, no rate to show.
    expect(bar.locator("#my-handled")).to_have_text("0")
    expect(bar.locator("#my-aht")).to_have_text("—")
    expect(bar.locator("#my-fcr")).to_have_text("—")
    expect(bar.locator("#my-csat")).to_have_text("—")

    # Answered a minute ago (the telephony system's time): the clock starts there, and ticks.
    cti(server, token, "call.offered", seconds_ago=70)
    cti(server, token, "call.answered", seconds_ago=65)
    expect(bar.locator("#callbar-phase")).to_have_text("On the call", timeout=5_000)
    assert 65 <= seconds_shown(page, "#callbar-talk") <= 75
    ticks(page, "#callbar-talk")

    # On hold: the bar says so, with the hold's own clock; the call's clock runs on.
    cti(server, token, "call.held", seconds_ago=3)
    hold = bar.locator("#callbar-hold")
    expect(hold).to_contain_text("On hold", timeout=5_000)
    assert 3 <= seconds_shown(page, "#callbar-hold [role=timer]") <= 10
    ticks(page, "#callbar-hold [role=timer]")
    cti(server, token, "call.resumed")
    expect(hold).to_have_count(0, timeout=5_000)
    expect(bar.locator("#callbar-talk")).to_be_visible()

    # A break asked for during the call waits for its end: the bar says what comes next.
    page.select_option("#status-reason", "lunch")
    page.get_by_role("button", name="Break", exact=True).click()
    expect(bar.locator("#callbar-pending")).to_have_text("Break after this call (Lunch)", timeout=5_000)

    # Always in sight: the page scrolls, the bar stays at the top.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(bar).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 0
    assert bar.bounding_box()["y"] == pytest.approx(0, abs=1)

    # The end: wrap-up, counting down to the queue's 5-minute limit.
    cti(server, token, "call.ended")
    expect(bar.locator("#callbar-phase")).to_have_text("Wrap-up", timeout=5_000)
    left = seconds_shown(page, "#callbar-wrapup")
    assert 290 <= left <= 300, left
    ticks(page, "#callbar-wrapup")
    assert seconds_shown(page, "#callbar-wrapup") < left
    expect(bar.locator("#callbar-pending")).to_have_text("Break after this call (Lunch)")
    expect(bar.locator("#my-handled")).to_have_text("0")  # the figures wait for the end of the wrap-up

    # The log saved ends the wrap-up: the break begins, and the day's figures count the call.
    page.select_option("#log-form select[name=disposition]", index=1)
    page.keyboard.press("Alt+s")
    expect(page.locator("#status-label")).to_have_text("Break", timeout=5_000)
    expect(bar.locator("#callbar-phase")).to_have_text("No call")
    expect(bar.locator("#callbar-pending")).to_have_count(0)
    expect(bar.locator("#my-handled")).to_have_text("1", timeout=5_000)
    expect(bar.locator("#my-aht")).not_to_have_text("—")
    assert seconds_shown(page, "#my-aht") >= 65  # talk (from the answer a minute ago) and after-call work
    expect(bar.locator("#my-fcr")).to_have_text("100%")  # no other call from Amélie
    expect(bar.locator("#my-csat")).to_have_text("—")  # no survey answered


def test_a_page_opened_mid_call_shows_the_time_since_the_answer(page, asgi_live_server, center):
    server, token = asgi_live_server, center["token"]
    cti(server, token, "call.offered", seconds_ago=130)
    cti(server, token, "call.answered", seconds_ago=125)
    page.goto(f"{server.url}/login/")
    page.fill("#id_username", "agent1")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/desk/")
    first = seconds_shown(page, "#callbar-talk")
    assert 125 <= first <= 140, first
    page.reload()
    again = seconds_shown(page, "#callbar-talk")
    assert first <= again <= first + 10, (first, again)
    # Handled as soon as answered (the KPI engine's definition): the figures of a page opened
    # mid-call count the call, with no handle time yet.
    expect(page.locator("#my-handled")).to_have_text("1")
    expect(page.locator("#my-aht")).to_have_text("—")
