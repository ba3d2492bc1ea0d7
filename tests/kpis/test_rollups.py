"""docs/kpis.md "Rollups": the KPI engine answers closed days from the daily rollup and the rest
from the interactions, and a report is the same either way: on random data for every KPI and
every grouping, across the spring daylight-saving change, per scope, after late writes to closed
days (the database triggers mark them), while a day's FCR window is still open; the fill command is
idempotent and the rollup's share of a report reads no interaction. SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import F
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from interactions.models import Interaction, SurveyResponse
from kpis import rollups
from kpis.definitions import GROUPS, KpiFilters, KpiScope, period_bounds
from kpis.models import FcrFlags, KpiDailyCount, KpiDay
from kpis.selectors import KpiRow, kpi_report, kpi_rows
from tests.customers.factories import CustomerFactory
from tests.hypothesis_profiles import examples
from tests.interactions.factories import SurveyResponseFactory
from tests.kpis.kpi_data import at, contact, presence

pytestmark = pytest.mark.django_db

EVERYTHING = KpiScope(everything=True)
#: Eight local days around the spring change (Sunday 29 March 2026 lasts 23 hours in Paris).
START, END = date(2026, 3, 25), date(2026, 4, 2)
DAYS = [START + timedelta(days=n) for n in range((END - START).days)]
#: Long after the period: every day closed, every FCR window over.
LATER = at(20, 12, month=4)
FIELDS = [name for name in KpiRow.__dataclass_fields__ if name != "_sums"]


@pytest.fixture(autouse=True)
def _paris(settings):
    settings.TIME_ZONE = "Europe/Paris"
    settings.SHORT_ABANDON_SECONDS = 5
    settings.FCR_WINDOW_DAYS = 7


def rows(group_by=None, *, raw=False, scope=EVERYTHING, user=None, start=START, end=END, now=LATER, **filters):
    """The report through the rollup (what is filled), or ``raw`` from the interactions only."""
    with mock.patch.object(rollups, "rollup_plan", rollups.all_raw) if raw else contextlib.nullcontext():
        if user is not None:
            return kpi_report(user=user, start=start, end=end, group_by=group_by, now=now, **filters)
        return kpi_rows(scope=scope, start=start, end=end, group_by=group_by, filters=KpiFilters(**filters), now=now)


def assert_same(left: list[KpiRow], right: list[KpiRow]) -> None:
    assert [row.key for row in left] == [row.key for row in right]
    for one, other in zip(left, right, strict=True):
        for name in FIELDS:
            mine, theirs = getattr(one, name), getattr(other, name)
            if isinstance(mine, float) or isinstance(theirs, float):
                # Sums of the same doubles in another order: equal to the last bits.
                assert mine == pytest.approx(theirs, rel=1e-12, abs=1e-9), (one.key, name)
            else:
                assert mine == theirs, (one.key, name)


def assert_rollup_equals_raw(**kwargs) -> None:
    for group_by in (None, *GROUPS):
        assert_same(rows(group_by, **kwargs), rows(group_by, raw=True, **kwargs))


def fill(now=LATER, flags=True, **kwargs):
    """Fill; without ``flags`` the repeat flags stay not ready (FCR the old way: final once its
    window is over, and a write marks the window before it)."""
    if flags:
        return rollups.rollup_fill(since=START, now=now, **kwargs)
    FcrFlags.objects.filter(pk=1).update(ready=False)
    with mock.patch.object(rollups, "flags_sync"):
        return rollups.rollup_fill(since=START, now=now, **kwargs)


def covered_presence(start=START, end=END):
    return set(rollups.rollup_plan(start, end).presence_days)


def covered(start=START, end=END):
    plan = rollups.rollup_plan(start, end)
    return set(plan.counts_days), set(plan.fcr_days)


@pytest.fixture
def week(org):
    """Contacts on every day of the period, with customers who call back, surveys and presence."""
    alice, bob = CustomerFactory(), CustomerFactory()
    a, b, qa, qb = org.agent_a, org.agent_b, org.queue_a, org.queue_b
    for n, day in enumerate(DAYS):
        d, month = day.day, day.month
        first = contact(at(d, 9, month=month), agent=a, queue=qa, customer=alice, wait=8 + n, talk=300, hold=20, acw=45)
        contact(at(d, 10, month=month), agent=b, queue=qb, customer=bob, wait=25, talk=100, sentiment=0.4)
        contact(at(d, 11, month=month), queue=qa, ended_after=30, sentiment=-0.2)  # abandoned
        contact(at(d, 12, month=month), queue=qb, ended_after=2)  # short abandon
        contact(at(d, 13, month=month), agent=a, wait=0, talk=60, direction="outbound", channel="email")
        contact(at(d, 23, 30, month=month), agent=b, queue=qa, customer=alice, wait=3, talk=40, channel="chat")
        SurveyResponseFactory(interaction=first, kind="csat", score=3 + n % 3)
        SurveyResponseFactory(interaction=first, kind="nps", score=n + 2)
        SurveyResponseFactory(interaction=first, kind="ces", score=1 + n % 7)
    # 00:30 on the 29th in Paris is 23:30 UTC on the 28th: a 29 March contact.
    contact(at(29, 0, 30), agent=a, queue=qa, customer=bob, wait=4, talk=30)
    presence(a, "busy", at(26, 9), at(26, 11))
    presence(a, "available", at(26, 11), at(27, 2))


# --- The same report either way --------------------------------------------------------------------


def test_a_filled_period_reads_the_rollup_and_equals_the_raw_report(week):
    result = fill()

    assert (result.first_day, result.last_day, result.days_filled) == (START, date(2026, 4, 19), 26)  # to yesterday
    assert covered() == (set(DAYS), set(DAYS))
    assert KpiDay.objects.get(day=date(2026, 3, 29)).upper - KpiDay.objects.get(day=date(2026, 3, 29)).lower == (
        timedelta(hours=23)
    )
    assert_rollup_equals_raw()
    assert_rollup_equals_raw(channel="chat")
    assert_rollup_equals_raw(team="Team A", agent="agent_a")


def test_figures_by_hand_from_the_rollup(week, org):
    fill()

    by_day = {row.key: row for row in rows("day")}
    march_29 = by_day["2026-03-29"]
    assert (march_29.offered, march_29.handled, march_29.abandoned, march_29.short_abandons) == (5, 5, 1, 1)
    assert march_29.handle_seconds == 345 + 100 + 60 + 40 + 30  # talk + after-call work
    # Alice calls at 9:00 and 23:30 every day, Bob at 10:00 (and at 00:30 on the 29th): every
    # contact but the last ones of the data is followed by another within 7 days.
    by_agent = {row.key: row for row in rows("agent")}
    assert by_agent["agent_a"].fcr_contacts == 9
    assert by_agent["agent_a"].csat_responses == 8


def test_the_rollup_share_reads_no_interaction(week, django_assert_num_queries):
    fill()

    for group_by in ("queue", "channel"):  # no occupancy: the plan and the rollup, nothing else
        with django_assert_num_queries(2) as captured:
            rows(group_by)
        assert not any("interactions_interaction" in query["sql"] for query in captured.captured_queries)
    with django_assert_num_queries(3) as captured:  # + occupancy, from its own rollup
        rows("agent")
    assert not any("agents_presenceinterval" in query["sql"] for query in captured.captured_queries)


def test_days_not_filled_come_from_the_interactions(week):
    fill()
    KpiDay.objects.filter(day__in=DAYS[2:4]).delete()  # never filled, as if --since had skipped them

    assert covered() == (set(DAYS) - set(DAYS[2:4]),) * 2
    assert_rollup_equals_raw()


def test_today_is_raw_and_a_fresh_days_fcr_is_final_from_its_flags(week):
    now = at(31, 15)  # days up to the 30th are over; their FCR windows are not
    fill(now=now)

    counts, fcr = covered()
    assert counts == fcr == {day for day in DAYS if day < date(2026, 3, 31)}
    assert_rollup_equals_raw(now=now)


def test_without_usable_flags_a_fresh_day_waits_for_its_fcr_window(week):
    now = at(31, 15)  # days up to the 30th are over; FCR over for days up to the 23rd only
    fill(now=now, flags=False)

    counts, fcr = covered()
    assert counts == {day for day in DAYS if day < date(2026, 3, 31)}
    assert fcr == set()
    assert_rollup_equals_raw(now=now)

    later = at(5, 1, month=4)  # the 25th–28th's windows are over now (the 28th's ended on 4 April 24:00)
    fill(now=later, flags=False)
    assert covered()[1] == {day for day in DAYS if day <= date(2026, 3, 28)}
    assert_rollup_equals_raw(now=later)


@pytest.mark.parametrize("username", ["agent_a", "supervisor_a", "manager"])
def test_each_scope_sees_the_same_figures_either_way(week, org, username):
    fill()
    user = getattr(org, username)
    contact(at(26, 14), agent=org.supervisor_a, queue=org.queue_b, wait=5, talk=60)
    fill()

    for group_by in (None, *GROUPS):
        assert_same(rows(group_by, user=user), rows(group_by, user=user, raw=True))


def test_a_new_team_moves_the_agents_rollup_rows_with_them(week, org):
    fill()
    profile = org.agent_a.agent_profile
    profile.team = org.team_b
    profile.save()

    assert covered()[0] == set(DAYS)  # nothing to refill: the team is joined at query time
    assert_rollup_equals_raw()
    assert {row.key for row in rows("team")} == {"Team B", None}


# --- Late writes to closed days --------------------------------------------------------------------


@pytest.mark.parametrize("flags", [True, False], ids=["flags", "no-flags"])
def test_a_late_contact_marks_its_day_and_without_flags_the_fcr_days_before_it(week, org, flags):
    fill(flags=flags)
    carol = CustomerFactory()
    contact(at(27, 9), agent=org.agent_b, queue=org.queue_a, customer=carol, wait=5, talk=60)
    contact(at(30, 9), customer=carol, queue=org.queue_b, ended_after=60)  # Carol calls back 3 days later

    counts, fcr = covered()
    assert set(DAYS) - counts == {date(2026, 3, 27), date(2026, 3, 30)}
    if flags:  # the other days' flags did not move
        assert set(DAYS) - fcr == {date(2026, 3, 27), date(2026, 3, 30)}
    else:
        assert set(DAYS) - fcr == {day for day in DAYS if day <= date(2026, 3, 30)}  # up to 7 days before each
    assert_rollup_equals_raw()
    raw_fcr = rows(raw=True)[0].fcr

    fill(flags=flags)
    assert covered() == (set(DAYS), set(DAYS))
    assert rows()[0].fcr == raw_fcr
    assert_rollup_equals_raw()


def test_a_late_repeat_moves_the_fcr_of_a_final_day_without_unsealing_it(week, org):
    dave = CustomerFactory()
    first = contact(at(26, 15), agent=org.agent_b, queue=org.queue_a, customer=dave, wait=5, talk=60)
    fill(now=at(31, 15))
    before = KpiDailyCount.objects.get(day=date(2026, 3, 26), agent=org.agent_b, queue=org.queue_a, channel="voice")

    late = contact(at(30, 16), customer=dave, queue=org.queue_b, ended_after=60, channel="chat")  # Dave writes back
    first.refresh_from_db()
    assert first.fcr_repeated
    after = KpiDailyCount.objects.get(pk=before.pk)
    assert after.fcr_repeats == before.fcr_repeats + 1
    assert date(2026, 3, 26) in covered()[1]
    assert_rollup_equals_raw(now=at(31, 15))

    late.delete()  # the repeat goes: the count comes back
    assert KpiDailyCount.objects.get(pk=before.pk).fcr_repeats == before.fcr_repeats
    assert date(2026, 3, 26) in covered()[1]
    assert_rollup_equals_raw(now=at(31, 15))


def test_edits_and_deletes_of_closed_contacts_mark_their_days(week, org):
    fill()
    edited = Interaction.objects.get(offered_at=at(26, 9))
    edited.hold_seconds = 0
    edited.save()
    two_days = timedelta(days=2)
    Interaction.objects.filter(offered_at=at(26, 10)).update(  # a bulk update: the trigger sees it too
        agent=org.agent_a,
        offered_at=F("offered_at") + two_days,
        answered_at=F("answered_at") + two_days,
        ended_at=F("ended_at") + two_days,
    )
    Interaction.objects.filter(offered_at=at(31, 11)).delete()

    assert set(DAYS) - covered()[0] == {date(2026, 3, 26), date(2026, 3, 28), date(2026, 3, 31)}
    assert_rollup_equals_raw()
    fill()
    assert_rollup_equals_raw()


def test_a_change_that_counts_for_nothing_keeps_the_day(week):
    fill()
    Interaction.objects.filter(offered_at=at(26, 10)).update(notes="Called about the invoice.")

    assert covered()[0] == set(DAYS)


def test_late_survey_answers_and_a_new_threshold_mark_days(week, org):
    fill()
    late = Interaction.objects.get(offered_at=at(27, 10))
    SurveyResponseFactory(interaction=late, kind="csat", score=1)

    assert set(DAYS) - covered()[0] == {date(2026, 3, 27)}
    assert covered()[1] == set(DAYS)  # an answer changes no FCR
    assert_rollup_equals_raw()

    SurveyResponse.objects.filter(interaction=late).update(score=5)
    org.queue_a.service_level_seconds = 5
    org.queue_a.save()
    assert covered()[0] == set()
    assert_rollup_equals_raw()
    fill()
    assert covered()[0] == set(DAYS)
    assert_rollup_equals_raw()


def test_a_filter_the_rollup_does_not_key_on_reads_raw(week, monkeypatch):
    fill()
    monkeypatch.setattr(rollups, "ROLLUP_FILTERS", frozenset({"agent", "team", "queue"}))

    with mock.patch.object(rollups, "rollup_plan", side_effect=AssertionError("the rollup was read")):
        by_channel_filter = rows("agent", channel="chat")
    assert_same(by_channel_filter, rows("agent", raw=True, channel="chat"))
    assert by_channel_filter[0].handled == 8  # agent_b's chats, one a day


def test_other_settings_leave_the_rollup_unused(week, settings):
    fill()
    settings.SHORT_ABANDON_SECONDS = 1

    assert covered() == (set(), set())
    assert_rollup_equals_raw()


def test_presence_stretches_are_rolled_up_and_late_ones_mark_their_days(week, org):
    fill()
    presence(org.agent_b, "busy", at(27, 23), at(28, 1, 30))  # across midnight: two days
    presence(org.agent_b, "available", at(30, 8), None)  # still open: every day from the 30th

    assert set(DAYS) - covered_presence() == {date(2026, 3, 27), date(2026, 3, 28)} | {
        day for day in DAYS if day >= date(2026, 3, 30)
    }
    assert_rollup_equals_raw()
    fill()
    assert covered_presence() == set(DAYS)
    by_agent = {row.key: row for row in rows("agent")}
    assert by_agent["agent_b"].occupied_seconds == 2.5 * 3600
    assert_rollup_equals_raw()


def test_occupancy_of_a_day_not_over_at_now_comes_from_the_log(week, org):
    fill()
    presence(org.agent_b, "busy", at(26, 9), None)  # opened on the 26th, still open
    fill()
    now = at(28, 12)  # a report "as of" the 28th noon: the rollup's 28th is not over then

    assert_rollup_equals_raw(now=now)
    assert rows("agent", now=now)[1].staffed_seconds == (at(28, 12) - at(26, 9)).total_seconds()


# --- The command -----------------------------------------------------------------------------------


# The command fills up to yesterday: at the real date, more days every day the suite runs.
@time_machine.travel(LATER)
def test_the_command_fills_once_then_has_nothing_to_do(week, capsys, settings):
    call_command("kpis_rollup", "--since", "2026-03-25", verbosity=0)
    first = list(KpiDailyCount.objects.order_by("day", "agent_id", "queue_id", "channel").values())
    assert "26 days filled (2026-03-25 to 2026-04-19)" in capsys.readouterr().out
    assert set(KpiDay.objects.values_list("day", flat=True)) == {START + timedelta(days=n) for n in range(26)}

    call_command("kpis_rollup", "--since", "2026-03-25", verbosity=0)
    assert "up to date" in capsys.readouterr().out
    assert list(KpiDailyCount.objects.order_by("day", "agent_id", "queue_id", "channel").values()) == first

    call_command("kpis_rollup", "--since", "2026-03-25", "--rebuild", verbosity=0)
    again = list(KpiDailyCount.objects.order_by("day", "agent_id", "queue_id", "channel").values())
    assert [{**row, "id": 0} for row in again] == [{**row, "id": 0} for row in first]
    assert_rollup_equals_raw()


def test_the_command_refuses_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="is not a date"):
        call_command("kpis_rollup", "--since", "2026-02-30")


def test_a_fill_with_no_interactions_does_nothing(org):
    assert rollups.rollup_fill(now=LATER).days_filled == 0
    assert not KpiDay.objects.exists()


# --- A property: the same report on random data -----------------------------------------------------

_period_seconds = int((period_bounds(START, END)[1] - period_bounds(START, END)[0]).total_seconds())
_contact = st.tuples(
    st.integers(0, _period_seconds - 1),  # offered, seconds into the period
    st.sampled_from(["answered", "answered", "abandoned", "short", "waiting", "open"]),
    st.sampled_from(["agent_a", "agent_b", "supervisor_a", None]),
    st.sampled_from(["queue_a", "queue_b", None]),
    st.sampled_from(["voice", "chat", "ivr"]),
    st.sampled_from(["inbound", "inbound", "outbound"]),
    st.integers(0, 2),  # customer (2: none)
    st.sampled_from([0, 5, 19.999999, 20, 20.000001, 33.5]),  # wait
    st.one_of(st.none(), st.floats(-1, 1)),  # sentiment
    st.one_of(st.none(), st.tuples(st.sampled_from(["csat", "nps", "ces"]), st.integers(1, 5))),
)


@hypothesis_settings(
    max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(contacts=st.lists(_contact, max_size=14), fill_at_day=st.integers(0, len(DAYS) + 8))
def test_rollup_and_raw_agree_on_random_data(org, contacts, fill_at_day):
    Interaction.objects.all().delete()
    KpiDay.objects.all().delete()
    KpiDailyCount.objects.all().delete()
    customers = [CustomerFactory(), CustomerFactory(), None]
    lower = period_bounds(START, END)[0]
    for offset, kind, agent, queue, channel, direction, customer, wait, sentiment, survey in contacts:
        interaction = contact(
            lower + timedelta(seconds=offset),
            agent=getattr(org, agent) if agent and kind in ("answered", "open") else None,
            queue=getattr(org, queue) if queue else None,
            customer=customers[customer],
            channel=channel,
            direction=direction,
            wait=wait if kind in ("answered", "open") else None,
            talk=61.25 if kind == "answered" else None,
            hold=10 if kind == "answered" else 0,
            acw=7.5 if kind == "answered" else None,
            ended_after={"abandoned": 30, "short": 4.999999}.get(kind),
            sentiment=sentiment,
        )
        if survey:
            SurveyResponseFactory(interaction=interaction, kind=survey[0], score=survey[1])
    now = period_bounds(START + timedelta(days=fill_at_day), END)[0] + timedelta(hours=1)
    rollups.rollup_fill(since=START, now=now)
    assert covered()[0] == {day for day in DAYS if day < START + timedelta(days=fill_at_day)}

    assert_rollup_equals_raw(now=LATER)
    for user in (org.agent_a, org.supervisor_a):
        for group_by in (None, "agent", "queue", "day"):
            assert_same(rows(group_by, user=user), rows(group_by, user=user, raw=True))
