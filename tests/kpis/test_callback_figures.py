"""Callbacks kept on time in the KPI engine (docs/kpis.md "Callbacks kept on time"): the callbacks
due in the period (local days of ``due_at``), cancelled ones left out, tried, kept on time, missed,
and the on-time rate, per agent who promised them, team, queue, channel and local day; exact numbers
from a constructed set, the user's scope, the filters, null when none is due, the drill-down to
exactly the callbacks counted, the API, the report and its export, a fixed query count."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contactcenter.distribution.models import Callback, CallbackState
from kpis.definitions import KpiFilters, KpiScope, scope_for
from kpis.routing_figures import CALLBACK_COUNTS, drilldown_callbacks
from kpis.selectors import kpi_rows

pytestmark = pytest.mark.django_db

JANUARY = (date(2026, 1, 1), date(2026, 2, 1))
S, W, D, M, C = (
    CallbackState.SCHEDULED,
    CallbackState.WAITING,
    CallbackState.DONE,
    CallbackState.MISSED,
    CallbackState.CANCELLED,
)


@pytest.fixture(autouse=True)
def _paris(settings):
    settings.TIME_ZONE = "Europe/Paris"


def callback(promised_by, queue, due: datetime, state: str, after: float | None = None, kept: bool | None = None):
    """A callback due at ``due`` in ``state``, first tried ``after`` minutes after its due time
    (never when ``None``) and then ``kept`` on time or not."""
    first = due + timedelta(minutes=after) if after is not None else None
    return Callback.objects.create(
        phone="+33170000002",
        due_at=due,
        next_attempt_at=due,
        queue=queue,
        promised_by=promised_by,
        state=state,
        attempts=1 if first else 0,
        first_attempt_at=first,
        kept_on_time=kept,
        closed_at=first if state in (D, M) else None,
    )


@pytest.fixture
def callbacks(org):
    """Agent A (Team A, Queue A), 5 January (Paris): done on time, done late, missed after an
    on-time first try, missed after a late one, cancelled untried, cancelled after an on-time try;
    due at midnight on 1 January (23:00 UTC on 31 December) and waiting, untried; due at 23:45 on
    31 January, done on time; due at midnight on 1 February (after the period), scheduled. Agent B
    (Team B, Queue B), 6 January: done on time, tried late and scheduled again. Nobody's (its
    promiser gone), Queue B, 7 January: done on time."""
    a, b, qa, qb = org.agent_a, org.agent_b, org.queue_a, org.queue_b
    day5 = datetime(2026, 1, 5, 9, tzinfo=UTC)
    callback(a, qa, day5, D, 5, True)
    callback(a, qa, day5 + timedelta(hours=1), D, 30, False)
    callback(a, qa, day5 + timedelta(hours=2), M, 2, True)
    callback(a, qa, day5 + timedelta(hours=3), M, 60, False)
    callback(a, qa, day5 + timedelta(hours=4), C)
    callback(a, qa, day5 + timedelta(hours=5), C, 1, True)
    callback(a, qa, datetime(2025, 12, 31, 23, tzinfo=UTC), W)
    callback(a, qa, datetime(2026, 1, 31, 22, 45, tzinfo=UTC), D, 0, True)
    callback(a, qa, datetime(2026, 1, 31, 23, tzinfo=UTC), S)
    day6 = datetime(2026, 1, 6, 9, tzinfo=UTC)
    callback(b, qb, day6, D, 15, True)
    callback(b, qb, day6 + timedelta(hours=1), S, 16, False)
    callback(None, qb, datetime(2026, 1, 7, 9, tzinfo=UTC), D, 1, True)


def figures(row) -> dict:
    return {
        "due": row.callbacks_due,
        "tried": row.callbacks_tried,
        "kept": row.callbacks_kept_on_time,
        "missed": row.callbacks_missed,
        "rate": row.callbacks_on_time_rate,
    }


AGENT_A = {"due": 6, "tried": 5, "kept": 3, "missed": 2, "rate": 0.5}
AGENT_B = {"due": 2, "tried": 2, "kept": 1, "missed": 0, "rate": 0.5}
QUEUE_B = {"due": 3, "tried": 3, "kept": 2, "missed": 0, "rate": 2 / 3}
NOBODY = {"due": 1, "tried": 1, "kept": 1, "missed": 0, "rate": 1.0}
ALL = {"due": 9, "tried": 8, "kept": 5, "missed": 2, "rate": 5 / 9}
NOTHING = {"due": 0, "tried": 0, "kept": 0, "missed": 0, "rate": None}


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


def test_the_whole_period(callbacks):
    # 12 callbacks: 2 cancelled and 1 due in February left out; of the 9, 8 tried (the waiting
    # one is not), 5 kept on time, 2 missed.
    assert rows()[None] == ALL


def test_per_agent_and_per_team(callbacks):
    assert rows("agent") == {"agent_a": AGENT_A, "agent_b": AGENT_B, None: NOBODY}
    assert rows("team") == {"Team A": AGENT_A, "Team B": AGENT_B, None: NOBODY}


def test_per_queue_and_per_channel(callbacks):
    assert rows("queue") == {"Queue A": AGENT_A, "Queue B": QUEUE_B}
    # A callback is a call; no other channel has a row (there is no interaction).
    assert rows("channel") == {"voice": ALL}


def test_per_local_day_and_the_boundaries(callbacks):
    by_day = rows("day")
    assert len(by_day) == 31
    # Due at midnight in Paris on 1 January (23:00 UTC the day before): a 1 January callback, not
    # tried yet, so not kept on time (yet): the rate is 0, not null.
    assert by_day["2026-01-01"] == {"due": 1, "tried": 0, "kept": 0, "missed": 0, "rate": 0.0}
    assert by_day["2026-01-05"] == {"due": 4, "tried": 4, "kept": 2, "missed": 2, "rate": 0.5}
    assert by_day["2026-01-06"] == AGENT_B
    assert by_day["2026-01-31"] == {"due": 1, "tried": 1, "kept": 1, "missed": 0, "rate": 1.0}
    assert by_day["2026-01-02"] == NOTHING
    # Due at midnight in Paris on 1 February belongs to February.
    assert rows(period=(date(2026, 2, 1), date(2026, 3, 1)))[None] == {**NOTHING, "due": 1, "rate": 0.0}
    assert rows("month")["2026-01"] == ALL


def test_none_due_gives_a_null_rate_not_zero(callbacks, org):
    assert rows(period=(date(2026, 3, 1), date(2026, 4, 1)))[None] == NOTHING
    # Only cancelled callbacks: none due.
    callback(org.agent_a, org.queue_a, datetime(2026, 3, 2, 9, tzinfo=UTC), C, 1, True)
    assert rows(period=(date(2026, 3, 1), date(2026, 4, 1)))[None] == NOTHING


def test_left_out_unless_asked(callbacks):
    row = kpi_rows(scope=KpiScope(everything=True), start=JANUARY[0], end=JANUARY[1])[0]
    assert figures(row) == dict.fromkeys(NOTHING)


def test_scopes_and_filters(callbacks, org):
    # A supervisor: the callbacks their team's agents and they promised; an agent: their own.
    assert rows(scope=scope_for(org.supervisor_a))[None] == AGENT_A
    assert rows(scope=scope_for(org.agent_b))[None] == AGENT_B
    assert rows(filters=KpiFilters(queue="Queue B"))[None] == QUEUE_B
    assert rows(filters=KpiFilters(team="Team B"))[None] == AGENT_B
    assert rows(filters=KpiFilters(agent="agent_a"))[None] == AGENT_A
    assert rows(filters=KpiFilters(channel="voice"))[None] == ALL
    assert rows(filters=KpiFilters(channel="chat"))[None] == NOTHING
    assert rows(filters=KpiFilters(queue="Nowhere"))[None] == NOTHING


@pytest.mark.parametrize("group_by", [None, "agent", "team", "queue", "channel", "day", "week", "month"])
def test_the_drilldown_lists_exactly_the_callbacks_counted(callbacks, group_by):
    scope = KpiScope(everything=True)
    names = {"callbacks_due": "due", "callbacks_tried": "tried", "callbacks_kept_on_time": "kept"}
    checked = 0
    for key, values in rows(group_by).items():
        for figure in CALLBACK_COUNTS:
            listed = drilldown_callbacks(
                scope=scope, start=JANUARY[0], end=JANUARY[1], figure=figure, group_by=group_by, key=key
            )
            assert listed.count() == values[names.get(figure, "missed")], (group_by, key, figure)
            checked += listed.count()
    assert checked == 9 + 8 + 5 + 2


def test_one_query_more_whatever_the_callbacks(org):
    scope = KpiScope(everything=True)
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    counts = []
    for volume in (1, 30):
        for n in range(volume):
            callback(org.agent_a, org.queue_a, at + timedelta(minutes=n), D, n % 20, n % 20 <= 15)
        for group_by in (None, "agent", "channel", "day"):
            with CaptureQueriesContext(connection) as without:
                kpi_rows(scope=scope, start=JANUARY[0], end=JANUARY[1], group_by=group_by)
            with CaptureQueriesContext(connection) as with_routing:
                kpi_rows(scope=scope, start=JANUARY[0], end=JANUARY[1], group_by=group_by, routing=True)
            # The offers, then the callbacks, then the web chats: one aggregate query each.
            assert len(with_routing.captured_queries) == len(without.captured_queries) + 3
            on_callbacks = [q["sql"] for q in with_routing.captured_queries if '"routing_callback"' in q["sql"]]
            assert len(on_callbacks) == 1, on_callbacks
            counts.append(len(with_routing.captured_queries))
    assert counts[:4] == counts[4:]


def test_the_api_carries_the_callback_figures(callbacks, org, api_client_for):
    response = api_client_for(org.manager).get(
        reverse("kpis"), {"from": "2026-01-01", "to": "2026-02-01", "group_by": "agent"}
    )
    assert response.status_code == 200
    by_key = {row["key"]: row for row in response.json()["results"]}
    names = ("callbacks_due", "callbacks_tried", "callbacks_kept_on_time", "callbacks_missed", "callbacks_on_time_rate")
    assert {name: by_key["agent_a"][name] for name in names} == dict(zip(names, (6, 5, 3, 2, 0.5), strict=True))
    assert by_key[None]["callbacks_due"] == 1
    mine = api_client_for(org.agent_b).get(reverse("kpis"), {"from": "2026-01-01", "to": "2026-02-01"})
    assert mine.json()["results"][0]["callbacks_due"] == 2
    nothing = api_client_for(org.manager).get(reverse("kpis"), {"from": "2026-03-01", "to": "2026-04-01"})
    row = nothing.json()["results"][0]
    assert row["callbacks_due"] == 0 and row["callbacks_on_time_rate"] is None


def test_the_performance_report_shows_and_exports_them_and_drills_down_to_the_callbacks(callbacks, org, client):
    client.force_login(org.manager)
    params = {"start": "2026-01-01", "end": "2026-01-31", "group_by": "agent"}
    page = client.get(reverse("admin:kpis-report", args=["performance"]), params)
    assert page.status_code == 200
    assert "Callbacks on time rate" in page.text
    assert "cancelled ones are left out" in page.text
    exported = client.get(reverse("admin:kpis-report", args=["performance"]), {**params, "export": "csv"})
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    header, rows_ = lines[0], {line[-1]: line for line in lines[1:]}
    assert rows_["agent_a"][header.index("Callbacks due")] == "6"
    assert rows_["agent_a"][header.index("Callbacks missed")] == "2"
    assert rows_["agent_a"][header.index("Callbacks on time rate (%)")] == "50.0"
    assert rows_["agent_b"][header.index("Callbacks on time rate (exact)")] == "0.5"
    link = re.search(
        r'href="([^"]*/reports/performance/callbacks/[^"]*figure=callbacks_kept_on_time[^"]*key=agent_a[^"]*)"',
        page.text,
    )
    assert link is not None
    listed = client.get(link.group(1).replace("&amp;", "&"))
    assert listed.status_code == 200
    assert "3 callbacks, due " in listed.text
    missed = client.get(
        reverse("admin:kpis-report-callbacks", args=["performance"]),
        {**params, "figure": "callbacks_missed", "key": "agent_a"},
    )
    assert "2 callbacks, due " in missed.text and missed.text.count("Missed") >= 2
    bad = client.get(reverse("admin:kpis-report-callbacks", args=["performance"]), {**params, "figure": "offers"})
    assert bad.status_code == 404
    # An agent is not staff: the admin sends them to its login page.
    client.force_login(org.agent_a)
    assert client.get(link.group(1).replace("&amp;", "&")).status_code == 302


def test_the_report_speaks_french(callbacks, org, client):
    client.force_login(org.manager)
    params = {"start": "2026-01-01", "end": "2026-01-31", "group_by": "agent"}
    page = client.get(reverse("admin:kpis-report", args=["performance"]), params, HTTP_ACCEPT_LANGUAGE="fr")
    assert "Taux de rappels à l’heure" in page.text and "Rappels manqués" in page.text
    listed = client.get(
        reverse("admin:kpis-report-callbacks", args=["performance"]),
        {**params, "figure": "callbacks_due", "key": "agent_b"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert "2 rappels, prévus du " in listed.text and "Non, en retard" in listed.text
