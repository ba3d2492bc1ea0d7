"""The portal session: customers are not Django users, so the session holds the signed-in
customer's id and the time their portal session ends (``PORTAL_SESSION_HOURS`` after the link was
used), beside whatever else it holds. Signing in rotates the session key (a key planted before
the sign-in is worth nothing after it); signing out forgets the customer and rotates it again."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation

from contactcenter.portal.selectors import portal_customer
from customers.models import Customer

CUSTOMER_KEY = "portal_customer"
EXPIRES_KEY = "portal_expires"


def portal_sign_in(request: HttpRequest, customer: Customer) -> None:
    """Open a portal session for ``customer`` on ``request``'s session, under a new key."""
    request.session.cycle_key()
    request.session[CUSTOMER_KEY] = customer.pk
    request.session[EXPIRES_KEY] = time.time() + settings.PORTAL_SESSION_HOURS * 3600


def portal_sign_out(request: HttpRequest) -> None:
    """End the portal session (the rest of the session, a staff login, stays)."""
    request.session.pop(CUSTOMER_KEY, None)
    request.session.pop(EXPIRES_KEY, None)
    request.session.cycle_key()


def signed_in_customer(request: HttpRequest) -> Customer | None:
    """The customer signed in on ``request`` (read once per request); ``None`` when nobody is, when
    their portal session ran out (then forgotten) or when the customer is gone."""
    if hasattr(request, "_portal_customer"):
        return request._portal_customer
    customer = None
    customer_id, expires = request.session.get(CUSTOMER_KEY), request.session.get(EXPIRES_KEY)
    if isinstance(customer_id, int) and isinstance(expires, int | float):
        if expires > time.time():
            customer = portal_customer(customer_id=customer_id)
        else:
            request.session.pop(CUSTOMER_KEY, None)
            request.session.pop(EXPIRES_KEY, None)
    request._portal_customer = customer
    if customer is not None:
        _customer_language(request, customer)
    return customer


def _customer_language(request: HttpRequest, customer: Customer) -> None:
    """The customer's preferred language, unless they chose one with the language switch."""
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return
    language = (customer.language or "").split("-")[0]
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        request.LANGUAGE_CODE = language


def customer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page for signed-in customers only: anyone else is sent to the sign-in page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        customer = signed_in_customer(request)
        if customer is None:
            return redirect("portal:sign_in")
        request.customer = customer
        return view(request, *args, **kwargs)

    return wrapped
