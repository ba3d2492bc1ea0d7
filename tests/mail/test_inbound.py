"""Mail received (contactcenter.mail.inbound): the corpus through ``email_receive``, path by path."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings

from contactcenter.mail.inbound import email_receive
from contactcenter.mail.models import EmailAttachment, EmailMessage, Mailbox
from contactcenter.mail.parsing import MailParseError
from customers.models import Customer
from customers.services import customer_create, customer_erase
from interactions.models import Interaction, Ticket
from interactions.services import ticket_create, ticket_update
from tests.mail.conftest import corpus

pytestmark = pytest.mark.django_db

OUR_ID = "sb-0123456789abcdef0123456789abcdef@example.com"


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def our_reply_on(ticket: Ticket, mailbox: Mailbox, message_id: str = OUR_ID) -> EmailMessage:
    """A reply we sent on ``ticket`` (what the outbound part stores)."""
    return EmailMessage.objects.create(
        mailbox=mailbox,
        ticket=ticket,
        direction="outbound",
        message_id=message_id,
        from_address=mailbox.address,
        subject=f"[{ticket.reference}] Votre demande",
        send_state="sent",
    )


def test_a_new_mail_opens_a_ticket_for_a_new_customer_and_is_acknowledged(mailbox):
    outcome = email_receive(mailbox=mailbox, raw=corpus("outlook_html_inline.eml"))

    assert outcome.ticket_created and outcome.customer_created and not outcome.duplicate
    message = outcome.message
    ticket = message.ticket
    assert ticket.queue == mailbox.queue and ticket.status == "new" and ticket.priority == "normal"
    assert ticket.subject == "Problème de livraison commande 78412"
    assert ticket.description.startswith("Bonjour,\n\nMa commande 78412")
    assert "Envoyé" not in ticket.description  # Outlook's history block trimmed …
    assert "Envoyé" in message.full_text  # … and kept
    assert ticket.sla_policy is not None and ticket.first_response_due is not None
    customer = ticket.customer
    assert (customer.first_name, customer.last_name, customer.language) == ("Jeanne", "Dupont", "fr")
    assert list(customer.contact_points.values_list("kind", "value")) == [("email", "jeanne.dupont@example.com")]

    interaction = message.interaction
    assert (interaction.channel, interaction.direction) == ("email", "inbound")
    assert (interaction.customer, interaction.queue, interaction.ticket) == (customer, mailbox.queue, ticket)
    assert interaction.external_id == message.message_id and interaction.source == "email"
    assert interaction.offered_at == datetime(2025, 10, 14, 7, 12, 40, tzinfo=UTC)
    assert interaction.answered_at is None and interaction.ended_at is None

    # The HTML sanitized: the handler gone, the inline image's cid kept; the image stored.
    assert "onerror" not in message.body_html and 'src="cid:image001.png@01DC3CD2.5E2A9F10"' in message.body_html
    assert "129,90" in message.body_text and "€" in message.body_text
    (image,) = message.attachments.all()
    assert (image.filename, image.content_type, image.content_id) == (
        "image001.png",
        "image/png",
        "image001.png@01DC3CD2.5E2A9F10",
    )
    assert image.file.read().startswith(b"\x89PNG") and image.size == 70
    assert message.raw.read() == corpus("outlook_html_inline.eml")

    ack = outcome.acknowledgement
    assert ack.send_state == "queued" and ack.direction == "outbound" and ack.automatic == "auto_reply"
    assert ack.to == ["jeanne.dupont@example.com"] and ack.from_address == "support@example.com"
    assert ack.subject == f"[{ticket.reference}] Nous avons bien reçu votre demande : {ticket.subject}"
    assert ack.in_reply_to == message.message_id and ack.references.split()[-1] == message.message_id
    assert ack.body_text == (
        f"Bonjour Jeanne Dupont,\n\nVotre demande porte la référence {ticket.reference}.\n\n-- \nLe service client"
    )
    assert ack.interaction is None  # an acknowledgement is no first response


def test_the_sender_is_matched_to_a_customer_by_email_in_any_case(mailbox):
    known = customer_create(first_name="Jeanne", last_name="Dupont-Martin", emails=["JEANNE.DUPONT@example.com"])

    outcome = email_receive(mailbox=mailbox, raw=corpus("outlook_html_inline.eml"))

    assert outcome.message.ticket.customer == known and not outcome.customer_created
    assert Customer.objects.count() == 1


def test_a_gmail_message_keeps_its_attachment_and_trims_the_quoted_history(mailbox):
    message = email_receive(mailbox=mailbox, raw=corpus("gmail_alternative_attachment.eml")).message

    assert message.body_text.endswith("Merci de la corriger.\n\nMarc")
    assert "> Bonjour, voici votre facture." in message.full_text
    (pdf,) = message.attachments.all()
    assert (pdf.filename, pdf.content_type, pdf.too_large) == ("Facture-2025-09.pdf", "application/pdf", False)
    assert pdf.file.read().startswith(b"%PDF-1.4")
    assert message.ticket.customer.display_name == "Marc Bernard"


def test_apple_mail_latin1_and_html_only_messages_are_read(mailbox):
    apple = email_receive(mailbox=mailbox, raw=corpus("apple_mail.eml")).message
    assert apple.from_name == "Chloé Martin"
    assert [a.filename for a in apple.attachments.all()] == ["contrat été 2025.pdf"]

    latin = email_receive(mailbox=mailbox, raw=corpus("latin1_rfc2047.eml")).message
    assert latin.subject == "Réclamation facture n° 42 - déjà payée"
    assert "J'ai déjà payé la facture n° 42 (35 €)" in latin.body_text
    assert latin.ticket.customer.display_name == "François Léger"

    html = email_receive(mailbox=mailbox, raw=corpus("html_only.eml")).message
    assert html.body_text == "Nom : Visiteur\n\nMessage : J'aimerais être rappelé.\nlien"
    for dropped in ("script", "alert", "onclick", "javascript:", "<style"):
        assert dropped not in html.body_html


def test_a_reply_naming_our_message_joins_its_ticket_and_reopens_it(mailbox):
    first = email_receive(mailbox=mailbox, raw=corpus("gmail_alternative_attachment.eml"))
    ticket = first.message.ticket
    our_reply_on(ticket, mailbox)
    ticket_update(ticket=ticket, changes={"status": "resolved"})

    outcome = email_receive(mailbox=mailbox, raw=corpus("reply_in_reply_to.eml"))

    assert outcome.message.ticket == ticket and not outcome.ticket_created and outcome.ticket_reopened
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.resolved_at is None
    assert outcome.acknowledgement is None  # a reply is not acknowledged
    assert outcome.message.interaction.ticket == ticket
    assert outcome.message.interaction.customer == first.message.ticket.customer
    assert Ticket.objects.count() == 1 and ticket.interactions.count() == 2


def test_a_ticket_reference_in_the_subject_joins_that_ticket(mailbox):
    ticket = ticket_create(subject="Ma commande", queue=mailbox.queue)
    Ticket.objects.filter(pk=ticket.pk).update(reference="T-000123")
    ticket_update(ticket=Ticket.objects.get(pk=ticket.pk), changes={"status": "closed"})

    outcome = email_receive(mailbox=mailbox, raw=corpus("subject_reference.eml"))

    assert outcome.message.ticket.pk == ticket.pk and outcome.ticket_reopened
    assert Ticket.objects.get(pk=ticket.pk).status == "open"


def test_an_unknown_reference_opens_a_new_ticket(mailbox):
    outcome = email_receive(mailbox=mailbox, raw=corpus("subject_reference.eml"))
    assert outcome.ticket_created and outcome.message.ticket.subject == "Re : [T-000123] Ma commande"


def test_the_same_message_twice_is_stored_once(mailbox):
    first = email_receive(mailbox=mailbox, raw=corpus("gmail_alternative_attachment.eml"))
    files = stored_files()

    again = email_receive(mailbox=mailbox, raw=corpus("gmail_alternative_attachment.eml"))

    assert again.duplicate and again.message == first.message and again.acknowledgement is None
    assert EmailMessage.objects.filter(direction="inbound").count() == 1
    assert (Ticket.objects.count(), Interaction.objects.count(), Customer.objects.count()) == (1, 1, 1)
    assert EmailMessage.objects.filter(direction="outbound").count() == 1  # one acknowledgement
    assert stored_files() == files


def test_a_message_without_message_id_gets_a_stable_one(mailbox):
    first = email_receive(mailbox=mailbox, raw=corpus("no_message_id.eml"))
    again = email_receive(mailbox=mailbox, raw=corpus("no_message_id.eml"))

    assert first.message.message_id.endswith("@derived.switchboard.invalid")
    assert again.duplicate and again.message == first.message
    assert EmailMessage.objects.filter(direction="inbound").count() == 1


def test_an_auto_reply_joins_its_ticket_flagged_without_reopening_nor_answer(mailbox):
    ticket = ticket_create(subject="Votre demande", queue=mailbox.queue)
    our_reply_on(ticket, mailbox)
    ticket_update(ticket=ticket, changes={"status": "pending"})

    outcome = email_receive(mailbox=mailbox, raw=corpus("auto_reply.eml"))

    message = outcome.message
    assert message.automatic == "auto_reply" and message.ticket == ticket
    assert not outcome.ticket_reopened and Ticket.objects.get(pk=ticket.pk).status == "pending"
    assert outcome.acknowledgement is None and message.interaction is None
    assert not Customer.objects.exists()  # a machine is no customer


@pytest.mark.parametrize(
    ("name", "kind"),
    [("bounce.eml", "bounce"), ("mailing_list.eml", "list"), ("auto_reply.eml", "auto_reply")],
)
def test_mail_a_machine_sent_is_stored_flagged_and_never_acknowledged(mailbox, name, kind):
    outcome = email_receive(mailbox=mailbox, raw=corpus(name))

    assert outcome.message.automatic == kind
    assert outcome.acknowledgement is None
    assert not EmailMessage.objects.filter(direction="outbound").exists()
    assert outcome.message.interaction is None and not Interaction.objects.exists()
    assert not Customer.objects.exists()
    assert outcome.message.ticket is not None  # nothing lost: someone looks at it


def test_a_bounce_keeps_its_delivery_report(mailbox):
    message = email_receive(mailbox=mailbox, raw=corpus("bounce.eml")).message
    names = sorted(message.attachments.values_list("filename", "content_type"))
    assert names == [
        ("delivery-status.txt", "message/delivery-status"),
        ("returned-headers.txt", "text/rfc822-headers"),
    ]
    assert "User unknown" in message.body_text


def test_our_own_mail_coming_back_is_a_loop_stored_and_nothing_else(mailbox):
    raw = corpus("subject_reference.eml").replace(b"From: support-client@example.org", b"From: support@example.com")

    outcome = email_receive(mailbox=mailbox, raw=raw)

    assert outcome.message.automatic == "loop"
    assert outcome.message.ticket is None and outcome.message.interaction is None
    assert not Ticket.objects.exists() and outcome.acknowledgement is None


def test_attachments_over_the_limit_are_listed_not_stored(mailbox, settings):
    settings.EMAIL_ATTACHMENT_MAX_BYTES = 100

    message = email_receive(mailbox=mailbox, raw=corpus("gmail_alternative_attachment.eml")).message

    (pdf,) = message.attachments.all()
    assert pdf.too_large and pdf.size == 136 and not pdf.file
    image = email_receive(mailbox=mailbox, raw=corpus("outlook_html_inline.eml")).message.attachments.get()
    assert not image.too_large and image.file  # 70 bytes: kept


def test_a_failure_midway_leaves_nothing_behind(mailbox):
    # A template the checks would refuse, written past them: the acknowledgement, written last,
    # fails after the message and its files.
    Mailbox.objects.filter(pk=mailbox.pk).update(acknowledgement_body="Bonjour {name}")
    mailbox.refresh_from_db()

    with pytest.raises(KeyError):
        email_receive(mailbox=mailbox, raw=corpus("outlook_html_inline.eml"))

    assert not EmailMessage.objects.exists() and not EmailAttachment.objects.exists()
    assert not Ticket.objects.exists() and not Customer.objects.exists() and not Interaction.objects.exists()
    assert stored_files() == []


@pytest.mark.parametrize("raw", [b"", b"   \n", b"\x00\x01binary garbage without any header line"])
def test_what_is_not_a_mail_is_refused(mailbox, raw):
    with pytest.raises(MailParseError):
        email_receive(mailbox=mailbox, raw=raw)
    assert not EmailMessage.objects.exists()


def test_erasing_the_customer_blanks_their_mail_and_deletes_its_files(mailbox, django_capture_on_commit_callbacks):
    message = email_receive(mailbox=mailbox, raw=corpus("outlook_html_inline.eml")).message
    customer = message.ticket.customer
    assert len(stored_files()) == 2  # the raw message, the inline image

    with django_capture_on_commit_callbacks(execute=True):
        record = customer_erase(customer=customer)

    message.refresh_from_db()
    assert (message.from_address, message.from_name, message.subject) == ("", "", "[erased]")
    assert (message.body_text, message.full_text, message.body_html, message.raw.name) == ("", "", "", "")
    assert not message.attachments.exists() and stored_files() == []
    assert record.counts["email_messages"] == 2 and record.counts["email_attachments"] == 1  # and the acknowledgement
    # Still known by its id: delivered again, it is not stored a second time.
    assert email_receive(mailbox=mailbox, raw=corpus("outlook_html_inline.eml")).duplicate
