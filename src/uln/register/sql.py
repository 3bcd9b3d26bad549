"""A register kept in an SQL database: SQLite, PostgreSQL or MariaDB/MySQL.

:class:`SqlRegister` implements :class:`uln.register.base.Register` with SQLAlchemy
Core (tables and explicit row <-> record code, no ORM). Learners are stored whole as
JSON (:meth:`uln.Learner.to_dict`), every version in a table of their own; their
blocking keys sit in an indexed table, so a find reads only its candidates; the name
keys of searchable learners are indexed columns, counted in SQL for term-frequency
weights, so a find gives the same results as in memory.

Opening a register creates or upgrades its schema (Alembic migrations shipped in
:mod:`uln.register.migrations`). Supported URLs: ``sqlite:///path`` (WAL, a busy
timeout, foreign keys on), ``postgresql+psycopg://...`` and ``mysql+pymysql://...``
(InnoDB, utf8mb4). A database error never reaches the caller: it becomes one of the
:mod:`uln.errors` register errors, whose message names no value.

>>> import tempfile, pathlib
>>> from uln import Learner, Demographics
>>> path = pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3"
>>> with SqlRegister(f"sqlite:///{path}") as register:
...     register.reserve_uln("3344556680")
...     with register.transaction():
...         register.add(Learner(uln="3344556680", demographics=Demographics(given_name="Huw")),
...                      keys=None, identity=None)
...     register.get("3344556680").demographics.given_name, register.count()
True
('Huw', 1)
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import random
import threading
from collections.abc import Hashable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ClassVar, Final

import attrs
import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine

from uln.errors import (
    ArgumentTypeError,
    ConcurrencyError,
    DuplicateLearner,
    IntegrityError,
    NotFound,
    RegisterError,
)
from uln.learner import Learner
from uln.matching import (
    CandidateSource,
    MatchRecord,
    block_limit,
    query_keys,
)
from uln.plr.records import (
    LearningEvent,
    Nomination,
    Organisation,
    User,
)
from uln.register import _sql_tables as t
from uln.register._sql_engine import (
    MIGRATIONS,
    _database_error,
    _engine,
    _mapped,
    _sqlite_events,
    _until_free,
    upgrade_schema,
)
from uln.register._sql_find import _BLOCK_SIZES, _CANDIDATE_ROWS, _SqlCandidates, _SqlFrequencies
from uln.register._sql_rows import (
    _audit_event,
    _batch_run,
    _dump,
    _event,
    _event_row,
    _exception_data,
    _exception_item,
    _key_rows,
    _learner_row,
    _load_learner,
    _match_record_of,
    _nomination,
    _organisation,
    _stored,
    _user,
    _user_row,
)
from uln.register.base import (
    AuditEvent,
    BatchEntry,
    BatchRun,
    ExceptionItem,
    ExceptionStatus,
    Register,
)

__all__ = ["MIGRATIONS", "SqlRegister", "upgrade_schema"]

SLOTS: Final = 16
"""Rows the count of searchable learners is spread over (see ``uln_name_totals``)."""

_PAGE: Final = 1_000  # learners read at a time when iterating
_CHUNK: Final = 500  # values in one IN (...) list
_CACHE_SIZE: Final = 200_000  # prepared candidate records kept between finds (~70 MB)
_ANALYZE_EVERY: Final = 1_000  # write transactions between checks of the planner statistics
_ANALYZE_GROWTH: Final = 0.5  # rows changed since the last ANALYZE, as a share of the table
_ANALYZE_MIN: Final = 1_000  # ... and at least this many
_STATS_QUERY: Final = (  # the learners as the planner last saw them, and changes since
    "SELECT c.reltuples, coalesce(s.n_mod_since_analyze, 0) FROM pg_class c "
    "LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
    "WHERE c.relname = 'uln_learners' AND c.relkind = 'r' AND pg_table_is_visible(c.oid)"
)


def _chunks(values: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


_LEARNER_COLUMNS: Final = (
    "uln",
    "version",
    "master_uln",
    "identity",
    "searchable",
    "given_key",
    "family_key",
    "data",
)


_RESERVE_ONE: Final = (
    postgresql.insert(t.ulns_allocated)
    .values(uln=sa.bindparam("uln"))
    .on_conflict_do_nothing()
    .returning(t.ulns_allocated.c.uln)
)
"""Reserve one ULN on PostgreSQL: a row back when it was free."""

# statements built once (building one per call cost about a tenth of a batch's CPU)
_GET_DATA: Final = sa.select(t.learners.c.data).where(t.learners.c.uln == sa.bindparam("uln"))
_GET_MANY: Final = sa.select(t.learners.c.uln, t.learners.c.data).where(
    t.learners.c.uln.in_(sa.bindparam("ulns", expanding=True))
)
_FIND_IDENTITY: Final = sa.select(t.learners.c.uln).where(
    t.learners.c.identity == sa.bindparam("identity")
)
_INSERT_LEARNER: Final = t.learners.insert()
_INSERT_VERSION: Final = t.learner_versions.insert()
_INSERT_KEYS: Final = t.block_keys.insert()
_AUDIT_COLUMNS: Final = (
    "at",
    "organisation",
    "action",
    "uln",
    "version",
    "fields",
    "user",
    "detail",
)
_RECORD_AUDIT: Final = t.audit.insert().values({c: sa.bindparam(c) for c in _AUDIT_COLUMNS})
_GET_EXCEPTION: Final = sa.select(t.exceptions).where(t.exceptions.c.id == sa.bindparam("id"))

_ADD_LEARNER_PG: Final = sa.text(  # our table and column names; the values are bound
    f"WITH added AS (INSERT INTO {t.learners.name} ({', '.join(_LEARNER_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join(':' + c for c in _LEARNER_COLUMNS)}) "
    "ON CONFLICT DO NOTHING RETURNING uln), "
    f"versions AS (INSERT INTO {t.learner_versions.name} (uln, version, data) "
    "SELECT uln, :version, :data FROM added), "
    f'keys AS (INSERT INTO {t.block_keys.name} ("key", uln) '
    "SELECT k, added.uln FROM added, unnest(CAST(:keys AS text[])) AS k) "
    "SELECT uln FROM added"
)
"""Add a learner, its first version and its blocking keys on PostgreSQL in one round
trip: no row back when its ULN or identity is taken (and nothing inserted)."""

_RESERVE_ALL: Final = {  # insert, or leave the row there (driver SQL, values bound)
    "postgresql": "INSERT INTO uln_ulns_allocated (uln) VALUES (%s) ON CONFLICT DO NOTHING",
    "sqlite": "INSERT OR IGNORE INTO uln_ulns_allocated (uln) VALUES (?)",
    "mysql": "INSERT IGNORE INTO uln_ulns_allocated (uln) VALUES (%s)",
}


# -- the register ----------------------------------------------------------------------


class _State(threading.local):
    connection: Connection | None = None
    delta: int = 0  # change to the count of searchable learners, written at commit


class SqlRegister(Register):
    """A register in an SQL database (see the module docs).

    Args:
        url: an SQLAlchemy URL: ``sqlite:///path/to/file``, ``postgresql+psycopg://...``
            or ``mysql+pymysql://...``.
        upgrade: create or upgrade the schema when opening (the default).

    Raises:
        RegisterError: the database cannot be reached or is not supported.
    """

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        with _mapped("opening the register"):
            self._engine, sqlite_path = _engine(url)
            self._dialect = self._engine.dialect.name
            self._state = _State()
            self._writes = 0  # write transactions committed (see _refresh_statistics)
            self._cache: dict[tuple[str, int, bytes], MatchRecord] = {}
            self._compiled: dict[int, tuple[str, tuple[str, ...] | None]] = {}  # _driver's
            self._one_statement: bool | None = None  # _finds_in_one's answer, once known
            # ULNs are reserved on a connection of their own, committed at once; SQLite
            # allows one writer per file, so they go to a file of their own beside it
            self._alloc: Engine = self._engine
            self._memory_reserved: set[str] | None = None
            if self._dialect == "sqlite":
                if sqlite_path is None:
                    self._memory_reserved = set()
                else:
                    self._alloc = sa.create_engine(
                        f"sqlite:///{sqlite_path}-ulns", connect_args={"timeout": 30}
                    )
                    # WAL: a reservation commits without waiting for the disk (it still
                    # survives the process dying), as the register's own file does
                    _sqlite_events(self._alloc, wal=True)
            if upgrade:
                _until_free(lambda: upgrade_schema(self._engine))
            if self._alloc is not self._engine:
                _until_free(self._create_alloc_table)
            self._refresh_statistics()

    def __repr__(self) -> str:
        return f"SqlRegister({self._engine.url.render_as_string(hide_password=True)!r})"

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for tools and tests)."""
        return self._engine

    def _create_alloc_table(self) -> None:
        # one transaction under SQLite's write lock (BEGIN IMMEDIATE): the check that the
        # table exists and its creation are never split by another process
        t.metadata.create_all(self._alloc, tables=[t.ulns_allocated])

    # -- unit of work ------------------------------------------------------------------

    def transaction(self) -> AbstractContextManager[None]:
        """A unit of work on one connection; an inner one is a SAVEPOINT inside it."""
        return self._transaction()

    def in_transaction(self) -> bool:
        """Whether this thread is inside :meth:`transaction`."""
        return self._state.connection is not None

    @contextmanager
    def _transaction(self, *, read: bool = False) -> Iterator[None]:
        state = self._state
        outer = state.connection
        if outer is not None:
            with _mapped("starting a nested transaction"):
                savepoint = outer.begin_nested()
            delta = state.delta
            try:
                yield
            except BaseException:
                with _mapped("rolling back"):
                    if savepoint.is_active:
                        savepoint.rollback()
                state.delta = delta
                raise
            with _mapped("committing"):
                savepoint.commit()
            return
        with _mapped("connecting"):
            connection = self._engine.connect()
            if read:
                connection = connection.execution_options(uln_read=True)
            connection.begin()
        state.connection = connection
        state.delta = 0
        try:
            try:
                yield
            except BaseException:
                with _mapped("rolling back"):
                    connection.rollback()
                raise
            with _mapped("committing"):
                self._write_total(connection, state.delta)
                connection.commit()
        finally:
            state.connection = None
            state.delta = 0
            connection.close()
        if not read:
            self._writes += 1
            if self._writes % _ANALYZE_EVERY == 0:
                self._refresh_statistics()

    def _refresh_statistics(self, added: int = 0) -> None:
        """VACUUM and ANALYZE the learners and their keys on PostgreSQL when they changed a lot.

        The finds look blocks up by key; a planner that has never seen the tables'
        statistics reads the whole key table instead (50 ms rather than 0.5 ms for
        240,000 keys), and servers may run without autovacuum. So a register checks
        the statistics when opened, after each bulk import (``added`` learners, which
        the server's counters may not show yet) and every ``_ANALYZE_EVERY`` writes,
        and analyzes both tables once the learners changed since the last ANALYZE are
        more than half of those it saw. Best effort: a role that may not analyze just
        goes without.
        """
        if self._dialect != "postgresql" or self._state.connection is not None:
            return
        try:
            with self._engine.connect() as connection:
                row = connection.exec_driver_sql(_STATS_QUERY).first()
                connection.rollback()
                if row is None:
                    return
                seen, changed = max(0.0, float(row[0])), int(row[1]) + added
                if changed > max(_ANALYZE_MIN, _ANALYZE_GROWTH * seen):
                    connection = connection.execution_options(isolation_level="AUTOCOMMIT")
                    for table in (t.learners.name, t.block_keys.name):  # our names
                        try:
                            # VACUUM too: the counts a find makes (block sizes, name
                            # counts) then read the indexes alone, not every row they
                            # count (a find on 100,000 learners took 1.5 times as long)
                            connection.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
                        except exc.SQLAlchemyError:  # a role that may only analyze
                            connection.exec_driver_sql(f"ANALYZE {table}")
        except exc.SQLAlchemyError:
            return

    @contextmanager
    def _unit(self, doing: str, *, read: bool = False) -> Iterator[Connection]:
        """The current transaction's connection, or a transaction of its own."""
        connection = self._state.connection
        if connection is not None:
            with _mapped(doing):
                yield connection
            return
        with self._transaction(read=read), _mapped(doing):
            connection = self._state.connection
            assert connection is not None
            yield connection

    def _driver(self, connection: Connection, statement: Any, params: dict[str, Any]) -> list[Any]:
        """Run one of the hot statements (a module constant) on the connection's DBAPI
        cursor and return its rows as the driver gives them (tuples).

        The statement is compiled for the dialect once. SQLAlchemy's result set-up cost
        more than the statement itself on a quick one (0.18 ms against 0.12 ms for an
        indexed read on PostgreSQL): a batch makes several per learner. It runs in the
        connection's transaction as any statement does, and a driver error is raised as
        SQLAlchemy's (the connection invalidated when it was lost), so :func:`_mapped`
        and :meth:`_guarded` treat it as any other. Values need no conversion: strings,
        integers, booleans and lists of them.
        """
        compiled = self._compiled.get(id(statement))
        if compiled is None:
            form = statement.compile(dialect=self._engine.dialect)
            names = tuple(form.positiontup) if form.positional else None
            compiled = self._compiled[id(statement)] = (form.string, names)
        sql, names = compiled
        values: Any = params if names is None else tuple(params[name] for name in names)
        dbapi = connection.connection
        cursor = dbapi.cursor()
        try:
            cursor.execute(sql, values)
            return list(cursor.fetchall()) if cursor.description is not None else []
        except self._engine.dialect.loaded_dbapi.Error as error:
            lost = self._engine.dialect.is_disconnect(error, dbapi.dbapi_connection, cursor)
            if lost:
                connection.invalidate()
            raise exc.DBAPIError.instance(
                sql,
                None,  # no values: they may be personal
                error,
                self._engine.dialect.loaded_dbapi.Error,
                hide_parameters=True,
                connection_invalidated=lost,
                dialect=self._engine.dialect,
            ) from error
        finally:
            cursor.close()

    @contextmanager
    def _guarded(self, connection: Connection, doing: str) -> Iterator[None]:
        # on PostgreSQL a failed statement spoils the whole transaction: a write that may
        # break a unique key runs in a savepoint, so the caller can carry on after it
        if self._dialect == "postgresql" and self._state.connection is connection:
            savepoint = connection.begin_nested()
            try:
                yield
            except exc.SQLAlchemyError as error:
                if savepoint.is_active:
                    savepoint.rollback()
                raise _database_error(error, doing) from None
            except BaseException:
                if savepoint.is_active:
                    savepoint.rollback()
                raise
            savepoint.commit()
        else:
            yield

    def _write_total(self, connection: Connection, delta: int) -> None:
        if not delta:
            return
        slot = random.randrange(SLOTS)
        table = t.name_totals
        updated = connection.execute(
            table.update().where(table.c.slot == slot).values(n=table.c.n + delta)
        )
        if updated.rowcount == 0:
            try:
                with connection.begin_nested():
                    connection.execute(table.insert().values(slot=slot, n=delta))
            except exc.IntegrityError:  # another writer made the row meanwhile
                connection.execute(
                    table.update().where(table.c.slot == slot).values(n=table.c.n + delta)
                )

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()
        if self._alloc is not self._engine:
            self._alloc.dispose()

    # -- ULN allocation ----------------------------------------------------------------

    def reserve_uln(self, uln: str) -> bool:
        """Record ``uln`` as issued, committed at once on a connection of its own."""
        if self._memory_reserved is not None:  # an in-memory SQLite database
            if uln in self._memory_reserved:
                return False
            self._memory_reserved.add(uln)
            return True
        if self._dialect == "postgresql":  # one round trip: committed by the insert itself
            with _mapped("reserving a ULN"), self._alloc.connect() as connection:
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
                reserved = connection.execute(_RESERVE_ONE, {"uln": uln}).first()
            return reserved is not None
        with _mapped("reserving a ULN"), self._alloc.connect() as connection:
            try:
                connection.execute(t.ulns_allocated.insert().values(uln=uln))
                connection.commit()
            except exc.IntegrityError:
                connection.rollback()
                return False
        return True

    def _reserve_all(self, ulns: list[str]) -> None:
        """Record ``ulns`` as reserved, whether or not they were before (committed at once)."""
        if self._memory_reserved is not None:
            self._memory_reserved.update(ulns)
            return
        sql = _RESERVE_ALL.get(self._alloc.dialect.name, _RESERVE_ALL["mysql"])
        with _mapped("reserving ULNs"), self._alloc.connect() as connection:
            connection.exec_driver_sql(sql, [(uln,) for uln in ulns])
            connection.commit()

    def reserve_ulns(self, ulns: Sequence[str]) -> None:
        """Record ``ulns`` as issued, in one statement committed at once (a bulk
        :meth:`reserve_uln`; ULNs reserved before stay reserved)."""
        self._reserve_all(list(ulns))

    claims_blocks: ClassVar[bool] = True

    def claim_ulns(self, ulns: Sequence[str]) -> list[str]:
        """Reserve each of ``ulns`` that was never reserved, for good (committed at once,
        on a connection of its own); returns those, in the order given.

        One round trip for a whole block of ULNs, where :meth:`reserve_uln` takes one
        per ULN: the allocator draws a block at a time. A ULN reserved here and never
        issued (the process ends first) is simply never issued.
        """
        wanted = list(dict.fromkeys(ulns))
        if not wanted:
            return []
        if self._memory_reserved is not None:
            fresh = [uln for uln in wanted if uln not in self._memory_reserved]
            self._memory_reserved.update(fresh)
            return fresh
        table = t.ulns_allocated
        if self._dialect == "postgresql":  # committed by the insert itself
            with _mapped("reserving ULNs"), self._alloc.connect() as connection:
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
                claimed = set(
                    connection.execute(
                        postgresql.insert(table)
                        .values([{"uln": uln} for uln in wanted])
                        .on_conflict_do_nothing()
                        .returning(table.c.uln)
                    ).scalars()
                )
            return [uln for uln in wanted if uln in claimed]
        # SQLite holds its write lock from BEGIN IMMEDIATE, so what the select saw free
        # is still free at the insert; on MariaDB another process may take one meanwhile
        # (the insert then fails whole): those are reserved one by one instead
        with _mapped("reserving ULNs"), self._alloc.connect() as connection:
            taken = set(
                connection.execute(sa.select(table.c.uln).where(table.c.uln.in_(wanted)))
                .scalars()
                .all()
            )
            fresh = [uln for uln in wanted if uln not in taken]
            try:
                if fresh:
                    connection.execute(table.insert(), [{"uln": uln} for uln in fresh])
                connection.commit()
            except exc.IntegrityError:
                connection.rollback()
            else:
                return fresh
        return [uln for uln in fresh if self.reserve_uln(uln)]

    def is_reserved(self, uln: str) -> bool:
        if self._memory_reserved is not None:
            return uln in self._memory_reserved
        table = t.ulns_allocated
        with _mapped("reading ULN allocations"), self._alloc.connect() as connection:
            found = connection.execute(sa.select(table.c.uln).where(table.c.uln == uln)).first()
            connection.rollback()
        return found is not None

    # -- learners ----------------------------------------------------------------------

    def add(self, learner: Learner, *, keys: Sequence[str] | None, identity: str | None) -> None:
        if learner.uln is None:
            raise RegisterError("adding a learner: the learner has no ULN")
        uln = learner.uln
        row = _learner_row(learner, keys, identity)
        if self._dialect == "postgresql":
            self._add_postgresql(uln, learner.version, row, keys)
            return
        with self._unit("adding a learner") as connection:
            with self._guarded(connection, "adding a learner"):
                try:
                    connection.execute(_INSERT_LEARNER, row)
                except exc.IntegrityError:
                    raise DuplicateLearner(
                        f"ULN {uln}: a stored learner has this ULN or the same identity"
                    ) from None
                connection.execute(
                    _INSERT_VERSION,
                    {"uln": uln, "version": learner.version, "data": row["data"]},
                )
                if keys is not None:
                    key_rows = _key_rows(uln, keys)
                    if key_rows:
                        connection.execute(_INSERT_KEYS, key_rows)
            if keys is not None:
                self._state.delta += 1

    def _add_postgresql(
        self, uln: str, version: int, row: dict[str, Any], keys: Sequence[str] | None
    ) -> None:
        """:meth:`add` on PostgreSQL: a clash is seen by ``ON CONFLICT DO NOTHING`` rather
        than by a failed insert, so no SAVEPOINT is needed to carry on after it (two round
        trips fewer per registration)."""
        key_list = [] if keys is None else [r["key"] for r in _key_rows(uln, keys)]
        with self._unit("adding a learner") as connection:
            # one statement: the version and the keys are inserted only when the learner is
            params = {**row, "keys": key_list}
            if not self._driver(connection, _ADD_LEARNER_PG, params):
                raise DuplicateLearner(
                    f"ULN {uln}: a stored learner has this ULN or the same identity"
                )
            if keys is not None:
                self._state.delta += 1

    def add_many(
        self,
        items: Iterable[tuple[Learner, Sequence[str] | None, str | None]],
        *,
        batch_size: int = 5_000,
    ) -> int:
        """Store many new learners, ``batch_size`` at a time (a bulk import).

        ``items`` gives ``(learner, keys, identity)`` as :meth:`add` takes them. Each
        batch is written with multi-row inserts in one transaction (or inside the
        current one); returns how many learners were stored. The learners' ULNs are
        also recorded as reserved (for good, as :meth:`reserve_uln` does), so a ULN
        brought in by an import is never issued to anyone else.

        Raises:
            DuplicateLearner: a learner of a batch has the ULN or identity of a stored
                one (that batch is not stored; earlier batches are, when outside a
                transaction).
        """
        stored = 0
        batch: list[tuple[Learner, Sequence[str] | None, str | None]] = []
        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                stored += self._add_batch(batch)
                batch = []
        if batch:
            stored += self._add_batch(batch)
        self._refresh_statistics(stored)
        return stored

    def _add_batch(self, batch: list[tuple[Learner, Sequence[str] | None, str | None]]) -> int:
        learner_rows: list[tuple[Any, ...]] = []
        version_rows: list[tuple[Any, ...]] = []
        key_rows: list[tuple[str, str]] = []
        searchable = 0
        for learner, keys, identity in batch:
            uln = learner.uln
            if uln is None:
                raise RegisterError("adding learners: a learner has no ULN")
            row = _learner_row(learner, keys, identity)
            learner_rows.append(tuple(row[name] for name in _LEARNER_COLUMNS))
            version_rows.append((uln, learner.version, row["data"]))
            if keys is not None:
                searchable += 1
                key_rows.extend(
                    (key, uln) for key in dict.fromkeys(_stored(key, t.KEY_LENGTH) for key in keys)
                )
        self._reserve_all([str(row[0]) for row in learner_rows])
        with self._unit("adding learners") as connection:
            with self._guarded(connection, "adding learners"):
                try:
                    self._bulk(connection, t.learners, _LEARNER_COLUMNS, learner_rows)
                except exc.IntegrityError:
                    raise DuplicateLearner(
                        "adding learners: a stored learner has the ULN or identity of one "
                        "of the batch"
                    ) from None
                self._bulk(connection, t.learner_versions, ("uln", "version", "data"), version_rows)
                self._bulk(connection, t.block_keys, ("key", "uln"), key_rows)
            self._state.delta += searchable
        return len(batch)

    def _bulk(
        self,
        connection: Connection,
        table: sa.Table,
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        """Insert many rows straight through the driver (COPY on PostgreSQL).

        Only the values travel as parameters; the table and column names are ours.
        """
        if not rows:
            return
        quote = self._engine.dialect.identifier_preparer.quote
        names = ", ".join(quote(column) for column in columns)
        if self._dialect == "postgresql":
            raw: Any = connection.connection.driver_connection
            try:
                with (
                    raw.cursor() as cursor,
                    cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,  # our names
                ):
                    for row in rows:
                        copy.write_row(row)
            except Exception as error:  # the driver's own (COPY goes around SQLAlchemy)
                state = getattr(error, "sqlstate", None)
                if state is None:
                    raise
                if state.startswith("23"):  # integrity constraint violation
                    raise exc.IntegrityError("COPY", None, error) from None
                raise exc.DBAPIError("COPY", None, error) from None
            return
        mark = "?" if self._engine.dialect.paramstyle == "qmark" else "%s"
        marks = ", ".join([mark] * len(columns))
        connection.exec_driver_sql(
            f"INSERT INTO {table.name} ({names}) VALUES ({marks})",  # noqa: S608 - our names
            rows,
        )

    def get(self, uln: str) -> Learner | None:
        with self._unit("reading a learner", read=True) as connection:
            rows = self._driver(connection, _GET_DATA, {"uln": uln})
        return _load_learner(rows[0][0]) if rows else None

    def get_many(self, ulns: Iterable[str]) -> dict[str, Learner]:
        wanted = list(dict.fromkeys(ulns))
        found: dict[str, Learner] = {}
        with self._unit("reading learners", read=True) as connection:
            for chunk in _chunks(wanted):
                rows = connection.execute(_GET_MANY, {"ulns": list(chunk)})
                for uln, data in rows:
                    found[uln] = _load_learner(data)
        return {uln: found[uln] for uln in wanted if uln in found}

    def replace(
        self,
        learner: Learner,
        *,
        expected_version: int,
        keys: Sequence[str] | None,
        identity: str | None,
    ) -> None:
        if learner.uln is None:
            raise RegisterError("replacing a learner: the learner has no ULN")
        uln = learner.uln
        table = t.learners
        row = _learner_row(learner, keys, identity)
        with self._unit("updating a learner") as connection:
            current = connection.execute(
                sa.select(table.c.version, table.c.searchable)
                .where(table.c.uln == uln)
                .with_for_update()
            ).first()
            if current is None:
                raise NotFound(uln)
            if current.version != expected_version:
                raise ConcurrencyError(
                    f"ULN {uln}: version {expected_version} expected, "
                    f"version {current.version} stored"
                )
            with self._guarded(connection, "updating a learner"):
                try:
                    updated = connection.execute(
                        table.update()
                        .where(table.c.uln == uln, table.c.version == expected_version)
                        .values({k: v for k, v in row.items() if k != "uln"})
                    )
                except exc.IntegrityError:
                    raise DuplicateLearner(
                        f"ULN {uln}: another stored learner has the same identity"
                    ) from None
                if updated.rowcount != 1:
                    raise ConcurrencyError(f"ULN {uln}: changed by someone else meanwhile")
                connection.execute(
                    t.learner_versions.insert(),
                    {"uln": uln, "version": learner.version, "data": row["data"]},
                )
                connection.execute(t.block_keys.delete().where(t.block_keys.c.uln == uln))
                if keys is not None:
                    key_rows = _key_rows(uln, keys)
                    if key_rows:
                        connection.execute(t.block_keys.insert(), key_rows)
            self._state.delta += int(keys is not None) - int(bool(current.searchable))

    def history(self, uln: str) -> list[Learner]:
        table = t.learner_versions
        with self._unit("reading a learner's history", read=True) as connection:
            rows = connection.execute(
                sa.select(table.c.data).where(table.c.uln == uln).order_by(table.c.version)
            ).scalars()
            return [_load_learner(data) for data in rows]

    def find_identity(self, identity: str) -> str | None:
        with self._unit("looking up an identity", read=True) as connection:
            rows = self._driver(connection, _FIND_IDENTITY, {"identity": identity})
        return str(rows[0][0]) if rows else None

    def linked_to(self, master_uln: str) -> list[str]:
        table = t.learners
        with self._unit("reading linked learners", read=True) as connection:
            return list(
                connection.execute(
                    sa.select(table.c.uln)
                    .where(table.c.master_uln == master_uln)
                    .order_by(table.c.uln)
                ).scalars()
            )

    def candidates(self) -> CandidateSource:
        return _SqlCandidates(self)

    def _searchable_total(self) -> int:
        table = t.name_totals
        with self._unit("counting learners", read=True) as connection:
            total = connection.execute(sa.select(sa.func.sum(table.c.n))).scalar()
        return int(total or 0) + self._state.delta

    def _count_name(self, column: str, key: str) -> int:
        table = t.learners
        col = table.c[column]
        with self._unit("counting names", read=True) as connection:
            count = connection.execute(
                sa.select(sa.func.count())
                .select_from(table)
                .where(col == _stored(key, t.NAME_LENGTH))
            ).scalar()
        return int(count or 0)

    def _candidates(
        self, record: MatchRecord, frequencies: _SqlFrequencies | None = None
    ) -> list[tuple[Hashable, MatchRecord]]:
        wanted: dict[str, str] = {}
        for key in query_keys(record):
            wanted.setdefault(_stored(key, t.KEY_LENGTH), key)
        if not wanted:
            return []
        with self._unit("finding candidates", read=True) as connection:
            if frequencies is not None and self._finds_in_one(connection):
                limits = {stored: block_limit(record, key) for stored, key in wanted.items()}
                found_one = frequencies.find_in_one(connection, record, limits)
                return [(u, self._prepared(u, version, data)) for u, version, data in found_one]
            if frequencies is not None:  # with the name counts its weights will ask for
                sizes = frequencies.prefetch(connection, record, list(wanted))
            else:
                rows = connection.execute(_BLOCK_SIZES, {"keys": list(wanted)})
                sizes = {key: int(count) for key, count in rows}
            allowed = sorted(
                stored
                for stored, size in sizes.items()
                if size <= block_limit(record, wanted[stored])
            )
            found = connection.execute(_CANDIDATE_ROWS, {"keys": allowed}).all() if allowed else []
        return [(row.uln, self._prepared(row.uln, row.version, row.data)) for row in found]

    def _finds_in_one(self, connection: Connection) -> bool:
        """Whether a find is one statement here (:data:`_FIND_ONE`): on PostgreSQL, and
        on SQLite when it has its JSON functions (built in since 3.38, and in nearly every
        build before); otherwise two queries."""
        usable = self._one_statement
        if usable is None:
            usable = self._dialect == "postgresql"
            if self._dialect == "sqlite":
                try:
                    connection.exec_driver_sql("SELECT count(*) FROM json_each('[]')").all()
                    usable = True
                except exc.DBAPIError:  # no such table: json_each
                    usable = False
            self._one_statement = usable
        return usable

    def _prepared(self, uln: str, version: int, data: str) -> MatchRecord:
        """The match record of a stored learner, remembered between finds.

        Keyed by the digest of its data as well as its version: a version written in a
        transaction that was then rolled back can be written again with other data.
        When full, the older half is forgotten (a batch of 5,000 against 100,000
        learners reads 65,000 different candidates, 110,000 in all).
        """
        cache = self._cache
        key = (uln, version, hashlib.blake2b(data.encode("utf-8"), digest_size=16).digest())
        record = cache.get(key)
        if record is None:
            record = _match_record_of(data)
            if len(cache) >= _CACHE_SIZE:
                for old in list(itertools.islice(cache, _CACHE_SIZE // 2)):
                    del cache[old]
            cache[key] = record
        return record

    def __iter__(self) -> Iterator[Learner]:
        table = t.learners
        after = ""
        while True:
            with self._unit("reading learners", read=True) as connection:
                rows = connection.execute(
                    sa.select(table.c.uln, table.c.data)
                    .where(table.c.uln > after)
                    .order_by(table.c.uln)
                    .limit(_PAGE)
                ).all()
            if not rows:
                return
            for row in rows:
                yield _load_learner(row.data)
            after = rows[-1].uln

    def count(self) -> int:
        with self._unit("counting learners", read=True) as connection:
            return int(
                connection.execute(sa.select(sa.func.count()).select_from(t.learners)).scalar() or 0
            )

    # -- exceptions --------------------------------------------------------------------

    def add_exception(self, item: ExceptionItem) -> int:
        with self._unit("storing an exception") as connection:
            result = connection.execute(
                t.exceptions.insert().values(
                    kind=item.kind.value,
                    status=item.status.value,
                    organisation=item.organisation,
                    data=_exception_data(item),
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def get_exception(self, exception_id: int) -> ExceptionItem | None:
        with self._unit("reading an exception", read=True) as connection:
            row = connection.execute(_GET_EXCEPTION, {"id": exception_id}).first()
        return None if row is None else _exception_item(row)

    def get_exceptions(self, exception_ids: Iterable[int]) -> dict[int, ExceptionItem]:
        table = t.exceptions
        wanted = sorted(set(exception_ids))
        found: dict[int, ExceptionItem] = {}
        with self._unit("reading exceptions", read=True) as connection:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                rows = connection.execute(sa.select(table).where(table.c.id.in_(chunk)))
                found.update((int(row.id), _exception_item(row)) for row in rows)
        return {i: found[i] for i in wanted if i in found}

    def update_exception(self, item: ExceptionItem) -> None:
        table = t.exceptions
        with self._unit("updating an exception") as connection:
            updated = connection.execute(
                table.update()
                .where(table.c.id == item.id)
                .values(
                    kind=item.kind.value,
                    status=item.status.value,
                    organisation=item.organisation,
                    data=_exception_data(item),
                )
            )
            if updated.rowcount != 1:
                raise NotFound(f"exception {item.id}")

    def exceptions(
        self, *, status: ExceptionStatus | None = ExceptionStatus.OPEN
    ) -> list[ExceptionItem]:
        table = t.exceptions
        query = sa.select(table).order_by(table.c.id)
        if status is not None:
            query = query.where(table.c.status == status.value)
        with self._unit("reading exceptions", read=True) as connection:
            return [_exception_item(row) for row in connection.execute(query)]

    # -- audit -------------------------------------------------------------------------

    def record(self, event: AuditEvent) -> None:
        with self._unit("recording an audit event") as connection:
            self._driver(
                connection,
                _RECORD_AUDIT,
                {
                    "at": event.at.isoformat(),
                    "organisation": event.organisation,
                    "action": event.action,
                    "uln": event.uln,
                    "version": event.version,
                    "fields": _dump(list(event.fields)),
                    "user": event.user,
                    "detail": event.detail,
                },
            )

    def record_many(self, events: Sequence[AuditEvent]) -> None:
        """:meth:`record` each event, in one multi-row insert."""
        if not events:
            return
        with self._unit("recording audit events") as connection:
            connection.execute(
                t.audit.insert(),
                [
                    {
                        "at": event.at.isoformat(),
                        "organisation": event.organisation,
                        "action": event.action,
                        "uln": event.uln,
                        "version": event.version,
                        "fields": _dump(list(event.fields)),
                        "user": event.user,
                        "detail": event.detail,
                    }
                    for event in events
                ],
            )

    def audit(self, *, uln: str | None = None, organisation: str | None = None) -> list[AuditEvent]:
        table = t.audit
        query = sa.select(table).order_by(table.c.id)
        if uln is not None:
            query = query.where(table.c.uln == uln)
        if organisation is not None:
            query = query.where(table.c.organisation == organisation)
        with self._unit("reading the audit history", read=True) as connection:
            return [_audit_event(row) for row in connection.execute(query)]

    # -- batch runs --------------------------------------------------------------------

    def start_batch(self, run: BatchRun) -> BatchRun:
        table = t.batch_runs
        with self._unit("starting a batch run") as connection:
            existing = connection.execute(
                sa.select(table).where(table.c.key == run.key).with_for_update()
            ).first()
            if existing is not None:
                return _batch_run(existing)
            try:
                with self._guarded(connection, "starting a batch run"):
                    connection.execute(
                        table.insert().values(
                            key=run.key,
                            ukprn=run.ukprn,
                            file_name=run.file_name,
                            total=run.total,
                            started=run.started.isoformat(),
                            finished=None if run.finished is None else run.finished.isoformat(),
                        )
                    )
            except (exc.IntegrityError, DuplicateLearner):  # started at the same moment
                pass
            row = connection.execute(sa.select(table).where(table.c.key == run.key)).first()
            assert row is not None
            return _batch_run(row)

    def get_batch(self, key: str) -> BatchRun | None:
        table = t.batch_runs
        with self._unit("reading a batch run", read=True) as connection:
            row = connection.execute(sa.select(table).where(table.c.key == key)).first()
        return None if row is None else _batch_run(row)

    def finish_batch(self, key: str, finished: _dt.datetime) -> None:
        table = t.batch_runs
        with self._unit("finishing a batch run") as connection:
            updated = connection.execute(
                table.update().where(table.c.key == key).values(finished=finished.isoformat())
            )
            if updated.rowcount != 1:
                raise NotFound(f"batch run {key}")

    def record_batch_entry(self, key: str, entry: BatchEntry) -> None:
        with self._unit("recording a batch entry") as connection:
            runs = t.batch_runs
            if connection.execute(sa.select(runs.c.key).where(runs.c.key == key)).first() is None:
                raise NotFound(f"batch run {key}")
            with self._guarded(connection, "recording a batch entry"):
                try:
                    connection.execute(
                        t.batch_entries.insert().values(
                            batch_key=key,
                            idx=entry.index,
                            code=entry.code,
                            uln=entry.uln,
                            exception_id=entry.exception_id,
                        )
                    )
                except exc.IntegrityError:
                    raise DuplicateLearner(
                        f"batch entry {entry.index} is already recorded for this batch"
                    ) from None

    def record_batch_entries(self, key: str, entries: Sequence[BatchEntry]) -> None:
        """Record several learners' outcomes in one multi-row insert (all or none)."""
        if not entries:
            return
        with self._unit("recording batch entries") as connection:
            runs = t.batch_runs
            if connection.execute(sa.select(runs.c.key).where(runs.c.key == key)).first() is None:
                raise NotFound(f"batch run {key}")
            rows = [
                {
                    "batch_key": key,
                    "idx": entry.index,
                    "code": entry.code,
                    "uln": entry.uln,
                    "exception_id": entry.exception_id,
                }
                for entry in entries
            ]
            with self._guarded(connection, "recording batch entries"):
                try:
                    connection.execute(t.batch_entries.insert(), rows)
                except exc.IntegrityError:
                    raise DuplicateLearner(
                        "a batch entry is already recorded for this batch"
                    ) from None

    def batch_entries(self, key: str) -> list[BatchEntry]:
        table = t.batch_entries
        with self._unit("reading batch entries", read=True) as connection:
            rows = connection.execute(
                sa.select(table).where(table.c.batch_key == key).order_by(table.c.idx)
            )
            return [
                BatchEntry(index=r.idx, code=r.code, uln=r.uln, exception_id=r.exception_id)
                for r in rows
            ]

    # -- learning records (uln.plr) --------------------------------------------------

    def add_event(self, event: LearningEvent) -> None:
        self.add_events((event,))

    def add_events(self, events: Iterable[LearningEvent]) -> int:
        rows = [_event_row(event) for event in events]
        ids = [row["id"] for row in rows]
        if len(set(ids)) != len(ids):
            raise IntegrityError("storing events: an event id is repeated")
        if not rows:
            return 0
        with self._unit("storing events") as connection:
            # a savepoint on every database: a refused row leaves none of the others
            savepoint = connection.begin_nested()
            try:
                for start in range(0, len(rows), _CHUNK):
                    connection.execute(t.plr_events.insert(), rows[start : start + _CHUNK])
            except exc.IntegrityError:
                savepoint.rollback()
                raise IntegrityError("storing events: an event with this id is stored") from None
            except BaseException:
                if savepoint.is_active:
                    savepoint.rollback()
                raise
            savepoint.commit()
        return len(rows)

    def get_event(self, event_id: str) -> LearningEvent | None:
        table = t.plr_events
        with self._unit("reading an event", read=True) as connection:
            row = connection.execute(sa.select(table).where(table.c.id == event_id)).first()
        return None if row is None else _event(row)

    def events(self, uln: str) -> list[LearningEvent]:
        return self.events_for((uln,))

    def events_for(self, ulns: Iterable[str]) -> list[LearningEvent]:
        if isinstance(ulns, str):
            raise ArgumentTypeError("ulns", "an iterable of ULNs, not one ULN", ulns)
        table = t.plr_events
        wanted = sorted(set(ulns))
        found: list[LearningEvent] = []
        with self._unit("reading events", read=True) as connection:
            for chunk in _chunks(wanted):
                query = sa.select(table).where(table.c.uln.in_(list(chunk)))
                found.extend(_event(row) for row in connection.execute(query))
        found.sort(key=lambda e: (e.award_date, e.id))
        return found

    def set_challenge(self, event_id: str, under_challenge: bool) -> LearningEvent:
        table = t.plr_events
        with self._unit("changing a data challenge") as connection:
            connection.execute(
                table.update()
                .where(table.c.id == event_id)
                .values(under_challenge=bool(under_challenge))
            )
            row = connection.execute(sa.select(table).where(table.c.id == event_id)).first()
            if row is None:
                raise NotFound("no event has this id")
            return _event(row)

    def add_organisation(self, organisation: Organisation) -> None:
        doing = "storing an organisation"
        with self._unit(doing) as connection, self._guarded(connection, doing):
            try:
                connection.execute(
                    t.organisations.insert().values(
                        ukprn=organisation.ukprn,
                        name=organisation.name,
                        kind=organisation.kind.value,
                    )
                )
            except exc.IntegrityError:
                raise IntegrityError(f"{doing}: one with this UKPRN is stored") from None

    def get_organisation(self, ukprn: str) -> Organisation | None:
        table = t.organisations
        with self._unit("reading an organisation", read=True) as connection:
            row = connection.execute(sa.select(table).where(table.c.ukprn == ukprn)).first()
        return None if row is None else _organisation(row)

    def organisations(self) -> list[Organisation]:
        table = t.organisations
        with self._unit("reading organisations", read=True) as connection:
            rows = connection.execute(sa.select(table).order_by(table.c.ukprn))
            return [_organisation(row) for row in rows]

    def add_user(self, user: User) -> None:
        with self._unit("storing a user") as connection:
            orgs = t.organisations
            found = connection.execute(
                sa.select(orgs.c.ukprn).where(orgs.c.ukprn == user.organisation)
            ).first()
            if found is None:
                raise NotFound("no organisation has this UKPRN")
            with self._guarded(connection, "storing a user"):
                try:
                    connection.execute(t.users.insert().values(**_user_row(user)))
                except exc.IntegrityError:
                    raise IntegrityError(
                        "storing a user: one with this username is stored"
                    ) from None

    def get_user(self, user_id: str) -> User | None:
        table = t.users
        with self._unit("reading a user", read=True) as connection:
            row = connection.execute(sa.select(table).where(table.c.id == user_id)).first()
        return None if row is None else _user(row)

    def update_user(self, user: User) -> None:
        table = t.users
        with self._unit("updating a user") as connection:
            row = connection.execute(
                sa.select(table.c.organisation).where(table.c.id == user.id).with_for_update()
            ).first()
            if row is None:
                raise NotFound("no user has this username")
            if row.organisation != user.organisation:
                raise IntegrityError("a user never moves to another organisation")
            connection.execute(
                table.update()
                .where(table.c.id == user.id)
                .values(role=user.role.value, active=user.active, secret_hash=user.secret_hash)
            )

    def users(self, organisation: str) -> list[User]:
        table = t.users
        with self._unit("reading users", read=True) as connection:
            rows = connection.execute(
                sa.select(table).where(table.c.organisation == organisation).order_by(table.c.id)
            )
            return [_user(row) for row in rows]

    def add_nomination(self, nomination: Nomination) -> Nomination:
        with self._unit("storing a nomination") as connection:
            result = connection.execute(
                t.nominations.insert().values(
                    uln=nomination.uln,
                    organisation=nomination.organisation,
                    view=nomination.view.value,
                    shared=_dump(list(nomination.shared)),
                    created=nomination.created.isoformat(),
                    withdrawn=None
                    if nomination.withdrawn is None
                    else nomination.withdrawn.isoformat(),
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return attrs.evolve(nomination, id=int(key[0]))

    def withdraw_nomination(self, nomination_id: int, at: _dt.datetime) -> Nomination:
        table = t.nominations
        with self._unit("withdrawing a nomination") as connection:
            row = connection.execute(
                sa.select(table).where(table.c.id == nomination_id).with_for_update()
            ).first()
            if row is None:
                raise NotFound("no nomination has this id")
            if row.withdrawn is not None:
                raise IntegrityError("the nomination was withdrawn already")
            new = attrs.evolve(_nomination(row), withdrawn=at)
            connection.execute(
                table.update().where(table.c.id == nomination_id).values(withdrawn=at.isoformat())
            )
            return new

    def nominations(self, uln: str, *, include_withdrawn: bool = False) -> list[Nomination]:
        table = t.nominations
        query = sa.select(table).where(table.c.uln == uln).order_by(table.c.id)
        if not include_withdrawn:
            query = query.where(table.c.withdrawn.is_(None))
        with self._unit("reading nominations", read=True) as connection:
            return [_nomination(row) for row in connection.execute(query)]
