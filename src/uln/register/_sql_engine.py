"""The SQL register's engines, schema and errors (see :mod:`uln.register.sql`).

An engine per URL (SQLite with WAL, a busy timeout and foreign keys; the servers at
READ COMMITTED), the schema created or upgraded under a lock, and database errors turned
into :mod:`uln.errors` register errors whose message names no value.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

from uln.errors import ConcurrencyError, DuplicateLearner, RegisterError

__all__ = ["MIGRATIONS", "upgrade_schema"]

MIGRATIONS: Final = Path(__file__).with_name("migrations")
"""Where the Alembic environment and versions of the schema are."""

_LOCK_ID: Final = 0x756C6E  # PostgreSQL advisory lock held while migrating ("uln")
_OPEN_ATTEMPTS: Final = 100  # tries at a step of opening a busy SQLite file (about 10 s)
_SQLITE_CACHE_KB: Final = 262_144  # the page cache of a connection to an SQLite file


# -- errors ----------------------------------------------------------------------------


def _database_error(error: exc.SQLAlchemyError, doing: str) -> RegisterError:
    """Our error for a database error; its message names no value (they may be personal)."""
    orig = getattr(error, "orig", None)
    kind = type(orig if orig is not None else error).__name__
    # the driver's code for the error (never its message, which may quote values):
    # PostgreSQL's SQLSTATE, MySQL's error number, SQLite's result code name
    code = (
        getattr(orig, "sqlstate", None)
        or getattr(orig, "pgcode", None)
        or getattr(orig, "sqlite_errorname", None)
    )
    if code is None and orig is not None and getattr(orig, "args", None):
        first = orig.args[0]
        code = first if isinstance(first, int) else None
    # serialisation failures and deadlocks (PostgreSQL 40001/40P01, MySQL 1213/1205)
    if code in ("40001", "40P01", 1213, 1205):
        return ConcurrencyError(f"{doing}: the database chose this transaction to give way")
    if isinstance(error, exc.IntegrityError):
        return DuplicateLearner(f"{doing}: a stored record already has this key")
    suffix = f" {code}" if code is not None else ""
    return RegisterError(f"{doing}: database error {kind}{suffix}")


@contextmanager
def _mapped(doing: str) -> Iterator[None]:
    try:
        yield
    except exc.SQLAlchemyError as error:
        raise _database_error(error, doing) from None


# -- engines and schema ------------------------------------------------------------------


def _engine(url: str) -> tuple[Engine, str | None]:
    """An engine for ``url``, and the path of the SQLite file (None for other databases)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        memory = database in ("", ":memory:") or database.startswith("file::memory:")
        kwargs: dict[str, Any] = {"connect_args": {"timeout": 30, "check_same_thread": False}}
        if memory:
            kwargs["poolclass"] = StaticPool
        engine = sa.create_engine(parsed, **kwargs)
        _sqlite_events(engine, wal=not memory)
        return engine, None if memory else database
    if backend == "mysql" and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    if backend not in ("postgresql", "mysql", "mariadb"):
        raise RegisterError(f"unsupported database {backend!r}: use sqlite, postgresql or mysql")
    # READ COMMITTED on every server (PostgreSQL's default; InnoDB's is REPEATABLE READ):
    # after a unique key refused a row, the next read sees the row that beat it
    return sa.create_engine(parsed, pool_recycle=3600, isolation_level="READ COMMITTED"), None


def _sqlite_busy(error: BaseException) -> bool:
    """Whether ``error`` is SQLite saying another connection has the file for now."""
    orig = getattr(error, "orig", None) or error
    if not isinstance(orig, sqlite3.Error):
        return False
    name: str = getattr(orig, "sqlite_errorname", "")  # "SQLITE_BUSY_RECOVERY" ...
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_PROTOCOL"))


def _until_free(step: Callable[[], object]) -> None:
    """Run ``step`` (a step of opening an SQLite file), again while another has the file.

    Processes opening one new register at once can be refused at once, without the busy
    handler waiting: SQLite refuses rather than risk a deadlock while one of them turns
    the file to WAL or creates the tables. Each step is one transaction, so running it
    again is safe.
    """
    for attempt in range(_OPEN_ATTEMPTS):
        try:
            step()
        except Exception as error:
            if not _sqlite_busy(error) or attempt == _OPEN_ATTEMPTS - 1:
                raise
            time.sleep(0.05 + random.random() * 0.1)
        else:
            return


def _wal(cursor: Any) -> None:
    # Turning a new file to WAL needs it to itself (see _until_free)
    _until_free(lambda: cursor.execute("PRAGMA journal_mode=WAL"))


def _sqlite_events(engine: Engine, *, wal: bool) -> None:
    # pysqlite's own transaction handling is switched off: SQLAlchemy's begin emits
    # BEGIN IMMEDIATE (a writer waits for the lock up front, never fails half way), or a
    # plain BEGIN for a read (WAL lets it run beside a writer).
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        if wal:
            _wal(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
            # a page cache of up to 256 MB (the default is 2 MB): the key table's index
            # takes keys in no order, and a bulk import of 200,000 learners ran 1.7 times
            # as fast with it (memory grows only as pages are read, then stays flat)
            cursor.execute(f"PRAGMA cache_size=-{_SQLITE_CACHE_KB}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        read = connection.get_execution_options().get("uln_read", False)
        connection.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")


def upgrade_schema(engine: Engine) -> None:
    """Create or upgrade the register's tables to the newest schema version.

    Safe when several processes open the same database at once: the upgrade runs under
    a lock (an advisory lock on PostgreSQL, ``GET_LOCK`` on MariaDB/MySQL, the write
    lock on SQLite) and re-reads the version once it holds it.
    """
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()

    def current(connection: Connection) -> str | None:
        context = MigrationContext.configure(
            connection, opts={"version_table": "uln_schema_version"}
        )
        return context.get_current_revision()

    with engine.connect() as connection:
        if current(connection) == head:
            connection.rollback()
            return
        connection.rollback()
    dialect = engine.dialect.name
    with engine.connect() as connection:
        if dialect == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_lock(:id)"), {"id": _LOCK_ID})
            connection.commit()
        elif dialect in ("mysql", "mariadb"):
            connection.execute(sa.text("SELECT GET_LOCK('uln_schema', 300)"))
            connection.commit()
        try:
            # the version is read and every migration run in one transaction, which on
            # SQLite holds the write lock throughout (BEGIN IMMEDIATE; alembic runs inside
            # a transaction it did not begin). Ending it after the read let alembic commit
            # each migration in turn (SQLite counts as non-transactional DDL to it): a
            # second process then read the version between two migrations, ran the
            # later one too, and failed creating its tables
            if current(connection) != head:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            connection.commit()
        finally:
            if dialect == "postgresql":
                connection.execute(sa.text("SELECT pg_advisory_unlock(:id)"), {"id": _LOCK_ID})
                connection.commit()
            elif dialect in ("mysql", "mariadb"):
                connection.execute(sa.text("SELECT RELEASE_LOCK('uln_schema')"))
                connection.commit()
