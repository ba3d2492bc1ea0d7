"""Every time on the screens is in the center's time zone (``TIME_ZONE``, Europe/Paris here), in a
browser set to another one (New York, six hours behind): the desk's times (drawn by the server)
and the wallboard's clock and "Latest calls" ticker (drawn by its script, from instants)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import expect

from contactcenter.agents.models import Status
from contactcenter.core.tokens import api_token_issue
from customers.services import customer_create
from tests.agents.factories import PASSWORD, AgentProfileFactory, QueueFactory, TeamFactory
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import AFTERNOON
from tests.interactions.factories import InteractionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT_MS = 10_000
BROWSER_ZONE = "America/New_York"
PARIS = ZoneInfo("Europe/Paris")
#: A time of day: minutes, or AM/PM, or both (Django's "P" leaves the minutes off on the hour: "6 a.m.").
CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2})(?::\d{2})?)?\s*([AP]M)?\b", re.I)


@pytest.fixture(scope="module")
def new_york_chromium() -> Iterator:
    """Chromium whose own time zone is New York's (the shared ``chromium`` fixture keeps the machine's)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    profile = tempfile.mkdtemp(prefix="switchboard-chromium-tz-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            bypass_csp=True,
            timezone_id=BROWSER_ZONE,
            locale="en-US",
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(new_york_chromium):
    new_york_chromium.clear_cookies()
    page = new_york_chromium.new_page()
    yield page
    page.close()


@pytest.fixture
def center(transactional_db):
    """A queue, an available agent and their supervisor, a caller who called on a Wednesday at
    14:00 in Paris (8:00 in New York), and the telephony system's token."""
    team = TeamFactory(name="Front office")
    queue = QueueFactory(name="Billing")
    agent = AgentProfileFactory(user__username="agent1", team=team, queues=[queue], status=Status.AVAILABLE).user
    AgentProfileFactory(user__username="supervisor1", role="supervisor", team=team, queues=[queue])
    pbx = AgentProfileFactory(user__username="pbx", role="manager", team=None).user
    customer = customer_create(first_name="Amélie", last_name="Poulain", phones=["06 12 34 56 78"])
    InteractionFactory(customer=customer, queue=queue, agent=agent, offered_at=AFTERNOON)
    return {"token": api_token_issue(user=pbx).key}


def cti(server, token: str, event: str, call_id: str, agent: str | None = None) -> None:
    body = {
        "event": event,
        "call_id": call_id,
        "timestamp": datetime.now(UTC).isoformat(),
        "from": "+33 6 12 34 56 78",
        "to": "3900",
        "queue": "Billing",
        "agent": agent,
    }
    response = requests.post(
        f"{server.url}/api/v1/cti/events/", json=body, headers={"Authorization": f"Token {token}"}, timeout=10
    )
    assert response.status_code in (200, 201), response.text


def log_in(page, server, username: str, lands_on: str) -> None:
    page.goto(f"{server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(f"{server.url}{lands_on}", timeout=TIMEOUT_MS)
    page.wait_for_function("document.documentElement.dataset.live === 'open'", timeout=TIMEOUT_MS)


def minutes_of_day(text: str) -> int:
    """``14:05``, ``02:05 PM``, ``2:05 p.m.``, ``6 a.m.``, ``noon`` → minutes since midnight."""
    cleaned = text.replace(".", "").replace("\u202f", " ")
    if "noon" in cleaned or "midnight" in cleaned:  # Django's "P" at 12:00
        return 720 if "noon" in cleaned else 0
    match = next((m for m in CLOCK.finditer(cleaned) if m.group(2) or m.group(3)), None)
    assert match, f"no time in {text!r}"
    hours, minutes, half = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "").upper()
    if half:
        hours = hours % 12 + (12 if half == "PM" else 0)
    return hours * 60 + minutes


def assert_paris_time(text: str, at: datetime) -> None:
    """``text`` shows ``at`` (give or take a minute) in Paris, not in New York."""
    shown = minutes_of_day(text)
    paris = at.astimezone(PARIS)
    expected = paris.hour * 60 + paris.minute
    assert min((shown - expected) % 1440, (expected - shown) % 1440) <= 1, (text, paris.isoformat())


def test_the_browser_is_in_new_york(page, asgi_live_server, center):
    page.goto(f"{asgi_live_server.url}/login/")
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == BROWSER_ZONE
    assert page.locator("html").get_attribute("data-time-zone") == "Europe/Paris"


def test_the_desk_shows_times_in_the_centers_zone(page, asgi_live_server, center):
    server = asgi_live_server
    log_in(page, server, "agent1", "/desk/")

    cti(server, center["token"], "call.offered", "tz-call-1")
    answered = timezone.now()
    cti(server, center["token"], "call.answered", "tz-call-1", agent="agent1")

    call = page.locator("#call")
    expect(call.locator(".customer-name")).to_contain_text("Amélie Poulain", timeout=TIMEOUT_MS)
    # The earlier call, Wednesday 4 March 2026 at 14:00 in Paris, in the caller's history.
    earlier = date_format(timezone.localtime(AFTERNOON), "SHORT_DATETIME_FORMAT")
    expect(call.locator(".timeline")).to_contain_text(earlier)
    assert "2 p.m." in earlier
    # "answered 2:31 p.m.": this call's answer, in Paris.
    assert_paris_time(page.locator("#call-state time").inner_text(), answered)


def test_the_wallboard_clock_and_ticker_show_the_centers_time(page, asgi_live_server, center):
    server = asgi_live_server
    page.set_viewport_size({"width": 1600, "height": 900})
    log_in(page, server, "supervisor1", "/wallboard/")

    expect(page.locator("#wb-clock")).not_to_be_empty(timeout=TIMEOUT_MS)
    assert_paris_time(page.locator("#wb-clock").inner_text(), timezone.now())

    cti(server, center["token"], "call.offered", "tz-call-2")
    answered = timezone.now()
    cti(server, center["token"], "call.answered", "tz-call-2", agent="agent1")
    line = page.locator("#wb-ticker-list .wb-ticker-answered")
    expect(line).to_contain_text("Billing", timeout=TIMEOUT_MS)
    assert_paris_time(line.inner_text().split("·")[0], answered)
