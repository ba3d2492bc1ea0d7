"""The staffing forecast (issue #8, SPEC §4 Staffing): history averages by weekday and half hour
worked out by hand, daylight-saving days, the what-ifs, one query, and ``staffing/forecast/``."""

from __future__ import annotations

import math
from datetime import UTC, date

import pytest
from django.urls import reverse

from contactcenter.agents.models import Queue
from kpis.forecast import DEFAULT_AHT_SECONDS, ForecastError, queue_forecast
from kpis.staffing import required_agents
from tests.agents.factories import QueueFactory, UserFactory
from tests.kpis.kpi_data import at, contact

pytestmark = pytest.mark.django_db

URL = reverse("staffing-forecast")
#: Wednesday 18 March 2026; history: Wednesdays 25 February, 4 and 11 March (18 February empty).
DAY = date(2026, 3, 18)


@pytest.fixture
def history():
    queue = QueueFactory(name="Sales", service_level_target=0.8, service_level_seconds=20)
    other = QueueFactory(name="Other")
    agent = UserFactory(username="forecaster")
    # 25 February, 09:00–09:30: four offered, two handled (120 s and 240 s), two abandoned.
    contact(at(25, 9, 0, month=2), agent=agent, queue=queue, wait=5, talk=100, acw=20)
    contact(at(25, 9, 10, month=2), agent=agent, queue=queue, wait=5, talk=240)
    contact(at(25, 9, 20, month=2), queue=queue, ended_after=60)
    contact(at(25, 9, 29, 59, month=2), queue=queue, ended_after=60)
    # 4 March, 09:00–09:30: two handled, 180 s each; not counted: a short abandon, an IVR
    # self-service contact, another queue, an outbound call, another weekday, 09:30.
    contact(at(4, 9, 5), agent=agent, queue=queue, wait=10, talk=180)
    contact(at(4, 9, 15), agent=agent, queue=queue, wait=10, talk=180)
    contact(at(4, 9, 16), queue=queue, ended_after=2)
    contact(at(4, 9, 17), queue=queue, channel="ivr", ended_after=60)
    contact(at(4, 9, 18), agent=agent, queue=other, wait=1, talk=10)
    contact(at(5, 9, 18), agent=agent, queue=queue, wait=1, talk=10)
    # 11 March: nothing at 09:00; 10:00 one handled (300 s); 11:00 one abandoned.
    contact(at(11, 10, 0), agent=agent, queue=queue, wait=3, talk=300)
    contact(at(11, 11, 10), queue=queue, ended_after=30)
    return queue


def _by_start(forecast):
    return {f"{i.local_start:%H:%M}": i for i in forecast.intervals}


def test_calls_are_the_mean_of_the_same_weekday_and_half_hour(history):
    forecast = queue_forecast(queue=history, day=DAY, weeks=3)
    intervals = _by_start(forecast)
    assert len(forecast.intervals) == 48
    assert forecast.history_days == [date(2026, 2, 25), date(2026, 3, 4), date(2026, 3, 11)]
    assert intervals["09:00"].calls == pytest.approx((4 + 2 + 0) / 3)
    assert intervals["10:00"].calls == pytest.approx(1 / 3)
    assert intervals["11:00"].calls == pytest.approx(1 / 3)
    assert intervals["09:30"].calls == 0 and intervals["08:30"].calls == 0
    assert forecast.totals.calls == pytest.approx(8 / 3)


def test_a_history_day_without_any_call_is_left_out(history):
    # 18 February (the 4th week back) has no call at all: the mean stays over three days.
    forecast = queue_forecast(queue=history, day=DAY, weeks=4)
    assert date(2026, 2, 18) not in forecast.history_days
    assert _by_start(forecast)["09:00"].calls == pytest.approx(2)
    assert queue_forecast(queue=history, day=date(2026, 2, 18), weeks=1).totals.calls == 0


def test_aht_per_half_hour_else_the_days_else_the_default(history):
    intervals = _by_start(queue_forecast(queue=history, day=DAY, weeks=3))
    assert intervals["09:00"].aht == pytest.approx((120 + 240 + 180 + 180) / 4)
    assert intervals["10:00"].aht == pytest.approx(300)
    # No handled call at 11:00: the AHT of the history days, all half hours.
    assert intervals["11:00"].aht == pytest.approx((120 + 240 + 180 + 180 + 300) / 5)
    empty = QueueFactory(name="Empty")
    assert queue_forecast(queue=empty, day=DAY).intervals[0].aht == DEFAULT_AHT_SECONDS


def test_agents_by_erlang_c_for_the_queues_goal(history):
    nine = _by_start(queue_forecast(queue=history, day=DAY, weeks=3))["09:00"]
    expected = required_agents(calls=2, interval=1800, aht=180, target=0.8, threshold=20)
    assert (nine.agents, nine.scheduled) == (expected.agents, expected.scheduled)
    assert nine.service_level == pytest.approx(expected.service_level)
    assert nine.occupancy == pytest.approx(expected.occupancy)
    assert nine.agents >= 1
    quiet = _by_start(queue_forecast(queue=history, day=DAY, weeks=3))["03:00"]
    assert (quiet.agents, quiet.scheduled, quiet.service_level) == (0, 0, None)
    # A stricter goal of the queue needs at least as many agents.
    history.service_level_target, history.service_level_seconds = 0.95, 5
    history.save()
    strict = _by_start(queue_forecast(queue=history, day=DAY, weeks=3))["09:00"]
    assert strict.agents == required_agents(calls=2, interval=1800, aht=180, target=0.95, threshold=5).agents


def test_what_if_aht_and_shrinkage(history):
    forecast = queue_forecast(queue=history, day=DAY, weeks=3, aht=900, shrinkage=0.3)
    nine = _by_start(forecast)["09:00"]
    expected = required_agents(calls=2, interval=1800, aht=900, target=0.8, threshold=20, shrinkage=0.3)
    assert nine.aht == 900 and _by_start(forecast)["11:00"].aht == 900
    assert (nine.agents, nine.scheduled) == (expected.agents, expected.scheduled)
    assert nine.scheduled == math.ceil(nine.agents / 0.7 - 1e-9)
    base = _by_start(queue_forecast(queue=history, day=DAY, weeks=3))["09:00"]
    assert nine.agents > base.agents
    goal = _by_start(queue_forecast(queue=history, day=DAY, weeks=3, target=0.5, threshold=60))["09:00"]
    assert goal.agents == required_agents(calls=2, interval=1800, aht=180, target=0.5, threshold=60).agents


def test_totals(history):
    forecast = queue_forecast(queue=history, day=DAY, weeks=3, shrinkage=0.5)
    totals = forecast.totals
    assert totals.agent_hours == pytest.approx(sum(i.agents for i in forecast.intervals) / 2)
    assert totals.scheduled_hours == pytest.approx(sum(i.scheduled for i in forecast.intervals) / 2)
    assert totals.peak_scheduled == max(i.scheduled for i in forecast.intervals)
    assert totals.aht == pytest.approx(sum(i.calls * i.aht for i in forecast.intervals) / (8 / 3))


def test_one_query_whatever_the_history(history, django_assert_num_queries):
    with django_assert_num_queries(1):
        queue_forecast(queue=history, day=DAY, weeks=52)


def test_a_spring_day_has_46_half_hours_an_autumn_day_50(db):
    queue = QueueFactory(name="Sales")
    spring = queue_forecast(queue=queue, day=date(2026, 3, 29))
    autumn = queue_forecast(queue=queue, day=date(2026, 10, 25))
    assert len(spring.intervals) == 46 and len(autumn.intervals) == 50
    starts = [f"{i.local_start:%H:%M}" for i in spring.intervals]
    assert starts[3:5] == ["01:30", "03:00"]
    assert [f"{i.local_start:%H:%M}" for i in autumn.intervals][4:8] == ["02:00", "02:30", "02:00", "02:30"]
    assert all((i.end - i.start).total_seconds() == 1800 for i in spring.intervals + autumn.intervals)


def test_daylight_saving_history_counts_per_occurrence(db):
    queue = QueueFactory(name="Sales")
    agent = UserFactory(username="night")
    # Sunday 25 October 2026: 02:10 happens twice (+02:00, then +01:00); two calls each time.
    first, second = at(25, 2, 10, month=10), at(25, 2, 10, month=10).replace(fold=1).astimezone(UTC)
    assert (second.astimezone(UTC) - first.astimezone(UTC)).total_seconds() == 3600
    for moment in (first, first, second, second):
        contact(moment, queue=queue, agent=agent, wait=1, talk=60)
    # The next Sunday: each occurrence of 02:00 had two calls.
    after = _by_start(queue_forecast(queue=queue, day=date(2026, 11, 1), weeks=1))
    assert after["02:00"].calls == pytest.approx(2)
    # On the autumn day itself, both 02:00 intervals look up a normal Sunday's 02:00.
    contact(at(18, 2, 10, month=10), queue=queue, wait=1, talk=60)
    contact(at(18, 2, 20, month=10), queue=queue, wait=1, talk=60)
    autumn = queue_forecast(queue=queue, day=date(2026, 10, 25), weeks=1)
    twos = [i.calls for i in autumn.intervals if f"{i.local_start:%H:%M}" == "02:00"]
    assert twos == [pytest.approx(2), pytest.approx(2)]
    # A spring history day has no 02:00: the next Sunday's 02:00 has no history, not a zero mean.
    contact(at(29, 1, 10), queue=queue, wait=1, talk=60)
    spring_after = _by_start(queue_forecast(queue=queue, day=date(2026, 4, 5), weeks=1))
    assert spring_after["01:00"].calls == pytest.approx(1) and spring_after["02:00"].calls == 0


def test_impossible_arguments_name_each_field(db):
    queue = QueueFactory(name="Sales")
    with pytest.raises(ForecastError) as error:
        queue_forecast(queue=queue, day=DAY, weeks=0, aht=0, shrinkage=1, target=1, threshold=-1)
    assert set(error.value.errors) == {"weeks", "aht", "shrinkage", "target", "threshold"}


# --- The API ---------------------------------------------------------------------------------------


def test_the_api_gives_every_half_hour(history, org, api_client_for):
    # A supervisor forecasts the queues their team serves.
    org.supervisor_a.agent_profile.queues.add(Queue.objects.get(name="Sales"))
    response = api_client_for(org.supervisor_a).get(URL, {"queue": "Sales", "date": "2026-03-18", "weeks": 3})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["queue"], body["date"], body["time_zone"], body["weeks"]) == (
        "Sales",
        "2026-03-18",
        "Europe/Paris",
        3,
    )
    assert len(body["intervals"]) == 48
    nine = body["intervals"][18]
    assert nine["start"] == "2026-03-18T09:00:00+01:00" and nine["end"] == "2026-03-18T09:30:00+01:00"
    assert nine["calls"] == pytest.approx(2) and nine["aht"] == pytest.approx(180)
    expected = required_agents(calls=2, interval=1800, aht=180, target=0.8, threshold=20)
    assert (nine["agents"], nine["scheduled"]) == (expected.agents, expected.scheduled)
    assert set(nine) == {"start", "end", "calls", "aht", "agents", "scheduled", "service_level", "occupancy"}
    assert body["totals"]["calls"] == pytest.approx(8 / 3)
    assert body["history_days"] == ["2026-02-25", "2026-03-04", "2026-03-11"]


def test_the_api_what_if(history, org, api_client_for):
    params = {"queue": "Sales", "date": "2026-03-18", "weeks": 3, "aht": 900, "shrinkage": 0.3}
    nine = api_client_for(org.manager).get(URL, params).json()["intervals"][18]
    expected = required_agents(calls=2, interval=1800, aht=900, target=0.8, threshold=20, shrinkage=0.3)
    assert (nine["aht"], nine["agents"], nine["scheduled"]) == (900, expected.agents, expected.scheduled)


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({}, {"queue", "date"}),
        ({"queue": "Nope", "date": "2026-03-18"}, {"queue"}),
        ({"queue": "Sales", "date": "18/03/2026"}, {"date"}),
        ({"queue": "Sales", "date": "2026-02-30"}, {"date"}),
        ({"queue": "Sales", "date": "0001-01-01"}, {"date"}),
        ({"queue": "Sales", "date": "2026-03-18", "weeks": 0}, {"weeks"}),
        ({"queue": "Sales", "date": "2026-03-18", "weeks": 53}, {"weeks"}),
        ({"queue": "Sales", "date": "2026-03-18", "weeks": "six"}, {"weeks"}),
        ({"queue": "Sales", "date": "2026-03-18", "aht": 0}, {"aht"}),
        ({"queue": "Sales", "date": "2026-03-18", "aht": -5}, {"aht"}),
        ({"queue": "Sales", "date": "2026-03-18", "aht": "nan"}, {"aht"}),
        ({"queue": "Sales", "date": "2026-03-18", "shrinkage": 1}, {"shrinkage"}),
        ({"queue": "Sales", "date": "2026-03-18", "shrinkage": -0.1}, {"shrinkage"}),
        ({"queue": "Sales", "date": "2026-03-18", "target": 1}, {"target"}),
        ({"queue": "Sales", "date": "2026-03-18", "threshold": -1}, {"threshold"}),
        ({"queue": "Sales", "date": "2026-03-18", "weeks": 3, "aht": 1e12}, {"aht"}),
        ({"queue": "Nope", "date": "bad", "weeks": 99, "shrinkage": 2}, {"queue", "date", "weeks", "shrinkage"}),
    ],
)
def test_the_api_names_each_bad_parameter(history, org, api_client_for, params, fields):
    response = api_client_for(org.manager).get(URL, params)
    assert response.status_code == 400
    assert set(response.json()) == fields


def test_agents_may_not_plan_staffing(history, org, api_client_for):
    response = api_client_for(org.agent_a).get(URL, {"queue": "Sales", "date": "2026-03-18"})
    assert response.status_code == 403


def test_the_api_costs_a_fixed_number_of_queries(history, org, api_client_for, django_assert_max_num_queries):
    client = api_client_for(org.manager)
    with django_assert_max_num_queries(5):
        assert client.get(URL, {"queue": "Sales", "date": "2026-03-18", "weeks": 52}).status_code == 200
