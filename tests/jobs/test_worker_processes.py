"""Production's background workers for real: ``manage.py worker`` processes on PostgreSQL and
Redis, sharing the queue in the test database.

Two workers never run a job twice; a worker killed with SIGKILL in the middle of a job leaves it
to the other, which runs it once the dead worker's lease on it runs out; a job queued for a time
starts on time; SIGTERM stops a worker cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Success

from contactcenter.core.jobs import enqueue, enqueue_in
from tests.jobs import sample_jobs
from tests.jobs.test_embedded import lines, wait_for

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent.parent
#: A short lease, so that the job of a killed worker is handed out again within seconds (and a
#: timeout long enough for a loaded machine to kill the worker first).
TIMEOUT, RETRY = 10, 12


@pytest.fixture
def database_url(transactional_db) -> str:
    if connection.vendor != "postgresql":
        pytest.skip("worker processes are tested on PostgreSQL (DATABASE_URL)")
    if not os.environ.get("REDIS_URL"):
        pytest.skip("worker processes are tested with Redis (REDIS_URL)")
    settings = connection.settings_dict
    # The workers share the test database: what the test commits, they see, and the other way.
    Schedule.objects.all().update(repeats=0)
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    return f"postgres://{settings['USER']}@{host}:{port}/{settings['NAME']}"


class Workers:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.started: list[subprocess.Popen] = []

    def start(self, processes: int = 2) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
        env.update(
            DATABASE_URL=self.database_url,
            BACKGROUND_WORKERS="external",
            BACKGROUND_JOB_TIMEOUT=str(TIMEOUT),
            BACKGROUND_JOB_RETRY=str(RETRY),
            LOG_LEVEL="WARNING",
        )
        worker = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "worker", "--processes", str(processes)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            # Its own process group: killing the group kills the worker and every process it forked,
            # as when its machine or container dies.
            start_new_session=True,
        )
        self.started.append(worker)
        line = worker.stdout.readline()
        assert "running" in line, line + (worker.stdout.read() if worker.poll() is not None else "")
        return worker

    def kill(self, worker: subprocess.Popen) -> None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)

    def close(self) -> None:
        for worker in self.started:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.started:
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(10)


@pytest.fixture
def workers(database_url):
    running = Workers(database_url)
    yield running
    running.close()


def test_two_workers_share_the_jobs_and_run_each_once(workers, tmp_path):
    trace = tmp_path / "trace"
    first, second = workers.start(), workers.start()
    ids = [enqueue(sample_jobs.record, str(trace), f"job-{n}", pause=0.2) for n in range(40)]

    assert wait_for(lambda: Success.objects.filter(id__in=ids).count() == 40, timeout=60), len(lines(trace))
    runs = Counter(line.split()[0] for line in lines(trace))
    assert runs == Counter({f"job-{n}": 1 for n in range(40)})
    worker_pids = {line.split()[2] for line in lines(trace)}
    assert len(worker_pids) >= 2  # both took their share (each has two processes)
    # A worker saves a job's result, then takes the job off the queue: wait for both.
    assert wait_for(lambda: not OrmQ.objects.exists(), timeout=15), [q.func() for q in OrmQ.objects.all()]
    assert first.poll() is None and second.poll() is None


def test_a_job_whose_worker_is_killed_midway_is_run_by_the_other_worker(workers, tmp_path):
    trace = tmp_path / "trace"
    pair = [workers.start(processes=1), workers.start(processes=1)]
    task_id = enqueue(sample_jobs.slow_the_first_time, str(trace))
    started = Path(f"{trace}.started")
    assert wait_for(lambda: started.read_text(encoding="utf-8") if started.exists() else None, timeout=40)
    # Whichever worker took it dies with every process it forked, in the middle of the job.
    doomed = next(w for w in pair if os.getpgid(int(started.read_text(encoding="utf-8"))) == w.pid)
    survivor = next(w for w in pair if w is not doomed)
    killed_at = time.monotonic()
    workers.kill(doomed)
    assert not lines(trace)  # killed in the middle: not done

    assert wait_for(lambda: Success.objects.filter(id=task_id).exists(), timeout=RETRY + 40), lines(trace)
    taken_over_after = time.monotonic() - killed_at
    assert len(lines(trace)) == 1 and lines(trace)[0].startswith("done ")  # done once
    assert os.getpgid(int(lines(trace)[0].split()[1])) == survivor.pid  # by the other worker
    assert taken_over_after <= RETRY + 30  # the lease, then a poll (generous: CI machines are busy)
    # A worker saves a job's result, then takes the job off the queue: wait for both.
    assert wait_for(lambda: not OrmQ.objects.exists(), timeout=15), [q.func() for q in OrmQ.objects.all()]
    assert survivor.poll() is None


def test_a_timed_job_starts_on_time(workers, tmp_path):
    trace = tmp_path / "trace"
    workers.start(processes=1)
    due = time.time() + 5
    enqueue_in(5, sample_jobs.record, str(trace), "timed")

    assert wait_for(lambda: lines(trace), timeout=15)
    ran_at = float(lines(trace)[0].split()[1])
    assert due <= ran_at <= due + 3, f"ran {ran_at - due:+.2f} s from its time"


def test_sigterm_lets_a_worker_finish_the_job_in_hand_and_exit_cleanly(workers, tmp_path):
    trace = tmp_path / "trace"
    worker = workers.start(processes=1)
    task_id = enqueue(sample_jobs.record, str(trace), "in-hand", pause=2)
    assert wait_for(lambda: OrmQ.objects.filter(lock__gt=timezone.now()).exists(), timeout=10)  # taken

    # To the worker's main process only, as systemd (KillMode=mixed) and container runtimes do.
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0
    assert [line.split()[0] for line in lines(trace)] == ["in-hand"]
    assert Success.objects.filter(id=task_id).exists()
