"""FCR counted by a semi-join per period (``kpis.definitions.fcr_aggregates``) against its
definition, one correlated probe of :func:`~kpis.definitions.repeat_contacts` per counted contact:
the same contacts and the same repeats on the cases where a bound could cut a window short (the
month's end, a clock change, the edge of the window to the microsecond, ties), for every grouping,
scope and filter, over one period or several. Runs on SQLite and on PostgreSQL (``DATABASE_URL``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db.models import Count, Exists, Q
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from interactions.models import Interaction
from kpis import rollups
from kpis.definitions import (
    GROUPS,
    KpiFilters,
    KpiQuery,
    KpiScope,
    fcr_aggregates,
    fcr_contacts_q,
    grouped,
    period_bounds,
    repeat_contacts,
)
from kpis.selectors import kpi_rows
from tests.customers.factories import CustomerFactory
from tests.hypothesis_profiles import examples
from tests.kpis.kpi_data import at, contact

pytestmark = pytest.mark.django_db

EVERYTHING = KpiScope(everything=True)
#: March 2026: its last week holds the spring clock change (Sunday 29 March) and its FCR windows
#: run into April.
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


@pytest.fixture(autouse=True)
def _paris(settings):
    settings.TIME_ZONE = "Europe/Paris"
    settings.SHORT_ABANDON_SECONDS = 5
    settings.FCR_WINDOW_DAYS = 7


def by_definition(scope, start, end, group_by=None, filters=None) -> dict:
    """``{key: (contacts, repeats)}`` counted as FCR is defined: every contact of the period probed
    for a repeat by a correlated ``EXISTS``."""
    query = KpiQuery(scope, start, end, group_by, filters or KpiFilters(), now=at(1, month=5))
    contacts = Interaction.objects.filter(query.interactions(), fcr_contacts_q())
    aggregates = {"fcr_contacts": Count("pk"), "fcr_repeats": Count("pk", filter=Exists(repeat_contacts()))}
    rows = grouped(contacts, group_by, "", aggregates)
    return {key: (row["fcr_contacts"], row["fcr_repeats"]) for key, row in rows.items() if row["fcr_contacts"]}


def by_engine(scope, start, end, group_by=None, filters=None) -> dict:
    rows = kpi_rows(scope=scope, start=start, end=end, group_by=group_by, filters=filters, now=at(1, month=5))
    return {row.key: (row.fcr_contacts, row.fcr_repeats) for row in rows if row.fcr_contacts}


def answered(offered, customer, agent, queue=None, channel="voice"):
    return contact(offered, agent=agent, queue=queue, customer=customer, wait=5, talk=60, channel=channel)


@pytest.fixture
def month_end(org):
    """Contacts whose windows cross the end of March and the clock change, each with its fate."""
    a, b, qa, qb = org.agent_a, org.agent_b, org.queue_a, org.queue_b
    customers = [CustomerFactory() for _ in range(9)]
    x, y, z, w, v, u, t, s, r = customers
    # 25 March 03:30 CET + 7 days is 1 April 04:30 CEST (168 hours): at the edge, a repeat.
    answered(at(25, 3, 30), x, a, qa)
    contact(at(1, 4, 30, month=4), queue=qb, customer=x, ended_after=30)
    # The same a microsecond later: no longer one.
    answered(at(25, 3, 31), y, a, qa)
    contact(at(1, 4, 31, microsecond=1, month=4), queue=qa, customer=y, ended_after=30)
    # The last minute of March, back in April on another channel with someone else: a repeat.
    answered(at(31, 23, 59), z, a, qa)
    answered(at(2, 10, month=4), z, b, qb, channel="email")
    # Back through the IVR: a repeat; a short abandon or our own outbound call: none.
    answered(at(30, 10), w, b, qb)
    contact(at(30, 11), customer=w, ended_after=60, channel="ivr")
    answered(at(30, 12), v, b, qb)
    contact(at(30, 13), queue=qb, customer=v, ended_after=2)
    contact(at(30, 14), agent=b, customer=v, wait=1, talk=60, direction="outbound")
    # Two contacts at the same instant: neither follows the other.
    answered(at(27, 9), u, a, qa)
    answered(at(27, 9), u, b, qb)
    # A chain: each contact followed by the next, the last by none.
    for day in (20, 24, 28):
        answered(at(day, 15), t, a if day != 24 else b, qa)
    # A contact of February followed in March: counted in February, not here.
    answered(at(26, 9, month=2), s, a, qa)
    answered(at(2, 9), s, a, qa)
    # Returned before the window's start (an earlier call is no repeat) and not after it.
    answered(at(10, 9), r, a, qa)
    answered(at(12, 9), r, b, qb)
    return customers


def test_the_tricky_cases_by_hand(org, month_end):
    # March's contacts: x y z w v u u t t t s r r; followed by a repeat: x z w, t twice (on the 20th
    # and the 24th), r (on the 10th).
    assert by_engine(EVERYTHING, MARCH, APRIL) == {None: (13, 6)}
    assert by_definition(EVERYTHING, MARCH, APRIL) == {None: (13, 6)}


@pytest.mark.parametrize("group_by", [None, *GROUPS])
def test_every_grouping_counts_as_the_definition(org, month_end, group_by):
    assert by_engine(EVERYTHING, MARCH, APRIL, group_by) == by_definition(EVERYTHING, MARCH, APRIL, group_by)


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2026, 3, 25), date(2026, 3, 26)), (date(2026, 3, 29), date(2026, 3, 30)), (date(2026, 2, 1), APRIL)],
)
def test_a_period_ending_anywhere_counts_as_the_definition(org, month_end, start, end):
    assert by_engine(EVERYTHING, start, end, "day") == by_definition(EVERYTHING, start, end, "day")


def test_scopes_and_filters_count_as_the_definition(org, month_end):
    agent_only = KpiScope(user_id=org.agent_a.pk)
    team = KpiScope(user_id=org.supervisor_a.pk, team_id=org.team_a.pk)
    for scope in (agent_only, team):
        assert by_engine(scope, MARCH, APRIL, "agent") == by_definition(scope, MARCH, APRIL, "agent")
    for filters in (KpiFilters(agent="agent_b"), KpiFilters(queue="Queue A"), KpiFilters(channel="voice")):
        assert by_engine(EVERYTHING, MARCH, APRIL, "queue", filters) == by_definition(
            EVERYTHING, MARCH, APRIL, "queue", filters
        )
    # Agent A's own figures see the repeats no one or others handled: x's call back went unanswered,
    # z's, t's and r's to agent B.
    assert by_engine(agent_only, MARCH, APRIL) == {None: (8, 4)}


def test_several_periods_in_one_query(org, month_end):
    """Two ranges of days apart (as the engine reads when the rollup holds the days between): each
    contact is probed in its own range, none is counted twice."""
    ranges = [(date(2026, 3, 10), date(2026, 3, 13)), (date(2026, 3, 27), APRIL)]
    periods = []
    condition = Q()
    for first, following in ranges:
        since, until = period_bounds(first, following)
        period = Q(offered_at__gte=since, offered_at__lt=until)
        periods.append((period, since, until))
        condition |= period
    counts = Interaction.objects.filter(condition, fcr_contacts_q()).aggregate(**fcr_aggregates(periods))
    expected = [by_definition(EVERYTHING, first, following).get(None, (0, 0)) for first, following in ranges]
    assert (counts["fcr_contacts"], counts["fcr_repeats"]) == tuple(map(sum, zip(*expected, strict=True)))
    assert (counts["fcr_contacts"], counts["fcr_repeats"]) == (8, 3)  # r on the 10th; w and z


def test_the_rollup_fills_the_same_counts(org, month_end):
    rollups.rollup_fill(since=date(2026, 2, 20), now=at(20, month=4))
    assert by_engine(EVERYTHING, MARCH, APRIL, "day") == by_definition(EVERYTHING, MARCH, APRIL, "day")


def test_fcr_aggregates_needs_a_period():
    with pytest.raises(ValueError, match="period"):
        fcr_aggregates([])


_contact = st.tuples(
    st.integers(0, 20 * 24 * 60),  # offered, minutes from 20 March (local) on: across the month's end
    st.integers(0, 3),  # customer (3: none)
    st.sampled_from(["answered", "abandoned", "short", "outbound"]),
    st.sampled_from(["agent_a", "agent_b"]),
    st.sampled_from(["voice", "email", "ivr"]),
)


@hypothesis_settings(
    max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(contacts=st.lists(_contact, max_size=12), window=st.integers(1, 8))
def test_random_contacts_count_as_the_definition(org, settings, contacts, window):
    settings.FCR_WINDOW_DAYS = window
    Interaction.objects.all().delete()
    customers = [CustomerFactory() for _ in range(3)]
    start = at(20)
    for minutes, customer, kind, agent, channel in contacts:
        contact(
            start + timedelta(minutes=minutes),
            agent=getattr(org, agent) if kind in ("answered", "outbound") else None,
            queue=org.queue_a if agent == "agent_a" else org.queue_b,
            customer=customers[customer] if customer < 3 else None,
            wait=5 if kind in ("answered", "outbound") else None,
            talk=60 if kind in ("answered", "outbound") else None,
            ended_after={"abandoned": 30, "short": 1}.get(kind),
            channel=channel,
            direction="outbound" if kind == "outbound" else "inbound",
        )
    for group_by in (None, "agent", "day"):
        for start_day, end_day in ((date(2026, 3, 20), APRIL), (date(2026, 3, 31), date(2026, 4, 10))):
            assert by_engine(EVERYTHING, start_day, end_day, group_by) == by_definition(
                EVERYTHING, start_day, end_day, group_by
            ), (group_by, start_day)
