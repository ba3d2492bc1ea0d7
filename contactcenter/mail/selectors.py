"""Reads of the mail for the desk: a ticket's conversation and the canned replies its reply box
offers (docs/email.md, "On the desk")."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch

from contactcenter.mail.models import CannedReply, EmailAttachment, EmailMessage, canned_fill
from interactions.models import Ticket


def ticket_emails(*, ticket: Ticket) -> list[EmailMessage]:
    """The mail in and out of ``ticket``, oldest first, with their attachments (inline images
    too: they are files the customer sent). One query for a ticket without mail, two otherwise."""
    return list(
        EmailMessage.objects.filter(ticket=ticket)
        .select_related("mailbox")
        .prefetch_related(Prefetch("attachments", queryset=EmailAttachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def email_attachment_for(*, ticket: Ticket, pk: int) -> EmailAttachment | None:
    """The attachment ``pk`` when it belongs to a mail of ``ticket`` (``None`` otherwise)."""
    return EmailAttachment.objects.filter(pk=pk, message__ticket=ticket).first()


@dataclass(frozen=True)
class CannedChoice:
    """A canned reply as the reply box offers it: its title and its body, placeholders filled."""

    pk: int
    title: str
    body: str


def canned_values(*, ticket: Ticket, agent: AbstractBaseUser | None) -> dict[str, str]:
    """What the placeholders of a canned reply stand for on ``ticket`` written by ``agent``."""
    customer = ticket.customer
    values = {"ticket_reference": ticket.reference, "ticket_subject": ticket.subject}
    if customer is not None:
        values |= {
            "customer_first_name": customer.first_name,
            "customer_last_name": customer.last_name,
            "customer_name": f"{customer.first_name} {customer.last_name}".strip(),
        }
    if agent is not None:
        values["agent_name"] = agent.get_full_name() or agent.get_username()
    return values


def canned_choices(*, ticket: Ticket, agent: AbstractBaseUser | None) -> list[CannedChoice]:
    """The active canned replies of the ticket's queue, by title, filled for ``ticket`` and
    ``agent``. No query for a ticket without a queue; one otherwise."""
    if ticket.queue_id is None:
        return []
    values = canned_values(ticket=ticket, agent=agent)
    return [
        CannedChoice(reply.pk, reply.title, canned_fill(reply.body, values))
        for reply in CannedReply.objects.filter(queue_id=ticket.queue_id, is_active=True).order_by("title", "id")
    ]
