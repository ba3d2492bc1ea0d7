"""FCR repeat flags kept at write time (docs/kpis.md, "How FCR is counted").

``Interaction.fcr_repeated`` says, of a handled inbound contact of a known customer, that the same
customer made another inbound contact (any channel, IVR included, short abandons left out) within
``FCR_WINDOW_DAYS`` after it. Database triggers keep it in the writing transaction, whoever writes:

- a row inserted, or changed in what makes it a contact (customer, offered at, direction, answered
  or not, agent or not), gets its own flag computed (PostgreSQL: before the write; SQLite: right
  after it); a flag written by anyone else is put back (Django saves every column);
- a row that counts as a repeat (inbound, not a short abandon) inserted, deleted, or changed in
  what makes it one (customer, offered at, direction, answered at, ended at: an abandon becomes
  short when its end arrives) sets or recomputes the flags of that customer's contacts in the
  window before it, and only theirs;
- a flag that turns on or off on a day the rollup holds moves that day's ``fcr_repeats`` by one
  (or, if its row is missing, turns the day's ``fcr_final`` off): days whose FCR window is still
  open stay final under live traffic.

The threshold and the window are read from the one ``kpis_fcrflags`` row, which ``kpis_rollup``
brings in line with the settings (recomputing every flag) when they change. On PostgreSQL the
triggers take a transaction-level advisory lock per customer (hashed into 512 keys) before reading
another row of that customer, so that two transactions writing one customer's contacts at once
see each other's rows. The migration fills the flags of the rows already there, in batches
(PostgreSQL: set-based, a window function over each batch of customers' rows).
"""

import sys

from django.conf import settings
from django.db import migrations, models, transaction

TABLE = "interactions_interaction"
#: The advisory lock class of the FCR flags (any int4; the key is the customer id modulo 512).
LOCK_CLASS = 1178813010
LOCK_KEYS = 512
BATCH = 20000


def _contact(row: str) -> str:
    """SQL: ``row`` is a contact FCR counts (handled, inbound, of a known customer)."""
    return (
        f"({row}.answered_at IS NOT NULL AND {row}.agent_id IS NOT NULL "
        f"AND {row}.direction = 'inbound' AND {row}.customer_id IS NOT NULL)"
    )


def _repeat(row: str, short: str, vendor: str) -> str:
    """SQL: ``row`` counts as someone's repeat contact (inbound, not a short abandon)."""
    elapsed = (
        f"CAST(EXTRACT(EPOCH FROM ({row}.ended_at - {row}.offered_at)) AS double precision)"
        if vendor == "postgresql"
        else f"(django_timestamp_diff({row}.ended_at, {row}.offered_at) / 1000000.0)"
    )
    return (
        f"({row}.direction = 'inbound' AND NOT ({row}.answered_at IS NULL AND {row}.ended_at IS NOT NULL "
        f"AND {elapsed} < {short}))"
    )


def _within(earlier: str, later: str, window: str, vendor: str) -> str:
    """SQL: ``later`` is offered in ``(earlier, earlier + window]`` (as the engine reads it)."""
    if vendor == "postgresql":
        return f"({later}.offered_at > {earlier}.offered_at AND {later}.offered_at <= {earlier}.offered_at + {window})"
    return (
        f"({later}.offered_at > {earlier}.offered_at "
        f"AND {later}.offered_at <= django_format_dtdelta('+', {earlier}.offered_at, {window}))"
    )


def _truth(row: str, short: str, window: str, vendor: str) -> str:
    """SQL: the flag ``row`` must carry."""
    return (
        f"({_contact(row)} AND EXISTS (SELECT 1 FROM {TABLE} y WHERE y.customer_id = {row}.customer_id "  # noqa: S608
        f"AND y.id <> {row}.id AND {_within(row, 'y', window, vendor)} AND {_repeat('y', short, vendor)}))"
    )


# --- PostgreSQL ------------------------------------------------------------------------------------

_PG_SETTINGS = (
    "SELECT short_abandon_seconds, make_interval(secs => window_days * 86400) INTO short, win "
    "FROM kpis_fcrflags WHERE id = 1;"
)
_OWN_COLUMNS = "customer_id, offered_at, direction, answered_at IS NULL, agent_id IS NULL"
_REPEAT_COLUMNS = ["customer_id", "offered_at", "direction", "answered_at", "ended_at"]
_KEY_COLUMNS = ["offered_at", "agent_id", "queue_id", "channel", "direction", "customer_id", "answered_at"]


def _row(prefix: str, columns: list[str]) -> str:
    return "(" + ", ".join(f"{prefix}.{column}" for column in columns) + ")"


_OWN_OLD = "(" + ", ".join(f"OLD.{c}" for c in _OWN_COLUMNS.split(", ")) + ")"
_OWN_NEW = "(" + ", ".join(f"NEW.{c}" for c in _OWN_COLUMNS.split(", ")) + ")"

POSTGRESQL = [
    f"""
    CREATE FUNCTION kpis_fcr_lock(customer bigint) RETURNS void AS $$
        SELECT pg_advisory_xact_lock({LOCK_CLASS}, mod(customer, {LOCK_KEYS})::int)
    $$ LANGUAGE sql
    """,
    f"""
    CREATE FUNCTION kpis_fcr_own() RETURNS trigger AS $$
    DECLARE
        short double precision;
        win interval;
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.customer_id <> NEW.customer_id THEN
            -- A contact moved between customers: both keys now, the lower first (kpis_fcr_others
            -- takes them again, held already), so that two moves the opposite way queue up
            -- instead of each holding the key the other waits for.
            IF mod(OLD.customer_id, {LOCK_KEYS}) <= mod(NEW.customer_id, {LOCK_KEYS}) THEN
                PERFORM kpis_fcr_lock(OLD.customer_id);
                PERFORM kpis_fcr_lock(NEW.customer_id);
            ELSE
                PERFORM kpis_fcr_lock(NEW.customer_id);
                PERFORM kpis_fcr_lock(OLD.customer_id);
            END IF;
        END IF;
        IF TG_OP = 'UPDATE' AND {_OWN_OLD} IS NOT DISTINCT FROM {_OWN_NEW} THEN
            -- Only the flag was written: by these triggers or the recompute (kept), by anyone else
            -- (a save with a stale copy of the row): put back.
            IF pg_trigger_depth() = 1 AND current_setting('kpis.fcr_recompute', true) IS DISTINCT FROM 'on' THEN
                NEW.fcr_repeated := OLD.fcr_repeated;
            END IF;
            RETURN NEW;
        END IF;
        IF NOT {_contact("NEW")} THEN
            NEW.fcr_repeated := false;
            RETURN NEW;
        END IF;
        {_PG_SETTINGS}
        PERFORM kpis_fcr_lock(NEW.customer_id);
        NEW.fcr_repeated := COALESCE({_truth("NEW", "short", "win", "postgresql")}, false);
        RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    f"""
    CREATE FUNCTION kpis_fcr_others() RETURNS trigger AS $$
    DECLARE
        short double precision;
        win interval;
        was boolean := false;
        now_is boolean := false;
    BEGIN
        {_PG_SETTINGS}
        IF TG_OP <> 'INSERT' THEN
            was := OLD.customer_id IS NOT NULL AND COALESCE({_repeat("OLD", "short", "postgresql")}, false);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            now_is := NEW.customer_id IS NOT NULL AND COALESCE({_repeat("NEW", "short", "postgresql")}, false);
        END IF;
        IF TG_OP = 'UPDATE' AND was = now_is
           AND (OLD.customer_id, OLD.offered_at) IS NOT DISTINCT FROM (NEW.customer_id, NEW.offered_at) THEN
            RETURN NULL;
        END IF;
        IF was THEN
            PERFORM kpis_fcr_lock(OLD.customer_id);
            UPDATE {TABLE} x SET fcr_repeated = COALESCE({_truth("x", "short", "win", "postgresql")}, false)
            WHERE x.customer_id = OLD.customer_id AND x.fcr_repeated
              AND x.offered_at >= OLD.offered_at - win - interval '1 day' AND x.offered_at < OLD.offered_at
              AND OLD.offered_at <= x.offered_at + win;
        END IF;
        IF now_is THEN
            PERFORM kpis_fcr_lock(NEW.customer_id);
            UPDATE {TABLE} x SET fcr_repeated = true
            WHERE x.customer_id = NEW.customer_id AND NOT x.fcr_repeated AND {_contact("x")} AND x.id <> NEW.id
              AND x.offered_at >= NEW.offered_at - win - interval '1 day' AND x.offered_at < NEW.offered_at
              AND NEW.offered_at <= x.offered_at + win;
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,  # noqa: S608 (constant SQL)
    """
    CREATE FUNCTION kpis_fcr_rollup() RETURNS trigger AS $$
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
            UPDATE kpis_kpiday SET fcr_final = false WHERE day = the_day;
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    # Only the FCR of the written day when the flags are ready (other days' flags move their counts
    # through kpis_fcr_rollup); the window before it as well when they are not.
    """
    CREATE OR REPLACE FUNCTION kpis_mark_instant(t timestamptz, fcr boolean) RETURNS void AS $$
    BEGIN
        IF t IS NULL THEN RETURN; END IF;
        UPDATE kpis_kpiday SET counts_final = false WHERE "lower" <= t AND t < "upper";
        IF fcr THEN
            IF COALESCE((SELECT ready FROM kpis_fcrflags WHERE id = 1), false) THEN
                UPDATE kpis_kpiday SET fcr_final = false WHERE fcr_watched AND "lower" <= t AND t < "upper";
            ELSE
                UPDATE kpis_kpiday SET fcr_final = false WHERE fcr_watched AND "lower" <= t AND t < fcr_until;
            END IF;
        END IF;
    END $$ LANGUAGE plpgsql
    """,
    f"""
    CREATE TRIGGER kpis_fcr_own_created BEFORE INSERT ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION kpis_fcr_own()
    """,
    f"""
    CREATE TRIGGER kpis_fcr_own_changed BEFORE UPDATE ON {TABLE}
    FOR EACH ROW WHEN ({_OWN_OLD} IS DISTINCT FROM {_OWN_NEW} OR OLD.fcr_repeated IS DISTINCT FROM NEW.fcr_repeated)
    EXECUTE FUNCTION kpis_fcr_own()
    """,
    f"""
    CREATE TRIGGER kpis_fcr_written AFTER INSERT OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION kpis_fcr_others()
    """,
    f"""
    CREATE TRIGGER kpis_fcr_changed AFTER UPDATE ON {TABLE}
    FOR EACH ROW WHEN ({_row("OLD", _REPEAT_COLUMNS)} IS DISTINCT FROM {_row("NEW", _REPEAT_COLUMNS)})
    EXECUTE FUNCTION kpis_fcr_others()
    """,
    f"""
    CREATE TRIGGER kpis_fcr_flipped AFTER UPDATE ON {TABLE}
    FOR EACH ROW WHEN (OLD.fcr_repeated IS DISTINCT FROM NEW.fcr_repeated
        AND {_row("OLD", _KEY_COLUMNS)} IS NOT DISTINCT FROM {_row("NEW", _KEY_COLUMNS)})
    EXECUTE FUNCTION kpis_fcr_rollup()
    """,
]
POSTGRESQL_REVERSE = [
    f"DROP TRIGGER IF EXISTS kpis_fcr_own_created ON {TABLE}",
    f"DROP TRIGGER IF EXISTS kpis_fcr_own_changed ON {TABLE}",
    f"DROP TRIGGER IF EXISTS kpis_fcr_written ON {TABLE}",
    f"DROP TRIGGER IF EXISTS kpis_fcr_changed ON {TABLE}",
    f"DROP TRIGGER IF EXISTS kpis_fcr_flipped ON {TABLE}",
    "DROP FUNCTION IF EXISTS kpis_fcr_rollup()",
    "DROP FUNCTION IF EXISTS kpis_fcr_others()",
    "DROP FUNCTION IF EXISTS kpis_fcr_own()",
    "DROP FUNCTION IF EXISTS kpis_fcr_lock(bigint)",
    """
    CREATE OR REPLACE FUNCTION kpis_mark_instant(t timestamptz, fcr boolean) RETURNS void AS $$
    BEGIN
        IF t IS NULL THEN RETURN; END IF;
        UPDATE kpis_kpiday SET counts_final = false WHERE "lower" <= t AND t < "upper";
        IF fcr THEN
            UPDATE kpis_kpiday SET fcr_final = false WHERE fcr_watched AND "lower" <= t AND t < fcr_until;
        END IF;
    END $$ LANGUAGE plpgsql
    """,
]

# --- SQLite (one writer at a time: no lock) --------------------------------------------------------

_SQ_SHORT = "(SELECT short_abandon_seconds FROM kpis_fcrflags WHERE id = 1)"
_SQ_WINDOW = "(SELECT window_days * 86400000000 FROM kpis_fcrflags WHERE id = 1)"
_SQ_READY = "COALESCE((SELECT ready FROM kpis_fcrflags WHERE id = 1), 0)"
_SQ_TRUTH = _truth(TABLE, _SQ_SHORT, _SQ_WINDOW, "sqlite")


def _sqlite_own(row: str) -> str:
    return f"UPDATE {TABLE} SET fcr_repeated = COALESCE({_SQ_TRUTH}, 0) WHERE id = {row}.id AND fcr_repeated IS NOT COALESCE({_SQ_TRUTH}, 0);"  # noqa: S608


def _sqlite_recompute(row: str) -> str:
    """The flags of the contacts ``row`` was a repeat of, recomputed (it is gone or changed)."""
    return (
        f"UPDATE {TABLE} SET fcr_repeated = COALESCE({_SQ_TRUTH}, 0) "  # noqa: S608
        f"WHERE {row}.customer_id IS NOT NULL AND {_repeat(row, _SQ_SHORT, 'sqlite')} "
        f"AND customer_id = {row}.customer_id AND fcr_repeated AND offered_at < {row}.offered_at "
        f"AND {row}.offered_at <= django_format_dtdelta('+', offered_at, {_SQ_WINDOW});"
    )


def _sqlite_set(row: str) -> str:
    """The contacts ``row`` is a repeat of, flagged."""
    return (
        f"UPDATE {TABLE} SET fcr_repeated = 1 "  # noqa: S608
        f"WHERE {row}.customer_id IS NOT NULL AND {_repeat(row, _SQ_SHORT, 'sqlite')} "
        f"AND customer_id = {row}.customer_id AND NOT fcr_repeated AND {_contact(TABLE)} AND id <> {row}.id "
        f"AND offered_at < {row}.offered_at AND {row}.offered_at <= django_format_dtdelta('+', offered_at, {_SQ_WINDOW});"
    )


_SQ_KEYS_SAME = " AND ".join(f"OLD.{column} IS NEW.{column}" for column in _KEY_COLUMNS)
_SQ_CHANGED = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in [*_REPEAT_COLUMNS, "agent_id"])
_SQ_DAY = '"lower" <= NEW.offered_at AND NEW.offered_at < "upper"'
_SQ_ROW_OF = "agent_id IS NEW.agent_id AND queue_id IS NEW.queue_id AND channel = NEW.channel"
SQLITE = [
    f"CREATE TRIGGER kpis_fcr_created AFTER INSERT ON {TABLE} BEGIN {_sqlite_own('NEW')} {_sqlite_set('NEW')} END",
    f"CREATE TRIGGER kpis_fcr_deleted AFTER DELETE ON {TABLE} BEGIN {_sqlite_recompute('OLD')} END",
    f"CREATE TRIGGER kpis_fcr_changed AFTER UPDATE ON {TABLE} WHEN {_SQ_CHANGED} BEGIN "
    f"{_sqlite_own('NEW')} {_sqlite_recompute('OLD')} {_sqlite_set('NEW')} END",
    # A flag written by anyone else than these triggers is computed again (Django saves every column).
    f"CREATE TRIGGER kpis_fcr_kept AFTER UPDATE OF fcr_repeated ON {TABLE} "
    f"WHEN OLD.fcr_repeated IS NOT NEW.fcr_repeated BEGIN {_sqlite_own('NEW')} END",
    f"CREATE TRIGGER kpis_fcr_flipped AFTER UPDATE OF fcr_repeated ON {TABLE} "  # noqa: S608 (constant SQL)
    f"WHEN OLD.fcr_repeated IS NOT NEW.fcr_repeated AND {_SQ_KEYS_SAME} AND {_SQ_READY} BEGIN "
    "UPDATE kpis_kpidailycount SET fcr_repeats = fcr_repeats + (CASE WHEN NEW.fcr_repeated THEN 1 ELSE -1 END) "
    f"WHERE day = (SELECT day FROM kpis_kpiday WHERE {_SQ_DAY} AND fcr_final) AND {_SQ_ROW_OF}; "
    f"UPDATE kpis_kpiday SET fcr_final = 0 WHERE {_SQ_DAY} AND fcr_final AND NOT EXISTS "
    f"(SELECT 1 FROM kpis_kpidailycount WHERE kpis_kpidailycount.day = kpis_kpiday.day AND {_SQ_ROW_OF}); END",
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in ("kpis_fcr_created", "kpis_fcr_deleted", "kpis_fcr_changed", "kpis_fcr_kept", "kpis_fcr_flipped")
]


def _sqlite_marks(instant: str) -> str:
    """The rollup's marks of 0002, the FCR one narrowed to the written day when the flags are ready."""
    return (
        f'UPDATE kpis_kpiday SET counts_final = 0 WHERE "lower" <= {instant} AND {instant} < "upper"; '  # noqa: S608
        f'UPDATE kpis_kpiday SET fcr_final = 0 WHERE fcr_watched AND "lower" <= {instant} '
        f'AND {instant} < (CASE WHEN {_SQ_READY} THEN "upper" ELSE fcr_until END);'
    )


_MARKED_COLUMNS = [
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
_MARKED_CHANGED = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in _MARKED_COLUMNS)
SQLITE_MARKS = [
    "DROP TRIGGER IF EXISTS kpis_interaction_created",
    "DROP TRIGGER IF EXISTS kpis_interaction_deleted",
    "DROP TRIGGER IF EXISTS kpis_interaction_changed",
    f"CREATE TRIGGER kpis_interaction_created AFTER INSERT ON {TABLE} BEGIN {_sqlite_marks('NEW.offered_at')} END",
    f"CREATE TRIGGER kpis_interaction_deleted AFTER DELETE ON {TABLE} BEGIN {_sqlite_marks('OLD.offered_at')} END",
    f"CREATE TRIGGER kpis_interaction_changed AFTER UPDATE ON {TABLE} WHEN {_MARKED_CHANGED} BEGIN "
    f"{_sqlite_marks('OLD.offered_at')} {_sqlite_marks('NEW.offered_at')} END",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


def _sqlite_marks_reverse(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    from importlib import import_module

    previous = import_module("kpis.migrations.0002_rollups")
    for name in ("kpis_interaction_created", "kpis_interaction_deleted", "kpis_interaction_changed"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in previous.SQLITE[:3]:
        schema_editor.execute(statement)


def _pg_window_statement() -> str:
    """SQL (PostgreSQL): the flags of the rows of customers ``[%s, %s)`` computed set-based, one
    window function over each customer's rows in offer order (the frame: a microsecond after the
    row, PostgreSQL's resolution, to the window after it), only the changed ones written; the same
    statement as ``kpis.rollups.FLAGS_SQL``."""
    return (
        f"UPDATE {TABLE} x SET fcr_repeated = s.flag FROM (SELECT i.id, i.fcr_repeated AS was, "  # noqa: S608
        f"({_contact('i')} AND COALESCE(bool_or({_repeat('i', 'f.short_abandon_seconds', 'postgresql')}) "
        "OVER (PARTITION BY i.customer_id ORDER BY i.offered_at RANGE BETWEEN interval '1 microsecond' FOLLOWING "
        "AND make_interval(secs => %s) FOLLOWING), false)) AS flag "
        f"FROM {TABLE} i, kpis_fcrflags f WHERE f.id = 1 AND i.customer_id >= %s AND i.customer_id < %s) s "
        "WHERE x.id = s.id AND s.was IS DISTINCT FROM s.flag"
    )


def fill_flags(apps, schema_editor) -> None:
    """The flags of the rows already there, in batches (one transaction each), with progress; then
    ``ready``. Rows written meanwhile are kept by the triggers. PostgreSQL: set-based, by batches of
    customers (about ``BATCH`` interactions each); SQLite: by batches of ids."""
    connection = schema_editor.connection
    flags = apps.get_model("kpis", "FcrFlags")
    flags.objects.update_or_create(
        pk=1,
        defaults={
            "short_abandon_seconds": float(settings.SHORT_ABANDON_SECONDS),
            "window_days": settings.FCR_WINDOW_DAYS,
            "ready": False,
        },
    )
    vendor = connection.vendor
    if vendor == "postgresql":
        statement = _pg_window_statement()
        column = "customer_id"
    else:
        truth = _truth("x", "f.short_abandon_seconds", "f.window_days * 86400000000", vendor)
        statement = (
            f"UPDATE {TABLE} SET fcr_repeated = 1 "  # noqa: S608
            f"WHERE id IN (SELECT x.id FROM {TABLE} x, kpis_fcrflags f WHERE f.id = 1 AND x.id >= %s AND x.id < %s "
            f"AND {truth})"
        )
        column = "id"
    if vendor == "postgresql":  # whatever flags the rows hold (not only a new column's false)
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SET LOCAL kpis.fcr_recompute = 'on'")
            cursor.execute(f"UPDATE {TABLE} SET fcr_repeated = false WHERE customer_id IS NULL AND fcr_repeated")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min({column}), max({column}), count(*) FROM {TABLE} WHERE customer_id IS NOT NULL")  # noqa: S608
        first, last, rows = cursor.fetchone()
    if first is not None:
        total = last - first + 1
        step = BATCH if vendor != "postgresql" else max(1, total * BATCH // max(rows, 1))
        for start in range(first, last + 1, step):
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                if vendor == "postgresql":
                    cursor.execute("SET LOCAL kpis.fcr_recompute = 'on'")
                    cursor.execute(statement, [settings.FCR_WINDOW_DAYS * 86400, start, start + step])
                else:
                    cursor.execute(statement, [start, start + step])
            done = min(start + step, last + 1) - first
            if rows > BATCH:
                sys.stdout.write(f"\n  FCR flags: {100 * done // total} % of the interactions")
                sys.stdout.flush()
    flags.objects.filter(pk=1).update(ready=True)


class Migration(migrations.Migration):
    # The flags are filled one batch per transaction (a large table must not be one transaction).
    atomic = False

    dependencies = [
        ("interactions", "0013_interaction_fcr_repeated"),
        ("kpis", "0004_kpiday_presence_sealed"),
    ]

    operations = [
        migrations.CreateModel(
            name="FcrFlags",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("short_abandon_seconds", models.FloatField(verbose_name="short-abandon threshold (seconds)")),
                ("window_days", models.PositiveIntegerField(verbose_name="FCR window (days)")),
                ("ready", models.BooleanField(default=False, verbose_name="ready")),
                ("computed_at", models.DateTimeField(blank=True, null=True, verbose_name="computed at")),
            ],
            options={
                "verbose_name": "FCR repeat flags",
                "verbose_name_plural": "FCR repeat flags",
            },
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE + SQLITE_MARKS}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
        migrations.RunPython(migrations.RunPython.noop, _sqlite_marks_reverse),
        migrations.RunPython(fill_flags, migrations.RunPython.noop),
    ]
