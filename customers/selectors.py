"""Every read on customers, with its joins (STYLE.md: selectors own reads).

Each selector takes the user it reads for and goes through :mod:`contactcenter.core.access`, so that a
list, a search, a screen pop, a timeline or an export only ever shows what that user may see.
Query counts are fixed: contact points come in one prefetch, tickets and interactions in one
query each, whatever the number of rows.
"""

from __future__ import annotations

import base64
import binascii
import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import connection
from django.db.models import (
    Exists,
    Expression,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    TextField,
)
from django.db.models.expressions import Col
from django.db.models.functions import Lower
from django.db.models.lookups import Contains, StartsWith
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from contactcenter.core.compiled import CompiledQuery, ViewerQuery, attach_prefetched, fetch_together
from contactcenter.core.db import MAX_ID
from contactcenter.core.search import clean_search_term
from customers.models import ContactPoint, Customer, CustomerRead, ErasureRecord
from customers.phones import caller_number, normalize_phone, try_normalize_phone
from customers.querysets import customers_visible_to
from interactions.models import OPEN_TICKET_STATUSES, Interaction, SurveyResponse, Ticket, TicketComment

#: A search term longer than this is refused (400 naming ``search``): nobody types it, and every
#: word of a term costs a subquery.
MAX_SEARCH_LENGTH = 200
#: Words of a search term beyond this many are refused too.
MAX_SEARCH_WORDS = 8
#: A search word this short matches the start of a field, not anywhere in it: as a substring it
#: would match nearly every customer, and a trigram index cannot serve it (it has no trigram).
SHORT_WORD = 2
#: The screen pop shows this many of the caller's newest interactions (SPEC §5: last 10).
SCREEN_POP_INTERACTIONS = 10
#: … and at most this many open tickets, newest first.
SCREEN_POP_OPEN_TICKETS = 20
#: … and names at most this many other customers sharing the caller's number.
SCREEN_POP_OTHER_CUSTOMERS = 5
#: Timeline entries per page, by default and at most.
TIMELINE_DEFAULT_LIMIT = 50
TIMELINE_MAX_LIMIT = 200
#: Contact point kinds the API shows on a customer (social handles stay in the export).
SHOWN_KINDS = (ContactPoint.Kind.PHONE, ContactPoint.Kind.EMAIL)


def contact_points_prefetch() -> Prefetch:
    """The phones and emails of customers in one query, primary first, as their ``contact_points``."""
    points = ContactPoint.objects.filter(kind__in=SHOWN_KINDS).order_by("-is_primary", "id")
    return Prefetch("contact_points", queryset=points)


def customer_queryset(*, user: AbstractBaseUser) -> QuerySet[Customer]:
    """The customers ``user`` may see, with their phones and emails prefetched."""
    return Customer.objects.visible_to(user).prefetch_related(contact_points_prefetch())


#: A customer by id, and their phones and emails as :func:`contact_points_prefetch` orders them:
#: the detail endpoint's two queries, compiled once (:mod:`contactcenter.core.compiled`).
_CUSTOMER_BY_ID = CompiledQuery(lambda pk: Customer.objects.filter(pk=pk), samples=[-7_000_011])
_SHOWN_POINTS_OF = CompiledQuery(
    lambda pk: ContactPoint.objects.filter(customer_id=pk, kind__in=SHOWN_KINDS).order_by("-is_primary", "id"),
    samples=[-7_000_012],
)


def customer_with_email(email: str) -> Customer | None:
    """The customer holding the email address ``email`` (any case: emails are stored lower-case),
    the oldest when several do; ``None`` when nobody does. Erased customers are not found."""
    value = (email or "").strip().lower()
    if not value:
        return None
    return (
        Customer.objects.not_erased()
        .filter(contact_points__kind=ContactPoint.Kind.EMAIL, contact_points__value=value)
        .order_by("pk")
        .first()
    )


def customer_detail(*, user: AbstractBaseUser, pk: int) -> Customer | None:
    """Customer ``pk`` with their phones and emails as :func:`customer_queryset` gives them, or
    ``None`` when there is none or ``user`` may not see it (the same rule as ``visible_to``)."""
    if not 0 < pk <= MAX_ID or not customers_visible_to(user):
        return None
    # Both by the id asked for: one round trip (the points of a customer not found are dropped).
    found, points = fetch_together(_CUSTOMER_BY_ID.later(pk), _SHOWN_POINTS_OF.later(pk))
    if not found:
        return None
    attach_prefetched(found[0], "contact_points", points)
    return found[0]


def _text_matches(field: str, word: str) -> Q:
    """``word`` appears in ``field``, whatever the case; a word of one or two characters must
    start the field (see :data:`SHORT_WORD`).

    On PostgreSQL the test is ``lower(field) LIKE '%word%'``, the exact expression of the trigram
    indexes of migration 0003 (``icontains`` would compile to ``UPPER()`` and miss them). SQLite's
    ``LOWER()`` and ``LIKE`` only fold ASCII letters: there ``icontains`` with the word as typed is
    the best it can do (``Élodie`` finds Élodie, ``élodie`` does not).
    """
    short = len(word) <= SHORT_WORD
    if connection.vendor == "postgresql":
        lookup = StartsWith if short else Contains
        return Q(lookup(Lower(field), word.lower()))
    return Q(**{f"{field}__{'istartswith' if short else 'icontains'}": word})


def _search_terms(raw: str) -> str:
    return clean_search_term(raw, max_length=MAX_SEARCH_LENGTH, max_words=MAX_SEARCH_WORDS)


def customer_search(queryset: QuerySet[Customer], term: str) -> QuerySet[Customer]:
    """Narrow ``queryset`` to the customers matching ``term`` (SPEC §5 ``?search=``).

    - A term that normalizes to a phone number (``06 12 34 56 78``, ``+33 6 12 34 56 78``,
      ``0033612345678``…) matches customers having exactly that number.
    - Otherwise every word of the term must appear, case-insensitively, in the first name, the
      last name, the company or one of the emails of the customer (not necessarily the same one);
      a word of one or two characters must start one of them (``a martin``: Anne Martin).
    - A blank term matches everything. ``ValidationError`` naming ``search`` for an unusable term.
    """
    term = _search_terms(term)
    if not term:
        return queryset
    e164 = try_normalize_phone(term)
    if e164 is not None:
        owners = ContactPoint.objects.filter(kind=ContactPoint.Kind.PHONE, value=e164).values("customer_id")
        return queryset.filter(pk__in=owners)
    words = list(dict.fromkeys(term.split()))
    if connection.vendor == "postgresql":
        return _search_by_document(queryset, words)
    # The longest word is likely the most selective: its matches, found through the trigram
    # indexes (one UNION, so that each side uses its own index), are the candidates; the other
    # words are then checked on those rows only, instead of each materializing its own matches.
    driver = max(words, key=len)
    queryset = queryset.filter(
        pk__in=_name_matches(driver).values("pk").union(_email_matches(driver).values("customer_id"))
    )
    for word in words:
        if word != driver:
            queryset = queryset.filter(_word_condition(word))
    return queryset


class SearchDocument(Expression):
    """The customer's search document (PostgreSQL only): ``lower(first_name) lower(last_name)
    lower(company)`` and the emails, in the column ``search_document`` that the triggers of
    migration 0004 keep and a trigram index covers. Django does not know the column: this resolves
    to it on the customer table of the query it is used in (and follows that table's alias when
    the query becomes a subquery)."""

    output_field = TextField()

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False) -> Col:
        column = TextField()
        column.set_attributes_from_name("search_document")
        return Col(query.get_initial_alias(), column, output_field=TextField())


def _search_by_document(queryset: QuerySet[Customer], words: list[str]) -> QuerySet[Customer]:
    """PostgreSQL: the customers whose search document holds every word of three characters or
    more (one trigram index scan finds those having all of them, however common each word is),
    then each word checked field by field on those candidates, as the definition says. A term of
    short words only has nothing for the index: its longest word picks the candidates."""
    long_words = [word for word in words if len(word) > SHORT_WORD]
    if long_words:
        # Every word's match lies inside the document (the same lower() of the same fields, the
        # emails as stored), so this only removes customers the definition would reject.
        queryset = queryset.filter(*(Q(Contains(SearchDocument(), word.lower())) for word in long_words))
    else:
        driver = max(words, key=len)
        queryset = queryset.filter(
            pk__in=_name_matches(driver).values("pk").union(_email_matches(driver).values("customer_id"))
        )
    for word in words:
        queryset = queryset.filter(_word_condition(word))
    return queryset


def _word_condition(word: str) -> Q:
    """``word`` in the first name, the last name, the company or one of the emails."""
    return _name_condition(word) | Q(Exists(_email_matches(word).filter(customer_id=OuterRef("pk"))))


def _name_condition(word: str) -> Q:
    return _text_matches("first_name", word) | _text_matches("last_name", word) | _text_matches("company", word)


def _name_matches(word: str) -> QuerySet[Customer]:
    return Customer.objects.filter(_name_condition(word)).order_by()


def _email_matches(word: str) -> QuerySet[ContactPoint]:
    # Emails are stored lower-case: ``value`` itself is what the trigram index holds.
    lookup = "value__startswith" if len(word) <= SHORT_WORD else "value__contains"
    return ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL, **{lookup: word.lower()}).order_by()


def customer_list(*, user: AbstractBaseUser, search: str = "", erased: bool = False) -> QuerySet[Customer]:
    """The customers ``user`` may see, matching ``search`` (see :func:`customer_search`), ordered
    by last name, first name and id. Give the page shown to :func:`with_shown_points`.

    Erased customers (anonymous rows kept for the KPIs) are left out, unless ``erased`` is true:
    then only they are listed.
    """
    queryset = Customer.objects.visible_to(user).filter(erased_at__isnull=not erased)
    return customer_search(queryset, search).order_by("last_name", "first_name", "id")


@dataclass(frozen=True, slots=True)
class ShownPoint:
    """A phone or an email of a listed customer: what a list shows of it."""

    kind: str
    value: str


def with_shown_points(customers: list[Customer]) -> list[Customer]:
    """``customers`` (a page of a list), each with its phones and emails as ``shown_points``,
    primary first, in one query.

    The points come as plain (kind, value) pairs, not model instances: on a page of 50 customers,
    building a hundred-odd ``ContactPoint`` objects and relating them took more time than the
    query."""
    by_id: dict[int, Customer] = {}
    for customer in customers:
        customer.shown_points = []
        by_id[customer.pk] = customer
    if by_id:
        points = (
            ContactPoint.objects.filter(customer_id__in=list(by_id), kind__in=SHOWN_KINDS)
            .order_by("-is_primary", "id")
            .values_list("customer_id", "kind", "value")
        )
        for customer_id, kind, value in points:
            by_id[customer_id].shown_points.append(ShownPoint(kind, value))
    return customers


# --- Screen pop ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreenPop:
    """What an agent sees when a call rings: who, what is open, what happened lately.

    Plain data (model instances with their joins); the API, the agent socket and the desktop
    serialize it each in their own format.
    """

    customer: Customer | None
    open_tickets: list[Ticket]
    last_interactions: list[Interaction]
    other_customer_ids: list[int] = field(default_factory=list)
    #: The contact the pop is for (``None`` for a lookup by number), with ``queue``, ``agent``,
    #: ``disposition``, ``script_version`` and ``ticket`` joined.
    interaction: Interaction | None = None
    #: The caller's number in E.164 when it is one, else as the telephony system sent it.
    caller: str | None = None
    #: The telephony system's id of the call (``None`` when the contact is not a call).
    call_id: str | None = None
    #: When the hold the call is in now began (``None``: not on hold, or not a call).
    held_since: datetime | None = None


#: What a screen pop shows of a contact, joined when it is read (:func:`screen_pop_contacts`).
SCREEN_POP_RELATIONS = ("queue", "agent", "disposition", "script_version__script", "ticket", "customer", "cti_call")


def screen_pop_contacts(*, user: AbstractBaseUser) -> QuerySet[Interaction]:
    """The contacts ``user`` may see, as a screen pop reads one: its queue, agent, disposition,
    script version (with its script), linked ticket, customer and CTI call joined, so that
    :func:`screen_pop` given one reads nothing more of it (one query)."""
    return Interaction.objects.visible_to(user).select_related(*SCREEN_POP_RELATIONS)


def screen_pop(
    *,
    user: AbstractBaseUser,
    phone: str | None = None,
    interaction_id: int | None = None,
    interaction: Interaction | None = None,
    history: int = SCREEN_POP_INTERACTIONS,
    tickets: bool = True,
    contact_points: bool = True,
) -> ScreenPop | None:
    """The one screen pop: for a caller's ``phone`` typed or sent in any usual format (the lookup
    API), or for the contact ``interaction_id`` (the agent's socket and desktop), as ``user`` may
    see it; or for ``interaction``, a contact read already through :func:`screen_pop_contacts`.

    By number: ``ValidationError`` naming ``phone`` when it is not a phone number; ``None`` when no
    customer ``user`` may see has it. Several customers may share a number (a family, a
    switchboard): the one holding it as primary wins, then the most recently updated; the others
    are listed by id.

    By contact: ``None`` when the interaction is not one ``user`` may see; the customer is the
    interaction's (``None`` for an unknown caller or an erased customer) and the contact itself is
    left out of the last interactions.

    Open tickets (newest first, :data:`SCREEN_POP_OPEN_TICKETS` at most; not read when ``tickets``
    is false: :func:`customer_history` reads them with the timeline), the customer's phones and
    emails (not read when ``contact_points`` is false) and the ``history`` last
    interactions (0: not read) are the ones ``user`` may see. Four queries at most, whatever the
    history: by contact, the contact with its customer and call; by number, the customers holding
    it; then the contact points, the open tickets and the last interactions, which need only the
    customer and leave together (one round trip on PostgreSQL: :func:`fetch_together`).
    """
    if sum(given is not None for given in (phone, interaction_id, interaction)) != 1:
        raise TypeError("screen_pop() takes a phone, an interaction_id or an interaction")
    call = None
    others: list[int] = []
    if phone is not None:
        owners = _phone_owners(user=user, phone=phone)
        if not owners:
            return None
        customer = owners[0]
        others = [owner.pk for owner in owners[1:]]
    else:
        if interaction is None:
            interaction = screen_pop_contacts(user=user).filter(pk=interaction_id).first()
            if interaction is None:
                return None
        call = getattr(interaction, "cti_call", None)  # joined: ``None`` when the contact is not a call
        customer = shown_customer(user=user, customer=interaction.customer)
    open_tickets: list[Ticket] = []
    last_interactions: list[Interaction] = []
    if customer is not None:
        # Each read needs the customer only: they leave together, one round trip.
        shown = interaction.pk if interaction is not None else NO_CONTACT
        reads = {
            "points": _SHOWN_POINTS_OF.later(customer.pk) if contact_points or phone is not None else None,
            "tickets": _OPEN_TICKETS.later(user, customer.pk) if tickets else None,
            "history": _last_interactions(history).later(user, customer.pk, shown) if history else None,
        }
        wanted = {name: read for name, read in reads.items() if read is not None}
        found = dict(zip(wanted, fetch_together(*wanted.values()), strict=True))
        if "points" in found:
            attach_prefetched(customer, "contact_points", found["points"])
        open_tickets = found.get("tickets", [])
        last_interactions = found.get("history", [])
    raw_caller = call.caller if call else None
    return ScreenPop(
        customer=customer,
        open_tickets=open_tickets,
        last_interactions=last_interactions,
        other_customer_ids=others,
        interaction=interaction,
        caller=(caller_number(raw_caller) or raw_caller or None) if raw_caller is not None else None,
        call_id=call.call_id if call else None,
        held_since=call.held_since if call else None,
    )


def shown_customer(*, user: AbstractBaseUser, customer: Customer | None) -> Customer | None:
    """``customer`` (read already, e.g. joined to a contact) when ``user`` may see it and it is not
    erased, else ``None`` (the same rule as ``visible_to``; no query)."""
    if customer is None or customer.erased_at is not None or not customers_visible_to(user):
        return None
    return customer


#: The customers holding a phone number, as a screen pop ranks them: the one holding it as primary,
#: then the most recently updated (then the oldest); erased ones are not found. Compiled once per
#: kind of viewer (:class:`~contactcenter.core.compiled.ViewerQuery`).
_PHONE_OWNERS: ViewerQuery[Customer] = ViewerQuery(
    lambda viewer, e164: (
        Customer.objects.visible_to(viewer)
        .filter(
            erased_at__isnull=True,
            contact_points__kind=ContactPoint.Kind.PHONE,
            contact_points__value=e164,
        )
        .order_by("-contact_points__is_primary", "-updated_at", "id")[: SCREEN_POP_OTHER_CUSTOMERS + 1]
    ),
    samples=["sample:phone"],
)


def _phone_owners(*, user: AbstractBaseUser, phone: str) -> list[Customer]:
    """The customers ``user`` may see who hold ``phone`` (any usual format), best first (one
    query); ``ValidationError`` naming ``phone`` when it is not a phone number."""
    try:
        e164 = normalize_phone(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from None
    return _PHONE_OWNERS.fetch(user, e164)


#: No contact's id (ids start at 1): what a screen pop by number leaves out of the last contacts.
NO_CONTACT = 0


@cache
def _last_interactions(history: int) -> ViewerQuery[Interaction]:
    """A customer's ``history`` newest contacts a viewer may see but one (the contact the screen
    pop is for, or :data:`NO_CONTACT`), with agent, queue and disposition."""
    return ViewerQuery(
        lambda viewer, customer_id, contact_id: (
            Interaction.objects.visible_to(viewer)
            .filter(customer_id=customer_id)
            .exclude(pk=contact_id)
            .select_related("agent", "queue", "disposition")
            .order_by("-offered_at", "-id")[:history]
        ),
        samples=[-7_000_042, -7_000_043],
    )


_OPEN_TICKETS: ViewerQuery[Ticket] = ViewerQuery(
    lambda viewer, customer_id: (
        Ticket.objects.visible_to(viewer)
        .filter(customer_id=customer_id, status__in=OPEN_TICKET_STATUSES)
        .select_related("queue", "assignee", "category")
        .order_by("-created_at", "-id")[:SCREEN_POP_OPEN_TICKETS]
    ),
    samples=[-7_000_044],
)


def customer_open_tickets(*, user: AbstractBaseUser, customer: Customer) -> list[Ticket]:
    """The customer's open tickets ``user`` may see, newest first (one query)."""
    return _OPEN_TICKETS.fetch(user, customer.pk)


# --- Timeline -----------------------------------------------------------------------------------

#: Entries sharing a timestamp are ordered by kind (comment, ticket, interaction), then id.
_KIND_RANK = {"interaction": 0, "ticket": 1, "comment": 2}


@dataclass(frozen=True, order=True)
class TimelineKey:
    """Where an entry sits in the timeline: newest first, ties broken by kind then id."""

    at: datetime
    rank: int
    id: int

    @property
    def kind(self) -> str:
        return next(kind for kind, rank in _KIND_RANK.items() if rank == self.rank)

    def encode(self) -> str:
        text = f"{self.at.isoformat()}|{self.kind}|{self.id}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> TimelineKey:
        """The key encoded by :meth:`encode`; ``ValidationError`` naming ``cursor`` otherwise."""
        problem = ValidationError({"cursor": [_("This cursor is not one the timeline gave out.")]})
        if len(cursor) > 200:
            raise problem
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            at_text, kind, id_text = text.split("|")
            at = parse_datetime(at_text)
            pk = int(id_text)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise problem from None
        if at is None or timezone.is_naive(at) or kind not in _KIND_RANK or not 0 < pk < 2**63:
            raise problem
        return cls(at, _KIND_RANK[kind], pk)


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    at: datetime
    obj: Interaction | Ticket | TicketComment

    @property
    def key(self) -> TimelineKey:
        return TimelineKey(self.at, _KIND_RANK[self.kind], self.obj.pk)


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: str | None


def _older_than(time_field: str, kind: str, cursor: TimelineKey | None) -> Q:
    """Rows of ``kind`` that come after ``cursor`` in the timeline (older, or tied and lower)."""
    if cursor is None:
        return Q()
    rank = _KIND_RANK[kind]
    older = Q(**{f"{time_field}__lt": cursor.at})
    if rank < cursor.rank:
        return older | Q(**{time_field: cursor.at})
    if rank == cursor.rank:
        return older | Q(**{time_field: cursor.at, "pk__lt": cursor.id})
    return older


def _timeline_bounds(cursor: str | None, limit: int) -> tuple[TimelineKey | None, int]:
    """The decoded ``cursor`` and ``limit`` clamped to ``1…TIMELINE_MAX_LIMIT``."""
    return (TimelineKey.decode(cursor) if cursor else None), max(1, min(limit, TIMELINE_MAX_LIMIT))


def _timeline_tickets(*, user: AbstractBaseUser, customer: Customer) -> QuerySet[Ticket]:
    return Ticket.objects.visible_to(user).filter(customer=customer)


def _timeline_page(
    *,
    user: AbstractBaseUser,
    customer: Customer,
    key: TimelineKey | None,
    limit: int,
    tickets: list[Ticket] | None = None,
) -> TimelinePage:
    """The page after ``key``: each source reads at most ``limit + 1`` rows (one query each); the
    tickets' are ``tickets`` when given (their ``limit + 1`` newest after ``key`` among them)."""
    visible_tickets = _timeline_tickets(user=user, customer=customer)
    sources: list[tuple[str, str, QuerySet]] = [
        (
            "interaction",
            "offered_at",
            Interaction.objects.visible_to(user)
            .filter(customer=customer)
            # The recording (telephony's, named: that app sits above) and its call's pauses, for the players.
            .select_related("agent", "queue", "disposition", "telephony_recording", "cti_call"),
        ),
        (
            "comment",
            "created_at",
            TicketComment.objects.filter(ticket__in=visible_tickets.values("pk")).select_related("ticket", "author"),
        ),
    ]
    if tickets is None:
        sources.insert(1, ("ticket", "created_at", visible_tickets.select_related("queue", "assignee", "category")))
    streams = []
    for kind, time_field, queryset in sources:
        rows = queryset.filter(_older_than(time_field, kind, key)).order_by(f"-{time_field}", "-pk")[: limit + 1]
        streams.append([TimelineEntry(kind, getattr(row, time_field), row) for row in rows])
    if tickets is not None:
        entries = (TimelineEntry("ticket", ticket.created_at, ticket) for ticket in tickets)
        streams.append([entry for entry in entries if key is None or entry.key < key][: limit + 1])
    merged = list(heapq.merge(*streams, key=lambda entry: entry.key, reverse=True))
    page = merged[:limit]
    next_cursor = page[-1].key.encode() if len(merged) > limit else None
    return TimelinePage(page, next_cursor)


def customer_timeline(
    *,
    user: AbstractBaseUser,
    customer: Customer,
    cursor: str | None = None,
    limit: int = TIMELINE_DEFAULT_LIMIT,
) -> TimelinePage:
    """One page of the customer's history across every channel, newest first.

    Entries are the interactions (at ``offered_at``), the tickets (at ``created_at``) and the
    comments of those tickets (at ``created_at``) that ``user`` may see. ``cursor`` is the
    ``next_cursor`` of the previous page; ``limit`` is clamped to ``1…TIMELINE_MAX_LIMIT``.
    Three queries whatever the limit: each source reads at most ``limit + 1`` rows.
    """
    key, limit = _timeline_bounds(cursor, limit)
    return _timeline_page(user=user, customer=customer, key=key, limit=limit)


@dataclass(frozen=True)
class CustomerHistory:
    """A customer's open tickets and a page of their timeline, as a call or a customer card shows
    them."""

    open_tickets: list[Ticket]
    timeline: TimelinePage


def customer_history(
    *,
    user: AbstractBaseUser,
    customer: Customer,
    cursor: str | None = None,
    limit: int = TIMELINE_DEFAULT_LIMIT,
) -> CustomerHistory:
    """:func:`customer_open_tickets` and :func:`customer_timeline` together, in three queries
    instead of four: the open tickets and the page's tickets are read at once (the customer's
    tickets among the newest open ones or the newest of the page, by two bounded subqueries), then
    told apart. ``ValidationError`` naming ``cursor`` as the timeline."""
    key, limit = _timeline_bounds(cursor, limit)
    visible = _timeline_tickets(user=user, customer=customer)
    newest_open = (visible.filter(status__in=OPEN_TICKET_STATUSES).order_by("-created_at", "-id").values("pk"))[
        :SCREEN_POP_OPEN_TICKETS
    ]
    newest_of_page = (
        visible.filter(_older_than("created_at", "ticket", key)).order_by("-created_at", "-pk").values("pk")
    )[: limit + 1]
    tickets = list(
        visible.filter(Q(pk__in=newest_open) | Q(pk__in=newest_of_page))
        .select_related("queue", "assignee", "category")
        .order_by("-created_at", "-id")
    )
    # Every one of the newest open tickets is here, and any other open one here is older than them.
    open_tickets = [ticket for ticket in tickets if ticket.status in OPEN_TICKET_STATUSES][:SCREEN_POP_OPEN_TICKETS]
    page = _timeline_page(user=user, customer=customer, key=key, limit=limit, tickets=tickets)
    return CustomerHistory(open_tickets=open_tickets, timeline=page)


# --- Export -------------------------------------------------------------------------------------

EXPORT_FORMAT = "switchboard.customer-export/1"


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj: Model, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every stored field of ``obj``, foreign keys as ids under the field's name."""
    return {
        field.name: _jsonable(getattr(obj, field.attname))
        for field in obj._meta.concrete_fields
        if field.name not in exclude
    }


def _recording_url(interaction: Interaction) -> str | None:
    """Where the interaction's recording is heard (the API's URL), ``None`` without one: an export
    names it, never holds it."""
    try:
        interaction.telephony_recording  # noqa: B018 (joined: raises when there is none)
    except ObjectDoesNotExist:
        return None
    return reverse("interaction-recording", kwargs={"pk": interaction.pk})


#: ``name → hook(user=, customer=)``: what apps above this one add to a customer's export, each
#: under its own key (web chat: ``chats``); registered from an ``AppConfig.ready``.
_export_hooks: dict[str, Callable[..., Any]] = {}


def customer_export_hook_register(name: str, hook: Callable[..., Any]) -> None:
    """Add ``hook(user=, customer=)``'s JSON-ready answer to every :func:`customer_export` under
    ``name`` (once, from an ``AppConfig.ready`` of an app above this one)."""
    _export_hooks[name] = hook


def customer_export(*, user: AbstractBaseUser, customer: Customer) -> dict[str, Any]:
    """Everything Switchboard holds on ``customer``, as JSON-ready data (a data-protection access
    request, SPEC §5).

    Every stored field of the customer, its contact points (social handles included), the
    interactions linked to it with their survey responses (and the URL of their recording, never
    the audio), its tickets with their comments, the
    field history of the customer and of its contact points, the erasures done on it, and who read
    its data (:class:`CustomerRead`: user, what, when; the reader's IP address and request id stay
    in the back office), and what the apps above add (:func:`customer_export_hook_register`: the
    web chats and their messages). Rows ``user`` may not see are left out (an admin, the only role allowed to
    export, sees all).
    A fixed number of queries.
    """
    visible_interactions = Interaction.objects.visible_to(user).filter(customer=customer)
    # With the recording telephony keeps of each (named, not imported: that app sits above).
    interactions = list(visible_interactions.select_related("telephony_recording").order_by("offered_at", "id"))
    surveys = list(
        SurveyResponse.objects.filter(interaction__in=visible_interactions.values("pk")).order_by("created_at", "id")
    )
    tickets = list(
        Ticket.objects.visible_to(user)
        .filter(customer=customer)
        .prefetch_related("comments")
        .order_by("created_at", "id")
    )
    history = Customer.history.model.objects.filter(id=customer.pk).order_by("history_date", "history_id")
    point_history = ContactPoint.history.model.objects.filter(customer_id=customer.pk).order_by(
        "history_date", "history_id"
    )
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "customer": _row(customer),
        "contact_points": [_row(point, exclude=("customer",)) for point in customer.contact_points.order_by("id")],
        "interactions": [
            {**_row(interaction, exclude=("customer",)), "recording_file": _recording_url(interaction)}
            for interaction in interactions
        ],
        "survey_responses": [_row(survey) for survey in surveys],
        "tickets": [
            {
                **_row(ticket, exclude=("customer",)),
                "comments": [_row(comment, exclude=("ticket",)) for comment in ticket.comments.all()],
            }
            for ticket in tickets
        ],
        "history": {
            "customer": [_row(row) for row in history],
            "contact_points": [_row(row) for row in point_history],
        },
        "erasures": [_row(record) for record in ErasureRecord.objects.filter(customer_id=customer.pk)],
        "reads": [
            _row(read, exclude=("customer_id", "ip", "request_id"))
            for read in CustomerRead.objects.filter(customer_id=customer.pk).order_by("read_at", "id")
        ],
        **{name: hook(user=user, customer=customer) for name, hook in _export_hooks.items()},
    }
