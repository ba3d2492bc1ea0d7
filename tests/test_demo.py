"""``manage.py demo``: a realistic demo contact center, valid row by row, loaded once however often
the command runs."""

import bisect
import itertools
import re
from io import StringIO

import phonenumbers
import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from contactcenter.agents.models import AgentProfile, PresenceInterval, Queue, Role, Status, Team
from contactcenter.core.roles import role_of
from contactcenter.demo.simulator.center import DEMO_PASSWORD, STAFF
from contactcenter.distribution.models import QueueRouting, WorkItem
from contactcenter.scripts.models import ScriptVersion
from customers.models import ContactPoint, Customer
from interactions.models import SCALES, Interaction, SurveyResponse, Ticket, TicketComment

pytestmark = pytest.mark.django_db

# A fixed end of period makes the small load identical run after run (a Wednesday evening).
SMALL = ("--customers=40", "--days=3", "--now=2026-11-18T18:30:00+01:00")


def load(*extra: str, verbosity: int = 0) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("demo", *SMALL, *extra, verbosity=verbosity, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def counts() -> dict[str, int]:
    """Rows of every model of the project, history and auth included."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_the_center_is_built_with_teams_queues_a_script_and_working_logins():
    out, _err = load(verbosity=1)

    assert {"Front office", "Back office", "Premium"} <= set(Team.objects.values_list("name", flat=True))
    channels = dict(Queue.objects.values_list("name", "channel"))
    assert {channels[name] for name in ("Support", "Sales", "Billing")} == {"voice"}
    assert {"email", "chat", "sms", "social"} <= set(channels.values())
    for queue in Queue.objects.all():
        assert queue.service_level_seconds > 0 and 0 < queue.service_level_target <= 1
    version = ScriptVersion.objects.order_by("-number").first()
    assert all(step["text"] for step in version.steps)
    assert set(version.script.queues.values_list("channel", flat=True)) == {"voice"}

    for spec in STAFF:
        user = authenticate(username=spec.username, password=DEMO_PASSWORD)
        assert user is not None, spec.username
        assert role_of(user) == spec.role
        assert spec.username in out
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert AgentProfile.objects.get(user__username="supervisor1").team.name == "Front office"
    assert AgentProfile.objects.filter(role=Role.AGENT).count() == 12
    assert DEMO_PASSWORD in out
    # Each agent has a phone for click-to-dial: agent1 → 1001, agent2 → 1002…
    extensions = dict(AgentProfile.objects.values_list("user__username", "extension"))
    assert [extensions[f"agent{n}"] for n in range(1, 13)] == [str(1000 + n) for n in range(1, 13)]
    assert (extensions["supervisor1"], extensions["manager"]) == ("1101", "")


def test_customers_have_stable_ids_and_valid_e164_phones_french_and_international():
    load()

    assert sorted(Customer.objects.values_list("external_id", flat=True)) == [f"demo-c-{n:05d}" for n in range(1, 41)]
    phones = list(ContactPoint.objects.filter(kind="phone").values_list("value", flat=True))
    assert phones
    for value in phones:
        number = phonenumbers.parse(value, None)
        assert phonenumbers.is_valid_number(number), value
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == value
    assert any(v.startswith(("+336", "+337")) for v in phones)
    assert any(not v.startswith("+33") for v in phones)
    assert ContactPoint.objects.filter(kind="email").exists()
    assert Customer.objects.exclude(language="fr").exists()


def test_interactions_cover_every_channel_with_abandons_repeats_and_unknown_callers():
    load()
    interactions = list(Interaction.objects.select_related("disposition", "queue"))

    assert {i.channel for i in interactions} == {"voice", "email", "chat", "sms", "social", "ivr"}
    assert all(i.source == "demo" for i in interactions)
    external_ids = [i.external_id for i in interactions]
    assert len(set(external_ids)) == len(external_ids)
    assert all(re.fullmatch(r"demo-i-\d{6}", e) for e in external_ids)
    assert any(i.abandoned for i in interactions)
    assert any(i.is_short_abandon for i in interactions)
    assert any(i.direction == "outbound" for i in interactions)
    assert any(i.customer_id is None for i in interactions)
    assert all(i.agent_id is None for i in interactions if i.channel == "ivr")
    assert all(i.resolved == i.disposition.resolves for i in interactions if i.disposition)
    assert any(i.hold_seconds for i in interactions)
    # Most callers wait less than 20 s.
    waits = sorted(
        i.wait_seconds for i in interactions if i.channel == "voice" and i.direction == "inbound" and i.answered_at
    )
    assert waits[len(waits) // 2] < 20
    # A customer sometimes comes back within the FCR window: FCR is not trivially 100 %.
    by_customer: dict[int, list] = {}
    for i in interactions:
        if i.customer_id and i.direction == "inbound":
            by_customer.setdefault(i.customer_id, []).append(i.offered_at)
    assert any(len(times) > 1 for times in by_customer.values())
    # History is written with the rows.
    assert Interaction.history.count() == len(interactions)
    assert Customer.history.count() == Customer.objects.count()
    assert ContactPoint.history.count() == ContactPoint.objects.count()
    assert Ticket.history.count() == Ticket.objects.count()


def test_tickets_have_references_sla_and_a_first_response_and_surveys_stay_on_their_scales():
    load()
    tickets = list(Ticket.objects.order_by("created_at", "id"))

    assert tickets
    references = [t.reference for t in tickets]
    assert all(re.fullmatch(r"T-\d{6}", r) for r in references)
    assert references == sorted(references)  # numbered in the order they were opened
    assert len({t.status for t in tickets}) >= 2
    assert all(t.first_response_due and t.resolution_due for t in tickets)
    assert Ticket.objects.filter(interactions__isnull=False).exists()
    assert TicketComment.objects.filter(public=False).exists() and TicketComment.objects.filter(public=True).exists()
    for ticket in tickets:
        first_public = ticket.comments.filter(public=True).order_by("created_at").first()
        assert ticket.first_responded_at == (first_public.created_at if first_public else None)
        assert (ticket.resolved_at is not None) == (ticket.status in ("resolved", "closed"))

    surveys = list(SurveyResponse.objects.select_related("interaction"))
    assert {s.kind for s in surveys} == {"csat", "nps", "ces"}
    for survey in surveys:
        low, high = SCALES[survey.kind]
        assert low <= survey.score <= high
        assert survey.interaction.agent_id and survey.interaction.answered_at
        assert survey.created_at >= survey.interaction.ended_at


def test_every_row_passes_full_clean():
    load()

    # The presence log is checked by the test below (and by the database's constraints).
    for model in (Customer, ContactPoint, Interaction, Ticket, TicketComment, SurveyResponse):
        rows = list(model._default_manager.all())
        assert rows, model
        for row in rows:
            row.full_clean()
    for point in ContactPoint.objects.all():
        stored = point.value
        point.full_clean()
        assert point.value == stored  # stored in its normalized form


def test_the_presence_log_is_closed_non_overlapping_and_covers_the_agents_conversations():
    load()

    assert not PresenceInterval.objects.filter(ended_at__isnull=True).exists()
    assert set(AgentProfile.objects.values_list("status", flat=True)) == {Status.OFFLINE}
    assert PresenceInterval.objects.filter(status="break").exclude(reason="").count() == (
        PresenceInterval.objects.filter(status="break").count()
    )
    assert not PresenceInterval.objects.exclude(status="break").exclude(reason="").exists()
    for profile in AgentProfile.objects.filter(role=Role.AGENT).select_related("user"):
        intervals = list(PresenceInterval.objects.filter(agent=profile.user).order_by("started_at"))
        assert intervals, profile
        for before, after in itertools.pairwise(intervals):
            assert before.ended_at <= after.started_at
        busy = [p for p in intervals if p.status == "busy"]
        starts = [p.started_at for p in busy]
        for call in Interaction.objects.filter(agent=profile.user, answered_at__isnull=False):
            k = bisect.bisect_right(starts, call.answered_at) - 1
            assert k >= 0 and busy[k].ended_at >= call.ended_at, call.external_id


def test_running_it_again_changes_nothing():
    load()
    before = counts()

    out, _err = load(verbosity=1)

    assert counts() == before
    assert "already loaded" in out


def test_reset_reloads_the_same_data():
    load()
    before = counts()
    snapshot = list(Interaction.objects.order_by("external_id").values_list("external_id", "offered_at", "channel"))

    load("--reset")

    assert counts() == before
    assert list(Interaction.objects.order_by("external_id").values_list("external_id", "offered_at", "channel")) == (
        snapshot
    )


def test_progress_bars_go_to_stderr_and_verbosity_zero_is_silent():
    out, err = load()
    assert out == "" and err == ""

    out, err = load("--reset", verbosity=1)
    assert "Saving interactions" in err
    assert "Demo data loaded" in out


def test_a_queue_of_the_demo_name_on_another_channel_stops_the_load_before_anything_is_written():
    Queue.objects.create(name="Support", channel="chat")

    with pytest.raises(CommandError, match="Support"):
        load()

    assert not Customer.objects.exists() and not Team.objects.exists()


def test_nonsense_options_are_refused():
    with pytest.raises(CommandError):
        call_command("demo", "--customers=0", verbosity=0)


def test_the_queues_holding_tickets_offer_them_to_their_agents():
    load()
    from_queues = set(Ticket.objects.filter(queue__isnull=False).values_list("queue_id", flat=True))
    assert from_queues
    assert set(QueueRouting.objects.filter(routes_tickets=True).values_list("queue_id", flat=True)) == from_queues
    waiting = Ticket.objects.filter(queue__isnull=False, assignee__isnull=True, status__in=["new", "open"])
    in_line = WorkItem.objects.filter(state__in=["waiting", "offered"], kind="ticket")
    assert waiting.exists()
    assert set(in_line.values_list("ticket_id", flat=True)) == set(waiting.values_list("pk", flat=True))
