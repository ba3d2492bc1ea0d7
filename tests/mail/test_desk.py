"""An email ticket on the desk: the conversation (mail in and out, the quoted history folded, the
attachments behind an access-checked download, the send state with "send again"), the reply box
with files and canned replies; through Django's client as htmx calls it, the replies sent to a
real SMTP server on 127.0.0.1."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_q.models import OrmQ

from contactcenter.mail.inbound import email_receive
from contactcenter.mail.models import CannedReply, EmailAttachment, EmailMessage
from contactcenter.mail.sending import SEND_ATTEMPTS, SendFailed, email_send
from interactions.models import TicketComment
from interactions.services import ticket_comment_add
from tests.agents.factories import AgentProfileFactory, QueueFactory
from tests.mail.conftest import corpus
from tests.mail.test_outbound import queued_jobs, run_queued_jobs, smtp  # noqa: F401  (smtp: a fixture)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def agent(mailbox):
    return AgentProfileFactory(
        user__username="agent_mail", user__first_name="Léa", user__last_name="Roux", queues=[mailbox.queue]
    ).user


@pytest.fixture
def stranger(db):
    return AgentProfileFactory(user__username="agent_elsewhere", queues=[QueueFactory(name="Elsewhere")]).user


def detail(client, ticket):
    return client.get(reverse("desk:ticket_detail", args=[ticket.pk]), **HTMX)


def test_an_email_ticket_reads_as_a_conversation_with_its_attachments(client, mailbox, agent, stranger):
    received = email_receive(mailbox=mailbox, raw=corpus("gmail_alternative_attachment.eml")).message
    ticket = received.ticket
    ticket_comment_add(ticket=ticket, body="Nous corrigeons la facture.", public=True, author=agent)
    client.force_login(agent)

    page = detail(client, ticket).content.decode()

    assert "Email conversation" in page
    # In time order: the customer's mail (the acknowledgement sent before it is stored after), the reply.
    assert page.index("marc.bernard@gmail.test") < page.index("Nous corrigeons la facture.")
    assert "Facture incorrecte" in page and "Queued for sending" in page
    # The quoted history is folded, not lost.
    assert '<details class="email-quoted">' in page and "Bonjour, voici votre facture." in page
    attachment = EmailAttachment.objects.get(message=received, filename="Facture-2025-09.pdf")
    link = reverse("desk:ticket_email_attachment", args=[ticket.pk, attachment.pk])
    assert link in page

    download = client.get(link)
    assert download.status_code == 200 and download["Content-Type"] == "application/octet-stream"
    assert "attachment" in download["Content-Disposition"] and b"".join(download.streaming_content).startswith(b"%PDF")

    # Who may not see the ticket gets nothing, and a file of another ticket is not behind this one.
    client.force_login(stranger)
    assert client.get(link).status_code == 404
    other = email_receive(mailbox=mailbox, raw=corpus("apple_mail.eml")).message.ticket
    client.force_login(agent)
    assert client.get(reverse("desk:ticket_email_attachment", args=[other.pk, attachment.pk])).status_code == 404


def test_html_only_mail_shows_the_sanitized_html_only(client, mailbox, agent):
    received = email_receive(mailbox=mailbox, raw=corpus("html_only.eml")).message
    received.body_text = ""
    received.body_html = "<p>Bonjour <b>service</b></p>"
    received.save()
    client.force_login(agent)
    page = detail(client, received.ticket).content.decode()
    assert '<div class="ticket-text email-html"><p>Bonjour <b>service</b></p></div>' in page


def test_a_ticket_without_mail_shows_no_conversation_nor_file_input(client, mailbox, agent):
    ticket = email_receive(mailbox=mailbox, raw=corpus("apple_mail.eml")).message.ticket
    EmailMessage.objects.filter(ticket=ticket).update(ticket=None)
    client.force_login(agent)
    page = detail(client, ticket).content.decode()
    assert "Email conversation" not in page and 'type="file"' not in page


def test_a_failed_reply_shows_why_and_is_sent_again_from_the_desk(client, mailbox, agent, stranger, smtp):  # noqa: F811
    ticket = email_receive(mailbox=mailbox, raw=corpus("apple_mail.eml")).message.ticket
    ticket_comment_add(ticket=ticket, body="Voici la réponse.", public=True, author=agent)
    reply = EmailMessage.objects.get(direction="outbound", automatic="none")
    smtp.refuse_next(SEND_ATTEMPTS)
    for _attempt in range(SEND_ATTEMPTS):
        with pytest.raises(SendFailed):
            email_send(message_id=reply.pk)
    client.force_login(agent)

    page = detail(client, ticket).content.decode()
    resend = reverse("desk:ticket_email_resend", args=[ticket.pk, reply.pk])
    assert "Not sent" in page and "451" in page and resend in page

    client.force_login(stranger)
    assert client.post(resend, **HTMX).status_code == 404
    client.force_login(agent)
    OrmQ.objects.all().delete()
    answer = client.post(resend, **HTMX)
    assert answer.status_code == 200 and "queued to be sent again" in answer.content.decode()
    reply.refresh_from_db()
    assert (reply.send_state, reply.send_attempts) == ("queued", 0)
    assert run_queued_jobs() == ["sent"]
    # A reply that is not failed is left as it is: no second job.
    assert client.post(resend, **HTMX).status_code == 200 and not OrmQ.objects.exists()


def test_a_reply_with_files_sends_them_with_it(client, mailbox, agent, smtp):  # noqa: F811
    ticket = email_receive(mailbox=mailbox, raw=corpus("apple_mail.eml")).message.ticket
    OrmQ.objects.all().delete()
    client.force_login(agent)
    files = [
        SimpleUploadedFile("devis.pdf", b"%PDF-1.4 devis", content_type="application/pdf"),
        SimpleUploadedFile("note.txt", "Référence".encode(), content_type="text/plain"),
    ]
    answer = client.post(
        reverse("desk:ticket_comment", args=[ticket.pk]),
        {"body": "Voici le devis.", "public": "on", "attachments": files},
        **HTMX,
    )

    assert answer.status_code == 200, answer.content.decode()
    reply = EmailMessage.objects.get(direction="outbound", automatic="none")
    assert reply.comment == TicketComment.objects.get(ticket=ticket)
    assert sorted(reply.attachments.values_list("filename", "size")) == [("devis.pdf", 14), ("note.txt", 11)]
    assert "devis.pdf" in answer.content.decode()  # listed on the conversation at once
    assert run_queued_jobs() == ["sent"]
    sent = smtp.received[-1].message
    parts = {part.get_filename(): part.get_content() for part in sent.iter_attachments()}
    assert parts == {"devis.pdf": b"%PDF-1.4 devis", "note.txt": "Référence"}
    assert "Voici le devis." in sent.get_body(("plain",)).get_content()


def test_a_file_too_large_or_on_an_internal_note_is_refused_and_nothing_saved(client, mailbox, agent, settings):
    ticket = email_receive(mailbox=mailbox, raw=corpus("apple_mail.eml")).message.ticket
    client.force_login(agent)
    settings.EMAIL_ATTACHMENT_MAX_BYTES = 10
    url = reverse("desk:ticket_comment", args=[ticket.pk])

    big = SimpleUploadedFile("big.bin", b"x" * 11)
    answer = client.post(url, {"body": "Voici.", "public": "on", "attachments": [big]}, **HTMX)
    assert answer.status_code == 400 and "Too large" in answer.content.decode() and "big.bin" in answer.content.decode()

    small = SimpleUploadedFile("small.txt", b"ok")
    answer = client.post(url, {"body": "Note.", "attachments": [small]}, **HTMX)
    assert answer.status_code == 400 and "only be sent with a public reply" in answer.content.decode()

    assert not TicketComment.objects.filter(ticket=ticket).exists()
    assert not EmailMessage.objects.filter(direction="outbound", automatic="none").exists()
    assert not EmailAttachment.objects.filter(message__direction="outbound").exists()


def test_canned_replies_of_the_queue_are_offered_filled_for_the_ticket(client, mailbox, agent):
    ticket = email_receive(mailbox=mailbox, raw=corpus("apple_mail.eml")).message.ticket
    CannedReply.objects.create(
        queue=mailbox.queue,
        title="Contrat reçu",
        body="Bonjour {customer_first_name},\nvotre demande {ticket_reference} est suivie par {agent_name}. {other}",
    )
    CannedReply.objects.create(queue=mailbox.queue, title="Retirée", body="Plus utilisée", is_active=False)
    CannedReply.objects.create(queue=QueueFactory(name="Other"), title="Ailleurs", body="Autre file")
    client.force_login(agent)

    page = detail(client, ticket).content.decode()

    assert 'data-canned-target="ticket-comment-body"' in page
    filled = f"Bonjour Chloé,\nvotre demande {ticket.reference} est suivie par Léa Roux. {{other}}"
    assert f'data-body="{filled}"' in page
    assert "Retirée" not in page and "Ailleurs" not in page


def test_a_canned_reply_with_an_unknown_placeholder_is_refused():
    reply = CannedReply(queue=QueueFactory(), title="Bad", body="Bonjour {customer.__class__} {nom}")
    with pytest.raises(ValidationError) as refused:
        reply.full_clean()
    assert "{nom}" in str(refused.value)


def test_the_conversation_costs_the_same_whatever_its_length(client, mailbox, agent, django_assert_num_queries):
    """Mail, their attachments and the canned replies: one query each, however many there are."""
    ticket = email_receive(mailbox=mailbox, raw=corpus("gmail_alternative_attachment.eml")).message.ticket
    CannedReply.objects.create(queue=mailbox.queue, title="Merci", body="Merci {customer_name}")
    client.force_login(agent)
    detail(client, ticket)  # the session and the caches warm
    # The user with their profile; the ticket; its mail; their attachments; the canned replies; its
    # comments; its interactions; the assignees offered.
    with django_assert_num_queries(8):
        assert detail(client, ticket).status_code == 200
    for n in range(4):
        ticket_comment_add(ticket=ticket, body=f"Réponse {n}", public=True, author=agent)
    with django_assert_num_queries(8):
        assert detail(client, ticket).status_code == 200
