"""A private Dovecot IMAP server for the tests: the real server the product reads in production.

:func:`dovecot` starts ``dovecot -F`` (Debian's ``dovecot-imapd``) with a configuration of its
own in a temporary folder: IMAP only, on a free port of 127.0.0.1, plain text logins (no TLS:
local tests), one user from a ``passwd-file`` (:data:`USER`, :data:`PASSWORD`), its mail as a
Maildir under the same folder, its log there too. The tests deliver mail with IMAP ``APPEND``,
as a mail client would. Stopped at the end by its process id; nothing of the system's Dovecot
(``/etc/dovecot``, its service) is used or touched.

Without Dovecot installed the tests skip, which ``SWITCHBOARD_STRICT=1`` (CI) turns into a
failure: ``.ci/run`` installs it.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "support"
PASSWORD = "s3cret-imap"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
login_trusted_networks = 127.0.0.1/32
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
first_valid_gid = 1
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Dovecot:
    host: str
    port: int
    root: Path
    user: str = USER
    password: str = PASSWORD
    certificate: Path | None = None

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        if self.certificate is not None:
            client.starttls(ssl_context=ssl.create_default_context(cafile=str(self.certificate)))
        client.login(self.user, self.password)
        return client

    def deliver(self, raw: bytes, folder: str = "INBOX") -> int:
        """Put ``raw`` in ``folder`` as a mail client would (``APPEND``); its UID."""
        client = self.client()
        try:
            status, data = client.append(folder, None, None, raw)
            assert status == "OK", data
            # [APPENDUID <uidvalidity> <uid>] (UIDPLUS, which Dovecot has)
            return int(data[0].split(b"APPENDUID ", 1)[1].split(b"]", 1)[0].split()[1])
        finally:
            client.logout()

    def create(self, folder: str) -> None:
        client = self.client()
        try:
            status, data = client.create(folder)
            assert status == "OK", data
        finally:
            client.logout()

    def delete(self, folder: str) -> None:
        client = self.client()
        try:
            status, data = client.delete(folder)
            assert status == "OK", data
        finally:
            client.logout()

    def uidvalidity(self, folder: str) -> int:
        client = self.client()
        try:
            status, data = client.status(folder, "(UIDVALIDITY)")
            assert status == "OK", data
            return int(data[0].rsplit(b"UIDVALIDITY ", 1)[1].rstrip(b")"))
        finally:
            client.logout()

    def flags(self, uid: int, folder: str = "INBOX") -> bytes:
        client = self.client()
        try:
            client.select(folder, readonly=True)
            status, data = client.uid("FETCH", str(uid), "(FLAGS)")
            assert status == "OK", data
            return data[0]
        finally:
            client.logout()


def _users() -> tuple[str, str, str, int, int]:
    """Who Dovecot's processes run as: as root, the package's own users (its login processes
    refuse root, and so does its mail user); otherwise everything as the current user."""
    if os.geteuid() == 0:
        try:
            internal, login = pwd.getpwnam("dovecot"), pwd.getpwnam("dovenull")
        except KeyError:
            pytest.skip("Dovecot's users (dovecot, dovenull) are missing: install dovecot-imapd")
        group = internal.pw_gid
        return "dovecot", _group(group), login.pw_name, internal.pw_uid, group
    me = pwd.getpwuid(os.getuid())
    return me.pw_name, _group(os.getgid()), me.pw_name, os.getuid(), os.getgid()


def _group(gid: int) -> str:
    return grp.getgrgid(gid).gr_name


def _wait_for(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Dovecot stopped at start: {log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
                if connection.recv(64).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"Dovecot did not answer on port {port}: {log.read_text() if log.exists() else ''}")


def _certificate(root: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 (``cert.pem``, its key ``key.pem``)."""
    subprocess.run(  # noqa: S603
        [  # noqa: S607 (openssl from the PATH)
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem"),
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return root / "cert.pem"


@contextmanager
def dovecot_running(*, tls: bool = False) -> Iterator[Dovecot]:
    """Dovecot started with our configuration; with ``tls``, STARTTLS offered with a self-signed
    certificate (the ``Dovecot.certificate``)."""
    if not os.access(DOVECOT, os.X_OK):
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")
    internal, internal_group, login, uid, gid = _users()
    # Outside pytest's private temporary folder: Dovecot's unprivileged processes must reach it.
    root = Path(tempfile.mkdtemp(prefix="sb-dovecot-"))
    process = None
    try:
        root.chmod(0o755)
        (root / "mail").mkdir()
        os.chown(root / "mail", uid, gid)
        port = free_port()
        ssl_lines = "ssl = no"
        certificate = None
        if tls:
            certificate = _certificate(root)
            ssl_lines = f"ssl = yes\nssl_cert = <{certificate}\nssl_key = <{root / 'key.pem'}"
        (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{root}/mail/{USER}\n")
        (root / "dovecot.conf").write_text(
            CONFIG.format(
                root=root, port=port, ssl=ssl_lines, internal=internal, internal_group=internal_group, login=login
            )
        )
        process = subprocess.Popen(  # noqa: S603 (a fixed program, our own configuration)
            [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for(port, process, root / "dovecot.log")
        yield Dovecot(host="127.0.0.1", port=port, root=root, certificate=certificate)
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    """A Dovecot of this module's own, plain IMAP (see the module's docstring)."""
    with dovecot_running() as server:
        yield server


@pytest.fixture(scope="module")
def dovecot_tls() -> Iterator[Dovecot]:
    """A Dovecot of this module's own offering STARTTLS with a self-signed certificate."""
    with dovecot_running(tls=True) as server:
        yield server
