"""An email ticket in a real browser: the agent picks a canned reply (its text lands in the reply
box, placeholders filled), adds a file and sends the public reply; the conversation then lists the
reply, queued for sending, with its file."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from contactcenter.mail.inbound import email_receive
from contactcenter.mail.models import CannedReply, EmailMessage
from contactcenter.mail.services import mailbox_create
from tests.agents.factories import AgentProfileFactory, QueueFactory
from tests.browser.test_desktop_browser import log_in
from tests.mail.conftest import corpus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_canned_reply_with_a_file_is_sent_from_the_reply_box(page, asgi_live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    queue = QueueFactory(name="Support", channel="email", service_level_seconds=28800)
    mailbox = mailbox_create(address="support@example.com", queue=queue)
    AgentProfileFactory(user__username="agent1", user__first_name="Alice", user__last_name="Roux", queues=[queue])
    ticket = email_receive(mailbox=mailbox, raw=corpus("apple_mail.eml")).message.ticket
    CannedReply.objects.create(queue=queue, title="Contrat", body="Bonjour {customer_first_name}, ici {agent_name}.")
    attachment = tmp_path / "devis.txt"
    attachment.write_text("Devis 42")

    log_in(page, asgi_live_server, "agent1")
    page.goto(f"{asgi_live_server.url}/desk/tickets/{ticket.pk}/")
    expect(page.locator("#ticket-emails")).to_contain_text("chloe.martin@icloud.test")

    page.select_option("#ticket-comment-canned", label="Contrat")
    expect(page.locator("#ticket-comment-body")).to_have_value("Bonjour Chloé, ici Alice Roux.")
    page.check("#ticket-comment-public")
    page.set_input_files("#ticket-comment-attachments", str(attachment))
    page.get_by_role("button", name="Add comment").click()

    expect(page.locator("#ticket-emails")).to_contain_text("Queued for sending")
    expect(page.locator("#ticket-emails")).to_contain_text("devis.txt")
    reply = EmailMessage.objects.get(direction="outbound", automatic="none")
    assert reply.body_text.startswith("Bonjour Chloé, ici Alice Roux.")
    assert [a.filename for a in reply.attachments.all()] == ["devis.txt"]
