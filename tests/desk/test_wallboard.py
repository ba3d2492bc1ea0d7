"""The supervisors' wallboard page (issue #6): who may open it, what its first paint shows (the
queues and agents of the ``ws/wallboard/`` socket's scope, the figures of ``queue_stats``), the board
partial the page refetches after a reconnect, and a bounded query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from contactcenter.agents.models import AgentProfile, Status
from contactcenter.core.formats import format_duration
from contactcenter.desk.wallboard import format_percent, service_level_state, wallboard_board
from contactcenter.live.selectors import queue_stats, socket_scope, visible_queue_ids, wallboard_agents
from tests.agents.factories import AgentProfileFactory, QueueFactory, TeamFactory
from tests.interactions.factories import InteractionFactory

pytestmark = pytest.mark.django_db


def set_status(user, status: str, *, reason: str = "", minutes_ago: float = 0) -> None:
    AgentProfile.objects.filter(user=user).update(
        status=status, status_reason=reason, status_since=timezone.now() - timedelta(minutes=minutes_ago)
    )


def call_today(queue, *, wait: float | None, ended: bool = True, agent=None, seconds_ago: float = 600):
    """An inbound voice call of ``queue`` offered ``seconds_ago``: answered after ``wait`` seconds
    (or never), ended a minute later (or still going / still waiting)."""
    offered = timezone.now() - timedelta(seconds=seconds_ago)
    answered = offered + timedelta(seconds=wait) if wait is not None else None
    ended_at = (answered or offered) + timedelta(seconds=60) if ended else None
    return InteractionFactory(
        queue=queue,
        customer=None,
        agent=agent if answered else None,
        offered_at=offered,
        answered_at=answered,
        ended_at=ended_at,
        wrapup_ended_at=None,
    )


@pytest.fixture
def busy_day(org, afternoon):
    """Queue A today: 5 offered (2 answered within 20 s, 1 after 45 s, 1 abandoned, 1 waiting for
    40 s) and a short abandon (left out);
    agent A busy, supervisor A on a lunch break, agent B (team B) available.
    In the afternoon: at 00:10 the calls of 15 minutes ago would be yesterday's."""
    call_today(org.queue_a, wait=5, agent=org.agent_a)
    call_today(org.queue_a, wait=12, agent=org.agent_a)
    call_today(org.queue_a, wait=45, agent=org.agent_a)
    call_today(org.queue_a, wait=None, seconds_ago=900)
    InteractionFactory(
        queue=org.queue_a,
        customer=None,
        offered_at=timezone.now() - timedelta(seconds=700),
        answered_at=None,
        ended_at=timezone.now() - timedelta(seconds=697),  # a short abandon: 3 s
        wrapup_ended_at=None,
    )
    call_today(org.queue_a, wait=None, ended=False, seconds_ago=40)  # waiting now
    call_today(org.queue_b, wait=3, agent=org.agent_b)
    set_status(org.agent_a, Status.BUSY, minutes_ago=3)
    set_status(org.supervisor_a, Status.BREAK, reason="lunch", minutes_ago=12)
    set_status(org.agent_b, Status.AVAILABLE, minutes_ago=1)
    return org


# --- Who may open it -----------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["desk:wallboard", "desk:wallboard_board"])
def test_anonymous_users_are_sent_to_the_login_page(client, org, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("desk:login"))


def test_a_board_fragment_asked_by_htmx_after_the_session_ended_reloads_to_the_login_page(client, org):
    response = client.get(reverse("desk:wallboard_board"), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("desk:login")


@pytest.mark.parametrize(
    ("username", "status"),
    [("agent_a", 403), ("nobody", 403), ("supervisor_a", 200), ("manager", 200), ("admin_user", 200)],
)
@pytest.mark.parametrize("url_name", ["desk:wallboard", "desk:wallboard_board"])
def test_only_supervisors_and_up_open_the_wallboard(client, org, username, status, url_name):
    client.force_login(getattr(org, {"admin_user": "admin"}.get(username, username)))

    response = client.get(reverse(url_name))

    assert response.status_code == status


def test_the_header_links_back_to_the_desktop(client, org):
    client.force_login(org.supervisor_a)

    html = client.get(reverse("desk:wallboard")).content.decode()

    assert f'href="{reverse("desk:desktop")}"' in html
    assert "/ws/wallboard/" in html
    assert "desk/wallboard.js" in html and "desk/live.js" in html


# --- What it shows -------------------------------------------------------------------------------


def test_a_supervisor_sees_the_queues_and_agents_of_their_team_only(client, busy_day):
    client.force_login(busy_day.supervisor_a)

    response = client.get(reverse("desk:wallboard"))

    board = response.context["board"]
    assert [tile.name for tile in board.tiles] == ["Queue A"]
    assert {agent.username for agent in board.agents} == {"agent_a", "supervisor_a"}
    html = response.content.decode()
    assert 'data-queue="Queue A"' in html and 'data-queue="Queue B"' not in html
    assert 'data-agent="agent_a"' in html and 'data-agent="agent_b"' not in html


def test_managers_see_every_queue_and_every_agent(client, busy_day):
    client.force_login(busy_day.manager)

    board = client.get(reverse("desk:wallboard")).context["board"]

    assert [tile.name for tile in board.tiles] == ["Queue A", "Queue B"]
    # Managers and admins are not listed while offline: they rarely take calls.
    assert {agent.username for agent in board.agents} == {"agent_a", "agent_b", "supervisor_a"}


def test_the_board_shows_what_the_socket_would_send(client, busy_day):
    """The first paint and the socket's first ``queue_stats`` come from the same selectors."""
    client.force_login(busy_day.supervisor_a)
    scope = socket_scope(user_id=busy_day.supervisor_a.pk)
    expected = queue_stats(queue_ids=visible_queue_ids(scope))

    tile = client.get(reverse("desk:wallboard")).context["board"].tiles[0]

    row = expected[0]
    assert (tile.waiting, tile.offered, tile.handled, tile.abandoned) == (
        row["waiting"],
        row["offered"],
        row["handled"],
        row["abandoned"],
    )
    assert tile.service_level == pytest.approx(row["service_level"])
    assert tile.abandonment_rate == pytest.approx(row["abandonment_rate"])
    assert tile.agents == row["agents"]
    assert tile.longest_wait == pytest.approx(row["longest_wait"], abs=5)
    # SPEC §4: 5 offered (the short abandon left out), 3 handled, 1 abandoned, 2 within 20 s.
    assert (tile.offered, tile.handled, tile.abandoned, tile.waiting) == (5, 3, 1, 1)


def test_the_tile_reads_as_a_supervisor_expects(client, busy_day):
    client.force_login(busy_day.supervisor_a)

    response = client.get(reverse("desk:wallboard"))

    tile = response.context["board"].tiles[0]
    html = response.content.decode()
    assert tile.service_level_text == "40%"  # 2 within 20 s of 5 offered
    assert tile.service_level_state == "bad"
    assert tile.goal_text == "goal 80% in 20 s"
    assert tile.abandonment_text == "20%"
    assert tile.wait_state == "bad"  # the caller has waited 40 s, past the 20 s threshold
    for text in ("40%", "goal 80% in 20 s", "Service level today", "Longest wait", "Abandonment rate"):
        assert text in html
    assert "sl-bad" in html


def test_agents_are_listed_by_status_with_reason_and_time_in_status(client, busy_day):
    client.force_login(busy_day.manager)

    agents = client.get(reverse("desk:wallboard")).context["board"].agents

    assert [(a.username, a.status) for a in agents] == [
        ("agent_b", "available"),
        ("agent_a", "busy"),
        ("supervisor_a", "break"),
    ]
    on_break = agents[2]
    assert (on_break.reason, on_break.reason_label, on_break.team) == ("lunch", "Lunch", "Team A")
    assert on_break.time_in_status_text in ("12:00", "12:01")


def test_the_board_partial_is_the_tiles_and_the_grid_alone(client, busy_day):
    client.force_login(busy_day.supervisor_a)

    response = client.get(reverse("desk:wallboard_board"), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and '<header class="topbar"' not in html
    assert 'class="wb-board wb-roomy"' in html and 'data-queue="Queue A"' in html and 'data-agent="agent_a"' in html
    assert 'data-queue="Queue B"' not in html


def test_a_supervisor_without_queues_sees_an_empty_board_not_an_error(client, org):
    lonely = AgentProfileFactory(user__username="lonely", role="supervisor", team=TeamFactory(name="Lonely")).user
    client.force_login(lonely)

    response = client.get(reverse("desk:wallboard"))

    assert response.status_code == 200
    assert response.context["board"].tiles == []
    assert "No queue to show" in response.content.decode()


def test_an_admin_who_is_available_is_listed(org):
    set_status(org.admin, Status.AVAILABLE)

    scope = socket_scope(user_id=org.manager.pk)

    assert "admin_user" in {profile.user.username for profile in wallboard_agents(scope=scope)}


def test_the_page_is_in_french_for_a_french_user(client, busy_day):
    client.force_login(busy_day.supervisor_a)

    html = client.get(reverse("desk:wallboard"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert '<html lang="fr" data-time-zone="Europe/Paris">' in html
    assert "Pause" in html and "Déjeuner" in html and "Occupé" in html  # statuses and reasons


def test_numbers_follow_the_language():
    with translation.override("fr"):
        assert format_percent(0.045, 1) in ("4,5%", "4,5\u202f%", "4,5 %", "4,5\xa0%")
    with translation.override("en"):
        assert format_percent(0.045, 1) == "4.5%"
        assert format_percent(0.8141) == "81%"
        assert format_percent(None) == "—"


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, "—"), (0, "0:00"), (9.9, "0:09"), (75, "1:15"), (3600, "1:00:00"), (-3, "0:00")]
)
def test_durations_count_in_minutes_and_seconds(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "english", "french"),
    [
        (20, "20 s", "20\u00a0s"),
        (90, "1 min 30 s", "1\u00a0min 30\u00a0s"),
        (300, "5 min", "5\u00a0min"),
        (5400, "1 h 30 min", "1\u00a0h 30\u00a0min"),
        (28800, "8 h", "8\u00a0h"),
        (3661, "1 h 1 min", "1\u00a0h 1\u00a0min"),
        (3605, "1 h 0 min 5 s", "1\u00a0h 0\u00a0min 5\u00a0s"),
        (172800, "2 d", "2\u00a0j"),
        (90000, "25 h", "25\u00a0h"),
    ],
)
def test_goals_spans_read_in_the_largest_units_that_say_them(seconds, english, french):
    from contactcenter.core.formats import format_span

    with translation.override("en"):
        assert format_span(seconds) == english
    with translation.override("fr"):
        assert format_span(seconds) == french


def test_an_email_queues_goal_reads_in_hours(org):
    from contactcenter.desk.wallboard import QueueTile

    fields = {name: None for name in QueueTile.__dataclass_fields__}
    tile = QueueTile(**{**fields, "service_level_target": 0.8, "service_level_seconds": 28800})
    with translation.override("en"):
        assert tile.goal_text == "goal 80% in 8 h"
    with translation.override("fr"):
        assert "en 8\u00a0h" in tile.goal_text and "28800" not in tile.goal_text


def test_the_service_level_is_ok_from_its_goal_on():
    assert service_level_state(0.8, 0.8) == "ok"
    assert service_level_state(0.79, 0.8) == "bad"
    assert service_level_state(None, 0.8) == "none"


# --- Cost ------------------------------------------------------------------------------------------


def _grow(org, *, queues: int, agents: int) -> None:
    team = org.team_a
    extra = [QueueFactory(name=f"Extra queue {n}") for n in range(queues)]
    for n in range(agents):
        serves = [extra[n % queues], extra[(n + 1) % queues]]
        profile = AgentProfileFactory(user__username=f"extra_{n}", team=team, queues=serves)
        set_status(profile.user, [Status.AVAILABLE, Status.BUSY, Status.BREAK][n % 3], reason="lunch" * (n % 3 == 2))
    for queue in extra:
        call_today(queue, wait=4, agent=org.agent_a)


@pytest.mark.parametrize("username", ["supervisor_a", "manager"])
def test_the_page_costs_the_same_few_queries_for_any_number_of_queues_and_agents(
    client, org, username, django_assert_max_num_queries
):
    user = getattr(org, username)
    client.force_login(user)
    set_status(org.agent_a, Status.BUSY)  # an agent on a contact: their contacts are read (one query)
    with django_assert_max_num_queries(10) as small:
        client.get(reverse("desk:wallboard"))
    _grow(org, queues=6, agents=12)

    with django_assert_max_num_queries(10) as large:
        response = client.get(reverse("desk:wallboard"))

    assert len(response.context["board"].tiles) >= 6
    assert len(response.context["board"].agents) >= 12
    assert len(large.captured_queries) == len(small.captured_queries), [q["sql"] for q in large.captured_queries]


def test_the_board_selector_reads_eight_queries_at_most(org, django_assert_max_num_queries):
    _grow(org, queues=4, agents=9)

    # The scope (4), the figures, the agents, the current contacts of those on one, the routed work.
    with django_assert_max_num_queries(8):
        board = wallboard_board(user=org.supervisor_a)

    assert len(board.agents) == 11  # agent A, supervisor A, the nine extra agents of team A
