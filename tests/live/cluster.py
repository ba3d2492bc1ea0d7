"""A real little production on this machine: a private Redis, a fresh PostgreSQL database and
several uvicorn processes serving ``contactcenter.asgi:application`` against them.

Used by ``tests/live/test_two_processes.py`` and by ``bench/live_latency.py --spawn``. Everything it
starts it stops (``close()``), and the database it creates it drops: other engineers and test
runs share this machine's PostgreSQL and its Redis on 6379, which it never touches.

Test runs side by side (pytest-xdist workers, other runs) each get their own: the database is
named after the worker and a random suffix, and a free port found for Redis or a server is checked
to be served by this cluster's own process (another one may have taken it in between).
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
#: Tries to start Redis or a server on a free port before giving up (see :meth:`Cluster.start_redis`).
PORT_ATTEMPTS = 5

#: Users, teams and queues of the cluster's center; ``tokens`` maps each username to its API token.
SETUP = """
import json
from contactcenter.core.tokens import api_token_issue
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
print("TOKENS=" + json.dumps({{name: api_token_issue(user=p.user).key for name, p in users.items()}}))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_free_port() -> int:
    """A free port from 6390 up for a private Redis (next to the machine's 6379, never on it)."""
    for port in range(6390, 6490):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return free_port()


def database_url_named(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@dataclass
class Cluster:
    """``Cluster(database_url).start(servers=2)``; ``close()`` when done (or use ``with``)."""

    database_url: str
    agents: int = 1
    grace_seconds: int = 60
    name: str = field(
        default_factory=lambda: f"live_cluster_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{secrets.token_hex(4)}"
    )
    redis_port: int = field(default_factory=redis_free_port)
    ports: list[int] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)
    _redis: PrivateRedis | None = None
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
            SECRET_KEY="cluster-" + secrets.token_hex(32),
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

    def start_redis(self, *, same_port: bool = False) -> None:
        """Start this cluster's Redis (see :class:`PrivateRedis`)."""
        if self._redis is None:
            self._redis = PrivateRedis(self.redis_port)
        self._redis.start(same_port=same_port)
        self.redis_port = self._redis.port

    def stop_redis(self) -> None:
        if self._redis is not None:
            self._redis.stop()

    def restart_redis(self, down_seconds: float = 1.0) -> None:
        """Kill this cluster's Redis (not the machine's) and start it again, empty, on its port."""
        self._redis.restart(down_seconds)

    def kill_redis(self) -> None:
        """Kill this cluster's Redis; ``start_redis(same_port=True)`` brings it back, empty."""
        self._redis.kill()

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
        """One uvicorn process on a free port; on another port if the first was taken before it
        bound it (it exits, or the port answers for another server: not with this cluster's data)."""
        for _ in range(PORT_ATTEMPTS):
            port = free_port()
            server = self._spawn_server(port)
            try:
                ours = self._serves_this_cluster(server, port)
            except BaseException:
                _stop(server)
                raise
            if ours:
                self._servers.append(server)
                self.ports.append(port)
                return
            _stop(server)
        raise RuntimeError(f"no uvicorn of this cluster answered, on {PORT_ATTEMPTS} ports tried")

    def _spawn_server(self, port: int) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603
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

    def _serves_this_cluster(self, server: subprocess.Popen, port: int) -> bool:
        """Whether ``server`` came up on ``port``: it runs, and the port knows this cluster's
        tokens (a server of another cluster or test run answers 401). A server error (503 while
        the database is busy) is waited out like a port that does not answer yet."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/queues/", headers={"Authorization": f"Token {self.tokens['pbx']}"}
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
                    return response.status == 200 and server.poll() is None
            except urllib.error.HTTPError as error:
                if error.code < 500:
                    return False
                time.sleep(0.2)
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        raise RuntimeError(f"uvicorn on port {port} did not answer")

    def http(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[index]}"

    def ws(self, index: int) -> str:
        return f"ws://127.0.0.1:{self.ports[index]}"


class PrivateRedis:
    """A Redis of a test's own (never the machine's on 6379), without persistence: a restart starts
    it empty, as a crashed cache server would come back. ``PrivateRedis(port).start()``; ``stop()``."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or redis_free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, same_port: bool = False) -> PrivateRedis:
        """Start on a free port. A port found free may be taken before Redis binds it (another test
        run looks for one too): then this Redis exits, and the port answers for another one. Hence
        the check that the Redis answering is this one (its process id), and another port if not
        (unless ``same_port``: a restart must keep the servers' address)."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        for attempt in range(1, PORT_ATTEMPTS + 1):
            self.process = subprocess.Popen(  # noqa: S603
                [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if _redis_answers_as(self.port, self.process, 10):
                return self
            _stop(self.process)
            self.process = None
            if same_port or attempt == PORT_ATTEMPTS:
                break
            self.port = redis_free_port()
        raise RuntimeError(f"the private Redis did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
            self.process = None

    def kill(self) -> None:
        """Kill it (no clean shutdown): every client's connection breaks at once."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def restart(self, down_seconds: float = 1.0) -> None:
        """Kill it, wait ``down_seconds``, and start it again, empty, on the same port."""
        self.kill()
        time.sleep(down_seconds)
        self.start(same_port=True)


def _redis_answers_as(port: int, process: subprocess.Popen, timeout: float) -> bool:
    """Whether the Redis answering on ``port`` is ``process`` (not one that holds the port already)."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1, socket_connect_timeout=0.5)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            try:
                return client.info("server")["process_id"] == process.pid and process.poll() is None
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
            except redis.exceptions.RedisError:  # something else than a Redis holds the port
                return False
        return False
    finally:
        client.close()


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
