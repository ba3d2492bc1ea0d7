"""Every write of the customer portal (docs/portal.md): sign-in links, replies, survey answers.

Sign-in links: :func:`portal_link_request` makes a link for the customer holding the address
(any of their addresses) and queues the job that mails it; an unknown address makes nothing, and
the page answers the same either way. A link works once (:func:`portal_link_use` marks it used in
one conditional ``UPDATE``: two clicks at once sign in once), for ``PORTAL_LINK_MINUTES``.

Replies and survey answers go through the services every other channel uses: a reply reopens a
solved ticket the way an email reply does (:data:`contactcenter.mail.inbound.REOPENED_FROM`,
:func:`interactions.services.ticket_update`) and is logged as an inbound ``web`` interaction
(:func:`interactions.services.interaction_log`); a survey answer is stored by
:func:`interactions.surveys.survey_response_create`, so the KPI engine counts it like any other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contactcenter.core.choices import Channel, Direction
from contactcenter.core.db import full_clean
from contactcenter.core.jobs import enqueue, job
from contactcenter.mail.inbound import REOPENED_FROM
from contactcenter.portal.models import PortalLink, PortalMessage
from contactcenter.portal.selectors import portal_pending_kinds
from customers.models import ContactPoint, Customer, normalize_contact_value
from customers.selectors import customer_with_email
from customers.services import ERASED_TEXT
from interactions.models import SCALES, Interaction, SurveyResponse, Ticket, TicketStatus
from interactions.services import interaction_log, ticket_update
from interactions.surveys import survey_response_create

logger = logging.getLogger(__name__)

#: The ``source`` of the interactions logged for portal replies (their ``external_id`` is a UUID).
INTERACTION_SOURCE = "portal"
#: The longest reply accepted, in characters.
REPLY_MAX = 10_000
#: Links are kept this long past their expiry (what was sent, when, whether it was used), then purged.
LINK_KEPT = timedelta(days=7)


def normalized_email(raw: str) -> str:
    """``raw`` as stored in the contact points (trimmed, lower-case); ``""`` when it is no address."""
    try:
        return normalize_contact_value(ContactPoint.Kind.EMAIL, (raw or "")[:254])
    except ValidationError:
        return ""


def link_token(link: PortalLink) -> str:
    """The secret token of ``link``, computed from its nonce and the ``SECRET_KEY``."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"switchboard.portal.link:{link.nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(link: PortalLink) -> str:
    """The link as mailed: the portal's address and the token."""
    return f"{link.base_url}{reverse('portal:link', kwargs={'token': link_token(link)})}"


@transaction.atomic
def portal_link_request(
    *, email: str, base_url: str, language: str = "", now: datetime | None = None
) -> PortalLink | None:
    """A sign-in link for the customer holding ``email`` (any of their addresses), with the job
    that mails it to that address; ``None`` (nothing made, nothing sent) when nobody holds it or
    when ``PORTAL_LINKS_PER_CUSTOMER`` links were already made for this customer within the last
    ``PORTAL_LINK_MINUTES``. The caller answers the same whatever the outcome."""
    now = now or timezone.now()
    address = normalized_email(email)
    customer = customer_with_email(address) if address else None
    if customer is None:
        return None
    window = timedelta(minutes=settings.PORTAL_LINK_MINUTES)
    recent = PortalLink.objects.filter(customer=customer, created_at__gt=now - window).count()
    if recent >= settings.PORTAL_LINKS_PER_CUSTOMER:
        logger.info("portal: link not sent to customer %s (%s recent links)", customer.pk, recent)
        return None
    link = PortalLink(
        customer=customer,
        email=address,
        nonce=secrets.token_hex(32),
        language=customer.language or language,
        base_url=(settings.PORTAL_URL or base_url).rstrip("/"),
        created_at=now,
        expires_at=now + window,
    )
    link.token_hash = token_hash(link_token(link))
    link.save()
    enqueue(portal_link_send_job, link.pk)
    return link


def portal_link_send(*, link_id: int, now: datetime | None = None) -> str:
    """Mail the link ``link_id`` through Django's mail backend (SMTP with ``EMAIL_HOST``, files
    under ``var/mail/`` without), in the customer's language. Returns ``sent``, or ``skipped``
    when it was sent already, used, expired or deleted. The row stays locked while mailing: two
    runs at once send it once."""
    now = now or timezone.now()
    with transaction.atomic():
        link = PortalLink.objects.select_for_update().filter(pk=link_id).first()
        if link is None or link.sent_at is not None or link.used_at is not None or link.expires_at <= now:
            return "skipped"
        with translation.override(link.language or settings.LANGUAGE_CODE):
            context = {"url": link_url(link), "minutes": settings.PORTAL_LINK_MINUTES}
            subject = render_to_string("portal/email/link_subject.txt", context).strip()
            body = render_to_string("portal/email/link_body.txt", context)
        mail = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[link.email])
        with get_connection(fail_silently=False) as connection:
            connection.send_messages([mail])
        link.sent_at = timezone.now()
        link.save(update_fields=["sent_at"])
    logger.info("portal: sign-in link %s sent", link.pk)
    return "sent"


@job(name="portal_link_send", retries=3, backoff=timedelta(seconds=20))
def portal_link_send_job(link_id: int) -> str:
    """Mail the sign-in link ``link_id``. Runs twice safely: a link is mailed once, under its row
    lock, and never once used or expired."""
    return portal_link_send(link_id=link_id)


def portal_link_valid(*, token: str, now: datetime | None = None) -> PortalLink | None:
    """The unused, unexpired link of ``token`` (``None`` for any other): read only, the link is
    still to be used."""
    now = now or timezone.now()
    if not token or len(token) > 100:
        return None
    return (
        PortalLink.objects.select_related("customer")
        .filter(token_hash=token_hash(token), used_at__isnull=True, expires_at__gt=now)
        .first()
    )


@transaction.atomic
def portal_link_use(*, token: str, now: datetime | None = None) -> Customer | None:
    """Use the link of ``token``: its customer, once; ``None`` when the link is unknown, used or
    expired, or its customer was erased."""
    now = now or timezone.now()
    link = portal_link_valid(token=token, now=now)
    if link is None:
        return None
    taken = PortalLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if taken != 1 or link.customer.erased_at is not None:
        return None
    return link.customer


def portal_messages_follow_retention() -> int:
    """Blank the portal messages whose contact's notes were blanked (the retention of interaction
    notes, ``retention_apply``, or an erasure): the portal keeps no longer than the contact what
    the customer wrote. Returns how many were blanked; running it again blanks nothing."""
    return (
        PortalMessage.objects.filter(interaction__notes="").exclude(body__in=("", ERASED_TEXT)).update(body=ERASED_TEXT)
    )


def portal_links_purge(*, now: datetime | None = None) -> int:
    """Delete the links expired more than :data:`LINK_KEPT` ago; returns how many."""
    now = now or timezone.now()
    deleted, _rows = PortalLink.objects.filter(expires_at__lt=now - LINK_KEPT).delete()
    return deleted


@transaction.atomic
def portal_reply_add(*, customer: Customer, ticket: Ticket, body: str, now: datetime | None = None) -> PortalMessage:
    """The customer's reply ``body`` on their ``ticket``: stored, logged as an inbound ``web``
    interaction of the ticket's queue, and a resolved, closed or pending ticket opened again (as
    an email reply does). A ticket of another customer is refused (``Ticket.DoesNotExist``)."""
    now = now or timezone.now()
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write your message first.")]})
    if len(body) > REPLY_MAX:
        raise ValidationError(
            {"body": [_("Your message is too long (%(max)d characters at most).") % {"max": REPLY_MAX}]}
        )
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk, customer=customer)
    if ticket.status in REOPENED_FROM:
        ticket = ticket_update(ticket=ticket, changes={"status": TicketStatus.OPEN}, now=now)
    interaction, _created = interaction_log(
        channel=Channel.WEB,
        direction=Direction.INBOUND,
        offered_at=now,
        customer=customer,
        queue=ticket.queue,
        ticket=ticket,
        # The agents read the customer's words where they read every contact's.
        notes=body,
        source=INTERACTION_SOURCE,
        external_id=str(uuid.uuid4()),
    )
    message = PortalMessage(ticket=ticket, customer=customer, interaction=interaction, body=body)
    full_clean(message)
    message.save()
    return message


@transaction.atomic
def portal_survey_answer(
    *, customer: Customer, interaction_id: int, scores: dict[str, int], comment: str = "", now: datetime | None = None
) -> list[SurveyResponse]:
    """Record the customer's answers (``{"csat": 4, "nps": 9}``) to the surveys still pending
    about their contact ``interaction_id``; a kind not pending (answered already, not theirs,
    too old) is refused with ``ValidationError``; ``Interaction.DoesNotExist`` for a contact that
    is not pending at all. The comment goes with the first answer."""
    pending = portal_pending_kinds(customer=customer, interaction_id=interaction_id, now=now)
    if not pending:
        raise Interaction.DoesNotExist
    if not scores:
        raise ValidationError(_("Answer at least one question."))
    errors = {}
    for kind, score in scores.items():
        low, high = SCALES.get(kind, (0, -1))
        if kind not in pending:
            errors[kind] = [_("This question is already answered.")]
        elif not low <= score <= high:
            errors[kind] = [_("Choose a score between %(low)s and %(high)s.") % {"low": low, "high": high}]
    if errors:
        raise ValidationError(errors)
    interaction = Interaction.objects.get(pk=interaction_id)
    answers = []
    for position, kind in enumerate(kind for kind in SCALES if kind in scores):
        answers.append(
            survey_response_create(
                interaction=interaction, kind=kind, score=scores[kind], comment=comment.strip() if not position else ""
            )
        )
    return answers


def portal_customer_merged(*, kept: Customer, duplicate: Customer) -> None:
    """The customer hook of a merge: the duplicate's links (a sign-in under way still works) and
    portal messages move to the customer kept."""
    PortalLink.objects.filter(customer=duplicate).update(customer=kept)
    PortalMessage.objects.filter(customer=duplicate).update(customer=kept)


def portal_customer_erased(*, customer: Customer) -> dict[str, int]:
    """The customer hook of an erasure: their sign-in links are deleted (they hold an address),
    and what they wrote on the portal is blanked (the rows stay with their tickets)."""
    links, _rows = PortalLink.objects.filter(customer=customer).delete()
    blanked = PortalMessage.objects.filter(Q(customer=customer) | Q(ticket__customer=customer)).update(body=ERASED_TEXT)
    return {"portal_links": links, "portal_messages": blanked}
