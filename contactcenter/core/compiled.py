"""Hot-path queries compiled to SQL once per process, then run with new values.

Turning a queryset into SQL costs more than running it when the query is a lookup by key: on the
API's token check (a token with its user, profile and team, four tables), Django's compiler took
1.5 ms of the 1.9 ms of CPU the lookup cost, on every request, for the same SQL each time. A
:class:`CompiledQuery` builds its queryset once per database with sample values standing for the
parameters, keeps the SQL and the compiler, and then only runs the SQL and builds the objects, the
way Django's own iterator does (``select_related`` objects and annotations included).

:func:`insert_row` is the same for a single ``INSERT`` whose primary key nobody reads back (an
access log row): the statement is built once per model, columns and database.

:class:`ViewerQuery` is either of them for a queryset narrowed to what a user may see
(``visible_to(user)``): one compiled form per kind of viewer (role, with or without a team), run
with the viewer's own ids.

Both go through Django's cursor: the queries are logged and counted like the ORM's.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import ValuesListIterable, get_related_populators

from contactcenter.core.roles import PROFILE_RELATION, role_of, team_id_of

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Many:
    """A sample standing for a list of ids (an ``__in`` filter's): the query is compiled once for
    each length of list it is run with, the samples of a length-``n`` list being ``base``,
    ``base - 1`` … ``base - n + 1`` (keep the other samples out of that range). A value given for
    it is any iterable of ids; duplicates are dropped (as the ORM drops them), and an empty one
    makes the query find nothing without running it."""

    base: int

    def stand_in(self, length: int) -> list[int]:
        return [self.base - k for k in range(length)]


#: A date and time no query is run with, to stand for one (a sample).
SAMPLE_TIME = datetime(1901, 2, 3, 4, 5, 6, 789_012, tzinfo=UTC)

#: Where each parameter of a compiled query comes from: ``(sample index, item, constant)``. A
#: parameter that is a sample's value has ``item`` ``None``; one item of a :class:`Many` list has its
#: index there; a parameter that is none of the samples has index ``None`` and the constant.
Position = tuple[int | None, int | None, Any]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positions: tuple[Position, ...]
    compiler: Any
    converters: dict[int, Any]
    init_list: list[str]
    start: int
    end: int
    populators: list[Any]
    annotations: dict[str, int]


#: The compiled form of a queryset that can match nothing (Django raised ``EmptyResultSet``).
_NOTHING = object()


@dataclass(frozen=True)
class _Statement:
    """A compiled query ready to run: its compiled form, database and parameters."""

    compiled: Any
    alias: str
    params: list[Any]


@dataclass(frozen=True)
class Later:
    """A compiled query's fetch, not run yet: give several to :func:`fetch_together`."""

    query: _Compiles
    values: tuple[Any, ...]


def fetch_together(*fetches: Later) -> list[list[Any]]:
    """What each of ``fetches`` would fetch, in their order, in one round trip to PostgreSQL.

    Reads that depend on the same known values (a customer's phones, open tickets and last
    contacts, once the customer is known) need not wait for each other's answer: through
    psycopg's pipeline mode, the statements leave together and their rows come back together,
    one wait for the server instead of one per query. Elsewhere (SQLite, several databases, a
    libpq without pipelines) they run one after the other. Each statement is still a query of its
    own, logged and counted as the ORM's are.
    """
    statements = [later.query._prepare(tuple(later.values)) for later in fetches]
    ready = [statement for statement in statements if statement is not None]
    rows = iter(_execute_together(ready))
    return [
        [] if statement is None else later.query._answer(statement, next(rows))
        for later, statement in zip(fetches, statements, strict=True)
    ]


def _execute_together(statements: list[_Statement]) -> list[list[tuple]]:
    aliases = {statement.alias for statement in statements}
    connection = connections[statements[0].alias] if len(aliases) == 1 else None
    if connection is None or len(statements) < 2 or not _pipelines(connection):
        found = []
        for statement in statements:
            with connections[statement.alias].cursor() as cursor:
                cursor.execute(statement.compiled.sql, statement.params)
                found.append(cursor.fetchall())
        return found
    cursors = [connection.cursor() for _ in statements]  # the first one connects
    try:
        with connection.connection.pipeline():
            for cursor, statement in zip(cursors, statements, strict=True):
                cursor.execute(statement.compiled.sql, statement.params)
            return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


def _pipelines(connection: Any) -> bool:
    """Whether ``connection`` can send statements in a pipeline: PostgreSQL through psycopg 3
    with a libpq that has pipeline mode (14 or later)."""
    if connection.vendor != "postgresql":
        return False
    return bool(getattr(connection.Database, "Pipeline", None) and connection.Database.Pipeline.is_supported())


class _Compiles:
    """What both compiled kinds share: the samples, one compiled form per database and shape (the
    lengths of the :class:`Many` values), and the parameters of a run."""

    def __init__(self, build: Callable[..., QuerySet], samples: Sequence[Any], optional: int = 0) -> None:
        if len(set(samples)) != len(samples):
            raise ImproperlyConfigured(f"{type(self).__name__} samples must be distinct.")
        self._build = build
        self._samples = tuple(samples)
        #: The last ``optional`` samples may be missing from the query (a viewer's team, say).
        self._required = len(samples) - optional
        self._compiled: dict[tuple[str, tuple[int, ...]], Any] = {}
        self._lock = threading.Lock()

    def _prepare(self, values: tuple[Any, ...]) -> _Statement | None:
        """The compiled form, database and parameters of a run with ``values``; ``None`` when a list
        is empty or the queryset can match nothing (nothing to run)."""
        if len(values) != len(self._samples):
            raise TypeError(f"expected {len(self._samples)} values, got {len(values)}")
        values = tuple(
            list(dict.fromkeys(value)) if isinstance(sample, Many) else value
            for sample, value in zip(self._samples, values, strict=True)
        )
        shape = tuple(
            len(value) for sample, value in zip(self._samples, values, strict=True) if isinstance(sample, Many)
        )
        if 0 in shape:
            return None
        alias = router.db_for_read(self._model())
        compiled = self._compiled.get((alias, shape))
        if compiled is None:
            samples = [
                sample.stand_in(len(value)) if isinstance(sample, Many) else sample
                for sample, value in zip(self._samples, values, strict=True)
            ]
            queryset = self._build(*samples)
            compiler = queryset.query.get_compiler(using=alias)
            try:
                sql, params = compiler.as_sql()
            except EmptyResultSet:  # ``none()``, or a filter nothing can match: never run
                compiled = _NOTHING
            else:
                adapted = [_adapt(sample, alias) for sample in samples]
                positions = _positions(params, self._samples, adapted, self._required)
                compiled = self._compiled_form(queryset, compiler, sql, positions, alias)
            with self._lock:
                compiled = self._compiled.setdefault((alias, shape), compiled)
        if compiled is _NOTHING:
            return None
        params = [
            constant if i is None else (_adapt(values[i], alias) if k is None else values[i][k])
            for i, k, constant in compiled.positions
        ]
        return _Statement(compiled, alias, params)

    def fetch(self, *values: Any) -> list[Any]:
        """The rows of the query for ``values`` (in the order of the samples)."""
        statement = self._prepare(values)
        if statement is None:
            return []
        return self._answer(statement, _execute_together([statement])[0])

    def later(self, *values: Any) -> Later:
        """:meth:`fetch` of ``values``, to run with others in one round trip: :func:`fetch_together`."""
        return Later(self, values)

    def _answer(self, statement: _Statement, rows: list[tuple]) -> list[Any]:
        raise NotImplementedError

    def _compiled_form(
        self, queryset: QuerySet, compiler: Any, sql: str, positions: tuple[Position, ...], alias: str
    ) -> Any:
        raise NotImplementedError

    def _model(self) -> type[Model]:
        model = getattr(self, "_model_class", None)
        if model is None:
            samples = [sample.stand_in(1) if isinstance(sample, Many) else sample for sample in self._samples]
            model = self._model_class = self._build(*samples).model
        return model


class CompiledQuery(_Compiles, Generic[M]):
    """``build(*samples)`` must return a queryset of model instances (filters, ``select_related``,
    ordering, slicing, annotations, ``select_for_update``; no ``prefetch_related``, no
    ``values()``); :meth:`fetch` runs it with other values. ``samples`` are values of the right
    type that no real query would use, each distinct: they mark where each value goes, as equality
    parameters (a value transformed on the way, as ``icontains`` does, would not be found:
    compiling then fails), or :class:`Many` for a list of ids. Every other parameter of the
    queryset is a constant, compiled in."""

    def __init__(self, build: Callable[..., QuerySet[M]], samples: Sequence[Any], optional: int = 0) -> None:
        super().__init__(build, samples, optional)

    def fetch(self, *values: Any) -> list[M]:
        """The rows of the query for ``values`` (in the order of the samples), as model instances."""
        return super().fetch(*values)

    def _answer(self, statement: _Statement, rows: list[tuple]) -> list[M]:
        compiled = statement.compiled
        model = compiled.compiler.klass_info["model"]
        found = []
        for row in _converted(compiled, rows):
            obj = model.from_db(statement.alias, compiled.init_list, row[compiled.start : compiled.end])
            for populator in compiled.populators:
                populator.populate(row, obj)
            for name, position in compiled.annotations.items():
                setattr(obj, name, row[position])
            found.append(obj)
        return found

    def first(self, *values: Any) -> M | None:
        """The first row of :meth:`fetch`, or ``None``."""
        rows = self.fetch(*values)
        return rows[0] if rows else None

    def _compiled_form(
        self, queryset: QuerySet, compiler: Any, sql: str, positions: tuple[Position, ...], alias: str
    ) -> _Compiled:
        if queryset._prefetch_related_lookups or queryset._known_related_objects or queryset._fields is not None:
            raise ImproperlyConfigured("CompiledQuery runs model querysets without prefetches or values().")
        klass_info, select = compiler.klass_info, compiler.select
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return _Compiled(
            sql=sql,
            positions=positions,
            compiler=compiler,
            converters=_converters(compiler),
            init_list=[column[0].target.attname for column in select[start:end]],
            start=start,
            end=end,
            populators=get_related_populators(klass_info, select, alias),
            annotations=dict(compiler.annotation_col_map),
        )


@dataclass(frozen=True)
class _CompiledRows:
    sql: str
    positions: tuple[Position, ...]
    compiler: Any
    converters: dict[int, Any]


class CompiledRows(_Compiles):
    """:class:`CompiledQuery` for a ``values_list()`` queryset (annotations and subqueries
    included): :meth:`fetch` gives its rows as tuples, through the database's converters as the
    ORM gives them. The same rules for the samples."""

    def fetch(self, *values: Any) -> list[tuple]:
        return super().fetch(*values)

    def _answer(self, statement: _Statement, rows: list[tuple]) -> list[tuple]:
        return [tuple(row) for row in _converted(statement.compiled, rows)]

    def _compiled_form(
        self, queryset: QuerySet, compiler: Any, sql: str, positions: tuple[Position, ...], alias: str
    ) -> _CompiledRows:
        if queryset._prefetch_related_lookups or queryset._iterable_class is not ValuesListIterable:
            raise ImproperlyConfigured("CompiledRows runs values_list() querysets without prefetches.")
        return _CompiledRows(sql=sql, positions=positions, compiler=compiler, converters=_converters(compiler))


#: The ids that stand for a viewer and their team while a :class:`ViewerQuery` compiles.
SAMPLE_VIEWER_ID = -7_900_001
SAMPLE_TEAM_ID = -7_900_002


def _stand_in_viewer(role: str | None, with_team: bool) -> AbstractBaseUser:
    """A user who is not saved, of ``role`` (``None``: no profile), in a team or not, whose id and
    team's id are the samples: what ``visible_to`` reads of a user, and nothing else."""
    user_model = get_user_model()
    viewer = user_model(pk=SAMPLE_VIEWER_ID, is_active=True, is_superuser=False)
    relation = user_model._meta.get_field(PROFILE_RELATION)
    profile = None
    if role is not None:
        profile = relation.related_model(
            user_id=SAMPLE_VIEWER_ID, role=role, team_id=SAMPLE_TEAM_ID if with_team else None
        )
        relation.field.set_cached_value(profile, viewer)
    relation.set_cached_value(viewer, profile)
    return viewer


class ViewerQuery(Generic[M]):
    """A :class:`CompiledQuery` (or, with ``rows=True``, a :class:`CompiledRows`) of a queryset
    narrowed to what a user may see: ``build(viewer, *samples)`` builds it for ``viewer``, a user
    standing in for every user of the same role and with (or without) a team, and
    :meth:`fetch` runs the form compiled for ``user``'s kind of viewer with their own id and
    team's id. For the querysets whose ``visible_to(user)`` reads of the user only
    :func:`~contactcenter.core.roles.role_of`, the user's id and
    :func:`~contactcenter.core.roles.team_id_of` (subqueries on them included), as every
    ``visible_to`` of the records does; a viewer who may see nothing runs no query."""

    def __init__(self, build: Callable[..., QuerySet], samples: Sequence[Any], *, rows: bool = False) -> None:
        self._build = build
        self._samples = tuple(samples)
        self._kind = CompiledRows if rows else CompiledQuery
        #: One compiled query per kind of viewer, made when first asked for.
        self._variant = functools.cache(self._make_variant)

    def _make_variant(self, role: str | None, with_team: bool) -> _Compiles:
        viewer = _stand_in_viewer(role, with_team)
        return self._kind(
            lambda *samples: self._build(viewer, *samples[:-2]),
            samples=[*self._samples, SAMPLE_VIEWER_ID, SAMPLE_TEAM_ID],
            optional=2,
        )

    def fetch(self, user: AbstractBaseUser, *values: Any) -> list[Any]:
        """The rows ``user`` may see for ``values`` (in the order of the samples): model instances,
        or tuples with ``rows=True``."""
        role = role_of(user)
        team_id = team_id_of(user) if role is not None else None
        return self._variant(role, team_id is not None).fetch(*values, user.pk, team_id)

    def first(self, user: AbstractBaseUser, *values: Any) -> Any:
        """The first row of :meth:`fetch`, or ``None``."""
        found = self.fetch(user, *values)
        return found[0] if found else None

    def later(self, user: AbstractBaseUser, *values: Any) -> Later:
        """:meth:`fetch` for ``user``, to run with others in one round trip: :func:`fetch_together`."""
        role = role_of(user)
        team_id = team_id_of(user) if role is not None else None
        return Later(self._variant(role, team_id is not None), (*values, user.pk, team_id))


def _converters(compiler: Any) -> dict[int, Any]:
    """The database's and the fields' converters of each column of the compiled query, as Django
    works them out on every run (``results_iter``): once, here. A query with composite columns
    (none here) is refused."""
    columns = [select[0] for select in compiler.select[0 : compiler.col_count]]
    if compiler.has_composite_fields(columns):
        raise ImproperlyConfigured("Compiled queries do not read composite columns.")
    return compiler.get_converters(columns)


def _converted(compiled: Any, rows: list[tuple]) -> Iterable[Sequence[Any]]:
    """``rows`` through the compiled query's converters, as the ORM gives them."""
    if not compiled.converters:
        return rows
    return compiled.compiler.apply_converters(rows, compiled.converters)


def _adapt(value: Any, alias: str) -> Any:
    """A date and time as the database's adapter passes it (SQLite: a string in UTC), as the ORM
    does with the value of a ``DateTimeField`` lookup; any other value as it is."""
    if isinstance(value, datetime):
        return connections[alias].ops.adapt_datetimefield_value(value)
    return value


def _positions(
    params: Sequence[Any], samples: tuple[Any, ...], stand_ins: Sequence[Any], required: int
) -> tuple[Position, ...]:
    """For each parameter of a compiled query: the sample it is (and which item of a list), or
    the constant itself (``stand_ins``: the samples as the query was built with them, adapted).
    The first ``required`` samples must each be a parameter."""
    where: list[tuple[Any, int, int | None]] = []
    for i, (sample, stand_in) in enumerate(zip(samples, stand_ins, strict=True)):
        if isinstance(sample, Many):
            where += [(value, i, k) for k, value in enumerate(stand_in)]
        else:
            where.append((stand_in, i, None))
    positions: list[Position] = []
    for param in params:
        match = next(((i, k) for value, i, k in where if type(value) is type(param) and value == param), None)
        positions.append((match[0], match[1], None) if match else (None, None, param))
    missing = set(range(required)) - {i for i, _k, _constant in positions}
    if missing:
        raise ImproperlyConfigured(f"Compiled query: samples {sorted(missing)} are not parameters of the query.")
    return tuple(positions)


def attach_prefetched(obj: Model, name: str, related: list[Model]) -> None:
    """Give ``obj`` the rows of its reverse relation ``name`` as ``prefetch_related`` would, so that
    ``obj.<name>.all()`` reads them without a query (``related`` fetched by a :class:`CompiledQuery`,
    filtered and ordered as the page needs)."""
    queryset = getattr(obj, name).all()
    queryset._result_cache = related
    queryset._prefetch_done = True
    obj.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


_INSERTS: dict[tuple[str, type[Model], tuple[str, ...]], tuple[str, list[Any]]] = {}


def insert_row(model: type[Model], **values: Any) -> None:
    """``INSERT`` one row of ``model`` with ``values`` (field names; the others take their database
    default or NULL), without reading its primary key back and without ``save()``'s signals: for
    append-only rows written on hot paths. The caller validates what it passes."""
    alias = router.db_for_write(model)
    connection = connections[alias]
    key = (alias, model, tuple(values))
    built = _INSERTS.get(key)
    if built is None:
        fields = [model._meta.get_field(name) for name in values]
        quote = connection.ops.quote_name
        # Names from the model's meta, quoted; values go as parameters.
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(model._meta.db_table),
            ", ".join(quote(field.column) for field in fields),
            ", ".join(["%s"] * len(fields)),
        )
        built = _INSERTS.setdefault(key, (sql, fields))
    sql, fields = built
    params = [field.get_db_prep_save(value, connection) for field, value in zip(fields, values.values(), strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def insert_row_if_new(obj: Model, *, unique: Sequence[str]) -> bool:
    """``INSERT`` the row of the unsaved ``obj`` unless a row with the same values of the ``unique``
    fields (a unique constraint of its own) exists: ``ON CONFLICT DO NOTHING``, on PostgreSQL and
    SQLite alike. One query, whichever happens; returns whether the row was inserted, and then
    gives ``obj`` its primary key (an auto field, read back with ``RETURNING``). ``auto_now`` and
    ``auto_now_add`` fields are filled as ``save()`` fills them; ``save()``'s signals are not sent.

    A get-or-create that holds the row it made: on PostgreSQL, an insert that meets a concurrent,
    uncommitted insert of the same key waits for its transaction to end, then inserts (it rolled
    back) or does nothing (it committed); the row inserted stays invisible to others, and so in
    effect locked, until the transaction commits."""
    model = type(obj)
    pk = model._meta.pk
    if not getattr(pk, "db_returning", False):
        raise ImproperlyConfigured("insert_row_if_new needs a model with an auto primary key.")
    alias = router.db_for_write(model)
    connection = connections[alias]
    fields = [field for field in model._meta.local_concrete_fields if field is not pk]
    quote = connection.ops.quote_name
    # Names from the model's meta, quoted; values go as parameters.
    sql = "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO NOTHING RETURNING {}".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
        ", ".join(quote(model._meta.get_field(name).column) for name in unique),
        quote(pk.column),
    )
    params = [field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding, obj._state.db = False, alias
    return True
