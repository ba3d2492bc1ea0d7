"""The wallboard in a real browser, served over ASGI (HTTP and WebSockets): a supervisor logs in,
lands on the wallboard, and sees an agent's status change, a simulated call, the French UI, live.

Everything the server must know is written before the page opens; afterwards the test drives the
server through HTTP only (the browser, ``requests`` with an API token), so that live events leave
from the server's own event loop (tests/browser/conftest.py, ``asgi_live_server``).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from contactcenter.agents.models import AgentProfile, Status
from contactcenter.distribution.models import WorkItem, WorkItemMove
from interactions.models import CtiCall
from tests.agents.factories import PASSWORD, AgentProfileFactory, QueueFactory, TeamFactory
from tests.customers.factories import PhoneFactory
from tests.interactions.factories import InteractionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT_MS = 10_000
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def set_status(user, status: str, *, reason: str = "", minutes_ago: float = 5) -> None:
    # A queryset update: no live event leaves from the test's thread.
    AgentProfile.objects.filter(user=user).update(
        status=status, status_reason=reason, status_since=timezone.now() - timedelta(minutes=minutes_ago)
    )


def log_in(page, server, username: str) -> None:
    page.goto(f"{server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(f"{server.url}/wallboard/", timeout=TIMEOUT_MS)
    # The socket is open (live.js marks the document) before anything else happens.
    page.wait_for_function("document.documentElement.dataset.live === 'open'", timeout=TIMEOUT_MS)


def token_for(user) -> str:
    from contactcenter.core.tokens import api_token_issue

    return api_token_issue(user=user).key


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path))
    return path


def test_an_agents_status_change_shows_on_the_wallboard_without_reload(page, asgi_live_server, org):
    set_status(org.agent_a, Status.AVAILABLE)
    token = token_for(org.agent_a)
    page.set_viewport_size({"width": 1600, "height": 900})
    log_in(page, asgi_live_server, "supervisor_a")
    card = page.locator('.wb-agent[data-agent="agent_a"]')
    expect(card).to_have_class(re.compile(r"\bstatus-available\b"))
    expect(page.locator('.wb-agent[data-agent="agent_b"]')).to_have_count(0)  # another team
    page.evaluate("window.__sameDocument = true")

    response = requests.put(
        f"{asgi_live_server.url}/api/v1/agents/me/status/",
        json={"status": "break", "reason": "lunch"},
        headers={"Authorization": f"Token {token}"},
        timeout=10,
    )

    assert response.status_code == 200, response.text
    expect(card).to_have_class(re.compile(r"\bstatus-break\b"), timeout=TIMEOUT_MS)
    expect(card.locator('[data-field="status"]')).to_have_text("Break")
    expect(card.locator('[data-field="reason"]')).to_have_text("Lunch")
    expect(card.locator('[data-field="time"]')).to_have_text(re.compile(r"^0:0\d$"))
    expect(page.locator('[data-count="break"]')).to_have_text("1")
    expect(page.locator('[data-count="available"]')).to_have_text("0")
    # The queue's figures follow: nobody is available in Queue A any more.
    tile = page.locator('.wb-tile[data-queue="Queue A"]')
    expect(tile.locator('[data-field="agents.available"]')).to_have_text("0", timeout=TIMEOUT_MS)
    expect(tile.locator('[data-field="agents.break"]')).to_have_text("1")
    assert page.evaluate("window.__sameDocument") is True  # no reload
    screenshot(page, "wallboard-status.png")


def test_a_simulated_call_from_the_wallboard_shows_in_the_tiles(page, asgi_live_server, org):
    set_status(org.agent_a, Status.AVAILABLE)
    set_status(org.supervisor_a, Status.OFFLINE)
    PhoneFactory(value="+33612345678")
    page.set_viewport_size({"width": 1600, "height": 900})
    log_in(page, asgi_live_server, "supervisor_a")
    tile = page.locator('.wb-tile[data-queue="Queue A"]')
    expect(tile.locator('[data-field="handled"]')).to_have_text("0")
    expect(tile.locator('[data-field="service_level"]')).to_have_text("—")

    page.click("#wb-simulate summary")
    page.select_option("#id_queue", label="Queue A")
    page.click("#wb-simulate-submit")

    expect(page.locator("#wb-simulate .notice.ok")).to_contain_text("rings in Queue A", timeout=TIMEOUT_MS)
    expect(tile.locator('[data-field="offered"]')).to_have_text("1", timeout=TIMEOUT_MS)
    expect(tile.locator('[data-field="handled"]')).to_have_text("1")
    expect(tile.locator('[data-field="service_level"]')).to_have_text("100%")
    expect(tile.locator('[data-field="agents.busy"]')).to_have_text("1")
    expect(page.locator('.wb-agent[data-agent="agent_a"]')).to_have_class(
        re.compile(r"\bstatus-busy\b"), timeout=TIMEOUT_MS
    )
    # The ticker says what happened, with no caller's name or number.
    ticker = page.locator("#wb-ticker-list")
    expect(ticker).to_contain_text("Queue A", timeout=TIMEOUT_MS)
    assert "+33" not in ticker.inner_text()
    screenshot(page, "wallboard-simulated-call.png")


def test_the_ticker_says_each_stage_of_a_call_once(page, asgi_live_server, org):
    """The interaction is written several times after its wrap-up (the log, the end of the wrap-up,
    a note added later): each write is an event, the ticker says "after-call work over" once."""
    from datetime import UTC, datetime

    set_status(org.agent_a, Status.AVAILABLE)
    pbx, agent = token_for(org.manager), token_for(org.agent_a)
    page.set_viewport_size({"width": 1600, "height": 900})
    log_in(page, asgi_live_server, "supervisor_a")

    def api(token: str, method: str, path: str, body: dict) -> dict:
        response = requests.request(
            method,
            f"{asgi_live_server.url}/api/v1/{path}",
            json=body,
            headers={"Authorization": f"Token {token}"},
            timeout=10,
        )
        assert response.status_code < 300, response.text
        return response.json()

    for event in ("call.offered", "call.answered", "call.ended"):
        outcome = api(
            pbx,
            "POST",
            "cti/events/",
            {
                "event": event,
                "call_id": "ticker-1",
                "timestamp": datetime.now(UTC).isoformat(),
                "from": "+33612345678",
                "to": "3900",
                "queue": "Queue A",
                "agent": None if event == "call.offered" else "agent_a",
            },
        )
    interaction = outcome["interaction"]
    api(agent, "POST", f"interactions/{interaction}/wrapup/", {"disposition": "resolved", "end_wrapup": True})
    api(agent, "PATCH", f"interactions/{interaction}/", {"notes": "Called back the next day."})
    api(agent, "PUT", "agents/me/status/", {"status": "break", "reason": "lunch"})
    # The status change comes after the writes on the same socket: once it shows, they all came.
    expect(page.locator('.wb-agent[data-agent="agent_a"]')).to_have_class(
        re.compile(r"\bstatus-break\b"), timeout=TIMEOUT_MS
    )
    ticker = page.locator("#wb-ticker-list")
    expect(ticker.locator(".wb-ticker-wrapped_up")).to_have_count(1)
    expect(ticker.locator(".wb-ticker-answered")).to_have_count(1)
    expect(ticker.locator(".wb-ticker-ended")).to_have_count(1)


def test_the_wallboard_speaks_french(afternoon, page, asgi_live_server, org):
    # In the afternoon: just after midnight, the call of 30 minutes ago would be yesterday's.
    set_status(org.agent_a, Status.BREAK, reason="lunch")
    InteractionFactory(
        queue=org.queue_a,
        customer=None,
        agent=org.agent_a,
        offered_at=timezone.now() - timedelta(minutes=30),
        answered_at=timezone.now() - timedelta(minutes=29, seconds=30),
        ended_at=timezone.now() - timedelta(minutes=25),
        wrapup_ended_at=None,
    )
    page.set_extra_http_headers({"Accept-Language": "fr"})
    page.set_viewport_size({"width": 1600, "height": 900})

    log_in(page, asgi_live_server, "supervisor_a")

    assert page.locator("html").get_attribute("lang") == "fr"
    card = page.locator('.wb-agent[data-agent="agent_a"]')
    expect(card.locator('[data-field="status"]')).to_have_text("Pause")
    expect(card.locator('[data-field="reason"]')).to_have_text("Déjeuner")
    expect(page.locator(".wb-summary")).to_contain_text("Disponible")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    # Numbers in French: "0 %" with a (narrow) space once the socket's figures are applied.
    tile = page.locator('.wb-tile[data-queue="Queue A"]')
    expect(tile.locator('[data-field="service_level"]')).to_have_text(re.compile(r"^0[\s\u202f\xa0]%$"))
    screenshot(page, "wallboard-fr.png")


# --- The documentation's screenshot --------------------------------------------------------------

AGENTS = [
    # username, first, last, team, queues, status, reason, minutes in status
    ("lea", "Léa", "Martin", "Front office", ["Billing", "Orders"], Status.BUSY, "", 4.2),
    ("hugo", "Hugo", "Bernard", "Front office", ["Billing"], Status.BUSY, "", 11.5),
    ("chloe", "Chloé", "Dubois", "Front office", ["Billing", "Orders"], Status.AVAILABLE, "", 1.3),
    ("lucas", "Lucas", "Thomas", "Front office", ["Orders"], Status.WRAP_UP, "", 0.7),
    ("emma", "Emma", "Robert", "Front office", ["Billing"], Status.BREAK, "lunch", 23.0),
    ("nathan", "Nathan", "Richard", "Front office", ["Orders"], Status.AVAILABLE, "", 6.1),
    ("ines", "Inès", "Petit", "Tech support", ["Technical support"], Status.BUSY, "", 17.8),
    ("louis", "Louis", "Durand", "Tech support", ["Technical support"], Status.BUSY, "", 2.4),
    ("jade", "Jade", "Leroy", "Tech support", ["Technical support", "Orders"], Status.BREAK, "training", 41.0),
    ("adam", "Adam", "Moreau", "Tech support", ["Technical support"], Status.AVAILABLE, "", 0.4),
    ("manon", "Manon", "Simon", "Tech support", ["Technical support"], Status.WRAP_UP, "", 1.1),
    ("gabriel", "Gabriel", "Laurent", "Tech support", ["Technical support"], Status.OFFLINE, "", 95.0),
]
# queue: (answered waits in seconds, abandoned, waiting now: seconds waited)
TRAFFIC = {
    "Billing": ([4, 8, 12, 15, 6, 9, 18, 25, 31, 7, 5, 11, 14, 3, 19, 22, 8, 6], 1, [12]),
    "Orders": ([3, 5, 7, 2, 9, 4, 6, 8, 5, 3, 11], 0, []),
    "Technical support": ([14, 26, 38, 45, 19, 22, 52, 17, 33, 12, 28, 41], 3, [48, 27, 9]),
}


def realistic_center():
    """Three queues, two teams, twelve agents in every status, a morning's calls."""
    teams = {name: TeamFactory(name=name) for name in ("Front office", "Tech support")}
    queues = {name: QueueFactory(name=name) for name in TRAFFIC}
    queues["Technical support"].service_level_seconds = 30
    queues["Technical support"].save()
    users = {}
    for username, first, last, team, queue_names, status, reason, minutes in AGENTS:
        profile = AgentProfileFactory(
            user__username=username,
            user__first_name=first,
            user__last_name=last,
            team=teams[team],
            queues=[queues[name] for name in queue_names],
        )
        users[username] = profile.user
        set_status(profile.user, status, reason=reason, minutes_ago=minutes)
        if status in (Status.BUSY, Status.WRAP_UP):
            # The call behind the status: its queue shows on the card, its clock counts from its phase.
            phase_start = timezone.now() - timedelta(minutes=minutes)
            answered = phase_start if status == Status.BUSY else phase_start - timedelta(minutes=4)
            interaction = InteractionFactory(
                queue=queues[queue_names[0]],
                customer=None,
                agent=profile.user,
                offered_at=answered - timedelta(seconds=9),
                answered_at=answered,
                ended_at=None if status == Status.BUSY else phase_start,
                wrapup_ended_at=None,
            )
            CtiCall.objects.create(call_id=f"screenshot-{username}", interaction=interaction)
    # Hugo's supervisor asked for a break after his call.
    AgentProfile.objects.filter(user=users["hugo"]).update(pending_status="break", pending_reason="lunch")
    AgentProfileFactory(user__username="boss", role="manager", team=None)
    now = timezone.now()
    handlers = ["lea", "hugo", "chloe", "lucas", "ines", "louis", "jade", "adam"]
    for index, (name, (waits, abandoned, waiting)) in enumerate(TRAFFIC.items()):
        for n, wait in enumerate(waits):
            offered = now - timedelta(minutes=5 + 9 * n + index)
            InteractionFactory(
                queue=queues[name],
                customer=None,
                agent=users[handlers[(n + index) % len(handlers)]],
                offered_at=offered,
                answered_at=offered + timedelta(seconds=wait),
                ended_at=offered + timedelta(seconds=wait + 240),
                wrapup_ended_at=offered + timedelta(seconds=wait + 300),
            )
        for n in range(abandoned):
            offered = now - timedelta(minutes=13 + 21 * n)
            InteractionFactory(
                queue=queues[name],
                customer=None,
                agent=None,
                offered_at=offered,
                answered_at=None,
                ended_at=offered + timedelta(seconds=70),
                wrapup_ended_at=None,
            )
        for seconds in waiting:
            InteractionFactory(
                queue=queues[name],
                customer=None,
                agent=None,
                offered_at=now - timedelta(seconds=seconds),
                answered_at=None,
                ended_at=None,
                wrapup_ended_at=None,
            )


def test_the_documentation_screenshot(afternoon, page, asgi_live_server, transactional_db):
    # In the afternoon, so that the picture's figures of the day hold every call, whenever it runs.
    realistic_center()
    page.set_viewport_size({"width": 1600, "height": 900})
    page.goto(f"{asgi_live_server.url}/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.click(".login-card button[type=submit]")
    page.goto(f"{asgi_live_server.url}/wallboard/")
    page.wait_for_function("document.documentElement.dataset.live === 'open'", timeout=TIMEOUT_MS)
    expect(page.locator(".wb-tile")).to_have_count(3)
    expect(page.locator(".wb-agent")).to_have_count(12)
    expect(page.locator('.wb-tile[data-queue="Technical support"] [data-field="waiting"]')).to_have_text("3")
    page.wait_for_timeout(1500)  # the first figures' highlight fades

    path = screenshot(page, "wallboard.png")

    # The README's picture is copied from var/screenshots/ by hand when the page changes: a test
    # run never rewrites a tracked file.
    assert path.stat().st_size < 300_000
    # A wall screen and a laptop: nothing spills out of its tile.
    for width, height in ((1920, 1080), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        overflowing = page.evaluate(
            """() => [...document.querySelectorAll('.wb-value')]
                 .filter((value) => value.scrollWidth > value.clientWidth + 1).map((value) => value.textContent)"""
        )
        assert overflowing == [], (width, overflowing)
        screenshot(page, f"wallboard-{width}x{height}.png")


@pytest.mark.parametrize(("width", "height", "language"), [(1366, 768, "en"), (1920, 1080, "en"), (1366, 768, "fr")])
def test_a_room_of_eight_queues_and_thirty_agents_fits_the_screen(page, asgi_live_server, org, width, height, language):
    """A wall screen is not scrolled: up to 8 queues and 30 agents fit at 1366×768 and 1920×1080,
    in English and in French, with no figure or label clipped."""
    from contactcenter.core.roles import Role

    queues = [org.queue_a] + [QueueFactory(name=f"Queue {n}") for n in range(2, 8)]
    queues.append(QueueFactory(name="Technical support after sales"))  # a long name
    now = timezone.now()
    for n in range(30):
        profile = AgentProfileFactory(
            user__username=f"room{n:02d}", team=org.team_a, queues=queues[: 1 + n % 8], status=Status.AVAILABLE
        )
        if n % 3 == 0:
            # On a call (a third of the room), some with a break waiting for its end: the card shows
            # the call's queue beside its clock, and "Break after this call (Lunch)".
            queue = queues[n % 8 if n % 2 else 7]
            interaction = InteractionFactory(
                queue=queue,
                customer=None,
                agent=profile.user,
                offered_at=now - timedelta(minutes=3),
                answered_at=now - timedelta(minutes=2, seconds=n),
                ended_at=None,
                wrapup_ended_at=None,
            )
            CtiCall.objects.create(call_id=f"room-{n}", interaction=interaction)
            AgentProfile.objects.filter(pk=profile.pk).update(
                status=Status.BUSY,
                status_since=interaction.answered_at,
                pending_status="break" if n % 2 == 0 else "",
                pending_reason="lunch" if n % 2 == 0 else "",
            )
    AgentProfile.objects.filter(user=org.supervisor_a).update(role=Role.SUPERVISOR)
    org.supervisor_a.agent_profile.queues.set(queues)
    page.set_viewport_size({"width": width, "height": height})
    page.set_extra_http_headers({"Accept-Language": language})
    log_in(page, asgi_live_server, "supervisor_a")
    expect(page.locator(".wb-tile")).to_have_count(8)
    expect(page.locator(".wb-agent")).to_have_count(32)  # the thirty, agent A and the supervisor
    sizes = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
        " window.innerWidth, window.innerHeight]"
    )
    screenshot(page, f"wallboard-room-{width}x{height}-{language}.png")
    assert sizes[0] <= sizes[2] and sizes[1] <= sizes[3], sizes
    clipped = page.evaluate(
        """() => [...document.querySelectorAll('.wb-value, .wb-label, .wb-sub, .wb-counts dt, .wb-staff li')]
            .filter((element) => element.scrollWidth > element.clientWidth + 1)
            .map((element) => element.textContent.trim())"""
    )
    assert clipped == [], clipped
    # The cards keep their size whatever they hold: the contact's queue is there, nothing spills out.
    expect(page.locator('.wb-agent[data-agent="room00"] [data-field="queue"]')).to_have_text(
        "Technical support after sales"
    )
    # A break waiting for the end of the call shows whole ("→ Break"), the queue's name giving way first.
    short = page.locator('.wb-agent[data-agent="room00"] [data-part="pending-short"]')
    expect(short).to_have_text("→ " + ("Pause" if language == "fr" else "Break"))
    assert short.evaluate(
        """(element) => {
            const shown = element.getBoundingClientRect();
            const box = element.closest('.wb-agent-status').getBoundingClientRect();
            return shown.width > 0 && shown.right <= box.right + 1;
        }"""
    )
    spilling = page.evaluate(
        """() => [...document.querySelectorAll('.wb-agent')]
            .filter((card) => card.scrollWidth > card.clientWidth + 1 || card.scrollHeight > card.clientHeight + 1)
            .map((card) => card.dataset.agent)"""
    )
    assert spilling == [], spilling
    heights = page.evaluate(
        "() => new Set([...document.querySelectorAll('.wb-agent')].map((card) => card.offsetHeight)).size"
    )
    assert heights == 1, "every card has the same height, on a call or not"


# --- The agents' contacts and the panels ------------------------------------------------------------


def test_a_tile_shows_the_calls_queue_and_its_clock_and_a_break_waits_for_the_end_of_the_call(
    page, asgi_live_server, org
):
    set_status(org.agent_a, Status.AVAILABLE)
    set_status(org.supervisor_a, Status.OFFLINE)
    page.set_viewport_size({"width": 1600, "height": 900})
    log_in(page, asgi_live_server, "supervisor_a")
    card = page.locator('.wb-agent[data-agent="agent_a"]')
    expect(card.locator('[data-field="queue"]')).to_have_text("")

    # A simulated call: agent A answers it at once.
    page.click("#wb-simulate summary")
    page.select_option("#id_queue", label="Queue A")
    page.click("#wb-simulate-submit")
    expect(card).to_have_class(re.compile(r"\bstatus-busy\b"), timeout=TIMEOUT_MS)
    expect(card.locator('[data-field="queue"]')).to_have_text("Queue A")
    time = card.locator('[data-field="time"]')
    expect(time).to_have_text(re.compile(r"^0:0\d$"))
    first = time.inner_text()
    expect(time).not_to_have_text(first, timeout=3000)  # it ticks
    page.click("#wb-simulate summary")  # folded again

    # The card opens the agent's panel; Break (Lunch) waits for the end of the call.
    card.locator(".wb-open").click()
    dialog = page.locator("#wb-panel")
    expect(dialog).to_be_visible(timeout=TIMEOUT_MS)
    expect(dialog.locator("#wb-panel-title")).to_contain_text(org.agent_a.get_full_name() or "agent_a")
    expect(dialog.locator(".wb-contacts")).to_contain_text("Queue A")
    dialog.locator("#wb-break-reason").select_option("lunch")
    dialog.locator("#wb-set-break").click()
    expect(dialog.locator("#wb-panel-pending")).to_contain_text("Break after this call (Lunch)", timeout=TIMEOUT_MS)
    pending = card.locator('[data-field="pending"]')
    expect(pending).to_have_attribute("title", "Break after this call (Lunch)", timeout=TIMEOUT_MS)
    expect(pending.locator('[data-part="pending-short"]')).to_have_text("→ Break")
    expect(pending).to_be_visible()
    expect(card).to_have_class(re.compile(r"\bstatus-busy\b"))
    assert AgentProfile.objects.get(user=org.agent_a).pending_status == "break"
    screenshot(page, "wallboard-agent-panel.png")

    # Escape closes it, and the focus is back on the card.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("document.activeElement.closest('.wb-agent')?.dataset.agent") == "agent_a"


def test_a_queue_tile_lists_its_waiting_call_and_an_agent_tile_sets_a_break(page, asgi_live_server, org):
    set_status(org.agent_a, Status.AVAILABLE)
    token = token_for(org.agent_a)
    anne = PhoneFactory(value="+33612345678").customer
    anne.first_name, anne.last_name = "Anne", "Martin"
    anne.save()
    InteractionFactory(
        queue=org.queue_a,
        customer=anne,
        agent=None,
        offered_at=timezone.now() - timedelta(seconds=42),
        answered_at=None,
        ended_at=None,
        wrapup_ended_at=None,
    )
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, asgi_live_server, "supervisor_a")

    # Keyboard: Tab to the queue's name, Enter.
    tile_button = page.locator('.wb-tile[data-queue="Queue A"] .wb-open')
    tile_button.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#wb-panel")
    expect(dialog).to_be_visible(timeout=TIMEOUT_MS)
    expect(dialog.locator("#wb-panel-title")).to_contain_text("Queue A")
    rows = dialog.locator(".wb-waiting-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Anne Martin")
    expect(rows.first.locator("[data-tick-since]")).to_have_text(re.compile(r"^0:4\d$"))
    dialog.locator("[data-panel-close]").click()
    expect(dialog).to_be_hidden()

    # An available agent: the break applies at once, and the card follows live.
    page.locator('.wb-agent[data-agent="agent_a"] .wb-open').click()
    expect(dialog).to_be_visible(timeout=TIMEOUT_MS)
    dialog.locator("#wb-break-reason").select_option("coaching")
    dialog.locator("#wb-set-break").click()
    expect(dialog.locator(".notice.ok")).to_contain_text("on a break (Coaching)", timeout=TIMEOUT_MS)
    card = page.locator('.wb-agent[data-agent="agent_a"]')
    expect(card).to_have_class(re.compile(r"\bstatus-break\b"), timeout=TIMEOUT_MS)
    expect(card.locator('[data-field="reason"]')).to_have_text("Coaching")
    expect(dialog.locator('[data-field="panel-status"]')).to_have_text("Break")
    expect(dialog.locator(".wb-states")).to_contain_text("Coaching")

    # The agent comes back by themselves: the open panel follows (its lists fetched again on the event).
    response = requests.put(
        f"{asgi_live_server.url}/api/v1/agents/me/status/",
        json={"status": "available"},
        headers={"Authorization": f"Token {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    expect(card).to_have_class(re.compile(r"\bstatus-available\b"), timeout=TIMEOUT_MS)
    expect(dialog.locator('[data-field="panel-status"]')).to_have_text("Available", timeout=TIMEOUT_MS)
    expect(dialog.locator(".wb-states tbody tr")).to_have_count(2)
    expect(dialog.locator(".notice.ok")).to_be_visible()  # the form was left as it was


def test_a_supervisor_moves_a_waiting_chat_to_another_queue_from_the_queues_panel(page, asgi_live_server, org):
    queue_a2 = QueueFactory(name="Queue A2", channel="chat")
    AgentProfile.objects.get(user=org.agent_a).queues.add(queue_a2)
    item = WorkItem.objects.create(kind="chat", queue=org.queue_a, arrived_at=timezone.now() - timedelta(seconds=75))
    page.set_viewport_size({"width": 1600, "height": 900})
    log_in(page, asgi_live_server, "supervisor_a")
    tile = page.locator('.wb-tile[data-queue="Queue A"]')
    expect(tile.locator('[data-routed="chat"]')).to_have_text("1")
    expect(page.locator('.wb-tile[data-queue="Queue A2"] .wb-routed')).to_have_count(0)

    tile.locator(".wb-open").click()
    dialog = page.locator("#wb-panel")
    expect(dialog).to_be_visible(timeout=TIMEOUT_MS)
    row = dialog.locator(f'.wb-work-list tr[data-item="{item.pk}"]')
    expect(row).to_contain_text("Chat")
    expect(row.locator("td").nth(1)).to_have_text("1")  # first in line
    row.locator("select[name=to]").select_option(f"queue:{queue_a2.pk}")
    row.locator("button[type=submit]").click()

    expect(dialog.locator("#wb-panel-work .notice.ok")).to_contain_text("waits in Queue A2", timeout=TIMEOUT_MS)
    expect(dialog.locator(".wb-work-list")).to_have_count(0)  # nothing left in Queue A's line
    # The board is fetched again: the chat waits in Queue A2 now.
    expect(page.locator('.wb-tile[data-queue="Queue A2"] [data-routed="chat"]')).to_have_text("1", timeout=TIMEOUT_MS)
    expect(tile.locator(".wb-routed")).to_have_count(0)
    item.refresh_from_db()
    assert item.queue_id == queue_a2.pk
    assert WorkItemMove.objects.get(item=item).moved_by == org.supervisor_a
    screenshot(page, "wallboard-move.png")
