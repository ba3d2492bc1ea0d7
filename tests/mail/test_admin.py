"""The back office: mailboxes (the password never shown back) and the mail, read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_q.models import OrmQ

from contactcenter.mail.inbound import email_receive
from contactcenter.mail.models import CannedReply, EmailMessage, Mailbox
from contactcenter.mail.services import mailbox_create
from tests.mail.conftest import corpus

pytestmark = pytest.mark.django_db


def form_data(mailbox_queue_id: int, **changes) -> dict:
    data = {
        "address": "support@example.com",
        "queue": mailbox_queue_id,
        "language": "fr",
        "signature": "",
        "acknowledgement_subject": "",
        "acknowledgement_body": "",
        "is_active": "on",
        "imap_host": "imap.example.com",
        "imap_port": "993",
        "imap_use_tls": "on",
        "imap_username": "support",
        "imap_password": "",
        "imap_folder": "INBOX",
    }
    data.update(changes)
    return data


def test_an_admin_adds_a_mailbox_and_its_password_is_never_shown_back(org, client):
    client.force_login(org.admin)
    added = client.post(reverse("admin:mail_mailbox_add"), form_data(org.queue_a.pk, imap_password="Imap-secret-1"))
    assert added.status_code == 302, added.context["adminform"].form.errors if added.context else added
    mailbox = Mailbox.objects.get()
    assert mailbox.imap_password == "Imap-secret-1"

    page = client.get(reverse("admin:mail_mailbox_change", args=[mailbox.pk]))
    assert page.status_code == 200 and "Imap-secret-1" not in page.content.decode()

    # Saved with the password left empty: the stored one stays.
    changed = client.post(
        reverse("admin:mail_mailbox_change", args=[mailbox.pk]), form_data(org.queue_a.pk, signature="Merci")
    )
    assert changed.status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.imap_password, mailbox.signature) == ("Imap-secret-1", "Merci")


def test_the_admin_refuses_what_the_services_refuse(org, client):
    client.force_login(org.admin)
    page = client.post(reverse("admin:mail_mailbox_add"), form_data(org.queue_a.pk, imap_username=""))
    assert page.status_code == 200 and "imap_username" in page.context["adminform"].form.errors
    assert not Mailbox.objects.exists()


def test_the_mail_is_listed_filtered_and_read_only(org, client):
    mailbox = mailbox_create(address="support@example.com", queue=org.queue_a)
    for name in ("gmail_alternative_attachment.eml", "auto_reply.eml", "bounce.eml"):
        email_receive(mailbox=mailbox, raw=corpus(name))
    client.force_login(org.admin)

    listing = client.get(reverse("admin:mail_emailmessage_changelist"), {"automatic__exact": "bounce"})
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1 and listing.context["cl"].show_full_result_count is False
    message = listing.context["cl"].result_list[0]
    page = client.get(reverse("admin:mail_emailmessage_change", args=[message.pk]))
    assert page.status_code == 200 and "delivery-status.txt" in page.content.decode()
    assert client.post(reverse("admin:mail_emailmessage_change", args=[message.pk]), {}).status_code == 403


def test_a_supervisor_does_not_see_the_mailboxes(org, client):
    client.force_login(org.supervisor_a)
    assert client.get(reverse("admin:mail_mailbox_changelist")).status_code == 403


def test_an_admin_queues_a_failed_message_again(org, client):
    mailbox = mailbox_create(address="support@example.com", queue=org.queue_a)
    ticket = email_receive(mailbox=mailbox, raw=corpus("apple_mail.eml")).message.ticket
    failed = EmailMessage.objects.create(
        mailbox=mailbox,
        ticket=ticket,
        direction="outbound",
        message_id="sb-00000000000000000000000000000001@example.com",
        to=["chloe.martin@icloud.test"],
        subject="x",
        send_state="failed",
        send_attempts=5,
        send_error="SMTPDataError: 451",
    )
    client.force_login(org.admin)

    response = client.post(
        reverse("admin:mail_emailmessage_changelist"),
        {"action": "send_again", "_selected_action": [failed.pk]},
        follow=True,
    )

    assert "1 message queued again." in response.content.decode()
    failed.refresh_from_db()
    assert (failed.send_state, failed.send_attempts) == ("queued", 0)
    assert OrmQ.objects.filter(payload__isnull=False).count() == 1


def test_managers_keep_the_canned_replies_and_agents_do_not(org, client):
    client.force_login(org.manager)
    data = {"queue": org.queue_a.pk, "title": "Merci", "body": "Bonjour {customer_first_name}", "is_active": "on"}
    added = client.post(reverse("admin:mail_cannedreply_add"), data)
    assert added.status_code == 302, added.context["adminform"].form.errors if added.context else added
    refused = client.post(reverse("admin:mail_cannedreply_add"), {**data, "title": "Bad", "body": "{password}"})
    assert refused.status_code == 200 and "Unknown placeholder {password}" in refused.content.decode()

    client.force_login(org.agent_a)
    assert client.get(reverse("admin:mail_cannedreply_changelist")).status_code in (302, 403)
    assert list(CannedReply.objects.values_list("title", flat=True)) == ["Merci"]
