"""Model helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, router
from django.db.migrations.operations import AddField, AddIndex
from django.db.models import CheckConstraint, F, Model, Q, UniqueConstraint

#: The largest id a ``bigint`` key holds: a larger one names no row (PostgreSQL would refuse it).
MAX_ID = 2**63 - 1


def relations_carried(obj: Model, *, read: Model, names: Iterable[str]) -> Model:
    """``obj`` (a row as a service saved it) given the related rows of ``read`` (the same row read
    before, with ``names`` joined) that it does not hold yet and still points to: what a page shows
    of it again, without reading those rows a second time. A relation whose key changed, or that
    ``read`` does not hold, is left to be read as usual. ``names`` are forward relations or a
    reverse one-to-one (``"cti_call"``); a nested one (``"script_version__script"``) travels with
    its first step. Returns ``obj``."""
    if type(obj) is not type(read) or obj.pk != read.pk:
        raise ValueError("relations_carried: obj and read must be the same row")
    for name in names:
        field = obj._meta.get_field(name.split("__", 1)[0])
        if field.is_cached(obj) or not field.is_cached(read):
            continue
        if field.concrete and getattr(obj, field.attname) != getattr(read, field.attname):
            continue
        field.set_cached_value(obj, field.get_cached_value(read))
    return obj


class CleanCheckedConstraintsModel(models.Model):
    """A model whose ``clean()`` checks some ``CheckConstraint``s field by field.

    The database keeps those constraints as a last line of defence; ``full_clean`` skips them so
    that a user sees one message, attached to the field at fault, instead of the same problem
    twice. List their names in ``CLEAN_CHECKED_CONSTRAINTS``.
    """

    CLEAN_CHECKED_CONSTRAINTS: frozenset[str] = frozenset()

    class Meta:
        abstract = True

    def get_constraints(self):
        return [
            (model, [c for c in constraints if c.name not in self.CLEAN_CHECKED_CONSTRAINTS])
            for model, constraints in super().get_constraints()
        ]


class AddColumnInPlace(AddField):
    """``AddField`` of a column with a constant default that SQLite adds in place (``ALTER TABLE …
    ADD COLUMN … NOT NULL DEFAULT …``) where Django would remake the whole table (it does so for
    any column that is not nullable). Remaking a table drops and renames it, which SQLite refuses
    while a trigger on another table reads it (the KPI rollup's triggers read the interactions):
    an existing database could not migrate. Other databases add the field the usual way."""

    def database_forwards(self, app_label: str, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor != "sqlite":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        field = model._meta.get_field(self.name)
        definition, params = schema_editor.column_sql(model, field, include_default=True)
        if "DEFAULT" not in definition:
            raise ValueError(f"AddColumnInPlace needs a constant default for {self.name}.")
        schema_editor.execute(
            f"ALTER TABLE {schema_editor.quote_name(model._meta.db_table)} "
            f"ADD COLUMN {schema_editor.quote_name(field.column)} {definition}",
            params,
        )


class AddIndexWithoutLocking(AddIndex):
    """``AddIndex`` that builds the index ``CONCURRENTLY`` on PostgreSQL, so that deploying it on a
    full table does not block writes to the table (its migration sets ``atomic = False``); other
    databases build it the usual way. An invalid index left by an interrupted build is dropped
    and built again. The migration state is the plain ``AddIndex``'s, so ``makemigrations`` sees
    the index in the model's ``Meta.indexes``."""

    def database_forwards(self, app_label: str, schema_editor, from_state, to_state) -> None:
        connection = schema_editor.connection
        model = to_state.apps.get_model(app_label, self.model_name)
        if connection.vendor != "postgresql" or not self.allow_migrate_model(connection.alias, model):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        partitions = _partitions(schema_editor, model._meta.db_table)
        if partitions is not None:
            self._add_to_partitioned(schema_editor, model, partitions)
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
                [self.index.name],
            )
            row = cursor.fetchone()
        if row and row[0]:
            return  # built by an earlier run that was not recorded
        if row:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(self.index.name)}")
        schema_editor.add_index(model, self.index, concurrently=True)

    def database_backwards(self, app_label: str, schema_editor, from_state, to_state) -> None:
        connection = schema_editor.connection
        model = from_state.apps.get_model(app_label, self.model_name)
        if connection.vendor != "postgresql" or not self.allow_migrate_model(connection.alias, model):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        # A partitioned table's index cannot be dropped CONCURRENTLY: dropped at once, as a whole.
        concurrently = _partitions(schema_editor, model._meta.db_table) is None
        schema_editor.remove_index(model, self.index, concurrently=concurrently)

    def _add_to_partitioned(self, schema_editor, model: type[Model], partitions: list[str]) -> None:
        """PostgreSQL's way for a partitioned table (docs/performance.md, "Past 100M rows"): the
        index on the parent alone (invalid, not yet used), each partition's built CONCURRENTLY and
        attached to it; the parent's is valid once all are. A rerun starts over."""
        quote, name, table = schema_editor.quote_name, self.index.name, model._meta.db_table
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(name)}")
        statement = str(self.index.create_sql(model, schema_editor))
        head = f"CREATE INDEX {quote(name)} ON {quote(table)} "
        if not statement.startswith(head):
            raise ValueError(f"Unexpected index statement: {statement}")
        schema_editor.execute(f"CREATE INDEX {quote(name)} ON ONLY {quote(table)} " + statement[len(head) :])
        for partition in partitions:
            child = f"{name[:40]}_{partition.removeprefix(table + '_')[:20]}"
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {quote(child)}")
            schema_editor.execute(
                f"CREATE INDEX CONCURRENTLY {quote(child)} ON {quote(partition)} " + statement[len(head) :]
            )
            schema_editor.execute(f"ALTER INDEX {quote(name)} ATTACH PARTITION {quote(child)}")


def _partitions(schema_editor, table: str) -> list[str] | None:
    """The partitions of ``table`` if it is a partitioned table (PostgreSQL), else ``None``."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
        if row is None or row[0] != "p":
            return None
        cursor.execute(
            "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = to_regclass(%s) ORDER BY 1", [table]
        )
        return [partition for (partition,) in cursor.fetchall()]


# --- Validation without needless reads -------------------------------------------------------------


class _NotInPython(Exception):
    """A condition :func:`condition_value` cannot work out in Python: the database answers it."""


#: Lookups evaluated in Python, each as SQL does (a comparison with NULL is NULL, ``None`` here).
_ORDERED = (int, float, Decimal, date, datetime, time, timedelta)
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "exact": lambda a, b: a == b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def _operand(value: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(value, F):
        if value.name not in values:
            raise _NotInPython(value.name)
        return values[value.name]
    if hasattr(value, "resolve_expression"):
        raise _NotInPython(value)
    return value


def _lookup_value(lookup: str, raw: Any, values: Mapping[str, Any]) -> bool | None:
    name, _sep, kind = lookup.partition("__")
    kind = kind or "exact"
    if name not in values or "__" in kind:
        raise _NotInPython(lookup)
    left, right = values[name], _operand(raw, values)
    if hasattr(left, "resolve_expression"):
        raise _NotInPython(lookup)  # an expression the save will compute (``F("n") + 1``)
    if kind == "exact" and right is None:
        return left is None  # ``Q(field=None)`` is ``IS NULL``
    if kind == "isnull":
        if not isinstance(right, bool):
            raise _NotInPython(lookup)
        return (left is None) == right
    if kind == "in":
        choices = list(right)
        if left is None:
            return None
        if not all(isinstance(c, (str, int)) for c in [left, *choices]):
            raise _NotInPython(lookup)
        return left in choices
    if kind not in _COMPARISONS:
        raise _NotInPython(lookup)
    if left is None or right is None:
        return None
    if kind == "exact":
        if not all(isinstance(v, (str, int, bool, *_ORDERED)) for v in (left, right)):
            raise _NotInPython(lookup)
    elif not (isinstance(left, _ORDERED) and isinstance(right, _ORDERED)):
        raise _NotInPython(lookup)  # strings order by the database's collation
    return _COMPARISONS[kind](left, right)


def condition_value(condition: Q, values: Mapping[str, Any]) -> bool | None:
    """The value of ``condition`` for a row whose fields hold ``values``, in SQL's three-valued logic
    (``None``: NULL), without asking the database.

    Only plain lookups are worked out (``exact``, ``gt``, ``gte``, ``lt``, ``lte``, ``isnull``,
    ``in``) on the row's own fields, between values or ``F()`` of other fields; anything else
    raises ``_NotInPython`` (the caller asks the database as Django does).
    """
    results: list[bool | None] = []
    for child in condition.children:
        if isinstance(child, Q):
            results.append(condition_value(child, values))
        elif isinstance(child, tuple) and len(child) == 2:
            results.append(_lookup_value(child[0], child[1], values))
        else:
            raise _NotInPython(child)
    if condition.connector == Q.AND:
        value = False if False in results else (None if None in results else True)
    elif condition.connector == Q.OR:
        value = True if True in results else (None if None in results else False)
    else:
        raise _NotInPython(condition.connector)
    if condition.negated:
        return None if value is None else not value
    return value


def _condition_fields(condition: Q) -> set[str]:
    names: set[str] = set()
    for child in condition.children:
        if isinstance(child, Q):
            names |= _condition_fields(child)
        elif isinstance(child, tuple):
            names.add(child[0].split("__", 1)[0])
            if isinstance(child[1], F):
                names.add(child[1].name)
    return names


def relations_in_hand(instance: Model, unchanged: set[str] = frozenset()) -> set[str]:
    """The foreign keys of ``instance`` known to point at a row: those whose object it holds, read
    from the database (not a new one) and with the same id, and, for a saved row, those
    ``unchanged`` since it was read (the database's foreign key keeps them). Validating them would
    only read the same row back. A key limited to some choices (``limit_choices_to``) is always
    checked: the row may have left them."""
    names = set()
    for field in instance._meta.concrete_fields:
        if not field.is_relation or field.remote_field.limit_choices_to:
            continue
        if field.name in unchanged and not instance._state.adding:
            names.add(field.name)
            continue
        if not field.is_cached(instance):
            continue
        related = field.get_cached_value(instance)
        if related is not None and not related._state.adding and related.pk == getattr(instance, field.attname):
            names.add(field.name)
    return names


def _field_values(instance: Model, exclude: set[str]) -> dict[str, Any]:
    """What a constraint's condition reads of the row, as ``_get_field_expression_map`` gives the
    database: each local field not excluded, by name and by column attribute, and ``pk``."""
    values: dict[str, Any] = {}
    for field in instance._meta.local_concrete_fields:
        if field.name in exclude or field.generated:
            continue
        values[field.name] = values[field.attname] = getattr(instance, field.attname)
    if "pk" not in exclude:
        values["pk"] = instance.pk
    return values


def validate_constraints(instance: Model, *, exclude: set[str], unchanged: set[str]) -> None:
    """``instance.validate_constraints(exclude)`` with the same messages, minus the reads that cannot
    fail: a check constraint made of plain lookups is worked out in Python
    (:func:`condition_value`); a conditional unique constraint is not looked up for a row outside its
    condition, nor any unique constraint whose fields (and condition) are all ``unchanged`` (the
    stored row holds them already, and the database keeps them unique)."""
    values = _field_values(instance, exclude)
    using = router.db_for_write(instance.__class__, instance=instance)
    errors: dict = {}
    for model, constraints in instance.get_constraints():
        for constraint in constraints:
            try:
                _validate_constraint(constraint, model, instance, values, exclude, unchanged, using)
            except ValidationError as error:
                fields = getattr(constraint, "fields", ())
                if getattr(error, "code", None) == "unique" and len(fields) == 1:
                    errors.setdefault(fields[0], []).append(error)
                else:
                    errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _validate_constraint(constraint, model, instance, values, exclude, unchanged, using) -> None:
    if isinstance(constraint, CheckConstraint):
        try:
            holds = condition_value(Q(constraint.condition), values)
        except _NotInPython:
            constraint.validate(model, instance, exclude=exclude, using=using)
            return
        if holds is False:
            raise ValidationError(constraint.get_violation_error_message(), code=constraint.violation_error_code)
        return
    if isinstance(constraint, UniqueConstraint) and constraint.fields:
        condition = constraint.condition
        referenced = set(constraint.fields) | (_condition_fields(condition) if condition else set())
        if not instance._state.adding and referenced <= unchanged:
            return
        if condition is not None:
            try:
                if condition_value(condition, values) is False:
                    return  # the row is outside the constraint: nothing to look up
            except _NotInPython:
                pass
    constraint.validate(model, instance, exclude=exclude, using=using)


def full_clean(instance: Model, *, exclude: Iterable[str] = (), unchanged: Iterable[str] = ()) -> None:
    """``instance.full_clean(exclude=exclude)``: the same checks, errors and messages, without the
    reads that cannot find anything: foreign keys whose object is in hand (:func:`relations_in_hand`)
    are not read back, check constraints of plain lookups are worked out in Python, and a saved
    row's ``unchanged`` fields (those the caller did not change since reading it) are not looked up
    again for uniqueness, nor, for its foreign keys, existence. Each read it skips would otherwise
    cost a query (a check constraint three: it runs in a savepoint)."""
    exclude, unchanged = set(exclude), set(unchanged)
    errors: dict = {}
    try:
        instance.clean_fields(exclude=exclude | relations_in_hand(instance, unchanged))
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    try:
        instance.clean()
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    failed = {name for name in errors if name != NON_FIELD_ERRORS}
    unique_checks, date_checks = instance._get_unique_checks(exclude=exclude | failed)
    if not instance._state.adding:
        unique_checks = [(model, check) for model, check in unique_checks if not set(check) <= unchanged]
    found = instance._perform_unique_checks(unique_checks)
    for name, messages in instance._perform_date_checks(date_checks).items():
        found.setdefault(name, []).extend(messages)
    if found:
        errors = ValidationError(found).update_error_dict(errors)
    failed = {name for name in errors if name != NON_FIELD_ERRORS}
    try:
        validate_constraints(instance, exclude=exclude | failed, unchanged=unchanged)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
