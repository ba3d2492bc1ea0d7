"""The small tables kept in the cache (contactcenter/core/cached.py): read once, read again after
any change, in this process at once and in every other after the commit; read from the database
while the cache is unreachable."""

from __future__ import annotations

import pytest
from django.test import override_settings

from contactcenter.core.cached import cached_forget, cached_read
from contactcenter.scripts.selectors import published_script
from contactcenter.scripts.services import script_publish, script_update
from interactions.models import Disposition
from interactions.selectors import active_dispositions, disposition_of, dispositions
from tests.agents.factories import QueueFactory
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
