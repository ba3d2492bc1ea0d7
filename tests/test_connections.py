"""Database connections stay bounded under the documented server (README "Production").

uvicorn with 2 workers and ``DEBUG=0`` serves the test database in a subprocess; 500 requests,
16 at a time, alternate the health check and an authenticated API list. Each process's connection
pool holds at most ``DATABASE_POOL_MAX_SIZE`` connections, so PostgreSQL never sees more than
2 × that many from the server, however many threads the requests ran on, and no request fails
waiting for one. (Per-thread persistent connections, ``CONN_MAX_AGE`` without a pool, let them
pile up: this test fails with ``DATABASE_POOL=0 DATABASE_CONN_MAX_AGE=600``.)

The server's cache is a Redis of the test's own: the 250 API requests (each counted by the rate
limits in the cache) open a handful of connections to it, the process's pool, not one each (as
Django's own Redis cache did under ASGI: contactcenter/core/redis_cache.py).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from django.db import connection

from contactcenter.agents.services import agent_provision
from contactcenter.core.tokens import api_token_issue
from tests.concurrency import role_groups  # noqa: F401 (a fixture)
from tests.live.cluster import PrivateRedis

ROOT = Path(__file__).resolve().parent.parent
POOL_MAX_SIZE = 3
WORKERS = 2
REQUESTS = 500
CONCURRENCY = 16

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="server connections and their pool are PostgreSQL's (DATABASE_URL); SQLite has none to count",
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("role_groups"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(name: str) -> str:
    settings = connection.settings_dict
    netloc = f"{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    if settings["PASSWORD"]:
        netloc = f"{settings['USER']}:{settings['PASSWORD']}@{settings['HOST']}:{settings['PORT'] or 5432}"
    return urlunsplit(("postgres", netloc, "/" + name, "", ""))


def serve(port: int, application_name: str, redis_url: str) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="contactcenter.settings",
        DATABASE_URL=database_url(connection.settings_dict["NAME"]),
        DATABASE_POOL_MIN_SIZE="1",
        DATABASE_POOL_MAX_SIZE=str(POOL_MAX_SIZE),
        DEBUG="0",
        SECRET_KEY="connections-" + secrets.token_hex(32),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        API_RATE_USER="1000000/min",
        API_RATE_TOKEN="1000000/min",
        LOG_LEVEL="WARNING",
        PGAPPNAME=application_name,  # libpq names every connection of the server's processes
        REDIS_URL=redis_url,
    )
    return subprocess.Popen(  # noqa: S603
        [
            *(sys.executable, "-m", "uvicorn", "contactcenter.asgi:application", "--host", "127.0.0.1"),
            *("--port", str(port), "--workers", str(WORKERS), "--log-level", "warning", "--no-access-log"),
        ],
        cwd=ROOT,
        env=env,
    )


def wait_until_up(server: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "uvicorn exited"
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    raise AssertionError("uvicorn did not answer within 60 s")


class ConnectionWatch(threading.Thread):
    """Counts, every 10 ms, the server's backends of the test database; keeps the most seen."""

    def __init__(self, database: str, application_name: str) -> None:
        super().__init__(daemon=True)
        self.database, self.application_name = database, application_name
        self.peak = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        parts = urlsplit(database_url("postgres"))
        with psycopg.connect(urlunsplit(parts), autocommit=True) as watcher:
            while not self.stopped.is_set():
                (count,) = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
                    [self.database, self.application_name],
                ).fetchone()
                self.peak = max(self.peak, count)
                time.sleep(0.01)


def test_the_server_holds_a_bounded_pool_of_connections_and_every_request_gets_one():
    token = api_token_issue(user=agent_provision(username="conn", password=None, validate=False).user).key
    application_name = f"switchboard-connections-{secrets.token_hex(4)}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cache = PrivateRedis().start()
    server = serve(port, application_name, cache.url)
    watch = ConnectionWatch(connection.settings_dict["NAME"], application_name)
    try:
        wait_until_up(server, base)
        cache_watch = redis.Redis.from_url(cache.url)
        redis_before = cache_watch.info("stats")["total_connections_received"]
        watch.start()

        def one(n: int) -> int:
            if n % 2:
                request = urllib.request.Request(base + "/healthz")  # noqa: S310
            else:
                request = urllib.request.Request(  # noqa: S310
                    base + "/api/v1/customers/?page_size=5", headers={"Authorization": f"Token {token}"}
                )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        with ThreadPoolExecutor(CONCURRENCY) as clients:
            statuses = list(clients.map(one, range(REQUESTS)))
        time.sleep(0.1)  # a last sample after the last request
        redis_opened = cache_watch.info("stats")["total_connections_received"] - redis_before - 1  # the count's own
        cache_watch.close()
    finally:
        watch.stopped.set()
        server.terminate()
        server.wait(20)
        cache.stop()
    if watch.is_alive():
        watch.join(5)

    assert [status for status in statuses if status != 200] == []
    assert 1 <= watch.peak <= WORKERS * POOL_MAX_SIZE, f"{watch.peak} connections seen"
    # At most a connection per request thread of each process (as many as requests ran at once).
    assert redis_opened <= CONCURRENCY, f"{redis_opened} Redis connections opened"
