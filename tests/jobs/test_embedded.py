"""The background jobs inside the development server (``BACKGROUND_WORKERS=embedded``, the
default): ``make run`` starts nothing else, and the work still gets done, on time, with retries.

On whatever database the suite runs (the embedded SQLite default or PostgreSQL), and once more as a
newcomer runs it: ``manage.py runserver`` on a fresh SQLite file, in its own process."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_q.models import Failure, Schedule, Success

from contactcenter.core.jobs import enqueue, enqueue_in
from contactcenter.core.workers import EmbeddedWorkers
from interactions.models import SlaPolicy, Ticket, TicketEscalation
from interactions.services import ticket_create, ticket_sla_due
from tests.jobs import sample_jobs

ROOT = Path(__file__).resolve().parent.parent.parent


def wait_for(condition, timeout: float = 15.0, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    return condition()


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@pytest.fixture
def threads_share_the_database(transactional_db):
    # The suite's SQLite database lives in memory, shared between threads through SQLite's shared
    # cache, which locks whole tables and fails at once instead of waiting: not the embedded
    # default (a file, where a writer waits its turn), which the runserver tests below cover.
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("the test database is SQLite in memory; the runserver tests run the embedded default")


@pytest.fixture
def workers(threads_share_the_database):
    # Nothing periodic in the way: these tests look at their own jobs.
    Schedule.objects.all().update(repeats=0)
    running = EmbeddedWorkers(workers=2).start()
    yield running
    running.stop()


def test_a_queued_job_runs_in_this_process_once(workers, tmp_path):
    trace = tmp_path / "trace"
    ids = [enqueue(sample_jobs.record, str(trace), f"job-{n}") for n in range(6)]

    assert wait_for(lambda: Success.objects.filter(id__in=ids).count() == 6), lines(trace)
    keys = [line.split()[0] for line in lines(trace)]
    assert sorted(keys) == [f"job-{n}" for n in range(6)]
    assert {line.split()[2] for line in lines(trace)} == {str(os.getpid())}


def test_a_timed_job_starts_within_a_second_or_two_of_its_time(workers, tmp_path):
    trace = tmp_path / "trace"
    due = time.time() + 3
    enqueue_in(3, sample_jobs.record, str(trace), "timed")

    assert wait_for(lambda: lines(trace), timeout=10)
    ran_at = float(lines(trace)[0].split()[1])
    assert due <= ran_at <= due + 3, f"ran {ran_at - due:+.2f} s from its time"


def test_a_failing_job_is_retried_with_backoff_until_it_succeeds(workers, tmp_path):
    trace = tmp_path / "trace"
    enqueue(sample_jobs.fails_twice, str(trace))

    assert wait_for(lambda: Success.objects.filter(group="fails_twice").exists(), timeout=20), lines(trace)
    attempts = [float(line.split()[2]) for line in lines(trace)]
    assert len(attempts) == 3
    assert attempts[1] - attempts[0] >= 1 and attempts[2] - attempts[1] >= 2  # 1 s, then twice that
    failed = sorted(Failure.objects.filter(group="fails_twice").values_list("name", flat=True))
    assert failed == ["fails_twice 1/3", "fails_twice 2/3"]
    assert Success.objects.get(group="fails_twice").name == "fails_twice 3/3"


def test_the_scheduled_sla_escalation_runs_by_itself(threads_share_the_database):
    SlaPolicy.objects.update(business_hours_only=False)
    ticket = ticket_create(subject="Router down", priority="low")
    created = timezone.now() - timedelta(hours=10)  # low: first response was due within 9 h
    _policy, first, resolution = ticket_sla_due(priority="low", start=created)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created, first_response_due=first, resolution_due=resolution)
    Schedule.objects.exclude(name="escalate_overdue").update(repeats=0)
    Schedule.objects.filter(name="escalate_overdue").update(next_run=timezone.now())

    running = EmbeddedWorkers(workers=1).start()
    try:
        assert wait_for(lambda: TicketEscalation.objects.filter(ticket=ticket).exists())
        assert wait_for(lambda: Success.objects.filter(group="escalate_overdue").exists())
    finally:
        running.stop()
    assert Ticket.objects.get(pk=ticket.pk).priority == "normal"
    assert Success.objects.get(group="escalate_overdue").result == {"tickets": 1, "breaches": 1}
    # The next run is a minute later, not in a tight loop.
    next_run = Schedule.objects.get(name="escalate_overdue").next_run
    assert timezone.now() + timedelta(seconds=50) < next_run <= timezone.now() + timedelta(seconds=61)


# --- As a newcomer runs it --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(database: Path, **env: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env={**newcomer_env(database), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return server, port


def newcomer_env(database: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_", "BACKGROUND_"))}
    clean.pop("REDIS_URL", None)
    return {**clean, "DATABASE_URL": f"sqlite:///{database}", "LOG_LEVEL": "WARNING"}


def stop(server: subprocess.Popen) -> str:
    server.send_signal(signal.SIGINT)
    try:
        output, _ = server.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        output, _ = server.communicate()
    return output


def health(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.read().decode()
    except OSError:
        return None


def runs_of(database: Path) -> list[str]:
    with sqlite3.connect(database) as db:
        return sorted(row[0] for row in db.execute("SELECT name FROM django_q_task WHERE success"))


@pytest.fixture(scope="module")
def fresh_sqlite(tmp_path_factory) -> Path:
    database = tmp_path_factory.mktemp("newcomer") / "switchboard.sqlite3"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=newcomer_env(database),
        check=True,
        timeout=300,
    )
    return database


QUEUE_A_TIMED_JOB = """
import time
from contactcenter.core.jobs import enqueue_in
from tests.jobs import sample_jobs
due = time.time() + 3
enqueue_in(3, sample_jobs.record, "{trace}", "timed")
print(f"DUE={{due}}")
"""


def test_runserver_on_the_embedded_default_runs_the_schedules_and_timed_jobs_itself(fresh_sqlite, tmp_path):
    trace = tmp_path / "trace"
    server, port = serve(fresh_sqlite)
    try:
        # The every-minute schedules are due at once on a fresh database.
        assert wait_for(lambda: len(runs_of(fresh_sqlite)) >= 2, timeout=30), server.pid
        answer = wait_for(lambda: health(port))
        # A job queued for a time by another process (as a request would) starts on time.
        queued = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", QUEUE_A_TIMED_JOB.format(trace=trace)],
            cwd=ROOT,
            env=newcomer_env(fresh_sqlite),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        due = float(queued.stdout.split("DUE=")[1].split()[0])
        assert wait_for(lambda: lines(trace), timeout=15)
    finally:
        output = stop(server)
    assert set(runs_of(fresh_sqlite)) >= {"escalate_overdue 1/4", "presence_sweep 1/1", "record 1/1"}, output
    assert "Background jobs: running in this process" in output
    assert '"workers": "ok"' in answer
    ran_at = float(lines(trace)[0].split()[1])
    assert due <= ran_at <= due + 3, f"ran {ran_at - due:+.2f} s from its time"


def test_with_external_workers_runserver_leaves_the_jobs_to_them(fresh_sqlite):
    with sqlite3.connect(fresh_sqlite) as db:
        db.execute("DELETE FROM django_q_task")
        db.execute("UPDATE django_q_schedule SET next_run = '2000-01-01 00:00:00'")
    server, port = serve(fresh_sqlite, BACKGROUND_WORKERS="external")
    try:
        assert wait_for(lambda: health(port), timeout=20)
        time.sleep(2)  # long enough for an embedded worker to have run the overdue schedules
        answer = health(port)
    finally:
        output = stop(server)
    assert runs_of(fresh_sqlite) == [], output
    assert "left to `manage.py worker`" in output
    assert '"workers": "late"' in answer
