"""Mail sent: a public comment on an email ticket goes to the customer (docs/email.md, "Replies").

:func:`comment_to_email` follows every comment (``interactions.services``' comment watcher):
a public comment on a ticket that came in by email becomes, in the comment's transaction, an
outbound :class:`~contactcenter.mail.models.EmailMessage` queued to the sender of the ticket's
last mail, with its outbound ``email`` interaction, and the job that sends it
(:func:`contactcenter.mail.sending.email_send_job`) queued with it (the job exists only if the comment commits).

The reply is sent from the mailbox's address, ``[T-000123]`` in the subject, its own
``Message-ID``, ``In-Reply-To`` and ``References`` naming the mail it answers, the mailbox's
signature below the text; :mod:`contactcenter.mail.sending` sends it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from contactcenter.core.choices import Channel, Direction
from contactcenter.core.db import full_clean
from contactcenter.mail.inbound import INTERACTION_SOURCE, interaction_key, new_message_id
from contactcenter.mail.models import EmailAttachment, EmailMessage, SendState
from contactcenter.mail.sending import email_send_queue
from interactions.models import Ticket, TicketComment
from interactions.services import interaction_log, ticket_comment_add


def reply_subject(ticket: Ticket, subject: str) -> str:
    """``subject`` carrying ``[T-000123]`` once (``Re:`` added to the subject of a mail answered)."""
    subject = " ".join((subject or ticket.subject).split())
    if f"[{ticket.reference}]" in subject:
        return subject
    prefix = "" if subject.lower().startswith(("re:", "re :")) else "Re: "
    return f"[{ticket.reference}] {prefix}{subject}".strip()


def comment_to_email(*, comment: TicketComment) -> EmailMessage | None:
    """The comment watcher: a public comment on an email ticket becomes a reply queued to the
    sender of the ticket's last mail written by a person (none such: nothing is sent)."""
    if not comment.public:
        return None
    last = (
        EmailMessage.objects.filter(ticket_id=comment.ticket_id, direction=Direction.INBOUND, automatic="none")
        .select_related("mailbox__queue")
        .exclude(from_address="")
        .order_by("-created_at", "-id")
        .first()
    )
    if last is None:
        return None
    return email_reply_queue(
        received=last, ticket=comment.ticket, body=comment.body, author=comment.author, comment=comment
    )


def email_reply_queue(
    *,
    received: EmailMessage,
    ticket: Ticket,
    body: str,
    author: object | None = None,
    now: datetime | None = None,
    comment: TicketComment | None = None,
) -> EmailMessage:
    """Queue ``body`` as the reply to ``received`` on ``ticket``, with its outbound interaction, and
    the job that sends it (inside the caller's transaction: all exist if it commits)."""
    now = now or timezone.now()
    mailbox = received.mailbox
    text = body.rstrip()
    if mailbox.signature.strip():
        text = f"{text}\n\n-- \n{mailbox.signature.strip()}"
    message_id = new_message_id(mailbox)
    interaction, _created = interaction_log(
        channel=Channel.EMAIL,
        direction=Direction.OUTBOUND,
        offered_at=now,
        ended_at=now,
        wrapup_ended_at=now,
        agent=author if getattr(author, "agent_profile", None) is not None else None,
        customer=ticket.customer,
        queue=mailbox.queue,
        ticket=ticket,
        source=INTERACTION_SOURCE,
        external_id=interaction_key(message_id),
    )
    reply = EmailMessage(
        mailbox=mailbox,
        ticket=ticket,
        interaction=interaction,
        direction=Direction.OUTBOUND,
        message_id=message_id,
        in_reply_to=received.message_id,
        references=" ".join([*received.references.split(), received.message_id][-20:]),
        from_address=mailbox.address,
        to=[received.from_address],
        subject=reply_subject(ticket, received.subject)[:998],
        body_text=text,
        full_text=text,
        send_state=SendState.QUEUED,
        comment=comment,
    )
    full_clean(reply, exclude=["message_id", "comment"])
    reply.save()
    email_send_queue(reply)
    return reply


def email_attachments_check(files: Sequence[UploadedFile]) -> None:
    """``ValidationError`` (on ``attachments``) naming each file over ``EMAIL_ATTACHMENT_MAX_BYTES``."""
    limit = settings.EMAIL_ATTACHMENT_MAX_BYTES
    too_large = [upload.name for upload in files if upload.size > limit]
    if too_large:
        raise ValidationError(
            {
                "attachments": _("Too large (over %(limit)s each): %(names)s.")
                % {"limit": filesizeformat(limit), "names": ", ".join(too_large)}
            }
        )


def email_reply_add(
    *, ticket: Ticket, author: object, body: str, public: bool, files: Sequence[UploadedFile] = ()
) -> TicketComment:
    """A comment from the desk, with files to send: a public comment on an email ticket is queued
    as a reply (by the comment watcher), and ``files`` become the reply's attachments, sent with it.
    Files on an internal note, or on a ticket no mail came in on, are refused (``ValidationError``
    on ``attachments``): nothing is saved then, the comment neither."""
    files = list(files)
    email_attachments_check(files)
    if not files:  # the comment alone: the service's own transaction, no savepoint around it
        return ticket_comment_add(ticket=ticket, body=body, public=public, author=author)
    with transaction.atomic():
        comment = ticket_comment_add(ticket=ticket, body=body, public=public, author=author)
        _attach(comment, files)
    return comment


def _attach(comment: TicketComment, files: list[UploadedFile]) -> None:
    reply = EmailMessage.objects.filter(comment=comment).first()
    if reply is None:
        raise ValidationError(
            {"attachments": _("Files can only be sent with a public reply on a ticket that came in by email.")}
        )
    for upload in files:
        attachment = EmailAttachment(
            message=reply,
            filename=(upload.name or "attachment")[:255],
            content_type=(upload.content_type or "application/octet-stream")[:255],
            size=upload.size,
        )
        attachment.file.save(attachment.filename, upload, save=False)
        attachment.save()
