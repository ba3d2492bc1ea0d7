"""The work Switchboard offers the agent (``docs/routing.md``), on the desktop: the offer card with
its countdown and its Accept and Decline buttons, and *My work*, the items they hold.

The socket's ``offer`` asks for the card (``desk/offers/current/``, also drawn with the page when
an offer is open); ``offer_closed`` turns it into a short message (``static/desk/offers.js``).
Accept and Decline go through the same services as ``POST /api/v1/routing/offers/{id}/accept/``
and ``…/decline/`` (:func:`~contactcenter.distribution.services.offer_accept`,
:func:`~contactcenter.distribution.services.offer_decline`): an offer made to someone else is a
404, one that is over answers 409 with the card saying so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from contactcenter.core.formats import format_duration
from contactcenter.core.roles import profile_of
from contactcenter.desk.access import page_for
from contactcenter.distribution import selectors, services
from contactcenter.distribution.models import OfferOutcome, WorkItem, WorkKind, WorkOffer

#: The client events the answers carry: the item list is out of date; a ticket to open.
WORK_CHANGED = "work-changed"
OPEN_TICKET = "offer-open-ticket"


def _iso(value: datetime | None) -> str:
    """An instant for the page's countdown (``Date.parse`` reads it): ISO 8601 in UTC, milliseconds."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds") if value is not None else ""


def outcome_text(outcome: str) -> str:
    """What the card says once the offer is over (the same words as ``offers.js``'s, from the page)."""
    texts = {
        OfferOutcome.ACCEPTED: _("Accepted: the work is yours."),
        OfferOutcome.DECLINED: _("Declined: the work goes to the next agent."),
        OfferOutcome.TIMED_OUT: _("Time ran out: the work went back to the line and you were put on a break (missed)."),
        OfferOutcome.WITHDRAWN: _("Withdrawn: the work was taken or closed meanwhile."),
    }
    return texts.get(outcome, "")


@dataclass(frozen=True)
class OfferCard:
    """An open offer as the card shows it: the countdown's instants and its first text."""

    offer: WorkOffer
    now: datetime

    @property
    def item(self) -> WorkItem:
        return self.offer.item

    @property
    def now_iso(self) -> str:
        return _iso(self.now)

    @property
    def expires_iso(self) -> str:
        return _iso(self.offer.expires_at)

    @property
    def left_text(self) -> str:
        # Rounded up, as the script's: 0:00 only once the offer has expired.
        return format_duration(math.ceil((self.offer.expires_at - self.now).total_seconds()))

    @property
    def customer_name(self) -> str:
        customer = self.item.customer
        return customer.display_name if customer is not None else ""


def offer_card_context(*, user: AbstractBaseUser, now: datetime | None = None) -> dict[str, Any]:
    """The card of the user's open offer (``None`` without one). No query when their profile says
    nothing is offered (read with the request's user), one otherwise."""
    profile = profile_of(user)
    offer = selectors.agent_open_offer(user=user) if profile is not None and profile.work_offered else None
    return {"offer_card": OfferCard(offer=offer, now=now or timezone.now()) if offer is not None else None}


def _closed(
    request: HttpRequest, *, offer_id: int, item: WorkItem | None, outcome: str, message: str, status: int = 200
) -> HttpResponse:
    context = {"closed": {"offer": offer_id, "outcome": outcome, "message": message, "item": item}}
    response = render(request, "desk/offers/card.html", context, status=status)
    return trigger_client_event(response, WORK_CHANGED)


# --- Views ----------------------------------------------------------------------------------------


@page_for("desk.open")
@require_GET
def offer_current(request: HttpRequest) -> HttpResponse:
    """The card of the agent's open offer, or nothing (asked for on the socket's ``offer``)."""
    return render(request, "desk/offers/card.html", offer_card_context(user=request.user))


def _answer(request: HttpRequest, offer_id: int, *, accept: bool) -> HttpResponse:
    answer = services.offer_accept if accept else services.offer_decline
    try:
        item = answer(offer_id=offer_id, by=request.user)
    except services.OfferNotFound as exc:
        raise Http404 from exc
    except services.OfferGone:
        return _closed(
            request,
            offer_id=offer_id,
            item=None,
            outcome="gone",
            message=_("This offer is over: it was answered, withdrawn or it timed out."),
            status=409,
        )
    outcome = OfferOutcome.ACCEPTED if accept else OfferOutcome.DECLINED
    response = _closed(
        request, offer_id=offer_id, item=item if accept else None, outcome=outcome, message=outcome_text(outcome)
    )
    if accept and item.kind == WorkKind.TICKET and item.ticket_id is not None:
        # The ticket opens in the desk's ticket editor (static/desk/offers.js).
        response = trigger_client_event(
            response, OPEN_TICKET, {"url": reverse("desk:ticket_detail", args=[item.ticket_id])}
        )
    return response


@page_for("routing.answer")
@require_POST
def offer_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept the offer: the work is the agent's (a ticket opens in the desk)."""
    return _answer(request, pk, accept=True)


@page_for("routing.answer")
@require_POST
def offer_decline(request: HttpRequest, pk: int) -> HttpResponse:
    """Decline the offer: the work goes to the next agent."""
    return _answer(request, pk, accept=False)


@page_for("desk.open")
@require_GET
def my_work(request: HttpRequest) -> HttpResponse:
    """*My work*: the items the agent holds and not done, and their load against their capacity."""
    work = selectors.agent_work(user=request.user)
    return render(request, "desk/offers/work.html", {"work": work})


urlpatterns = [
    path("desk/offers/current/", offer_current, name="offer_current"),
    path("desk/offers/<int:pk>/accept/", offer_accept, name="offer_accept"),
    path("desk/offers/<int:pk>/decline/", offer_decline, name="offer_decline"),
    path("desk/work/", my_work, name="my_work"),
]
