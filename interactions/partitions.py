"""Monthly partitions of the two largest tables (docs/performance.md, "Past 100M rows").

With ``INTERACTIONS_PARTITIONED`` on, on PostgreSQL, the interactions table is partitioned by month
of ``offered_at`` and the CTI events table by month of ``timestamp`` (PostgreSQL declarative
partitioning: ``PARTITION BY RANGE``, one partition per UTC calendar month, and a ``DEFAULT``
partition for any row outside them). What a month-bounded query reads is then the one or two
partitions of its months, and old months can be dropped whole.

What PostgreSQL asks of a partitioned table, and what this module does about it:

* **Every unique constraint holds the partition key.** The primary key becomes ``(id, key)``.
  Django still knows ``id`` as the primary key and relies on it being unique: it is, since every id
  comes from the one identity sequence of the table (kept across the conversion), and nothing
  writes an id by hand. An interaction's ``(source, external_id)`` must stay unique across all
  months, so it moves to a small key table, :data:`KEY_TABLE`, kept by triggers on the
  interactions table: its primary key refuses a second interaction with a key already taken, in
  the same statement (an ``IntegrityError``, as before the conversion). A CTI event's
  ``(call, event)`` uniqueness becomes ``(call, event, timestamp)`` inside each month: the
  intake applies a call's events one at a time under the call's row lock and finds a repeat
  itself (``interactions.cti``); the index is only its last line of defence.
* **A foreign key references a unique constraint of the partitioned table**, so it would need the
  partition key too. The two tables pointing at interactions (survey responses, CTI calls) keep
  their ``interaction_id`` column and its index, and their foreign key becomes two constraint
  triggers checked at commit, as the foreign key was (deferred): a row must point at an existing
  interaction, and an interaction deleted must no longer be pointed at (an interaction moved to
  another month keeps its id, so it still is). Deleting goes through Django, which deletes the
  survey responses and unlinks the CTI call first (``on_delete``); :func:`orphans` counts any row
  pointing at nothing (the tests hold it at 0).
* **Row triggers** (the KPI rollup's, the key table's) are defined on the partitioned table and
  run for every partition (PostgreSQL 13 and later). An update moving a row to another month is a
  delete and an insert for them: both days are marked, both keys kept right.

:func:`table_partition` converts a table in place, in one transaction (``manage.py
partition_tables``); :func:`partitions_ensure` creates the months ahead (the daily job
``partitions_ahead``), moving into a new month's partition the rows the ``DEFAULT`` partition
holds for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.conf import settings
from django.core import checks
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django.utils.translation import gettext as _

from interactions.models import CtiCall, CtiEvent, Interaction, SurveyResponse

#: The lowest PostgreSQL with row triggers on partitioned tables as the rollup needs them.
MIN_POSTGRESQL = 130000
#: More monthly partitions than this (30 years) is refused: ``--since`` sends older rows to DEFAULT.
MAX_PARTITIONS = 360
#: The table holding every interaction's ``(source, external_id)``, unique across all months.
KEY_TABLE = "interactions_interaction_key"
#: Its primary key carries the name of the unique constraint it stands for.
KEY_CONSTRAINT = "interaction_external_id_unique_per_source"
#: The (non-unique) index of the partitioned interactions for the look-up by key.
KEY_LOOKUP_INDEX = "interaction_external_id_idx"


class PartitionError(Exception):
    """A precondition of the conversion does not hold; the message says which, and what to do."""


@dataclass(frozen=True)
class Partitioned:
    """A table partitioned by month of one of its columns."""

    table: str
    key: str

    def partition_name(self, month: date | None) -> str:
        """``<table>_p2026_03``, or ``<table>_pdefault`` for ``None``."""
        return f"{self.table}_pdefault" if month is None else f"{self.table}_p{month:%Y_%m}"


def tables() -> tuple[Partitioned, ...]:
    """The partitioned tables: interactions by ``offered_at``, CTI events by ``timestamp``."""
    return (
        Partitioned(Interaction._meta.db_table, Interaction._meta.get_field("offered_at").column),
        Partitioned(CtiEvent._meta.db_table, CtiEvent._meta.get_field("timestamp").column),
    )


# --- Months ---------------------------------------------------------------------------------------


def month_of(moment: datetime) -> date:
    """The first day of the UTC month holding ``moment``."""
    moment = moment.astimezone(UTC)
    return date(moment.year, moment.month, 1)


def month_after(month: date, count: int = 1) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Every month from ``first`` to ``last``, both included."""
    months, month = [], first
    while month <= last:
        months.append(month)
        month = month_after(month)
    return months


def _bound(month: date) -> str:
    return f"{month:%Y-%m-%d} 00:00:00+00"


# --- What the database holds ----------------------------------------------------------------------


def available() -> bool:
    """Partitioning applies: ``INTERACTIONS_PARTITIONED`` on, and the database is PostgreSQL."""
    return settings.INTERACTIONS_PARTITIONED and connection.vendor == "postgresql"


def is_partitioned(table: str) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    return row is not None and row[0] == "p"


@dataclass(frozen=True)
class Partition:
    name: str
    month: date | None  # None: the DEFAULT partition
    rows: int | None = None


def partitions(spec: Partitioned) -> list[Partition]:
    """The partitions of ``spec``'s table, months in order then DEFAULT (none if not partitioned)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT child.relname,
                   -- FOR VALUES FROM ('2026-03-01 01:00:00+01') TO (...): the lower bound's UTC day
                   (substring(pg_get_expr(child.relpartbound, child.oid) FROM $re$'([^']+)'$re$)::timestamptz
                    AT TIME ZONE 'UTC')::date
            FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid
            WHERE pg_inherits.inhparent = to_regclass(%s)
            """,
            [spec.table],
        )
        found = [Partition(name=name, month=month) for name, month in cursor.fetchall()]
    return sorted(found, key=lambda item: (item.month is None, item.month or date.min))


def orphans() -> dict[str, int]:
    """Survey responses and CTI calls pointing at an interaction that does not exist: 0 and 0,
    which the foreign keys, or once partitioned their constraint triggers, hold (a check for the
    tests and by hand; it reads both tables whole)."""
    interactions = Interaction._meta.db_table
    counts = {}
    for model in (SurveyResponse, CtiCall):
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {table} r WHERE r.interaction_id IS NOT NULL "  # noqa: S608 (names from the models)
                f"AND NOT EXISTS (SELECT 1 FROM {interactions} i WHERE i.id = r.interaction_id)"
            )
            counts[table] = cursor.fetchone()[0]
    return counts


# --- The conversion -------------------------------------------------------------------------------


@dataclass
class Plan:
    """What :func:`table_partition` will do to one table: its months, and the statements it runs."""

    spec: Partitioned
    months: list[date] = field(default_factory=list)
    rows: int = 0
    already: bool = False
    steps: list[str] = field(default_factory=list)


def preconditions() -> None:
    """Raise :class:`PartitionError` unless the conversion may run now."""
    if connection.vendor != "postgresql":
        raise PartitionError(
            _("Partitioning needs PostgreSQL (DATABASE_URL); this database is %(vendor)s.")
            % {"vendor": connection.vendor}
        )
    if not settings.INTERACTIONS_PARTITIONED:
        raise PartitionError(
            _(
                "INTERACTIONS_PARTITIONED is off: turn it on (in the environment of every process) before "
                "partitioning, so that the daily job keeps creating the months ahead."
            )
        )
    if connection.pg_version < MIN_POSTGRESQL:
        raise PartitionError(_("Partitioning needs PostgreSQL 13 or later (row triggers on partitioned tables)."))
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise PartitionError(_("Some migrations are not applied: run `manage.py migrate` first."))


def _columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


def _month_range(spec: Partitioned, since: date | None, months_ahead: int, now: datetime) -> tuple[list[date], int]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT min("{spec.key}"), count(*) FROM {spec.table}')  # noqa: S608
        oldest, rows = cursor.fetchone()
    first = month_of(oldest) if oldest is not None else month_of(now)
    if since is not None:
        first = max(first, since)
    first = min(first, month_of(now))
    months = months_between(first, month_after(month_of(now), months_ahead))
    return months, rows


def _definitions(spec: Partitioned) -> dict[str, list[str]]:
    """The indexes, triggers and foreign keys of the table as it stands, as SQL to run again."""
    table = spec.table
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, pg_get_indexdef(x.indexrelid), x.indisunique, x.indisprimary,
                   ARRAY(SELECT a.attname FROM pg_attribute a
                         WHERE a.attrelid = x.indrelid AND a.attnum = ANY(x.indkey))
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = to_regclass(%s) ORDER BY i.relname
            """,
            [table],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal "
            "ORDER BY tgname",
            [table],
        )
        triggers = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = to_regclass(%s) "
            "AND contype = 'f' ORDER BY conname",
            [table],
        )
        outward = [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for name, definition in cursor]
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, a.attname FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.confrelid = to_regclass(%s) AND c.contype = 'f' ORDER BY 1, 2
            """,
            [table],
        )
        referencing = [Reference(table=other, constraint=name, column=column) for other, name, column in cursor]
    inward = [f'ALTER TABLE {item.table} DROP CONSTRAINT "{item.constraint}"' for item in referencing]
    rebuilt = []
    for name, definition, unique, primary, columns in indexes:
        if primary:
            rebuilt.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" PRIMARY KEY (id, "{spec.key}")')
        elif unique and spec.key not in columns:
            if name == KEY_CONSTRAINT:
                # Unique across months in the key table; here an index for the look-up by key.
                rebuilt.append(definition.replace(f"CREATE UNIQUE INDEX {name}", f"CREATE INDEX {KEY_LOOKUP_INDEX}", 1))
            else:
                # Unique inside a month: the key column joins the index (see the module docstring).
                head, found, tail = definition.partition(") WHERE")
                if not found:
                    head, tail = definition[:-1], None
                rebuilt.append(f'{head}, "{spec.key}")' + (f" WHERE{tail}" if tail is not None else ""))
        else:
            rebuilt.append(definition)
    return {
        "indexes": rebuilt,
        "triggers": triggers,
        "outward": outward,
        "inward": inward,
        "references": _references_sql(table, referencing),
    }


@dataclass(frozen=True)
class Reference:
    """A foreign key to the table: the referencing table, the constraint's name, its column."""

    table: str
    constraint: str
    column: str


def _references_sql(table: str, references: list[Reference]) -> list[str]:
    """What the foreign keys to ``table`` checked, done by triggers (a foreign key to a partitioned
    table must reference its partition key too): at commit, as before (deferred), a referencing
    row must point at an existing row, and a row deleted must no longer be referenced (unless it
    was only moved to another month's partition: its id is still there)."""
    if not references:
        return []
    checks = "\n".join(
        f"""    IF EXISTS (SELECT 1 FROM {item.table} WHERE "{item.column}" = OLD.id) THEN
        RAISE foreign_key_violation USING CONSTRAINT = '{item.constraint}',
            MESSAGE = format('{table} %s is still referenced from {item.table}', OLD.id);
    END IF;"""  # noqa: S608
        for item in references
    )
    steps = [
        f"""CREATE OR REPLACE FUNCTION {table}_reference_exists() RETURNS trigger AS $$
        DECLARE referenced bigint;
        BEGIN
            -- The row as it is now (checked at commit: it may have changed or gone since).
            EXECUTE format('SELECT %I FROM %I.%I WHERE id = $1', TG_ARGV[0], TG_TABLE_SCHEMA, TG_TABLE_NAME)
                USING NEW.id INTO referenced;
            IF referenced IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {table} WHERE id = referenced) THEN
                RAISE foreign_key_violation USING CONSTRAINT = TG_NAME,
                    MESSAGE = format('%s.%s = %s: no such row in {table}', TG_TABLE_NAME, TG_ARGV[0], referenced);
            END IF;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",  # noqa: S608
        f"""CREATE OR REPLACE FUNCTION {table}_not_referenced() RETURNS trigger AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM {table} WHERE id = OLD.id) THEN RETURN NULL; END IF;  -- moved
        {checks}
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",  # noqa: S608
        f"""CREATE CONSTRAINT TRIGGER {table}_not_referenced AFTER DELETE ON {table}
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {table}_not_referenced()""",
    ]
    for item in references:
        steps.append(
            f"""CREATE CONSTRAINT TRIGGER "{item.constraint}" AFTER INSERT OR UPDATE OF "{item.column}"
            ON {item.table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
            EXECUTE FUNCTION {table}_reference_exists('{item.column}')"""
        )
    return steps


def _key_table_sql(table: str) -> list[str]:
    """The key table of interactions, filled from ``table``, and the triggers keeping it."""
    return [
        f"""CREATE TABLE {KEY_TABLE} (
            source varchar(50) NOT NULL, external_id varchar(150) NOT NULL, interaction_id bigint NOT NULL,
            CONSTRAINT {KEY_CONSTRAINT} PRIMARY KEY (source, external_id))""",
        f"INSERT INTO {KEY_TABLE} SELECT source, external_id, id FROM {table} WHERE external_id <> ''",  # noqa: S608
        f"""CREATE OR REPLACE FUNCTION interactions_key_keep() RETURNS trigger AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.external_id <> '' THEN
                DELETE FROM {KEY_TABLE} WHERE source = OLD.source AND external_id = OLD.external_id
                    AND interaction_id = OLD.id;
            END IF;
            IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.external_id <> '' THEN
                INSERT INTO {KEY_TABLE} VALUES (NEW.source, NEW.external_id, NEW.id);
            END IF;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",  # noqa: S608
        f"""CREATE OR REPLACE FUNCTION interactions_key_truncate() RETURNS trigger AS $$
        BEGIN TRUNCATE {KEY_TABLE}; RETURN NULL; END $$ LANGUAGE plpgsql""",
        f"""CREATE TRIGGER interactions_key_written AFTER INSERT OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION interactions_key_keep()""",
        f"""CREATE TRIGGER interactions_key_changed AFTER UPDATE ON {table}
        FOR EACH ROW WHEN ((OLD.source, OLD.external_id) IS DISTINCT FROM (NEW.source, NEW.external_id))
        EXECUTE FUNCTION interactions_key_keep()""",
        f"""CREATE TRIGGER interactions_key_truncated AFTER TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION interactions_key_truncate()""",
    ]


def _create_partition_sql(spec: Partitioned, month: date | None) -> str:
    name = spec.partition_name(month)
    if month is None:
        return f"CREATE TABLE {name} PARTITION OF {spec.table} DEFAULT"
    return (
        f"CREATE TABLE {name} PARTITION OF {spec.table} "
        f"FOR VALUES FROM ('{_bound(month)}') TO ('{_bound(month_after(month))}')"
    )


def table_plan(spec: Partitioned, *, months_ahead: int | None = None, since: date | None = None, now: datetime) -> Plan:
    """What converting ``spec``'s table would do (nothing if it is partitioned already).

    Raises :class:`PartitionError` when it would make more than :data:`MAX_PARTITIONS` months."""
    months_ahead = settings.PARTITION_MONTHS_AHEAD if months_ahead is None else months_ahead
    if is_partitioned(spec.table):
        return Plan(spec=spec, already=True, months=[p.month for p in partitions(spec) if p.month])
    months, rows = _month_range(spec, since, months_ahead, now)
    if len(months) > MAX_PARTITIONS:
        raise PartitionError(
            _(
                "%(table)s would need %(count)s monthly partitions (its oldest row is from %(month)s): "
                "give --since YYYY-MM, and the older rows go to its DEFAULT partition."
            )
            % {"table": spec.table, "count": len(months), "month": f"{months[0]:%Y-%m}"}
        )
    table, old = spec.table, f"{spec.table}__unpartitioned"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        sequence = cursor.fetchone()[0]
    columns = ", ".join(f'"{name}"' for name in _columns(table))
    defs = _definitions(spec)
    steps = [
        f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE",
        # Foreign keys checked at commit would forbid altering their tables: checked now instead.
        "SET CONSTRAINTS ALL IMMEDIATE",
        *defs["inward"],
        f"ALTER TABLE {table} RENAME TO {old}",
        f"ALTER SEQUENCE {sequence} RENAME TO {old}_id_seq",
        f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY "
        f'INCLUDING STORAGE INCLUDING COMMENTS INCLUDING GENERATED) PARTITION BY RANGE ("{spec.key}")',
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), last_value, is_called) FROM {old}_id_seq",  # noqa: S608
        *(_create_partition_sql(spec, month) for month in [*months, None]),
    ]
    for month in months:
        steps.append(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {old} "  # noqa: S608
            f"WHERE \"{spec.key}\" >= '{_bound(month)}' AND \"{spec.key}\" < '{_bound(month_after(month))}'"
        )
    steps.append(
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {old} "  # noqa: S608
        f"WHERE \"{spec.key}\" < '{_bound(months[0])}' OR \"{spec.key}\" >= '{_bound(month_after(months[-1]))}'"
    )
    steps.append(f"DROP TABLE {old}")
    steps += defs["indexes"] + defs["outward"]
    if spec.table == Interaction._meta.db_table:
        steps += _key_table_sql(table)
    steps += defs["references"] + defs["triggers"]
    steps += [f"ANALYZE {table}", "SET CONSTRAINTS ALL DEFERRED"]
    return Plan(spec=spec, months=months, rows=rows, steps=steps)


def table_partition(plan: Plan, *, progress: Callable[[Iterable[str]], Iterable[str]] = iter) -> int:
    """Run ``plan`` in one transaction (all or nothing); returns the rows copied. ``progress`` wraps
    the statements as they run (a progress bar)."""
    if plan.already:
        return 0
    table = plan.spec.table
    copied, rows = 0, None
    with transaction.atomic(), connection.cursor() as cursor:
        for step in progress(plan.steps):
            cursor.execute(step)
            if rows is None:  # the lock is taken: the rows to copy are these, and stay these
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
                rows = cursor.fetchone()[0]
            elif step.startswith(f"INSERT INTO {table} ") and f"FROM {table}__unpartitioned" in step:
                copied += cursor.rowcount
        if copied != rows:  # never seen; all or nothing
            raise PartitionError(
                _("%(table)s: %(copied)s rows copied of %(rows)s; nothing was changed.")
                % {"table": table, "copied": copied, "rows": rows}
            )
    return copied


# --- The months ahead -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ensured:
    created: list[str]
    moved: int


@transaction.atomic
def partitions_ensure(*, months_ahead: int | None = None, now: datetime) -> dict[str, Ensured]:
    """Create the partitions of the current month and the ``months_ahead`` next ones that are
    missing, for each partitioned table; rows already in the DEFAULT partition for such a month
    move into it. Runs twice safely: a month that has its partition is left alone."""
    months_ahead = settings.PARTITION_MONTHS_AHEAD if months_ahead is None else months_ahead
    done = {}
    for spec in tables():
        if not is_partitioned(spec.table):
            continue
        have = {item.month for item in partitions(spec)}
        created, moved = [], 0
        for month in months_between(month_of(now), month_after(month_of(now), months_ahead)):
            if month in have:
                continue
            moved += _partition_add(spec, month)
            created.append(spec.partition_name(month))
        done[spec.table] = Ensured(created=created, moved=moved)
    return done


def _partition_add(spec: Partitioned, month: date) -> int:
    """Create ``month``'s partition; the DEFAULT partition's rows of that month move into it (a
    delete and an insert through the table, so that its triggers see both). Returns rows moved."""
    table, default = spec.table, spec.partition_name(None)
    within = f"\"{spec.key}\" >= '{_bound(month)}' AND \"{spec.key}\" < '{_bound(month_after(month))}'"
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(
            f"CREATE TEMPORARY TABLE partition_moving ON COMMIT DROP AS SELECT * FROM {default} WHERE {within}"  # noqa: S608
        )
        cursor.execute(f"DELETE FROM {default} WHERE {within}")  # noqa: S608
        moved = cursor.rowcount
        cursor.execute(_create_partition_sql(spec, month))
        cursor.execute(f"INSERT INTO {table} SELECT * FROM partition_moving")  # noqa: S608
        cursor.execute("DROP TABLE partition_moving")
    return moved


def partition_new_database(sender: object, using: str = DEFAULT_DB_ALIAS, **kwargs: object) -> None:
    """``post_migrate`` receiver: with ``INTERACTIONS_PARTITIONED`` on, partition the tables that
    are still empty (a new database), so that a new installation starts partitioned. A table
    holding rows is left to ``manage.py partition_tables`` (it takes a maintenance window)."""
    if getattr(sender, "label", None) != "interactions" or using != DEFAULT_DB_ALIAS:
        return
    if not available() or connection.pg_version < MIN_POSTGRESQL:
        return
    now = timezone.now()
    for spec in tables():
        if is_partitioned(spec.table):
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {spec.table})")  # noqa: S608
            if cursor.fetchone()[0]:
                continue
        table_partition(table_plan(spec, now=now))


def check_partitioning(app_configs: object = None, databases: object = None, **kwargs: object) -> list[checks.Warning]:
    """System check (``migrate``, ``manage.py check --database default``): the setting and the
    tables agree. On with a table holding rows still unpartitioned: run ``partition_tables``. Off
    with the tables partitioned: no month is created ahead any more, new months pile up in DEFAULT."""
    if not databases or DEFAULT_DB_ALIAS not in databases or connection.vendor != "postgresql":
        return []
    warnings = []
    try:
        with connection.cursor() as cursor:
            for spec in tables():
                cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [spec.table])
                row = cursor.fetchone()
                if row is None:
                    continue  # not migrated yet
                if row[0] == "p" and not settings.INTERACTIONS_PARTITIONED:
                    warnings.append(
                        checks.Warning(
                            f"{spec.table} is partitioned by month but INTERACTIONS_PARTITIONED is off: no partition "
                            "is created ahead, and the rows of new months go to its DEFAULT partition.",
                            hint="Turn INTERACTIONS_PARTITIONED on (docs/performance.md, 'Past 100M rows').",
                            id="interactions.W002",
                        )
                    )
                if row[0] != "p" and available():
                    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {spec.table})")  # noqa: S608
                    if cursor.fetchone()[0]:  # an empty one is partitioned by migrate itself
                        warnings.append(
                            checks.Warning(
                                f"INTERACTIONS_PARTITIONED is on but {spec.table} is not partitioned.",
                                hint="Stop the application and run `manage.py partition_tables` "
                                "(docs/performance.md, 'Past 100M rows').",
                                id="interactions.W001",
                            )
                        )
    except DatabaseError:
        return []  # no database to look at: other checks say so
    return warnings
