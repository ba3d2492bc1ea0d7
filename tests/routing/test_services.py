"""The routing's services: items in, offers out (one per agent, one per item), accept, decline,
timeout and the missed break, the ticket hook, the dispatcher hooked to an agent becoming
available."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from contactcenter.agents.models import AgentProfile, BreakReason, Status
from contactcenter.agents.services import agent_set_status
from contactcenter.distribution.models import (
    AgentRouting,
    AgentSkillLevel,
    OfferOutcome,
    QueueRouting,
    QueueSkillLevel,
    WorkItem,
    WorkKind,
    WorkOffer,
    WorkState,
)
from contactcenter.distribution.selection import Waiting, in_order
from contactcenter.distribution.services import (
    OfferGone,
    OfferNotFound,
    _waiting,
    offer_accept,
    offer_decline,
    offers_expire,
    routing_dispatch,
    work_item_finish,
)
from interactions.services import ticket_create, ticket_update
from tests.agents.factories import SkillFactory
from tests.customers.factories import CustomerFactory
from tests.interactions.factories import InteractionFactory
from tests.routing.factories import agent_in, chat_queue, enqueue

pytestmark = pytest.mark.django_db


def state(profile: AgentProfile) -> tuple[str, str]:
    profile.refresh_from_db()
    return profile.status, profile.status_reason


@pytest.fixture
def queue():
    return chat_queue()


@pytest.fixture
def now():
    return timezone.now()


def test_a_new_item_waits_with_the_queues_defaults(queue):
    QueueRouting.objects.create(queue=queue, priority=70, sla_jump_seconds=10)
    item = enqueue(queue)
    assert (item.state, item.priority, item.kind) == (WorkState.WAITING, 70, "chat")
    assert item.sla_due_at == item.arrived_at + timedelta(seconds=queue.service_level_seconds)
    assert item.jump_at == item.sla_due_at - timedelta(seconds=10)


def test_an_item_is_offered_to_the_longest_idle_agent_who_rings(queue, now):
    early = agent_in(queue, "early", at=now - timedelta(minutes=10))
    late = agent_in(queue, "late", at=now - timedelta(minutes=2))
    item = enqueue(queue)
    [offer] = routing_dispatch(now=now)
    assert (offer.agent_id, offer.rule, offer.expires_at) == (
        early.user_id,
        "longest_idle",
        now + timedelta(seconds=30),
    )
    item.refresh_from_db()
    assert (item.state, item.offered_to_id, item.offer_expires_at) == ("offered", early.user_id, offer.expires_at)
    assert state(early) == ("ringing", "")
    assert state(late) == ("available", "")
    assert routing_dispatch(now=now) == []  # nothing offered twice


def test_one_offer_per_agent_at_a_time(queue, now):
    agent_in(queue, "solo")
    first, second = enqueue(queue), enqueue(queue)
    offers = routing_dispatch(now=now)
    assert [offer.item_id for offer in offers] == [first.pk]
    second.refresh_from_db()
    assert second.state == WorkState.WAITING


def test_accept_assigns_once_and_frees_the_agent_for_more_work(queue, now):
    profile = agent_in(queue, "anna")
    first, second = enqueue(queue), enqueue(queue)
    [offer] = routing_dispatch(now=now)
    item = offer_accept(offer_id=offer.pk, by=profile.user, now=now + timedelta(seconds=5))
    assert (item.pk, item.state, item.assigned_to_id) == (first.pk, "assigned", profile.user_id)
    offer.refresh_from_db()
    assert (offer.outcome, offer.answered_at) == ("accepted", now + timedelta(seconds=5))
    assert state(profile) == ("available", "")  # chats do not make an agent busy: capacity decides
    with pytest.raises(OfferGone):
        offer_accept(offer_id=offer.pk, by=profile.user, now=now + timedelta(seconds=6))
    # Under capacity (1 chat of 3): the second chat comes to them too.
    [again] = routing_dispatch(now=now + timedelta(seconds=7))
    assert (again.item_id, again.agent_id) == (second.pk, profile.user_id)


def test_capacity_stops_the_offers(queue, now):
    profile = agent_in(queue, "anna")
    AgentRouting.objects.create(profile=profile, chat_capacity=1)
    enqueue(queue), enqueue(queue)
    [offer] = routing_dispatch(now=now)
    offer_accept(offer_id=offer.pk, by=profile.user, now=now)
    assert routing_dispatch(now=now + timedelta(seconds=1)) == []
    work_item_finish(item=offer.item)  # the chat is over: room again
    assert len(routing_dispatch(now=now + timedelta(seconds=2))) == 1


def test_only_the_offered_agent_answers_and_not_after_the_timeout(queue, now):
    anna, bob = agent_in(queue, "anna"), agent_in(queue, "bob", status="break")
    enqueue(queue)
    [offer] = routing_dispatch(now=now)
    with pytest.raises(OfferNotFound):
        offer_accept(offer_id=offer.pk, by=bob.user, now=now)
    with pytest.raises(OfferGone):
        offer_accept(offer_id=offer.pk, by=anna.user, now=offer.expires_at)


def test_decline_goes_to_the_next_agent_not_back_to_the_decliner(queue, now):
    anna = agent_in(queue, "anna", at=now - timedelta(minutes=9))
    bob = agent_in(queue, "bob", at=now - timedelta(minutes=1))
    item = enqueue(queue)
    [offer] = routing_dispatch(now=now)
    assert offer.agent_id == anna.user_id
    offer_decline(offer_id=offer.pk, by=anna.user, now=now + timedelta(seconds=3))
    assert state(anna) == ("available", "")
    [second] = routing_dispatch(now=now + timedelta(seconds=4))
    assert (second.item_id, second.agent_id) == (item.pk, bob.user_id)
    offer.refresh_from_db()
    assert offer.outcome == OfferOutcome.DECLINED


def test_a_decliner_alone_gets_the_item_again_after_the_offer_timeout(queue, now):
    anna = agent_in(queue, "anna")
    enqueue(queue)
    [offer] = routing_dispatch(now=now)
    offer_decline(offer_id=offer.pk, by=anna.user, now=now)
    assert routing_dispatch(now=now + timedelta(seconds=29)) == []
    assert len(routing_dispatch(now=now + timedelta(seconds=31))) == 1


def test_a_timeout_sends_the_agent_on_a_missed_break_and_the_item_to_the_next(queue, now):
    anna = agent_in(queue, "anna", at=now - timedelta(minutes=9))
    bob = agent_in(queue, "bob", at=now - timedelta(minutes=1))
    item = enqueue(queue)
    [offer] = routing_dispatch(now=now)
    assert offers_expire(now=now + timedelta(seconds=29)) == []
    assert offers_expire(now=now + timedelta(seconds=30)) == [item.pk]
    assert state(anna) == (Status.BREAK, BreakReason.MISSED)
    offer.refresh_from_db()
    assert offer.outcome == OfferOutcome.TIMED_OUT
    item.refresh_from_db()
    assert (item.state, item.offered_to_id) == (WorkState.WAITING, None)
    [second] = routing_dispatch(now=now + timedelta(seconds=31))
    assert second.agent_id == bob.user_id
    assert offers_expire(now=now + timedelta(seconds=30)) == []  # once


def test_a_break_asked_while_ringing_waits_and_wins_over_missed(queue, now):
    anna = agent_in(queue, "anna")
    enqueue(queue)
    routing_dispatch(now=now)
    anna.refresh_from_db()
    change = agent_set_status(profile=anna, status="break", reason="lunch", by=anna.user)
    assert (change.status, change.pending_status) == ("ringing", "break")
    offers_expire(now=now + timedelta(minutes=1))
    assert state(anna) == ("break", "lunch")


def test_the_customers_last_agent_when_the_queue_prefers_them(queue, now):
    QueueRouting.objects.create(queue=queue, prefer_last_agent=True)
    agent_in(queue, "idle_longest", at=now - timedelta(minutes=30))
    known = agent_in(queue, "known", at=now - timedelta(minutes=1))
    customer = CustomerFactory()
    InteractionFactory(customer=customer, agent=known.user, queue=queue, offered_at=now - timedelta(days=2))
    enqueue(queue, customer=customer)
    [offer] = routing_dispatch(now=now)
    assert (offer.agent_id, offer.rule) == (known.user_id, "last_agent")


def test_skills_at_level_from_the_queue(queue, now):
    french = SkillFactory(name="french")
    queue.skills.add(french)
    QueueSkillLevel.objects.create(queue=queue, skill=french, level=3)
    beginner = agent_in(queue, "beginner", at=now - timedelta(minutes=30))
    expert = agent_in(queue, "expert", at=now - timedelta(minutes=1))
    for profile, level in ((beginner, 1), (expert, 4)):
        profile.skills.add(french)
        AgentSkillLevel.objects.create(profile=profile, skill=french, level=level)
    item = enqueue(queue)
    assert item.required_skills == [[french.pk, 3]]
    [offer] = routing_dispatch(now=now)
    assert offer.agent_id == expert.user_id


def test_the_dispatcher_takes_items_in_the_rules_order(queue, now):
    agents = [agent_in(queue, f"agent{n}") for n in range(4)]
    QueueRouting.objects.create(queue=queue, sla_jump_seconds=60)
    old = enqueue(queue, arrived_at=now - timedelta(minutes=10), sla_due_at=now + timedelta(hours=1))
    urgent = enqueue(queue, arrived_at=now - timedelta(minutes=1), sla_due_at=now + timedelta(seconds=30))
    high = enqueue(queue, priority=90, arrived_at=now)
    newer = enqueue(queue, arrived_at=now - timedelta(minutes=5), sla_due_at=now + timedelta(hours=1))
    rows = WorkItem.objects.all()
    expected = [
        w.item_id for w in in_order([Waiting(i.pk, i.priority, i.arrived_at, i.jump_at) for i in rows], now=now)
    ]
    assert expected == [high.pk, urgent.pk, old.pk, newer.pk]
    assert [item.pk for item in _waiting(None, now, 10)] == expected  # the SQL order says the same
    assert [offer.item_id for offer in routing_dispatch(now=now)] == expected
    assert len(agents) == 4


def test_an_agent_becoming_available_is_offered_waiting_work(queue, now, django_capture_on_commit_callbacks):
    profile = agent_in(queue, "anna", status="break")
    item = enqueue(queue)
    with django_capture_on_commit_callbacks(execute=True):
        agent_set_status(profile=profile, status="available", by=profile.user)
    item.refresh_from_db()
    assert (item.state, item.offered_to_id) == (WorkState.OFFERED, profile.user_id)
    assert state(profile) == ("ringing", "")


def test_a_new_item_is_dispatched_after_commit(queue, django_capture_on_commit_callbacks):
    profile = agent_in(queue, "anna")
    with django_capture_on_commit_callbacks(execute=True):
        item = enqueue(queue)
    assert WorkOffer.objects.get().item_id == item.pk
    assert state(profile) == ("ringing", "")


class TestTickets:
    def test_a_ticket_in_a_queue_without_assignee_waits_and_accepting_assigns_it(self, queue, now):
        profile = agent_in(queue, "anna")
        ticket = ticket_create(subject="Router down", queue=queue, priority="high")
        item = WorkItem.objects.get(ticket=ticket)
        assert (item.kind, item.state, item.priority) == (WorkKind.TICKET, WorkState.WAITING, 60)
        assert item.sla_due_at == ticket.first_response_due
        [offer] = routing_dispatch(now=now)
        offer_accept(offer_id=offer.pk, by=profile.user, now=now)
        ticket.refresh_from_db()
        assert ticket.assignee_id == profile.user_id
        item.refresh_from_db()
        assert (item.state, item.assigned_to_id) == (WorkState.ASSIGNED, profile.user_id)

    def test_a_ticket_with_an_assignee_does_not_wait(self, queue):
        profile = agent_in(queue, "anna")
        ticket_create(subject="Router down", queue=queue, assignee=profile.user)
        assert not WorkItem.objects.exists()

    def test_a_ticket_taken_by_someone_leaves_the_line_and_its_offer_is_withdrawn(self, queue, now):
        anna, bob = agent_in(queue, "anna"), agent_in(queue, "bob", status="break")
        ticket = ticket_create(subject="Router down", queue=queue)
        [offer] = routing_dispatch(now=now)
        ticket_update(ticket=ticket, changes={"assignee": bob.user})
        offer.refresh_from_db()
        assert offer.outcome == OfferOutcome.WITHDRAWN
        assert WorkItem.objects.get(ticket=ticket).state == WorkState.CANCELLED
        assert state(anna) == ("available", "")  # a withdrawn offer is not a missed one

    def test_a_ticket_put_back_in_a_queue_without_assignee_waits_again(self, queue):
        anna = agent_in(queue, "anna")
        ticket = ticket_create(subject="Router down", queue=queue, assignee=anna.user)
        ticket_update(ticket=ticket, changes={"assignee": None})
        assert WorkItem.objects.get(ticket=ticket).state == WorkState.WAITING

    def test_resolving_frees_the_capacity(self, queue, now):
        anna = agent_in(queue, "anna")
        ticket = ticket_create(subject="Router down", queue=queue)
        [offer] = routing_dispatch(now=now)
        offer_accept(offer_id=offer.pk, by=anna.user, now=now)
        ticket.refresh_from_db()
        ticket_update(ticket=ticket, changes={"status": "resolved"})
        assert WorkItem.objects.get(ticket=ticket).state == WorkState.DONE
