"""Fixtures of the live tests: each test starts with no scope remembered by the sockets, and leaves
no database connection open in the ORM's worker thread (the test database is dropped at the end).
On a shared Redis, the channel groups of the run get a prefix of their own (``tests/conftest.py``)."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from tests.concurrency import role_groups  # noqa: F401  (a fixture: role groups after a flush)


@pytest.fixture(autouse=True)
def _forget_socket_scopes():
    from contactcenter.live.selectors import forget_socket_scopes

    forget_socket_scopes()
    yield
    forget_socket_scopes()


@pytest.fixture(autouse=True)
def _close_worker_connections():
    """Consumers read through ``database_sync_to_async``: outside any ``async_to_sync``, that is
    one shared worker thread, whose persistent connection would keep the test database busy."""
    yield
    asyncio.run(sync_to_async(connections.close_all)())
