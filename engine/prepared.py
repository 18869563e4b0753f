"""Hot-path statements: compiled once per dialect, run on the connection's DBAPI cursor.

The engine's steps issue a handful of small keyed statements each. Going through
SQLAlchemy's execution path (compiled-cache lookup, execution context, result object,
events) costs about ten times what SQLite itself needs for one of them. A
``Prepared`` statement is still a SQLAlchemy Core statement: it is compiled by the
dialect of the connection it first runs on, with that dialect's own bind and result
type processors, and then executed directly on the DBAPI connection inside the
transaction SQLAlchemy began. Driver errors are re-raised as SQLAlchemy's exception
types, so callers catch the same ``OperationalError``/``IntegrityError`` as elsewhere.

Only statements that need nothing from SQLAlchemy at execution time qualify: no
Python-side column defaults and no expanding ``IN`` parameters (both are refused when
the statement is compiled). ``before_cursor_execute`` listeners do not see these
statements; ``bench/engine.py`` counts statements with SQLite's trace callback instead.
"""
from __future__ import annotations

from collections import namedtuple
from datetime import datetime
from operator import itemgetter

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

_SAMPLES = (datetime(2026, 1, 5, 9, 30, 15, 123456), datetime(999, 12, 31, 23, 59, 59),
            datetime(2026, 7, 1), datetime(1, 1, 1, 0, 0, 0, 1))


def faster_datetime(proc):
    """``proc``, but naive datetimes as ``isoformat(" ", "microseconds")`` where that is
    exactly what ``proc`` writes (SQLite's default DateTime storage format).

    The equality is checked on sample values, not assumed: any other processor (or
    format) is returned unchanged.
    """
    try:
        same = all(proc(v) == v.isoformat(" ", "microseconds") for v in _SAMPLES)
    except Exception:  # not a datetime processor
        return proc
    if not same:
        return proc

    def process(value):
        if type(value) is datetime and value.tzinfo is None:
            return value.isoformat(" ", "microseconds")
        return proc(value)

    return process


class _Plan:
    """One statement compiled for one dialect."""

    __slots__ = ("sql", "names", "positional", "fixed", "bind_procs", "row", "result_procs",
                 "_get", "_procs_at")

    def __init__(self, stmt, dialect):
        compiled = stmt.compile(dialect=dialect)
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise ValueError("a prepared statement cannot rely on Python-side column defaults")
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("a prepared statement cannot take expanding IN parameters")
        self.sql = compiled.string
        self.positional = dialect.positional
        binds = {name: bp for bp, name in compiled.bind_names.items()}
        self.names = tuple(compiled.positiontup) if self.positional else tuple(binds)
        #: values fixed in the statement itself (literals such as status == "ready")
        self.fixed = {name: bp.effective_value for name, bp in binds.items() if not bp.required}
        self.bind_procs = {}
        for name, bp in binds.items():
            proc = bp.type.dialect_impl(dialect).bind_processor(dialect)
            if proc is not None:
                self.bind_procs[name] = faster_datetime(proc)
        # itemgetter pulls every parameter in one C call; processors then fix their slots
        self._get = itemgetter(*self.names) if len(self.names) > 1 else (
            (lambda values, _n=self.names[0]: (values[_n],)) if self.names else (lambda v: ()))
        self._procs_at = [(i, self.bind_procs[n]) for i, n in enumerate(self.names)
                          if n in self.bind_procs]
        columns = list(getattr(stmt, "exported_columns", ()) or ())
        self.row = namedtuple("Row", [c.key for c in columns], rename=True) if columns else None
        self.result_procs = [c.type.dialect_impl(dialect).result_processor(dialect, None)
                             for c in columns]
        if not any(self.result_procs):
            self.result_procs = None

    def params(self, given):
        values = {**self.fixed, **given} if self.fixed else given
        try:
            got = self._get(values)
        except KeyError as exc:
            raise ValueError(f"the statement needs the parameter {exc.args[0]!r}: "
                             f"{self.sql}") from None
        if self._procs_at:
            got = list(got)
            for i, proc in self._procs_at:
                got[i] = proc(got[i])
        return tuple(got) if self.positional else dict(zip(self.names, got, strict=True))

    def make_row(self, raw):
        if self.result_procs is not None:
            raw = [p(v) if p is not None else v for p, v in zip(self.result_procs, raw,
                                                                strict=True)]
        return self.row._make(raw)


class Prepared:
    """A Core statement run on the DBAPI connection of a SQLAlchemy ``Connection``."""

    __slots__ = ("stmt", "_plans")

    def __init__(self, stmt):
        self.stmt = stmt
        self._plans: dict[str, _Plan] = {}

    def plan(self, dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _Plan(self.stmt, dialect)
        return plan

    def _run(self, conn: Connection, params, many: bool):
        plan = self.plan(conn.dialect)
        dbapi_conn = conn.connection.driver_connection
        try:
            cursor = dbapi_conn.cursor()
            if many:
                cursor.executemany(plan.sql, [plan.params(p) for p in params])
            else:
                cursor.execute(plan.sql, plan.params(params or {}))
        except conn.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(plan.sql, params, exc,
                                      conn.dialect.loaded_dbapi.Error) from exc
        return plan, cursor

    def execute(self, conn: Connection, params=None) -> int:
        """Run the statement; returns the number of rows it changed."""
        _plan, cursor = self._run(conn, params, False)
        count = cursor.rowcount
        cursor.close()
        return count

    def execute_many(self, conn: Connection, rows: list[dict]) -> None:
        """Run the statement once per parameter dict (one driver call)."""
        if rows:
            self._run(conn, rows, True)[1].close()

    def first(self, conn: Connection, params=None):
        """The first row (a named tuple) or None."""
        plan, cursor = self._run(conn, params, False)
        raw = cursor.fetchone()
        cursor.close()
        return None if raw is None else plan.make_row(raw)

    def all(self, conn: Connection, params=None) -> list:
        plan, cursor = self._run(conn, params, False)
        rows = [plan.make_row(r) for r in cursor.fetchall()]
        cursor.close()
        return rows

    def scalar(self, conn: Connection, params=None):
        row = self.first(conn, params)
        return None if row is None else row[0]

    def scalars(self, conn: Connection, params=None) -> list:
        return [r[0] for r in self.all(conn, params)]


class RawPg:
    """A PostgreSQL-only statement written in the driver's own SQL (``%s`` placeholders),
    for what the hot paths need as one statement and Core would build slowly or not at
    all: a step's save carrying its queued audit events in a data-modifying CTE
    (parameters: a flat sequence), a sealer's batch taken out of the queue with one
    ``DELETE ... WHERE id = ANY(...)`` (the ids sent as one binary array with ``%b``)."""

    __slots__ = ("sql",)

    def __init__(self, sql: str):
        self.sql = sql

    def execute(self, conn: Connection, params) -> int:
        """Run the statement; returns the number of rows it changed."""
        if conn.dialect.name != "postgresql":
            raise ValueError(f"a PostgreSQL statement cannot run on {conn.dialect.name}")
        try:
            cursor = conn.connection.driver_connection.cursor()
            cursor.execute(self.sql, params)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(self.sql, params, exc,
                                      conn.dialect.loaded_dbapi.Error) from exc
        count = cursor.rowcount
        cursor.close()
        return count


def copy_rows_pg(conn: Connection, statement: str, rows) -> None:
    """PostgreSQL: ``statement`` (``COPY table (columns) FROM STDIN``) fed ``rows``, each a
    sequence in the statement's column order: the server's bulk path, for the sealer."""
    if conn.dialect.name != "postgresql":
        raise ValueError(f"COPY cannot run on {conn.dialect.name}")
    try:
        with conn.connection.driver_connection.cursor() as cursor, \
                cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(statement, None, exc,
                                  conn.dialect.loaded_dbapi.Error) from exc
