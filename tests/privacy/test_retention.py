"""README "Retention and audit": retention periods per kind of personal data, applied by
``manage.py retention_apply`` and the nightly job, scrub or delete what is older than its period
without changing any KPI of the past (rollup or raw), nothing by default, twice harmlessly."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.management import call_command
from django.urls import reverse

from contactcenter.agents.models import PresenceInterval
from contactcenter.core.models import IdempotencyKey
from contactcenter.privacy import tasks
from contactcenter.privacy.defaults import ensure_policies
from contactcenter.privacy.models import RetentionKind, RetentionPolicy
from contactcenter.privacy.services import retention_apply
from customers.models import Customer, CustomerRead
from customers.services import ERASED_TEXT, customer_create
from interactions.models import CtiCall, CtiEvent, Interaction, SurveyResponse, Ticket, TicketComment
from kpis import rollups
from kpis.definitions import GROUPS
from kpis.models import KpiDay
from tests.interactions.factories import SurveyResponseFactory, TicketCommentFactory, TicketFactory
from tests.kpis.kpi_data import at, contact, presence
from tests.kpis.test_rollups import START, assert_same, rows

pytestmark = pytest.mark.django_db

#: Long after the data: every day closed and filled, every FCR window over.
LATER = at(20, 12, month=4)
NOTE, SUBJECT, VERBATIM, CALLER = "Spoke about her divorce", "Lost card 4242", "Rude agent", "+33612345678"


@pytest.fixture(autouse=True)
def _paris(settings):
    settings.TIME_ZONE = "Europe/Paris"
    settings.SHORT_ABANDON_SECONDS = 5
    settings.FCR_WINDOW_DAYS = 7


@pytest.fixture
def center(org):
    """A week of contacts with personal text everywhere, closed tickets, call events, presence,
    stored answers, reads and log entries, all in March 2026; and one recent contact."""
    alice = customer_create(first_name="Alice", last_name="Old", phones=[CALLER])
    bob = customer_create(first_name="Bob", last_name="Recent")
    a, b, qa, qb = org.agent_a, org.agent_b, org.queue_a, org.queue_b
    for day in range(25, 32):
        first = contact(at(day, 9), agent=a, queue=qa, customer=alice, wait=8, talk=300, hold=20, acw=45, sentiment=0.3)
        contact(at(day, 10), agent=b, queue=qb, customer=alice, wait=25, talk=100)
        contact(at(day, 11), queue=qa, ended_after=30)
        Interaction.objects.filter(pk=first.pk).update(notes=NOTE, recording=f"rec/{day}.wav")
        first.notes = NOTE
        first.save()  # a history row holding the note
        SurveyResponseFactory(interaction=first, kind="csat", score=4, comment=VERBATIM)
        presence(a, "available", at(day, 8), at(day, 9))
        presence(a, "busy", at(day, 9), at(day, 18))
    ticket = TicketFactory(customer=alice, subject=SUBJECT, description="Order 12", status="closed")
    Ticket.objects.filter(pk=ticket.pk).update(closed_at=at(27, 12), created_at=at(26, 12))
    TicketCommentFactory(ticket=ticket, body="Called her husband")
    open_ticket = TicketFactory(customer=bob, subject="Still open", status="open")
    call = CtiCall.objects.create(call_id="old-call", caller=CALLER)
    CtiEvent.objects.create(
        cti_call=call, event="call.offered", timestamp=at(25, 9), caller=CALLER, payload={"from": CALLER}
    )
    IdempotencyKey.objects.create(key="k", user=a, method="POST", path="/x", request_hash="h")
    IdempotencyKey.objects.update(created_at=at(25, 9))
    CustomerRead.objects.create(customer_id=alice.pk, user=a, username="agent_a", what="detail", read_at=at(25, 9))
    LogEntry.objects.create(user=org.admin, object_repr="Alice Old", action_flag=CHANGE, action_time=at(25, 9))
    # Stamped in March, not today (the clock of the test run).
    Customer.objects.update(created_at=at(1, 9), updated_at=at(1, 9))
    SurveyResponse.objects.update(created_at=at(25, 12))
    Ticket.objects.update(updated_at=at(27, 12))
    recent = contact(LATER - timedelta(hours=2), agent=a, queue=qa, customer=bob, wait=3, talk=60)
    Interaction.objects.filter(pk=recent.pk).update(notes="Fresh note")
    return {"alice": alice, "bob": bob, "ticket": ticket, "open_ticket": open_ticket}


def set_all(days: int | None) -> None:
    RetentionPolicy.objects.update(days=days)


def every_report(**kwargs) -> dict:
    return {group_by: rows(group_by, end=LATER.date(), now=LATER, **kwargs) for group_by in (None, *GROUPS)}


def assert_same_reports(left: dict, right: dict) -> None:
    for group_by in left:
        assert_same(left[group_by], right[group_by])


def test_every_kind_has_a_policy_kept_for_ever_after_migrate_so_nothing_goes(center):
    assert set(RetentionPolicy.objects.values_list("kind", flat=True)) == set(RetentionKind)
    assert set(RetentionPolicy.objects.values_list("days", flat=True)) == {None}

    results = retention_apply(now=LATER)

    assert {result.rows for result in results} == {0}
    assert Interaction.objects.filter(notes=NOTE).count() == 7
    assert PresenceInterval.objects.count() == 14


def test_retention_scrubs_and_deletes_what_is_old_and_keeps_every_kpi_exact(center):
    rollups.rollup_fill(since=START, now=LATER)
    before = every_report()
    assert_same_reports(before, {g: rows(g, raw=True, end=LATER.date(), now=LATER) for g in before})
    set_all(10)

    results = {result.kind: result.rows for result in retention_apply(now=LATER, batch_size=3)}

    assert results[RetentionKind.INTERACTION_NOTES] == 7
    assert not Interaction.objects.filter(notes=NOTE).exists()
    assert not Interaction.history.model.objects.filter(notes=NOTE).exists()
    assert Interaction.objects.filter(notes="Fresh note").exists()  # within the period
    assert not Interaction.objects.exclude(recording="").exists()
    ticket = Ticket.objects.get(pk=center["ticket"].pk)
    assert (ticket.subject, ticket.description, ticket.version) == (ERASED_TEXT, "", 2)
    assert set(TicketComment.objects.filter(ticket=ticket).values_list("body", flat=True)) == {ERASED_TEXT}
    assert Ticket.objects.get(pk=center["open_ticket"].pk).subject == "Still open"
    assert not SurveyResponse.objects.exclude(comment="").exists()
    assert SurveyResponse.objects.count() == 7
    assert list(CtiEvent.objects.values_list("caller", "payload")) == [("", {})]
    assert CtiCall.objects.get().caller == ""
    assert not IdempotencyKey.objects.exists()
    assert not CustomerRead.objects.exists()
    assert not LogEntry.objects.filter(object_repr="Alice Old").exists()
    # Alice's last contact is March: erased; Bob called two hours ago: kept.
    assert Customer.objects.get(pk=center["alice"].pk).erased_at is not None
    assert Customer.objects.get(pk=center["bob"].pk).first_name == "Bob"
    # The presence log is gone up to the cutoff, its days sealed in the rollup.
    assert results[RetentionKind.PRESENCE_INTERVALS] == 14
    assert not PresenceInterval.objects.exists()
    assert KpiDay.objects.filter(day__lte=at(31).date(), presence_sealed=True).count() == 7

    assert_same_reports(before, every_report())
    # Refilled (a late write, a definition change) or rebuilt, the past stays the same.
    KpiDay.objects.update(counts_final=False, fcr_final=False, presence_final=False)
    assert_same_reports(before, every_report())
    rollups.rollup_fill(now=LATER)
    assert_same_reports(before, every_report())
    rollups.rollup_fill(since=START, rebuild=True, now=LATER)
    assert_same_reports(before, every_report())


def test_the_presence_log_stays_while_its_days_are_not_in_the_rollup(center):
    before = every_report()
    RetentionPolicy.objects.filter(kind=RetentionKind.PRESENCE_INTERVALS).update(days=10)

    assert {r.kind: r.rows for r in retention_apply(now=LATER)}[RetentionKind.PRESENCE_INTERVALS] == 0
    assert PresenceInterval.objects.count() == 14
    # Filled but for one day in the middle: only the days before it go.
    rollups.rollup_fill(since=START, now=LATER)
    KpiDay.objects.filter(day=at(28).date()).update(presence_final=False)
    retention_apply(now=LATER)
    assert PresenceInterval.objects.count() == 14 - 3 * 2  # the stretches of the 25th to the 27th
    assert_same_reports(before, every_report())


def test_a_second_run_finds_nothing_and_a_dry_run_changes_nothing(center):
    rollups.rollup_fill(since=START, now=LATER)
    set_all(10)

    dry = {result.kind: result.rows for result in retention_apply(now=LATER, dry_run=True)}
    assert dry[RetentionKind.INTERACTION_NOTES] == 7 and dry[RetentionKind.PRESENCE_INTERVALS] == 14
    assert Interaction.objects.filter(notes=NOTE).count() == 7 and PresenceInterval.objects.count() == 14

    retention_apply(now=LATER)
    assert {result.rows for result in retention_apply(now=LATER)} == {0}


def test_the_command_says_per_kind_what_would_go_and_details_with_v2(center):
    RetentionPolicy.objects.filter(kind=RetentionKind.SURVEY_COMMENTS).update(days=10)
    out, err = io.StringIO(), io.StringIO()

    call_command("retention_apply", "--dry-run", stdout=out, stderr=err)

    assert "Survey comments: 7 would go (older than 10 days)." in out.getvalue()
    assert "Interaction notes: kept (no retention period)." in out.getvalue()
    assert "Dry run" in out.getvalue()
    assert SurveyResponse.objects.filter(comment=VERBATIM).count() == 7

    out = io.StringIO()
    call_command("retention_apply", "-v", "2", stdout=out, stderr=err)
    assert "survey_responses: 7" in out.getvalue()
    assert "Survey comments" in err.getvalue()  # the progress bar
    assert not SurveyResponse.objects.exclude(comment="").exists()


def test_the_nightly_job_returns_rows_per_kind_set(center):
    RetentionPolicy.objects.filter(kind=RetentionKind.CUSTOMER_READS).update(days=10)
    assert tasks.retention_apply() == {"customer_reads": 1}
    assert tasks.retention_apply() == {"customer_reads": 0}


def test_admins_set_the_periods_and_cannot_add_or_delete_kinds(client, org):
    client.force_login(org.admin)
    url = reverse("admin:privacy_retentionpolicy_changelist")
    page = client.get(url)
    assert page.status_code == 200
    assert "Presence stretches ended before the period are deleted" in page.content.decode()
    assert client.get(reverse("admin:privacy_retentionpolicy_add")).status_code == 403
    policy = RetentionPolicy.objects.get(kind=RetentionKind.CUSTOMER_READS)
    response = client.get(reverse("admin:privacy_retentionpolicy_change", args=[policy.pk]))
    assert response.status_code == 200
    client.force_login(org.supervisor_a)
    assert client.get(url).status_code == 403


def test_a_missing_kind_comes_back_empty_and_a_set_period_stays():
    RetentionPolicy.objects.filter(kind=RetentionKind.ADMIN_LOG).delete()
    RetentionPolicy.objects.filter(kind=RetentionKind.CUSTOMER_READS).update(days=30)

    assert ensure_policies() == 1
    assert ensure_policies() == 0
    assert dict(RetentionPolicy.objects.values_list("kind", "days"))[RetentionKind.ADMIN_LOG] is None
    assert RetentionPolicy.objects.get(kind=RetentionKind.CUSTOMER_READS).days == 30
