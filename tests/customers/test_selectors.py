"""The customer selectors: search rules, screen pop choice, timeline order and paging, indexes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from contactcenter.agents.models import Role
from customers.models import ContactPoint, Customer
from customers.selectors import (
    SCREEN_POP_OPEN_TICKETS,
    TimelineKey,
    customer_history,
    customer_list,
    customer_open_tickets,
    customer_search,
    customer_timeline,
    screen_pop,
    with_shown_points,
)
from customers.services import customer_create, customer_erase
from tests.agents.factories import AgentProfileFactory
from tests.customers.factories import CustomerFactory
from tests.interactions.factories import T0, InteractionFactory, TicketCommentFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return AgentProfileFactory(role=Role.MANAGER).user


def names(queryset) -> list[str]:
    return [customer.last_name for customer in queryset]


def test_search_rules(manager):
    customer_create(first_name="Anne", last_name="Martin", company="ACME", phones=["0612345678"], emails=["a@acme.fr"])
    customer_create(first_name="Jean", last_name="Martinez", emails=["jean@globex.com"])
    customer_create(first_name="Élodie", last_name="Dupont", phones=["+44 20 7946 0958"])

    def search(term: str) -> list[str]:
        return names(customer_list(user=manager, search=term))

    assert search("") == ["Dupont", "Martin", "Martinez"]
    assert search("martin") == ["Martin", "Martinez"]
    assert search("martin anne") == ["Martin"]
    assert search("MARTIN globex") == ["Martinez"]  # one word in the name, the other in an email
    assert search("acme") == ["Martin"]  # company and email
    assert search("Élodie") == ["Dupont"]
    assert search("0612345678") == ["Martin"]
    assert search("+44 20 7946 0958") == ["Dupont"]
    assert search("020 7946 0958") == []  # a UK national number is not a French one
    assert search("  anne   martin  ") == ["Martin"]


def test_search_refuses_terms_nobody_types():
    queryset = CustomerFactory._meta.model.objects.all()
    for term in ("x" * 201, "1 2 3 4 5 6 7 8 9", "tab\x07"):
        with pytest.raises(ValidationError) as excinfo:
            customer_search(queryset, term)
        assert "search" in excinfo.value.message_dict


def test_the_screen_pop_prefers_the_customer_holding_the_number_as_primary(manager):
    secondary = customer_create(last_name="Secondary", phones=["0170000000", "0612345678"])
    primary = customer_create(last_name="Primary", phones=["06 12 34 56 78"])
    erased = customer_create(last_name="Erased", phones=["0612345678"])
    customer_erase(customer=erased, by=manager)

    pop = screen_pop(user=manager, phone="+33612345678")

    assert pop.customer == primary
    assert pop.other_customer_ids == [secondary.pk]


def test_the_screen_pop_refuses_what_is_not_a_phone(manager):
    with pytest.raises(ValidationError) as excinfo:
        screen_pop(user=manager, phone="bonjour")
    assert "phone" in excinfo.value.message_dict
    assert screen_pop(user=manager, phone="0781234567") is None


def test_timeline_entries_at_the_same_instant_keep_a_stable_order_across_pages(manager):
    customer = CustomerFactory()
    call = InteractionFactory(customer=customer, offered_at=T0)
    ticket = TicketFactory(customer=customer)
    comment = TicketCommentFactory(ticket=ticket)
    type(ticket).objects.filter(pk=ticket.pk).update(created_at=T0)
    type(comment).objects.filter(pk=comment.pk).update(created_at=T0)
    older = InteractionFactory(customer=customer, offered_at=T0 - timedelta(seconds=1))
    expected = [("comment", comment.pk), ("ticket", ticket.pk), ("interaction", call.pk), ("interaction", older.pk)]

    whole = customer_timeline(user=manager, customer=customer)
    assert [(e.kind, e.obj.pk) for e in whole.entries] == expected
    assert whole.next_cursor is None

    seen, cursor = [], None
    while True:
        page = customer_timeline(user=manager, customer=customer, cursor=cursor, limit=1)
        seen += [(e.kind, e.obj.pk) for e in page.entries]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected


def test_a_timeline_cursor_round_trips_and_garbage_is_refused():
    key = TimelineKey(T0, 1, 42)
    assert TimelineKey.decode(key.encode()) == key
    for garbage in ("", "%%%", "bm9wZQ", TimelineKey(T0, 0, 1).encode()[:-3], "x" * 300):
        with pytest.raises(ValidationError) as excinfo:
            TimelineKey.decode(garbage)
        assert "cursor" in excinfo.value.message_dict


def test_the_timeline_reads_three_queries_whatever_its_length(manager, django_assert_num_queries):
    customer = CustomerFactory()
    for minutes in range(30):
        InteractionFactory(customer=customer, offered_at=T0 + timedelta(minutes=minutes))
        TicketCommentFactory(ticket=TicketFactory(customer=customer))
    manager.agent_profile  # noqa: B018 - the role is read once per request, not per selector
    with django_assert_num_queries(3):
        page = customer_timeline(user=manager, customer=customer, limit=200)
        assert len(page.entries) == 90
        for entry in page.entries:  # related rows come with their entries
            if entry.kind == "interaction":
                str(entry.obj.queue)
            elif entry.kind == "comment":
                str(entry.obj.ticket.reference)


def test_the_history_is_the_open_tickets_and_the_timeline_in_three_queries(manager, django_assert_num_queries):
    """customer_history reads the open tickets and the timeline's tickets at once: the same lists as
    customer_open_tickets and customer_timeline, page after page, with more open tickets than the
    screen pop shows and closed ones among them."""
    customer = CustomerFactory()
    for n in range(SCREEN_POP_OPEN_TICKETS + 10):
        ticket = TicketFactory(customer=customer, status="closed" if n % 4 == 0 else "open")
        type(ticket).objects.filter(pk=ticket.pk).update(created_at=T0 + timedelta(minutes=n % 7))
        InteractionFactory(customer=customer, offered_at=T0 + timedelta(minutes=n % 5))
        TicketCommentFactory(ticket=ticket)
    manager.agent_profile  # noqa: B018 - the role is read once per request, not per selector

    def keys(entries):
        return [(entry.kind, entry.obj.pk) for entry in entries]

    cursor, pages = None, 0
    while True:
        with django_assert_num_queries(3):
            found = customer_history(user=manager, customer=customer, cursor=cursor, limit=7)
        page = customer_timeline(user=manager, customer=customer, cursor=cursor, limit=7)
        assert keys(found.timeline.entries) == keys(page.entries)
        assert found.timeline.next_cursor == page.next_cursor
        assert [t.pk for t in found.open_tickets] == [
            t.pk for t in customer_open_tickets(user=manager, customer=customer)
        ]
        assert len(found.open_tickets) == SCREEN_POP_OPEN_TICKETS
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == 13  # 30 interactions, 30 tickets (22 open), 30 comments, 7 a page


def test_contact_points_are_read_in_one_query(manager, django_assert_num_queries):
    for n in range(5):
        customer_create(last_name="Martin", phones=[f"061234567{n}", "0699999999"], emails=[f"m{n}@x.fr"])
    customer_create(last_name="Nopoint")
    manager.agent_profile  # noqa: B018
    with django_assert_num_queries(2):
        rows = with_shown_points(list(customer_list(user=manager)))
    shown = {row.last_name + str(i): [(p.kind, p.value) for p in row.shown_points] for i, row in enumerate(rows)}
    assert shown["Nopoint5"] == []
    assert shown["Martin0"] == [("phone", "+33612345670"), ("email", "m0@x.fr"), ("phone", "+33699999999")]
    assert with_shown_points([]) == []


@pytest.mark.postgres
def test_postgresql_searches_words_through_trigram_indexes(manager):
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes exist on PostgreSQL only (DATABASE_URL)")
    # Enough rows, analyzed, for the planner to plan as it would on a real table.
    people = Customer.objects.bulk_create(
        Customer(first_name=f"first{n}", last_name=f"last{n}", company=f"company{n}") for n in range(3000)
    )
    ContactPoint.objects.bulk_create(
        ContactPoint(customer=person, kind=kind, value=value)
        for n, person in enumerate(people)
        for kind, value in (("email", f"person{n}@example.test"), ("phone", f"+336{n:08d}"))
    )
    indexes = [
        "customer_first_name_trgm",
        "customer_last_name_trgm",
        "customer_company_trgm",
        "contact_point_value_trgm",
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ["%trgm"])
        assert {row[0] for row in cursor.fetchall()} >= {*indexes, "customer_search_document_trgm"}
        for index in [*indexes, "customer_search_document_trgm"]:  # what autovacuum does on a live table
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        cursor.execute("ANALYZE customers_customer, customers_contactpoint")
        # 3000 rows still fit a sequential scan; at 1M they do not.
        cursor.execute("SET LOCAL enable_seqscan = off")

    # A word of three characters or more goes through the search document's index (migration
    # 0004); a term of short words only through the fields' and the emails' indexes.
    plan = customer_list(user=manager, search="Last123").explain()
    assert "customer_search_document_trgm" in plan, plan
    plan = customer_list(user=manager, search="la").explain()
    for index in ("customer_first_name_trgm", "customer_last_name_trgm", "customer_company_trgm"):
        assert index in plan, plan
    assert "contact_point_value_trgm" in plan, plan  # the emails side of the same search
    phone_plan = customer_list(user=manager, search="06 00 00 01 23").explain()
    assert "contact_point_lookup_idx" in phone_plan, phone_plan
