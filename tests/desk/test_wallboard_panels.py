"""The wallboard's tiles and panels (docs/wallboard.md, "The agents" and "Panels"): each agent tile
shows the queue of the contact the agent is on and a clock from the start of its phase; a queue tile
opens the list of its waiting contacts, an agent tile the agent's day and the supervisor's actions
(break, offline) through the agent state machine, deferred while the agent is on a contact."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from contactcenter.agents.events import contact_payload
from contactcenter.agents.models import AgentProfile, PresenceInterval, Status
from contactcenter.agents.states import current_contact
from contactcenter.core.choices import Channel, Direction
from contactcenter.desk.wallboard import wallboard_board
from interactions.cti import cti_event_apply
from interactions.models import CtiCall, Disposition
from interactions.selectors import agents_current_contacts
from tests.agents.factories import AgentProfileFactory
from tests.customers.factories import CustomerFactory
from tests.interactions.factories import InteractionFactory

pytestmark = pytest.mark.django_db


def available(user) -> None:
    AgentProfile.objects.filter(user=user).update(
        status=Status.AVAILABLE, status_reason="", status_since=timezone.now() - timedelta(hours=2)
    )


def call(org, call_id: str, *events: str, agent=None, queue=None, start=None):
    """A call to Queue A (or ``queue``) through the real CTI intake, one event a minute from ``start``."""
    start = start or timezone.now() - timedelta(minutes=len(events) + 1)
    outcome = None
    for n, event in enumerate(events):
        outcome = cti_event_apply(
            event=event,
            call_id=call_id,
            timestamp=start + timedelta(minutes=n),
            caller="+33612345678",
            queue=queue or org.queue_a,
            agent=(agent or org.agent_a) if event != "call.offered" else None,
            by=org.manager,
        )
    return outcome.interaction


def agent_row(board, username: str):
    return next(agent for agent in board.agents if agent.username == username)


# --- The tile: the contact's queue and its clock ------------------------------------------------------


def test_a_busy_agents_tile_shows_the_calls_queue_and_counts_from_its_answer(org, client):
    available(org.agent_a)
    interaction = call(org, "c-busy", "call.offered", "call.answered")

    row = agent_row(wallboard_board(user=org.supervisor_a), "agent_a")

    assert (row.status, row.contact_queue, row.contact_since) == ("busy", "Queue A", interaction.answered_at)
    assert row.clock_since_ms == int(interaction.answered_at.timestamp() * 1000)
    client.force_login(org.supervisor_a)
    html = client.get(reverse("desk:wallboard")).content.decode()
    assert 'data-field="queue" title="Queue of the current contact">Queue A</span>' in html
    assert f'data-since-ms="{row.clock_since_ms}"' in html


def test_ringing_busy_and_wrap_up_each_count_from_their_own_start(org):
    for user in (org.agent_a, org.agent_b, org.supervisor_a):
        available(user)
    start = timezone.now() - timedelta(minutes=10)
    wrapping = call(org, "c-wrap", "call.offered", "call.answered", "call.ended", start=start)
    talking = call(org, "c-talk", "call.offered", "call.answered", agent=org.agent_b, queue=org.queue_b, start=start)
    cti_event_apply(
        event="call.offered",
        call_id="c-ring",
        timestamp=start,
        caller="+33612345678",
        queue=org.queue_a,
        agent=org.supervisor_a,
        by=org.manager,
    )
    ringing = CtiCall.objects.get(call_id="c-ring")
    statuses = dict(AgentProfile.objects.values_list("user_id", "status"))
    assert [statuses[user.pk] for user in (org.agent_a, org.agent_b, org.supervisor_a)] == [
        "wrap_up",
        "busy",
        "ringing",
    ]

    found = agents_current_contacts(statuses=statuses)

    assert (found[org.agent_a.pk].status, found[org.agent_a.pk].since) == ("wrap_up", wrapping.ended_at)
    assert (found[org.agent_b.pk].status, found[org.agent_b.pk].queue) == ("busy", "Queue B")
    assert found[org.agent_b.pk].since == talking.answered_at
    assert (found[org.supervisor_a.pk].status, found[org.supervisor_a.pk].since) == ("ringing", ringing.presence_at)
    assert org.manager.pk not in found  # not on a contact


def test_the_current_contacts_of_any_number_of_agents_cost_one_query(org, django_assert_num_queries):
    available(org.agent_a)
    available(org.agent_b)
    call(org, "c-1", "call.offered", "call.answered")
    cti_event_apply(
        event="call.offered",
        call_id="c-2",
        timestamp=timezone.now(),
        caller="+33612345678",
        queue=org.queue_b,
        agent=org.agent_b,
        by=org.manager,
    )
    statuses = dict(AgentProfile.objects.values_list("user_id", "status"))

    with django_assert_num_queries(1):
        found = agents_current_contacts(statuses=statuses)
    with django_assert_num_queries(0):
        assert agents_current_contacts(statuses={org.manager.pk: Status.AVAILABLE}) == {}

    assert set(found) == {org.agent_a.pk, org.agent_b.pk}


def test_the_wallboards_agent_status_event_carries_the_contact(org, django_capture_on_commit_callbacks, monkeypatch):
    sent = []  # what leaves for the channel layer after commit, as in tests/live/test_events.py
    monkeypatch.setattr("contactcenter.core.events._send", lambda groups, event, payload: sent.append((event, payload)))
    available(org.agent_a)
    with django_capture_on_commit_callbacks(execute=True):
        interaction = call(org, "c-event", "call.offered", "call.answered")
    board = [payload for event, payload in sent if event == "agent_status"][-1]

    assert (board["status"], board["contact"]) == (
        "busy",
        {"queue": "Queue A", "channel": "voice", "since": interaction.answered_at.isoformat()},
    )
    assert contact_payload(current_contact(user_id=org.agent_a.pk, status="available")) is None


# --- Who may open a panel --------------------------------------------------------------------------


def panel_urls(org) -> list[str]:
    return [
        reverse("desk:wallboard_queue", args=[org.queue_a.pk]),
        reverse("desk:wallboard_agent", args=["agent_a"]),
    ]


def test_anonymous_users_go_to_the_login_page_and_agents_get_403(client, org):
    for url in panel_urls(org):
        assert client.get(url).status_code == 302
    client.force_login(org.agent_a)
    for url in panel_urls(org):
        assert client.get(url).status_code == 403
    status_url = reverse("desk:wallboard_agent_status", args=["agent_a"])
    assert client.post(status_url, {"status": "offline"}).status_code == 403


def test_a_supervisor_opens_their_teams_agents_and_queues_only(client, org):
    available(org.agent_b)
    client.force_login(org.supervisor_a)

    for url in panel_urls(org):
        assert client.get(url).status_code == 200
    assert client.get(reverse("desk:wallboard_queue", args=[org.queue_b.pk])).status_code == 404
    assert client.get(reverse("desk:wallboard_agent", args=["agent_b"])).status_code == 404
    assert client.get(reverse("desk:wallboard_agent", args=["nobody"])).status_code == 404
    response = client.post(reverse("desk:wallboard_agent_status", args=["agent_b"]), {"status": "offline"})
    assert response.status_code == 404
    assert AgentProfile.objects.get(user=org.agent_b).status == Status.AVAILABLE


def test_managers_open_every_agent_and_queue(client, org):
    client.force_login(org.manager)

    assert client.get(reverse("desk:wallboard_queue", args=[org.queue_b.pk])).status_code == 200
    assert client.get(reverse("desk:wallboard_agent", args=["agent_b"])).status_code == 200


def test_an_inactive_queue_has_no_panel(client, org):
    org.queue_a.is_active = False
    org.queue_a.save()
    client.force_login(org.manager)

    assert client.get(reverse("desk:wallboard_queue", args=[org.queue_a.pk])).status_code == 404


# --- A queue's panel: who waits ---------------------------------------------------------------------------


def waiting(queue, *, seconds: float, **fields):
    defaults = {"customer": None, "agent": None, "answered_at": None, "ended_at": None, "wrapup_ended_at": None}
    return InteractionFactory(queue=queue, offered_at=timezone.now() - timedelta(seconds=seconds), **defaults | fields)


def test_a_queues_panel_lists_its_waiting_contacts_longest_first(client, org):
    anne = CustomerFactory(first_name="Anne", last_name="Martin")
    waiting(org.queue_a, seconds=30, customer=anne)
    waiting(org.queue_a, seconds=95)  # an unknown number
    waiting(org.queue_a, seconds=50, answered_at=timezone.now(), agent=org.agent_a)  # answered: not waiting
    waiting(org.queue_a, seconds=40, ended_at=timezone.now())  # abandoned
    waiting(org.queue_a, seconds=20, channel=Channel.IVR)  # self-service
    waiting(org.queue_a, seconds=20, direction=Direction.OUTBOUND)
    waiting(org.queue_a, seconds=5 * 3600, customer=CustomerFactory(first_name="Lost"))  # a lost end event
    waiting(org.queue_b, seconds=10, customer=CustomerFactory(first_name="Other"))
    client.force_login(org.supervisor_a)

    response = client.get(reverse("desk:wallboard_queue", args=[org.queue_a.pk]), HTTP_HX_REQUEST="true")

    rows = response.context["waiting"]
    assert [(row.name, row.known) for row in rows] == [("Unknown caller", False), ("Anne Martin", True)]
    assert [round(row.seconds) for row in rows] == [95, 30]
    html = response.content.decode()
    assert "2 contacts waiting now" in html and "Anne Martin" in html
    assert "Lost" not in html and "Other" not in html
    assert html.count("data-tick-since=") == 2
    local = timezone.localtime(rows[1].offered_at).strftime("%H:%M:%S")  # the center's TIME_ZONE
    assert local in html


def test_a_call_ringing_for_an_agent_says_for_whom(client, org):
    available(org.agent_a)
    cti_event_apply(
        event="call.offered",
        call_id="c-ring",
        timestamp=timezone.now() - timedelta(seconds=8),
        caller="+33612345678",
        queue=org.queue_a,
        agent=org.agent_a,
        by=org.manager,
    )
    org.agent_a.first_name, org.agent_a.last_name = "Léa", "Martin"
    org.agent_a.save()
    client.force_login(org.supervisor_a)

    response = client.get(reverse("desk:wallboard_queue", args=[org.queue_a.pk]))

    [row] = response.context["waiting"]
    assert row.ringing_for == "Léa Martin"


def test_an_empty_queue_says_nobody_waits(client, org):
    client.force_login(org.supervisor_a)

    response = client.get(reverse("desk:wallboard_queue", args=[org.queue_a.pk]))

    assert "Nobody waits in this queue now." in response.content.decode()


# --- An agent's panel: the day ---------------------------------------------------------------------------


def test_an_agents_panel_shows_the_states_of_the_day_with_reasons_and_who_set_them(client, org, afternoon):
    now = timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    org.supervisor_a.first_name, org.supervisor_a.last_name = "Sam", "Boss"
    org.supervisor_a.save()
    PresenceInterval.objects.filter(agent=org.agent_a).delete()
    PresenceInterval.objects.create(  # yesterday's: not shown
        agent=org.agent_a, status=Status.AVAILABLE, started_at=midnight - timedelta(hours=5),
        ended_at=midnight - timedelta(hours=4),
    )  # fmt: skip
    PresenceInterval.objects.create(  # across midnight: from midnight on
        agent=org.agent_a, status=Status.BREAK, reason="other", started_at=midnight - timedelta(minutes=30),
        ended_at=midnight + timedelta(minutes=15),
    )  # fmt: skip
    PresenceInterval.objects.create(
        agent=org.agent_a, status=Status.AVAILABLE, started_at=now - timedelta(hours=1),
        ended_at=now - timedelta(minutes=20), set_by=org.agent_a, ended_by=org.supervisor_a,
    )  # fmt: skip
    PresenceInterval.objects.create(
        agent=org.agent_a, status=Status.BREAK, reason="coaching", started_at=now - timedelta(minutes=20),
        set_by=org.supervisor_a,
    )  # fmt: skip
    client.force_login(org.supervisor_a)

    response = client.get(reverse("desk:wallboard_agent", args=["agent_a"]))

    rows = response.context["intervals"]
    assert [(row.status, row.reason_label, row.set_by) for row in rows] == [
        ("break", "Other", "the system"),
        ("available", "", org.agent_a.get_full_name() or org.agent_a.get_username()),
        ("break", "Coaching", "Sam Boss"),
    ]
    assert rows[0].start == midnight and rows[0].seconds == 15 * 60
    assert rows[2].end is None and rows[2].seconds == pytest.approx(20 * 60, abs=5)
    html = response.content.decode()
    assert "00:00:00" in html  # local time (TIME_ZONE), cut at midnight
    assert timezone.localtime(now - timedelta(hours=1)).strftime("%H:%M:%S") in html
    figures = dict((status, text) for status, _label, text in response.context["figures"].time_by_status)
    assert figures["available"] == "40:00"


def test_an_agents_panel_lists_the_contacts_of_the_day_with_their_outcome(client, org, afternoon):
    now = timezone.now()
    resolved = Disposition.objects.get(code="resolved")
    InteractionFactory(  # yesterday's: not listed
        agent=org.agent_a, queue=org.queue_a, offered_at=now - timedelta(days=1), answered_at=now - timedelta(days=1)
    )
    done = InteractionFactory(
        agent=org.agent_a, queue=org.queue_a, channel=Channel.VOICE, offered_at=now - timedelta(minutes=40),
        answered_at=now - timedelta(minutes=39), ended_at=now - timedelta(minutes=34),
        wrapup_ended_at=now - timedelta(minutes=33), hold_seconds=0, disposition=resolved,
    )  # fmt: skip
    InteractionFactory(
        agent=org.agent_a, queue=org.queue_b, channel=Channel.CHAT, offered_at=now - timedelta(minutes=10),
        answered_at=now - timedelta(minutes=9), ended_at=None, wrapup_ended_at=None, disposition=None,
    )  # fmt: skip
    InteractionFactory(agent=org.agent_b, queue=org.queue_a, offered_at=now - timedelta(minutes=5))  # another agent's
    client.force_login(org.supervisor_a)

    response = client.get(reverse("desk:wallboard_agent", args=["agent_a"]))

    rows = response.context["contacts"]
    assert [(row.queue, row.channel_label, row.ongoing, row.disposition) for row in rows] == [
        ("Queue A", "Voice", False, str(resolved)),
        ("Queue B", "Chat", True, ""),
    ]
    assert rows[0].duration_text == "6:00"  # talk 5 min + wrap-up 1 min
    html = response.content.decode()
    assert timezone.localtime(done.offered_at).strftime("%H:%M") in html
    assert "ongoing" in html
    figures = response.context["figures"]
    assert (figures.handled, figures.talk_text, figures.average_handle_text) == (1, "5:00", "6:00")


def test_the_panel_speaks_french(client, org):
    client.force_login(org.supervisor_a)
    with translation.override("fr"):
        response = client.get(reverse("desk:wallboard_agent", args=["agent_a"]), HTTP_ACCEPT_LANGUAGE="fr")
    html = response.content.decode()

    assert "Mettre en pause" in html and "Contacts du jour" in html


# --- An agent's panel: the supervisor's actions ---------------------------------------------------------


def set_status_url(username: str) -> str:
    return reverse("desk:wallboard_agent_status", args=[username])


def test_a_supervisor_sets_an_available_agent_on_a_break_at_once(client, org, django_capture_on_commit_callbacks):
    available(org.agent_a)
    client.force_login(org.supervisor_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(set_status_url("agent_a"), {"status": "break", "reason": "coaching"})

    assert response.status_code == 200
    profile = AgentProfile.objects.get(user=org.agent_a)
    assert (profile.status, profile.status_reason, profile.pending_status) == ("break", "coaching", "")
    interval = PresenceInterval.objects.get(agent=org.agent_a, ended_at__isnull=True)
    assert (interval.status, interval.set_by) == ("break", org.supervisor_a)
    assert "is on a break (Coaching)" in response.content.decode()


def test_on_a_call_the_break_waits_and_the_panel_says_so(client, org, django_capture_on_commit_callbacks):
    available(org.agent_a)
    call(org, "c-defer", "call.offered", "call.answered")
    client.force_login(org.supervisor_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(set_status_url("agent_a"), {"status": "break", "reason": "lunch"})

    assert response.status_code == 200
    profile = AgentProfile.objects.get(user=org.agent_a)
    assert (profile.status, profile.pending_status, profile.pending_reason) == ("busy", "break", "lunch")
    assert profile.pending_set_by == org.supervisor_a
    html = response.content.decode()
    assert 'id="wb-panel-pending">Break after this call (Lunch)' in html
    # The tile says it too (the board drawn again, and wallboard.js from the agent_status event).
    row = agent_row(wallboard_board(user=org.supervisor_a), "agent_a")
    assert (row.pending_label, row.pending_short) == ("Break after this call (Lunch)", "→ Break")


def test_setting_offline_on_a_call_waits_too(client, org):
    available(org.agent_a)
    call(org, "c-off", "call.offered", "call.answered", "call.ended")
    client.force_login(org.manager)

    response = client.post(set_status_url("agent_a"), {"status": "offline"})

    profile = AgentProfile.objects.get(user=org.agent_a)
    assert (response.status_code, profile.status, profile.pending_status) == (200, "wrap_up", "offline")
    assert "Offline after this call" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "break"}, "A break needs a reason."),
        ({"status": "available"}, "is not a valid choice"),
        ({"status": "break", "reason": "missed"}, "is not a valid choice"),
    ],
)
def test_a_refused_change_says_why_inline_and_changes_nothing(client, org, data, message):
    available(org.agent_a)
    client.force_login(org.supervisor_a)

    response = client.post(set_status_url("agent_a"), data, HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode() and message in response.content.decode()
    assert AgentProfile.objects.get(user=org.agent_a).status == Status.AVAILABLE


def test_a_supervisor_without_a_team_sees_no_actions_and_may_not_set_anyone(client, org):
    loner = AgentProfileFactory(user__username="loner", role="supervisor", team=None).user
    teamless = AgentProfileFactory(user__username="teamless", team=None).user
    available(teamless)
    client.force_login(loner)

    page = client.get(reverse("desk:wallboard_agent", args=["teamless"]))
    response = client.post(set_status_url("teamless"), {"status": "offline"})

    assert page.status_code == 200 and 'id="wb-set-break"' not in page.content.decode()
    assert response.status_code == 403
    assert AgentProfile.objects.get(user=teamless).status == Status.AVAILABLE


def test_the_action_needs_the_csrf_token(org):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(org.supervisor_a)

    response = client.post(set_status_url("agent_a"), {"status": "offline"})

    assert response.status_code == 403
