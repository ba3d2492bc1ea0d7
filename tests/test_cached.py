"""The small tables kept in the cache (contactcenter/core/cached.py): read once, read again after
any change, in this process at once and in every other after the commit; read from the database
while the cache is unreachable."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import override_settings

from contactcenter.agents.events import agent_status_extras
from contactcenter.agents.queues import queue_named
from contactcenter.agents.services import agent_set_status
from contactcenter.core.cached import cached_forget, cached_read
from contactcenter.scripts.selectors import published_script
from contactcenter.scripts.services import script_publish, script_update
from interactions.models import BusinessHours, Disposition, Holiday, SlaPolicy
from interactions.selectors import active_dispositions, business_calendar, disposition_of, dispositions, sla_policy_of
from tests.agents.factories import AgentProfileFactory, QueueFactory, TeamFactory
from tests.scripts.factories import make_published

pytestmark = pytest.mark.django_db

UNREACHABLE = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


def codes(found) -> list[str]:
    return [disposition.code for disposition in found]


def test_the_dispositions_are_read_once_then_again_after_each_change(django_assert_num_queries):
    Disposition.objects.create(code="call-again", label="Call back", sort_order=1)
    with django_assert_num_queries(1):
        first = codes(dispositions())
    with django_assert_num_queries(0):
        assert codes(dispositions()) == first
        assert disposition_of("call-again").label == "Call back"

    changed = Disposition.objects.get(code="call-again")
    changed.label, changed.is_active = "Call the customer back", False
    changed.save()
    assert disposition_of("call-again").label == "Call the customer back"
    assert disposition_of("call-again", active=True) is None
    assert "call-again" not in codes(active_dispositions())

    Disposition.objects.create(code="handed-over", label="Escalated", sort_order=0)
    assert codes(active_dispositions())[0] == "handed-over"
    Disposition.objects.filter(code="handed-over").get().delete()
    assert disposition_of("handed-over") is None


def test_a_queues_published_script_follows_publishing_deactivation_and_queues(django_assert_num_queries):
    queue = QueueFactory()
    script, version = make_published(name="Greeting", queues=[queue])
    assert published_script(queue_id=queue.pk) == version
    with django_assert_num_queries(0):
        assert published_script(queue_id=queue.pk).script.name == "Greeting"

    newer = script_publish(script=script, by=None)
    assert published_script(queue_id=queue.pk) == newer
    script.queues.remove(queue)
    assert published_script(queue_id=queue.pk) is None
    script.queues.add(queue)
    assert published_script(queue_id=queue.pk) == newer
    script_update(script=script, by=None, is_active=False)
    assert published_script(queue_id=queue.pk) is None


def test_the_queues_by_name_follow_renames_and_deletions(django_assert_num_queries):
    queue = QueueFactory(name="Billing")
    assert queue_named("Billing") == queue
    with django_assert_num_queries(0):
        assert queue_named("Billing").name == "Billing"
        assert queue_named("Sales") is None

    queue.name, queue.wrapup_requires_notes = "Sales", True
    queue.save()
    assert queue_named("Billing") is None
    assert queue_named("Sales").wrapup_requires_notes is True
    queue.delete()
    assert queue_named("Sales") is None


def test_the_sla_policies_and_the_calendar_follow_their_changes(django_assert_num_queries):
    policy = SlaPolicy.objects.get(priority="urgent")  # the defaults made by the migrations
    windows, holidays = business_calendar()
    assert sla_policy_of("urgent") == policy
    with django_assert_num_queries(0):
        assert sla_policy_of("urgent").resolution_minutes == policy.resolution_minutes
        assert business_calendar() == (windows, holidays)

    policy.resolution_minutes += 60
    policy.save()
    assert sla_policy_of("urgent").resolution_minutes == policy.resolution_minutes
    holiday = Holiday.objects.create(date=date(2026, 12, 25), name="Christmas")
    assert date(2026, 12, 25) in business_calendar()[1]
    hours = BusinessHours.objects.first()
    hours.delete()
    assert len(business_calendar()[0]) == len(windows) - 1
    holiday.delete()
    policy.delete()
    assert sla_policy_of("urgent") is None
    assert business_calendar()[1] == holidays


def test_an_agents_team_and_queues_on_the_wallboard_follow_their_changes(django_assert_num_queries):
    team, queue = TeamFactory(name="Team North"), QueueFactory(name="Billing")
    profile = AgentProfileFactory(team=team, queues=[queue])
    assert agent_status_extras(user_id=profile.user_id)["queues"] == ["Billing"]
    agent_set_status(profile=profile, status="available")  # a status change keeps what is kept
    with django_assert_num_queries(0):
        assert agent_status_extras(user_id=profile.user_id)["team"] == "Team North"

    profile.queues.add(QueueFactory(name="Appointments"))
    assert agent_status_extras(user_id=profile.user_id)["queues"] == ["Appointments", "Billing"]
    queue.name = "Invoices"
    queue.save()
    assert agent_status_extras(user_id=profile.user_id)["queues"] == ["Appointments", "Invoices"]
    team.name = "Team South"
    team.save()
    assert agent_status_extras(user_id=profile.user_id)["team"] == "Team South"
    profile.team = TeamFactory(name="Team East")
    profile.save(update_fields=["team"])
    assert agent_status_extras(user_id=profile.user_id)["team"] == "Team East"
    profile.delete()
    assert agent_status_extras(user_id=profile.user_id)["queues"] == []


def test_rows_read_by_another_process_before_the_commit_are_read_again_after_it(
    django_capture_on_commit_callbacks,
):
    """Between the change and its commit, another process still sees the old rows and may keep
    them under the version given at the change: the version given after the commit retires them."""
    assert cached_read("sample", "k", lambda: "old") == "old"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        cached_forget("sample")
    assert cached_read("sample", "k", lambda: "old, read before the commit") == "old, read before the commit"
    assert cached_read("sample", "k", lambda: "new") == "old, read before the commit"
    for callback in callbacks:  # the commit
        callback()
    assert cached_read("sample", "k", lambda: "new") == "new"


def test_while_the_cache_is_unreachable_the_rows_come_from_the_database(django_assert_num_queries):
    Disposition.objects.create(code="call-again", label="Call back")
    with override_settings(CACHES=UNREACHABLE):
        with django_assert_num_queries(2):
            assert disposition_of("call-again").label == "Call back"
            assert disposition_of("call-again").label == "Call back"
        Disposition.objects.filter(code="call-again").get().delete()  # forgetting fails quietly too
        assert disposition_of("call-again") is None
