"""Pooled PostgreSQL connections (contactcenter/core/postgresql/base.py): handed out without a
round trip when nothing was said on their socket; one the server has closed is replaced before a
request gets it, so the request works."""

from __future__ import annotations

import os
import resource
import select
import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from psycopg_pool import ConnectionPool

from contactcenter.core.postgresql import base as pooled


@pytest.fixture
def pool_in_use():
    if connection.vendor != "postgresql" or connection.pool is None:
        pytest.skip("a pooled PostgreSQL (DATABASE_URL, DATABASE_POOL on)")
    return connection.pool


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def connect_apart() -> psycopg.Connection:
    """A connection of its own to the test database, outside the pool."""
    params = {key: value for key, value in connection.get_connection_params().items() if key != "pool"}
    return psycopg.connect(**{**params, "autocommit": True})


def terminate(pid: int) -> None:
    """Close backend ``pid`` from another connection, as a restart or an administrator would."""
    with connect_apart() as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)


def wait_readable(raw: psycopg.Connection) -> None:
    """Until the server's last words reach the socket of ``raw`` (they are sent as it closes)."""
    deadline = time.monotonic() + 10
    while not select.select([raw.fileno()], [], [], 0.05)[0]:
        assert time.monotonic() < deadline, "the terminated backend's connection never heard of it"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_settings_use_the_quiet_check_with_the_pool(pool_in_use):
    database = settings.DATABASES["default"]
    assert database["ENGINE"] == "contactcenter.core.postgresql"
    assert database["CONN_HEALTH_CHECKS"] is False  # Django's round trip is replaced, not added to
    assert pool_in_use._check is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_idle_connection_is_handed_out_without_a_round_trip(pool_in_use, monkeypatch):
    backend_pid()
    connection.close()  # back to the pool

    def round_trip(conn):
        raise AssertionError("an idle, quiet connection was checked with a query")

    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(round_trip))
    assert backend_pid() > 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_closed_is_replaced_before_the_request_uses_it(pool_in_use):
    # Every connection of the pool is closed by the server (a restart): the next request works.
    connection.close()
    held = []
    while not held or pool_in_use.get_stats().get("pool_available", 0):
        raw = pool_in_use.getconn()
        held.append((raw, raw.execute("SELECT pg_backend_pid()").fetchone()[0]))
    for raw, _pid in held:
        pool_in_use.putconn(raw)
    pids = {pid for _raw, pid in held}
    for raw, pid in held:
        terminate(pid)
        wait_readable(raw)

    assert backend_pid() not in pids
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_still_connected_says_what_a_connection_is(pool_in_use):
    raw = pool_in_use.getconn()
    try:
        assert pooled.still_connected(raw)
        pid = raw.execute("SELECT pg_backend_pid()").fetchone()[0]
        terminate(pid)
        wait_readable(raw)
        assert not pooled.still_connected(raw)
    finally:
        raw.close()
        pool_in_use.putconn(raw)
    assert not pooled.still_connected(raw)  # closed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_past_descriptor_1024_is_looked_at_too(pool_in_use):
    # A server process holding many sockets (live-events WebSockets) has descriptors past 1024,
    # which select() cannot watch: a connection there is still found open, and found closed.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2048:  # room for the 1,100 descriptors below
        resource.setrlimit(resource.RLIMIT_NOFILE, (2048, hard))
    fillers = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        with connect_apart() as raw:
            assert raw.fileno() > 1024
            assert pooled.still_connected(raw)
            terminate(raw.execute("SELECT pg_backend_pid()").fetchone()[0])
            deadline = time.monotonic() + 10
            while pooled.still_connected(raw):
                assert time.monotonic() < deadline, "the terminated connection was still taken for open"
                time.sleep(0.05)
    finally:
        for descriptor in fillers:
            os.close(descriptor)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
