"""A real little production on this machine: a private Redis, a fresh PostgreSQL database and
several uvicorn processes serving ``contactcenter.asgi:application`` against them.

Used by ``tests/live/test_two_processes.py`` and by ``bench/live_latency.py --spawn``. Everything it
starts it stops (``close()``), and the database it creates it drops: other engineers and test
runs share this machine's PostgreSQL and its Redis on 6379, which it never touches.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PASSWORD = "Cluster-pass-2026"

#: Users, teams and queues of the cluster's center; ``tokens`` maps each username to its API token.
SETUP = """
import json
from rest_framework.authtoken.models import Token
from contactcenter.agents.services import agent_provision, queue_create, team_create
team = team_create(name="Front office")
queue = queue_create(name="Billing")
users = {{
    "pbx": agent_provision(username="pbx", password="{password}", role="manager", validate=False),
    "supervisor": agent_provision(
        username="supervisor", password="{password}", role="supervisor", team=team, queues=[queue], validate=False
    ),
}}
for n in range({agents}):
    users[f"agent{{n}}"] = agent_provision(
        username=f"agent{{n}}", password="{password}", role="agent", team=team, queues=[queue], validate=False
    )
print("TOKENS=" + json.dumps({{name: Token.objects.create(user=p.user).key for name, p in users.items()}}))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url_named(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@dataclass
class Cluster:
    """``Cluster(database_url).start(servers=2)``; ``close()`` when done (or use ``with``)."""

    database_url: str
    agents: int = 1
    grace_seconds: int = 60
    name: str = field(default_factory=lambda: f"live_cluster_{secrets.token_hex(4)}")
    redis_port: int = field(default_factory=free_port)
    ports: list[int] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)
    _redis: subprocess.Popen | None = None
    _servers: list[subprocess.Popen] = field(default_factory=list)
    _created: bool = False

    # --- Lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    @property
    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="contactcenter.settings",
            DATABASE_URL=database_url_named(self.database_url, self.name),
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            DEBUG="0",
            SECRET_KEY="cluster-" + secrets.token_hex(16),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="0",
            SECURE_COOKIES="0",
            SECURE_HSTS_SECONDS="0",
            PRESENCE_GRACE_SECONDS=str(self.grace_seconds),
            API_RATE_USER="100000/min",
            API_RATE_TOKEN="100000/min",
            LOG_LEVEL="WARNING",
        )
        return env

    def start(self, servers: int = 2) -> Cluster:
        try:
            self.start_redis()
            self._create_database()
            self._manage("migrate", "--noinput")
            output = self._manage("shell", "-c", SETUP.format(password=PASSWORD, agents=self.agents), "--no-imports")
            line = next(line for line in output.splitlines() if line.startswith("TOKENS="))
            self.tokens = json.loads(line.removeprefix("TOKENS="))
            for _ in range(servers):
                self._start_server()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        for server in self._servers:
            _stop(server)
        self._servers.clear()
        self.stop_redis()
        if self._created:
            self._drop_database()

    # --- Redis ----------------------------------------------------------------------------------

    def start_redis(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self._redis = subprocess.Popen(  # noqa: S603
            [binary, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.redis_port, 10)

    def stop_redis(self) -> None:
        if self._redis is not None:
            _stop(self._redis)
            self._redis = None

    def restart_redis(self, down_seconds: float = 1.0) -> None:
        """Kill this cluster's Redis (not the machine's) and start it again, empty, on its port."""
        if self._redis is not None:
            self._redis.kill()
            self._redis.wait(10)
            self._redis = None
        time.sleep(down_seconds)
        self.start_redis()

    # --- PostgreSQL -------------------------------------------------------------------------------

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(database_url_named(self.database_url, "postgres"), autocommit=True) as connection:
            connection.execute(sql)

    def _create_database(self) -> None:
        self._admin(f'CREATE DATABASE "{self.name}"')
        self._created = True

    def _drop_database(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._created = False

    def _manage(self, *args: str) -> str:
        result = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    # --- Servers ----------------------------------------------------------------------------------

    def _start_server(self) -> None:
        port = free_port()
        server = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "uvicorn",
                "contactcenter.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--lifespan",
                "off",
                "--log-level",
                "warning",
            ],
            cwd=BASE_DIR,
            env=self.env,
        )
        self._servers.append(server)
        self.ports.append(port)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"uvicorn on port {port} exited with {server.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        raise RuntimeError(f"uvicorn on port {port} did not answer")

    def http(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[index]}"

    def ws(self, index: int) -> str:
        return f"ws://127.0.0.1:{self.ports[index]}"


def _wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
