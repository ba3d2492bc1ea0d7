"""The FCR repeat flags' advisory locks under concurrent writes (kpis/migrations/0005; docs/kpis.md,
"Repeat flags kept at write time"): two contacts moved at once between the same two customers in
opposite directions take both customers' keys in the same order (the lower first), so one waits
for the other instead of each holding the key the other waits for. PostgreSQL only (SQLite has one
writer at a time).

The interleaving that used to deadlock is forced, not hoped for: a third transaction holds the
higher key; the first move queues on it, the second move starts only then; the holder lets go
once both wait. Before the keys were ordered, the first move held the higher key (its new
customer's) while waiting for the lower, and the second move the other way round."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from django.db import connection, connections, transaction

from interactions.models import Interaction
from kpis import rollups
from tests.agents.factories import UserFactory
from tests.concurrency import race, role_groups  # noqa: F401 (the fixture of @race)
from tests.customers.factories import CustomerFactory
from tests.kpis.kpi_data import at, contact


def _key(customer) -> int:
    return customer.pk % rollups.FLAGS_LOCK_KEYS


def _waiting() -> int:
    """Transactions waiting for a key of the flags' lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = %s::oid",
            [rollups.FLAGS_LOCK_CLASS],
        )
        return cursor.fetchone()[0]


def _until(count: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while _waiting() < count:
        assert time.monotonic() < deadline, f"fewer than {count} transactions waiting for the flags' lock"
        time.sleep(0.02)


@race
def test_two_contacts_moved_the_opposite_ways_between_two_customers_do_not_deadlock():
    agent = UserFactory()
    low, high = CustomerFactory(), CustomerFactory()
    while _key(low) == _key(high):
        high = CustomerFactory()
    if _key(low) > _key(high):
        low, high = high, low
    # Far apart in time: neither move's flag updates reach the other's row.
    x = contact(at(2, 10), agent=agent, customer=low, wait=3, talk=60)
    y = contact(at(2, 10) + timedelta(days=40), agent=agent, customer=high, wait=3, talk=60)
    errors: list[BaseException] = []

    def move(pk: int, customer) -> None:
        try:
            with transaction.atomic():
                Interaction.objects.filter(pk=pk).update(customer=customer)
        except BaseException as error:  # reported in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    with transaction.atomic():  # the holder of the higher key
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [rollups.FLAGS_LOCK_CLASS, _key(high)])
        first = threading.Thread(target=move, args=(x.pk, high))  # low → high
        first.start()
        _until(1)
        second = threading.Thread(target=move, args=(y.pk, low))  # high → low
        second.start()
        _until(2)
    first.join(30)
    second.join(30)
    assert errors == []
    assert list(
        Interaction.objects.filter(pk__in=[x.pk, y.pk]).order_by("pk").values_list("customer_id", flat=True)
    ) == [
        high.pk,
        low.pk,
    ]
