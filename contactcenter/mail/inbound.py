"""Mail received: one message in, stored on its ticket, all or nothing (docs/email.md).

:func:`email_receive` is what the MTA pipe (``manage.py email_receive``) and the IMAP reader call
for each message. In one transaction it stores the message, its files and its raw bytes, finds or
creates the customer, joins the ticket the mail answers or opens one in the mailbox's queue, logs
the inbound ``email`` interaction and queues the acknowledgement with the job sending it; a
failure leaves nothing behind (the files written are removed again). The same message twice (by
its Message-ID) is stored once.

Threading, in this order: an ``In-Reply-To``/``References`` id naming a message stored here; a
ticket reference in brackets in the subject (``[T-000123]``); otherwise a new ticket. A reply to a
resolved, closed or pending ticket opens it again.

Mail sent by a machine (:func:`contactcenter.mail.parsing.automatic_kind`: auto-replies, bounces,
mailing lists) is stored and threaded, flagged, but never acknowledged, reopens nothing, creates no
customer and counts as no contact (no interaction: the KPIs count people). Our own mail coming back
(sent by one of our mailboxes, or bearing one of our Message-IDs) is a loop: stored, nothing else.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contactcenter.core.choices import Channel, Direction
from contactcenter.core.db import full_clean
from contactcenter.mail.models import AutomaticKind, EmailAttachment, EmailMessage, Mailbox, SendState
from contactcenter.mail.parsing import ParsedMail, parse
from contactcenter.mail.sending import email_send_queue
from customers.models import ContactPoint, Customer, normalize_contact_value
from customers.selectors import customer_with_email
from customers.services import customer_create
from interactions.models import Interaction, Ticket, TicketStatus
from interactions.services import TICKET_REFERENCE_PREFIX, interaction_log, ticket_create, ticket_update

logger = logging.getLogger(__name__)

#: ``[T-000123]`` in a subject: the ticket the mail is about.
SUBJECT_REFERENCE = re.compile(rf"\[({re.escape(TICKET_REFERENCE_PREFIX)}\d{{6,}})\]")
#: The Message-IDs we make (``sb-<32 hex>@<mailbox domain>``): one coming in is our own mail back.
OUR_MESSAGE_ID = re.compile(r"^sb-[0-9a-f]{32}@")
#: The ``source`` of email interactions (their ``external_id`` is the Message-ID).
INTERACTION_SOURCE = "email"
#: Longest ``Interaction.external_id``; a longer Message-ID is named by its hash there.
MAX_EXTERNAL_ID = 150
#: A ticket reopened by the customer's mail from these statuses.
REOPENED_FROM = (TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.PENDING)
SUBJECT_MAX = 200


@dataclass(frozen=True)
class Outcome:
    """What :func:`email_receive` did with one message."""

    message: EmailMessage
    duplicate: bool = False
    ticket_created: bool = False
    ticket_reopened: bool = False
    customer_created: bool = False
    acknowledgement: EmailMessage | None = None


def new_message_id(mailbox: Mailbox) -> str:
    """A Message-ID of ours, on the mailbox's domain (recognised when it comes back: a loop)."""
    return f"sb-{uuid.uuid4().hex}@{mailbox.address.rpartition('@')[2]}"


def interaction_key(message_id: str) -> str:
    """The interaction's ``external_id`` for a Message-ID (hashed when too long for the column)."""
    if len(message_id) <= MAX_EXTERNAL_ID:
        return message_id
    return f"sha256:{hashlib.sha256(message_id.encode()).hexdigest()}"


def email_receive(*, mailbox: Mailbox, raw: bytes, now: datetime | None = None) -> Outcome:
    """Store the mail ``raw`` received by ``mailbox`` on its ticket (see the module's docstring).

    Raises :class:`contactcenter.mail.parsing.MailParseError` when ``raw`` is not a mail, and the
    database's errors as they come (the caller retries later: nothing was written). A message
    whose Message-ID is stored already answers ``duplicate`` and writes nothing, also when another
    process stored it a moment ago.
    """
    parsed = parse(raw)
    stored = EmailMessage.objects.filter(message_id=parsed.message_id).first()
    if stored is not None:
        return Outcome(message=stored, duplicate=True)
    written: list[str] = []
    try:
        with transaction.atomic():
            return _store(mailbox=mailbox, raw=raw, parsed=parsed, now=now or timezone.now(), written=written)
    except IntegrityError:
        _remove(written)
        stored = EmailMessage.objects.filter(message_id=parsed.message_id).first()
        if stored is not None:  # stored by another process between our look-up and our insert
            return Outcome(message=stored, duplicate=True)
        raise
    except BaseException:
        _remove(written)
        raise


def _remove(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("mail: could not remove %s after a failed receive", name)


def _store(*, mailbox: Mailbox, raw: bytes, parsed: ParsedMail, now: datetime, written: list[str]) -> Outcome:
    our_addresses = set(Mailbox.objects.values_list("address", flat=True))
    automatic = parsed.automatic
    if parsed.from_address in our_addresses or OUR_MESSAGE_ID.match(parsed.message_id):
        automatic = AutomaticKind.LOOP
    by_person = automatic == AutomaticKind.NONE

    customer, customer_created = _sender_customer(parsed, mailbox=mailbox, create=by_person)
    ticket, ticket_created, reopened = None, False, False
    if automatic != AutomaticKind.LOOP:
        ticket = _thread_ticket(parsed)
        if ticket is None:
            ticket = ticket_create(
                subject=_ticket_subject(parsed.subject),
                description=parsed.body_text,
                customer=customer,
                queue=mailbox.queue,
            )
            ticket_created = True
        elif by_person and ticket.status in REOPENED_FROM:
            ticket = ticket_update(ticket=ticket, changes={"status": TicketStatus.OPEN})
            reopened = True

    interaction = None
    if by_person:
        offered_at = min(parsed.date, now) if parsed.date else now
        interaction, _created = interaction_log(
            channel=Channel.EMAIL,
            direction=Direction.INBOUND,
            offered_at=offered_at,
            customer=customer,
            queue=mailbox.queue,
            ticket=ticket,
            source=INTERACTION_SOURCE,
            external_id=interaction_key(parsed.message_id),
        )

    message = EmailMessage(
        mailbox=mailbox,
        ticket=ticket,
        interaction=interaction,
        direction=Direction.INBOUND,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=" ".join(parsed.references),
        from_address=parsed.from_address[:254],
        from_name=parsed.from_name[:200],
        to=parsed.to,
        cc=parsed.cc,
        subject=parsed.subject[:998],
        date=parsed.date,
        body_text=parsed.body_text,
        full_text=parsed.full_text,
        body_html=parsed.html,
        automatic=automatic,
    )
    message.raw.save(f"{uuid.uuid4().hex}.eml", ContentFile(raw), save=False)
    written.append(message.raw.name)
    full_clean(message, exclude=["message_id"])  # unique: the insert says so (see email_receive)
    message.save()
    _store_attachments(message, parsed, written)

    acknowledgement = None
    if ticket_created and by_person and parsed.from_address and mailbox.acknowledgement_body.strip():
        acknowledgement = _queue_acknowledgement(mailbox=mailbox, ticket=ticket, received=message, customer=customer)
    logger.info(
        "mail: %s received by %s (%s), ticket %s",
        parsed.message_id,
        mailbox.address,
        automatic,
        ticket.reference if ticket else "-",
    )
    return Outcome(
        message=message,
        ticket_created=ticket_created,
        ticket_reopened=reopened,
        customer_created=customer_created,
        acknowledgement=acknowledgement,
    )


def _sender_customer(parsed: ParsedMail, *, mailbox: Mailbox, create: bool) -> tuple[Customer | None, bool]:
    """The customer with the sender's address; a new one (named after the From display name) when
    nobody has it and ``create``."""
    if not parsed.from_address:
        return None, False
    try:
        address = normalize_contact_value(ContactPoint.Kind.EMAIL, parsed.from_address)
    except ValidationError:
        return None, False  # not an address we could write back to: no customer
    customer = customer_with_email(address)
    if customer is not None or not create:
        return customer, False
    first_name, last_name = split_name(parsed.from_name, address)
    customer = customer_create(first_name=first_name, last_name=last_name, language=mailbox.language, emails=[address])
    return customer, True


def split_name(display_name: str, address: str) -> tuple[str, str]:
    """First and last name from a From display name ("Jeanne Dupont", "Dupont, Jeanne"); the
    address's local part as the last name when there is none."""
    name = " ".join((display_name or "").replace('"', "").split())
    if "@" in name:
        name = ""
    if "," in name:
        last, _comma, first = name.partition(",")
        return first.strip()[:100], last.strip()[:100]
    if " " in name:
        first, _space, last = name.partition(" ")
        return first[:100], last[:100]
    return "", (name or address.partition("@")[0])[:100]


def _thread_ticket(parsed: ParsedMail) -> Ticket | None:
    """The ticket the mail answers: by the ids it names, then by a reference in its subject."""
    ids = parsed.thread_ids
    if ids:
        known = dict(
            EmailMessage.objects.filter(message_id__in=ids, ticket__isnull=False).values_list("message_id", "ticket_id")
        )
        for item in ids:
            if item in known:
                return Ticket.objects.get(pk=known[item])
        # Mail an agent answered from elsewhere names an interaction logged with its id.
        linked = (
            Interaction.objects.filter(
                source=INTERACTION_SOURCE,
                external_id__in=[interaction_key(item) for item in ids],
                ticket__isnull=False,
            )
            .values_list("ticket_id", flat=True)
            .first()
        )
        if linked is not None:
            return Ticket.objects.get(pk=linked)
    found = SUBJECT_REFERENCE.search(parsed.subject)
    if found:
        return Ticket.objects.filter(reference=found.group(1)).first()
    return None


def _ticket_subject(subject: str) -> str:
    subject = subject.strip() or _("(no subject)")
    return subject if len(subject) <= SUBJECT_MAX else subject[: SUBJECT_MAX - 1] + "…"


def _store_attachments(message: EmailMessage, parsed: ParsedMail, written: list[str]) -> None:
    limit = settings.EMAIL_ATTACHMENT_MAX_BYTES
    rows = []
    for part in parsed.parts:
        attachment = EmailAttachment(
            message=message,
            filename=part.filename[:255],
            content_type=part.content_type[:255],
            size=len(part.content),
            content_id=part.content_id[:255],
            too_large=len(part.content) > limit,
        )
        if not attachment.too_large:
            suffix = part.filename.rpartition(".")[2][:10] if "." in part.filename else "bin"
            attachment.file.save(f"{uuid.uuid4().hex}.{suffix}", ContentFile(part.content), save=False)
            written.append(attachment.file.name)
        rows.append(attachment)
    EmailAttachment.objects.bulk_create(rows)


def render_template(template: str, *, values: dict[str, str]) -> str:
    """``template`` with its placeholders filled (``{reference}`` …); the values are inserted as
    they are, never read as templates themselves."""
    return template.format_map(values)


def _queue_acknowledgement(
    *, mailbox: Mailbox, ticket: Ticket, received: EmailMessage, customer: Customer | None
) -> EmailMessage:
    """The acknowledgement of a new ticket, queued to be sent (flagged automatic: it is one)."""
    values = {
        "reference": ticket.reference,
        "subject": received.subject,
        "customer_name": customer.display_name if customer is not None else received.from_name,
        "mailbox": mailbox.address,
    }
    subject = render_template(mailbox.acknowledgement_subject, values=values).strip() or received.subject
    if f"[{ticket.reference}]" not in subject:
        subject = f"[{ticket.reference}] {subject}".strip()
    body = render_template(mailbox.acknowledgement_body, values=values)
    if mailbox.signature.strip():
        body = f"{body.rstrip()}\n\n-- \n{mailbox.signature.strip()}"
    references = [*received.references.split(), received.message_id]
    acknowledgement = EmailMessage(
        mailbox=mailbox,
        ticket=ticket,
        direction=Direction.OUTBOUND,
        message_id=new_message_id(mailbox),
        in_reply_to=received.message_id,
        references=" ".join(references),
        from_address=mailbox.address,
        to=[received.from_address],
        subject=subject[:998],
        body_text=body,
        full_text=body,
        automatic=AutomaticKind.AUTO_REPLY,
        send_state=SendState.QUEUED,
    )
    full_clean(acknowledgement, exclude=["message_id"])
    acknowledgement.save()
    email_send_queue(acknowledgement)
    return acknowledgement
