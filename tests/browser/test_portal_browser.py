"""The customer portal in a real browser: a customer asks for a sign-in link, opens it from the
mail as written by the mail backend, reads their ticket, replies; the same link fails the second
time. Also the documentation's screenshot (var/screenshots/portal.png, copied to docs/screenshots/)."""

from __future__ import annotations

import email
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from contactcenter.portal.models import PortalLink
from contactcenter.portal.services import portal_link_send_job
from customers.services import customer_create
from interactions.models import Interaction
from interactions.services import ticket_comment_add, ticket_create, ticket_update
from tests.agents.factories import AgentProfileFactory, QueueFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"
LINK = re.compile(r"https?://\S+/portal/link/[A-Za-z0-9_-]+/")


def link_from_written_mail(folder: Path) -> str:
    """The sign-in link in the last mail the file backend wrote under ``folder``."""
    files = sorted(folder.glob("*.log"), key=lambda path: path.stat().st_mtime)
    assert files, "no mail was written"
    raw = files[-1].read_text().split("-" * 79)[0]
    message = email.message_from_string(raw)
    body = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
    found = LINK.search(body)
    assert found, body
    return found.group(0)


def test_a_customer_signs_in_from_the_mailed_link_reads_and_replies(page, asgi_live_server, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    queue = QueueFactory(name="Support", channel="email")
    agent = AgentProfileFactory(user__username="agent1", queues=[queue]).user
    customer = customer_create(first_name="Chloe", last_name="Martin", language="en", emails=["chloe@example.test"])
    ticket = ticket_create(subject="My box does not start", customer=customer, queue=queue)
    ticket_comment_add(ticket=ticket, body="We restarted your box remotely.", public=True, author=agent)
    ticket_comment_add(ticket=ticket, body="Internal: second time this month", public=False, author=agent)
    ticket_update(ticket=ticket, changes={"status": "resolved"})

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{asgi_live_server.url}/portal/")
    page.get_by_role("link", name="Sign in with your email address").click()
    page.get_by_label("Email address").fill("chloe@example.test")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()

    link = PortalLink.objects.get()
    portal_link_send_job(link.pk)  # what the background worker does
    url = link_from_written_mail(tmp_path / "mail").replace("http://testserver", asgi_live_server.url)
    assert url.startswith(asgi_live_server.url)

    page.goto(url)
    page.get_by_role("button", name="Continue to my portal").click()
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    page.get_by_role("link", name=re.compile("My box does not start")).click()
    expect(page.locator(".thread")).to_contain_text("We restarted your box remotely.")
    expect(page.locator("main")).not_to_contain_text("second time this month")

    page.get_by_label("Your message").fill("It stopped again this morning.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("Your message was sent.")
    expect(page.locator(".thread")).to_contain_text("It stopped again this morning.")
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert Interaction.objects.filter(ticket=ticket, channel="web", direction="inbound").count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "portal.png"))

    # Signed out, the same link again: refused.
    page.get_by_role("button", name="Sign out").click()
    page.goto(url)
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    expect(page.get_by_role("button", name="Continue to my portal")).to_have_count(0)
