"""``contactcenter.core.db.full_clean``: Django's ``full_clean()``, the same errors, fewer reads.

Each case is validated both ways on the same instance: the messages must be the same, field by
field; then the queries each way are counted.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext

from contactcenter.core.db import _NotInPython, condition_value, full_clean
from customers.models import ContactPoint
from interactions.models import Interaction, Ticket
from tests.customers.factories import CustomerFactory
from tests.interactions.factories import T0, InteractionFactory, TicketFactory

pytestmark = pytest.mark.django_db


def errors_of(validate) -> dict:
    try:
        validate()
    except ValidationError as error:
        return {field: sorted(str(m) for m in messages) for field, messages in error.message_dict.items()}
    return {}


def both_ways(instance, **kwargs) -> tuple[dict, dict, int, int]:
    exclude = kwargs.get("exclude")
    connection.queries_log.clear()  # the log keeps 9,000 queries: counts past that would be wrong
    with CaptureQueriesContext(connection) as django_way:
        expected = errors_of(lambda: instance.full_clean(exclude=exclude))
    with CaptureQueriesContext(connection) as ours:
        got = errors_of(lambda: full_clean(instance, **kwargs))
    return expected, got, len(django_way), len(ours)


# --- condition_value: SQL's three-valued logic ---------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "values", "expected"),
    [
        (Q(n__gte=0), {"n": 0}, True),
        (Q(n__gte=0), {"n": -1}, False),
        (Q(n__gte=0), {"n": None}, None),
        (Q(n__isnull=True) | Q(n__gte=F("m")), {"n": None, "m": 3}, True),
        (Q(n__isnull=True) | Q(n__gte=F("m")), {"n": 2, "m": 3}, False),
        (Q(n__gte=F("m")), {"n": 2, "m": None}, None),
        (~Q(n__gte=F("m")), {"n": 2, "m": None}, None),
        (~Q(code=""), {"code": ""}, False),
        (~Q(code=""), {"code": "x"}, True),
        (Q(code=None), {"code": None}, True),
        (Q(code__in=["a", "b"]), {"code": "b"}, True),
        (~Q(code__in=["a", "b"]), {"code": "c"}, True),
        (Q(n__gte=0) & Q(n__lte=1), {"n": 1.5}, False),
        (Q(n__gte=0) & Q(m__lte=1), {"n": None, "m": 3}, False),
        (Q(n__gte=0) | Q(m__lte=1), {"n": None, "m": 3}, None),
    ],
)
def test_condition_value(condition, values, expected):
    assert condition_value(condition, values) is expected


@pytest.mark.parametrize(
    ("condition", "values"),
    [
        (Q(name__gt="b"), {"name": "a"}),  # strings order by the database's collation
        (Q(name__icontains="b"), {"name": "a"}),
        (Q(other__n=1), {"other": 3}),
        (Q(n__gte=F("unknown")), {"n": 1}),
        (Q(n__gte=0), {"n": F("n") + 1}),
    ],
)
def test_condition_left_to_the_database(condition, values):
    with pytest.raises(_NotInPython):
        condition_value(condition, values)


# --- The same errors as Django's full_clean -------------------------------------------------------------

TIMES = [None, T0 - timedelta(minutes=1), T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]


def test_interaction_times_hold_and_sentiment():
    customer = CustomerFactory()
    InteractionFactory(source="pbx", external_id="taken")
    cases = itertools.product(TIMES, TIMES, TIMES, [0, -5], [None, 3.0], ["", "taken"])
    fewer = 0
    for answered, ended, wrapped, hold, sentiment, external_id in cases:
        interaction = Interaction(
            channel="voice",
            direction="inbound",
            customer=customer,
            offered_at=T0,
            answered_at=answered,
            ended_at=ended,
            wrapup_ended_at=wrapped,
            hold_seconds=hold,
            sentiment=sentiment,
            source="pbx",
            external_id=external_id,
        )
        expected, got, django_reads, our_reads = both_ways(interaction)
        assert got == expected, (answered, ended, wrapped, hold, sentiment, external_id)
        assert our_reads <= django_reads
        fewer += our_reads < django_reads
    assert fewer  # the customer in hand is not read again, nor the constraints run in savepoints


def test_a_related_object_not_in_hand_is_still_checked():
    interaction = Interaction(channel="voice", direction="inbound", offered_at=T0, customer_id=987654)
    expected, got, _django_reads, _our_reads = both_ways(interaction)
    assert got == expected
    assert "customer" in got


def test_a_deleted_related_object_is_still_checked():
    customer = CustomerFactory()
    interaction = Interaction(channel="voice", direction="inbound", offered_at=T0, customer_id=customer.pk)
    customer.delete()
    expected, got, _django_reads, _our_reads = both_ways(interaction)
    assert got == expected
    assert "customer" in got


def test_unique_fields_of_a_saved_row():
    ticket, other = TicketFactory(), TicketFactory()
    ticket.reference = other.reference
    # Changed: looked up, and refused as Django refuses it.
    expected, got, _django_reads, _our_reads = both_ways(ticket)
    assert got == expected
    assert "reference" in got
    # Unchanged (as the caller says): not looked up again.
    ticket.refresh_from_db()
    names = {field.name for field in Ticket._meta.concrete_fields}
    expected, got, django_reads, our_reads = both_ways(ticket, unchanged=names)
    assert got == expected == {}
    assert our_reads < django_reads


def test_unique_constraint_on_several_fields():
    point = ContactPoint.objects.create(customer=CustomerFactory(), kind="phone", value="+33612345678")
    twin = ContactPoint(customer=point.customer, kind="phone", value="06 12 34 56 78")
    expected, got, _django_reads, _our_reads = both_ways(twin)
    assert got == expected
    assert got
