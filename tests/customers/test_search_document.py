"""The customer search against its definition (every word in a name, the company or an email, a
short word at the start of one), on random customers and terms; and, on PostgreSQL, the search
document that narrows the candidates: kept by the database through every kind of write, and read
through its trigram index."""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from contactcenter.agents.models import Role
from customers.models import ContactPoint, Customer
from customers.selectors import customer_list, customer_search
from customers.services import contact_point_add, customer_create, customer_erase, customer_merge, customer_update
from tests.agents.factories import AgentProfileFactory
from tests.hypothesis_profiles import examples

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the search document exists on PostgreSQL only (DATABASE_URL)")


def document(customer: Customer) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_document FROM customers_customer WHERE id = %s", [customer.pk])
        return cursor.fetchone()[0]


def matches(customer: Customer, emails: list[str], word: str) -> bool:
    """The definition, in Python (ASCII names: SQLite folds ASCII letters only)."""
    word = word.lower()
    names = [customer.first_name.lower(), customer.last_name.lower(), customer.company.lower()]
    if len(word) <= 2:
        return any(text.startswith(word) for text in names + emails)
    return any(word in text for text in names + emails)


_WORDS = ["martin", "david", "mar", "tin", "da", "vi", "ma", "bernard", "martine", "acme", "dav"]
_customer = st.tuples(
    st.sampled_from(["Martin", "David", "Martine", "Bernard", "", "Davidson"]),
    st.sampled_from(["Martin", "David", "Bernard", "Le Martin", "Dupont"]),
    st.sampled_from(["", "ACME", "Martin & David"]),
    st.lists(st.sampled_from(["david.martin@acme.fr", "m@bernard.fr", "da@x.fr", "tin@y.fr"]), max_size=2, unique=True),
)


@hypothesis_settings(
    max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    people=st.lists(_customer, min_size=1, max_size=6),
    terms=st.lists(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=3), min_size=1, max_size=4),
)
def test_the_search_finds_what_the_definition_says(people, terms):
    Customer.objects.all().delete()
    created = []
    for first, last, company, emails in people:
        created.append((customer_create(first_name=first, last_name=last, company=company, emails=emails), emails))
    for words in terms:
        term = " ".join(words)
        expected = {c.pk for c, emails in created if all(matches(c, emails, word) for word in words)}
        assert set(customer_search(Customer.objects.all(), term).values_list("pk", flat=True)) == expected, term


@pytest.mark.postgres
def test_the_document_follows_every_write(postgresql):
    anne = customer_create(first_name="Anne", last_name="Martin", company="ACME", emails=["anne@acme.fr"])
    assert document(anne) == "anne martin acme anne@acme.fr"
    customer_update(customer=anne, last_name="Dupont")
    assert document(anne) == "anne dupont acme anne@acme.fr"
    point = contact_point_add(customer=anne, kind=ContactPoint.Kind.EMAIL, value="anne.d@globex.com")
    assert document(anne) == "anne dupont acme anne@acme.fr anne.d@globex.com"
    ContactPoint.objects.filter(pk=point.pk).update(value="a.dupont@globex.com")
    assert document(anne).endswith(" a.dupont@globex.com")
    contact_point_add(customer=anne, kind=ContactPoint.Kind.PHONE, value="0612345678")  # not searched by word
    ContactPoint.objects.filter(pk=point.pk).delete()
    assert document(anne) == "anne dupont acme anne@acme.fr"
    # Bulk writes and raw SQL too.
    bulk = Customer.objects.bulk_create([Customer(first_name="Jean", last_name="Bernard")])[0]
    assert document(bulk) == "jean bernard  "
    with connection.cursor() as cursor:
        cursor.execute("UPDATE customers_customer SET company = 'Initech' WHERE id = %s", [bulk.pk])
    assert document(bulk) == "jean bernard initech "


@pytest.mark.postgres
def test_a_merge_and_an_erasure_leave_the_document_right(postgresql):
    kept = customer_create(first_name="Anne", last_name="Martin", emails=["anne@acme.fr"])
    duplicate = customer_create(first_name="A.", last_name="Martin", emails=["a.martin@globex.com"])
    customer_merge(customer=kept, duplicate=duplicate)
    assert set(document(kept).split()) == {"anne", "martin", "anne@acme.fr", "a.martin@globex.com"}
    customer_erase(customer=kept, by=AgentProfileFactory(role=Role.ADMIN).user)
    kept.refresh_from_db()
    left = document(kept)
    assert "martin" not in left and "anne" not in left and "@" not in left


@pytest.mark.postgres
def test_several_common_words_are_found_through_the_document_index(postgresql):
    manager = AgentProfileFactory(role=Role.MANAGER).user
    people = Customer.objects.bulk_create(
        Customer(first_name=("Martin", "David", "Marie")[n % 3], last_name=f"Name{n}") for n in range(3000)
    )
    ContactPoint.objects.bulk_create(
        ContactPoint(customer=person, kind="email", value=f"person{n}@example.test") for n, person in enumerate(people)
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list('customer_search_document_trgm'::regclass)")
        cursor.execute("ANALYZE customers_customer, customers_contactpoint")
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = customer_list(user=manager, search="martin name12").explain()
    assert "customer_search_document_trgm" in plan, plan
    found = customer_list(user=manager, search="martin name12")
    assert sorted(c.last_name for c in found) == sorted(
        f"Name{n}" for n in range(3000) if n % 3 == 0 and "name12" in f"name{n}"
    )
