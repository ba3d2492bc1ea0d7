"""Real parallel connections on PostgreSQL: two dispatchers never offer one item twice nor one
agent two items; two accepts of one offer assign the item once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from contactcenter.agents.models import AgentProfile
from contactcenter.distribution.models import Callback, OfferOutcome, WorkItem, WorkItemMove, WorkOffer, WorkState
from contactcenter.distribution.services import (
    OfferGone,
    callback_create,
    callbacks_make_due,
    offer_accept,
    routing_dispatch,
    work_item_move,
)
from tests.agents.factories import AgentProfileFactory
from tests.concurrency import race, role_groups, run_concurrently  # noqa: F401  (role_groups: a fixture)
from tests.routing.factories import chat_queue, idle_agent, waiting_item


@race
def test_two_dispatchers_never_offer_one_item_twice_nor_one_agent_two_items():
    queue = chat_queue()
    now = timezone.now()
    agents = [idle_agent(queue, f"agent{n}", minutes=n + 1) for n in range(3)]
    items = [waiting_item(queue) for _ in range(5)]
    for _round in range(3):
        results = run_concurrently(lambda: routing_dispatch(now=now), lambda: routing_dispatch(now=now))
        offered = [offer for result in results for offer in result]
        assert len({offer.item_id for offer in offered}) == len(offered)
        assert len({offer.agent_id for offer in offered}) == len(offered)
    open_offers = WorkOffer.objects.filter(outcome=OfferOutcome.OPEN)
    assert open_offers.count() == 3  # one per agent, all three rang
    assert sorted(open_offers.values_list("agent_id", flat=True)) == sorted(a.user_id for a in agents)
    assert WorkItem.objects.filter(state=WorkState.OFFERED).count() == 3
    assert WorkItem.objects.filter(state=WorkState.WAITING).count() == len(items) - 3


@race
def test_two_accepts_of_one_offer_assign_the_item_once():
    queue = chat_queue()
    profile = idle_agent(queue, "anna", minutes=1)
    item = waiting_item(queue)
    [offer] = routing_dispatch()

    def accept():
        try:
            return offer_accept(offer_id=offer.pk, by=profile.user).pk
        except OfferGone:
            return "gone"

    results = run_concurrently(accept, accept)
    assert sorted(map(str, results)) == sorted([str(item.pk), "gone"])
    item.refresh_from_db()
    assert (item.state, item.assigned_to_id) == (WorkState.ASSIGNED, profile.user_id)
    assert WorkOffer.objects.get().outcome == OfferOutcome.ACCEPTED


@pytest.mark.parametrize("dispatchers", [4])
@race
def test_many_dispatchers_and_items_each_item_to_at_most_one_agent(dispatchers):
    queue = chat_queue()
    now = timezone.now()
    for n in range(6):
        idle_agent(queue, f"agent{n}", minutes=n + 1)
    for _ in range(10):
        waiting_item(queue)
    run_concurrently(*[lambda: routing_dispatch(now=now) for _ in range(dispatchers)])
    per_item = WorkOffer.objects.values_list("item_id", flat=True)
    assert len(per_item) == len(set(per_item)) == 6


# --- Moves (docs/routing.md, "Moving work") ---------------------------------------------------------------


def _manager():
    return AgentProfileFactory(user__username="boss", role="manager", team=None).user


def _try(call):
    def run():
        try:
            return call()
        except (ValidationError, OfferGone) as exc:
            return type(exc).__name__

    return run


def _one_owner(item: WorkItem) -> None:
    """The item has one owner at most: one open offer, to the agent it names; none once assigned."""
    item.refresh_from_db()
    open_offers = list(WorkOffer.objects.filter(item=item, outcome=OfferOutcome.OPEN))
    if item.state == WorkState.OFFERED:
        assert [offer.agent_id for offer in open_offers] == [item.offered_to_id]
    else:
        assert open_offers == []
    ringing = set(AgentProfile.objects.filter(work_offered=True).values_list("user_id", flat=True))
    assert ringing == {offer.agent_id for offer in WorkOffer.objects.filter(outcome=OfferOutcome.OPEN)}


@race
def test_two_moves_of_one_item_to_two_agents_leave_one_owner():
    queue = chat_queue()
    boss = _manager()
    anna, ben = idle_agent(queue, "anna", minutes=3), idle_agent(queue, "ben", minutes=2)
    for _round in range(3):
        item = waiting_item(queue)
        results = run_concurrently(
            _try(lambda item=item: work_item_move(item=item, agent=anna.user, by=boss)),
            _try(lambda item=item: work_item_move(item=item, agent=ben.user, by=boss)),
        )
        assert any(isinstance(result, WorkItem) for result in results), results
        _one_owner(item)
        # Free both again for the next round.
        WorkItem.objects.filter(pk=item.pk).update(state=WorkState.CANCELLED, offered_to=None, offer_expires_at=None)
        WorkOffer.objects.filter(outcome=OfferOutcome.OPEN).update(
            outcome=OfferOutcome.WITHDRAWN, answered_at=timezone.now()
        )
        AgentProfile.objects.filter(pk__in=[anna.pk, ben.pk]).update(
            work_offered=False, status="available", status_since=timezone.now()
        )


@race
def test_a_move_racing_an_accept_leaves_one_owner():
    queue = chat_queue()
    boss = _manager()
    anna = idle_agent(queue, "anna", minutes=3)
    item = waiting_item(queue)
    [offer] = routing_dispatch()
    ben = idle_agent(chat_queue("Chat EN"), "ben", minutes=1)
    results = run_concurrently(
        _try(lambda: offer_accept(offer_id=offer.pk, by=anna.user)),
        _try(lambda: work_item_move(item=item, agent=ben.user, by=boss)),
    )
    item.refresh_from_db()
    if results[0] == "OfferGone":  # the move came first: offered to Ben now
        assert (item.state, item.offered_to_id) == (WorkState.OFFERED, ben.user_id)
    else:  # the accept came first: Anna's, then reassigned to Ben (room for a chat, a break no matter)
        assert item.state == WorkState.ASSIGNED
        assert item.assigned_to_id == (ben.user_id if isinstance(results[1], WorkItem) else anna.user_id)
    _one_owner(item)
    assert WorkItemMove.objects.filter(item=item).count() == (1 if isinstance(results[1], WorkItem) else 0)


@race
def test_a_move_racing_the_dispatcher_leaves_one_owner():
    queue = chat_queue()
    boss = _manager()
    anna = idle_agent(queue, "anna", minutes=3)
    ben = idle_agent(chat_queue("Chat EN"), "ben", minutes=1)
    item = waiting_item(queue)
    results = run_concurrently(
        _try(lambda: routing_dispatch()),
        _try(lambda: work_item_move(item=item, agent=ben.user, by=boss)),
    )
    item.refresh_from_db()
    assert item.state == WorkState.OFFERED
    assert item.offered_to_id in {anna.user_id, ben.user_id}
    _one_owner(item)
    # The move either offered it to Ben (the dispatcher skipped the locked item or came second and found
    # nothing waiting) or took it from Anna's offer (withdrawn) to Ben.
    if isinstance(results[1], WorkItem):
        assert item.offered_to_id == ben.user_id


@race
def test_two_due_jobs_at_once_put_a_callback_in_the_line_once():
    queue = chat_queue()
    promiser = AgentProfileFactory(user__username="promiser", queues=[queue]).user
    due = timezone.now() + timezone.timedelta(minutes=5)
    callbacks = [callback_create(queue=queue, phone="+33612345678", due_at=due, by=promiser) for _ in range(5)]
    later = due + timezone.timedelta(minutes=1)
    results = run_concurrently(lambda: callbacks_make_due(now=later), lambda: callbacks_make_due(now=later))
    assert sorted(pk for result in results for pk in result) == sorted(c.pk for c in callbacks)
    assert WorkItem.objects.filter(kind="callback").count() == 5
    assert set(Callback.objects.values_list("state", flat=True)) == {"waiting"}
