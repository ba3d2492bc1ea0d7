"""Reading mailboxes over IMAP, from a real Dovecot (tests/mail/dovecot.py) fed with the corpus."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from contactcenter.mail.imap import imap_utf7, mailbox_fetch
from contactcenter.mail.models import AutomaticKind, EmailMessage, Mailbox, SendState
from contactcenter.mail.services import mailbox_create, mailbox_update
from contactcenter.mail.tasks import email_fetch
from customers.models import ContactPoint
from tests.mail.conftest import corpus
from tests.mail.dovecot import PASSWORD, USER, Dovecot, free_port

pytestmark = pytest.mark.django_db

#: Not a mail: no header line at all (Dovecot keeps whatever it is given).
NOT_A_MAIL = b"just a line of text, no header\r\n"


@pytest.fixture
def folder(dovecot: Dovecot) -> str:
    """A folder of this test's own on the server (the module shares one Dovecot)."""
    name = f"Support-{uuid.uuid4().hex[:8]}"
    dovecot.create(name)
    return name


def read_over_imap(mailbox: Mailbox, dovecot: Dovecot, folder: str, **changes: object) -> Mailbox:
    fields = {
        "imap_host": dovecot.host,
        "imap_port": dovecot.port,
        "imap_use_tls": False,
        "imap_username": USER,
        "imap_password": PASSWORD,
        "imap_folder": folder,
        **changes,
    }
    for name, value in fields.items():
        setattr(mailbox, name, value)
    mailbox.save()
    return mailbox


@pytest.fixture
def imap_mailbox(mailbox: Mailbox, dovecot: Dovecot, folder: str) -> Mailbox:
    return read_over_imap(mailbox, dovecot, folder)


def fetch(*args: str) -> int:
    try:
        call_command("email_fetch", *args)
    except CommandError as exc:
        return exc.returncode
    return 0


def inbound() -> list[EmailMessage]:
    return list(EmailMessage.objects.filter(direction="inbound").order_by("id"))


def test_a_message_in_the_folder_becomes_a_ticket_with_its_customer(imap_mailbox, dovecot, folder, capsys):
    uid = dovecot.deliver(corpus("apple_mail.eml"), folder)

    assert fetch() == 0

    [message] = inbound()
    assert message.mailbox == imap_mailbox
    assert message.subject == "Question sur mon contrat"
    assert message.ticket is not None and message.ticket.queue == imap_mailbox.queue
    customer = ContactPoint.objects.get(value="chloe.martin@icloud.test").customer
    assert message.ticket.customer == customer
    assert (customer.first_name, customer.last_name) == ("Chloé", "Martin")
    # Acknowledged like piped-in mail.
    assert EmailMessage.objects.filter(direction="outbound", send_state=SendState.QUEUED).count() == 1
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.imap_last_uid == uid
    assert imap_mailbox.imap_uidvalidity == dovecot.uidvalidity(folder)
    assert imap_mailbox.last_error == ""
    assert imap_mailbox.last_fetched_at is not None
    assert b"\\Seen" in dovecot.flags(uid, folder)
    assert "support@example.com: 1 stored, 0 already stored, 0 skipped" in capsys.readouterr().out


def test_read_twice_and_delivered_twice_it_is_stored_once_and_the_last_uid_moves_on(imap_mailbox, dovecot, folder):
    dovecot.deliver(corpus("apple_mail.eml"), folder)
    dovecot.deliver(corpus("gmail_alternative_attachment.eml"), folder)
    first = mailbox_fetch(imap_mailbox)
    assert (first.stored, first.duplicates, first.error) == (2, 0, "")

    again = mailbox_fetch(imap_mailbox)  # nothing new: nothing read
    assert (again.stored, again.duplicates) == (0, 0)

    third = dovecot.deliver(corpus("apple_mail.eml"), folder)  # the same mail once more
    result = mailbox_fetch(imap_mailbox)
    assert (result.stored, result.duplicates) == (0, 1)
    assert len(inbound()) == 2
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.imap_last_uid == third == 3
    assert b"\\Seen" in dovecot.flags(third, folder)


def test_a_new_uidvalidity_reads_the_folder_again_from_its_start(imap_mailbox, dovecot, folder):
    dovecot.deliver(corpus("apple_mail.eml"), folder)
    dovecot.deliver(corpus("gmail_alternative_attachment.eml"), folder)
    mailbox_fetch(imap_mailbox)
    imap_mailbox.refresh_from_db()
    old_validity = imap_mailbox.imap_uidvalidity
    assert imap_mailbox.imap_last_uid == 2

    # The folder recreated: UIDs start at 1 again, under another UIDVALIDITY.
    dovecot.delete(folder)
    dovecot.create(folder)
    dovecot.deliver(corpus("gmail_alternative_attachment.eml"), folder)  # stored already
    new_uid = dovecot.deliver(corpus("html_only.eml"), folder)  # new, with a UID below the old last one
    assert dovecot.uidvalidity(folder) != old_validity

    result = mailbox_fetch(imap_mailbox)

    assert result.restarted
    assert (result.stored, result.duplicates) == (1, 1)
    assert len(inbound()) == 3
    imap_mailbox.refresh_from_db()
    assert (imap_mailbox.imap_uidvalidity, imap_mailbox.imap_last_uid) == (dovecot.uidvalidity(folder), new_uid)


def test_a_refused_login_is_the_mailbox_last_error_and_the_others_are_read(
    imap_mailbox, dovecot, folder, caplog, capsys
):
    wrong = "not-the-Password-42"
    refused = mailbox_create(address="aaa@example.com", queue=imap_mailbox.queue, language="fr")
    read_over_imap(refused, dovecot, folder, imap_password=wrong)
    dovecot.deliver(corpus("apple_mail.eml"), folder)

    with caplog.at_level(logging.DEBUG):
        assert fetch() == 0  # one of the two was read

    refused.refresh_from_db()
    assert "refused the login of support" in refused.last_error
    assert "AUTHENTICATIONFAILED" in refused.last_error
    assert refused.last_fetched_at is not None and refused.imap_last_uid == 0
    assert len(inbound()) == 1 and inbound()[0].mailbox == imap_mailbox
    output = capsys.readouterr()
    assert "aaa@example.com: not read" in output.err
    for text in (refused.last_error, caplog.text, output.out, output.err):
        assert wrong not in text and PASSWORD not in text

    # Every mailbox failing: the command fails.
    read_over_imap(imap_mailbox, dovecot, folder, imap_password=wrong)
    assert fetch() == 1


def test_an_unreachable_server_and_a_missing_folder_are_reported(imap_mailbox, dovecot, folder):
    read_over_imap(imap_mailbox, dovecot, folder, imap_port=free_port())
    result = mailbox_fetch(imap_mailbox)
    assert result.error.startswith("Could not connect to 127.0.0.1:")
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_error == result.error

    read_over_imap(imap_mailbox, dovecot, "No such folder")
    result = mailbox_fetch(imap_mailbox)
    assert "No such folder" in result.error and "could not be opened" in result.error

    # Fixed: the error goes.
    read_over_imap(imap_mailbox, dovecot, folder)
    assert mailbox_fetch(imap_mailbox).ok
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_error == ""


def test_an_auto_reply_read_is_stored_flagged_and_not_acknowledged(imap_mailbox, dovecot, folder):
    dovecot.deliver(corpus("auto_reply.eml"), folder)

    assert mailbox_fetch(imap_mailbox).stored == 1

    [message] = inbound()
    assert message.automatic == AutomaticKind.AUTO_REPLY
    assert not EmailMessage.objects.filter(direction="outbound").exists()


def test_what_is_not_a_mail_is_skipped_once_named_and_left_unread(imap_mailbox, dovecot, folder, caplog):
    junk = dovecot.deliver(NOT_A_MAIL, folder)
    dovecot.deliver(corpus("apple_mail.eml"), folder)

    result = mailbox_fetch(imap_mailbox)

    assert (result.skipped, result.stored) == ([junk], 1)
    assert f"UID {junk} is not a mail" in caplog.text
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.imap_last_uid == 2
    assert f"UID: {junk}" in imap_mailbox.last_error
    assert b"\\Seen" not in dovecot.flags(junk, folder)
    # Not tried again.
    assert mailbox_fetch(imap_mailbox).skipped == []


def test_the_job_reads_the_mailboxes_due_and_is_off_at_0(imap_mailbox, dovecot, folder, settings):
    dovecot.deliver(corpus("apple_mail.eml"), folder)
    settings.EMAIL_FETCH_INTERVAL_SECONDS = 0
    assert email_fetch() == {"mailboxes": 0, "failed": 0, "stored": 0, "skipped": 0}
    assert inbound() == []

    settings.EMAIL_FETCH_INTERVAL_SECONDS = 60
    assert email_fetch() == {"mailboxes": 1, "failed": 0, "stored": 1, "skipped": 0}
    dovecot.deliver(corpus("html_only.eml"), folder)
    # Read a moment ago: not due yet.
    assert email_fetch()["mailboxes"] == 0
    assert len(inbound()) == 1
    # A minute later it is.
    imap_mailbox.refresh_from_db()
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(
        last_fetched_at=imap_mailbox.last_fetched_at - timedelta(minutes=1)
    )
    assert email_fetch()["stored"] == 1
    assert len(inbound()) == 2


def test_an_inactive_mailbox_or_one_without_imap_is_not_read(imap_mailbox, dovecot, folder, capsys):
    dovecot.deliver(corpus("apple_mail.eml"), folder)
    imap_mailbox.is_active = False
    imap_mailbox.save()
    assert fetch() == 0
    assert "No mailbox is read over IMAP." in capsys.readouterr().out
    assert fetch("--mailbox", "support@example.com") == 1
    assert inbound() == []


def test_the_loop_reads_again_each_round(imap_mailbox, dovecot, folder, capsys):
    dovecot.deliver(corpus("apple_mail.eml"), folder)
    assert fetch("--mailbox", "SUPPORT@example.com", "--loop", "--interval", "0", "--rounds", "2") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "support@example.com: 1 stored, 0 already stored, 0 skipped",
        "support@example.com: 0 stored, 0 already stored, 0 skipped",
    ]


def test_folder_names_are_sent_in_imap_utf7(mailbox, dovecot):
    # RFC 3501's own example.
    assert imap_utf7("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
    assert imap_utf7("R&D") == "R&-D"
    name = f"Réclamations {uuid.uuid4().hex[:6]}"
    dovecot.create(imap_utf7(name).join('""'))
    dovecot.deliver(corpus("apple_mail.eml"), imap_utf7(name).join('""'))
    read_over_imap(mailbox, dovecot, name)
    assert mailbox_fetch(mailbox).stored == 1


def test_starttls_checks_the_server_certificate(mailbox, dovecot_tls, monkeypatch):
    folder = f"Support-{uuid.uuid4().hex[:8]}"
    dovecot_tls.create(folder)
    dovecot_tls.deliver(corpus("apple_mail.eml"), folder)
    read_over_imap(mailbox, dovecot_tls, folder, imap_use_tls=True)  # port not 993: STARTTLS

    # A self-signed certificate nobody trusts: no login, the reason said.
    result = mailbox_fetch(mailbox)
    assert "CERTIFICATE_VERIFY_FAILED" in result.error
    assert inbound() == []

    # Trusted (as an internal CA would be, through the system's store or SSL_CERT_FILE): read.
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot_tls.certificate))
    assert mailbox_fetch(mailbox).stored == 1


def test_another_folder_is_read_from_its_start(imap_mailbox, dovecot, folder):
    dovecot.deliver(corpus("apple_mail.eml"), folder)
    dovecot.deliver(corpus("gmail_alternative_attachment.eml"), folder)
    mailbox_fetch(imap_mailbox)
    other = f"Other-{uuid.uuid4().hex[:8]}"
    dovecot.create(other)
    dovecot.deliver(corpus("html_only.eml"), other)

    imap_mailbox = mailbox_update(mailbox=imap_mailbox, changes={"imap_folder": other})
    assert (imap_mailbox.imap_uidvalidity, imap_mailbox.imap_last_uid) == (None, 0)

    assert mailbox_fetch(imap_mailbox).stored == 1
    assert len(inbound()) == 3
