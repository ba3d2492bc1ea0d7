"""The changelists' paginator over tables that grow without bound: it never counts a whole table
and never pages past its cap, whatever the number of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contactcenter.core.admin_utils import LargeTablePaginator
from interactions.models import Ticket
from tests.interactions.factories import TicketFactory

pytestmark = pytest.mark.django_db


class FivePaginator(LargeTablePaginator):
    max_rows = 5


def test_a_short_list_is_counted_exactly():
    TicketFactory.create_batch(3)
    paginator = FivePaginator(Ticket.objects.order_by("-created_at", "-id"), 2)
    assert (paginator.count, paginator.num_pages) == (3, 2)


def test_a_long_list_is_counted_up_to_the_cap_and_paged_no_further():
    TicketFactory.create_batch(12)
    filtered = Ticket.objects.filter(subject__isnull=False).order_by("-created_at", "-id")
    paginator = FivePaginator(filtered, 2)
    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == 6  # the cap, and one more row to know the list goes on
    assert len(queries) == 1 and "LIMIT 6" in queries[0]["sql"]
    assert paginator.num_pages == 3  # pages 1–3 hold the first 5 rows and one more
    assert [len(paginator.page(number).object_list) for number in (1, 2, 3)] == [2, 2, 2]


def test_a_whole_table_shows_the_planners_estimate_on_postgresql():
    TicketFactory.create_batch(12)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE interactions_ticket")
    paginator = FivePaginator(Ticket.objects.order_by("-created_at", "-id"), 2)
    with CaptureQueriesContext(connection) as queries:
        count = paginator.count
    assert len(queries) <= 2
    assert not any("COUNT(*)" in query["sql"] and "LIMIT" not in query["sql"] for query in queries)
    assert count == (12 if connection.vendor == "postgresql" else 6)
    assert paginator.num_pages == 3
