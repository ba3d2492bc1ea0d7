"""The reads of the live layer: queue figures exactly as SPEC §4 defines them, in one query; the
screen pop as the agent may see it, in a bounded number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contactcenter.agents.models import AgentProfile, Status
from contactcenter.live.consumers import screen_pop_for
from contactcenter.live.selectors import local_day_bounds, queue_stats, socket_scope
from contactcenter.scripts.models import Script, ScriptVersion
from interactions.services import ticket_create
from tests.agents.factories import AgentProfileFactory, QueueFactory
from tests.customers.factories import CustomerFactory
from tests.interactions.factories import InteractionFactory

# 15:00 in Paris (TIME_ZONE); the local day began at 23:00 UTC the day before.
NOW = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def call(
    queue, *, offered: datetime, wait: float | None = None, talk: float = 60, ended_after: float | None = None, **fields
):
    """An inbound voice call of ``queue`` offered at ``offered``: answered after ``wait`` seconds by
    an agent (or never), ended ``talk`` seconds later, or ``ended_after`` seconds after the offer."""
    answered = offered + timedelta(seconds=wait) if wait is not None else None
    if ended_after is not None:
        ended = offered + timedelta(seconds=ended_after)
    elif answered is not None:
        ended = answered + timedelta(seconds=talk)
    else:
        ended = None
    values = {
        "queue": queue,
        "customer": None,
        "offered_at": offered,
        "answered_at": answered,
        "ended_at": ended,
        "wrapup_ended_at": None,
        **fields,
    }
    return InteractionFactory(**values)


@pytest.fixture
def queues(org):
    queue_b = org.queue_b
    queue_b.service_level_seconds = 30
    queue_b.save()
    empty = QueueFactory(name="Queue C")
    closed = QueueFactory(name="Queue Z", is_active=False)
    return org.queue_a, queue_b, empty, closed


@pytest.mark.django_db
def test_queue_figures_follow_the_spec_definitions(org, queues, django_assert_num_queries):
    queue_a, queue_b, _empty, closed = queues
    agent = org.agent_a
    call(queue_a, offered=ago(3600), wait=20, agent=agent)  # within 20 s, to the second
    call(queue_a, offered=ago(3500), wait=21, agent=agent)  # answered too late
    call(queue_a, offered=ago(3400), ended_after=30)  # abandoned
    call(queue_a, offered=ago(3300), ended_after=3)  # short abandon: not offered
    call(queue_a, offered=ago(3200), ended_after=60, channel="ivr")  # self-service: not offered
    call(queue_a, offered=ago(3100), wait=0, agent=agent, direction="outbound")  # handled, not offered
    call(queue_a, offered=datetime(2026, 1, 4, 22, 30, tzinfo=UTC), wait=5, agent=agent)  # yesterday, 23:30 local
    call(queue_a, offered=ago(90))  # waiting now
    call(queue_a, offered=ago(30), channel="ivr")  # in the IVR: not waiting in the queue
    call(queue_a, offered=ago(5 * 3600))  # never ended: a lost end event, not a waiting caller
    call(queue_b, offered=ago(600), wait=25, agent=org.agent_b)  # within queue B's 30 s
    call(closed, offered=ago(600), wait=1, agent=agent)
    AgentProfile.objects.filter(user=org.agent_a).update(status=Status.AVAILABLE)
    AgentProfile.objects.filter(user=org.supervisor_a).update(status=Status.BUSY)
    gone = AgentProfileFactory(user__username="gone", team=org.team_a, queues=[queue_a], status=Status.AVAILABLE)
    gone.user.is_active = False
    gone.user.save()

    with django_assert_num_queries(1):
        rows = queue_stats(now=NOW)

    by_name = {row["queue"]: row for row in rows}
    assert list(by_name) == ["Queue A", "Queue B", "Queue C"]  # active queues only, by name
    a = by_name["Queue A"]
    assert (a["waiting"], a["longest_wait"]) == (1, 90.0)
    assert a["agents"] == {"available": 1, "ringing": 0, "busy": 1, "wrap_up": 0, "break": 0}
    # Offered: the two answered, the abandoned, the one waiting and the lost one.
    assert (a["offered"], a["handled"], a["abandoned"]) == (5, 3, 1)
    assert a["service_level"] == pytest.approx(1 / 5) and a["abandonment_rate"] == pytest.approx(1 / 5)
    b = by_name["Queue B"]
    assert (b["offered"], b["service_level"], b["abandonment_rate"], b["service_level_seconds"]) == (1, 1.0, 0.0, 30)
    c = by_name["Queue C"]
    assert (c["offered"], c["waiting"], c["longest_wait"], c["service_level"], c["abandonment_rate"]) == (
        0,
        0,
        None,
        None,
        None,
    )


@pytest.mark.django_db
def test_queue_figures_for_a_set_of_queues_cost_one_query(org, queues, django_assert_num_queries):
    queue_a, queue_b, *_ = queues
    for n in range(5):
        call(queue_a, offered=ago(100 * n + 100), wait=5, agent=org.agent_a)
        call(queue_b, offered=ago(100 * n + 100), wait=5, agent=org.agent_b)
    with django_assert_num_queries(1):
        rows = queue_stats(queue_ids=[queue_b.pk], now=NOW)
    assert [(row["queue"], row["offered"]) for row in rows] == [("Queue B", 5)]


def test_the_local_day_follows_the_time_zone_across_a_clock_change():
    # 29 March 2026: Paris moves to summer time, a day of 23 hours.
    start, end = local_day_bounds(datetime(2026, 3, 29, 12, 0, tzinfo=UTC))
    assert (start, end) == (datetime(2026, 3, 28, 23, 0, tzinfo=UTC), datetime(2026, 3, 29, 22, 0, tzinfo=UTC))


@pytest.mark.django_db
def test_the_screen_pop_shows_what_the_agent_may_see_in_a_bounded_number_of_queries(org, django_assert_max_num_queries):
    customer = CustomerFactory()
    for n in range(6):
        InteractionFactory(customer=customer, queue=org.queue_a, offered_at=ago(86400 * (n + 1)))
        InteractionFactory(customer=customer, queue=org.queue_b, offered_at=ago(86400 * (n + 1)))  # not agent A's
        ticket_create(subject=f"Ticket {n}", customer=customer, queue=org.queue_a)
    ticket_create(subject="Queue B's", customer=customer, queue=org.queue_b)
    script = Script.objects.create(name="Greeting")
    script.queues.add(org.queue_a)
    version = ScriptVersion.objects.create(script=script, number=1, steps=[{"text": "Hello"}])
    current = call(org.queue_a, offered=ago(20), wait=5, agent=org.agent_a, customer=customer)
    user = org.agent_a

    with django_assert_max_num_queries(8):
        pop = screen_pop_for(interaction_id=current.pk, user_id=user.pk)

    assert pop["customer"]["id"] == customer.pk
    assert len(pop["last_interactions"]) == 6 and current.pk not in [i["id"] for i in pop["last_interactions"]]
    assert len(pop["open_tickets"]) == 6  # queue B's ticket is not agent A's to see
    assert pop["script"]["id"] == version.pk and pop["caller"] is None  # not a CTI call
    assert screen_pop_for(interaction_id=current.pk, user_id=org.agent_b.pk) is None


@pytest.mark.django_db
def test_a_socket_scope_mirrors_the_access_policy(org):
    supervisor = socket_scope(user_id=org.supervisor_a.pk)
    assert supervisor.may_watch_wallboard and supervisor.team_queue_ids == {org.queue_a.pk}
    assert supervisor.team_agent_ids == {org.agent_a.pk, org.supervisor_a.pk}
    assert supervisor.sees_agent(org.agent_a.pk) and not supervisor.sees_agent(org.agent_b.pk)
    manager = socket_scope(user_id=org.manager.pk)
    assert manager.sees_agent(org.agent_b.pk) and manager.sees_queue(org.queue_b.pk)
    agent = socket_scope(user_id=org.agent_a.pk)
    assert agent.may_open_agent_stream and not agent.may_watch_wallboard
    assert agent.queue_ids == {org.queue_a.pk}
    nobody = socket_scope(user_id=org.nobody.pk)
    assert nobody.role is None and not nobody.may_open_agent_stream
    assert socket_scope(user_id=10**9) is None


def test_the_wallboards_figures_of_today_are_the_kpi_engines(org, django_user_model, afternoon):
    """One number, computed one way (issue #8): today's offered, handled, abandoned and service
    level of each queue on the wallboard equal the KPI engine's for the same local day (in the
    afternoon: seconds after midnight, the calls of this test would end after "now")."""
    from datetime import timedelta as _td

    from django.utils import timezone as _tz

    from kpis.selectors import kpi_report
    from tests.interactions.factories import InteractionFactory

    now = _tz.now()
    start = _tz.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    base = start + (now - start) / 2
    cases = [
        dict(answered_at=base + _td(seconds=20)),  # exactly at the threshold: within
        dict(answered_at=base + _td(seconds=21)),  # over it
        dict(answered_at=None, ended_at=base + _td(seconds=40), wrapup_ended_at=None),  # abandoned
        dict(answered_at=None, ended_at=base + _td(seconds=3), wrapup_ended_at=None),  # short abandon
        dict(channel="ivr", answered_at=None, ended_at=base + _td(seconds=60), wrapup_ended_at=None),
        dict(direction="outbound", answered_at=base + _td(seconds=5)),
    ]
    for fields in cases:
        agent = org.agent_a if fields.get("answered_at") else None
        InteractionFactory(queue=org.queue_a, agent=agent, customer=None, offered_at=base, **fields)

    (stats,) = [row for row in queue_stats(now=now) if row["queue"] == "Queue A"]
    today = _tz.localdate(now)
    (row,) = [
        r
        for r in kpi_report(user=org.manager, start=today, end=today + _td(days=1), group_by="queue")
        if r.key == "Queue A"
    ]
    assert (
        (stats["offered"], stats["handled"], stats["abandoned"])
        == (row.offered, row.handled, row.abandoned)
        == (3, 3, 1)
    )
    assert stats["service_level"] == row.service_level == 1 / 3
    assert stats["abandonment_rate"] == row.abandonment_rate == 1 / 3
