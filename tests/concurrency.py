"""Helpers for tests that race real requests against each other on PostgreSQL.

Each thread gets its own database connection (Django's connections are per thread), so these
tests need committed data: ``pytest.mark.django_db(transaction=True)``. SQLite serializes every
writer, so a race there proves nothing: the tests are skipped, which CI's strict mode turns into
a failure, so CI always runs them on PostgreSQL.

Such a test ends by emptying every table; Django then runs the ``post_migrate`` handlers, which
bring back the role groups, as the other transactional tests expect. A ``serialized_rollback``
test before it leaves no groups at all: ``role_groups`` makes sure they exist when it starts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections


def race(test: Callable) -> Callable:
    """Mark a test that races requests: PostgreSQL only, on committed data, role groups there.
    Its module imports ``role_groups`` too (a fixture is found where the test is)."""
    marks = [
        pytest.mark.postgres,
        pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL (DATABASE_URL)"),
        pytest.mark.django_db(transaction=True),
        pytest.mark.usefixtures("role_groups"),
    ]
    for mark in marks:
        test = mark(test)
    return test


@pytest.fixture
def role_groups(transactional_db) -> None:
    """The role groups that migrations create, whatever the transactional test before emptied."""
    from contactcenter.agents.roles import sync_role_groups

    sync_role_groups()


def run_concurrently(*calls: Callable[[], Any], timeout: float = 30) -> list[Any]:
    """Run each call in its own thread, all released at once; their results, in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def work(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[index] = call()
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    return results
