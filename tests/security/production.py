"""A production-style instance on this machine, as README's "Production" runs it: ``DEBUG=0``, a
real secret key, collected static files, and ``uvicorn contactcenter.asgi:application`` in a
process of its own whose standard output and error are kept, to be read by the tests.

The database is a fresh one: on the PostgreSQL of ``DATABASE_URL`` when it points at one (created
and dropped here, named after that database, the xdist worker and a random suffix), else an SQLite file in a
temporary folder. It holds a few customers with French and international numbers, emails and
names (``CUSTOMERS``), a manager with an API token and a signed-in browser session.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tests.live.cluster import _stop, database_url_named, free_port

BASE_DIR = Path(__file__).resolve().parent.parent.parent

#: (first name, last name, phone as typed, phone in E.164, email) of the instance's customers.
CUSTOMERS = [
    ("Amélie", "Poulain", "07 30 29 97 38", "+33730299738", "amelie.poulain@example.fr"),
    ("Jean", "Dupont", "+33 6 12 34 56 78", "+33612345678", "jean.dupont@example.com"),
    ("Siobhán", "O'Connell", "+353 85 123 4567", "+353851234567", "siobhan.oconnell@example.ie"),
]

SETUP = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from contactcenter.agents.services import agent_provision
from contactcenter.core.tokens import api_token_issue
from customers.services import customer_create
for first, last, phone, _e164, email in {customers!r}:
    customer_create(first_name=first, last_name=last, phones=[phone], emails=[email])
user = agent_provision(username="manager", password="Prod-pass-2026!", role="manager", validate=False).user
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "contactcenter.core.backends.ProfileModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print("SETUP=" + json.dumps({{"token": api_token_issue(user=user).key, "session": session.session_key}}))
"""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


@dataclass
class ProductionServer:
    """``ProductionServer().start()``; ``close()`` when done, then ``output`` holds what the
    server wrote on its standard output and error."""

    extra_env: dict[str, str] = field(default_factory=dict)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="switchboard-prod-")))
    token: str = ""
    session: str = ""
    port: int = 0
    output: str = ""
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))
    _process: subprocess.Popen | None = None
    _database: str = ""
    _created: bool = False

    def __post_init__(self) -> None:
        database_url = os.environ.get("DATABASE_URL", "")
        if database_url.startswith("postgres"):
            base = urlsplit(database_url).path.lstrip("/") or "switchboard"
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            self._database = f"{base}_prod_{worker}_{secrets.token_hex(4)}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_"))}
        env.pop("REDIS_URL", None)  # in-memory channel layer and cache: nothing shared with other runs
        if self._database:
            env["DATABASE_URL"] = database_url_named(os.environ["DATABASE_URL"], self._database)
        else:
            env["DATABASE_URL"] = f"sqlite:///{self.folder / 'db.sqlite3'}"
        env.update(
            DJANGO_SETTINGS_MODULE="contactcenter.settings",
            DEBUG="0",
            SECRET_KEY=self.secret_key,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="0",
            SECURE_COOKIES="0",
            SECURE_HSTS_SECONDS="0",
            STATIC_ROOT=str(self.folder / "static"),
            MEDIA_ROOT=str(self.folder / "media"),
            BACKGROUND_WORKERS="external",
            # Its manager signs in with a password alone (the second factor is tested elsewhere).
            REQUIRE_2FA_ROLES="",
            LOG_LEVEL="INFO",
            **self.extra_env,
        )
        return env

    def start(self) -> ProductionServer:
        try:
            if self._database:
                self._admin(f'CREATE DATABASE "{self._database}"')
                self._created = True
            self._manage("migrate", "--noinput")
            self._manage("collectstatic", "--noinput")
            output = self._manage("shell", "-c", SETUP.format(customers=CUSTOMERS), "--no-imports")
            line = next(line for line in output.splitlines() if line.startswith("SETUP="))
            setup = json.loads(line.removeprefix("SETUP="))
            self.token, self.session = setup["token"], setup["session"]
            self._serve()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self._process is not None:
            _stop(self._process)
            self._process = None
        log = self.folder / "server.log"
        if log.exists():
            self.output = log.read_text(errors="replace")
        if self._created:
            self._admin(f'DROP DATABASE IF EXISTS "{self._database}" WITH (FORCE)')
            self._created = False
        shutil.rmtree(self.folder, ignore_errors=True)

    def request(
        self,
        path: str,
        *,
        method: str = "GET",
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        auth: str = "token",
    ) -> Response:
        """``path`` on the server, as the manager (``auth``: ``token``, ``session`` or ``none``)."""
        all_headers = {"Accept": "application/json", **(headers or {})}
        if auth == "token":
            all_headers["Authorization"] = f"Token {self.token}"
        elif auth == "session":
            all_headers["Cookie"] = f"sessionid={self.session}"
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=all_headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                return Response(answer.status, dict(answer.headers.items()), answer.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers.items()), error.read())

    # --- Inside ---------------------------------------------------------------------------------

    def _serve(self) -> None:
        # README's production command (one process is enough here).
        command = [sys.executable, "-m", "uvicorn", "contactcenter.asgi:application", "--host", "127.0.0.1"]
        log = (self.folder / "server.log").open("wb")
        for _ in range(5):
            self.port = free_port()
            self._process = subprocess.Popen(  # noqa: S603
                [*command, "--port", str(self.port)], cwd=BASE_DIR, env=self.env, stdout=log, stderr=log
            )
            if self._answers():
                return
            _stop(self._process)
            self._process = None
        raise RuntimeError("the production server did not start:\n" + (self.folder / "server.log").read_text())

    def _answers(self) -> bool:
        """Whether this server came up on its port: it runs, and the port knows this instance's token
        (another test run's server, which took the port first, answers 401)."""
        request = urllib.request.Request(  # noqa: S310
            self.url + "/api/v1/teams/", headers={"Authorization": f"Token {self.token}"}
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self._process.poll() is None:
            try:
                with urllib.request.urlopen(request, timeout=2) as answer:  # noqa: S310
                    return answer.status == 200 and self._process.poll() is None
            except urllib.error.HTTPError:
                return False
            except OSError:
                time.sleep(0.2)
        return False

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

    def _admin(self, sql: str) -> None:
        import psycopg

        url = database_url_named(os.environ["DATABASE_URL"], "postgres")
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(sql)
