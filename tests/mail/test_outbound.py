"""Replies sent (contactcenter.mail.outbound, .sending), against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest
from django.utils.module_loading import import_string
from django_q.models import OrmQ, Schedule
from django_q.signing import SignedPackage

from contactcenter.mail.inbound import email_receive
from contactcenter.mail.models import EmailMessage
from contactcenter.mail.sending import SEND_ATTEMPTS, SendFailed, email_send, email_send_again
from interactions.models import Interaction
from interactions.services import ticket_comment_add
from tests.agents.factories import AgentProfileFactory
from tests.concurrency import race, role_groups, run_concurrently  # noqa: F401  (role_groups: a fixture)
from tests.mail.conftest import corpus
from tests.mail.smtp_server import SmtpServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    yield server
    server.stop()


def queued_jobs() -> list[dict]:
    return [SignedPackage.loads(row.payload) for row in OrmQ.objects.order_by("pk")]


def run_queued_jobs() -> list:
    """What a worker does with each queued job: take it, run its function with its arguments."""
    results = []
    for row in OrmQ.objects.order_by("pk"):
        task = SignedPackage.loads(row.payload)
        row.delete()
        results.append(import_string(task["func"])(*task["args"], **task["kwargs"]))
    return results


@pytest.fixture
def agent(mailbox):
    return AgentProfileFactory(user__username="agent_mail", queues=[mailbox.queue]).user


def test_a_public_comment_on_an_email_ticket_is_sent_threaded_from_the_mailbox(mailbox, agent, smtp):
    received = email_receive(mailbox=mailbox, raw=corpus("gmail_alternative_attachment.eml"))
    ticket = received.message.ticket
    run_queued_jobs()  # the acknowledgement
    assert len(smtp.received) == 1 and smtp.received[0].message["Auto-Submitted"] == "auto-replied"

    ticket_comment_add(ticket=ticket, body="Bonjour Marc,\n\nLa facture est corrigée.", public=True, author=agent)

    reply = EmailMessage.objects.get(direction="outbound", automatic="none")
    assert reply.send_state == "queued" and [job["name"] for job in queued_jobs()] == ["email_send 1/5"]
    assert run_queued_jobs() == ["sent"]
    sent = smtp.received[-1]
    assert sent.mail_from == "support@example.com" and sent.rcpt_tos == ["marc.bernard@gmail.test"]
    message = sent.message
    assert message["Subject"] == f"[{ticket.reference}] Re: Facture incorrecte"
    assert message["Message-ID"] == f"<{reply.message_id}>" and reply.message_id.startswith("sb-")
    assert message["In-Reply-To"] == f"<{received.message.message_id}>"
    assert message["References"] == f"<{received.message.message_id}>"
    assert (
        message.get_content().replace("\r\n", "\n")
        == "Bonjour Marc,\n\nLa facture est corrigée.\n\n-- \nLe service client\n"
    )
    reply.refresh_from_db()
    assert reply.send_state == "sent" and reply.sent_at is not None and reply.send_attempts == 1

    interaction = reply.interaction
    assert (interaction.channel, interaction.direction, interaction.agent) == ("email", "outbound", agent)
    assert interaction.ticket == ticket and interaction.customer == ticket.customer
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None

    # The customer answers the reply: the same ticket.
    answer = (
        corpus("reply_in_reply_to.eml")
        .replace(b"sb-0123456789abcdef0123456789abcdef@example.com", reply.message_id.encode())
        .replace(b"<7c1d2e3f", b"<8d2e3f4a")
    )
    assert email_receive(mailbox=mailbox, raw=answer).message.ticket == ticket


def test_an_internal_comment_or_a_ticket_without_mail_sends_nothing(mailbox, agent, smtp):
    received = email_receive(mailbox=mailbox, raw=corpus("apple_mail.eml"))
    OrmQ.objects.all().delete()
    ticket_comment_add(ticket=received.message.ticket, body="Note interne", public=False, author=agent)
    other = received.message.ticket.__class__.objects.create(subject="By phone", reference="T-999999")
    ticket_comment_add(ticket=other, body="Réponse", public=True, author=agent)
    assert not EmailMessage.objects.filter(direction="outbound", automatic="none").exists()
    assert not OrmQ.objects.exists()


def test_a_refused_message_is_retried_with_backoff_then_sent_once(mailbox, agent, smtp):
    ticket = email_receive(mailbox=mailbox, raw=corpus("apple_mail.eml")).message.ticket
    OrmQ.objects.all().delete()
    ticket_comment_add(ticket=ticket, body="Voici la réponse.", public=True, author=agent)
    reply = EmailMessage.objects.get(direction="outbound", automatic="none")
    smtp.refuse_next(1)

    with pytest.raises(SendFailed):
        run_queued_jobs()

    reply.refresh_from_db()
    assert (reply.send_state, reply.send_attempts) == ("queued", 1) and "451" in reply.send_error
    # The next attempt, a minute later (then twice as long each time).
    retry = Schedule.objects.get(func="contactcenter.mail.sending.email_send_job", kwargs__contains="email_send 2/5")
    assert retry.args == f"({reply.pk},)" and retry.next_run > reply.created_at

    assert email_send(message_id=reply.pk) == "sent"
    assert email_send(message_id=reply.pk) == "skipped"  # never twice
    assert [r.message["Message-ID"] for r in smtp.received].count(f"<{reply.message_id}>") == 1


def test_after_the_last_attempt_the_message_is_failed_and_can_be_queued_again(mailbox, agent, smtp):
    ticket = email_receive(mailbox=mailbox, raw=corpus("apple_mail.eml")).message.ticket
    ticket_comment_add(ticket=ticket, body="Voici la réponse.", public=True, author=agent)
    reply = EmailMessage.objects.get(direction="outbound", automatic="none")
    smtp.refuse_next(SEND_ATTEMPTS)

    for _attempt in range(SEND_ATTEMPTS):
        with pytest.raises(SendFailed):
            email_send(message_id=reply.pk)

    reply.refresh_from_db()
    assert reply.send_state == "failed" and reply.send_attempts == SEND_ATTEMPTS
    assert email_send(message_id=reply.pk) == "skipped"

    OrmQ.objects.all().delete()
    email_send_again(message=reply)
    assert run_queued_jobs() == ["sent"]
    reply.refresh_from_db()
    assert reply.send_state == "sent" and reply.send_error == ""


def test_the_embedded_default_writes_the_mail_under_var_mail(mailbox, agent, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    ticket = email_receive(mailbox=mailbox, raw=corpus("latin1_rfc2047.eml")).message.ticket
    ticket_comment_add(ticket=ticket, body="Bien reçu.", public=True, author=agent)

    assert run_queued_jobs() == ["sent", "sent"]  # the acknowledgement, the reply

    # One file per message, the message then a line of dashes.
    written = [
        BytesParser(policy=policy.default).parsebytes(path.read_bytes().rpartition(b"\n---")[0])
        for path in (tmp_path / "mail").iterdir()
    ]
    assert [message["From"] for message in written] == ["support@example.com"] * 2
    assert all(f"[{ticket.reference}]" in message["Subject"] for message in written)
    assert Interaction.objects.filter(direction="outbound").count() == 1


@race
def test_two_runs_of_the_job_at_once_send_the_message_once(mailbox, smtp):
    queued = EmailMessage.objects.create(
        mailbox=mailbox,
        direction="outbound",
        message_id="sb-0000000000000000000000000000race@example.com",
        from_address=mailbox.address,
        to=["jeanne.dupont@example.com"],
        subject="[T-000001] Re: Livraison",
        body_text="Votre colis arrive demain.",
        send_state="queued",
    )

    results = run_concurrently(*[lambda: email_send(message_id=queued.pk) for _ in range(3)])

    assert sorted(results) == ["sent", "skipped", "skipped"]
    assert len(smtp.received) == 1
    queued.refresh_from_db()
    assert (queued.send_state, queued.send_attempts) == ("sent", 1)
