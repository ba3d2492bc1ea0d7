"""Queue state: each waiting item's position in its queue's line and its estimated wait
(docs/routing.md, "Queue state"), with exact numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from contactcenter.agents.models import AgentProfile
from contactcenter.distribution import queue_state
from contactcenter.distribution.models import AgentRouting, WorkItem, WorkKind, WorkState
from contactcenter.distribution.queue_state import HandleTime, Staffing, estimated_wait
from tests.agents.factories import AgentProfileFactory, TeamFactory
from tests.routing.factories import chat_queue, idle_agent, waiting_item

pytestmark = pytest.mark.django_db


def _profile(queue, username: str, status: str) -> AgentProfile:
    profile = AgentProfileFactory(user__username=username, team=TeamFactory(name=f"T {username}"), queues=[queue])
    AgentProfile.objects.filter(pk=profile.pk).update(status=status, status_since=timezone.now())
    return profile


def _finished(queue, *, handle: int, closed_ago: int = 60, kind: str = WorkKind.CHAT) -> WorkItem:
    closed = timezone.now() - timedelta(seconds=closed_ago)
    return WorkItem.objects.create(
        kind=kind,
        queue=queue,
        arrived_at=closed - timedelta(seconds=handle + 30),
        state=WorkState.DONE,
        assigned_at=closed - timedelta(seconds=handle),
        closed_at=closed,
    )


def test_the_formula():
    assert estimated_wait(position=1, handle_seconds=300, staffing=Staffing(agents=2, slots=6, free=2)) == 0
    assert estimated_wait(position=2, handle_seconds=300, staffing=Staffing(agents=2, slots=6, free=2)) == 0
    assert estimated_wait(position=3, handle_seconds=300, staffing=Staffing(agents=2, slots=6, free=2)) == 50
    assert estimated_wait(position=5, handle_seconds=300, staffing=Staffing(agents=2, slots=6, free=2)) == 150
    assert estimated_wait(position=4, handle_seconds=100, staffing=Staffing(agents=3, slots=3, free=0)) == 133
    assert estimated_wait(position=1, handle_seconds=300, staffing=Staffing()) is None


def test_positions_follow_the_dispatchers_order():
    queue, other = chat_queue(), chat_queue("Chat EN")
    now = timezone.now()
    old = waiting_item(queue, arrived_at=now - timedelta(minutes=5))
    older = waiting_item(queue, arrived_at=now - timedelta(minutes=9))
    urgent = waiting_item(queue, arrived_at=now - timedelta(minutes=1), priority=60)
    near_due = waiting_item(queue, arrived_at=now - timedelta(minutes=2), jump_at=now - timedelta(seconds=1))
    elsewhere = waiting_item(other, arrived_at=now - timedelta(minutes=30))
    positions = queue_state.line_positions(queue_ids=[queue.pk, other.pk], now=now)
    assert positions == {urgent.pk: 1, near_due.pk: 2, older.pk: 3, old.pk: 4, elsewhere.pk: 1}
    # The queue panel's list is in the same order.
    assert [item.pk for item in queue_state.queue_items(queue=queue, now=now)] == [
        urgent.pk,
        near_due.pk,
        older.pk,
        old.pk,
    ]


def test_estimated_wait_from_handle_times_and_staffed_agents(django_assert_num_queries):
    queue = chat_queue()
    now = timezone.now()
    # Handle times: 200 s and 400 s lately (mean 300); one finished too long ago, one of another channel.
    _finished(queue, handle=200)
    _finished(queue, handle=400, closed_ago=3600)
    _finished(queue, handle=5000, closed_ago=int(queue_state.HANDLE_WINDOW.total_seconds()) + 60)
    _finished(queue, handle=9000, kind=WorkKind.CALLBACK)
    # Anna available with one chat (room for 2 of 3), Ben busy (3 slots, none free), Cleo on a break.
    anna = idle_agent(queue, "anna", minutes=5)
    WorkItem.objects.create(
        kind=WorkKind.CHAT, queue=queue, arrived_at=now, state=WorkState.ASSIGNED, assigned_to=anna.user
    )
    _profile(queue, "ben", "busy")
    _profile(queue, "cleo", "break")
    items = [waiting_item(queue, arrived_at=now - timedelta(minutes=10 - n)) for n in range(5)]
    with django_assert_num_queries(3):
        places = queue_state.items_places(items=items, now=now)
    assert [places[item.pk].position for item in items] == [1, 2, 3, 4, 5]
    first = places[items[0].pk]
    assert first.handle == HandleTime(seconds=300.0, sample=2)
    assert first.staffing == Staffing(agents=2, slots=6, free=2)
    # 0 for the two a free slot takes now, then (position − 2) × 300 ÷ 6.
    assert [places[item.pk].estimated_wait_seconds for item in items] == [0, 0, 50, 100, 150]


def test_capacities_offers_and_callbacks_count():
    queue = chat_queue()
    now = timezone.now()
    anna = idle_agent(queue, "anna", minutes=5)
    AgentRouting.objects.create(profile=anna, chat_capacity=2)
    ben = idle_agent(queue, "ben", minutes=5)
    AgentProfile.objects.filter(pk=ben.pk).update(work_offered=True)  # ringing for an offer: no room now
    cleo = idle_agent(queue, "cleo", minutes=5)
    # A callback blocks Cleo's other work.
    WorkItem.objects.create(
        kind=WorkKind.CALLBACK, queue=queue, arrived_at=now, state=WorkState.ASSIGNED, assigned_to=cleo.user
    )
    item = waiting_item(queue)
    place = queue_state.items_places(items=[item], now=now)[item.pk]
    assert place.staffing == Staffing(agents=3, slots=2 + 3 + 3, free=2)
    assert place.handle == HandleTime(seconds=600.0, sample=0)  # the chat default: nothing finished lately


def test_only_the_last_finished_items_make_the_handle_time():
    queue = chat_queue()
    _finished(queue, handle=10_000, closed_ago=600)  # the oldest of 21: left out
    for n in range(queue_state.HANDLE_SAMPLE):
        _finished(queue, handle=100, closed_ago=60 + n)
    handles = queue_state.recent_handle_times(queue_ids=[queue.pk], now=timezone.now())
    assert handles == {(queue.pk, "chat"): HandleTime(seconds=100.0, sample=20)}


def test_nobody_staffed_no_estimate_and_the_widgets_read():
    queue = chat_queue()
    _profile(queue, "dora", "offline")
    item = waiting_item(queue)
    place = queue_state.work_item_place(item_id=item.pk)
    assert (place.position, place.estimated_wait_seconds) == (1, None)
    WorkItem.objects.filter(pk=item.pk).update(state=WorkState.DONE)
    assert queue_state.work_item_place(item_id=item.pk) is None
    assert queue_state.work_item_place(item_id=item.pk + 1000) is None


def test_routed_work_per_queue_channel_and_agent(django_assert_num_queries):
    queue, other = chat_queue(), chat_queue("Chat EN")
    now = timezone.now()
    anna = idle_agent(queue, "anna", minutes=5)
    waiting_item(queue, arrived_at=now - timedelta(minutes=3))
    WorkItem.objects.create(kind=WorkKind.TICKET, queue=queue, arrived_at=now - timedelta(minutes=7))
    WorkItem.objects.create(kind=WorkKind.EMAIL, queue=queue, arrived_at=now - timedelta(minutes=1))
    WorkItem.objects.create(
        kind=WorkKind.CHAT,
        queue=queue,
        arrived_at=now - timedelta(minutes=9),
        state=WorkState.OFFERED,
        offered_to=anna.user,
        offer_expires_at=now + timedelta(seconds=30),
    )
    WorkItem.objects.create(
        kind=WorkKind.TICKET, queue=other, arrived_at=now, state=WorkState.ASSIGNED, assigned_to=anna.user
    )
    waiting_item(other)
    with django_assert_num_queries(1):
        routed = queue_state.routed_work(queue_ids=[queue.pk], agent_ids=[anna.user_id])
    assert set(routed.queues) == {queue.pk}
    figures = {row.channel: (row.waiting, row.oldest) for row in routed.queues[queue.pk]}
    assert figures == {
        "chat": (2, now - timedelta(minutes=9)),  # waiting and being offered
        "email": (2, now - timedelta(minutes=7)),  # a ticket counts as email
    }
    work = routed.agents[anna.user_id]
    assert (work.assigned, work.offered, work.total) == ({"ticket": 1}, 1, 1)
