"""Moving work (docs/routing.md, "Moving work"): to another queue, to a given agent; who may; the log;
and the API: ``routing/items/``, ``routing/items/{id}/``, ``…/move/``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from contactcenter.agents.models import AgentProfile, Skill
from contactcenter.distribution.models import (
    OfferOutcome,
    QueueSkillLevel,
    WorkItem,
    WorkItemMove,
    WorkKind,
    WorkOffer,
    WorkState,
)
from contactcenter.distribution.services import (
    RULE_MOVED,
    WorkItemGone,
    routing_dispatch,
    work_item_enqueue_ticket,
    work_item_move,
)
from tests.agents.factories import AgentProfileFactory, QueueFactory
from tests.interactions.factories import TicketFactory
from tests.routing.factories import chat_queue, idle_agent, waiting_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return AgentProfileFactory(user__username="boss", role="manager", team=None).user


def _assigned(queue, agent, **extra) -> WorkItem:
    return WorkItem.objects.create(
        kind=extra.pop("kind", WorkKind.CHAT),
        queue=queue,
        arrived_at=timezone.now() - timedelta(minutes=3),
        state=WorkState.ASSIGNED,
        assigned_to=agent,
        assigned_at=timezone.now(),
        **extra,
    )


# --- To a queue ------------------------------------------------------------------------------------


def test_a_waiting_item_moves_to_another_queue_keeping_its_arrival(manager):
    source, target = chat_queue(), chat_queue("Chat EN")
    skill = Skill.objects.create(name="English")
    target.skills.add(skill)
    QueueSkillLevel.objects.create(queue=target, skill=skill, level=3)
    arrived = timezone.now() - timedelta(minutes=4)
    item = waiting_item(source, arrived_at=arrived)
    moved = work_item_move(item=item, queue=target, by=manager)
    moved.refresh_from_db()
    assert (moved.queue, moved.state, moved.arrived_at) == (target, WorkState.WAITING, arrived)
    assert moved.required_skills == [[skill.pk, 3]]
    assert moved.sla_due_at == arrived + timedelta(seconds=target.service_level_seconds)
    log = WorkItemMove.objects.get()
    assert (log.moved_by, log.target, log.state_before, log.from_queue, log.to_queue, log.from_agent, log.to_agent) == (
        manager,
        "queue",
        "waiting",
        source,
        target,
        None,
        None,
    )


def test_an_offered_item_moved_withdraws_the_offer_and_frees_the_agent(manager):
    source, target = chat_queue(), chat_queue("Chat EN")
    anna = idle_agent(source, "anna", minutes=5)
    item = waiting_item(source)
    [offer] = routing_dispatch()
    assert AgentProfile.objects.get(pk=anna.pk).status == "ringing"
    work_item_move(item=item, queue=target, by=manager)
    offer.refresh_from_db()
    item.refresh_from_db()
    assert offer.outcome == OfferOutcome.WITHDRAWN
    assert (item.state, item.queue, item.offered_to) == (WorkState.WAITING, target, None)
    assert AgentProfile.objects.get(pk=anna.pk).status == "available"  # freed, not sent on a break
    assert WorkItemMove.objects.get().from_agent == anna.user


def test_an_assigned_ticket_does_not_move_to_a_queue_and_nothing_is_written(manager):
    source, target = chat_queue(), chat_queue("Chat EN")
    anna = idle_agent(source, "anna", minutes=5)
    ticket = TicketFactory(queue=source, assignee=anna.user, status="open")
    item = _assigned(source, anna.user, kind=WorkKind.TICKET, ticket=ticket)
    with pytest.raises(ValidationError) as refused:
        work_item_move(item=item, queue=target, by=manager)
    assert "queue" in refused.value.message_dict
    item.refresh_from_db()
    assert (item.queue, item.state) == (source, WorkState.ASSIGNED)
    assert not WorkItemMove.objects.exists()


def test_an_assigned_chat_moved_to_a_queue_waits_there_again_and_frees_its_agent(manager):
    source, target = chat_queue(), chat_queue("Chat EN")
    anna = idle_agent(source, "anna", minutes=5)
    item = _assigned(source, anna.user)
    arrived = item.arrived_at
    work_item_move(item=item, queue=target, by=manager)
    item.refresh_from_db()
    assert (item.queue, item.state, item.assigned_to, item.arrived_at) == (target, WorkState.WAITING, None, arrived)
    assert WorkItemMove.objects.get().target == "queue"


def test_its_own_agent_transfers_a_chat_to_a_queue_of_its_channel_or_to_a_colleague(org):
    source, target = chat_queue(), chat_queue("Chat EN")
    anna = idle_agent(source, "anna", minutes=5)
    bob = idle_agent(target, "bob", minutes=1)
    item = _assigned(source, anna.user)
    # Not a voice queue, and never someone else's chat.
    voice = QueueFactory(name="Voice", channel="voice")
    with pytest.raises(ValidationError) as refused:
        work_item_move(item=item, queue=voice, by=anna.user)
    assert "queue" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        work_item_move(item=item, queue=target, by=bob.user)
    # To a colleague: theirs at once (they have room for a chat).
    work_item_move(item=item, agent=bob.user, by=anna.user)
    item.refresh_from_db()
    assert (item.state, item.assigned_to) == (WorkState.ASSIGNED, bob.user)
    # Anna no longer holds it: she may not move it again; Bob hands it back to the line.
    with pytest.raises(PermissionDenied):
        work_item_move(item=item, queue=source, by=anna.user)
    work_item_move(item=item, queue=target, by=bob.user)
    item.refresh_from_db()
    assert (item.queue, item.state, item.assigned_to) == (target, WorkState.WAITING, None)


def test_a_ticket_moves_with_its_work(manager):
    source, target = chat_queue(), chat_queue("Chat EN")
    ticket = TicketFactory(queue=source, assignee=None, status="new")
    item = work_item_enqueue_ticket(ticket=ticket)
    arrived = item.arrived_at
    work_item_move(item=item, queue=target, by=manager)
    ticket.refresh_from_db()
    assert ticket.queue == target
    [open_item] = WorkItem.objects.filter(ticket=ticket, state__in=["waiting", "offered", "assigned"])
    assert (open_item.pk, open_item.queue, open_item.arrived_at) == (item.pk, target, arrived)


def test_done_items_are_gone_and_the_same_queue_is_refused(manager):
    queue = chat_queue()
    item = waiting_item(queue)
    with pytest.raises(ValidationError):
        work_item_move(item=item, queue=queue, by=manager)
    with pytest.raises(ValidationError):
        work_item_move(item=item, by=manager)  # neither a queue nor an agent
    WorkItem.objects.filter(pk=item.pk).update(state=WorkState.DONE)
    with pytest.raises(WorkItemGone):
        work_item_move(item=item, queue=chat_queue("Chat EN"), by=manager)


# --- To an agent ------------------------------------------------------------------------------------


def test_a_waiting_item_is_offered_to_the_agent_chosen_ahead_of_the_line(manager):
    queue, elsewhere = chat_queue(), chat_queue("Chat EN")
    waiting_item(queue, arrived_at=timezone.now() - timedelta(minutes=9))  # older, still waits
    item = waiting_item(queue)
    # Ben serves another queue and lacks the queue's skills: the supervisor's choice stands.
    ben = idle_agent(elsewhere, "ben", minutes=1)
    work_item_move(item=item, agent=ben.user, by=manager)
    item.refresh_from_db()
    assert (item.state, item.offered_to) == (WorkState.OFFERED, ben.user)
    offer = WorkOffer.objects.get(item=item)
    assert (offer.agent, offer.rule, offer.outcome) == (ben.user, RULE_MOVED, OfferOutcome.OPEN)
    assert AgentProfile.objects.get(pk=ben.pk).status == "ringing"
    log = WorkItemMove.objects.get()
    assert (log.target, log.from_queue, log.to_queue, log.to_agent) == ("agent", queue, queue, ben.user)


def test_an_offer_goes_from_one_agent_to_another(manager):
    queue = chat_queue()
    anna = idle_agent(queue, "anna", minutes=5)
    item = waiting_item(queue)
    [first] = routing_dispatch()
    ben = idle_agent(queue, "ben", minutes=1)
    work_item_move(item=item, agent=ben.user, by=manager)
    first.refresh_from_db()
    assert first.outcome == OfferOutcome.WITHDRAWN
    assert AgentProfile.objects.get(pk=anna.pk).status == "available"
    assert WorkOffer.objects.get(outcome=OfferOutcome.OPEN).agent == ben.user


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("break", "Ben is not available (Break)."),
        ("full", "Ben has no room for more Chat work (3 of 3)."),
        ("offered", "Ben is being offered other work: wait for their answer."),
    ],
)
def test_an_agent_who_may_not_take_it_is_refused_with_a_reason(manager, setup, message):
    queue = chat_queue()
    ben = idle_agent(queue, "ben", minutes=1)
    ben.user.first_name, ben.user.last_name = "Ben", ""
    ben.user.save()
    if setup == "break":
        AgentProfile.objects.filter(pk=ben.pk).update(status="break", status_reason="lunch")
    elif setup == "full":
        for _ in range(3):
            _assigned(queue, ben.user)
    else:
        AgentProfile.objects.filter(pk=ben.pk).update(work_offered=True)
    item = waiting_item(queue)
    with pytest.raises(ValidationError) as refused:
        work_item_move(item=item, agent=ben.user, by=manager)
    assert refused.value.message_dict == {"agent": [message]}
    item.refresh_from_db()
    assert (item.state, item.offered_to) == (WorkState.WAITING, None)
    assert not WorkOffer.objects.exists() and not WorkItemMove.objects.exists()


def test_an_assigned_item_is_reassigned_when_the_agent_has_room(manager):
    queue = chat_queue()
    anna = idle_agent(queue, "anna", minutes=5)
    ben = idle_agent(queue, "ben", minutes=1)
    AgentProfile.objects.filter(pk=ben.pk).update(status="break", status_reason="lunch")  # a break is no matter
    item = _assigned(queue, anna.user)
    work_item_move(item=item, agent=ben.user, by=manager)
    item.refresh_from_db()
    assert (item.state, item.assigned_to) == (WorkState.ASSIGNED, ben.user)
    log = WorkItemMove.objects.get()
    assert (log.state_before, log.from_agent, log.to_agent) == ("assigned", anna.user, ben.user)


def test_an_assigned_ticket_changes_assignee():
    queue = chat_queue()
    supervisor = AgentProfileFactory(user__username="sup", role="supervisor", team__name="Team A", queues=[queue])
    anna = idle_agent(queue, "anna", minutes=5)
    ben = idle_agent(queue, "ben", minutes=1)
    ticket = TicketFactory(queue=queue, assignee=anna.user, status="open")
    item = _assigned(queue, anna.user, kind=WorkKind.TICKET, ticket=ticket)
    work_item_move(item=item, agent=ben.user, by=supervisor.user)
    ticket.refresh_from_db()
    item.refresh_from_db()
    assert ticket.assignee == ben.user
    assert (item.state, item.assigned_to) == (WorkState.ASSIGNED, ben.user)


def test_a_supervisor_moves_only_in_their_teams_queues(org):
    mine = waiting_item(org.queue_a)
    theirs = waiting_item(org.queue_b)
    with pytest.raises(PermissionDenied):
        work_item_move(item=theirs, queue=org.queue_a, by=org.supervisor_a)
    with pytest.raises(ValidationError) as refused:
        work_item_move(item=mine, queue=org.queue_b, by=org.supervisor_a)
    assert refused.value.message_dict == {"queue": ["Queue B is not a queue your team serves."]}
    with pytest.raises(ValidationError) as refused:
        work_item_move(item=mine, agent=org.agent_b, by=org.supervisor_a)
    assert refused.value.message_dict == {"agent": ["No agent of yours is named agent_b."]}
    with pytest.raises(PermissionDenied):
        work_item_move(item=mine, queue=org.queue_b, by=org.agent_a)


# --- The API ------------------------------------------------------------------------------------------


def _url(name: str, **kwargs) -> str:
    return reverse(name, kwargs=kwargs)


def test_the_list_gives_positions_and_estimated_waits(org, api_client_for):
    now = timezone.now()
    first = waiting_item(org.queue_a, arrived_at=now - timedelta(minutes=5))
    second = waiting_item(org.queue_a, arrived_at=now - timedelta(minutes=1))
    waiting_item(org.queue_b)
    AgentProfile.objects.filter(user=org.agent_a).update(status="busy", status_since=now)
    response = api_client_for(org.supervisor_a).get(_url("routing-item-list"))
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [(row["id"], row["position"], row["estimated_wait_seconds"]) for row in rows] == [
        # Agent A busy with room for 3 chats, nothing free now, the chat default 600 s: 1 × 600 ÷ 3, 2 × 600 ÷ 3.
        (first.pk, 1, 200),
        (second.pk, 2, 400),
    ]
    assert rows[0]["estimate"] == {
        "handle_seconds": 600.0,
        "handle_sample": 0,
        "agents_staffed": 1,
        "slots": 3,
        "free_slots": 0,
    }
    assert rows[0]["queue"] == "Queue A" and rows[0]["channel"] == "chat"
    everything = api_client_for(org.manager).get(_url("routing-item-list") + "?queue=Queue%20B&state=waiting")
    assert len(everything.json()["results"]) == 1


def test_the_list_refuses_bad_filters_and_agents(org, api_client_for):
    supervisor = api_client_for(org.supervisor_a)
    assert supervisor.get(_url("routing-item-list") + "?queue=Queue%20B").status_code == 400
    assert supervisor.get(_url("routing-item-list") + "?state=lost").status_code == 400
    assert api_client_for(org.agent_a).get(_url("routing-item-list")).status_code == 403


def test_detail_and_move_of_another_teams_item_are_404(org, api_client_for):
    theirs = waiting_item(org.queue_b)
    supervisor = api_client_for(org.supervisor_a)
    assert supervisor.get(_url("routing-item-detail", pk=theirs.pk)).status_code == 404
    assert supervisor.get(_url("routing-item-detail", pk=2**64)).status_code == 404  # past the largest key
    assert supervisor.post(_url("routing-item-move", pk=theirs.pk), {"queue": "Queue A"}).status_code == 404
    assert (
        api_client_for(org.agent_a).post(_url("routing-item-move", pk=theirs.pk), {"queue": "Queue A"}).status_code
        == 403
    )
    assert not WorkItemMove.objects.exists()


def test_the_move_endpoint(org, api_client_for):
    item = waiting_item(org.queue_a)
    manager = api_client_for(org.manager)
    url = _url("routing-item-move", pk=item.pk)
    assert manager.post(url, {}, format="json").status_code == 400
    refused = manager.post(url, {"queue": "Nowhere"}, format="json")
    assert (refused.status_code, list(refused.json())) == (400, ["queue"])
    moved = manager.post(url, {"queue": "Queue B"}, format="json")
    assert moved.status_code == 200, moved.content
    assert (moved.json()["queue"], moved.json()["position"]) == ("Queue B", 1)
    AgentProfile.objects.filter(user=org.agent_b).update(status="available", status_since=timezone.now())
    given = manager.post(url, {"agent": "agent_b"}, format="json")
    assert given.status_code == 200, given.content
    assert (given.json()["state"], given.json()["offered_to"]) == ("offered", "agent_b")
    WorkItem.objects.filter(pk=item.pk).update(state=WorkState.CANCELLED)
    assert manager.post(url, {"queue": "Queue A"}, format="json").status_code == 409
    assert WorkItemMove.objects.filter(item=item).count() == 2
