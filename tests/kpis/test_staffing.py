"""Erlang C staffing, SPEC §4: the example, the formula, the edges, the API's validation."""

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpis.staffing import erlang_c_service_level, required_agents


def erlang_c_by_factorials(agents: int, traffic: float) -> float:
    """P_wait straight from the textbook formula, to check the recurrence against."""
    top = traffic**agents / math.factorial(agents) * agents / (agents - traffic)
    bottom = sum(traffic**k / math.factorial(k) for k in range(agents)) + top
    return top / bottom


def test_the_spec_example():
    # 100 calls per 30 min, AHT 180 s, 80 % in 20 s → 14 agents; with 30 % shrinkage → 20.
    result = required_agents(calls=100, interval=1800, aht=180, target=0.8, threshold=20, shrinkage=0.3)
    assert (result.agents, result.scheduled) == (14, 20)
    assert result.traffic == 10
    assert result.occupancy == pytest.approx(10 / 14)


def test_the_answer_is_the_smallest_size_that_meets_the_goal():
    result = required_agents(calls=100, interval=1800, aht=180, target=0.8, threshold=20)
    expected = 1 - erlang_c_by_factorials(14, 10) * math.exp(-(14 - 10) * 20 / 180)
    assert result.service_level == pytest.approx(expected, rel=1e-12)
    below = 1 - erlang_c_by_factorials(13, 10) * math.exp(-(13 - 10) * 20 / 180)
    assert below < 0.8 <= result.service_level


def erlang_b(agents: int, traffic: float) -> float:
    value = 1.0
    for n in range(1, agents + 1):
        value = traffic * value / (n + traffic * value)
    return value


@given(
    traffic=st.floats(min_value=0.1, max_value=200),
    threshold=st.floats(min_value=0, max_value=120),
    aht=st.floats(min_value=10, max_value=1200),
    extra=st.integers(min_value=1, max_value=40),
)
def test_more_agents_never_lower_the_service_level(traffic, threshold, aht, extra):
    first = math.floor(traffic) + 1
    sizes = range(first, first + extra + 1)
    levels = [erlang_c_service_level(n, traffic, threshold, aht, erlang_b(n, traffic)) for n in sizes]
    assert all(later >= earlier - 1e-12 for earlier, later in itertools.pairwise(levels))
    assert all(-1e-12 <= level <= 1 + 1e-12 for level in levels)


def test_no_calls_need_no_agents():
    result = required_agents(calls=0, interval=1800, aht=180, target=0.8, threshold=20, shrinkage=0.3)
    assert (result.agents, result.scheduled, result.service_level, result.occupancy) == (0, 0, None, None)


def test_always_more_agents_than_the_traffic():
    # A tiny goal is met by any size above A: still N > A (an M/M/N queue needs it to be stable).
    result = required_agents(calls=100, interval=1800, aht=180, target=0.01, threshold=0)
    assert result.agents == 11


def test_large_traffic_stays_exact_where_factorials_overflow():
    result = required_agents(calls=20000, interval=1800, aht=300, target=0.9, threshold=15)
    assert result.traffic == pytest.approx(3333.33, rel=1e-5)
    assert result.agents > result.traffic and result.service_level >= 0.9


@pytest.mark.django_db
class TestApi:
    URL = "/api/v1/staffing/erlang/"

    def test_the_spec_example(self, org, api_client_for):
        response = api_client_for(org.manager).get(
            self.URL + "?calls=100&interval=1800&aht=180&target=0.8&threshold=20&shrinkage=0.3"
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["agents"], body["scheduled"]) == (14, 20)
        assert set(body) == {"agents", "scheduled", "service_level", "occupancy", "traffic"}

    def test_defaults_are_30_minutes_80_percent_in_20_seconds(self, org, api_client_for):
        body = api_client_for(org.supervisor_a).get(self.URL + "?calls=100&aht=180").json()
        assert (body["agents"], body["scheduled"]) == (14, 14)

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("calls=-1&aht=180", "calls"),
            ("calls=100&aht=0", "aht"),
            ("calls=100&aht=180&interval=0", "interval"),
            ("calls=100&aht=180&target=1", "target"),
            ("calls=100&aht=180&target=0", "target"),
            ("calls=100&aht=180&shrinkage=1", "shrinkage"),
            ("calls=ten&aht=180", "calls"),
            ("aht=180", "calls"),
            ("calls=10000000&aht=3600", "calls"),
        ],
    )
    def test_impossible_parameters_are_a_400_naming_the_field(self, org, api_client_for, query, field):
        response = api_client_for(org.manager).get(f"{self.URL}?{query}")
        assert response.status_code == 400
        assert field in response.json()

    def test_agents_may_not_plan_staffing(self, org, api_client_for):
        assert api_client_for(org.agent_a).get(self.URL + "?calls=1&aht=1").status_code == 403
