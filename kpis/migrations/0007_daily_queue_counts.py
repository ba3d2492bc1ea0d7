"""KPI daily counts per queue (docs/kpis.md, "Rollups"): :class:`KpiDailyCount` summed over the
agents, per local day × queue × channel, for the reports with no agent in them.

The table is filled here from the rows already there (the same sums), and from now on with
them: the day's fill writes both, and the FCR triggers of 0005 move a filled day's repeats in both
(the function ``kpis_fcr_rollup`` on PostgreSQL, the trigger ``kpis_fcr_flipped`` on SQLite,
replaced here with the same statements plus the queue's row).
"""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "interactions_interaction"
COUNTS = [
    "offered", "handled", "abandoned", "short_abandons", "answered_in_threshold", "handled_ended",
    "handle_seconds", "handled_inbound", "wait_seconds", "sentiment_scored", "sentiment_sum",
    "sentiment_positives", "sentiment_negatives", "fcr_contacts", "fcr_repeats", "csat_responses",
    "csat_satisfied", "nps_responses", "nps_promoters", "nps_detractors", "ces_responses", "ces_sum",
]  # fmt: skip


def _pg_rollup(with_queue: bool) -> str:
    """The function moving a filled day's repeats when a flag turns (0005's, and the queue's row)."""
    queue = (
        """
        ELSE
            UPDATE kpis_kpidailyqueuecount
            SET fcr_repeats = fcr_repeats + CASE WHEN NEW.fcr_repeated THEN 1 ELSE -1 END
            WHERE day = the_day AND queue_id IS NOT DISTINCT FROM NEW.queue_id AND channel = NEW.channel;"""
        if with_queue
        else ""
    )
    return f"""
    CREATE OR REPLACE FUNCTION kpis_fcr_rollup() RETURNS trigger AS $$
    DECLARE
        the_day date;
        final boolean;
    BEGIN
        IF NOT COALESCE((SELECT ready FROM kpis_fcrflags WHERE id = 1), false) THEN RETURN NULL; END IF;
        -- Locks the day's state against a fill running now (its FOR UPDATE): after it, this sees
        -- the fill's rows; before it, the fill waits for this transaction and counts the flag.
        SELECT day, fcr_final INTO the_day, final FROM kpis_kpiday
        WHERE "lower" <= NEW.offered_at AND NEW.offered_at < "upper" FOR SHARE;
        IF the_day IS NULL OR NOT final THEN RETURN NULL; END IF;
        UPDATE kpis_kpidailycount SET fcr_repeats = fcr_repeats + CASE WHEN NEW.fcr_repeated THEN 1 ELSE -1 END
        WHERE day = the_day AND agent_id IS NOT DISTINCT FROM NEW.agent_id
          AND queue_id IS NOT DISTINCT FROM NEW.queue_id AND channel = NEW.channel;
        IF NOT FOUND THEN
            UPDATE kpis_kpiday SET fcr_final = false WHERE day = the_day;{queue}
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """  # noqa: S608 (constant SQL)


_KEY_COLUMNS = ["offered_at", "agent_id", "queue_id", "channel", "direction", "customer_id", "answered_at"]
_SQ_KEYS_SAME = " AND ".join(f"OLD.{column} IS NEW.{column}" for column in _KEY_COLUMNS)
_SQ_READY = "COALESCE((SELECT ready FROM kpis_fcrflags WHERE id = 1), 0)"
_SQ_DAY = '"lower" <= NEW.offered_at AND NEW.offered_at < "upper"'
_SQ_ROW_OF = "agent_id IS NEW.agent_id AND queue_id IS NEW.queue_id AND channel = NEW.channel"
_SQ_MOVE = "fcr_repeats = fcr_repeats + (CASE WHEN NEW.fcr_repeated THEN 1 ELSE -1 END)"


def _sqlite_flipped(with_queue: bool) -> str:
    """SQLite's trigger moving a filled day's repeats (0005's, and the queue's row)."""
    queue = (
        f"UPDATE kpis_kpidailyqueuecount SET {_SQ_MOVE} "  # noqa: S608 (constant SQL)
        f"WHERE day = (SELECT day FROM kpis_kpiday WHERE {_SQ_DAY} AND fcr_final) "
        "AND queue_id IS NEW.queue_id AND channel = NEW.channel; "
        if with_queue
        else ""
    )
    return (
        f"CREATE TRIGGER kpis_fcr_flipped AFTER UPDATE OF fcr_repeated ON {TABLE} "  # noqa: S608 (constant SQL)
        f"WHEN OLD.fcr_repeated IS NOT NEW.fcr_repeated AND {_SQ_KEYS_SAME} AND {_SQ_READY} BEGIN "
        f"UPDATE kpis_kpidailycount SET {_SQ_MOVE} "
        f"WHERE day = (SELECT day FROM kpis_kpiday WHERE {_SQ_DAY} AND fcr_final) AND {_SQ_ROW_OF}; "
        f"{queue}"
        f"UPDATE kpis_kpiday SET fcr_final = 0 WHERE {_SQ_DAY} AND fcr_final AND NOT EXISTS "
        f"(SELECT 1 FROM kpis_kpidailycount WHERE kpis_kpidailycount.day = kpis_kpiday.day AND {_SQ_ROW_OF}); END"
    )


def _triggers(with_queue: bool):
    def run(apps, schema_editor) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(_pg_rollup(with_queue))
        elif vendor == "sqlite":
            schema_editor.execute("DROP TRIGGER IF EXISTS kpis_fcr_flipped")
            schema_editor.execute(_sqlite_flipped(with_queue))

    return run


def fill(apps, schema_editor) -> None:
    """The rows of the days filled already: their agents' rows summed."""
    columns = ", ".join(COUNTS)
    sums = ", ".join(f"SUM({column})" for column in COUNTS)
    schema_editor.execute(
        f"INSERT INTO kpis_kpidailyqueuecount (day, queue_id, channel, {columns}) "  # noqa: S608 (constant SQL)
        f"SELECT day, queue_id, channel, {sums} FROM kpis_kpidailycount GROUP BY day, queue_id, channel"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0010_role_quality"),
        ("kpis", "0006_queue_counts"),
    ]

    operations = [
        migrations.CreateModel(
            name="KpiDailyQueueCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
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
                ("day", models.DateField(verbose_name="day")),
                ("channel", models.CharField(max_length=10, verbose_name="channel")),
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
                "verbose_name": "KPI daily count per queue",
                "verbose_name_plural": "KPI daily counts per queue",
                "ordering": ["day", "id"],
                "indexes": [models.Index(fields=["day", "queue"], name="kpidailyqueuecount_day_idx")],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(_triggers(with_queue=True), _triggers(with_queue=False)),
    ]
