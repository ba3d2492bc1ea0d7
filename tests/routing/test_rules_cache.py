"""Every queue's routing rules are kept in the cache: no query while nothing changed, and each
change to a queue, its routing, its skills or the levels it asks is seen at once."""

from __future__ import annotations

import pytest

from contactcenter.distribution.models import QueueRouting, QueueSkillLevel
from contactcenter.distribution.selectors import queue_rules
from tests.agents.factories import SkillFactory
from tests.routing.factories import chat_queue

pytestmark = pytest.mark.django_db


def test_rules_follow_every_change(django_assert_num_queries):
    queue = chat_queue()
    rules = queue_rules(queue_ids=[queue.pk])[queue.pk]
    assert (rules.blending, rules.offer_timeout_seconds, rules.required) == (False, 30, ())
    with django_assert_num_queries(0):
        assert queue_rules(queue_ids=[queue.pk, 99_999]) == {queue.pk: rules}

    QueueRouting.objects.create(queue=queue, blending=True, offer_timeout_seconds=12)
    assert queue_rules(queue_ids=[queue.pk])[queue.pk].offer_timeout_seconds == 12

    french = SkillFactory(name="French")
    queue.skills.add(french)
    assert queue_rules(queue_ids=[queue.pk])[queue.pk].required == ((french.pk, 1),)

    level = QueueSkillLevel.objects.create(queue=queue, skill=french, level=3)
    assert queue_rules(queue_ids=[queue.pk])[queue.pk].required == ((french.pk, 3),)
    level.delete()
    assert queue_rules(queue_ids=[queue.pk])[queue.pk].required == ((french.pk, 1),)

    queue.service_level_seconds = 45
    queue.save()
    assert queue_rules(queue_ids=[queue.pk])[queue.pk].service_level_seconds == 45
    queue.skills.remove(french)
    assert queue_rules(queue_ids=[queue.pk])[queue.pk].required == ()
