"""Background jobs as declared, queued and looked after (contactcenter.core.jobs): the schedules
that replace the cron lines, the transactional queue, retries with backoff and dead letters, the
health check and the admin screens. Running them in worker processes: test_worker_processes.py;
inside the development server: test_embedded.py."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_q.models import Failure, OrmQ, Schedule, Success, Task
from django_q.signing import SignedPackage

from contactcenter.core import jobs
from contactcenter.core.jobs import Every, enqueue, enqueue_at, job_rerun, schedules_sync, workers_late
from contactcenter.core.tasks import purge_failed_jobs
from tests.jobs import sample_jobs

pytestmark = pytest.mark.django_db

#: The periodic jobs that replace the cron lines of earlier versions, with their cadences.
PERIODIC = {
    "escalate_overdue": "every minute",
    "wrapup_limit": "every minute",
    "presence_sweep": "every minute",
    "routing_timeouts": "every minute",
    "routing_callbacks": "every minute",
    "email_fetch": "every minute",
    "chat_close_idle": "every 5 minutes",
    "kpis_rollup": "every hour at :07",
    "partitions_ahead": "every day at 01:27",
    "retention_apply": "every day at 02:47",
    "recordings_expire": "every day at 02:57",
    "purge_idempotency_keys": "every day at 03:17",
    "purge_failed_jobs": "every day at 03:37",
    "purge_expired_tokens": "every day at 03:47",
    "purge_portal_links": "every day at 03:57",
    "sentiment_backfill": "every day at 04:07",
    "quality_sample": "every Monday at 05:17",
}
#: Wednesday 4 March 2026, 14:30 in Paris (13:30 UTC).
NOW = datetime(2026, 3, 4, 13, 30, tzinfo=UTC)


def payload(row: OrmQ) -> dict:
    return SignedPackage.loads(row.payload)


class TestSchedules:
    def test_every_periodic_job_is_a_schedule_after_migrate_with_its_cadence(self):
        # The test database was migrated: the post-migrate sync made them.
        schedules = {s.name: s for s in Schedule.objects.exclude(schedule_type=Schedule.ONCE)}
        assert set(schedules) == set(PERIODIC)
        declared = {item.name: item for item in jobs.jobs()}
        assert {name: str(declared[name].every) for name in PERIODIC} == PERIODIC
        assert schedules["escalate_overdue"].func == "interactions.tasks.escalate_overdue"
        assert (schedules["escalate_overdue"].schedule_type, schedules["escalate_overdue"].minutes) == ("I", 1)
        assert schedules["kpis_rollup"].schedule_type == Schedule.HOURLY
        assert schedules["purge_idempotency_keys"].schedule_type == Schedule.DAILY
        assert all(s.repeats == -1 for s in schedules.values())

    def test_first_runs_follow_the_cadence_in_local_time(self):
        assert Every(minutes=5).first_run(NOW) == NOW
        assert Every(minute=7).first_run(NOW) == datetime(2026, 3, 4, 14, 7, tzinfo=UTC)  # 15:07 in Paris
        assert Every(minute=45).first_run(NOW) == datetime(2026, 3, 4, 13, 45, tzinfo=UTC)
        assert Every(at=time(3, 17)).first_run(NOW) == datetime(2026, 3, 5, 2, 17, tzinfo=UTC)
        assert Every(at=time(16, 0)).first_run(NOW) == datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
        # Weekly: next Monday 05:17 in Paris (NOW is a Wednesday); on the day, later that day.
        assert Every(at=time(5, 17), weekday=0).first_run(NOW) == datetime(2026, 3, 9, 4, 17, tzinfo=UTC)
        assert Every(at=time(16, 0), weekday=2).first_run(NOW) == datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
        assert Every(at=time(14, 0), weekday=2).first_run(NOW) == datetime(2026, 3, 11, 13, 0, tzinfo=UTC)

    @pytest.mark.parametrize(
        "kwargs",
        [
            {},
            {"minutes": 1, "minute": 2},
            {"minutes": 0},
            {"minute": 60},
            {"minute": 5, "weekday": 0},
            {"at": time(1), "weekday": 7},
        ],
    )
    def test_a_cadence_says_exactly_one_thing(self, kwargs):
        with pytest.raises(ImproperlyConfigured):
            Every(**kwargs)

    def test_a_second_sync_changes_nothing(self):
        before = list(Schedule.objects.order_by("pk").values())
        result = schedules_sync()
        assert (result.created, result.updated, result.removed) == ([], [], [])
        assert list(Schedule.objects.order_by("pk").values()) == before

    def test_sync_repairs_a_changed_cadence_keeps_a_pause_and_removes_what_is_gone(self):
        Schedule.objects.filter(name="escalate_overdue").update(minutes=15, next_run=NOW + timedelta(days=3))
        Schedule.objects.filter(name="kpis_rollup").update(repeats=0)  # paused in the admin
        Schedule.objects.filter(name="presence_sweep").delete()
        Schedule.objects.create(
            name="old_job", func="interactions.tasks.old_job", schedule_type=Schedule.DAILY, next_run=NOW
        )
        Schedule.objects.create(name="by hand", func="math.floor", args="(1.5,)", schedule_type=Schedule.DAILY)

        result = schedules_sync(now=NOW)

        assert result.created == ["presence_sweep"]
        assert (result.updated, result.removed) == (["escalate_overdue"], ["old_job"])
        escalate = Schedule.objects.get(name="escalate_overdue")
        assert (escalate.minutes, escalate.next_run) == (1, NOW)
        assert Schedule.objects.get(name="kpis_rollup").repeats == 0
        assert Schedule.objects.filter(name="by hand").exists()


class TestEnqueue:
    def test_a_job_is_queued_under_its_name_and_attempt(self):
        enqueue(sample_jobs.record, "trace.txt", "k")
        row = OrmQ.objects.get()
        task = payload(row)
        assert (task["func"], task["args"], task["kwargs"]) == ("tests.jobs.sample_jobs.record", ("trace.txt", "k"), {})
        assert (task["name"], task["group"]) == ("record 1/1", "record")
        assert row.lock <= timezone.now()

    def test_a_job_queued_in_a_transaction_that_rolls_back_never_exists(self):
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue(sample_jobs.record, "trace.txt", "k")
            enqueue_at(timezone.now(), sample_jobs.record, "trace.txt", "k")
            raise RuntimeError("the change fails")
        assert not OrmQ.objects.exists()
        assert not Schedule.objects.filter(schedule_type=Schedule.ONCE).exists()

    def test_a_timed_job_is_a_one_off_schedule(self):
        when = timezone.now() + timedelta(seconds=60)
        schedule = enqueue_at(when, sample_jobs.record, "trace.txt", "later", pause=0.5)
        assert (schedule.schedule_type, schedule.repeats, schedule.next_run) == (Schedule.ONCE, -1, when)
        assert schedule.func == "tests.jobs.sample_jobs.record"
        assert schedule.args == "('trace.txt', 'later')"
        assert "'pause': 0.5" in schedule.kwargs and "'task_name': 'record 1/1'" in schedule.kwargs

    @pytest.mark.parametrize("value", [object(), datetime(2026, 1, 1, tzinfo=UTC), {1, object()}])
    def test_arguments_must_be_plain_literals(self, value):
        with pytest.raises(TypeError, match="plain literals"):
            enqueue(sample_jobs.record, value, "k")
        with pytest.raises(TypeError, match="plain literals"):
            enqueue_at(timezone.now(), sample_jobs.record, "trace.txt", key=value)
        assert not OrmQ.objects.exists()

    def test_only_a_declared_job_can_be_queued(self):
        with pytest.raises(TypeError, match="not a job"):
            enqueue(print, "hello")

    def test_a_job_timeout_must_end_before_its_lock(self, settings):
        with pytest.raises(ImproperlyConfigured, match="shorter than BACKGROUND_JOB_RETRY"):
            jobs.job(timeout=settings.Q_CLUSTER["retry"])


class TestRetries:
    def test_a_failing_attempt_is_retried_later_each_time_then_given_up(self, tmp_path, caplog):
        trace = str(tmp_path / "trace")
        start = timezone.now()
        with pytest.raises(RuntimeError, match="attempt 1 fails"):
            sample_jobs.fails_twice(trace)
        retry = Schedule.objects.get(schedule_type=Schedule.ONCE)
        assert "'_attempt': 2" in retry.kwargs and "'task_name': 'fails_twice 2/3'" in retry.kwargs
        assert start + timedelta(seconds=1) <= retry.next_run <= timezone.now() + timedelta(seconds=1)

        with pytest.raises(RuntimeError, match="attempt 2 fails"):
            sample_jobs.fails_twice(trace, _attempt=2)
        third = Schedule.objects.exclude(pk=retry.pk).get(schedule_type=Schedule.ONCE)
        assert "'task_name': 'fails_twice 3/3'" in third.kwargs
        assert third.next_run - timezone.now() > timedelta(seconds=1.5)  # 2 s: twice the first wait

        assert sample_jobs.fails_twice(trace, _attempt=3) == "third time lucky"

        caplog.set_level(logging.ERROR)
        with pytest.raises(RuntimeError, match="never works"):
            sample_jobs.always_fails(trace, _attempt=2)  # its last attempt
        assert Schedule.objects.filter(schedule_type=Schedule.ONCE).count() == 2  # no new one
        assert "Job always_fails failed 2 times: given up." in caplog.text

    def test_backoff_doubles_up_to_an_hour(self):
        declared = jobs.Job("x", "x.y", retries=20, backoff=timedelta(seconds=30), timeout=None, every=None)
        waits = [declared.delay_before(attempt).total_seconds() for attempt in (2, 3, 4, 5, 12)]
        assert waits == [30, 60, 120, 240, 3600]

    def test_running_a_failed_job_again_makes_it_its_last_attempt(self):
        job_rerun(path="tests.jobs.sample_jobs.fails_twice", args=("trace.txt",), kwargs={"_attempt": 2})
        task = payload(OrmQ.objects.get())
        assert (task["name"], task["kwargs"]) == ("fails_twice 3/3", {"_attempt": 3})


def fail(name: str, func: str, stopped: datetime, **fields) -> Task:
    return Task.objects.create(
        id=f"{name}-{stopped.timestamp()}".replace(" ", "-").replace("/", "-")[:32],
        name=name,
        func=func,
        started=stopped - timedelta(seconds=1),
        stopped=stopped,
        success=False,
        result="RuntimeError: no",
        **fields,
    )


class TestHealth:
    def test_workers_are_ok_when_nothing_waits_and_late_when_a_schedule_or_a_job_does(self, client, settings):
        settings.BACKGROUND_LATE_SECONDS = 120
        now = timezone.now()
        Schedule.objects.exclude(schedule_type=Schedule.ONCE).update(next_run=now + timedelta(minutes=1))
        assert client.get("/healthz").json()["workers"] == "ok"

        Schedule.objects.filter(name="presence_sweep").update(next_run=now - timedelta(seconds=100))
        assert not workers_late()  # due, not yet late
        Schedule.objects.filter(name="presence_sweep").update(next_run=now - timedelta(seconds=130))
        assert client.get("/healthz").json() == {
            "status": "degraded",
            "database": "ok",
            "channel_layer": "ok",
            "workers": "late",
        }

        Schedule.objects.filter(name="presence_sweep").update(repeats=0)  # paused: never late
        assert not workers_late()
        enqueue(sample_jobs.record, "trace.txt", "k")
        OrmQ.objects.update(lock=now - timedelta(seconds=121))
        assert workers_late()
        OrmQ.objects.update(lock=now + timedelta(seconds=300))  # a worker holds it
        assert client.get("/healthz").json()["workers"] == "ok"


class TestPurge:
    def test_failed_runs_older_than_the_retention_are_forgotten(self, settings):
        settings.BACKGROUND_FAILURES_DAYS = 30
        now = timezone.now()
        old = fail("record 1/1", "tests.jobs.sample_jobs.record", now - timedelta(days=31))
        recent = fail("record 1/1", "tests.jobs.sample_jobs.record", now - timedelta(days=29))
        Task.objects.create(
            id="ok-old", name="record 1/1", func="x", started=old.started, stopped=old.stopped, success=True
        )
        assert purge_failed_jobs() == {"deleted": 1}
        assert list(Failure.objects.values_list("pk", flat=True)) == [recent.pk]
        assert Success.objects.filter(pk="ok-old").exists()


class TestAdmin:
    @pytest.fixture
    def admin_client(self, client, django_user_model):
        user = django_user_model.objects.create_superuser("root", "root@example.com", "pw-Root-2026")
        client.force_login(user)
        return client

    def test_the_queue_shows_queued_and_running_jobs(self, admin_client):
        enqueue(sample_jobs.record, "trace.txt", "waiting")
        enqueue(sample_jobs.record, "trace.txt", "taken")
        OrmQ.objects.filter(pk=OrmQ.objects.order_by("pk").last().pk).update(lock=timezone.now() + timedelta(minutes=5))
        url = reverse("admin:django_q_ormq_changelist")
        page = admin_client.get(url).content.decode()
        assert page.count("record 1/1") == 2 and "Queued" in page and "Running" in page
        running = admin_client.get(url, {"state": "running"}).content.decode()
        assert running.count("record 1/1") == 1 and "Queued</td>" not in running

    def test_failed_runs_say_whether_they_will_be_retried_and_can_run_again(self, admin_client):
        now = timezone.now()
        retrying = fail("fails_twice 1/3", "tests.jobs.sample_jobs.fails_twice", now, args=("trace.txt",))
        dead = fail("fails_twice 3/3", "tests.jobs.sample_jobs.fails_twice", now, args=("trace.txt",), kwargs={})
        url = reverse("admin:django_q_failure_changelist")

        page = admin_client.get(url).content.decode()
        assert "Will be retried" in page and "Given up" in page
        dead_letters = admin_client.get(url, {"outcome": "gave-up"}).content.decode()
        assert "fails_twice 3/3" in dead_letters and "fails_twice 1/3" not in dead_letters

        response = admin_client.post(url, {"action": "run_again", "_selected_action": [dead.pk]}, follow=True)
        assert "1 job queued again." in response.content.decode()
        assert list(Failure.objects.values_list("pk", flat=True)) == [retrying.pk]
        assert payload(OrmQ.objects.get())["name"] == "fails_twice 3/3"

    def test_schedules_show_their_cadence_and_run_now(self, admin_client):
        url = reverse("admin:django_q_schedule_changelist")
        page = admin_client.get(url).content.decode()
        for name, cadence in PERIODIC.items():
            assert name in page and cadence in page
        rollup = Schedule.objects.get(name="kpis_rollup")
        response = admin_client.post(url, {"action": "run_now", "_selected_action": [rollup.pk]}, follow=True)
        assert "1 job queued." in response.content.decode()
        task = payload(OrmQ.objects.get())
        assert (task["func"], task["name"]) == ("kpis.tasks.kpis_rollup", "kpis_rollup 1/4")

    def test_the_screens_are_in_french_too(self, admin_client):
        page = admin_client.get(reverse("admin:django_q_schedule_changelist"), HTTP_ACCEPT_LANGUAGE="fr").content
        assert "toutes les minutes" in page.decode()
