"""Web chat end to end, in a real browser, two people at once: a visitor on the company's site (a
page served from ANOTHER origin, with the one-line embed of ``/chat/widget.js``) and an agent on the
desktop.

The bot answers the visitor from a public article (an internal article on the same topic is never
shown to them); the visitor asks for a person; the chat is offered to the agent, who accepts it on
the offer card; they write to each other both ways (the agent sees the visitor typing); the agent
links the visitor to a customer and closes the chat; the visitor is asked for a rating; and the
transcript is on the customer's history.

Served by uvicorn in a thread (``asgi_live_server``): HTTP, static files, the agent's socket and the
visitor's. The visitor's site is a tiny ``http.server`` on another port of ``localhost`` (another
origin, and another host for cookies: the agent's session never reaches the widget). The pictures
of the README and docs/desktop.md are written to var/screenshots/ (copied by hand when the screens
change: a test run never rewrites a tracked file).
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from contactcenter.agents.models import Status
from contactcenter.chat.models import ChatConversation, ChatMessage, ConversationState
from contactcenter.chat.services import chat_widget_create
from customers.services import customer_create
from interactions.models import Interaction
from tests.agents.factories import PASSWORD, AgentProfileFactory, QueueFactory, TeamFactory
from tests.knowledge.factories import ArticleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT_MS = 10_000
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PUBLIC_TITLE = "Reset your password"
INTERNAL_TITLE = "Password reset override for supervisors"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:
        pass


@pytest.fixture
def site(tmp_path) -> Iterator[str]:
    """The company's own site: a static server on another origin (``localhost``, its own port)."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(tmp_path))
    )
    thread = threading.Thread(target=server.serve_forever, name="visitor-site", daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def embed(directory: Path, switchboard: str, key: str) -> None:
    (directory / "index.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Acme shop</title></head>\n'
        "<body><h1>Acme shop</h1><p>Routers, modems and the help you need.</p>\n"
        f'<script src="{switchboard}/chat/widget.js" data-key="{key}" async></script>\n'
        "</body></html>\n",
        encoding="utf-8",
    )


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path))
    return path


@pytest.fixture
def center(transactional_db):
    """A chat queue with an available agent (capacity 3, the default), a public and an internal
    article on resetting a password, and a customer the visitor turns out to be."""
    queue = QueueFactory(name="Web chat", channel="chat")
    AgentProfileFactory(
        user__username="agent1",
        user__first_name="Camille",
        user__last_name="Durand",
        team=TeamFactory(name="Front office"),
        queues=[queue],
        status=Status.AVAILABLE,
    )
    ArticleFactory(
        title=PUBLIC_TITLE,
        audience="public",
        language="en",
        summary="Open Settings, then Security, and choose Reset password.",
        body="To reset your password, open the settings page, then security, and choose reset password.",
        tags=("password", "reset"),
    )
    ArticleFactory(
        title=INTERNAL_TITLE,
        audience="internal",
        language="en",
        summary="Reset a customer's password without the email step: approval code needed.",
        body="Internal only: reset password override, approval code 4471.",
        tags=("password", "reset"),
    )
    customer = customer_create(first_name="Amélie", last_name="Poulain", emails=["amelie@example.test"])
    return {"queue": queue, "customer": customer}


def agent_logs_in(page, server) -> None:
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{server.url}/login/")
    page.fill("#id_username", "agent1")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/desk/")
    page.wait_for_function("document.documentElement.dataset.live === 'open'", timeout=TIMEOUT_MS)


def test_a_visitor_and_an_agent_chat_from_bot_to_transcript(chromium, asgi_live_server, center, site):
    server = asgi_live_server
    directory, origin = site
    widget = chat_widget_create(
        name="Acme shop", queue=center["queue"], languages=["en", "fr"], allowed_origins=[origin]
    )
    embed(directory, server.url, widget.key)

    agent = chromium.new_page()
    agent_logs_in(agent, server)
    expect(agent.locator("#chats-panel")).to_be_hidden()

    # --- The visitor, on the company's site, asks the bot ---------------------------------------
    visitor = chromium.new_page()
    visitor.set_viewport_size({"width": 1000, "height": 800})
    visitor.goto(f"{origin}/index.html")
    visitor.locator(".sb-launcher").click()
    box = visitor.locator(".sb-panel")
    expect(box).to_be_visible(timeout=TIMEOUT_MS)
    expect(box.locator(".sb-bot").first).to_be_visible(timeout=TIMEOUT_MS)  # the greeting
    visitor.locator(".sb-input").fill("How do I reset my password?")
    visitor.locator(".sb-input").press("Enter")
    expect(box.locator(".sb-visitor")).to_contain_text("How do I reset my password?", timeout=TIMEOUT_MS)
    answer = box.locator(".sb-bot .sb-link")
    expect(answer).to_contain_text(PUBLIC_TITLE, timeout=TIMEOUT_MS)
    # The internal article on the very same topic is never shown to a visitor.
    expect(box).not_to_contain_text(INTERNAL_TITLE)
    expect(box).not_to_contain_text("4471")

    # --- The visitor asks for a person: the agent gets the offer and accepts it ------------------
    box.get_by_role("button", name="Talk to an agent").click()
    card = agent.locator("#offer-card[data-expires]")
    expect(card).to_be_visible(timeout=TIMEOUT_MS)
    expect(card).to_contain_text("Chat offered to you")
    expect(card).to_contain_text("Web chat")
    agent.locator("#offer-accept").click()
    expect(agent.locator("#offer-slot")).to_contain_text("Accepted", timeout=TIMEOUT_MS)

    conversation = ChatConversation.objects.get(widget=widget)
    panel = agent.locator(f"#chat-view-{conversation.pk}")
    expect(agent.locator("#chats-panel")).to_be_visible(timeout=TIMEOUT_MS)
    expect(agent.locator(f"#chat-tab-{conversation.pk}")).to_have_attribute("aria-selected", "true")
    log = panel.locator("[data-chat-log]")
    expect(log).to_contain_text("How do I reset my password?", timeout=TIMEOUT_MS)
    expect(log).to_contain_text(PUBLIC_TITLE)  # the bot's quote, seen by the agent too
    expect(box).to_contain_text("Camille Durand joined the chat.", timeout=TIMEOUT_MS)
    expect(agent.locator("#work-list")).to_contain_text("Chat 1/3", timeout=TIMEOUT_MS)

    # --- Both ways: the agent writes (Enter sends), the visitor answers ---------------------------
    text = panel.locator("[data-chat-text]")
    text.fill("Hello, I am Camille. Did the article help?")
    text.press("Enter")
    expect(box.locator(".sb-agent")).to_contain_text("Did the article help?", timeout=TIMEOUT_MS)
    expect(box.locator(".sb-agent .sb-who")).to_contain_text("Camille Durand")
    expect(text).to_have_value("")

    visitor.locator(".sb-input").press_sequentially("Not quite", delay=30)
    expect(panel.locator("[data-chat-typing]")).to_be_visible(timeout=TIMEOUT_MS)
    visitor.locator(".sb-input").press("Enter")
    expect(log).to_contain_text("Not quite", timeout=TIMEOUT_MS)
    expect(panel.locator("[data-chat-typing]")).to_be_hidden()

    # A canned reply fills the box; the article's link goes in from the knowledge panel.
    agent.fill("#knowledge-q", "reset password")
    agent.locator(".knowledge-hit", has_text=PUBLIC_TITLE).click()
    insert = agent.locator("[data-chat-insert]")
    expect(insert).to_be_visible(timeout=TIMEOUT_MS)
    insert.click()
    expect(text).to_have_value(re.compile(rf"^{PUBLIC_TITLE}: http://.+/portal/articles/.+/$"))
    text.press("Enter")
    expect(box.locator(".sb-agent").last).to_contain_text("/portal/articles/", timeout=TIMEOUT_MS)

    # --- Who is it: the agent links the visitor to the customer ----------------------------------
    panel.locator(f"#chat-find-{conversation.pk}").fill("amelie@example.test")
    panel.get_by_role("button", name="This is the visitor").click()
    expect(panel.locator(".customer-card")).to_contain_text("Amélie Poulain", timeout=TIMEOUT_MS)
    expect(agent.locator(f"#chat-tab-{conversation.pk}")).to_contain_text("Amélie Poulain", timeout=TIMEOUT_MS)
    expect(log).to_contain_text("Not quite")  # the conversation is still there
    agent.set_viewport_size({"width": 1600, "height": 860})
    screenshot(agent, "desktop-chat.png")
    screenshot(visitor, "chat-widget.png")

    # --- The agent closes: the visitor rates, the transcript is on the customer's history --------
    panel.get_by_role("button", name="Close the chat").click()
    expect(panel).to_contain_text("This chat is over", timeout=TIMEOUT_MS)
    expect(box.locator(".sb-csat")).to_be_visible(timeout=TIMEOUT_MS)
    box.locator(".sb-star").nth(4).click()
    expect(agent.locator(f"#chat-tab-{conversation.pk}")).to_have_count(0, timeout=TIMEOUT_MS)
    panel.get_by_role("button", name="Close the tab").click()
    expect(agent.locator("#chats-panel")).to_be_hidden()

    conversation.refresh_from_db()
    assert conversation.state == ConversationState.CLOSED and conversation.customer_id == center["customer"].pk
    interaction = Interaction.objects.get(pk=conversation.interaction_id)
    assert interaction.channel == "chat" and interaction.customer_id == center["customer"].pk
    assert ChatMessage.objects.filter(conversation=conversation, author="agent").count() == 2

    agent.fill("#customer-search", "Poulain")
    agent.locator("#search-results [data-result]").first.click()
    history = agent.locator("#call .timeline")
    transcript = history.locator(".chat-transcript-box")
    expect(transcript).to_have_count(1, timeout=TIMEOUT_MS)
    transcript.locator("summary").click()
    expect(transcript).to_contain_text("How do I reset my password?", timeout=TIMEOUT_MS)
    expect(transcript).to_contain_text("Did the article help?")
    expect(transcript).to_contain_text("Not quite")
    agent.close()
    visitor.close()


def visitor_asks_for_a_person(chromium, url: str, question: str):
    """A visitor opens the chat, asks the bot (who answers from the public article), then asks for a person."""
    visitor = chromium.new_page()
    visitor.goto(url)
    visitor.locator(".sb-launcher").click()
    box = visitor.locator(".sb-panel")
    expect(box.locator(".sb-bot").first).to_be_visible(timeout=TIMEOUT_MS)
    visitor.locator(".sb-input").fill(question)
    visitor.locator(".sb-input").press("Enter")
    expect(box.locator(".sb-bot .sb-link")).to_contain_text(PUBLIC_TITLE, timeout=TIMEOUT_MS)
    box.get_by_role("button", name="Talk to an agent").click()
    return visitor


def accept_the_offer(agent) -> None:
    expect(agent.locator("#offer-card[data-expires]")).to_be_visible(timeout=TIMEOUT_MS)
    agent.locator("#offer-accept").click()
    expect(agent.locator("#offer-slot")).to_contain_text("Accepted", timeout=TIMEOUT_MS)


def test_two_chats_at_once_in_tabs_with_unread_counts(chromium, asgi_live_server, center, site):
    server = asgi_live_server
    directory, origin = site
    # Two widgets of the same queue (each keeps its visitor's token under its own key).
    first = chat_widget_create(name="Shop", queue=center["queue"], languages=["en"], allowed_origins=[origin])
    second = chat_widget_create(name="Support", queue=center["queue"], languages=["en"], allowed_origins=[origin])
    embed(directory, server.url, first.key)
    (directory / "index.html").rename(directory / "shop.html")
    embed(directory, server.url, second.key)

    agent = chromium.new_page()
    agent_logs_in(agent, server)

    anna = visitor_asks_for_a_person(chromium, f"{origin}/shop.html", "How do I reset my password?")
    accept_the_offer(agent)
    chat_a = ChatConversation.objects.get(widget=first)
    expect(agent.locator(f"#chat-tab-{chat_a.pk}")).to_have_attribute("aria-selected", "true", timeout=TIMEOUT_MS)

    ben = visitor_asks_for_a_person(chromium, f"{origin}/index.html", "Can I reset my password?")
    accept_the_offer(agent)
    chat_b = ChatConversation.objects.get(widget=second)
    # The new chat opens in its own tab; the first one stays, with its conversation.
    tab_a, tab_b = agent.locator(f"#chat-tab-{chat_a.pk}"), agent.locator(f"#chat-tab-{chat_b.pk}")
    expect(tab_b).to_have_attribute("aria-selected", "true", timeout=TIMEOUT_MS)
    expect(tab_a).to_have_attribute("aria-selected", "false")
    expect(agent.locator(f"#chat-view-{chat_b.pk} [data-chat-log]")).to_contain_text("Can I reset my password?")
    expect(agent.locator(f"#chat-view-{chat_a.pk}")).to_be_hidden()
    expect(agent.locator("#work-list")).to_contain_text("Chat 2/3", timeout=TIMEOUT_MS)

    # Anna writes while Ben's chat is in view: her tab counts it.
    anna.locator(".sb-input").fill("Hello? Anyone there?")
    anna.locator(".sb-input").press("Enter")
    expect(tab_a.locator(".chat-unread")).to_have_text(re.compile(r"^\s*1\b"), timeout=TIMEOUT_MS)
    expect(tab_b.locator(".chat-unread")).to_be_hidden()

    # Answering Ben does not mix the chats up.
    text_b = agent.locator(f"#chat-view-{chat_b.pk} [data-chat-text]")
    text_b.fill("Please unplug it for ten seconds.")
    text_b.press("Enter")
    expect(ben.locator(".sb-agent")).to_contain_text("unplug it", timeout=TIMEOUT_MS)
    expect(anna.locator(".sb-agent")).to_have_count(0)

    # Back to Anna: the count goes, her message is there.
    tab_a.click()
    expect(tab_a.locator(".chat-unread")).to_be_hidden()
    expect(agent.locator(f"#chat-view-{chat_a.pk} [data-chat-log]")).to_contain_text(
        "Anyone there?", timeout=TIMEOUT_MS
    )
    text_a = agent.locator(f"#chat-view-{chat_a.pk} [data-chat-text]")
    expect(text_a).to_be_focused()
    text_a.fill("Yes, Camille here.")
    text_a.press("Enter")
    expect(anna.locator(".sb-agent")).to_contain_text("Camille here", timeout=TIMEOUT_MS)
    expect(ben.locator(".sb-agent")).to_have_count(1)

    # The visitor leaves: the agent's tab goes, the chat says it is over.
    ben.get_by_role("button", name="End the chat").click()
    expect(tab_b).to_have_count(0, timeout=TIMEOUT_MS)
    expect(agent.locator(f"#chat-view-{chat_b.pk}")).to_contain_text("This chat is over", timeout=TIMEOUT_MS)
    for page in (agent, anna, ben):
        page.close()
