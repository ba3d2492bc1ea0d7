"""docs/performance.md "Past 100M rows": ``manage.py partition_tables`` turns the interactions and
CTI events tables into tables partitioned by month, in place, keeping every row, every id, the KPIs
and their rollup triggers, the uniqueness of an interaction's external id and of a call's events;
month-bounded queries read their months only; the daily job creates the months ahead; a second run
does nothing. PostgreSQL only (the conversion runs inside the test's transaction and is rolled
back with it); the refusals are checked on SQLite too."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from interactions import partitions, tasks
from interactions.cti import cti_event_apply
from interactions.models import CtiCall, CtiEvent, Interaction, SurveyResponse
from interactions.partitions import partition_new_database
from interactions.services import interaction_log, interaction_update
from kpis import rollups
from kpis.definitions import GROUPS, KpiScope
from kpis.models import KpiDay
from kpis.selectors import kpi_rows
from tests.interactions.factories import SurveyResponseFactory, TicketFactory
from tests.kpis.kpi_data import at, contact

pytestmark = pytest.mark.django_db

#: The day of the conversion: data in February, March and April 2026, partitions to July.
NOW = datetime(2026, 4, 20, 10, 0, tzinfo=UTC)
MONTHS = [date(2026, month, 1) for month in range(2, 8)]
#: Run with INTERACTIONS_PARTITIONED=1, the test database is partitioned by ``migrate`` already.
STARTS_PARTITIONED = django_settings.INTERACTIONS_PARTITIONED and connection.vendor == "postgresql"
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql" or STARTS_PARTITIONED,
    reason="converts an unpartitioned PostgreSQL database (DATABASE_URL, INTERACTIONS_PARTITIONED off)",
)


@pytest.fixture(autouse=True)
def _paris(settings):
    settings.TIME_ZONE = "Europe/Paris"
    settings.PARTITION_MONTHS_AHEAD = 3


@pytest.fixture
def center(org):
    """Contacts over three months (survey answers, a ticket), two CTI calls, the rollup filled."""
    for month, days in ((2, (9, 27)), (3, (2, 16, 31)), (4, (1, 14))):
        for day in days:
            first = contact(at(day, 9, month=month), agent=org.agent_a, queue=org.queue_a, wait=8, talk=300, acw=40)
            contact(at(day, 11, month=month), agent=org.agent_b, queue=org.queue_b, wait=20, talk=90, sentiment=0.3)
            contact(at(day, 12, month=month), queue=org.queue_a, ended_after=40)  # abandoned
            SurveyResponseFactory(interaction=first, kind="csat", score=4)
    for call_id, day in (
        ("call-1", datetime(2026, 3, 3, 8, tzinfo=UTC)),
        ("call-2", datetime(2026, 4, 2, 8, tzinfo=UTC)),
    ):
        for event, minutes in (("call.offered", 0), ("call.answered", 1), ("call.ended", 6)):
            cti_event_apply(
                event=event,
                call_id=call_id,
                timestamp=day + timedelta(minutes=minutes),
                caller="+33612345678",
                queue=org.queue_a,
                agent=org.agent_a if event == "call.answered" else None,
                now=NOW,
            )
    Interaction.objects.filter(offered_at__month=3).update(ticket=TicketFactory())
    with time_machine.travel(NOW, tick=False):
        rollups.rollup_fill(since=date(2026, 2, 1), now=NOW)
    return org


def report(group_by=None):
    return kpi_rows(
        scope=KpiScope(everything=True), start=date(2026, 2, 1), end=date(2026, 5, 1), group_by=group_by, now=NOW
    )


def partition_tables(settings, *args):
    settings.INTERACTIONS_PARTITIONED = True
    with time_machine.travel(NOW, tick=False):
        call_command("partition_tables", *args, verbosity=0)


def partition_of(interaction: Interaction) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM interactions_interaction WHERE id = %s", [interaction.pk])
        return cursor.fetchone()[0]


# --- Refusals (every database) ---------------------------------------------------------------------


def test_the_command_refuses_while_the_setting_is_off_or_the_database_is_not_postgresql(settings):
    settings.INTERACTIONS_PARTITIONED = False
    expected = "INTERACTIONS_PARTITIONED is off" if connection.vendor == "postgresql" else "needs PostgreSQL"
    with pytest.raises(CommandError, match=expected):
        call_command("partition_tables")
    settings.INTERACTIONS_PARTITIONED = True
    if connection.vendor != "postgresql":
        with pytest.raises(CommandError, match="needs PostgreSQL"):
            call_command("partition_tables")
    assert partitions.is_partitioned("interactions_interaction") == STARTS_PARTITIONED


def test_migrate_partitions_the_empty_tables_of_a_new_database(settings, org):
    """The ``post_migrate`` receiver: with the setting on, on PostgreSQL, an empty table is
    partitioned from this month on; a table holding rows is left to ``partition_tables``."""
    settings.INTERACTIONS_PARTITIONED = True
    if not STARTS_PARTITIONED:
        contact(at(2, 9), queue=org.queue_a, wait=5, talk=60)  # the interactions hold a row
    with time_machine.travel(NOW, tick=False):
        partition_new_database(sender=apps.get_app_config("interactions"), using="default")
    interactions, cti_events = partitions.tables()
    assert partitions.is_partitioned(interactions.table) == STARTS_PARTITIONED
    assert partitions.is_partitioned(cti_events.table) == (connection.vendor == "postgresql")
    if connection.vendor == "postgresql":
        months = [item.month for item in partitions.partitions(cti_events)]
        assert months[-1] is None and months[-2] == partitions.month_after(months[0], len(months) - 2)
        if not STARTS_PARTITIONED:  # made here, in April: April to July, and DEFAULT
            assert months == [*MONTHS[2:], None]
    assert partitions.orphans() == {"kpis_surveyresponse": 0, "interactions_cticall": 0}


def test_the_job_does_nothing_while_the_setting_is_off(settings):
    settings.INTERACTIONS_PARTITIONED = False
    assert "skipped" in tasks.partitions_ahead()


# --- The conversion (PostgreSQL) -------------------------------------------------------------------


@pytest.mark.postgres
@needs_postgres
def test_the_conversion_keeps_every_row_id_and_kpi(center, settings):
    before = {group_by: report(group_by) for group_by in (None, *GROUPS)}
    ids = sorted(Interaction.objects.values_list("id", flat=True))
    events = sorted(CtiEvent.objects.values_list("id", "event", "timestamp"))
    surveys = sorted(SurveyResponse.objects.values_list("id", "interaction_id"))
    filled = set(KpiDay.objects.filter(counts_final=True).values_list("day", flat=True))

    partition_tables(settings)

    interactions, cti_events = partitions.tables()
    assert partitions.is_partitioned(interactions.table) and partitions.is_partitioned(cti_events.table)
    # From the month of each table's oldest row to three months after the current one.
    assert [item.month for item in partitions.partitions(interactions)] == [*MONTHS, None]
    assert [item.month for item in partitions.partitions(cti_events)] == [*MONTHS[1:], None]
    assert sorted(Interaction.objects.values_list("id", flat=True)) == ids
    assert sorted(CtiEvent.objects.values_list("id", "event", "timestamp")) == events
    assert sorted(SurveyResponse.objects.values_list("id", "interaction_id")) == surveys
    # Copying changed no figure: the rollup's days stay filled and every report is the same.
    assert set(KpiDay.objects.filter(counts_final=True).values_list("day", flat=True)) == filled
    assert {group_by: report(group_by) for group_by in (None, *GROUPS)} == before
    assert partitions.orphans() == {"kpis_surveyresponse": 0, "interactions_cticall": 0}
    assert Interaction.objects.filter(ticket__isnull=False).count() == 10
    march = Interaction.objects.filter(offered_at__month=3, offered_at__day=16).first()
    assert partition_of(march) == "interactions_interaction_p2026_03"


@pytest.mark.postgres
@needs_postgres
def test_a_second_run_and_a_dry_run_change_nothing(center, settings, capsys):
    settings.INTERACTIONS_PARTITIONED = True
    with time_machine.travel(NOW, tick=False):
        call_command("partition_tables", "--dry-run")
    printed = capsys.readouterr().out
    assert "interactions_interaction: 23 rows into 6 monthly partitions (2026-02 to 2026-07) and DEFAULT." in printed
    assert "CREATE TABLE interactions_interaction_p2026_02 PARTITION OF interactions_interaction" in printed
    assert not partitions.is_partitioned("interactions_interaction")

    partition_tables(settings)
    names = {spec.table: partitions.partitions(spec) for spec in partitions.tables()}
    with time_machine.travel(NOW, tick=False):
        call_command("partition_tables")
    assert "is partitioned already (6 months): nothing to do." in capsys.readouterr().out
    assert {spec.table: partitions.partitions(spec) for spec in partitions.tables()} == names
    # Run again in August, it creates the months ahead that the daily job would.
    with time_machine.travel(datetime(2026, 8, 2, tzinfo=UTC), tick=False):
        call_command("partition_tables")
    assert "interactions_interaction_p2026_11 created." in capsys.readouterr().out
    months = [item.month for item in partitions.partitions(partitions.tables()[0])]
    assert months == [*MONTHS, *(date(2026, month, 1) for month in range(8, 12)), None]


@pytest.mark.postgres
@needs_postgres
def test_writes_after_the_conversion(center, settings):
    last_id = Interaction.objects.order_by("-id").values_list("id", flat=True).first()
    partition_tables(settings)
    org = center

    # The API's once-per-external-id still holds across months, in the database too.
    made, created = interaction_log(
        channel="chat", offered_at=at(15, 10, month=4), queue=org.queue_a, source="crm", external_id="X-1"
    )
    assert created and made.pk > last_id  # the id sequence went on where it was
    again, created = interaction_log(channel="chat", offered_at=at(2, 10, month=2), source="crm", external_id="X-1")
    assert (again.pk, created) == (made.pk, False)
    with pytest.raises(IntegrityError, match="interaction_external_id_unique_per_source"), transaction.atomic():
        Interaction.objects.create(channel="chat", offered_at=at(3, 10, month=3), source="crm", external_id="X-1")

    # A late contact marks its closed day for the rollup (the trigger on the partitioned table).
    day = KpiDay.objects.get(day=date(2026, 3, 16))
    assert day.counts_final
    contact(at(16, 15), agent=org.agent_a, queue=org.queue_a, wait=5, talk=60)
    day.refresh_from_db()
    assert not day.counts_final

    # Moved to another month: the row changes partition, keeps its id, its key and its links.
    ticket = TicketFactory()
    moved = interaction_update(interaction=made, offered_at=at(2, 10, month=3), ticket=ticket)
    assert (moved.pk, partition_of(moved)) == (made.pk, "interactions_interaction_p2026_03")
    assert list(ticket.interactions.values_list("pk", flat=True)) == [made.pk]
    assert interaction_log(channel="chat", offered_at=NOW, source="crm", external_id="X-1")[0].pk == made.pk
    SurveyResponseFactory(interaction=moved, kind="nps", score=9)

    # CTI: a repeated event is recognised, a new one applied, in the call's month.
    outcome = cti_event_apply(
        event="call.ended", call_id="call-2", timestamp=datetime(2026, 4, 2, 8, 6, tzinfo=UTC), now=NOW
    )
    assert outcome.duplicate
    outcome = cti_event_apply(
        event="call.wrapup_ended", call_id="call-2", timestamp=datetime(2026, 4, 2, 8, 7, tzinfo=UTC), now=NOW
    )
    assert not outcome.duplicate and outcome.interaction.wrapup_ended_at is not None
    assert CtiEvent.objects.filter(cti_call__call_id="call-2").count() == 4

    # Deleting goes through Django, which deletes the answers and unlinks the call: no orphan.
    called = CtiCall.objects.get(call_id="call-1").interaction
    SurveyResponseFactory(interaction=called, kind="csat", score=2)
    called.delete()
    moved.delete()
    assert partitions.orphans() == {"kpis_surveyresponse": 0, "interactions_cticall": 0}
    assert CtiCall.objects.get(call_id="call-1").interaction is None


@pytest.mark.postgres
@needs_postgres
def test_the_foreign_keys_to_interactions_are_still_checked_at_commit(center, settings):
    partition_tables(settings)
    answered = SurveyResponse.objects.select_related("interaction").first()
    called = CtiCall.objects.get(call_id="call-1")

    def at_commit(statement: str, params: list) -> None:
        # The checks are deferred to the commit, as the foreign keys were: asked for now instead.
        with pytest.raises(IntegrityError) as raised, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return str(raised.value)

    # A raw delete of an interaction still pointed at is refused, as with a foreign key.
    refused = at_commit("DELETE FROM interactions_interaction WHERE id = %s", [answered.interaction_id])
    assert "still referenced from kpis_surveyresponse" in refused
    refused = at_commit("DELETE FROM interactions_interaction WHERE id = %s", [called.interaction_id])
    assert "still referenced from interactions_cticall" in refused
    # So is a row pointing at an interaction that does not exist.
    refused = at_commit("UPDATE kpis_surveyresponse SET interaction_id = 999999 WHERE id = %s", [answered.pk])
    assert "no such row in interactions_interaction" in refused
    refused = at_commit("UPDATE interactions_cticall SET interaction_id = 999999 WHERE id = %s", [called.pk])
    assert "no such row in interactions_interaction" in refused
    # Moving an interaction to another month keeps it, and what points at it.
    Interaction.objects.filter(pk=answered.interaction_id).update(
        offered_at=at(5, 9, month=4), answered_at=None, ended_at=None, wrapup_ended_at=None
    )
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert partition_of(answered.interaction) == "interactions_interaction_p2026_04"
    assert partitions.orphans() == {"kpis_surveyresponse": 0, "interactions_cticall": 0}


@pytest.mark.postgres
@needs_postgres
def test_the_system_check_says_when_the_setting_and_the_tables_disagree(center, settings):
    settings.INTERACTIONS_PARTITIONED = False
    assert partitions.check_partitioning(databases=["default"]) == []
    settings.INTERACTIONS_PARTITIONED = True
    assert [item.id for item in partitions.check_partitioning(databases=["default"])] == ["interactions.W001"] * 2
    partition_tables(settings)
    assert partitions.check_partitioning(databases=["default"]) == []
    settings.INTERACTIONS_PARTITIONED = False
    warned = partitions.check_partitioning(databases=["default"])
    assert [item.id for item in warned] == ["interactions.W002", "interactions.W002"]
    assert partitions.check_partitioning(databases=None) == []  # only when asked to look at the database


@pytest.mark.postgres
@needs_postgres
def test_a_month_bounded_query_reads_its_partition_only(center, settings):
    partition_tables(settings)
    plan = Interaction.objects.filter(
        offered_at__gte=datetime(2026, 3, 1, tzinfo=UTC), offered_at__lt=datetime(2026, 4, 1, tzinfo=UTC)
    ).explain()
    assert "interactions_interaction_p2026_03" in plan
    assert "p2026_02" not in plan and "p2026_04" not in plan and "pdefault" not in plan
    assert "p2026_03" in CtiEvent.objects.filter(timestamp__date=date(2026, 3, 3)).explain()


@pytest.mark.postgres
@needs_postgres
def test_the_daily_job_creates_the_months_ahead_and_moves_their_rows_out_of_default(center, settings):
    partition_tables(settings)
    far = contact(datetime(2026, 9, 10, 9, tzinfo=UTC), wait=5, talk=30)
    assert partition_of(far) == "interactions_interaction_pdefault"

    with time_machine.travel(datetime(2026, 6, 2, 1, 27, tzinfo=UTC), tick=False):
        result = tasks.partitions_ahead()
        assert result["created"] == [
            "interactions_interaction_p2026_08",
            "interactions_interaction_p2026_09",
            "interactions_ctievent_p2026_08",
            "interactions_ctievent_p2026_09",
        ]
        assert result["moved"] == 1
        assert partition_of(far) == "interactions_interaction_p2026_09"
        assert tasks.partitions_ahead()["created"] == []  # a second run does nothing
    months = [item.month for item in partitions.partitions(partitions.tables()[0])]
    assert months == [*MONTHS, date(2026, 8, 1), date(2026, 9, 1), None]


@pytest.mark.postgres
@needs_postgres
def test_since_sends_older_months_to_default(center, settings):
    partition_tables(settings, "--since", "2026-04")
    spec = partitions.tables()[0]
    assert [item.month for item in partitions.partitions(spec)] == [*MONTHS[2:], None]
    assert Interaction.objects.count() == 23
    february = Interaction.objects.filter(offered_at__month=2).first()
    assert partition_of(february) == "interactions_interaction_pdefault"
    with pytest.raises(CommandError, match="--since must be a month"):
        partition_tables(settings, "--since", "April")
