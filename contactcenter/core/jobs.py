"""Background jobs: the work that runs outside a request, declared in code, run by a task queue.

The queue is django-q2 with its database broker: a job is a row of the database's queue table
(PostgreSQL in production, the SQLite file on the embedded default), so

- a job enqueued inside a transaction exists only if that transaction commits, with the data it
  is about (no job for a rolled-back change, no change without its job);
- a worker takes a job by moving its lock forward in one conditional ``UPDATE``, so two workers
  never take the same job; a worker that dies mid-job (``kill -9``, a lost machine) never
  acknowledges it, and once the lock runs out (``BACKGROUND_JOB_RETRY`` seconds) the job is
  handed out again, to whichever worker is up;
- a job that raises is retried by :func:`job` itself, later each time (exponential backoff), and
  its last failure stays in the admin as a dead letter (``Failed tasks``, "gave up").

Every job is written so that running it twice changes nothing the second time (each says how in
its docstring): a job may run again after a worker died at its very end, before it could report.

Declare a job beside the services it calls, in the app's ``tasks.py`` (found at start-up)::

    @job(every=Every(minutes=1), retries=3)
    def escalate_overdue() -> str:
        ...

and enqueue work with :func:`enqueue` (now) or :func:`enqueue_at` (at a time: a wrap-up limit in
60 s). Arguments must be plain literals (numbers, strings, lists, dicts…): pass ids, not objects.
Periodic jobs become the queue's schedules (:func:`schedules_sync`, at every migrate and every
worker start), visible and pausable in the admin. Who runs the jobs: ``contactcenter.core.workers``.
"""

from __future__ import annotations

import ast
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_q.exceptions import TimeoutException
from django_q.models import OrmQ, Schedule
from django_q.tasks import async_task

logger = logging.getLogger(__name__)

#: The packages whose periodic schedules :func:`schedules_sync` owns (and removes once undeclared).
OWN_PACKAGES = ("contactcenter.", "customers.", "interactions.", "kpis.")
#: The longest wait between two attempts of a failing job.
MAX_BACKOFF = timedelta(hours=1)


# --- Cadences -----------------------------------------------------------------------------------

#: The days a weekly job may run on, Monday first (``Every.weekday``).
WEEKDAYS = (_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday"))


@dataclass(frozen=True)
class Every:
    """How often a periodic job runs: every ``minutes``; or every hour at ``minute``; or every
    day at ``at`` (the center's local time, ``TIME_ZONE``), or, with ``weekday`` (0 Monday … 6
    Sunday), every week on that day at ``at``. Exactly one of the first three."""

    minutes: int | None = None
    minute: int | None = None
    at: time | None = None
    weekday: int | None = None

    def __post_init__(self) -> None:
        given = [value is not None for value in (self.minutes, self.minute, self.at)]
        if sum(given) != 1:
            raise ImproperlyConfigured("Every(...) takes exactly one of minutes=, minute= or at=.")
        if self.minutes is not None and self.minutes < 1:
            raise ImproperlyConfigured("Every(minutes=...) must be at least 1.")
        if self.minute is not None and not 0 <= self.minute < 60:
            raise ImproperlyConfigured("Every(minute=...) must be between 0 and 59.")
        if self.weekday is not None and (self.at is None or not 0 <= self.weekday <= 6):
            raise ImproperlyConfigured("Every(weekday=...) goes with at= and is between 0 (Monday) and 6.")

    @property
    def schedule_fields(self) -> dict[str, Any]:
        """The queue's way of saying this cadence (``Schedule`` fields)."""
        if self.minutes is not None:
            return {"schedule_type": Schedule.MINUTES, "minutes": self.minutes}
        if self.minute is not None:
            return {"schedule_type": Schedule.HOURLY, "minutes": None}
        if self.weekday is not None:
            return {"schedule_type": Schedule.WEEKLY, "minutes": None}
        return {"schedule_type": Schedule.DAILY, "minutes": None}

    def first_run(self, now: datetime) -> datetime:
        """The first time to run from ``now`` on: at once for ``minutes``; else the next hour's
        ``minute`` or the next day's ``at`` (later runs follow from it)."""
        if self.minutes is not None:
            return now
        local = timezone.localtime(now)
        if self.minute is not None:
            run = local.replace(minute=self.minute, second=0, microsecond=0)
            return run if run > local else run + timedelta(hours=1)
        if self.weekday is not None:
            day = local.date() + timedelta(days=(self.weekday - local.weekday()) % 7)
            run = timezone.make_aware(datetime.combine(day, self.at))
            return run if run > local else timezone.make_aware(datetime.combine(day + timedelta(days=7), self.at))
        run = timezone.make_aware(datetime.combine(local.date(), self.at))
        return run if run > local else timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), self.at))

    def __str__(self) -> str:
        if self.minutes is not None:
            return ngettext("every minute", "every %(n)s minutes", self.minutes) % {"n": self.minutes}
        if self.minute is not None:
            return str(_("every hour at :%(minute)02d") % {"minute": self.minute})
        if self.weekday is not None:
            return str(
                _("every %(day)s at %(time)s") % {"day": WEEKDAYS[self.weekday], "time": self.at.strftime("%H:%M")}
            )
        return str(_("every day at %(time)s") % {"time": self.at.strftime("%H:%M")})


# --- Declaring jobs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """A declared job: ``name`` (unique, shown in the admin), ``path`` (where the queue finds it),
    ``retries`` after a first failure, the first ``backoff`` (doubled at each retry, at most
    :data:`MAX_BACKOFF`), a ``timeout`` in seconds (``None``: the queue's ``BACKGROUND_JOB_TIMEOUT``)
    and, for a periodic job, its cadence ``every``."""

    name: str
    path: str
    retries: int
    backoff: timedelta
    timeout: int | None
    every: Every | None

    @property
    def attempts(self) -> int:
        return self.retries + 1

    def task_name(self, attempt: int) -> str:
        """The name its runs have in the admin: ``escalate_overdue 2/4`` is the second of four
        attempts; a failed run whose two numbers are equal is a dead letter."""
        return f"{self.name} {attempt}/{self.attempts}"

    def delay_before(self, attempt: int) -> timedelta:
        """How long to wait before ``attempt`` (2, 3, …): ``backoff``, then twice as long each time."""
        return min(self.backoff * 2 ** (attempt - 2), MAX_BACKOFF)

    def q_options(self, attempt: int) -> dict[str, Any]:
        options: dict[str, Any] = {"task_name": self.task_name(attempt), "group": self.name}
        if self.timeout is not None:
            options["timeout"] = self.timeout
        return options


_JOBS: dict[str, Job] = {}


def jobs() -> list[Job]:
    """Every declared job, by name."""
    return sorted(_JOBS.values(), key=lambda declared: declared.name)


def job(
    *,
    name: str | None = None,
    every: Every | None = None,
    retries: int = 3,
    backoff: timedelta = timedelta(seconds=30),
    timeout: int | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a job (see the module's docstring). The decorated function is what the queue runs:
    called with the job's arguments; when it raises, a later attempt is enqueued (unless this was
    the last) and the error is raised again, so that the attempt shows as failed."""
    if retries < 0:
        raise ImproperlyConfigured("retries must be 0 or more.")
    if timeout is not None and not 0 < timeout < settings.Q_CLUSTER["retry"]:
        # Past the lock's life the queue would hand the job to a second worker while it runs.
        raise ImproperlyConfigured("A job's timeout must be positive and shorter than BACKGROUND_JOB_RETRY.")

    def declare(func: Callable[..., Any]) -> Callable[..., Any]:
        declared = Job(
            name=name or func.__name__,
            path=f"{func.__module__}.{func.__qualname__}",
            retries=retries,
            backoff=backoff,
            timeout=timeout,
            every=every,
        )
        other = _JOBS.get(declared.name)
        if other is not None and other.path != declared.path:
            raise ImproperlyConfigured(f"Two jobs are named {declared.name!r}: {other.path} and {declared.path}.")
        _JOBS[declared.name] = declared

        @functools.wraps(func)
        def run(*args: Any, _attempt: int = 1, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except (Exception, TimeoutException):  # the queue's timeout is a SystemExit
                if _attempt < declared.attempts:
                    when = timezone.now() + declared.delay_before(_attempt + 1)
                    _enqueue_at(declared, when, args, kwargs, attempt=_attempt + 1)
                    logger.warning(
                        "Job %s failed (attempt %s of %s); next attempt at %s.",
                        declared.name,
                        _attempt,
                        declared.attempts,
                        when.isoformat(),
                    )
                else:
                    logger.error("Job %s failed %s times: given up.", declared.name, declared.attempts)
                raise

        run.job = declared  # type: ignore[attr-defined]
        return run

    return declare


def job_of(func: Callable[..., Any]) -> Job:
    declared = getattr(func, "job", None)
    if not isinstance(declared, Job):
        raise TypeError(f"{func!r} is not a job: declare it with @job(...).")
    return declared


# --- Enqueueing ---------------------------------------------------------------------------------


def _check_literals(args: tuple, kwargs: dict) -> None:
    """Job arguments are stored as text and read back with :func:`ast.literal_eval` (schedules),
    so only literals survive the trip: refuse anything else now rather than fail later."""
    for value in (*args, *kwargs.values()):
        try:
            same = ast.literal_eval(repr(value)) == value
        except (ValueError, SyntaxError):
            same = False
        if not same:
            raise TypeError(f"A job's arguments must be plain literals (ids, strings, numbers…), not {value!r}.")


def enqueue(func: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """Queue ``func`` (a :func:`job`) to run as soon as a worker is free; returns the run's id.
    Inside a transaction the job is queued with it: it exists only if the transaction commits."""
    declared = job_of(func)
    _check_literals(args, kwargs)
    return async_task(declared.path, *args, q_options=declared.q_options(1), **kwargs)


def enqueue_at(when: datetime, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Schedule:
    """Queue ``func`` (a :func:`job`) to run at ``when`` (within about a second of it while a
    worker runs). Transactional like :func:`enqueue`. Returns the one-off schedule, which the
    caller may delete to cancel the run before it is due."""
    declared = job_of(func)
    _check_literals(args, kwargs)
    return _enqueue_at(declared, when, args, kwargs, attempt=1)


def enqueue_in(seconds: float, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Schedule:
    """:func:`enqueue_at` ``seconds`` from now."""
    return enqueue_at(timezone.now() + timedelta(seconds=seconds), func, *args, **kwargs)


def _enqueue_at(declared: Job, when: datetime, args: tuple, kwargs: dict, *, attempt: int) -> Schedule:
    stored = dict(kwargs)
    if attempt > 1:
        stored["_attempt"] = attempt
    stored["q_options"] = declared.q_options(attempt)
    return Schedule.objects.create(
        func=declared.path,
        args=repr(tuple(args)) if args else None,
        kwargs=repr(stored),
        schedule_type=Schedule.ONCE,
        repeats=-1,
        next_run=when,
    )


def job_at(path: str) -> Job | None:
    """The declared job the queue knows by ``path`` (a run's or a schedule's ``func``), if any."""
    return next((item for item in _JOBS.values() if item.path == path), None)


def dead_letter_names() -> list[str]:
    """The names that failed runs have when they were a job's last attempt: the dead letters."""
    return [item.task_name(item.attempts) for item in _JOBS.values()]


def job_rerun(*, path: str, args: tuple | None, kwargs: dict | None) -> str:
    """Queue once more a run that failed (the admin's "Run again"): as the job's last attempt, so
    that if it fails again it is a dead letter at once rather than a new series of retries."""
    declared = job_at(path)
    kwargs = {key: value for key, value in (kwargs or {}).items() if key != "_attempt"}
    if declared is None:
        return async_task(path, *(args or ()), **kwargs)
    if declared.attempts > 1:
        kwargs["_attempt"] = declared.attempts
    return async_task(path, *(args or ()), q_options=declared.q_options(declared.attempts), **kwargs)


# --- Schedules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    created: list[str]
    updated: list[str]
    removed: list[str]


def _schedule_fields(declared: Job) -> dict[str, Any]:
    return {
        "func": declared.path,
        "args": None,
        "kwargs": repr({"q_options": declared.q_options(1)}),
        **declared.every.schedule_fields,
    }


@transaction.atomic
def schedules_sync(*, now: datetime | None = None) -> SyncResult:
    """Make the queue's schedules match the periodic jobs declared in code: one schedule per job,
    named after it. A new one first runs at its cadence's :meth:`Every.first_run`; a changed
    cadence starts over from there; an unchanged one keeps its next run, and its ``repeats``,
    so a schedule paused in the admin (repeats 0) stays paused. Periodic schedules of our own
    packages that no job declares any more are removed; schedules made by hand are left alone.
    Safe to run concurrently (the rows are locked) and as often as wanted."""
    now = now or timezone.now()
    declared = {item.name: item for item in _JOBS.values() if item.every is not None}
    stored = {
        schedule.name: schedule
        for schedule in Schedule.objects.select_for_update()
        .exclude(schedule_type=Schedule.ONCE)
        .exclude(name=None)
        .order_by("pk")
    }
    created, updated, removed = [], [], []
    for name, item in sorted(declared.items()):
        fields = _schedule_fields(item)
        schedule = stored.get(name)
        if schedule is None:
            Schedule.objects.create(name=name, repeats=-1, next_run=item.every.first_run(now), **fields)
            created.append(name)
            continue
        changed = {key: value for key, value in fields.items() if getattr(schedule, key) != value}
        if not changed:
            continue
        for key, value in changed.items():
            setattr(schedule, key, value)
        if changed.keys() & {"schedule_type", "minutes"}:
            schedule.next_run = item.every.first_run(now)
        schedule.save()
        updated.append(name)
    for name, schedule in stored.items():
        if name not in declared and schedule.func.startswith(OWN_PACKAGES):
            schedule.delete()
            removed.append(name)
    return SyncResult(created=created, updated=updated, removed=removed)


def schedules_sync_after_migrate(sender: Any, **kwargs: Any) -> None:
    """``post_migrate`` receiver: sync once per migrate, after the queue's own app (its tables
    exist by then)."""
    if getattr(sender, "label", None) == "django_q":
        schedules_sync()


# --- Health ---------------------------------------------------------------------------------------


def workers_late(*, now: datetime | None = None) -> bool:
    """True when the workers are behind: a schedule (not paused) is due for longer than
    ``BACKGROUND_LATE_SECONDS``, or a job has waited that long in the queue. With workers up, a
    due schedule is taken within a second and a queued job as soon as a worker is free."""
    limit = (now or timezone.now()) - timedelta(seconds=settings.BACKGROUND_LATE_SECONDS)
    return (
        Schedule.objects.exclude(repeats=0).filter(next_run__lt=limit).exists()
        or OrmQ.objects.filter(lock__lt=limit).exists()
    )
