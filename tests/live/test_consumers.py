"""The two sockets as SPEC §6 describes them: who may open them, what they relay, in what shape.

Each test drives the real ASGI application (origin check, session or ticket, routes) with
``WebsocketCommunicator`` in one event loop; see ``tests/live/sockets.py``.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import time
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from contactcenter.agents.models import AgentProfile, PresenceInterval
from contactcenter.agents.services import agent_set_status, agent_update
from contactcenter.core.tokens import api_token_issue
from contactcenter.live import selectors, tickets
from contactcenter.live.models import SocketTicket
from contactcenter.scripts.models import Script, ScriptVersion
from customers.services import customer_create
from interactions.cti import cti_event_apply
from interactions.models import CtiEvent
from interactions.services import ticket_create
from tests.interactions.factories import InteractionFactory
from tests.live.sockets import (
    close_code,
    in_worker,
    open_socket,
    receive,
    receive_type,
    session_cookie,
    socket,
    ticket_for,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]

AGENT, WALLBOARD = "/ws/agent/", "/ws/wallboard/"


@pytest.fixture(autouse=True)
def _signed_in_long_ago(org, afternoon):
    """In the afternoon (``tests/conftest.py``): the wallboard's figures are today's, and the calls
    these tests post seconds before now would be yesterday's just after midnight."""
    signed_in_long_ago()


def signed_in_long_ago() -> None:
    """Every agent in their status since yesterday, so that the statuses these tests set a minute
    ago, and the calls they post, are newer (the CTI service leaves a newer status alone)."""
    AgentProfile.objects.update(status_since=timezone.now() - timedelta(days=1))


def set_status(user, status: str, reason: str = "") -> None:
    """The agent took ``status`` a minute ago (before the calls of these tests)."""
    profile = AgentProfile.objects.get(user=user)
    agent_set_status(profile=profile, status=status, reason=reason, at=timezone.now() - timedelta(seconds=60))


def status_of(user) -> str:
    return AgentProfile.objects.get(user=user).status


def call(event: str, call_id: str, *, queue, agent=None, caller: str = "+33 6 12 34 56 78", seconds: int = 0):
    """The telephony system's event, through the CTI service (as its API view does)."""
    return cti_event_apply(
        event=event,
        call_id=call_id,
        timestamp=timezone.now() - timedelta(seconds=50 - seconds),
        caller=caller,
        queue=queue,
        agent=agent,
    )


# --- Who may open a socket ------------------------------------------------------------------------


@pytest.mark.parametrize("path", [AGENT, WALLBOARD])
def test_an_anonymous_socket_is_closed_with_4401(path):
    async def scenario():
        communicator = await open_socket(path)
        try:
            return await close_code(communicator)
        finally:
            await communicator.disconnect()

    assert asyncio.run(scenario()) == 4401


def test_a_ticket_opens_one_socket_once(org):
    async def scenario():
        ticket = await ticket_for(org.agent_a)
        first = await open_socket(f"{AGENT}?ticket={ticket}")
        second = await open_socket(f"{AGENT}?ticket={ticket}")
        forged = await open_socket(f"{AGENT}?ticket=not-a-ticket")
        try:
            await first.send_json_to({"type": "ping"})
            return (await receive(first))["type"], await close_code(second), await close_code(forged)
        finally:
            for communicator in (first, second, forged):
                await communicator.disconnect()

    assert asyncio.run(scenario()) == ("pong", 4401, 4401)


def test_an_expired_ticket_opens_nothing(org, monkeypatch):
    monkeypatch.setattr(tickets, "TICKET_TTL_SECONDS", 0)

    async def scenario():
        communicator = await open_socket(AGENT, user=org.agent_a)
        try:
            return await close_code(communicator)
        finally:
            await communicator.disconnect()

    assert asyncio.run(scenario()) == 4401


def test_the_ticket_comes_from_the_api_with_a_token_and_the_database_keeps_only_its_hash(org):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=org.agent_a).key}")
    response = client.post("/api/v1/auth/ws-ticket/")
    assert response.status_code == 200
    assert response.json()["expires_in"] == 60
    ticket = response.json()["ticket"]

    stored = SocketTicket.objects.get()
    assert stored.user == org.agent_a and stored.digest == hashlib.sha256(ticket.encode()).hexdigest()
    assert not SocketTicket.objects.filter(digest=ticket).exists()
    assert tickets.ws_ticket_redeem(ticket=ticket) == org.agent_a
    assert tickets.ws_ticket_redeem(ticket=ticket) is None
    assert not SocketTicket.objects.exists()  # used: gone


def test_a_ticket_expires_after_a_minute_and_expired_ones_are_cleared(org):
    with time_machine.travel(timezone.now() - timedelta(seconds=61), tick=False):
        old = tickets.ws_ticket_issue(user=org.agent_a)
    assert tickets.ws_ticket_redeem(ticket=old) is None
    fresh = tickets.ws_ticket_issue(user=org.agent_a)
    assert SocketTicket.objects.count() == 1  # the expired one went when the new one came
    assert tickets.ws_ticket_redeem(ticket=fresh) == org.agent_a


def test_a_ticket_of_a_user_deactivated_since_opens_nothing(org):
    ticket = tickets.ws_ticket_issue(user=org.agent_a)
    agent_update(profile=AgentProfile.objects.get(user=org.agent_a), is_active=False)
    assert tickets.ws_ticket_redeem(ticket=ticket) is None


def test_the_browser_session_opens_a_socket(org):
    cookie = session_cookie(org.agent_a)

    async def scenario():
        communicator = await open_socket(AGENT, cookie=cookie)
        try:
            await in_worker(set_status, org.agent_a, "available")
            return await receive(communicator)
        finally:
            await communicator.disconnect()

    assert asyncio.run(scenario())["type"] == "status_changed"


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://testserver.evil.example"])
def test_a_page_from_another_origin_is_refused(org, origin):
    cookie = session_cookie(org.agent_a)

    async def scenario():
        communicator = socket(AGENT, origin=origin, cookie=cookie)
        connected, _code = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected

    assert asyncio.run(scenario()) is False


def test_a_client_without_an_origin_is_not_a_browser_and_needs_its_ticket(org):
    async def scenario():
        with_ticket = await open_socket(AGENT, user=org.agent_a, origin=None)
        without = await open_socket(AGENT, origin=None)
        try:
            await with_ticket.send_json_to({"type": "ping"})
            return (await receive(with_ticket))["type"], await close_code(without)
        finally:
            await with_ticket.disconnect()
            await without.disconnect()

    assert asyncio.run(scenario()) == ("pong", 4401)


@pytest.mark.parametrize(
    ("who", "path", "code"),
    [("agent_a", WALLBOARD, 4403), ("nobody", AGENT, 4403), ("nobody", WALLBOARD, 4403)],
)
def test_a_role_that_may_not_open_the_socket_is_closed_with_4403(org, who, path, code):
    user = getattr(org, who)

    async def scenario():
        communicator = await open_socket(path, user=user)
        try:
            return await close_code(communicator)
        finally:
            await communicator.disconnect()

    assert asyncio.run(scenario()) == code


# --- The agent's stream ---------------------------------------------------------------------------


def test_the_answer_pops_the_callers_record_the_script_and_numbers_the_messages(org):
    customer = customer_create(first_name="Amélie", last_name="Poulain", phones=["06 12 34 56 78"])
    older = InteractionFactory(customer=customer, queue=org.queue_a, agent=org.agent_b)
    # Agent A's own: a ticket nobody holds would be offered to them by the routing as they become
    # available, and a ringing agent is not shown calls coming in.
    ticket = ticket_create(subject="Broken modem", customer=customer, queue=org.queue_a, assignee=org.agent_a)
    script = Script.objects.create(name="Billing greeting")
    script.queues.add(org.queue_a)
    ScriptVersion.objects.create(script=script, number=1, steps=[{"text": "Hello"}])
    newest = ScriptVersion.objects.create(script=script, number=2, steps=[{"text": "Good morning"}])
    retired = Script.objects.create(name="Retired", is_active=False)
    retired.queues.add(org.queue_a)
    set_status(org.agent_a, "available")

    async def scenario():
        communicator = await open_socket(AGENT, user=org.agent_a)
        try:
            await in_worker(call, "call.offered", "c-pop", queue=org.queue_a)
            incoming = await receive(communicator)
            await in_worker(call, "call.answered", "c-pop", queue=org.queue_a, agent=org.agent_a, seconds=8)
            return incoming, [await receive(communicator) for _ in range(2)]
        finally:
            await communicator.disconnect()

    incoming, messages = asyncio.run(scenario())
    assert incoming["type"] == "incoming" and incoming["seq"] == 1
    assert incoming["interaction"]["queue"] == "Queue A"
    assert incoming["customer"] == {"id": customer.pk, "name": "Amélie Poulain"}
    assert "_route" not in incoming
    pop = next(m for m in messages if m["type"] == "screen_pop")
    assert sorted(m["seq"] for m in messages) == [2, 3]
    assert {
        "type",
        "at",
        "seq",
        "caller",
        "interaction",
        "customer",
        "open_tickets",
        "last_interactions",
        "script",
    } <= set(pop)
    assert pop["caller"] == "+33612345678"
    assert pop["customer"]["id"] == customer.pk and pop["customer"]["phones"] == ["+33612345678"]
    assert [t["reference"] for t in pop["open_tickets"]] == [ticket.reference]
    assert [i["id"] for i in pop["last_interactions"]] == [older.pk]  # the call itself is not history
    assert pop["interaction"]["agent"] == "agent_a" and pop["interaction"]["answered_at"]
    assert pop["script"]["id"] == newest.pk and pop["script"]["steps"] == [{"text": "Good morning"}]


def test_the_incoming_hint_goes_to_the_queues_available_agents_only(org, user_factory):
    from tests.agents.factories import AgentProfileFactory

    on_break = AgentProfileFactory(user__username="on_break", team=org.team_a, queues=[org.queue_a]).user
    signed_in_long_ago()
    set_status(org.agent_a, "available")
    set_status(org.agent_b, "available")  # queue B only
    set_status(on_break, "break", "lunch")

    async def scenario():
        sockets = [await open_socket(AGENT, user=user) for user in (org.agent_a, org.agent_b, on_break)]
        try:
            await in_worker(call, "call.offered", "c-hint", queue=org.queue_a)
            first = await receive(sockets[0])
            quiet = [await s.receive_nothing(timeout=0.3) for s in sockets[1:]]
            return first, quiet
        finally:
            for s in sockets:
                await s.disconnect()

    first, quiet = asyncio.run(scenario())
    assert first["type"] == "incoming"
    assert quiet == [True, True]


def test_holds_and_resumes_reach_the_answering_agent(org):
    async def scenario():
        await in_worker(call, "call.offered", "c-hold", queue=org.queue_a)
        await in_worker(call, "call.answered", "c-hold", queue=org.queue_a, agent=org.agent_a, seconds=5)
        communicator = await open_socket(AGENT, user=org.agent_a)
        other = await open_socket(AGENT, user=org.agent_b)
        try:
            outcome = await in_worker(call, "call.held", "c-hold", queue=org.queue_a, agent=org.agent_a, seconds=20)
            held = await receive_type(communicator, "call_hold")
            await in_worker(call, "call.resumed", "c-hold", queue=org.queue_a, agent=org.agent_a, seconds=30)
            resumed = await receive_type(communicator, "call_hold")
            return outcome.interaction, held, resumed, await other.receive_nothing(timeout=0.3)
        finally:
            await communicator.disconnect()
            await other.disconnect()

    interaction, held, resumed, nothing_for_others = asyncio.run(scenario())
    assert {key: held[key] for key in ("interaction", "on_hold")} == {"interaction": interaction.pk, "on_hold": True}
    hold = CtiEvent.objects.get(cti_call__call_id="c-hold", event="call.held")
    assert datetime.fromisoformat(held["held_since"]) == hold.timestamp
    assert resumed["on_hold"] is False and resumed["held_since"] is None
    assert nothing_for_others


def test_tickets_assigned_and_updated_reach_the_assignee(org):
    from interactions.services import ticket_update

    async def scenario():
        communicator = await open_socket(AGENT, user=org.agent_a)
        try:
            ticket = await in_worker(ticket_create, subject="Refund", queue=org.queue_a, assignee=org.agent_a)
            assigned = await receive(communicator)
            await in_worker(ticket_update, ticket=ticket, changes={"priority": "high"}, by=org.agent_a)
            return ticket, assigned, await receive_type(communicator, "ticket_updated")
        finally:
            await communicator.disconnect()

    ticket, assigned, updated = asyncio.run(scenario())
    assert assigned["type"] == "ticket_assigned"
    assert assigned["ticket"]["reference"] == ticket.reference and assigned["ticket"]["assignee"] == "agent_a"
    assert updated["ticket"]["priority"] == "high" and updated["seq"] > assigned["seq"]


# --- Presence over the socket ---------------------------------------------------------------------


def test_set_status_over_the_socket_writes_the_presence_log(org):
    async def scenario():
        communicator = await open_socket(AGENT, user=org.agent_a)
        try:
            await communicator.send_json_to({"type": "set_status", "status": "break", "reason": "lunch"})
            return await receive(communicator)
        finally:
            await communicator.disconnect()

    message = asyncio.run(scenario())
    assert (message["type"], message["status"], message["reason"], message["seq"]) == (
        "status_changed",
        "break",
        "lunch",
        1,
    )
    interval = PresenceInterval.objects.get(agent=org.agent_a, ended_at__isnull=True)
    assert (interval.status, interval.reason) == ("break", "lunch")


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({"type": "set_status", "status": "break"}, "reason"),  # a break needs a reason
        ({"type": "set_status", "status": "busy"}, "status"),  # busy follows the calls
        ({"type": "set_status", "status": "available", "reason": "nap"}, "reason"),
        ({"type": "set_status"}, "status"),
        ({"type": "dance"}, "type"),
        ({"status": "available"}, "type"),
        ("not json", "type"),
        (["set_status"], "type"),
    ],
)
def test_bad_socket_input_answers_an_error_and_changes_nothing(org, sent, field):
    set_status(org.agent_a, "available")
    before = PresenceInterval.objects.count()

    async def scenario():
        communicator = await open_socket(AGENT, user=org.agent_a)
        try:
            if isinstance(sent, str):
                await communicator.send_to(text_data=sent)
            else:
                await communicator.send_json_to(sent)
            reply = await receive(communicator)
            await communicator.send_json_to({"type": "ping"})
            return reply, await receive(communicator)
        finally:
            await communicator.disconnect()

    reply, pong = asyncio.run(scenario())
    assert reply["type"] == "error" and field in reply["errors"], reply
    assert all(isinstance(m, str) and m for m in reply["errors"][field])
    assert (pong["type"], pong["seq"]) == ("pong", 2)  # the socket goes on
    assert status_of(org.agent_a) == "available" and PresenceInterval.objects.count() == before


def test_a_socket_flooding_the_server_is_told_to_wait(org):
    from contactcenter.live.consumers import CLIENT_MESSAGES_PER_WINDOW

    async def scenario():
        communicator = await open_socket(AGENT, user=org.agent_a)
        try:
            for _ in range(CLIENT_MESSAGES_PER_WINDOW + 1):
                await communicator.send_json_to({"type": "ping"})
            return [await receive(communicator) for _ in range(CLIENT_MESSAGES_PER_WINDOW + 1)]
        finally:
            await communicator.disconnect()

    replies = asyncio.run(scenario())
    assert [r["type"] for r in replies] == ["pong"] * CLIENT_MESSAGES_PER_WINDOW + ["error"]
    assert [r["seq"] for r in replies] == list(range(1, CLIENT_MESSAGES_PER_WINDOW + 2))


def test_errors_speak_the_browsers_language(org):
    async def scenario():
        communicator = await open_socket(AGENT, user=org.agent_a, language="fr-FR,fr;q=0.9,en;q=0.5")
        try:
            await communicator.send_json_to({"type": "set_status", "status": "break"})
            return await receive(communicator)
        finally:
            await communicator.disconnect()

    assert asyncio.run(scenario())["errors"]["reason"] == ["Une pause nécessite un motif."]


# --- The wallboard --------------------------------------------------------------------------------


def test_the_wallboard_opens_with_the_figures_of_the_teams_queues(org):
    set_status(org.agent_a, "available")

    async def scenario():
        communicator = await open_socket(WALLBOARD, user=org.supervisor_a)
        try:
            return await receive(communicator)
        finally:
            await communicator.disconnect()

    message = asyncio.run(scenario())
    assert (message["type"], message["seq"]) == ("queue_stats", 1)
    assert message["day"] == "2026-03-04"  # the afternoon's local day
    [queue] = message["queues"]  # team A serves queue A only
    assert queue["queue"] == "Queue A"
    assert queue["agents"] == {"available": 1, "ringing": 0, "busy": 0, "wrap_up": 0, "break": 0}
    assert queue["waiting"] == 0 and queue["service_level"] is None and queue["abandonment_rate"] is None


def test_a_supervisor_sees_their_teams_agents_and_a_manager_everyones(org):
    async def scenario():
        supervisor = await open_socket(WALLBOARD, user=org.supervisor_a)
        manager = await open_socket(WALLBOARD, user=org.manager)
        try:
            for communicator in (supervisor, manager):
                assert (await receive(communicator))["type"] == "queue_stats"
            await in_worker(set_status, org.agent_b, "available")  # team B
            await in_worker(set_status, org.agent_a, "break", "coaching")  # team A
            seen_by_manager = [await receive_type(manager, "agent_status") for _ in range(2)]
            seen_by_supervisor = await receive_type(supervisor, "agent_status")
            more = await supervisor.receive_nothing(timeout=0.3) or (await receive(supervisor))["type"]
            return seen_by_manager, seen_by_supervisor, more
        finally:
            await supervisor.disconnect()
            await manager.disconnect()

    seen_by_manager, seen_by_supervisor, more = asyncio.run(scenario())
    assert [m["agent"] for m in seen_by_manager] == ["agent_b", "agent_a"]
    assert seen_by_supervisor["agent"] == "agent_a"
    assert seen_by_supervisor["team"] == "Team A" and seen_by_supervisor["queues"] == ["Queue A"]
    assert (seen_by_supervisor["status"], seen_by_supervisor["reason"]) == ("break", "coaching")
    assert "_route" not in seen_by_supervisor
    assert more is True or more == "queue_stats"  # never agent_b's status


def test_call_events_move_the_queue_figures_and_log_the_interaction(org):
    set_status(org.agent_a, "available")

    async def scenario():
        communicator = await open_socket(WALLBOARD, user=org.supervisor_a)
        try:
            opening = await receive(communicator)
            await in_worker(call, "call.offered", "c-board", queue=org.queue_a)
            waiting = await receive_type(communicator, "queue_stats")
            await in_worker(call, "call.answered", "c-board", queue=org.queue_a, agent=org.agent_a, seconds=8)
            logged = await receive_type(communicator, "interaction_logged")
            answered = await receive_type(communicator, "queue_stats")
            return opening, waiting, logged, answered
        finally:
            await communicator.disconnect()

    opening, waiting, logged, answered = asyncio.run(scenario())
    assert opening["queues"][0]["waiting"] == 0
    assert waiting["queues"][0]["waiting"] == 1 and waiting["queues"][0]["longest_wait"] >= 49
    assert logged["interaction"]["queue"] == "Queue A" and logged["interaction"]["agent"] == "agent_a"
    assert "customer" not in logged  # no caller's name on a wall screen
    figures = answered["queues"][0]
    assert (figures["waiting"], figures["handled"], figures["offered"]) == (0, 1, 1)
    assert figures["service_level"] == 1.0 and figures["agents"]["busy"] == 1
    seqs = [m["seq"] for m in (opening, waiting, logged, answered)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4


def test_queue_figures_reach_a_socket_at_most_once_a_second_per_queue_and_the_last_word_arrives(org, monkeypatch):
    # When the figures are computed, not when this test reads them: the test reads only after its
    # four calls, so the first figures may wait in the socket while the calls take their time (a
    # new database connection each, on a busy machine), and arrive less than a second before the
    # next ones although they were computed a second apart.
    computed: list[float] = []
    queue_stats = selectors.queue_stats

    def timed_queue_stats(**kwargs):
        computed.append(time.monotonic())
        return queue_stats(**kwargs)

    monkeypatch.setattr(selectors, "queue_stats", timed_queue_stats)

    async def scenario():
        communicator = await open_socket(WALLBOARD, user=org.manager)
        try:
            await receive(communicator)
            for n in range(4):
                await in_worker(call, "call.offered", f"c-burst-{n}", queue=org.queue_a)
            loop = asyncio.get_running_loop()
            stats, started = [], loop.time()
            while loop.time() - started < 2.5:
                if await communicator.receive_nothing(timeout=0.1):
                    continue
                message = await receive(communicator)
                if message["type"] == "queue_stats":
                    stats.append((loop.time(), message))
            return stats
        finally:
            await communicator.disconnect()

    stats = asyncio.run(scenario())
    assert 1 <= len(stats) <= 3
    hub_runs = computed[1:]  # the first: the figures the socket opens with
    assert all(later - earlier >= 0.9 for earlier, later in itertools.pairwise(hub_runs))
    assert stats[-1][1]["queues"][0]["waiting"] == 4


# --- A change of user ---------------------------------------------------------------------------


def test_a_deactivated_agent_stops_receiving_and_is_closed(org):
    profile = AgentProfile.objects.get(user=org.agent_a)

    async def scenario():
        communicator = await open_socket(AGENT, user=org.agent_a)
        try:
            await in_worker(agent_update, profile=profile, is_active=False)
            await in_worker(ticket_create, subject="After", queue=org.queue_a, assignee=org.agent_a)
            return await close_code(communicator)
        finally:
            await communicator.disconnect()

    assert asyncio.run(scenario()) == 4401


def test_a_supervisor_moved_to_another_team_stops_receiving_the_old_teams_events(org):
    profile = AgentProfile.objects.get(user=org.supervisor_a)

    async def scenario():
        communicator = await open_socket(WALLBOARD, user=org.supervisor_a)
        try:
            assert (await receive(communicator))["queues"][0]["queue"] == "Queue A"
            await in_worker(agent_update, profile=profile, team=org.team_b, queues=[org.queue_b])
            new_queues = await receive_type(communicator, "queue_stats")
            await in_worker(set_status, org.agent_a, "available")  # team A: no longer theirs
            await in_worker(set_status, org.agent_b, "available")  # team B: now theirs
            return new_queues, await receive_type(communicator, "agent_status")
        finally:
            await communicator.disconnect()

    new_queues, status = asyncio.run(scenario())
    assert [q["queue"] for q in new_queues["queues"]] == ["Queue B"]
    assert status["agent"] == "agent_b"


def test_a_supervisor_demoted_to_agent_loses_the_wallboard(org):
    from contactcenter.agents.services import agent_set_role

    profile = AgentProfile.objects.get(user=org.supervisor_a)

    async def scenario():
        communicator = await open_socket(WALLBOARD, user=org.supervisor_a)
        try:
            await receive(communicator)
            await in_worker(agent_set_role, profile=profile, role="agent")
            return await close_code(communicator)
        finally:
            await communicator.disconnect()

    assert asyncio.run(scenario()) == 4403


def test_a_change_made_without_a_signal_is_seen_within_seconds_on_the_next_event(org, monkeypatch):
    """Even a bulk ``update()`` (no signal, no ``scope_changed``) is caught: the cached scope is
    read again once it is a few seconds old, before relaying the next event."""
    from contactcenter.live import selectors

    monkeypatch.setattr(selectors, "SCOPE_TTL_SECONDS", 0.2)

    async def scenario():
        communicator = await open_socket(AGENT, user=org.agent_a)
        try:
            await in_worker(lambda: type(org.agent_a).objects.filter(pk=org.agent_a.pk).update(is_active=False))
            await asyncio.sleep(0.3)
            await in_worker(ticket_create, subject="After", queue=org.queue_a, assignee=org.agent_a)
            return await close_code(communicator)
        finally:
            await communicator.disconnect()

    assert asyncio.run(scenario()) == 4401
