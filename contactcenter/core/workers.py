"""Who runs the background jobs (:mod:`contactcenter.core.jobs`): worker processes in production,
threads of the development server on the embedded default.

Both use the queue's own loops (django-q2's pusher, worker and monitor), plus one thing the queue
does only every 30 seconds: looking for due schedules. Here that happens every second
(:data:`SCHEDULER_INTERVAL`), so that a job enqueued for a time (a wrap-up limit) starts within
about a second of it. The schedules are locked while they are read, so any number of processes
may look at once and each due run is queued once.

- :func:`run_worker_process`: ``manage.py worker``. A django-q2 cluster (a guard process, one
  process per worker, a process taking jobs from the database and one recording results), which
  replaces a worker that died and stops cleanly on SIGTERM or SIGINT, finishing the jobs in hand.
- :class:`EmbeddedWorkers`: ``manage.py runserver`` with ``BACKGROUND_WORKERS=embedded`` (the
  default). The same loops on threads of the server's process, so that a newcomer starts nothing
  else; no per-job timeout there (a thread cannot be interrupted), and a reload of the server drops
  the jobs in hand, which the queue hands out again once their lock runs out.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from multiprocessing import Value

from django import db
from django_q.brokers import get_broker
from django_q.cluster import Cluster
from django_q.conf import Conf
from django_q.monitor import monitor
from django_q.pusher import pusher
from django_q.scheduler import scheduler
from django_q.worker import worker

from contactcenter.core.jobs import schedules_sync

logger = logging.getLogger(__name__)

#: Seconds between two looks for due schedules.
SCHEDULER_INTERVAL = 1.0


def run_worker_process(*, processes: int | None = None, on_start: Callable[[Cluster], None] | None = None) -> None:
    """Run a worker cluster until it is stopped (SIGTERM or SIGINT): sync the schedules, start the
    cluster with ``processes`` worker processes (``BACKGROUND_WORKER_PROCESSES``), and look for
    due schedules every second while it runs."""
    if processes is not None:
        Conf.WORKERS = processes
        Conf.QUEUE_LIMIT = processes
    _one_connection_per_process()
    schedules_sync()
    # The cluster's processes are forked from this one: none may inherit its database connection.
    db.connections.close_all()
    cluster = Cluster(get_broker())
    cluster.start()
    if on_start is not None:
        on_start(cluster)
    broker = get_broker()
    # The cluster's signal handlers stop it (and join its guard) on SIGTERM/SIGINT; then the
    # guard is no longer alive and this loop ends.
    while cluster.sentinel is not None and cluster.sentinel.is_alive():
        scheduler(broker=broker)
        cluster.sentinel.join(SCHEDULER_INTERVAL)
    db.connections.close_all()


def _one_connection_per_process() -> None:
    """The cluster forks its processes, and a psycopg pool does not survive a fork (its threads
    stay behind, its connections would be shared): each process of a worker keeps one connection
    of its own instead (they run one job at a time, on one thread), checked before reuse."""
    for connection in db.connections.all():
        if connection.vendor == "postgresql" and connection.settings_dict["OPTIONS"].get("pool"):
            connection.close()
            connection.close_pool()
            connection.settings_dict["OPTIONS"].pop("pool")
            connection.settings_dict["CONN_MAX_AGE"] = 600
            connection.settings_dict["CONN_HEALTH_CHECKS"] = True


class EmbeddedWorkers:
    """The background work on threads of this process (see the module's docstring)."""

    def __init__(self, *, workers: int = 2) -> None:
        self.workers = workers
        self._stop = threading.Event()
        self._tasks: queue.Queue = queue.Queue(maxsize=workers)
        self._results: queue.Queue = queue.Queue()
        self._threads: dict[str, threading.Thread] = {}
        self._guard: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._guard is not None and self._guard.is_alive()

    def start(self) -> EmbeddedWorkers:
        schedules_sync()
        self._stop.clear()
        for name in self._names():
            self._spawn(name)
        self._guard = threading.Thread(target=self._watch, name="jobs-scheduler", daemon=True)
        self._guard.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking jobs, let the ones in hand finish (up to ``timeout`` seconds), stop."""
        if self._guard is None:
            return
        self._stop.set()
        self._guard.join(timeout)
        pushing = self._threads.get("jobs-pusher")
        if pushing is not None:
            pushing.join(timeout)
        for name in self._names():
            if name.startswith("jobs-worker"):
                self._tasks.put("STOP")
        for name, thread in self._threads.items():
            if name.startswith("jobs-worker"):
                thread.join(timeout)
        self._results.put("STOP")
        monitoring = self._threads.get("jobs-monitor")
        if monitoring is not None:
            monitoring.join(timeout)
        self._threads.clear()
        self._guard = None

    def _names(self) -> list[str]:
        return ["jobs-monitor", *(f"jobs-worker-{n}" for n in range(1, self.workers + 1)), "jobs-pusher"]

    def _spawn(self, name: str) -> None:
        if name == "jobs-pusher":
            target, args = pusher, (self._tasks, self._stop, get_broker())
        elif name == "jobs-monitor":
            target, args = monitor, (self._results, get_broker())
        else:
            # Timer -1: idle; the worker loop sets it while busy. No timeout on a thread.
            target, args = worker, (self._tasks, self._results, Value("f", -1), None)
        thread = threading.Thread(target=self._closing(target), args=args, name=name, daemon=True)
        self._threads[name] = thread
        thread.start()

    @staticmethod
    def _closing(target: Callable[..., None]) -> Callable[..., None]:
        def run(*args: object) -> None:
            try:
                target(*args)
            finally:
                db.connection.close()

        return run

    def _watch(self) -> None:
        """Every second: queue the due schedules, and replace a loop that ended by accident (the
        pusher gives up after a database error, as the cluster's guard would see it)."""
        broker = get_broker()
        try:
            while not self._stop.is_set():
                scheduler(broker=broker)
                for name, thread in list(self._threads.items()):
                    if not thread.is_alive() and not self._stop.is_set():
                        logger.warning("Background %s stopped; starting it again.", name)
                        self._spawn(name)
                self._stop.wait(SCHEDULER_INTERVAL)
        finally:
            db.connection.close()
