"""The wallboard's routed work (docs/wallboard.md, "Routed work"): per queue and channel the items
waiting and the oldest wait, who has what on the agents' cards and panels, the line with positions and
estimated waits in a queue's panel, and moving an item from a panel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contactcenter.agents.models import AgentProfile
from contactcenter.desk.wallboard import wallboard_board
from contactcenter.distribution.models import WorkItem, WorkItemMove, WorkState
from tests.agents.factories import AgentProfileFactory, QueueFactory
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _chat(queue, minutes: int = 0, now=None, **extra) -> WorkItem:
    now = now or timezone.now()
    return WorkItem.objects.create(kind="chat", queue=queue, arrived_at=now - timedelta(minutes=minutes), **extra)


@pytest.fixture
def queue_a2(org):
    queue = QueueFactory(name="Queue A2", channel="chat")
    AgentProfile.objects.get(user=org.agent_a).queues.add(queue)
    return queue


def test_the_tiles_show_routed_work_per_channel_and_the_cards_who_has_what(org):
    now = timezone.now()
    _chat(org.queue_a, minutes=4, now=now)
    _chat(org.queue_a, minutes=1, now=now)
    WorkItem.objects.create(kind="ticket", queue=org.queue_a, arrived_at=now - timedelta(minutes=2))
    _chat(org.queue_a, state=WorkState.ASSIGNED, assigned_to=org.agent_a, assigned_at=now)
    _chat(org.queue_b, minutes=30)  # another team's queue: not on this board
    board = wallboard_board(user=org.supervisor_a, now=now)
    [tile] = [tile for tile in board.tiles if tile.name == "Queue A"]
    assert [(row.channel, row.waiting, row.oldest_text) for row in tile.routed] == [
        ("chat", 2, "4:00"),
        ("email", 1, "2:00"),
    ]
    [agent] = [agent for agent in board.agents if agent.username == "agent_a"]
    assert (agent.work_short, agent.work_label) == ("1 item", "1 × Chat")
    page = _client(org.supervisor_a).get(reverse("desk:wallboard")).content.decode()
    assert "Chat waiting" in page and 'data-routed="chat">2<' in page
    assert 'title="1 × Chat"' in page


def test_the_queue_panel_lists_the_line_with_positions_and_estimated_waits(org):
    AgentProfile.objects.filter(user=org.agent_a).update(status="busy", status_since=timezone.now())
    _chat(org.queue_a, minutes=5, customer=CustomerFactory(first_name="Anne", last_name="Martin"))
    _chat(org.queue_a, minutes=1)
    response = _client(org.supervisor_a).get(reverse("desk:wallboard_queue", args=[org.queue_a.pk]), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Routed work in line" in html and "Anne Martin" in html
    # Agent A busy with room for 3 chats, the chat default 600 s: 1 × 600 ÷ 3 = 3:20, then 6:40.
    assert '<td class="wb-num" data-field="estimated">3:20</td>' in html
    assert '<td class="wb-num" data-field="estimated">6:40</td>' in html
    assert 'name="to"' in html and 'value="agent:agent_a"' in html


def test_the_agent_panel_shows_their_work_and_offer(org):
    now = timezone.now()
    ticket_customer = CustomerFactory(first_name="Paul", last_name="Durand")
    _chat(org.queue_a, state=WorkState.ASSIGNED, assigned_to=org.agent_a, assigned_at=now, customer=ticket_customer)
    _chat(
        org.queue_a,
        state=WorkState.OFFERED,
        offered_to=org.agent_a,
        offer_expires_at=now + timedelta(seconds=30),
    )
    html = _client(org.supervisor_a).get(reverse("desk:wallboard_agent", args=["agent_a"]), **HTMX).content.decode()
    assert "Paul Durand" in html and "Offered" in html and "Assigned" in html


def test_a_supervisor_moves_an_item_to_another_queue_from_the_panel(org, queue_a2):
    item = _chat(org.queue_a, minutes=3)
    response = _client(org.supervisor_a).post(
        reverse("desk:wallboard_work_move", args=[item.pk]), {"to": f"queue:{queue_a2.pk}", "panel": "queue"}, **HTMX
    )
    assert response.status_code == 200, response.content
    assert response["HX-Trigger"] == "wallboard-changed"
    assert f"Done: Chat #{item.pk} waits in Queue A2." in response.content.decode()
    item.refresh_from_db()
    assert item.queue == queue_a2
    assert WorkItemMove.objects.get().moved_by == org.supervisor_a


def test_a_refused_move_says_why_in_the_panel(org):
    AgentProfile.objects.filter(user=org.agent_a).update(status="break", status_reason="lunch")
    item = _chat(org.queue_a)
    response = _client(org.supervisor_a).post(
        reverse("desk:wallboard_work_move", args=[item.pk]), {"to": "agent:agent_a", "panel": "queue"}, **HTMX
    )
    assert response.status_code == 400
    assert "is not available (Break)." in response.content.decode()
    item.refresh_from_db()
    assert (item.state, item.offered_to) == (WorkState.WAITING, None)


def test_an_assigned_item_moves_to_another_agent_from_the_agents_panel(org):
    colleague = AgentProfileFactory(user__username="agent_c", team=org.team_a, queues=[org.queue_a]).user
    item = _chat(org.queue_a, state=WorkState.ASSIGNED, assigned_to=org.agent_a, assigned_at=timezone.now())
    response = _client(org.supervisor_a).post(
        reverse("desk:wallboard_work_move", args=[item.pk]), {"to": "agent:agent_c", "panel": "agent:agent_a"}, **HTMX
    )
    assert response.status_code == 200, response.content
    assert 'data-panel-agent="agent_a"' in response.content.decode()
    item.refresh_from_db()
    assert item.assigned_to == colleague


def test_who_may_move(org, queue_a2):
    mine, theirs = _chat(org.queue_a), _chat(org.queue_b)
    url = reverse("desk:wallboard_work_move", args=[mine.pk])
    assert _client(org.agent_a).post(url, {"to": f"queue:{queue_a2.pk}"}).status_code == 403
    other = reverse("desk:wallboard_work_move", args=[theirs.pk])
    assert _client(org.supervisor_a).post(other, {"to": f"queue:{queue_a2.pk}"}).status_code == 404
    refused = _client(org.supervisor_a).post(url, {"to": f"queue:{org.queue_b.pk}"}, **HTMX)
    assert refused.status_code == 400 and "not one your team serves" in refused.content.decode()
    assert _client(org.manager).post(other, {"to": f"queue:{org.queue_a.pk}"}, **HTMX).status_code == 200
    assert not WorkItem.objects.filter(pk=mine.pk).exclude(queue=org.queue_a).exists()


def test_the_routed_work_speaks_french(org):
    AgentProfile.objects.filter(user=org.agent_a).update(status="break", status_reason="lunch")
    item = _chat(org.queue_a)
    client = _client(org.supervisor_a)
    panel = client.get(
        reverse("desk:wallboard_queue", args=[org.queue_a.pk]), HTTP_ACCEPT_LANGUAGE="fr", **HTMX
    ).content.decode()
    assert "Travail distribué dans la file" in panel and "Déplacer" in panel and "Attente estimée" in panel
    refused = client.post(
        reverse("desk:wallboard_work_move", args=[item.pk]),
        {"to": "agent:agent_a", "panel": "queue"},
        HTTP_ACCEPT_LANGUAGE="fr",
        **HTMX,
    ).content.decode()
    assert "n’est pas disponible" in refused
