"""API rate limits: per user and per token, a sliding window from two counters, 429 with Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from contactcenter.core.api.throttling import _COUNT_SCRIPT_SHA
from contactcenter.core.tokens import api_token_issue

pytestmark = pytest.mark.django_db

#: The start of a minute: every window below is a minute.
MINUTE = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)


@pytest.fixture
def rates():
    """``rates(user=…, token=…)`` sets the limits for the test."""
    original = SimpleRateThrottle.THROTTLE_RATES

    def set_rates(**limits: str) -> None:
        SimpleRateThrottle.THROTTLE_RATES = {**api_settings.DEFAULT_THROTTLE_RATES, **limits}

    yield set_rates
    SimpleRateThrottle.THROTTLE_RATES = original


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=user).key}")
    return client


def statuses(client: APIClient, n: int) -> list[int]:
    return [client.get("/api/v1/teams/").status_code for _ in range(n)]


def test_the_limit_refuses_the_request_past_it_until_the_window_slides(org, rates):
    rates(user="10/min", token="1000/min")
    client = token_client(org.agent_a)
    with time_machine.travel(MINUTE, tick=False) as clock:
        assert statuses(client, 11) == [200] * 10 + [429]
        refused = client.get("/api/v1/teams/")
        assert refused.status_code == 429
        # The current window alone is full: wait for the next one, 60 s away.
        assert int(refused["Retry-After"]) == 60
        assert refused.json()["detail"]
        # Half-way into the next minute, half of the last one still counts: 5 more pass.
        clock.move_to(MINUTE + timedelta(seconds=90))
        assert statuses(client, 6) == [200] * 5 + [429]
        # Past two windows nothing of the first one counts.
        clock.move_to(MINUTE + timedelta(seconds=180))
        assert statuses(client, 10) == [200] * 10


def test_retry_after_tells_when_the_sliding_window_lets_one_through(org, rates):
    rates(user="10/min", token="1000/min")
    client = token_client(org.agent_a)
    with time_machine.travel(MINUTE + timedelta(seconds=50), tick=False) as clock:
        assert statuses(client, 10) == [200] * 10
        # 10 s into the next minute, the last one weighs 50/60 of 10: 8.3, so two pass (8.3 + 1
        # < 10), the third would make 10.3; it passes once the weight is under 8: at 12 s
        # (10 × 48/60 = 8), 2 s later.
        clock.move_to(MINUTE + timedelta(seconds=70))
        assert statuses(client, 3) == [200, 200, 429]
        refused = client.get("/api/v1/teams/")
        assert int(refused["Retry-After"]) == 2
        clock.move_to(MINUTE + timedelta(seconds=72, milliseconds=1))
        assert statuses(client, 1) == [200]


def test_each_token_has_its_own_limit_under_the_users(org, rates):
    rates(user="100/min", token="3/min")
    first, second = token_client(org.agent_a), token_client(org.agent_a)
    with time_machine.travel(MINUTE, tick=False):
        assert statuses(first, 4) == [200, 200, 200, 429]
        assert statuses(second, 3) == [200, 200, 200]
        # Another user is not affected by either.
        assert statuses(token_client(org.agent_b), 1) == [200]


def test_the_user_limit_counts_every_credential_of_the_user(org, rates, client):
    rates(user="3/min", token="100/min")
    with time_machine.travel(MINUTE, tick=False):
        assert statuses(token_client(org.agent_a), 2) == [200, 200]
        client.force_login(org.agent_a)
        assert [client.get("/api/v1/teams/").status_code for _ in range(2)] == [200, 429]


def test_a_limit_keeps_two_small_counters_whatever_the_traffic(org, rates):
    """DRF's throttles keep one timestamp per request of the period; these keep two integers."""
    rates(user="1000/min", token="1000/min")
    client = token_client(org.agent_a)
    with time_machine.travel(MINUTE, tick=False) as clock:
        statuses(client, 30)
        clock.move_to(MINUTE + timedelta(seconds=61))
        statuses(client, 20)
        window = int(MINUTE.timestamp() // 60)
        keys = [f"throttle_user_{org.agent_a.pk}:{window}", f"throttle_user_{org.agent_a.pk}:{window + 1}"]
        assert cache.get_many(keys) == {keys[0]: 30, keys[1]: 20}


def test_on_redis_a_limit_is_one_script_that_redis_learns_again_after_a_restart(org, rates):
    """On Redis each limit is counted by one Lua script (one round trip); a Redis that restarted
    has forgotten it, and the next request teaches it again instead of failing open."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        pytest.skip("the script runs on Redis only (REDIS_URL)")
    rates(user="3/min", token="100/min")
    client = token_client(org.agent_a)
    redis = backend._cache.get_client(write=True)
    with time_machine.travel(MINUTE, tick=False):
        assert statuses(client, 2) == [200, 200]
        assert redis.script_exists(_COUNT_SCRIPT_SHA) == [True]
        redis.script_flush()
        assert statuses(client, 2) == [200, 429]
        assert redis.script_exists(_COUNT_SCRIPT_SHA) == [True]


def test_a_request_refused_by_one_limit_is_counted_by_none(org, rates):
    rates(user="5/min", token="3/min")
    with time_machine.travel(MINUTE, tick=False):
        assert statuses(token_client(org.agent_a), 5) == [200, 200, 200, 429, 429]
        # The two refused requests did not use the user's limit: 2 more pass on another token.
        assert statuses(token_client(org.agent_a), 3) == [200, 200, 429]


def test_retry_after_is_the_longest_wait_of_the_limits_that_refuse(org, rates):
    rates(user="2/min", token="2/hour")
    client = token_client(org.agent_a)
    with time_machine.travel(MINUTE, tick=False):
        assert statuses(client, 2) == [200, 200]
        refused = client.get("/api/v1/teams/")
        # Both limits are full: the user's for 60 s, the token's for an hour.
        assert int(refused["Retry-After"]) == 3600


def test_on_redis_every_limit_of_a_request_is_one_round_trip(org, rates, monkeypatch):
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        pytest.skip("the script runs on Redis only (REDIS_URL)")
    rates(user="100/min", token="100/min")
    client = token_client(org.agent_a)
    redis = backend._cache.get_client(write=True)
    statuses(client, 1)
    sent = []
    execute = type(redis).execute_command
    monkeypatch.setattr(
        type(redis),
        "execute_command",
        lambda self, *args, **options: sent.append(args[0]) or execute(self, *args, **options),
    )
    with time_machine.travel(MINUTE, tick=False):
        assert statuses(client, 5) == [200] * 5
    monkeypatch.undo()
    # One script per request, counting both limits (the user's and the token's).
    assert sent.count("EVALSHA") == 5
    window = int(MINUTE.timestamp() // 60)
    assert cache.get(f"throttle_user_{org.agent_a.pk}:{window}") == 5
