"""The desktop's call bar: the current call's clock (talking, on hold, the wrap-up countdown), what
the agent asked for after the call, and their own figures of the day by the KPI engine.

Calls come in through the real CTI intake (``cti_event_apply``) at a frozen instant, so that every
clock's first text is known to the second.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from contactcenter.agents.models import AgentProfile, Status
from contactcenter.agents.states import agent_state_request
from contactcenter.desk import selectors
from customers.services import customer_create
from interactions.cti import cti_event_apply
from interactions.models import Interaction
from kpis.definitions import KpiScope
from kpis.selectors import kpi_rows
from tests.interactions.factories import SurveyResponseFactory
from tests.kpis.kpi_data import contact

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
#: The instant of these tests: Wednesday 4 March 2026, 15:00 in Paris.
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=PARIS)
HTMX = {"HTTP_HX_REQUEST": "true"}
_calls = itertools.count()


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def center(org, now):
    """``org`` with agent A available since yesterday."""
    AgentProfile.objects.filter(user=org.agent_a).update(status=Status.AVAILABLE, status_since=now - timedelta(days=1))
    return org


@pytest.fixture
def agent_client(client, center):
    client.force_login(center.agent_a)
    return client


def call(center, *events: tuple[str, int]) -> Interaction:
    """The CTI events of one call to Queue A answered by agent A, each ``(event, seconds before now)``."""
    call_id = f"bar-{next(_calls)}"
    outcome = None
    for event, seconds_ago in events:
        outcome = cti_event_apply(
            event=event,
            call_id=call_id,
            timestamp=NOW - timedelta(seconds=seconds_ago),
            caller="+33 6 12 34 56 78",
            queue=center.queue_a,
            agent=center.agent_a if event != "call.offered" else None,
            by=center.manager,
        )
    return outcome.interaction


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds")


def bar_html(client) -> str:
    response = client.get(reverse("desk:callbar"), **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert match, f"#{element_id} not in the bar"
    return re.sub(r"\s+", " ", match.group(1)).strip()


# --- The clocks ----------------------------------------------------------------------------------


def test_without_a_call_the_bar_says_so(agent_client):
    html = bar_html(agent_client)
    assert text_of(html, "callbar-phase") == "No call"
    assert 'data-phase="idle"' in html and 'data-call=""' in html
    assert "data-count-from" not in html and "data-count-to" not in html


def test_a_call_on_counts_from_its_answer_by_the_servers_clock(agent_client, center):
    interaction = call(center, ("call.offered", 100), ("call.answered", 95))
    html = bar_html(agent_client)
    assert text_of(html, "callbar-phase") == "On the call"
    assert f'data-count-from="{iso(interaction.answered_at)}"' in html
    assert text_of(html, "callbar-talk") == "1:35"
    assert f'data-now="{iso(NOW)}"' in html and f'data-call="{interaction.pk}"' in html
    # Reloading the page shows the same clock: it counts from the answer, not from the page.
    page = agent_client.get(reverse("desk:desktop")).content.decode()
    assert f'data-count-from="{iso(interaction.answered_at)}"' in page
    assert text_of(page, "callbar-talk") == "1:35"


def test_past_an_hour_the_clock_reads_hours(agent_client, center):
    call(center, ("call.offered", 3725), ("call.answered", 3723))
    assert text_of(bar_html(agent_client), "callbar-talk") == "1:02:03"


def test_on_hold_the_bar_shows_the_hold_and_its_own_clock(agent_client, center):
    call(center, ("call.offered", 100), ("call.answered", 90), ("call.held", 70), ("call.resumed", 60))
    assert "callbar-hold" not in bar_html(agent_client)  # a hold that is over
    call_id = Interaction.objects.get().external_id
    cti_event_apply(
        event="call.held",
        call_id=call_id,
        timestamp=NOW - timedelta(seconds=20),
        agent=center.agent_a,
        queue=center.queue_a,
    )
    html = bar_html(agent_client)
    assert 'data-phase="on_hold"' in html
    assert 'id="callbar-hold"><strong>On hold</strong>' in html
    assert f'data-count-from="{iso(NOW - timedelta(seconds=20))}">0:20<' in html
    assert text_of(html, "callbar-talk") == "1:30"  # the call's clock runs on
    # The page draws the same bar from the call it shows (no query of its own).
    page = agent_client.get(reverse("desk:desktop")).content.decode()
    assert f'data-count-from="{iso(NOW - timedelta(seconds=20))}">0:20<' in page


def test_in_wrap_up_the_bar_counts_down_to_the_queues_limit(agent_client, center):
    center.queue_a.wrapup_limit_seconds = 120
    center.queue_a.save()
    interaction = call(center, ("call.offered", 100), ("call.answered", 90), ("call.ended", 30))
    html = bar_html(agent_client)
    assert text_of(html, "callbar-phase") == "Wrap-up"
    assert f'data-count-to="{iso(interaction.ended_at + timedelta(seconds=120))}"' in html
    assert text_of(html, "callbar-wrapup") == "1:30"
    # Past the limit (the job ends it within a minute) the countdown stays at 0:00.
    with time_machine.travel(NOW + timedelta(seconds=95), tick=False):
        assert text_of(bar_html(agent_client), "callbar-wrapup") == "0:00"


def test_a_countdown_rounds_up_so_that_it_starts_at_the_whole_limit(agent_client, center):
    center.queue_a.wrapup_limit_seconds = 60
    center.queue_a.save()
    call(center, ("call.offered", 100), ("call.answered", 90), ("call.ended", 0))
    with time_machine.travel(NOW + timedelta(milliseconds=400), tick=False):
        assert selectors.call_bar(user=center.agent_a).wrapup_seconds == pytest.approx(59.6)
        assert text_of(bar_html(agent_client), "callbar-wrapup") == "1:00"


def test_in_wrap_up_without_a_limit_the_bar_counts_the_time_spent(agent_client, center):
    interaction = call(center, ("call.offered", 100), ("call.answered", 90), ("call.ended", 45))
    html = bar_html(agent_client)
    assert "data-count-to" not in html
    assert f'data-count-from="{iso(interaction.ended_at)}"' in html
    assert text_of(html, "callbar-wrapup") == "0:45"


def test_a_ringing_agent_is_told(agent_client, center):
    cti_event_apply(
        event="call.offered",
        call_id="bar-ringing",
        timestamp=NOW - timedelta(seconds=5),
        queue=center.queue_a,
        agent=center.agent_a,
    )
    assert text_of(bar_html(agent_client), "callbar-phase") == "A call is ringing"


# --- What comes after the call -------------------------------------------------------------------------


def test_the_pending_state_shows_in_the_bar_in_english_and_french(agent_client, center):
    call(center, ("call.offered", 100), ("call.answered", 90))
    profile = AgentProfile.objects.get(user=center.agent_a)
    agent_state_request(profile=profile, status="break", reason="lunch", by=center.agent_a)
    assert text_of(bar_html(agent_client), "callbar-pending") == "Break after this call (Lunch)"
    agent_client.cookies["django_language"] = "fr"
    html = bar_html(agent_client)
    assert text_of(html, "callbar-pending") == "Pause après cet appel (Déjeuner)"
    assert text_of(html, "callbar-phase") == "En communication"
    agent_state_request(profile=AgentProfile.objects.get(user=center.agent_a), status="offline", by=center.agent_a)
    agent_client.cookies["django_language"] = "en"
    assert text_of(bar_html(agent_client), "callbar-pending") == "Offline after this call"


# --- The agent's figures of the day ---------------------------------------------------------------


def paris(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 4, hour, minute, tzinfo=PARIS)


@pytest.fixture
def day_of_calls(center):
    """Agent A's day (4 March, Paris), each call's handle time known, one repeat, three surveys;
    around it, what must not count: agent B's call, agent A's calls of the day before."""
    anne = customer_create(first_name="Anne", last_name="Martin", phones=["06 11 11 11 11"])
    paul = customer_create(first_name="Paul", last_name="Durand", phones=["06 22 22 22 22"])
    a, b = center.agent_a, center.agent_b
    # Just after local midnight (still 3 March in UTC): today's.
    first = contact(paris(0, 30), agent=a, queue=center.queue_a, customer=anne, wait=10, talk=120, hold=20, acw=30)
    second = contact(paris(9), agent=a, queue=center.queue_a, customer=paul, wait=5, talk=200, acw=50)
    third = contact(paris(11), agent=a, queue=center.queue_a, wait=5, talk=60, acw=0)  # unknown caller
    contact(paris(12), agent=b, queue=center.queue_a, customer=paul, wait=5, talk=30, acw=10)  # Paul calls again
    # Not agent A's day: B's call above, and A's call late on 3 March.
    contact(datetime(2026, 3, 3, 23, 50, tzinfo=PARIS), agent=a, queue=center.queue_a, wait=5, talk=999, acw=0)
    SurveyResponseFactory(interaction=first, kind="csat", score=5)
    SurveyResponseFactory(interaction=second, kind="csat", score=2)
    SurveyResponseFactory(interaction=third, kind="csat", score=4)
    return center


def test_the_figures_are_the_agents_own_for_the_local_day_by_the_kpi_engine(day_of_calls):
    row = selectors.my_figures_today(user=day_of_calls.agent_a)
    assert row.handled == 3
    assert row.aht == pytest.approx((150 + 250 + 60) / 3)  # talk + hold + after-call work
    assert row.fcr == pytest.approx(1 / 2)  # Anne's call resolved, Paul called again
    assert row.csat == pytest.approx(2 / 3)
    # The reports' figures for the agent and the day, the same formulas.
    today = NOW.date()
    report = kpi_rows(scope=KpiScope(everything=True), start=today, end=today + timedelta(days=1), group_by="agent")
    agent_row = next(r for r in report if r.key == "agent_a")
    assert (row.handled, row.aht, row.fcr, row.csat) == (
        agent_row.handled,
        agent_row.aht,
        agent_row.fcr,
        agent_row.csat,
    )
    assert row.occupancy is None  # not shown: not read


def test_the_figures_fragment_shows_them_rounded(agent_client, day_of_calls):
    response = agent_client.get(reverse("desk:callbar_figures"), **HTMX)
    html = response.content.decode()
    assert 'data-day="2026-03-04"' in html
    assert [text_of(html, f"my-{name}") for name in ("handled", "aht", "fcr", "csat")] == ["3", "2:33", "50%", "67%"]
    agent_client.cookies["django_language"] = "fr"
    html = agent_client.get(reverse("desk:callbar_figures"), **HTMX).content.decode()
    assert "Mes chiffres du jour" in html and ">DMT<" in html
    assert text_of(html, "my-fcr") in ("50\u202f%", "50\xa0%", "50 %")


def test_a_day_without_calls_shows_dashes_for_the_rates(agent_client, center):
    html = agent_client.get(reverse("desk:callbar_figures"), **HTMX).content.decode()
    assert [text_of(html, f"my-{name}") for name in ("handled", "aht", "fcr", "csat")] == ["0", "—", "—", "—"]


def test_the_page_loads_the_figures_after_itself(agent_client, center):
    page = agent_client.get(reverse("desk:desktop")).content.decode()
    assert f'hx-get="{reverse("desk:callbar_figures")}" hx-trigger="load, figures-changed from:body' in page
    assert text_of(page, "my-handled") == "…"


def test_the_bar_and_its_figures_need_a_signed_in_user(client, center):
    for name in ("callbar", "callbar_figures"):
        response = client.get(reverse(f"desk:{name}"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("desk:login"))


def test_the_bar_is_asked_again_on_the_live_events_that_change_it(agent_client):
    page = agent_client.get(reverse("desk:desktop")).content.decode()
    triggers = re.search(r'id="callbar-now"[^>]*hx-trigger="([^"]+)"', page).group(1)
    assert triggers == "status-changed from:body, call-changed from:body, call-logged from:body, resync from:body"
