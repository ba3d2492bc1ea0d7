"""Sending the queued mail (replies, acknowledgements) through Django's mail backend.

Each queued :class:`~contactcenter.mail.models.EmailMessage` has its job,
:func:`email_send_job`, queued in the transaction that queued the message (the job exists only if
the message does). The backend is SMTP when ``EMAIL_HOST`` is set (``EMAIL_PORT``,
``EMAIL_HOST_USER``, ``EMAIL_HOST_PASSWORD``, ``EMAIL_USE_TLS``); on the embedded default, files
under ``var/mail/``.

A failure is recorded on the message (attempts, last error) and raised, so that the job runs again
later, waiting longer each time (:mod:`contactcenter.core.jobs`); after the last attempt the message
is ``failed``, shown in the back office, where an admin may queue it again. A message is sent
under its row lock and only while ``queued``: a job run twice, even at once, sends it once. (A
worker that dies after the server accepted the message but before ``sent`` is committed leaves it
queued: the next attempt sends it again, with the same Message-ID; nothing better is possible
without a transaction spanning the SMTP server.)
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage as OutgoingMail
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

from contactcenter.core.jobs import enqueue, job
from contactcenter.mail.models import AutomaticKind, EmailMessage, SendState

logger = logging.getLogger(__name__)

#: How many times a message is tried before it is marked failed (the job's attempts).
SEND_ATTEMPTS = 5


def _outgoing(message: EmailMessage) -> OutgoingMail:
    headers = {"Message-ID": f"<{message.message_id}>"}
    if message.in_reply_to:
        headers["In-Reply-To"] = f"<{message.in_reply_to}>"
    if message.references:
        headers["References"] = " ".join(f"<{item}>" for item in message.references.split())
    if message.automatic == AutomaticKind.AUTO_REPLY:
        headers["Auto-Submitted"] = "auto-replied"  # RFC 3834: other robots do not answer it
    mail = OutgoingMail(
        subject=message.subject,
        body=message.body_text,
        from_email=message.from_address or settings.DEFAULT_FROM_EMAIL,
        to=list(message.to),
        cc=list(message.cc),
        headers=headers,
    )
    # The files added from the desk go with the reply (read from the storage at each attempt).
    for attachment in message.attachments.all():
        if attachment.file:
            with attachment.file.open("rb") as handle:
                mail.attach(attachment.filename, handle.read(), attachment.content_type)
    return mail


class SendFailed(Exception):
    """The mail server refused the message or could not be reached; it stays queued (or failed)."""


def email_send(*, message_id: int) -> str:
    """Send the queued message ``message_id`` (see the module's docstring). Returns what became of
    it: ``sent``, or ``skipped`` when it is not queued (sent already, or gone); raises
    :class:`SendFailed` when sending failed (recorded first).

    The message's row stays locked while the mail server is talked to (``EMAIL_TIMEOUT`` at most):
    two runs of its job at once send it once, the second finding it sent."""
    failure: Exception | None = None
    with transaction.atomic():
        message = EmailMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.send_state != SendState.QUEUED:
            return "skipped"
        message.send_attempts += 1
        try:
            with get_connection(fail_silently=False) as connection:
                connection.send_messages([_outgoing(message)])
        except Exception as exc:
            failure = exc
            message.send_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.send_attempts >= SEND_ATTEMPTS:
                message.send_state = SendState.FAILED
        else:
            message.send_state, message.sent_at, message.send_error = SendState.SENT, timezone.now(), ""
        message.save(update_fields=["send_attempts", "send_error", "send_state", "sent_at"])
    if failure is not None:
        logger.warning("mail: sending %s failed (attempt %s): %s", message.message_id, message.send_attempts, failure)
        raise SendFailed(str(failure)) from failure
    logger.info("mail: %s sent to %s", message.message_id, ", ".join(message.to))
    return "sent"


@job(name="email_send", retries=SEND_ATTEMPTS - 1, backoff=timedelta(minutes=1))
def email_send_job(message_id: int) -> str:
    """Send the queued message ``message_id``. Runs twice safely: a message is sent only while
    queued, under its row lock (see the module's docstring)."""
    return email_send(message_id=message_id)


def email_send_queue(message: EmailMessage) -> None:
    """Queue the job sending ``message`` (inside the caller's transaction)."""
    enqueue(email_send_job, message.pk)


def email_send_again(*, message: EmailMessage) -> EmailMessage:
    """Queue a failed message again (an admin's action), with its job; its attempts start over."""
    with transaction.atomic():
        updated = EmailMessage.objects.filter(pk=message.pk, send_state=SendState.FAILED).update(
            send_state=SendState.QUEUED, send_attempts=0
        )
        if updated:
            email_send_queue(message)
    message.refresh_from_db()
    return message
