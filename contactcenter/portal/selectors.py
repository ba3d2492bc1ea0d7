"""Every read of the customer portal (docs/portal.md). Each starts from the signed-in customer:
a ticket or a contact of anyone else is simply not found (404), whatever id is asked for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from contactcenter.core.choices import Channel, Direction
from contactcenter.mail.models import AutomaticKind, EmailMessage
from contactcenter.portal.models import PortalMessage
from customers.models import Customer
from interactions.models import SCALES, Interaction, SurveyResponse, Ticket, TicketComment

#: Tickets listed on the portal's first page (the newest).
TICKETS_SHOWN = 50
#: Contacts with surveys pending listed at once (the newest).
SURVEYS_SHOWN = 10


def portal_customer(*, customer_id: int) -> Customer | None:
    """The signed-in customer, ``None`` when they were erased or deleted since."""
    return Customer.objects.not_erased().filter(pk=customer_id).first()


def portal_tickets(*, customer: Customer) -> QuerySet[Ticket]:
    """The customer's tickets, newest first (at most :data:`TICKETS_SHOWN`)."""
    return Ticket.objects.filter(customer=customer).only(
        "reference", "subject", "status", "created_at", "updated_at", "customer_id"
    )[:TICKETS_SHOWN]


def portal_ticket(*, customer: Customer, pk: int) -> Ticket:
    """The customer's ticket ``pk``; ``Ticket.DoesNotExist`` for anyone else's."""
    return Ticket.objects.get(pk=pk, customer=customer)


@dataclass(frozen=True)
class ThreadEntry:
    """One message of a ticket as the customer sees it: theirs, or the center's public answer."""

    at: datetime
    from_customer: bool
    body: str
    via: str


def portal_thread(*, ticket: Ticket) -> list[ThreadEntry]:
    """What was said on ``ticket`` in public, oldest first: the center's **public** comments (never
    an internal one, never who wrote it), the customer's replies on the portal and the mail they
    sent. The ticket's description and the interactions' notes are the agents' words: not shown."""
    entries = [
        ThreadEntry(at=comment.created_at, from_customer=False, body=comment.body, via="comment")
        for comment in TicketComment.objects.filter(ticket=ticket, public=True).only("created_at", "body")
    ]
    entries += [
        ThreadEntry(at=message.created_at, from_customer=True, body=message.body, via=Channel.WEB)
        for message in PortalMessage.objects.filter(ticket=ticket).only("created_at", "body")
    ]
    entries += [
        ThreadEntry(at=mail.date or mail.created_at, from_customer=True, body=mail.body_text, via=Channel.EMAIL)
        for mail in EmailMessage.objects.filter(
            ticket=ticket, direction=Direction.INBOUND, automatic=AutomaticKind.NONE
        ).only("date", "created_at", "body_text")
    ]
    return sorted(entries, key=lambda entry: entry.at)


@dataclass(frozen=True)
class PendingSurvey:
    """A contact of the customer with the surveys they have not answered about it."""

    interaction: Interaction
    kinds: tuple[str, ...]


def _surveyed(customer: Customer, now: datetime | None) -> QuerySet[Interaction]:
    """The customer's contacts a survey may be asked about: inbound, handled by an agent, within
    ``PORTAL_SURVEY_DAYS``; none when the customer does not consent to surveys."""
    if not customer.consent_surveys:
        return Interaction.objects.none()
    since = (now or timezone.now()) - timedelta(days=settings.PORTAL_SURVEY_DAYS)
    return (
        Interaction.objects.filter(
            customer=customer,
            direction=Direction.INBOUND,
            agent__isnull=False,
            answered_at__isnull=False,
            offered_at__gte=since,
        )
        .exclude(channel=Channel.WEB)
        .select_related("ticket")
        .prefetch_related(Prefetch("survey_responses", queryset=SurveyResponse.objects.only("interaction_id", "kind")))
        .order_by("-offered_at", "-id")
    )


def _missing(interaction: Interaction) -> tuple[str, ...]:
    answered = {response.kind for response in interaction.survey_responses.all()}
    return tuple(kind for kind in SCALES if kind not in answered)


def portal_pending_surveys(*, customer: Customer, now: datetime | None = None) -> list[PendingSurvey]:
    """The customer's contacts with surveys (CSAT, NPS, CES) still unanswered, newest first, at
    most :data:`SURVEYS_SHOWN`: two queries whatever their number."""
    pending = []
    for interaction in _surveyed(customer, now)[: SURVEYS_SHOWN * 3]:
        kinds = _missing(interaction)
        if kinds:
            pending.append(PendingSurvey(interaction=interaction, kinds=kinds))
        if len(pending) == SURVEYS_SHOWN:
            break
    return pending


def portal_pending_kinds(*, customer: Customer, interaction_id: int, now: datetime | None = None) -> tuple[str, ...]:
    """The survey kinds still unanswered about the customer's contact ``interaction_id``; empty
    when it is not theirs, too old, or answered in full."""
    interaction = _surveyed(customer, now).filter(pk=interaction_id).first()
    return _missing(interaction) if interaction is not None else ()
