"""The rollup tables, and the triggers that keep them honest (docs/kpis.md "Rollups").

Any write that changes what a filled day sums (an interaction created, edited or deleted, by a
service, the admin, a bulk load or raw SQL; a survey answer; a presence stretch; a queue's
service-level threshold) turns the day's ``counts_final`` / ``fcr_final`` / ``presence_final``
flag off in the same transaction, so the engine reads that day raw until ``kpis_rollup`` fills it
again. The triggers compare instants with the
days' UTC bounds: no time zone in SQL.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

#: Columns of an interaction that a rollup sums or groups by.
COLUMNS = [
    "channel",
    "direction",
    "customer_id",
    "agent_id",
    "queue_id",
    "offered_at",
    "answered_at",
    "ended_at",
    "wrapup_ended_at",
    "hold_seconds",
    "sentiment",
]

POSTGRESQL = [
    """
    CREATE FUNCTION kpis_mark_instant(t timestamptz, fcr boolean) RETURNS void AS $$
    BEGIN
        IF t IS NULL THEN RETURN; END IF;
        UPDATE kpis_kpiday SET counts_final = false WHERE "lower" <= t AND t < "upper";
        IF fcr THEN
            UPDATE kpis_kpiday SET fcr_final = false WHERE fcr_watched AND "lower" <= t AND t < fcr_until;
        END IF;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE FUNCTION kpis_mark_interaction() RETURNS trigger AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN PERFORM kpis_mark_instant(OLD.offered_at, true); END IF;
        IF TG_OP <> 'DELETE' THEN PERFORM kpis_mark_instant(NEW.offered_at, true); END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE FUNCTION kpis_mark_survey() RETURNS trigger AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            PERFORM kpis_mark_instant((SELECT offered_at FROM interactions_interaction WHERE id = OLD.interaction_id), false);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM kpis_mark_instant((SELECT offered_at FROM interactions_interaction WHERE id = NEW.interaction_id), false);
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE FUNCTION kpis_mark_queue() RETURNS trigger AS $$
    BEGIN
        UPDATE kpis_kpiday SET counts_final = false;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE FUNCTION kpis_mark_stretch(since timestamptz, until timestamptz) RETURNS void AS $$
    BEGIN
        UPDATE kpis_kpiday SET presence_final = false
        WHERE "lower" < COALESCE(until, 'infinity'::timestamptz) AND since < "upper";
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE FUNCTION kpis_mark_presence() RETURNS trigger AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN PERFORM kpis_mark_stretch(OLD.started_at, OLD.ended_at); END IF;
        IF TG_OP <> 'DELETE' THEN PERFORM kpis_mark_stretch(NEW.started_at, NEW.ended_at); END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER kpis_presence_written AFTER INSERT OR DELETE ON agents_presenceinterval
    FOR EACH ROW EXECUTE FUNCTION kpis_mark_presence()
    """,
    """
    CREATE TRIGGER kpis_presence_changed AFTER UPDATE ON agents_presenceinterval
    FOR EACH ROW WHEN ((OLD.agent_id, OLD.status, OLD.started_at, OLD.ended_at)
        IS DISTINCT FROM (NEW.agent_id, NEW.status, NEW.started_at, NEW.ended_at))
    EXECUTE FUNCTION kpis_mark_presence()
    """,
    """
    CREATE TRIGGER kpis_interaction_written AFTER INSERT OR DELETE ON interactions_interaction
    FOR EACH ROW EXECUTE FUNCTION kpis_mark_interaction()
    """,
    f"""
    CREATE TRIGGER kpis_interaction_changed AFTER UPDATE ON interactions_interaction
    FOR EACH ROW WHEN ((OLD.{", OLD.".join(COLUMNS)}) IS DISTINCT FROM (NEW.{", NEW.".join(COLUMNS)}))
    EXECUTE FUNCTION kpis_mark_interaction()
    """,
    """
    CREATE TRIGGER kpis_survey_written AFTER INSERT OR DELETE ON kpis_surveyresponse
    FOR EACH ROW EXECUTE FUNCTION kpis_mark_survey()
    """,
    """
    CREATE TRIGGER kpis_survey_changed AFTER UPDATE ON kpis_surveyresponse
    FOR EACH ROW WHEN ((OLD.interaction_id, OLD.kind, OLD.score) IS DISTINCT FROM (NEW.interaction_id, NEW.kind, NEW.score))
    EXECUTE FUNCTION kpis_mark_survey()
    """,
    """
    CREATE TRIGGER kpis_queue_threshold_changed AFTER UPDATE ON agents_queue
    FOR EACH ROW WHEN (OLD.service_level_seconds IS DISTINCT FROM NEW.service_level_seconds)
    EXECUTE FUNCTION kpis_mark_queue()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS kpis_interaction_written ON interactions_interaction",
    "DROP TRIGGER IF EXISTS kpis_interaction_changed ON interactions_interaction",
    "DROP TRIGGER IF EXISTS kpis_survey_written ON kpis_surveyresponse",
    "DROP TRIGGER IF EXISTS kpis_survey_changed ON kpis_surveyresponse",
    "DROP TRIGGER IF EXISTS kpis_queue_threshold_changed ON agents_queue",
    "DROP TRIGGER IF EXISTS kpis_presence_written ON agents_presenceinterval",
    "DROP TRIGGER IF EXISTS kpis_presence_changed ON agents_presenceinterval",
    "DROP FUNCTION IF EXISTS kpis_mark_presence()",
    "DROP FUNCTION IF EXISTS kpis_mark_stretch(timestamptz, timestamptz)",
    "DROP FUNCTION IF EXISTS kpis_mark_interaction()",
    "DROP FUNCTION IF EXISTS kpis_mark_survey()",
    "DROP FUNCTION IF EXISTS kpis_mark_queue()",
    "DROP FUNCTION IF EXISTS kpis_mark_instant(timestamptz, boolean)",
]


def _sqlite_marks(row: str, instant: str, fcr: bool) -> str:  # constant SQL only
    marks = f'UPDATE kpis_kpiday SET counts_final = 0 WHERE "lower" <= {instant} AND {instant} < "upper";'  # noqa: S608
    if fcr:
        marks += f' UPDATE kpis_kpiday SET fcr_final = 0 WHERE fcr_watched AND "lower" <= {instant} AND {instant} < fcr_until;'  # noqa: S608
    return marks


def _survey_instant(row: str) -> str:
    return f"(SELECT offered_at FROM interactions_interaction WHERE id = {row}.interaction_id)"  # noqa: S608


def _sqlite_stretch(row: str) -> str:
    # An open stretch (no end) reaches every later day: a text instant after every stored one (not
    # a number, which SQLite would compare as one).
    return (
        'UPDATE kpis_kpiday SET presence_final = 0 WHERE "lower" < '  # noqa: S608
        f"COALESCE({row}.ended_at, '9999-12-31 23:59:59') AND {row}.started_at < \"upper\";"
    )


_STRETCH_CHANGED = " OR ".join(
    f"OLD.{column} IS NOT NEW.{column}" for column in ("agent_id", "status", "started_at", "ended_at")
)
_CHANGED = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in COLUMNS)
SQLITE = [
    f"CREATE TRIGGER kpis_interaction_created AFTER INSERT ON interactions_interaction BEGIN {_sqlite_marks('NEW', 'NEW.offered_at', True)} END",
    f"CREATE TRIGGER kpis_interaction_deleted AFTER DELETE ON interactions_interaction BEGIN {_sqlite_marks('OLD', 'OLD.offered_at', True)} END",
    f"CREATE TRIGGER kpis_interaction_changed AFTER UPDATE ON interactions_interaction WHEN {_CHANGED} BEGIN "
    f"{_sqlite_marks('OLD', 'OLD.offered_at', True)} {_sqlite_marks('NEW', 'NEW.offered_at', True)} END",
    f"CREATE TRIGGER kpis_survey_created AFTER INSERT ON kpis_surveyresponse BEGIN {_sqlite_marks('NEW', _survey_instant('NEW'), False)} END",
    f"CREATE TRIGGER kpis_survey_deleted AFTER DELETE ON kpis_surveyresponse BEGIN {_sqlite_marks('OLD', _survey_instant('OLD'), False)} END",
    "CREATE TRIGGER kpis_survey_changed AFTER UPDATE ON kpis_surveyresponse WHEN OLD.interaction_id IS NOT NEW.interaction_id "
    f"OR OLD.kind IS NOT NEW.kind OR OLD.score IS NOT NEW.score BEGIN {_sqlite_marks('OLD', _survey_instant('OLD'), False)} "
    f"{_sqlite_marks('NEW', _survey_instant('NEW'), False)} END",
    f"CREATE TRIGGER kpis_presence_created AFTER INSERT ON agents_presenceinterval BEGIN {_sqlite_stretch('NEW')} END",
    f"CREATE TRIGGER kpis_presence_deleted AFTER DELETE ON agents_presenceinterval BEGIN {_sqlite_stretch('OLD')} END",
    f"CREATE TRIGGER kpis_presence_changed AFTER UPDATE ON agents_presenceinterval WHEN {_STRETCH_CHANGED} BEGIN "
    f"{_sqlite_stretch('OLD')} {_sqlite_stretch('NEW')} END",
    "CREATE TRIGGER kpis_queue_threshold_changed AFTER UPDATE ON agents_queue "
    "WHEN OLD.service_level_seconds IS NOT NEW.service_level_seconds "
    "BEGIN UPDATE kpis_kpiday SET counts_final = 0; END",
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in [
        "kpis_interaction_created",
        "kpis_interaction_deleted",
        "kpis_interaction_changed",
        "kpis_survey_created",
        "kpis_survey_deleted",
        "kpis_presence_created",
        "kpis_presence_deleted",
        "kpis_presence_changed",
        "kpis_survey_changed",
        "kpis_queue_threshold_changed",
    ]
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0002_role_groups"),
        ("interactions", "0005_ticket_sla_pause"),
        ("kpis", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="KpiDay",
            fields=[
                ("day", models.DateField(primary_key=True, serialize=False, verbose_name="day")),
                ("lower", models.DateTimeField(verbose_name="starts at")),
                ("upper", models.DateTimeField(verbose_name="ends at")),
                ("fcr_until", models.DateTimeField(verbose_name="FCR window ends at")),
                ("definition", models.CharField(max_length=100, verbose_name="definition")),
                ("counts_final", models.BooleanField(default=False, verbose_name="counts final")),
                ("fcr_final", models.BooleanField(default=False, verbose_name="FCR final")),
                ("fcr_watched", models.BooleanField(default=False, verbose_name="FCR watched")),
                ("presence_final", models.BooleanField(default=False, verbose_name="occupancy final")),
                ("filled_at", models.DateTimeField(blank=True, null=True, verbose_name="filled at")),
                ("rows", models.PositiveIntegerField(default=0, verbose_name="rows")),
            ],
            options={
                "verbose_name": "KPI rollup day",
                "verbose_name_plural": "KPI rollup days",
                "ordering": ["-day"],
                "indexes": [models.Index(fields=["lower"], name="kpiday_lower_idx")],
            },
        ),
        migrations.CreateModel(
            name="KpiDailyCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(verbose_name="day")),
                ("channel", models.CharField(max_length=10, verbose_name="channel")),
                ("offered", models.IntegerField(default=0)),
                ("handled", models.IntegerField(default=0)),
                ("abandoned", models.IntegerField(default=0)),
                ("short_abandons", models.IntegerField(default=0)),
                ("answered_in_threshold", models.IntegerField(default=0)),
                ("handled_ended", models.IntegerField(default=0)),
                ("handle_seconds", models.FloatField(default=0)),
                ("handled_inbound", models.IntegerField(default=0)),
                ("wait_seconds", models.FloatField(default=0)),
                ("sentiment_scored", models.IntegerField(default=0)),
                ("sentiment_sum", models.FloatField(default=0)),
                ("sentiment_positives", models.IntegerField(default=0)),
                ("sentiment_negatives", models.IntegerField(default=0)),
                ("fcr_contacts", models.IntegerField(default=0)),
                ("fcr_repeats", models.IntegerField(default=0)),
                ("csat_responses", models.IntegerField(default=0)),
                ("csat_satisfied", models.IntegerField(default=0)),
                ("nps_responses", models.IntegerField(default=0)),
                ("nps_promoters", models.IntegerField(default=0)),
                ("nps_detractors", models.IntegerField(default=0)),
                ("ces_responses", models.IntegerField(default=0)),
                ("ces_sum", models.IntegerField(default=0)),
                (
                    "agent",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="agent",
                    ),
                ),
                (
                    "queue",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="agents.queue",
                        verbose_name="queue",
                    ),
                ),
            ],
            options={
                "verbose_name": "KPI daily count",
                "verbose_name_plural": "KPI daily counts",
                "ordering": ["day", "id"],
                "indexes": [models.Index(fields=["day", "agent", "queue"], name="kpidailycount_day_idx")],
            },
        ),
        migrations.CreateModel(
            name="KpiDailyPresence",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(verbose_name="day")),
                ("staffed_seconds", models.FloatField(default=0)),
                ("occupied_seconds", models.FloatField(default=0)),
                (
                    "agent",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="agent",
                    ),
                ),
            ],
            options={
                "verbose_name": "KPI daily presence",
                "verbose_name_plural": "KPI daily presence",
                "ordering": ["day", "id"],
                "indexes": [models.Index(fields=["day", "agent"], name="kpidailypresence_day_idx")],
            },
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
