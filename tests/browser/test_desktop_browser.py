"""The agent desktop in a real browser (issue #6): an agent logs in, the telephony system posts a
call through the API, the screen pop appears, the agent follows the branching script, logs the call
and opens a ticket, and the API then shows both. The page survives a socket drop; French is French.

Served by uvicorn in a thread (``asgi_live_server``): HTTP, static files and the agent's WebSocket.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from contactcenter.agents.models import Status
from contactcenter.scripts.models import Script, ScriptVersion
from customers.services import customer_create
from tests.agents.factories import PASSWORD, AgentProfileFactory, QueueFactory, TeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent.parent
SCREENSHOTS = ROOT / "var" / "screenshots"
STEPS = [
    {
        "key": "greeting",
        "text": "Bonjour {first_name}, {agent} à votre écoute. Que puis-je faire pour vous ?",
        "answers": [{"label": "Facture", "next": "billing"}, {"label": "Panne", "next": "technical"}],
    },
    {
        "key": "billing",
        "text": "Je consulte votre dernière facture. Quelle ligne vous pose question ?",
        "answers": [{"label": "Réglé", "next": "closing"}, {"label": "À traiter", "next": "closing"}],
    },
    {"key": "technical", "text": "Avez-vous redémarré votre box ?", "answers": [{"label": "Oui", "next": "closing"}]},
    {"key": "closing", "text": "Merci de votre appel, {first_name}. Bonne journée !", "answers": []},
]


@pytest.fixture
def center(transactional_db):
    """A queue with a published branching script, an available agent, a known caller, and the
    telephony system's account (a manager's token)."""
    from contactcenter.core.tokens import api_token_issue

    team = TeamFactory(name="Front office")
    queue = QueueFactory(name="Billing")
    agent = AgentProfileFactory(
        user__username="agent1", user__first_name="Alice", team=team, queues=[queue], status=Status.AVAILABLE
    ).user
    pbx = AgentProfileFactory(user__username="pbx", role="manager", team=None).user
    script = Script.objects.create(name="Accueil facturation")
    script.queues.add(queue)
    version = ScriptVersion.objects.create(script=script, number=1, steps=STEPS)
    customer = customer_create(
        first_name="Amélie",
        last_name="Poulain",
        company="Les Deux Moulins",
        phones=["06 12 34 56 78"],
        emails=["amelie@example.test"],
        tags=["vip"],
    )
    return {
        "agent": agent,
        "queue": queue,
        "version": version,
        "customer": customer,
        "token": api_token_issue(user=pbx).key,
    }


def api(server, token: str, method: str, path: str, body: dict | None = None) -> requests.Response:
    return requests.request(
        method, f"{server.url}/api/v1/{path}", json=body, headers={"Authorization": f"Token {token}"}, timeout=10
    )


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
    response = api(server, token, "POST", "cti/events/", body)
    assert response.status_code in (200, 201), response.text


def log_in(page, server, username: str) -> None:
    page.goto(f"{server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def live(page) -> None:
    page.wait_for_function("document.documentElement.dataset.live === 'open'", timeout=10_000)


def test_an_agent_takes_a_call_from_screen_pop_to_logged_interaction_and_ticket(page, asgi_live_server, center):
    server, token = asgi_live_server, center["token"]
    page.set_viewport_size({"width": 1600, "height": 1000})
    log_in(page, server, "agent1")
    page.wait_for_url(f"{server.url}/desk/")
    live(page)
    expect(page.locator("#call-title")).to_have_text("No call")

    # The telephony system rings the agent: the screen pop appears by itself on call.answered (how
    # fast is measured by bench/live_latency.py, not here: a test run shares the machine).
    cti(server, token, "call.offered", "browser-call-1")
    cti(server, token, "call.answered", "browser-call-1", agent="agent1")
    expect(page.locator("#call .customer-name")).to_contain_text("Amélie Poulain", timeout=5_000)
    expect(page.locator("#call")).to_contain_text("amelie@example.test")
    expect(page.locator("#call")).to_contain_text("+33612345678")
    expect(page.locator("#status-label")).to_have_text("Busy")

    # The script: the customer's answers choose the branch.
    script = page.locator("#script-panel")
    expect(script).to_contain_text("Bonjour Amélie, Alice à votre écoute.")
    script.get_by_role("button", name="Facture").click()
    expect(script).to_contain_text("Je consulte votre dernière facture.")
    script.get_by_role("button", name="Réglé").click()
    expect(script).to_contain_text("Merci de votre appel, Amélie.")
    script.get_by_role("button", name="Previous step").click()
    expect(script).to_contain_text("Je consulte votre dernière facture.")

    # A ticket for the caller, from the call (Alt+N): it is linked to the call.
    page.keyboard.press("Alt+n")
    dialog = page.locator("#ticket-dialog")
    expect(dialog.locator("input[name=subject]")).to_be_visible()
    dialog.locator("input[name=subject]").fill("Send a duplicate of the March invoice")
    dialog.get_by_role("button", name="Create ticket").click()
    expect(page.locator("#tickets-notice")).to_contain_text("created")
    expect(page.locator("#tickets-lists")).to_contain_text("Send a duplicate of the March invoice")
    # At once in the call panel too, and linked to the call in the log form, before any save.
    expect(page.locator("#call-open-tickets")).to_contain_text("Send a duplicate of the March invoice")
    expect(page.locator("#call-open-tickets .count")).to_have_text("1")
    expect(page.locator("#log-form select[name=ticket] option:checked")).to_contain_text(
        "Send a duplicate of the March invoice"
    )

    # The call ends (wrap-up); the agent logs it with a follow-up ticket and saves with Alt+S.
    cti(server, token, "call.ended", "browser-call-1", agent="agent1")
    expect(page.locator("#status-label")).to_have_text("Wrap-up")
    expect(page.locator("#call-state")).to_contain_text("After-call work")
    page.select_option("#log-form select[name=disposition]", index=1)
    page.fill("#log-form textarea[name=notes]", "Explained the March invoice.")
    page.check("#log-form input[name=follow_up]")
    page.fill("#log-form input[name=follow_up_subject]", "Refund the March invoice")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "desktop.png"))
    page.keyboard.press("Alt+s")
    expect(page.locator("#log-panel .notice")).to_contain_text("After-call work is over")
    expect(page.locator("#status-label")).to_have_text("Available")

    # The API shows what the agent did.
    interaction = api(server, token, "GET", "interactions/?queue=Billing").json()["results"][0]
    assert interaction["notes"] == "Explained the March invoice."
    assert interaction["disposition"] is not None
    assert interaction["script_version"] == center["version"].pk
    assert interaction["wrapup_ended_at"] is not None
    ticket = api(server, token, "GET", f"tickets/{interaction['ticket']}/").json()
    assert ticket["subject"] == "Refund the March invoice"
    tickets = api(server, token, "GET", f"tickets/?customer={center['customer'].pk}").json()["results"]
    assert {t["subject"] for t in tickets} == {"Refund the March invoice", "Send a duplicate of the March invoice"}
    assert all(t["customer"] == center["customer"].pk for t in tickets)


def test_the_page_refetches_its_state_after_a_socket_drop_and_says_so(page, asgi_live_server, center):
    server, token = asgi_live_server, center["token"]
    log_in(page, server, "agent1")
    page.wait_for_url(f"{server.url}/desk/")
    live(page)

    # While the socket is down, a call is answered: its message is lost, the refetch finds it.
    page.evaluate("window.SwitchboardLive.sockets.forEach(function (socket) { socket.drop(); })")
    cti(server, token, "call.offered", "browser-call-2")
    cti(server, token, "call.answered", "browser-call-2", agent="agent1")
    expect(page.locator("#live-note")).to_contain_text("Reconnected", timeout=10_000)
    expect(page.locator("#call .customer-name")).to_contain_text("Amélie Poulain", timeout=10_000)
    expect(page.locator("#status-label")).to_have_text("Busy")


def test_search_by_keyboard_and_the_status_switch(page, asgi_live_server, center):
    server = asgi_live_server
    log_in(page, server, "agent1")
    page.wait_for_url(f"{server.url}/desk/")
    page.keyboard.press("/")
    expect(page.locator("#customer-search")).to_be_focused()
    page.keyboard.type("06.12.34.56.78")
    expect(page.locator("#search-results")).to_contain_text("Amélie Poulain")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#search-results [data-result]").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#call .customer-name")).to_contain_text("Amélie Poulain")

    page.select_option("#status-reason", "lunch")
    page.get_by_role("button", name="Break", exact=True).click()
    expect(page.locator("#status-label")).to_have_text("Break")
    page.get_by_role("button", name="Available", exact=True).click()
    expect(page.locator("#status-label")).to_have_text("Available")


def test_the_french_desktop_is_in_french(page, asgi_live_server, center):
    server = asgi_live_server
    page.set_extra_http_headers({"Accept-Language": "fr"})
    page.goto(f"{server.url}/login/")
    expect(page.locator("h1")).to_have_text("Connexion à Switchboard")
    log_in(page, server, "agent1")
    page.wait_for_url(f"{server.url}/desk/")
    assert page.locator("html").get_attribute("lang") == "fr"
    expect(page.locator("#call-title")).to_have_text("Aucun appel")
    expect(page.locator("#search-title")).to_have_text("Clients")
    expect(page.locator("#status-label")).to_have_text("Disponible")


@pytest.mark.parametrize("debug", [True, False], ids=["debug-on", "debug-off"])
def test_every_refused_form_says_why_in_place_and_keeps_the_desktop(page, asgi_live_server, center, settings, debug):
    """Whatever DEBUG says (``make run`` has it on), a 400 answer shows its errors inside its own
    form: the page around it, and what the agent typed, stay."""
    from interactions.models import Ticket

    settings.DEBUG = debug
    server, token = asgi_live_server, center["token"]
    Ticket.objects.create(subject="Duplicate invoice", queue=center["queue"], assignee=center["agent"])
    page.set_viewport_size({"width": 1600, "height": 1000})
    log_in(page, server, "agent1")
    page.wait_for_url(f"{server.url}/desk/")
    live(page)

    def desktop_intact() -> None:
        expect(page.locator("#tickets-panel")).to_be_visible()
        expect(page.locator("#status-label")).to_be_visible()

    # A break without a reason.
    page.select_option("#status-reason", "")
    page.get_by_role("button", name="Break", exact=True).click()
    expect(page.locator(".status-error")).to_be_visible()
    desktop_intact()

    # A new ticket without a subject.
    page.locator("[data-shortcut=new-ticket-panel]").click()
    dialog = page.locator("#ticket-dialog")
    dialog.get_by_role("button", name="Create ticket").click()
    expect(dialog.locator("input[name=subject]")).to_be_visible()
    expect(dialog).to_contain_text("Give the ticket a subject.")
    dialog.get_by_role("button", name="Cancel").click()
    desktop_intact()

    # An empty comment on one of the agent's tickets.
    page.locator("#tickets-lists").get_by_text("Duplicate invoice").click()
    comments = page.locator("#ticket-comments")
    comments.get_by_role("button", name="Add comment").click()
    expect(comments).to_contain_text("A comment cannot be empty.")
    expect(page.locator("#ticket-detail-title")).to_contain_text("Duplicate invoice")
    dialog.get_by_role("button", name="Close").first.click()
    desktop_intact()

    # A follow-up ticket without a subject, at the end of a call: the notes typed stay.
    cti(server, token, "call.offered", f"inline-{debug}")
    cti(server, token, "call.answered", f"inline-{debug}", agent="agent1")
    cti(server, token, "call.ended", f"inline-{debug}", agent="agent1")
    expect(page.locator("#status-label")).to_have_text("Wrap-up")
    page.select_option("#log-form select[name=disposition]", index=1)
    page.fill("#log-form textarea[name=notes]", "The customer asked for a refund.")
    page.check("#log-form input[name=follow_up]")
    page.locator("#log-form button[type=submit]").first.click()
    expect(page.locator("#log-form .error").first).to_be_visible()
    expect(page.locator("#log-form textarea[name=notes]")).to_have_value("The customer asked for a refund.")
    desktop_intact()


def test_a_reload_during_a_call_keeps_the_log_typed_and_the_script_step(page, asgi_live_server, center):
    server, token = asgi_live_server, center["token"]
    page.set_viewport_size({"width": 1600, "height": 1000})
    log_in(page, server, "agent1")
    page.wait_for_url(f"{server.url}/desk/")
    live(page)
    cti(server, token, "call.offered", "browser-reload")
    cti(server, token, "call.answered", "browser-reload", agent="agent1")
    expect(page.locator("#call .customer-name")).to_contain_text("Amélie Poulain", timeout=5_000)
    script = page.locator("#script-panel")
    script.get_by_role("button", name="Facture").click()
    expect(script).to_contain_text("Je consulte votre dernière facture.")
    page.fill("#log-form textarea[name=notes]", "Asked for the March invoice again.")
    page.select_option("#log-form select[name=disposition]", index=2)
    # The draft is kept as the agent types; give its request time to leave before the reload.
    page.wait_for_timeout(1_500)

    page.reload()
    live(page)
    expect(page.locator("#call .customer-name")).to_contain_text("Amélie Poulain")
    expect(page.locator("#log-form textarea[name=notes]")).to_have_value("Asked for the March invoice again.")
    expect(page.locator("#log-form select[name=disposition] option:checked")).not_to_have_text("—")
    expect(page.locator("#script-panel")).to_contain_text("Je consulte votre dernière facture.")
    page.locator("#script-panel").get_by_role("button", name="Previous step").click()
    expect(page.locator("#script-panel")).to_contain_text("Bonjour Amélie")
