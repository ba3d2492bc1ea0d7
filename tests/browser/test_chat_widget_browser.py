"""The chat widget in a real browser, as a visitor: the demo page embeds it with its one line; the
bot quotes a public article with its link; a reload keeps the conversation; with nobody in the
queue the visitor leaves a message, which becomes a ticket.

Served by uvicorn in a thread (``asgi_live_server``): the page, the widget's files and ``ws/chat/``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from contactcenter.chat.models import ChatConversation
from interactions.models import Ticket
from tests.chat.factories import public_article, widget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_chats_with_the_bot_reloads_and_leaves_a_message(page, asgi_live_server):
    article = public_article()
    widget(allowed_origins=[asgi_live_server.url], languages=["en"], greeting={"en": "Hi, I am the bot."})

    page.goto(f"{asgi_live_server.url}/chat/demo/")
    page.locator(".sb-launcher").click()
    expect(page.locator(".sb-msg.sb-bot").first).to_contain_text("Hi, I am the bot.")
    page.locator(".sb-form .sb-input").fill("How do I reset my password?")
    page.locator(".sb-form .sb-input").press("Enter")
    answer = page.locator(".sb-msg.sb-bot").nth(1)
    expect(answer).to_contain_text("Reset your password")
    link = answer.locator("a.sb-link")
    expect(link).to_have_attribute("href", f"{asgi_live_server.url}/portal/articles/{article.slug}/")
    expect(page.get_by_role("button", name="Yes, it helped")).to_be_visible()

    # A reload carries on with the same conversation (the token is in localStorage).
    page.reload()
    expect(page.locator(".sb-msg.sb-visitor")).to_contain_text("How do I reset my password?")
    assert ChatConversation.objects.count() == 1

    # Nobody serves the queue: asking for an agent offers the leave-a-message form.
    page.get_by_role("button", name="Talk to an agent").click()
    form = page.locator(".sb-leave")
    expect(form).to_be_visible()
    form.get_by_placeholder("Your name").fill("Ann Lee")
    form.get_by_placeholder("Your email").fill("ann@example.com")
    form.get_by_placeholder("Your message").fill("Please call me back.")
    form.get_by_role("button", name="Send the message").click()
    expect(page.locator(".sb-status")).to_have_text("The chat is over.")
    ticket = Ticket.objects.get()
    assert ticket.description == "Please call me back." and ticket.customer.first_name == "Ann"
