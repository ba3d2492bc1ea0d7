"""Shared fixtures, and the CI rule that a skipped test is a failed test.

With ``SWITCHBOARD_STRICT=1`` (set by ``.ci/run``), a test that would be skipped, for want of a
browser, PostgreSQL or Dovecot (the IMAP tests), fails instead: CI must run everything. The rule
holds under pytest-xdist too: each worker turns its skips into failures before reporting them.

``make test`` runs the suite on pytest-xdist workers (``-n auto --dist loadgroup``). Each worker
has its own test database (pytest-django suffixes its name with the worker id) and, on a shared
``REDIS_URL``, its own cache keys and channel groups (:func:`_private_redis_names`). Tests that
must share one worker (a module-scoped browser or cluster) get an ``xdist_group``
(:func:`pytest_collection_modifyitems`).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

import tests.hypothesis_profiles  # noqa: F401  (registers and loads the Hypothesis profile)

STRICT = os.environ.get("SWITCHBOARD_STRICT") == "1"
#: ``gw0``, ``gw1``… under pytest-xdist; ``main`` in a run without workers.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
#: Modules whose tests share a module-scoped fixture too costly to build once per worker (a
#: browser, a cluster of processes, a mail server): ``--dist loadgroup`` keeps each on one worker.
GROUPED_MODULES = ("tests/browser/", "tests/live/test_two_processes.py", "tests/mail/test_imap.py")
#: A fixed working afternoon: Wednesday 4 March 2026, 14:00 in Paris (the default TIME_ZONE).
AFTERNOON = datetime(2026, 3, 4, 14, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(request: pytest.FixtureRequest) -> None:
    """On SQLite, the test database is a file (on ``/dev/shm`` where there is one), not pytest-django's
    shared-cache memory database: in memory, SQLite answers a thread that meets another's lock with
    "table is locked" at once, ignoring the busy timeout, so the live server's threads (a page read
    while a CTI event is written) failed now and then with 503. A file takes the settings' WAL
    journal and busy timeout, as a real instance does. Named after the process, so that runs and
    workers never share one; removed at the end by Django."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3" and not db.get("TEST", {}).get("NAME"):
        shm = "/dev/shm"  # noqa: S108 (memory-backed; the file's name is the process's own)
        folder = shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else tempfile.gettempdir()
        db.setdefault("TEST", {})["NAME"] = os.path.join(folder, f"switchboard-test-{os.getpid()}.sqlite3")
    request.getfixturevalue("django_db_modify_db_settings_parallel_suffix")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if STRICT and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped under SWITCHBOARD_STRICT=1 (CI runs every test): {reason}"


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the marks to group the tests
def pytest_collection_modifyitems(items):
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path.startswith(GROUPED_MODULES):
            item.add_marker(pytest.mark.xdist_group(path))


@pytest.fixture(autouse=True, scope="session")
def _private_redis_names():
    """On a Redis shared with other test runs, and with the other xdist workers of this one, this
    run's cache keys (rate-limit counters, socket tickets, presence marks: keyed by user ids that
    every worker's database reuses) and its channel groups (``wallboard``, ``agent.3``…) get a
    prefix of their own. Redis pub/sub channels know no database number, so another run's events
    would otherwise reach these sockets; and :func:`_fresh_cache` empties this prefix only."""
    import copy

    from django.conf import settings
    from django.test import override_settings

    run = f"{WORKER}-{uuid.uuid4().hex[:8]}"
    overrides = {}
    if settings.CACHES["default"]["BACKEND"].endswith(".RedisCache"):
        caches = copy.deepcopy(settings.CACHES)
        caches["default"]["KEY_PREFIX"] = f"test-{run}"
        overrides["CACHES"] = caches
    if "hosts" in settings.CHANNEL_LAYERS["default"].get("CONFIG", {}):  # on Redis
        layers = copy.deepcopy(settings.CHANNEL_LAYERS)
        layers["default"].setdefault("CONFIG", {})["prefix"] = f"asgi-test-{run}"
        overrides["CHANNEL_LAYERS"] = layers
    with override_settings(**overrides):  # the cache and channel layer handlers start afresh
        yield
        _cache_clear()


def _cache_clear() -> None:
    """Empty the cache: on Redis, this run's keys only (``clear()`` would empty the whole Redis
    database, the other workers' keys with it)."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]
    if isinstance(cache, RedisCache) and cache.key_prefix:
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture
def afternoon():
    """The clock set to :data:`AFTERNOON`, and running from there. For tests of "today's" figures
    made of rows stamped minutes before now: run just after midnight, those rows would fall on
    yesterday, and the figures with them."""
    import time_machine

    with time_machine.travel(AFTERNOON, tick=True):
        yield AFTERNOON


@pytest.fixture
def user_factory(db):
    from tests.agents.factories import UserFactory

    return UserFactory


@pytest.fixture(autouse=True)
def _default_language():
    """A request in French (the locale middleware) leaves French active in the thread after it:
    each test starts and ends in the default language, whatever the tests before it did."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: each test starts with none."""
    _cache_clear()
    yield
    _cache_clear()


@pytest.fixture
def api_client_for(db):
    """``api_client_for(user)``: a REST client authenticated with the user's real API token."""
    from rest_framework.test import APIClient

    from contactcenter.core.tokens import api_token_issue

    def make(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=user).key}")
        return client

    return make


@pytest.fixture
def org(db):
    """A small center: two teams with their queues, an agent and a supervisor in each, a manager,
    an admin, and a user with no role at all."""
    from types import SimpleNamespace

    from tests.agents.factories import AgentProfileFactory, QueueFactory, TeamFactory, UserFactory

    team_a, team_b = TeamFactory(name="Team A"), TeamFactory(name="Team B")
    queue_a, queue_b = QueueFactory(name="Queue A"), QueueFactory(name="Queue B")
    agent_a = AgentProfileFactory(user__username="agent_a", team=team_a, queues=[queue_a]).user
    agent_b = AgentProfileFactory(user__username="agent_b", team=team_b, queues=[queue_b]).user
    supervisor_a = AgentProfileFactory(
        user__username="supervisor_a", role="supervisor", team=team_a, queues=[queue_a]
    ).user
    manager = AgentProfileFactory(user__username="manager", role="manager", team=None).user
    admin = AgentProfileFactory(user__username="admin_user", role="admin", team=None).user
    nobody = UserFactory(username="nobody")
    return SimpleNamespace(
        team_a=team_a,
        team_b=team_b,
        queue_a=queue_a,
        queue_b=queue_b,
        agent_a=agent_a,
        agent_b=agent_b,
        supervisor_a=supervisor_a,
        manager=manager,
        admin=admin,
        nobody=nobody,
    )
