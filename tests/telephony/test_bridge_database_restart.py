"""A bridge keeps going when its database goes away under it (a restart, a failover, a network cut):
the event it was applying is tried again once the database answers, the later ones wait behind it,
and the call ends as the phone system told it, each event stored once.

PostgreSQL only (strict in CI): the drill cuts the bridge's own database connections with
``pg_terminate_backend``, as a database restart does, while the test's connection stays."""

from __future__ import annotations

import asyncio

import pytest
from django.db import InterfaceError, OperationalError, connection, connections

from contactcenter.telephony.models import Bridge
from interactions.models import CtiEvent, Interaction
from tests.concurrency import role_groups  # noqa: F401  (a fixture)
from tests.telephony.ami_server import AmiServer, transcript
from tests.telephony.asterisk_calls import EXPECTED
from tests.telephony.test_asterisk_bridge import (
    SECRET,
    _close_worker_connections,  # noqa: F401  (an autouse fixture)
    adapter_for,
    center,  # noqa: F401  (a fixture)
    picture,
    posted,
    runner_for,
    until,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the drill cuts PostgreSQL connections"),
    pytest.mark.django_db(transaction=True),
]


def cut_other_connections() -> int:
    """Terminate every other session on the test database, as a database restart would: the
    bridge's connection among them (run in a thread of its own, with a connection of its own).
    How many were cut."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return cursor.fetchone()[0]
    finally:
        connections.close_all()


def settled(condition):
    """``condition`` read from the bridge's database thread, whose connection the drill cut: a
    query on the dead connection is "not yet" (the connection is dropped, the next opens anew)."""

    def check() -> bool:
        try:
            return condition()
        except (OperationalError, InterfaceError):
            connections.close_all()
            return False

    return check


def test_the_bridge_carries_on_across_a_database_restart(center):  # noqa: F811
    blocks = transcript("answered.ami")
    answer = next(index for index, block in enumerate(blocks) if block.startswith("Event: AgentConnect"))
    first = AmiServer(events=blocks[: answer + 1], secret=SECRET)
    rest = AmiServer(events=blocks[answer + 1 :], secret=SECRET)

    async def scenario():
        port = await first.start()
        runner = runner_for(adapter_for(first))
        task = asyncio.create_task(runner.run())
        await until(lambda: runner.applied >= 2)  # offered, answered
        # The database restarts: the bridge's connection is gone; then Asterisk sends the end.
        assert await asyncio.to_thread(cut_other_connections) >= 1
        await first.stop()
        await rest.start(port)
        await until(settled(lambda: CtiEvent.objects.filter(cti_call__call_id="1767603600.42").count() >= 3))
        await until(settled(lambda: Bridge.objects.get(kind="asterisk").connected))
        runner.stop()
        await asyncio.wait_for(task, 15)
        await rest.stop()
        return runner

    try:
        runner = asyncio.run(scenario())
    finally:
        connection.close()  # the test's own connection was cut too: the next query opens a new one
    expected = EXPECTED["answered.ami"]
    assert runner.refused == 0
    bridged = Interaction.objects.get(source="cti", external_id="1767603600.42")
    reference = posted(expected, prefix="posted-")["1767603600.42"]
    assert picture(bridged) == picture(reference)
    assert bridged.ended_at is not None
    assert CtiEvent.objects.filter(cti_call__call_id="1767603600.42").count() == len(expected)
