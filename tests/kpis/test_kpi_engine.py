"""SPEC §4: the KPI engine (``kpis.selectors``) against hand-computed values on small crafted data
sets, its edge cases, its SQL against ``interactions.durations``' Python, its scopes and its
query count. Runs on SQLite and on PostgreSQL (``DATABASE_URL``)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from contactcenter.agents.models import PresenceInterval
from interactions import durations
from interactions.models import Interaction
from kpis.definitions import GROUPS, KpiFilters, KpiScope, period_bounds, scope_for, time_buckets
from kpis.selectors import kpi_report, kpi_rows
from tests.agents.factories import QueueFactory
from tests.customers.factories import CustomerFactory
from tests.hypothesis_profiles import examples
from tests.interactions.factories import SurveyResponseFactory
from tests.kpis.kpi_data import END, START, at, contact, presence

pytestmark = pytest.mark.django_db

EVERYTHING = KpiScope(everything=True)
#: The rates and means of SPEC §5's row, after ``key`` and the three counts.
RATES = ("aht", "asa", "service_level", "abandonment_rate", "fcr", "csat", "nps", "ces")
RATES += ("sentiment", "sentiment_positive", "sentiment_negative", "occupancy")


@pytest.fixture(autouse=True)
def _paris(settings):
    settings.TIME_ZONE = "Europe/Paris"
    settings.SHORT_ABANDON_SECONDS = 5
    settings.FCR_WINDOW_DAYS = 7


def report(group_by=None, start=START, end=END, scope=EVERYTHING, now=None, **filters):
    rows = kpi_rows(
        scope=scope, start=start, end=end, group_by=group_by, filters=KpiFilters(**filters), now=now or at(9, 1)
    )
    return {row.key: row for row in rows}


def only(rows):
    assert list(rows) == [None]
    return rows[None]


# --- Volumes, times, service level, sentiment ----------------------------------------------------


@pytest.fixture
def day_of_calls(org):
    """Twelve contacts of Tuesday 3 March, each SPEC §4 case once (and two outside the period)."""
    fast = QueueFactory(name="Fast", service_level_seconds=10)
    a, b, qa = org.agent_a, org.agent_b, org.queue_a
    t = at(3, 10)
    m = timedelta(minutes=1)
    contact(t, agent=a, queue=qa, wait=10, talk=300, hold=20, acw=60, sentiment=0.5)  # handle 360
    contact(t + m, agent=a, queue=qa, wait=20, talk=100, sentiment=0.05)  # at the threshold; handle 100
    contact(t + 2 * m, agent=b, queue=qa, wait=21, talk=200, acw=30, sentiment=-0.3)  # late; handle 230
    contact(t + 3 * m, queue=qa, ended_after=30, sentiment=-0.05)  # abandoned
    contact(t + 4 * m, queue=qa, ended_after=4.999999)  # short abandon
    contact(t + 5 * m, queue=qa, ended_after=5)  # exactly 5 s: not short, abandoned
    contact(t + 6 * m, agent=a, wait=0, talk=120, direction="outbound")  # handled, not offered
    contact(t + 7 * m, ended_after=60, channel="ivr")  # self-service: not offered
    contact(t + 8 * m, agent=a, wait=15, talk=50, channel="chat")  # no queue: threshold 20
    contact(t + 9 * m, queue=qa)  # still waiting: offered, not abandoned
    contact(t + 10 * m, agent=b, queue=fast, wait=15, talk=100)  # threshold 10: late
    contact(t + 11 * m, agent=a, queue=qa, wait=5)  # answered, not over: no handle time yet
    contact(at(2) - timedelta(microseconds=1), agent=a, queue=qa, wait=1, talk=1)  # before the period
    contact(at(9), agent=a, queue=qa, wait=1, talk=1)  # `to` is excluded


def test_every_volume_and_time_kpi_by_hand(day_of_calls):
    row = only(report())

    assert (row.offered, row.handled, row.abandoned, row.short_abandons) == (9, 7, 2, 1)
    assert row.answered_in_threshold == 4  # waits 10, 20 (= threshold), 15 (no queue), 5
    assert row.service_level == 4 / 9
    assert row.abandonment_rate == 2 / 9
    assert (row.handled_ended, row.handle_seconds) == (6, 960)
    assert row.aht == 160  # (360 + 100 + 230 + 120 + 50 + 100) / 6
    assert (row.handled_inbound, row.wait_seconds) == (6, 86)
    assert row.asa == 86 / 6  # (10 + 20 + 21 + 15 + 15 + 5) / 6
    assert row.sentiment_scored == 4
    assert row.sentiment == pytest.approx(0.05)  # (0.5 + 0.05 − 0.3 − 0.05) / 4
    assert (row.sentiment_positive, row.sentiment_negative) == (0.25, 0.25)  # ±0.05 is neutral
    assert (row.fcr, row.csat, row.nps, row.ces, row.occupancy) == (None, None, None, None, None)


def test_grouped_by_agent_team_queue_and_channel(day_of_calls):
    by_agent = report("agent")
    assert list(by_agent) == ["agent_a", "agent_b", None]
    a, b, nobody = by_agent["agent_a"], by_agent["agent_b"], by_agent[None]
    assert (a.offered, a.handled, a.service_level, a.aht, a.asa) == (4, 5, 1.0, 157.5, 12.5)
    assert (b.offered, b.handled, b.service_level, b.aht, b.asa) == (2, 2, 0.0, 165.0, 18.0)
    assert (nobody.offered, nobody.handled, nobody.abandoned, nobody.short_abandons) == (3, 0, 2, 1)
    assert (nobody.service_level, nobody.abandonment_rate, nobody.aht) == (0.0, 2 / 3, None)

    by_team = report("team")
    assert list(by_team) == ["Team A", "Team B", None]
    assert [by_team[k].offered for k in by_team] == [4, 2, 3]

    by_queue = report("queue")
    assert list(by_queue) == ["Fast", "Queue A", None]
    assert (by_queue["Queue A"].offered, by_queue["Queue A"].answered_in_threshold) == (7, 3)
    assert by_queue["Queue A"].service_level == 3 / 7
    assert (by_queue["Fast"].offered, by_queue["Fast"].service_level) == (1, 0.0)
    assert (by_queue[None].offered, by_queue[None].handled, by_queue[None].service_level) == (1, 2, 1.0)

    by_channel = report("channel")
    assert list(by_channel) == ["chat", "ivr", "voice"]
    assert [by_channel[k].offered for k in by_channel] == [1, 0, 8]
    assert by_channel["ivr"].service_level is None  # nothing offered: null, not 0


def test_filters_narrow_the_interactions(day_of_calls):
    assert only(report(agent="agent_b")).offered == 2
    assert only(report(team="Team A")).handled == 5
    assert only(report(queue="Fast")).offered == 1
    assert only(report(channel="chat")).offered == 1
    assert only(report(queue="Queue A", agent="agent_a")).offered == 3
    assert only(report(agent="nobody-by-that-name")).offered == 0


def test_an_empty_period_has_one_row_of_zeros_and_null_rates(org):
    row = only(report())
    assert (row.offered, row.handled, row.abandoned) == (0, 0, 0)
    assert all(getattr(row, name) is None for name in RATES)
    assert report("agent") == {}
    assert list(report("day")) == [f"2026-03-0{d}" for d in range(2, 9)]


def test_all_short_abandons_offer_nothing(org):
    for minute in range(3):
        contact(at(4, 9, minute), queue=org.queue_a, ended_after=minute + 2)
    row = only(report())
    assert (row.short_abandons, row.offered, row.abandoned) == (3, 0, 0)
    assert (row.service_level, row.abandonment_rate) == (None, None)


def test_short_abandon_threshold_is_the_setting(org, settings):
    contact(at(4, 9), queue=org.queue_a, ended_after=7)
    assert (only(report()).offered, only(report()).abandoned) == (1, 1)
    settings.SHORT_ABANDON_SECONDS = 10
    assert (only(report()).offered, only(report()).short_abandons) == (0, 1)


def test_wait_exactly_at_the_threshold_counts_and_a_microsecond_more_does_not(org):
    contact(at(4, 9), agent=org.agent_a, queue=org.queue_a, wait=20, talk=60)
    contact(at(4, 10), agent=org.agent_a, queue=org.queue_a, wait=20.000001, talk=60)
    row = only(report())
    assert (row.offered, row.answered_in_threshold, row.service_level) == (2, 1, 0.5)


# --- First-contact resolution --------------------------------------------------------------------


def test_fcr_repeat_contacts_by_hand(org):
    a, b, qa = org.agent_a, org.agent_b, org.queue_a
    x, y, z, w, v, u = (CustomerFactory() for _ in range(6))
    day = timedelta(days=1)
    seven_days = timedelta(days=7)

    t = at(3, 10)
    contact(t, agent=a, queue=qa, customer=x, wait=5, talk=60)
    contact(t + seven_days, queue=qa, customer=x, ended_after=30)  # exactly at the edge, after the period: repeat
    t = at(3, 11)
    contact(t, agent=a, queue=qa, customer=y, wait=5, talk=60)
    contact(t + seven_days + timedelta(microseconds=1), queue=qa, customer=y, ended_after=30)  # just past it
    t = at(4, 9)
    contact(t, agent=a, queue=qa, customer=z, wait=5, talk=60)
    contact(t + timedelta(hours=1), queue=qa, customer=z, ended_after=2)  # short abandon: not a repeat
    contact(t + timedelta(hours=2), agent=a, customer=z, wait=1, talk=60, direction="outbound")  # ours, not theirs
    t = at(4, 10)
    contact(t, agent=a, queue=qa, customer=w, wait=5, talk=60)
    contact(t + timedelta(hours=1), customer=w, ended_after=60, channel="ivr")  # IVR counts as a repeat
    t = at(5, 10)
    contact(t, agent=a, queue=qa, customer=v, wait=5, talk=60)
    contact(t + day, agent=b, queue=org.queue_b, customer=v, wait=5, talk=60, channel="email")  # anyone's
    contact(at(28, 11, month=2), agent=a, queue=qa, customer=u, wait=5, talk=60)  # before the period
    contact(at(2, 11), agent=a, queue=qa, customer=u, wait=5, talk=60)  # an earlier contact is no repeat
    contact(at(6, 9), agent=a, queue=qa, customer=None, wait=5, talk=60)  # no customer: not counted
    contact(at(6, 10), agent=a, customer=u, wait=5, talk=60, direction="outbound")  # outbound: not counted
    contact(at(6, 11), queue=qa, customer=CustomerFactory(), ended_after=60)  # abandoned: not counted

    row = only(report())
    assert (row.fcr_contacts, row.fcr_repeats) == (7, 3)  # x, w and v came back
    assert row.fcr == 4 / 7
    by_agent = report("agent")
    assert (by_agent["agent_a"].fcr_contacts, by_agent["agent_a"].fcr) == (6, 0.5)
    assert by_agent["agent_b"].fcr == 1.0
    # Repeats are looked for in all data, whoever handled them: agent A's own figures say the same.
    mine = only(report(scope=KpiScope(user_id=a.pk)))
    assert (mine.fcr_contacts, mine.fcr_repeats) == (6, 3)


def test_fcr_window_is_the_setting(org, settings):
    customer = CustomerFactory()
    contact(at(3, 10), agent=org.agent_a, queue=org.queue_a, customer=customer, wait=5, talk=60)
    contact(at(5, 10), queue=org.queue_a, customer=customer, ended_after=30)
    assert only(report()).fcr == 0.0
    settings.FCR_WINDOW_DAYS = 1
    assert only(report()).fcr == 1.0


# --- Surveys ---------------------------------------------------------------------------------------


def test_csat_nps_ces_by_hand(org):
    scores = [(5, 10, 7), (4, 9, 4), (3, 7, 5), (1, 3, None)]
    for hour, (csat, nps, ces) in enumerate(scores, start=9):
        interaction = contact(at(4, hour), agent=org.agent_a, queue=org.queue_a, wait=5, talk=60)
        SurveyResponseFactory(interaction=interaction, kind="csat", score=csat)
        SurveyResponseFactory(interaction=interaction, kind="nps", score=nps)
        if ces is not None:
            SurveyResponseFactory(interaction=interaction, kind="ces", score=ces)
    theirs = contact(at(5, 9), agent=org.agent_b, queue=org.queue_b, wait=5, talk=60)
    SurveyResponseFactory(interaction=theirs, kind="csat", score=2)
    # A survey counts with its interaction: this one's is in February, out of the period.
    february = contact(at(27, 9, month=2), agent=org.agent_a, queue=org.queue_a, wait=5, talk=60)
    SurveyResponseFactory(interaction=february, kind="csat", score=1)
    SurveyResponseFactory(interaction=february, kind="nps", score=0)

    row = only(report())
    assert (row.csat_responses, row.nps_responses, row.ces_responses) == (5, 4, 3)
    assert row.csat == 2 / 5
    assert row.nps == 25.0  # 50 % promoters − 25 % detractors
    assert row.ces == 16 / 3
    by_agent = report("agent")
    assert (by_agent["agent_a"].csat, by_agent["agent_a"].nps) == (0.5, 25.0)
    assert (by_agent["agent_b"].csat, by_agent["agent_b"].nps, by_agent["agent_b"].ces) == (0.0, None, None)
    assert only(report(channel="chat")).csat is None


def test_surveys_whose_interactions_are_outside_the_period_do_not_count(org):
    february = contact(at(27, 9, month=2), agent=org.agent_a, queue=org.queue_a, wait=5, talk=60)
    SurveyResponseFactory(interaction=february, kind="csat", score=5)
    row = only(report())
    assert (row.csat_responses, row.csat, row.nps, row.ces) == (0, None, None, None)
    assert only(report(start=date(2026, 2, 27), end=date(2026, 2, 28))).csat == 1.0


def test_only_passives_make_an_nps_of_zero_not_null(org):
    for hour, score in enumerate((7, 8), start=9):
        interaction = contact(at(4, hour), agent=org.agent_a, queue=org.queue_a, wait=5, talk=60)
        SurveyResponseFactory(interaction=interaction, kind="nps", score=score)
    assert only(report()).nps == 0.0


# --- Occupancy -------------------------------------------------------------------------------------


@pytest.fixture
def presence_week(org):
    a, b = org.agent_a, org.agent_b
    presence(a, "available", at(3, 8), at(3, 9))  # 3600
    presence(a, "busy", at(3, 9), at(3, 9, 30))  # 1800
    presence(a, "wrap_up", at(3, 9, 30), at(3, 9, 40))  # 600
    presence(a, "break", at(3, 9, 40), at(3, 10))  # not staffed
    presence(a, "offline", at(3, 10), at(8, 23))
    presence(a, "available", at(8, 23), None)  # still open: counts up to the period's end, 3600
    presence(b, "busy", at(1, 23), at(2, 1))  # clipped to the period: 3600
    presence(b, "available", at(2, 1), at(2, 2))  # 3600


def test_occupancy_by_hand(presence_week, org):
    row = only(report(now=at(9, 0, 30)))
    assert (row.occupied_seconds, row.staffed_seconds) == (6000, 16800)
    assert row.occupancy == 6000 / 16800
    by_agent = report("agent", now=at(9, 0, 30))
    assert (by_agent["agent_a"].occupancy, by_agent["agent_b"].occupancy) == (0.25, 0.5)
    by_team = report("team", now=at(9, 0, 30))
    assert (by_team["Team A"].occupancy, by_team["Team B"].occupancy) == (0.25, 0.5)
    by_day = report("day", now=at(9, 0, 30))
    assert [by_day[key].occupancy for key in by_day] == [0.5, 0.4, None, None, None, None, 0.0]
    assert only(report(agent="agent_b", now=at(9, 0, 30))).occupancy == 0.5
    assert only(report(team="Team A", now=at(9, 0, 30))).occupancy == 0.25


def test_a_report_without_occupancy_reads_no_presence_and_keeps_every_other_figure(
    presence_week, org, django_assert_num_queries
):
    contact(at(3, 9), agent=org.agent_a, queue=org.queue_a, wait=5, talk=60, acw=10)
    full = only(report(now=at(9, 0, 30)))
    with django_assert_num_queries(5):  # rollup days, volume, the repeat flags' state, FCR, surveys
        without = kpi_rows(scope=EVERYTHING, start=START, end=END, now=at(9, 0, 30), occupancy=False)[0]
    assert (without.occupancy, without.occupied_seconds, without.staffed_seconds) == (None, None, None)
    assert full.occupancy is not None
    assert {**without.as_dict(), "occupancy": None, "occupied_seconds": None, "staffed_seconds": None} == {
        **full.as_dict(),
        "occupancy": None,
        "occupied_seconds": None,
        "staffed_seconds": None,
    }


def test_an_open_interval_counts_up_to_now(presence_week, org):
    presence(org.agent_b, "busy", at(3, 10), None)
    row = only(report(agent="agent_b", now=at(3, 10, 20)))
    assert (row.occupied_seconds, row.staffed_seconds) == (3600 + 1200, 7200 + 1200)


def test_an_interval_across_several_days_is_spread_over_them(org):
    presence(org.agent_a, "available", at(3, 20), at(6, 4))
    by_day = report("day")
    assert {key: row.staffed_seconds for key, row in by_day.items()} == {
        "2026-03-02": 0.0,
        "2026-03-03": 4 * 3600,
        "2026-03-04": 24 * 3600,
        "2026-03-05": 24 * 3600,
        "2026-03-06": 4 * 3600,
        "2026-03-07": 0.0,
        "2026-03-08": 0.0,
    }


@pytest.mark.parametrize("group_by", ["day", "week", "month"])
def test_occupancy_by_time_equals_each_interval_clipped_to_each_bucket(org, group_by):
    """Random presence logs (intervals from minutes to days, some open, across the spring change
    and a month's end) against a plain Python clipping of every interval to every bucket."""
    rng = random.Random(group_by)
    start, end = date(2026, 3, 20), date(2026, 4, 10)
    lower, upper = period_bounds(start, end)
    now = datetime(2026, 4, 8, 10, 17, tzinfo=UTC)
    statuses = ["available", "busy", "wrap_up", "break", "offline"]
    for agent in (org.agent_a, org.agent_b, org.supervisor_a):
        moment = lower - timedelta(hours=30)
        while moment < upper + timedelta(days=1):
            length = timedelta(minutes=rng.choice([1, 7, 45, 300, 1500, 3000, 4000]), seconds=rng.randrange(60))
            ended = moment + length
            presence(agent, rng.choice(statuses), moment, None if ended > now else ended)
            if ended > now:
                break
            moment = ended

    intervals = list(PresenceInterval.objects.all())
    rows = report(group_by, start=start, end=end, now=now)
    for key, first, following in time_buckets(group_by, start, end):
        bucket_lower = period_bounds(first, following)[0]
        bucket_upper = min(period_bounds(first, following)[1], now)
        expected = {"staffed": 0.0, "occupied": 0.0}
        for interval in intervals:
            overlap = (
                min(interval.ended_at or now, bucket_upper) - max(interval.started_at, bucket_lower)
            ).total_seconds()
            if overlap > 0 and interval.status in ("available", "busy", "wrap_up"):
                expected["staffed"] += overlap
                if interval.status != "available":
                    expected["occupied"] += overlap
        assert rows[key].staffed_seconds == pytest.approx(expected["staffed"], abs=1e-6), key
        assert rows[key].occupied_seconds == pytest.approx(expected["occupied"], abs=1e-6), key
    total = only(report(start=start, end=end, now=now))
    assert sum(row.staffed_seconds for row in rows.values()) == pytest.approx(total.staffed_seconds, abs=1e-6)


def test_occupancy_is_null_by_queue_or_channel(presence_week, org):
    contact(at(3, 9), agent=org.agent_a, queue=org.queue_a, wait=5, talk=60)
    assert report("queue")["Queue A"].occupancy is None
    assert report("channel")["voice"].occupancy is None
    assert only(report(queue="Queue A")).occupancy is None
    assert only(report(channel="voice")).staffed_seconds is None


# --- Local days across daylight-saving changes ----------------------------------------------------


def test_period_bounds_follow_daylight_saving():
    spring = period_bounds(date(2026, 3, 29), date(2026, 3, 30))
    autumn = period_bounds(date(2026, 10, 25), date(2026, 10, 26))
    assert spring == (datetime(2026, 3, 28, 23, tzinfo=UTC), datetime(2026, 3, 29, 22, tzinfo=UTC))
    assert autumn == (datetime(2026, 10, 24, 22, tzinfo=UTC), datetime(2026, 10, 25, 23, tzinfo=UTC))
    assert [spring[1] - spring[0], autumn[1] - autumn[0]] == [timedelta(hours=23), timedelta(hours=25)]


def test_days_weeks_and_months_across_the_spring_change(org):
    a = org.agent_a
    for moment in (
        datetime(2026, 3, 28, 22, 59, 59, tzinfo=UTC),  # 28 March 23:59:59 (UTC+1)
        datetime(2026, 3, 28, 23, tzinfo=UTC),  # 29 March 00:00 (UTC+1)
        datetime(2026, 3, 29, 21, 59, 59, tzinfo=UTC),  # 29 March 23:59:59 (UTC+2)
        datetime(2026, 3, 29, 22, tzinfo=UTC),  # 30 March 00:00 (UTC+2)
        datetime(2026, 4, 1, 8, tzinfo=UTC),  # April
    ):
        contact(moment, agent=a, queue=org.queue_a, wait=5, talk=60)
    presence(a, "available", datetime(2026, 3, 28, 23, tzinfo=UTC), datetime(2026, 3, 29, 22, tzinfo=UTC))
    now = datetime(2026, 5, 1, tzinfo=UTC)

    by_day = report("day", start=date(2026, 3, 28), end=date(2026, 3, 31), now=now)
    assert {key: row.offered for key, row in by_day.items()} == {"2026-03-28": 1, "2026-03-29": 2, "2026-03-30": 1}
    assert by_day["2026-03-29"].staffed_seconds == 23 * 3600  # the short day, whole
    by_week = report("week", start=date(2026, 3, 28), end=date(2026, 4, 2), now=now)
    assert {key: row.offered for key, row in by_week.items()} == {"2026-03-23": 3, "2026-03-30": 2}
    by_month = report("month", start=date(2026, 3, 28), end=date(2026, 4, 2), now=now)
    assert {key: row.offered for key, row in by_month.items()} == {"2026-03": 4, "2026-04": 1}


def test_days_across_the_autumn_change(org):
    for moment in (
        datetime(2026, 10, 24, 21, 59, 59, tzinfo=UTC),  # 24 October 23:59:59 (UTC+2)
        datetime(2026, 10, 24, 22, tzinfo=UTC),  # 25 October 00:00 (UTC+2)
        datetime(2026, 10, 25, 22, 59, 59, tzinfo=UTC),  # 25 October 23:59:59 (UTC+1)
        datetime(2026, 10, 25, 23, tzinfo=UTC),  # 26 October 00:00 (UTC+1)
    ):
        contact(moment, agent=org.agent_a, queue=org.queue_a, wait=5, talk=60)
    presence(org.agent_a, "busy", datetime(2026, 10, 24, 12, tzinfo=UTC), datetime(2026, 10, 26, 12, tzinfo=UTC))
    by_day = report("day", start=date(2026, 10, 24), end=date(2026, 10, 27), now=datetime(2026, 11, 1, tzinfo=UTC))
    assert {key: row.offered for key, row in by_day.items()} == {"2026-10-24": 1, "2026-10-25": 2, "2026-10-26": 1}
    assert by_day["2026-10-25"].staffed_seconds == 25 * 3600
    assert only(report(start=date(2026, 10, 25), end=date(2026, 10, 26))).offered == 2


def test_another_time_zone_moves_the_days(org, settings):
    contact(datetime(2026, 3, 3, 23, 30, tzinfo=UTC), agent=org.agent_a, queue=org.queue_a, wait=5, talk=60)
    assert report("day")["2026-03-04"].offered == 1  # 00:30 in Paris
    settings.TIME_ZONE = "America/New_York"
    assert report("day")["2026-03-03"].offered == 1  # 18:30 in New York


def test_time_buckets_cover_the_period():
    assert list(time_buckets("week", date(2026, 3, 4), date(2026, 3, 17))) == [
        ("2026-03-02", date(2026, 3, 4), date(2026, 3, 9)),
        ("2026-03-09", date(2026, 3, 9), date(2026, 3, 16)),
        ("2026-03-16", date(2026, 3, 16), date(2026, 3, 17)),
    ]
    assert [key for key, *_ in time_buckets("month", date(2025, 12, 15), date(2026, 2, 2))] == [
        "2025-12",
        "2026-01",
        "2026-02",
    ]


# --- Scope -----------------------------------------------------------------------------------------


@pytest.fixture
def two_teams(org):
    """Team A: agent_a and supervisor_a, Queue A. Team B: agent_b, Queue B."""
    contact(at(3, 9), agent=org.agent_a, queue=org.queue_a, wait=5, talk=60)
    contact(at(3, 10), agent=org.agent_b, queue=org.queue_b, wait=5, talk=60)
    contact(at(3, 11), agent=org.agent_b, queue=org.queue_a, wait=5, talk=60)  # team B's agent, team A's queue
    contact(at(3, 12), queue=org.queue_a, ended_after=30)  # unanswered in team A's queue
    contact(at(3, 13), queue=org.queue_b, ended_after=30)  # unanswered in team B's queue
    contact(at(3, 14), agent=org.supervisor_a, queue=org.queue_b, wait=5, talk=60)
    presence(org.agent_a, "busy", at(3, 9), at(3, 10))
    presence(org.agent_b, "available", at(3, 9), at(3, 10))


def figures(user, group_by=None, **filters):
    rows = kpi_report(user=user, start=START, end=END, group_by=group_by, now=at(9, 1), **filters)
    return {row.key: (row.offered, row.handled, row.abandoned) for row in rows}


def test_managers_and_admins_see_everything(two_teams, org):
    assert figures(org.manager) == figures(org.admin) == {None: (6, 4, 2)}


def test_a_supervisor_sees_their_teams_agents_and_their_queues_unanswered_contacts(two_teams, org):
    assert figures(org.supervisor_a) == {None: (3, 2, 1)}
    assert figures(org.supervisor_a, "agent") == {"agent_a": (1, 1, 0), "supervisor_a": (1, 1, 0), None: (1, 0, 1)}
    assert figures(org.supervisor_a, agent="agent_b") == {None: (0, 0, 0)}  # out of sight: nothing
    occupancy = kpi_report(user=org.supervisor_a, start=START, end=END, group_by="agent", now=at(9, 1))
    assert {row.key: row.occupancy for row in occupancy} == {"agent_a": 1.0, "supervisor_a": None, None: None}


def test_an_agent_sees_their_own_figures_only(two_teams, org):
    assert figures(org.agent_a) == {None: (1, 1, 0)}
    assert figures(org.agent_b, "queue") == {"Queue A": (1, 1, 0), "Queue B": (1, 1, 0)}
    assert figures(org.agent_b, "team") == {"Team B": (2, 2, 0)}
    assert kpi_report(user=org.agent_b, start=START, end=END, now=at(9, 1))[0].occupancy == 0.0


def test_a_supervisor_without_a_team_sees_their_own_only(two_teams, org):
    profile = org.supervisor_a.agent_profile
    profile.team = None
    profile.save()
    assert scope_for(org.supervisor_a) == KpiScope(user_id=org.supervisor_a.pk)
    assert figures(org.supervisor_a) == {None: (1, 1, 0)}


def test_a_user_without_a_role_reads_no_kpis(org):
    with pytest.raises(PermissionDenied):
        kpi_report(user=org.nobody, start=START, end=END)


def test_an_unknown_grouping_is_refused(org):
    with pytest.raises(ValueError, match="agent, team, queue"):
        kpi_rows(scope=EVERYTHING, start=START, end=END, group_by="year")


# --- One query per family, whatever the volume -----------------------------------------------------


@pytest.mark.parametrize("group_by", [None, *GROUPS])
def test_the_query_count_does_not_depend_on_the_volume(org, group_by, django_assert_num_queries):
    manager = get_user_model().objects.select_related("agent_profile").get(pk=org.manager.pk)
    # rollup days, volume, the repeat flags' state, FCR, surveys (+ occupancy)
    expected = 5 if group_by in ("queue", "channel") else 6
    for count in (1, 12):
        for i in range(count):
            interaction = contact(
                at(3, 9) + timedelta(minutes=len(Interaction.objects.all()) + i),
                agent=org.agent_a,
                queue=org.queue_a,
                customer=CustomerFactory(),
                wait=5,
                talk=60,
            )
            SurveyResponseFactory(interaction=interaction, kind="csat", score=4)
        PresenceInterval.objects.create(agent=org.agent_b, status="busy", started_at=at(4, 9), ended_at=at(4, 10))
        with django_assert_num_queries(expected):
            kpi_report(user=manager, start=START, end=END, group_by=group_by, now=at(9, 1))


# --- SQL and Python agree --------------------------------------------------------------------------


def _random_contacts(org, rng: random.Random, count: int) -> None:
    lower, upper = period_bounds(START, END)
    span = int((upper - lower).total_seconds())
    for _ in range(count):
        offered = lower + timedelta(seconds=rng.randrange(span), microseconds=rng.randrange(10**6))
        answered = ended = wrapup = None
        wait = rng.choice([0, 4.999999, 5, 19.999999, 20, 20.000001, 21, rng.uniform(0, 60)])
        hold = 0
        agent = rng.choice([org.agent_a, org.agent_b, None])
        kind = rng.choice(["answered", "answered", "open", "unanswered", "waiting"])
        if kind in ("answered", "open"):
            answered = offered + timedelta(seconds=wait)
            if kind == "answered":
                talk = rng.choice([0, 1, rng.uniform(0, 900)])
                ended = answered + timedelta(seconds=talk)
                hold = rng.randrange(int(talk) + 1)
                if rng.random() < 0.6:
                    wrapup = ended + timedelta(seconds=rng.uniform(0, 120))
        elif kind == "unanswered":
            agent = None
            ended = offered + timedelta(seconds=wait)
        Interaction.objects.create(
            channel=rng.choice(["voice", "voice", "chat", "email", "ivr"]),
            direction=rng.choice(["inbound", "inbound", "outbound"]),
            agent=agent,
            queue=rng.choice([org.queue_a, org.queue_b, None]),
            offered_at=offered,
            answered_at=answered,
            ended_at=ended,
            wrapup_ended_at=wrapup,
            hold_seconds=hold,
        )


def _flag(condition):
    return ExpressionWrapper(condition, output_field=BooleanField())


def test_sql_definitions_agree_with_durations_py_interaction_by_interaction(org):
    org.queue_b.service_level_seconds = 5
    org.queue_b.save()
    _random_contacts(org, random.Random(8), 150)
    rows = Interaction.objects.select_related("queue").annotate(
        sql_wait=durations.wait_seconds_sql(),
        sql_talk=durations.talk_seconds_sql(),
        sql_acw=durations.acw_seconds_sql(),
        sql_handle=durations.handle_seconds_sql(),
        sql_short=_flag(durations.short_abandon_q()),
        sql_offered=_flag(durations.offered_q()),
        sql_abandoned=_flag(durations.abandoned_q()),
        sql_handled=_flag(durations.handled_q()),
        sql_within=_flag(durations.within_service_level_q()),
    )
    checked = 0
    for i in rows:
        assert i.sql_wait == durations.wait_seconds(i), i.pk
        assert i.sql_talk == durations.talk_seconds(i), i.pk
        assert i.sql_acw == durations.acw_seconds(i), i.pk
        assert i.sql_handle == durations.handle_seconds(i), i.pk
        assert bool(i.sql_short) is durations.is_short_abandon(i), i.pk
        assert bool(i.sql_offered) is durations.is_offered(i), i.pk
        assert bool(i.sql_abandoned) is durations.is_abandoned(i), i.pk
        assert bool(i.sql_handled) is durations.is_handled(i), i.pk
        assert bool(i.sql_within) is durations.is_within_service_level(i), i.pk
        checked += 1
    assert checked == 150


def test_the_report_equals_the_python_definitions_summed(org):
    _random_contacts(org, random.Random(21), 120)
    everything = list(Interaction.objects.select_related("queue"))
    offered = [i for i in everything if durations.is_offered(i)]
    handled = [i for i in everything if durations.is_handled(i)]
    ended = [durations.handle_seconds(i) for i in handled if i.ended_at is not None]
    waits = [durations.wait_seconds(i) for i in handled if i.direction == "inbound"]
    within = [i for i in everything if durations.is_within_service_level(i)]

    row = only(report())
    assert (row.offered, row.handled) == (len(offered), len(handled))
    assert row.abandoned == sum(durations.is_abandoned(i) for i in everything)
    assert row.short_abandons == sum(durations.is_short_abandon(i) for i in everything)
    assert row.aht == pytest.approx(sum(ended) / len(ended))
    assert row.asa == pytest.approx(sum(waits) / len(waits))
    assert row.service_level == len(within) / len(offered)


_contact_strategy = st.tuples(
    st.integers(0, 7 * 24 * 3600 - 1),  # offered, seconds into the week
    st.sampled_from(["answered", "abandoned", "short", "waiting"]),
    st.sampled_from(["agent_a", "agent_b", "supervisor_a", None]),
    st.sampled_from(["queue_a", "queue_b", None]),
    st.sampled_from(["voice", "chat", "ivr"]),
    st.integers(0, 40),  # wait
)


@hypothesis_settings(
    max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(contacts=st.lists(_contact_strategy, max_size=8))
def test_grouped_counts_add_up_to_the_ungrouped_row(org, contacts):
    Interaction.objects.all().delete()
    lower, _upper = period_bounds(START, END)
    for offset, kind, agent, queue, channel, wait in contacts:
        contact(
            lower + timedelta(seconds=offset),
            agent=getattr(org, agent) if agent and kind == "answered" else None,
            queue=getattr(org, queue) if queue else None,
            channel=channel,
            wait=wait if kind == "answered" else None,
            talk=30 if kind == "answered" else None,
            ended_after={"abandoned": 30, "short": 1}.get(kind),
        )
    total = only(report())
    for group_by in GROUPS:
        rows = report(group_by).values()
        for name in ("offered", "handled", "abandoned", "short_abandons", "answered_in_threshold", "handled_ended"):
            assert sum(getattr(row, name) for row in rows) == getattr(total, name), (group_by, name)
