"""The wallboard's queue counters kept at write time (docs/kpis.md, "Queue counters kept at write
time").

``kpis_kpiqueuecount`` holds, per queue × quarter hour (UTC, of ``offered_at``), what the wallboard
counts of the day: offered, handled, abandoned, handled within the queue's service-level threshold.
Database triggers on the interactions keep it in the writing transaction, whoever writes: an
inserted row adds its contribution (the quarter's row made first, with the queue's threshold), a
deleted row takes it off, an update that changes what the row counts as (queue, offered at,
channel, direction, answered at, ended at, agent) takes the old contribution off and adds the new.
Each row's within-threshold count uses the threshold stored in that row, so a row stays exact
whatever the queue's threshold does later (the wallboard does not use a row whose threshold is not
the queue's any more).

The short-abandon threshold is read from the one ``kpis_queuecountstate`` row (without it the
triggers keep nothing). The migration makes that row: ``ready`` at once when there is no
interaction yet; otherwise not ready, and ``kpis_rollup`` (the hourly job) fills the counters
set-based (until then the wallboard counts the day's interactions, as before).

On PostgreSQL concurrent writers of one queue's quarter hour queue up on its counter row (an
``UPDATE`` of it); the quarter's row is made by ``INSERT … ON CONFLICT DO NOTHING``. Each trigger
takes a shared transaction-level advisory lock before reading the threshold, which a rebuild takes
exclusively before storing a new one.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "interactions_interaction"
COUNTS = "kpis_kpiqueuecount"
STATE = "kpis_queuecountstate"
#: The advisory lock class of the counters (``kpis.queue_counts.LOCK_CLASS``; key 0).
LOCK_CLASS = 1178813011
#: ``kpis.queue_counts.DEFINITION`` at the time of this migration (its version, then the threshold).
VERSION = "v1"


def _quarter(row: str, vendor: str) -> str:
    """SQL: the quarter hour of ``row.offered_at``, ``floor(epoch seconds / 900)``."""
    if vendor == "postgresql":
        return f"CAST(floor(EXTRACT(EPOCH FROM date_trunc('second', {row}.offered_at)) / 900) AS bigint)"
    # The first 19 characters: the whole seconds (SQLite's strftime rounds fractions to milliseconds);
    # char(37, 115) is the format "%s" (no percent sign in SQL that Django passes on); floor division.
    seconds = f"CAST(strftime(char(37, 115), substr({row}.offered_at, 1, 19)) AS INTEGER)"
    return f"(CASE WHEN {seconds} >= 0 THEN {seconds} / 900 ELSE -((899 - {seconds}) / 900) END)"


def _elapsed(later: str, earlier: str, vendor: str) -> str:
    if vendor == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS double precision)"
    return f"(django_timestamp_diff({later}, {earlier}) / 1000000.0)"


def _flags(row: str, short: str, threshold: str, vendor: str) -> dict[str, str]:
    """SQL conditions: what ``row`` counts as (interactions/durations.py, SPEC §4)."""
    short_abandon = (
        f"({row}.answered_at IS NULL AND {row}.ended_at IS NOT NULL "
        f"AND {_elapsed(f'{row}.ended_at', f'{row}.offered_at', vendor)} < {short})"
    )
    offered = f"({row}.direction = 'inbound' AND {row}.channel <> 'ivr' AND NOT COALESCE({short_abandon}, false))"
    handled = f"({row}.answered_at IS NOT NULL AND {row}.agent_id IS NOT NULL)"
    if vendor == "postgresql":
        within = f"({row}.answered_at <= {row}.offered_at + {threshold} * INTERVAL '1 second')"
    else:
        within = f"(django_timestamp_diff({row}.answered_at, {row}.offered_at) <= {threshold} * 1000000)"
    return {
        "offered": offered,
        "handled": handled,
        "abandoned": f"({offered} AND {row}.answered_at IS NULL AND {row}.ended_at IS NOT NULL)",
        "answered_in_threshold": f"({handled} AND {row}.direction = 'inbound' AND {within})",
    }


def _add(row: str, sign: str, short: str, vendor: str) -> str:
    """SQL: ``row``'s contribution added to (``+``) or taken off (``-``) its quarter's counters."""
    flags = _flags(row, short, f"{COUNTS}.service_level_seconds", vendor)
    sets = ", ".join(
        f"{column} = {column} {sign} (CASE WHEN COALESCE({condition}, false) THEN 1 ELSE 0 END)"
        for column, condition in flags.items()
    )
    return (
        f"UPDATE {COUNTS} SET {sets} "  # noqa: S608 (constant SQL)
        f"WHERE {COUNTS}.queue_id = {row}.queue_id AND {COUNTS}.quarter = {_quarter(row, vendor)};"
    )


def _make(row: str, vendor: str) -> str:
    """SQL: ``row``'s quarter's counters made (zero, with the queue's threshold) when missing."""
    insert = "INSERT INTO" if vendor == "postgresql" else "INSERT OR IGNORE INTO"
    conflict = " ON CONFLICT (queue_id, quarter) DO NOTHING" if vendor == "postgresql" else ""
    return (
        f"{insert} {COUNTS} (queue_id, quarter, service_level_seconds, offered, handled, abandoned, "  # noqa: S608
        f"answered_in_threshold) SELECT q.id, {_quarter(row, vendor)}, q.service_level_seconds, 0, 0, 0, 0 "
        f"FROM agents_queue q WHERE q.id = {row}.queue_id{conflict};"
    )


#: The columns whose change can change what a row counts as.
_COLUMNS = ["queue_id", "offered_at", "channel", "direction", "answered_at", "ended_at", "agent_id"]

POSTGRESQL = [
    f"""
    CREATE FUNCTION kpis_queue_count() RETURNS trigger AS $$
    DECLARE
        short double precision;
    BEGIN
        -- Shared with every writer, exclusive for a rebuild (kpis.queue_counts.counters_sync): the
        -- threshold read here is the one the counters are rebuilt with, never the one before.
        PERFORM pg_advisory_xact_lock_shared({LOCK_CLASS}, 0);
        SELECT short_abandon_seconds INTO short FROM {STATE} WHERE id = 1;
        IF short IS NULL THEN RETURN NULL; END IF;
        IF TG_OP <> 'INSERT' AND OLD.queue_id IS NOT NULL THEN
            {_add("OLD", "-", "short", "postgresql")}
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.queue_id IS NOT NULL THEN
            {_make("NEW", "postgresql")}
            {_add("NEW", "+", "short", "postgresql")}
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,  # noqa: S608 (constant SQL)
    f"""
    CREATE TRIGGER kpis_queue_count_written AFTER INSERT OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION kpis_queue_count()
    """,
    f"""
    CREATE TRIGGER kpis_queue_count_changed AFTER UPDATE ON {TABLE}
    FOR EACH ROW WHEN (({", ".join(f"OLD.{c}" for c in _COLUMNS)}) IS DISTINCT FROM ({", ".join(f"NEW.{c}" for c in _COLUMNS)}))
    EXECUTE FUNCTION kpis_queue_count()
    """,
]
POSTGRESQL_REVERSE = [
    f"DROP TRIGGER IF EXISTS kpis_queue_count_written ON {TABLE}",
    f"DROP TRIGGER IF EXISTS kpis_queue_count_changed ON {TABLE}",
    "DROP FUNCTION IF EXISTS kpis_queue_count()",
]

_SQ_SHORT = f"(SELECT short_abandon_seconds FROM {STATE} WHERE id = 1)"  # noqa: S608 (constant SQL)
_SQ_KEPT = f"EXISTS (SELECT 1 FROM {STATE} WHERE id = 1)"  # noqa: S608
_SQ_CHANGED = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in _COLUMNS)
SQLITE = [
    f"CREATE TRIGGER kpis_queue_count_created AFTER INSERT ON {TABLE} WHEN NEW.queue_id IS NOT NULL AND {_SQ_KEPT} "
    f"BEGIN {_make('NEW', 'sqlite')} {_add('NEW', '+', _SQ_SHORT, 'sqlite')} END",
    f"CREATE TRIGGER kpis_queue_count_deleted AFTER DELETE ON {TABLE} WHEN OLD.queue_id IS NOT NULL AND {_SQ_KEPT} "
    f"BEGIN {_add('OLD', '-', _SQ_SHORT, 'sqlite')} END",
    f"CREATE TRIGGER kpis_queue_count_changed AFTER UPDATE ON {TABLE} WHEN ({_SQ_CHANGED}) AND {_SQ_KEPT} "
    f"BEGIN {_add('OLD', '-', _SQ_SHORT, 'sqlite')} {_make('NEW', 'sqlite')} {_add('NEW', '+', _SQ_SHORT, 'sqlite')} END",
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in ("kpis_queue_count_created", "kpis_queue_count_deleted", "kpis_queue_count_changed")
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


def make_state(apps, schema_editor) -> None:
    """The state row: ready at once on an empty table (every counter is zero), else left to
    ``kpis_rollup`` to fill set-based."""
    short = float(settings.SHORT_ABANDON_SECONDS)
    empty = not apps.get_model("interactions", "Interaction").objects.exists()
    apps.get_model("kpis", "QueueCountState").objects.update_or_create(
        pk=1, defaults={"short_abandon_seconds": short, "definition": f"{VERSION}|{short}", "ready": empty}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0005_agent_states"),
        ("interactions", "0014_interaction_waiting_idx"),
        ("kpis", "0005_fcr_repeat_flags"),
    ]

    operations = [
        migrations.CreateModel(
            name="QueueCountState",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("short_abandon_seconds", models.FloatField(verbose_name="short-abandon threshold (seconds)")),
                ("definition", models.CharField(max_length=100, verbose_name="definition")),
                ("ready", models.BooleanField(default=False, verbose_name="ready")),
                ("computed_at", models.DateTimeField(blank=True, null=True, verbose_name="computed at")),
            ],
            options={
                "verbose_name": "queue counters state",
                "verbose_name_plural": "queue counters state",
            },
        ),
        migrations.CreateModel(
            name="KpiQueueCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("quarter", models.BigIntegerField(verbose_name="quarter hour")),
                (
                    "service_level_seconds",
                    models.PositiveIntegerField(verbose_name="service-level threshold (seconds)"),
                ),
                ("offered", models.IntegerField(default=0)),
                ("handled", models.IntegerField(default=0)),
                ("abandoned", models.IntegerField(default=0)),
                ("answered_in_threshold", models.IntegerField(default=0)),
                (
                    "queue",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="agents.queue",
                        verbose_name="queue",
                    ),
                ),
            ],
            options={
                "verbose_name": "queue counter",
                "verbose_name_plural": "queue counters",
                "ordering": ["queue", "quarter"],
                "constraints": [
                    models.UniqueConstraint(fields=("queue", "quarter"), name="kpiqueuecount_queue_quarter_uniq")
                ],
            },
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
        migrations.RunPython(make_state, migrations.RunPython.noop),
    ]
