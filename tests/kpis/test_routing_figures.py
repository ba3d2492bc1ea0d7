"""Routing figures in the KPI engine (docs/kpis.md "Routing figures"): offers, accepts, declines,
timeouts and withdrawals per agent, team, queue, channel and local day; the accept rate; the mean and
90th percentile time to accept; exact numbers from a constructed set of offers, the user's scope,
the filters, null over an empty denominator, the drill-down, the API and a fixed query count."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contactcenter.distribution.models import OfferOutcome, WorkItem, WorkKind, WorkOffer, WorkState
from kpis.definitions import KpiFilters, KpiScope, scope_for
from kpis.routing_figures import OFFER_FIGURES, drilldown_offers
from kpis.selectors import kpi_rows

pytestmark = pytest.mark.django_db

JANUARY = (date(2026, 1, 1), date(2026, 2, 1))


@pytest.fixture(autouse=True)
def _paris(settings):
    settings.TIME_ZONE = "Europe/Paris"


def offer(agent, queue, kind, at: datetime, outcome: str, seconds: float | None = None) -> WorkOffer:
    """One offer of a new item of ``kind`` in ``queue`` to ``agent`` at ``at``, ended ``seconds``
    later with ``outcome`` (still open when ``outcome`` is empty)."""
    item = WorkItem.objects.create(kind=kind, queue=queue, arrived_at=at - timedelta(seconds=5), state=WorkState.DONE)
    answered = at + timedelta(seconds=seconds) if outcome else None
    return WorkOffer.objects.create(
        item=item,
        agent=agent,
        rule="longest_idle",
        offered_at=at,
        expires_at=at + timedelta(seconds=30),
        outcome=outcome,
        answered_at=answered,
    )


@pytest.fixture
def offers(org):
    """Agent A (Team A, Queue A): on 5 January (Paris) 10 chats accepted after 1, 2, …, 10 s, 2
    tickets declined, a chat timed out and one withdrawn; a callback accepted after 20 s at 00:10 on
    1 January (23:10 UTC on 31 December), a chat still open on 6 January, and a chat accepted after
    100 s at 00:30 on 1 February (after the period). Agent B (Team B, Queue B), 5 January: an email
    declined, a chat timed out, a chat accepted after 3.5 s."""
    a, b, qa, qb = org.agent_a, org.agent_b, org.queue_a, org.queue_b
    morning = datetime(2026, 1, 5, 9, tzinfo=UTC)
    for n in range(1, 11):
        offer(a, qa, WorkKind.CHAT, morning + timedelta(minutes=n), OfferOutcome.ACCEPTED, n)
    offer(a, qa, WorkKind.TICKET, morning + timedelta(hours=1), OfferOutcome.DECLINED, 1)
    offer(a, qa, WorkKind.TICKET, morning + timedelta(hours=2), OfferOutcome.DECLINED, 2)
    offer(a, qa, WorkKind.CHAT, morning + timedelta(hours=3), OfferOutcome.TIMED_OUT, 30)
    offer(a, qa, WorkKind.CHAT, morning + timedelta(hours=4), OfferOutcome.WITHDRAWN, 3)
    offer(a, qa, WorkKind.CALLBACK, datetime(2025, 12, 31, 23, 10, tzinfo=UTC), OfferOutcome.ACCEPTED, 20)
    offer(a, qa, WorkKind.CHAT, datetime(2026, 1, 6, 10, tzinfo=UTC), OfferOutcome.OPEN)
    offer(a, qa, WorkKind.CHAT, datetime(2026, 1, 31, 23, 30, tzinfo=UTC), OfferOutcome.ACCEPTED, 100)
    offer(b, qb, WorkKind.EMAIL, morning, OfferOutcome.DECLINED, 4)
    offer(b, qb, WorkKind.CHAT, morning + timedelta(minutes=1), OfferOutcome.TIMED_OUT, 30)
    offer(b, qb, WorkKind.CHAT, morning + timedelta(minutes=2), OfferOutcome.ACCEPTED, 3.5)


def figures(row) -> dict:
    return {
        "offers": row.offers,
        "accepted": row.offers_accepted,
        "declined": row.offers_declined,
        "timed_out": row.offers_timed_out,
        "withdrawn": row.offers_withdrawn,
        "open": row.offers_open,
        "accept_rate": row.accept_rate,
        "time_to_accept": row.time_to_accept,
        "p90": row.time_to_accept_p90,
        "accept_seconds": row.accept_seconds,
    }


AGENT_A = {
    "offers": 16,
    "accepted": 11,
    "declined": 2,
    "timed_out": 1,
    "withdrawn": 1,
    "open": 1,
    "accept_rate": 11 / 15,
    "time_to_accept": 75 / 11,
    # 11 times 1, 2, …, 10, 20: the nearest rank of 90 % is the 10th (⌈9.9⌉), 10 s.
    "p90": 10.0,
    "accept_seconds": 75.0,
}
AGENT_B = {
    "offers": 3,
    "accepted": 1,
    "declined": 1,
    "timed_out": 1,
    "withdrawn": 0,
    "open": 0,
    "accept_rate": 1 / 3,
    "time_to_accept": 3.5,
    "p90": 3.5,
    "accept_seconds": 3.5,
}
NOTHING = {
    "offers": 0,
    "accepted": 0,
    "declined": 0,
    "timed_out": 0,
    "withdrawn": 0,
    "open": 0,
    "accept_rate": None,
    "time_to_accept": None,
    "p90": None,
    "accept_seconds": 0.0,
}


def rows(group_by=None, scope=None, filters=None, period=JANUARY):
    start, end = period
    found = kpi_rows(
        scope=scope or KpiScope(everything=True),
        start=start,
        end=end,
        group_by=group_by,
        filters=filters,
        routing=True,
    )
    return {row.key: figures(row) for row in found}


def test_the_whole_period(offers):
    # 19 offers in January: 12 accepted (1…10, 20 and 3.5 s), 3 declined, 2 timed out, 1 withdrawn, 1 open.
    total = rows()[None]
    assert total == {
        "offers": 19,
        "accepted": 12,
        "declined": 3,
        "timed_out": 2,
        "withdrawn": 1,
        "open": 1,
        "accept_rate": 12 / 18,
        "time_to_accept": pytest.approx(78.5 / 12, abs=1e-9),
        # Sorted: 1, 2, 3, 3.5, 4, …, 10, 20; ⌈0.9 × 12⌉ = 11th: 10 s.
        "p90": 10.0,
        "accept_seconds": pytest.approx(78.5, abs=1e-9),
    }


def test_per_agent_and_per_team(offers, org):
    by_agent = rows("agent")
    assert by_agent["agent_a"] == {**AGENT_A, "time_to_accept": pytest.approx(75 / 11, abs=1e-9)}
    assert by_agent["agent_b"] == AGENT_B
    by_team = rows("team")
    assert by_team["Team A"]["offers"] == 16 and by_team["Team A"]["p90"] == 10.0
    assert by_team["Team B"] == AGENT_B


def test_per_queue_and_per_channel(offers):
    by_queue = rows("queue")
    assert by_queue["Queue A"]["offers"] == 16 and by_queue["Queue A"]["accepted"] == 11
    assert by_queue["Queue B"] == AGENT_B
    by_channel = rows("channel")
    # Chats: A's 10 accepted, 1 timed out, 1 withdrawn, 1 open; B's timed out and accepted (3.5 s).
    chat = by_channel["chat"]
    assert (chat["offers"], chat["accepted"], chat["timed_out"], chat["withdrawn"], chat["open"]) == (15, 11, 2, 1, 1)
    assert chat["accept_rate"] == 11 / 14
    # 1, 2, 3, 3.5, 4, …, 10: ⌈9.9⌉ = 10th: 9 s.
    assert chat["p90"] == 9.0
    # Tickets and emails are written work: the email channel.
    assert by_channel["email"] == {**NOTHING, "offers": 3, "declined": 3, "accept_rate": 0.0}
    # A callback is a call.
    assert by_channel["voice"] == {
        **NOTHING,
        "offers": 1,
        "accepted": 1,
        "accept_rate": 1.0,
        "time_to_accept": 20.0,
        "p90": 20.0,
        "accept_seconds": 20.0,
    }


def test_per_local_day(offers):
    by_day = rows("day")
    assert len(by_day) == 31
    # 00:10 in Paris on 1 January is 23:10 UTC on 31 December: a 1 January offer.
    assert by_day["2026-01-01"]["offers"] == 1 and by_day["2026-01-01"]["p90"] == 20.0
    assert by_day["2026-01-05"]["offers"] == 17
    assert by_day["2026-01-05"]["p90"] == 9.0  # 1, 2, 3, 3.5, 4 … 10: the 10th of 11
    assert by_day["2026-01-06"] == {**NOTHING, "offers": 1, "open": 1, "accept_rate": 0.0}
    assert by_day["2026-01-02"] == NOTHING
    # 00:30 in Paris on 1 February belongs to February.
    february = rows(period=(date(2026, 2, 1), date(2026, 3, 1)))[None]
    assert february["offers"] == 1 and february["time_to_accept"] == 100.0


def test_no_offer_gives_null_rates_not_zero(offers):
    assert rows(period=(date(2026, 3, 1), date(2026, 4, 1)))[None] == NOTHING


def test_only_withdrawn_offers_have_no_accept_rate(org):
    offer(org.agent_a, org.queue_a, WorkKind.CHAT, datetime(2026, 1, 5, 9, tzinfo=UTC), OfferOutcome.WITHDRAWN, 2)
    assert rows()[None] == {**NOTHING, "offers": 1, "withdrawn": 1}


def test_left_out_unless_asked(offers):
    row = kpi_rows(scope=KpiScope(everything=True), start=JANUARY[0], end=JANUARY[1])[0]
    assert figures(row) == dict.fromkeys(NOTHING)


def test_scopes_and_filters(offers, org):
    assert rows(scope=scope_for(org.supervisor_a))[None] == {
        **AGENT_A,
        "time_to_accept": pytest.approx(75 / 11, abs=1e-9),
    }
    assert rows(scope=scope_for(org.agent_b))[None] == AGENT_B
    assert rows(filters=KpiFilters(queue="Queue B"))[None] == AGENT_B
    assert rows(filters=KpiFilters(team="Team B"))[None] == AGENT_B
    assert rows(filters=KpiFilters(agent="agent_b", channel="email"))[None]["declined"] == 1
    assert rows(filters=KpiFilters(channel="voice"))[None]["offers"] == 1
    # A channel no work uses, a queue nobody knows: nothing.
    assert rows(filters=KpiFilters(channel="sms"))[None] == NOTHING
    assert rows(filters=KpiFilters(queue="Nowhere"))[None] == NOTHING


@pytest.mark.parametrize("group_by", [None, "agent", "team", "queue", "channel", "day", "week", "month"])
def test_the_drilldown_lists_exactly_the_offers_counted(offers, org, group_by):
    scope = KpiScope(everything=True)
    for key, values in rows(group_by).items():
        for figure in OFFER_FIGURES:
            listed = drilldown_offers(
                scope=scope, start=JANUARY[0], end=JANUARY[1], figure=figure, group_by=group_by, key=key
            )
            name = {"offers": "offers"}.get(figure, figure.removeprefix("offers_"))
            assert listed.count() == values[name], (group_by, key, figure)


def test_two_queries_more_whatever_the_offers(org, django_assert_num_queries):
    scope = KpiScope(everything=True)
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    for volume in (1, 30):
        for n in range(volume):
            offer(org.agent_a, org.queue_a, WorkKind.CHAT, at + timedelta(minutes=n), OfferOutcome.ACCEPTED, n % 7)
        for group_by in (None, "agent", "channel", "day"):
            with CaptureQueriesContext(connection) as without:
                kpi_rows(scope=scope, start=JANUARY[0], end=JANUARY[1], group_by=group_by)
            # The offers, the callbacks due (kept on time: tests/kpis/test_callback_figures.py), the web
            # chats (bot containment: tests/chat/test_records.py).
            with django_assert_num_queries(len(without.captured_queries) + 3):
                kpi_rows(scope=scope, start=JANUARY[0], end=JANUARY[1], group_by=group_by, routing=True)


def test_the_api_carries_the_routing_figures(offers, org, api_client_for):
    response = api_client_for(org.manager).get(
        reverse("kpis"), {"from": "2026-01-01", "to": "2026-02-01", "group_by": "agent"}
    )
    assert response.status_code == 200
    by_key = {row["key"]: row for row in response.json()["results"]}
    b = by_key["agent_b"]
    assert {name: b[name] for name in ("offers", "offers_accepted", "offers_declined", "offers_timed_out")} == {
        "offers": 3,
        "offers_accepted": 1,
        "offers_declined": 1,
        "offers_timed_out": 1,
    }
    assert b["offers_withdrawn"] == 0 and b["offers_open"] == 0
    assert b["accept_rate"] == 1 / 3 and b["time_to_accept"] == 3.5 and b["time_to_accept_p90"] == 3.5
    assert b["accept_seconds"] == 3.5
    assert by_key["agent_a"]["time_to_accept_p90"] == 10.0
    # An agent reads their own offers only.
    mine = api_client_for(org.agent_b).get(reverse("kpis"), {"from": "2026-01-01", "to": "2026-02-01"})
    assert mine.json()["results"][0]["offers"] == 3
    nothing = api_client_for(org.manager).get(reverse("kpis"), {"from": "2026-03-01", "to": "2026-04-01"})
    row = nothing.json()["results"][0]
    assert row["offers"] == 0 and row["accept_rate"] is None and row["time_to_accept"] is None
    assert row["time_to_accept_p90"] is None


def test_the_performance_report_shows_and_exports_them_and_drills_down_to_the_offers(offers, org, client):
    client.force_login(org.manager)
    params = {"start": "2026-01-01", "end": "2026-01-31", "group_by": "agent"}
    page = client.get(reverse("admin:kpis-report", args=["performance"]), params)
    assert page.status_code == 200
    assert "Time to accept, 90th percentile (s)" in page.text
    exported = client.get(reverse("admin:kpis-report", args=["performance"]), {**params, "export": "csv"})
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    header, rows_ = lines[0], {line[-1]: line for line in lines[1:]}
    assert rows_["agent_b"][header.index("Offers")] == "3"
    assert rows_["agent_b"][header.index("Accept rate (%)")] == "33.3"
    assert rows_["agent_a"][header.index("Time to accept, 90th percentile (s)")] == "10.0"
    link = re.search(r'href="([^"]*/reports/performance/offers/[^"]*key=agent_b[^"]*)"', page.text)
    assert link is not None
    listed = client.get(link.group(1).replace("&amp;", "&"))
    assert listed.status_code == 200
    assert "3 offers, " in listed.text
    declined = client.get(
        reverse("admin:kpis-report-offers", args=["performance"]),
        {**params, "figure": "offers_declined", "key": "agent_a"},
    )
    assert "2 offers, " in declined.text and declined.text.count("Declined") >= 2
    bad = client.get(reverse("admin:kpis-report-offers", args=["performance"]), {**params, "figure": "handled"})
    assert bad.status_code == 404
    # An agent is not staff: the admin sends them to its login page.
    client.force_login(org.agent_a)
    assert client.get(link.group(1).replace("&amp;", "&")).status_code == 302


def test_offers_to_an_agent_in_no_team_are_the_null_team_row(offers, org):
    offer(org.manager, org.queue_a, WorkKind.CHAT, datetime(2026, 1, 7, 9, tzinfo=UTC), OfferOutcome.DECLINED, 2)
    by_team = rows("team")
    assert by_team[None] == {**NOTHING, "offers": 1, "declined": 1, "accept_rate": 0.0}
    assert list(by_team)[-1] is None
    listed = drilldown_offers(
        scope=KpiScope(everything=True), start=JANUARY[0], end=JANUARY[1], figure="offers", group_by="team", key=None
    )
    assert [o.agent for o in listed] == [org.manager]
