"""``manage.py email_receive``: what an MTA's pipe transport gets back (sysexits codes)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from contactcenter.mail.models import EmailMessage
from tests.mail.conftest import CORPUS

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def receive(*args: str) -> int:
    try:
        call_command("email_receive", *args)
    except CommandError as exc:
        return exc.returncode
    return 0


def test_stored_then_stored_already_both_answer_0(mailbox, capsys):
    path = str(CORPUS / "gmail_alternative_attachment.eml")
    assert receive("--mailbox", "SUPPORT@example.com", "--file", path) == 0
    assert receive("--mailbox", "support@example.com", "--file", path) == 0
    assert "Already stored" in capsys.readouterr().out
    assert EmailMessage.objects.filter(direction="inbound").count() == 1


def test_an_unknown_or_inactive_mailbox_answers_67(mailbox):
    path = str(CORPUS / "apple_mail.eml")
    assert receive("--mailbox", "nobody@example.com", "--file", path) == 67
    mailbox.is_active = False
    mailbox.save()
    assert receive("--mailbox", "support@example.com", "--file", path) == 67
    assert not EmailMessage.objects.exists()


def test_what_is_not_a_mail_answers_65(mailbox, tmp_path):
    junk = tmp_path / "junk.eml"
    junk.write_bytes(b"\x00\x01\x02 not a mail")
    assert receive("--mailbox", "support@example.com", "--file", str(junk)) == 65


@pytest.mark.django_db(transaction=True)
def test_through_standard_input_as_postfix_runs_it(mailbox, tmp_path):
    """The command as Postfix's pipe runs it: the mail on standard input, the exit status read,
    in a process of its own on the test database (on SQLite, a copy of it in a file)."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "contactcenter.settings",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    # The process's own cache: the tests' Redis holds what other tests (since rolled back) cached
    # (SLA policies, queues by name), which this database does not have.
    environment.pop("REDIS_URL", None)
    copy = tmp_path / "db.sqlite3"
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(copy) as target:
            connection.connection.backup(target)
        environment["DATABASE_URL"] = f"sqlite:///{copy}"
    else:
        db = connection.settings_dict
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        environment["DATABASE_URL"] = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}/{db['NAME']}"

    def run(address: str, name: str) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 (this interpreter, this project's manage.py)
            [sys.executable, "manage.py", "email_receive", "--mailbox", address],
            input=(CORPUS / name).read_bytes(),
            capture_output=True,
            cwd=ROOT,
            env=environment,
            timeout=120,
            check=False,
        )

    def subjects() -> list[str]:
        if connection.vendor != "sqlite":
            return list(EmailMessage.objects.filter(direction="inbound").values_list("subject", flat=True))
        with sqlite3.connect(copy) as db:
            return [row[0] for row in db.execute("SELECT subject FROM mail_emailmessage WHERE direction = 'inbound'")]

    stored = run("support@example.com", "latin1_rfc2047.eml")
    assert stored.returncode == 0, stored.stderr.decode()
    assert subjects() == ["Réclamation facture n° 42 - déjà payée"]
    again = run("support@example.com", "latin1_rfc2047.eml")
    assert again.returncode == 0 and subjects() == ["Réclamation facture n° 42 - déjà payée"]
    unknown = run("sales@example.com", "latin1_rfc2047.eml")
    assert unknown.returncode == 67 and b"sales@example.com" in unknown.stderr

    # The database down (a port nobody listens on): a temporary failure, the MTA retries later.
    environment["DATABASE_URL"] = "postgres://switchboard@127.0.0.1:1/switchboard"
    down = run("support@example.com", "apple_mail.eml")
    assert down.returncode == 75 and b"try again later" in down.stderr, down.stderr.decode()
