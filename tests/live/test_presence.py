"""Presence follows the agent desktop: a socket closing keeps the log; an agent whose every socket
has been gone longer than ``PRESENCE_GRACE_SECONDS`` goes offline, from the moment they left."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from contactcenter.agents.models import AgentProfile, PresenceInterval
from contactcenter.agents.presence import (
    heartbeat_seconds,
    presence_check,
    presence_last_seen,
    presence_mark_seen,
    presence_sweep,
)
from contactcenter.agents.services import agent_set_status
from tests.live.sockets import in_worker, open_socket

AGENT = "/ws/agent/"
GRACE = 0.4


def status_of(user) -> str:
    return AgentProfile.objects.get(user=user).status


def set_status(user, status: str, reason: str = "", minutes_ago: float = 10) -> None:
    profile = AgentProfile.objects.get(user=user)
    AgentProfile.objects.filter(pk=profile.pk).update(status_since=timezone.now() - timedelta(days=1))
    profile.refresh_from_db()
    agent_set_status(profile=profile, status=status, reason=reason, at=timezone.now() - timedelta(minutes=minutes_ago))


# --- Sockets --------------------------------------------------------------------------------------


@pytest.fixture
def short_grace(settings):
    settings.PRESENCE_GRACE_SECONDS = GRACE


async def _after_the_grace() -> None:
    await asyncio.sleep(GRACE * 1.05 + 0.5 + 0.5)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("role_groups", "short_grace")
def test_an_agent_whose_last_socket_closes_goes_offline_after_the_grace_from_when_they_left(org):
    set_status(org.agent_a, "available")

    async def scenario():
        communicator = await open_socket(AGENT, user=org.agent_a)
        await asyncio.sleep(heartbeat_seconds() * 2.5)  # the heartbeat keeps them present meanwhile
        assert await in_worker(status_of, org.agent_a) == "available"
        left = time.time()
        await communicator.disconnect()
        await _after_the_grace()
        return left

    left = asyncio.run(scenario())
    assert status_of(org.agent_a) == "offline"
    available = PresenceInterval.objects.get(agent=org.agent_a, status="available")
    assert abs(available.ended_at.timestamp() - left) < 0.5  # the log ends when they left, not at the check
    assert not PresenceInterval.objects.filter(agent=org.agent_a, ended_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("role_groups", "short_grace")
def test_a_socket_that_comes_back_within_the_grace_keeps_the_status(org):
    set_status(org.agent_a, "break", "lunch")

    async def scenario():
        first = await open_socket(AGENT, user=org.agent_a)
        await first.disconnect()
        second = await open_socket(AGENT, user=org.agent_a)  # a page reload
        try:
            await _after_the_grace()
        finally:
            await second.disconnect()

    asyncio.run(scenario())
    assert status_of(org.agent_a) == "break"
    assert PresenceInterval.objects.filter(agent=org.agent_a).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("role_groups", "short_grace")
def test_one_of_two_sockets_closing_keeps_the_agent_present(org):
    set_status(org.agent_a, "available")

    async def scenario():
        one = await open_socket(AGENT, user=org.agent_a)
        other = await open_socket(AGENT, user=org.agent_a)
        try:
            await one.disconnect()
            await _after_the_grace()
        finally:
            await other.disconnect()

    asyncio.run(scenario())
    assert status_of(org.agent_a) == "available"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("role_groups", "short_grace")
def test_an_agent_on_a_call_stays_busy_without_a_socket(org):
    set_status(org.agent_a, "busy")

    async def scenario():
        communicator = await open_socket(AGENT, user=org.agent_a)
        await communicator.disconnect()
        await _after_the_grace()

    asyncio.run(scenario())
    assert status_of(org.agent_a) == "busy"


# --- The sweep ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweep_sets_offline_agents_gone_longer_than_the_grace(org, settings):
    settings.PRESENCE_GRACE_SECONDS = 60
    now = time.time()
    set_status(org.agent_a, "available")  # seen 2 minutes ago: gone
    presence_mark_seen(user_id=org.agent_a.pk, at=now - 120)
    set_status(org.agent_b, "wrap_up")  # seen 30 s ago: within the grace
    presence_mark_seen(user_id=org.agent_b.pk, at=now - 30)
    set_status(org.supervisor_a, "busy")  # on a call: the telephony system decides
    presence_mark_seen(user_id=org.supervisor_a.pk, at=now - 600)

    result = presence_sweep(now=now)

    assert result.set_offline == ["agent_a"] and result.checked == 2 and result.started == 0
    assert [status_of(u) for u in (org.agent_a, org.agent_b, org.supervisor_a)] == ["offline", "wrap_up", "busy"]
    available = PresenceInterval.objects.get(agent=org.agent_a, status="available")
    assert available.ended_at == datetime.fromtimestamp(now - 120, tz=UTC)


@pytest.mark.django_db
def test_an_agent_never_seen_gets_a_grace_from_the_first_sweep(org, settings):
    settings.PRESENCE_GRACE_SECONDS = 60
    now = time.time()
    set_status(org.agent_a, "available")

    first = presence_sweep(now=now)
    assert (first.started, first.set_offline) == (1, []) and status_of(org.agent_a) == "available"
    assert presence_last_seen(user_id=org.agent_a.pk) == now
    assert presence_sweep(now=now + 30).set_offline == []
    assert presence_sweep(now=now + 61).set_offline == ["agent_a"]


@pytest.mark.django_db
def test_an_offline_status_starts_no_earlier_than_the_current_one(org, settings):
    settings.PRESENCE_GRACE_SECONDS = 60
    now = time.time()
    set_status(org.agent_a, "available", minutes_ago=10)
    presence_mark_seen(user_id=org.agent_a.pk, at=now - 3600)  # left before their last change
    assert presence_check(user_id=org.agent_a.pk, now=now)
    offline_since = AgentProfile.objects.get(user=org.agent_a).status_since
    available = PresenceInterval.objects.get(agent=org.agent_a, status="available")
    assert offline_since == available.ended_at == available.started_at


@pytest.mark.django_db
def test_the_command_reports_what_it_did(org, settings):
    settings.PRESENCE_GRACE_SECONDS = 60
    set_status(org.agent_a, "available")
    presence_mark_seen(user_id=org.agent_a.pk, at=time.time() - 120)
    out = StringIO()
    call_command("presence_sweep", verbosity=2, stdout=out)
    assert "1 agents checked, 1 set offline, 0 seen for the first time." in out.getvalue()
    assert "agent_a is now offline." in out.getvalue()
    assert status_of(org.agent_a) == "offline"
