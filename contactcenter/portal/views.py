"""The customer portal's pages (docs/portal.md): thin adapters over the portal's services and
selectors and the knowledge base's public search. Articles are open to anyone; tickets and
surveys need a portal session (:mod:`contactcenter.portal.session`). Every page holds its script in
a static file (the Content-Security-Policy allows no inline script)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contactcenter.core.logins import login_failed, login_retry_after
from contactcenter.core.richtext import render_markdown
from contactcenter.knowledge.models import Article
from contactcenter.knowledge.selectors import MAX_SEARCH_LENGTH, public_article_detail, public_article_search
from contactcenter.portal.selectors import (
    portal_pending_surveys,
    portal_thread,
    portal_ticket,
    portal_tickets,
)
from contactcenter.portal.services import (
    normalized_email,
    portal_link_request,
    portal_link_use,
    portal_link_valid,
    portal_reply_add,
    portal_survey_answer,
)
from contactcenter.portal.session import customer_required, portal_sign_in, portal_sign_out, signed_in_customer
from interactions.models import SCALES, Interaction, Ticket

#: The "username" link attempts are counted under, with the client's address: a run of wrong or
#: used links from one address is limited like failed logins.
LINK_COUNTER = "portal-link"
#: Articles listed for one search.
ARTICLES_SHOWN = 20


def _page(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    customer = signed_in_customer(request)
    return render(request, template, {"customer": customer, **(context or {})}, status=status)


def _too_many(request: HttpRequest, template: str, wait: int, context: dict[str, Any] | None = None) -> HttpResponse:
    error = _("Too many attempts. Try again in %(seconds)d seconds.") % {"seconds": wait}
    response = _page(request, template, {**(context or {}), "error": error}, status=429)
    response["Retry-After"] = str(wait)
    return response


@never_cache
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Signed in: the customer's tickets and how many surveys wait; otherwise the sign-in form.
    The article search is on both."""
    customer = signed_in_customer(request)
    context: dict[str, Any] = {}
    if customer is not None:
        context = {"tickets": portal_tickets(customer=customer), "surveys": portal_pending_surveys(customer=customer)}
    return _page(request, "portal/home.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Ask for a sign-in link. The answer is the same whether the address is known or not; every
    request counts against the address and the client (the login limits), past which it is 429."""
    if request.method == "GET":
        return _page(request, "portal/sign_in.html")
    request.login_limit_answered = True  # our answer to a refused request stands
    raw = request.POST.get("email", "")[:300]
    email = normalized_email(raw)
    if not email:
        context = {"error": _("Enter an email address."), "email": raw}
        return _page(request, "portal/sign_in.html", context, status=400)
    wait = login_retry_after(request, email)
    if wait is not None:
        return _too_many(request, "portal/sign_in.html", wait, {"email": raw})
    login_failed(request, email)  # a link asked for is an attempt, whoever holds the address
    portal_link_request(
        email=email, base_url=request.build_absolute_uri("/"), language=getattr(request, "LANGUAGE_CODE", "")
    )
    return _page(request, "portal/link_sent.html", {"email": email, "minutes": settings.PORTAL_LINK_MINUTES})


@never_cache
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    """The link mailed: a GET only asks to confirm (mail scanners that open links use nothing); the
    POST uses the link and opens the portal session. A used, expired or unknown link is refused
    (410), and counted against the client's address."""
    request.login_limit_answered = True
    wait = login_retry_after(request, LINK_COUNTER)
    if wait is not None:
        return _too_many(request, "portal/link_invalid.html", wait)
    if request.method == "GET":
        if portal_link_valid(token=token) is not None:
            return _page(request, "portal/link_confirm.html", {"token": token})
        customer = None
    else:
        customer = portal_link_use(token=token)
        if customer is not None:
            portal_sign_in(request, customer)
            return redirect("portal:home")
    login_failed(request, LINK_COUNTER)
    return _page(request, "portal/link_invalid.html", status=410)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    portal_sign_out(request)
    messages.success(request, _("You are signed out."))
    return redirect("portal:home")


def _ticket_page(
    request: HttpRequest, ticket: Ticket, *, error: str = "", body: str = "", status: int = 200
) -> HttpResponse:
    context = {"ticket": ticket, "thread": portal_thread(ticket=ticket), "error": error, "body": body}
    return _page(request, "portal/ticket.html", context, status=status)


@never_cache
@customer_required
@require_GET
def ticket(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the customer's tickets with its public messages and the reply box; 404 for anyone
    else's."""
    try:
        found = portal_ticket(customer=request.customer, pk=pk)
    except Ticket.DoesNotExist:
        raise Http404 from None
    return _ticket_page(request, found)


@customer_required
@require_POST
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer's reply on their ticket (:func:`portal_reply_add`)."""
    try:
        found = portal_ticket(customer=request.customer, pk=pk)
    except Ticket.DoesNotExist:
        raise Http404 from None
    body = request.POST.get("body", "")
    try:
        portal_reply_add(customer=request.customer, ticket=found, body=body)
    except ValidationError as exc:
        return _ticket_page(request, found, error=" ".join(exc.messages), body=body, status=400)
    messages.success(request, _("Your message was sent."))
    return redirect("portal:ticket", pk=found.pk)


def _language(request: HttpRequest) -> str:
    wanted = request.GET.get("language", "")
    return wanted if wanted in dict(settings.LANGUAGES) else ""


@require_GET
def articles(request: HttpRequest) -> HttpResponse:
    """The public articles matching ``q`` (blank: the newest), best first; open to anyone."""
    query = request.GET.get("q", "")[: MAX_SEARCH_LENGTH * 2].strip()
    language = _language(request)
    error = ""
    try:
        found = list(public_article_search(query=query, language=language or None, limit=ARTICLES_SHOWN))
    except ValidationError as exc:
        found, error = [], " ".join(exc.messages)
    context = {"articles": found, "query": query, "language": language, "error": error}
    return _page(request, "portal/articles.html", context)


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    """One public article (the chat bot links here); any other slug answers 404."""
    try:
        found = public_article_detail(slug=slug)
    except Article.DoesNotExist:
        raise Http404 from None
    return _page(request, "portal/article.html", {"article": found, "body": render_markdown(found.body, top_heading=2)})


def _survey_page(request: HttpRequest, *, errors: dict | None = None, status: int = 200) -> HttpResponse:
    pending = [
        {
            "interaction": survey.interaction,
            "questions": [
                {"kind": kind, "values": range(SCALES[kind][0], SCALES[kind][1] + 1)} for kind in survey.kinds
            ],
        }
        for survey in portal_pending_surveys(customer=request.customer)
    ]
    context = {"pending": pending, "errors": errors or {}}
    return _page(request, "portal/surveys.html", context, status=status)


@never_cache
@customer_required
@require_GET
def surveys(request: HttpRequest) -> HttpResponse:
    """The surveys the customer has not answered, one form per contact."""
    return _survey_page(request)


@customer_required
@require_POST
def survey_answer(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """The customer's answers about their contact ``interaction_id`` (questions left blank stay
    pending); 404 for a contact that is not theirs or has nothing pending."""
    scores: dict[str, int] = {}
    for kind in SCALES:
        raw = request.POST.get(kind, "").strip()
        if raw:
            try:
                scores[kind] = int(raw)
            except ValueError:
                scores[kind] = -1  # refused by the service with the scale's message
    try:
        portal_survey_answer(
            customer=request.customer,
            interaction_id=interaction_id,
            scores=scores,
            comment=request.POST.get("comment", "")[:2000],
        )
    except Interaction.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return _survey_page(request, errors={"interaction": interaction_id, **errors}, status=400)
    messages.success(request, _("Thank you for your answer."))
    return redirect("portal:surveys")
