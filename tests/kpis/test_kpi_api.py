"""SPEC §5: ``GET /api/v1/kpis/``: its shape, its defaults, a clear 400 naming each bad parameter,
every role within its scope, a bounded query count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.customers.factories import CustomerFactory
from tests.interactions.factories import InteractionFactory, SurveyResponseFactory
from tests.kpis.kpi_data import at, contact

pytestmark = pytest.mark.django_db

URL = reverse("kpis")
SPEC_FIELDS = [
    "key",
    "offered",
    "handled",
    "abandoned",
    "aht",
    "asa",
    "service_level",
    "abandonment_rate",
    "fcr",
    "csat",
    "nps",
    "ces",
    "sentiment",
    "sentiment_positive",
    "sentiment_negative",
    "occupancy",
]


@pytest.fixture(autouse=True)
def _paris(settings):
    settings.TIME_ZONE = "Europe/Paris"


@pytest.fixture
def manager(org, api_client_for):
    return api_client_for(org.manager)


@pytest.fixture
def calls(org):
    """The smoke check's call (handle time 360 s) for agent A, and one for agent B."""
    mine = InteractionFactory(
        agent=org.agent_a,
        queue=org.queue_a,
        offered_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
        answered_at=datetime(2026, 1, 5, 9, 0, 10, tzinfo=UTC),
        ended_at=datetime(2026, 1, 5, 9, 5, 10, tzinfo=UTC),
        wrapup_ended_at=datetime(2026, 1, 5, 9, 6, 10, tzinfo=UTC),
        hold_seconds=20,
        sentiment=0.4,
    )
    SurveyResponseFactory(interaction=mine, kind="csat", score=5)
    contact(datetime(2026, 1, 6, 9, tzinfo=UTC), agent=org.agent_b, queue=org.queue_b, wait=30, talk=60)
    return mine


def test_a_report_grouped_by_agent(manager, calls):
    response = manager.get(URL, {"from": "2026-01-01", "to": "2026-02-01", "group_by": "agent"})

    assert response.status_code == 200, response.data
    body = response.json()
    assert {k: body[k] for k in ("from", "to", "group_by", "time_zone")} == {
        "from": "2026-01-01",
        "to": "2026-02-01",
        "group_by": "agent",
        "time_zone": "Europe/Paris",
    }
    assert [row["key"] for row in body["results"]] == ["agent_a", "agent_b"]
    row = body["results"][0]
    assert list(row)[: len(SPEC_FIELDS)] == SPEC_FIELDS
    assert {k: row[k] for k in SPEC_FIELDS} == {
        "key": "agent_a",
        "offered": 1,
        "handled": 1,
        "abandoned": 0,
        "aht": 360.0,
        "asa": 10.0,
        "service_level": 1.0,
        "abandonment_rate": 0.0,
        "fcr": 1.0,
        "csat": 1.0,
        "nps": None,
        "ces": None,
        "sentiment": 0.4,
        "sentiment_positive": 1.0,
        "sentiment_negative": 0.0,
        "occupancy": None,
    }
    assert body["results"][1]["service_level"] == 0.0  # waited 30 s for a 20 s goal
    assert "next" not in body  # not paginated


def test_without_grouping_one_row_keyed_null(manager, calls):
    body = manager.get(URL, {"from": "2026-01-01", "to": "2026-02-01"}).json()
    assert body["group_by"] is None
    assert [(row["key"], row["offered"], row["handled"]) for row in body["results"]] == [(None, 2, 2)]


@pytest.mark.parametrize(
    ("group_by", "keys"),
    [
        ("team", ["Team A", "Team B"]),
        ("queue", ["Queue A", "Queue B"]),
        ("channel", ["voice"]),
        ("day", ["2026-01-05", "2026-01-06"]),
        ("week", ["2026-01-05"]),
        ("month", ["2026-01"]),
    ],
)
def test_each_grouping(manager, calls, group_by, keys):
    body = manager.get(URL, {"from": "2026-01-05", "to": "2026-01-07", "group_by": group_by}).json()
    assert [row["key"] for row in body["results"]] == keys


def test_filters(manager, calls):
    def offered(**params):
        body = manager.get(URL, {"from": "2026-01-01", "to": "2026-02-01", **params}).json()
        return body["results"][0]["offered"]

    assert offered(agent="agent_b") == 1
    assert offered(team="Team A") == 1
    assert offered(queue="Queue B") == 1
    assert offered(channel="voice") == 2
    assert offered(channel="chat") == 0
    assert offered(agent="nobody-by-that-name") == 0
    assert offered(agent="", team="") == 2  # blank: no filter


@pytest.mark.parametrize(
    ("now", "month"),
    [
        # 00:30 in Paris on the 1st is still the 31st in UTC: the month is the local one.
        (datetime(2026, 1, 31, 23, 30, tzinfo=UTC), ("2026-02-01", "2026-03-01")),
        (datetime(2026, 12, 31, 22, 59, tzinfo=UTC), ("2026-12-01", "2027-01-01")),  # 23:59 on 31 December
    ],
)
def test_the_period_defaults_to_the_current_local_month(manager, now, month):
    with time_machine.travel(now):
        body = manager.get(URL).json()
    assert (body["from"], body["to"]) == month


def test_a_period_with_one_end_is_the_month_at_it(manager):
    assert manager.get(URL, {"from": "2026-01-15"}).json()["to"] == "2026-02-01"
    assert manager.get(URL, {"from": "2026-12-15"}).json()["to"] == "2027-01-01"
    assert manager.get(URL, {"to": "2026-03-01"}).json()["from"] == "2026-02-01"


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "2026-13-01", "to": "2026-02-01"}, "from", "wrong format"),
        ({"from": "2026-02-30", "to": "2026-03-01"}, "from", "wrong format"),
        ({"from": "yesterday", "to": "2026-02-01"}, "from", "wrong format"),
        ({"from": "2026-01-01T00:00:00+01:00", "to": "2026-02-01"}, "from", "wrong format"),
        ({"from": "2026-01-01", "to": "2026-1-32"}, "to", "wrong format"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "to", "must end after it starts"),
        ({"from": "2026-01-01", "to": "2026-01-01"}, "to", "must end after it starts"),
        ({"from": "2025-01-01", "to": "2026-01-03"}, "to", "366 days at most"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, "from", "Give a date from 1900-01-01"),
        ({"from": "9999-12-01"}, "from", "Give a date from 1900-01-01"),
        ({"group_by": "year"}, "group_by", "choose one of: agent, team, queue, channel, day, week, month"),
        ({"channel": "fax"}, "channel", "not a valid choice"),
        ({"agent": "x" * 151}, "agent", "150"),
    ],
)
def test_bad_parameters_answer_400_naming_the_field(manager, params, field, message):
    response = manager.get(URL, params)
    assert response.status_code == 400
    assert list(response.data) == [field]
    assert message in str(response.data[field][0])


def test_every_bad_parameter_is_named_at_once(manager):
    response = manager.get(URL, {"from": "nope", "group_by": "year", "channel": "fax"})
    assert response.status_code == 400
    assert set(response.data) == {"from", "group_by", "channel"}


def test_a_366_day_period_is_accepted(manager):
    assert manager.get(URL, {"from": "2024-01-01", "to": "2025-01-01"}).status_code == 200


def test_a_period_across_daylight_saving_by_day(manager, org):
    contact(datetime(2026, 3, 28, 23, 30, tzinfo=UTC), agent=org.agent_a, queue=org.queue_a, wait=5, talk=60)
    body = manager.get(URL, {"from": "2026-03-28", "to": "2026-03-31", "group_by": "day"}).json()
    assert [(row["key"], row["offered"]) for row in body["results"]] == [
        ("2026-03-28", 0),
        ("2026-03-29", 1),  # 00:30 local, the morning the clocks go forward
        ("2026-03-30", 0),
    ]


# --- Access ----------------------------------------------------------------------------------------


@pytest.fixture
def two_teams(org):
    contact(at(3, 9), agent=org.agent_a, queue=org.queue_a, wait=5, talk=60)
    contact(at(3, 10), agent=org.agent_b, queue=org.queue_b, wait=5, talk=60)
    contact(at(3, 11), queue=org.queue_a, ended_after=30)
    contact(at(3, 12), queue=org.queue_b, ended_after=30)


def keys_and_offered(client, **params):
    response = client.get(URL, {"from": "2026-03-02", "to": "2026-03-09", **params})
    assert response.status_code == 200, response.data
    return {row["key"]: row["offered"] for row in response.json()["results"]}


def test_each_role_sees_its_scope(org, api_client_for, two_teams):
    assert keys_and_offered(api_client_for(org.manager), group_by="agent") == {"agent_a": 1, "agent_b": 1, None: 2}
    assert keys_and_offered(api_client_for(org.admin), group_by="agent") == {"agent_a": 1, "agent_b": 1, None: 2}
    assert keys_and_offered(api_client_for(org.supervisor_a), group_by="agent") == {"agent_a": 1, None: 1}
    assert keys_and_offered(api_client_for(org.agent_a), group_by="agent") == {"agent_a": 1}
    assert keys_and_offered(api_client_for(org.agent_b), group_by="queue") == {"Queue B": 1}


def test_a_filter_outside_ones_scope_matches_nothing_as_an_unknown_name(org, api_client_for, two_teams):
    supervisor = api_client_for(org.supervisor_a)
    assert keys_and_offered(supervisor, agent="agent_b") == keys_and_offered(supervisor, agent="ghost") == {None: 0}
    assert keys_and_offered(api_client_for(org.agent_a), queue="Queue B") == {None: 0}


def test_anonymous_and_roleless_users_are_refused(org, api_client_for):
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code == 401
    assert api_client_for(org.nobody).get(URL).status_code == 403


@pytest.mark.parametrize("group_by", ["", "agent", "day"])
def test_the_query_count_does_not_depend_on_the_volume(org, api_client_for, group_by):
    client = api_client_for(org.supervisor_a)
    counts = []
    for volume in (1, 15):
        for minute in range(volume):
            InteractionFactory(
                agent=org.agent_a,
                queue=org.queue_a,
                customer=CustomerFactory(),
                offered_at=at(4, 9, minute) + timedelta(hours=volume),
            )
        with CaptureQueriesContext(connection) as captured:
            response = client.get(URL, {"from": "2026-03-02", "to": "2026-03-09", "group_by": group_by})
        assert response.status_code == 200
        counts.append(len(captured.captured_queries))
    # token + user's profile, then one query per KPI family (routing: the offers, the callbacks due;
    # the web chats; quality: the evaluations, the samples, the disputes, the score per criterion)
    assert counts[0] == counts[1] <= 14
