"""Database fixtures: a fresh, empty SQL register per test on SQLite, PostgreSQL, MariaDB.

PostgreSQL and MariaDB are reached through ``ULN_TEST_POSTGRES_URL`` and
``ULN_TEST_MYSQL_URL`` (``.ci/run`` creates the databases and sets them). Without them
those tests are skipped, except under ``CI=true``, where a missing URL or a server that
cannot be reached fails the test: CI never skips a backend.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

POSTGRES_ENV = "ULN_TEST_POSTGRES_URL"
MYSQL_ENV = "ULN_TEST_MYSQL_URL"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def server_url(env: str) -> str:
    """The URL of a test database server, or skip (fail under CI) when there is none."""
    url = os.environ.get(env)
    if not url:
        if _in_ci():
            pytest.fail(f"{env} is not set: CI must run the SQL tests on this server")
        pytest.skip(f"{env} is not set")
    return url


_prepared: dict[str, object] = {}


def _clean_register(url: str) -> object:
    """An SqlRegister on ``url`` with every table emptied (the schema made once)."""
    pytest.importorskip("sqlalchemy")
    import sqlalchemy as sa

    from uln.errors import RegisterError
    from uln.register import _sql_tables as tables
    from uln.register.sql import SqlRegister

    try:
        register = SqlRegister(url)
    except RegisterError as error:
        if _in_ci():
            pytest.fail(f"the test database cannot be used: {error}")
        pytest.skip(f"the test database cannot be used: {error}")
    names = [table.name for table in reversed(tables.metadata.sorted_tables)]
    with register.engine.begin() as connection:
        if connection.dialect.name == "postgresql":  # ids start again from 1
            connection.execute(sa.text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY"))
        else:
            for name in names:
                connection.execute(sa.text(f"DELETE FROM {name}"))
            for table in tables.metadata.sorted_tables:
                if table.autoincrement_column is not None:
                    connection.execute(sa.text(f"ALTER TABLE {table.name} AUTO_INCREMENT = 1"))
    return register


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """The URL of a new SQLite database file."""
    return f"sqlite:///{tmp_path / 'register.sqlite3'}"


@pytest.fixture
def postgres_url() -> str:
    """The URL of the PostgreSQL test database (its tables emptied)."""
    url = server_url(POSTGRES_ENV)
    _clean_register(url).close()  # type: ignore[attr-defined]
    return url


@pytest.fixture
def mysql_url() -> str:
    """The URL of the MariaDB/MySQL test database (its tables emptied)."""
    url = server_url(MYSQL_ENV)
    _clean_register(url).close()  # type: ignore[attr-defined]
    return url


def _register_fixture(url_fixture: str) -> Callable[..., Iterator[object]]:
    @pytest.fixture
    def fixture(request: pytest.FixtureRequest) -> Iterator[object]:
        pytest.importorskip("sqlalchemy")
        from uln.register.sql import SqlRegister

        url = request.getfixturevalue(url_fixture)
        register = SqlRegister(url)
        try:
            yield register
        finally:
            register.close()

    return fixture


sqlite_register = _register_fixture("sqlite_url")
postgres_register = _register_fixture("postgres_url")
mysql_register = _register_fixture("mysql_url")


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def sql_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty test database, on each SQL backend in turn."""
    url: str = request.getfixturevalue(f"{request.param.replace('postgresql', 'postgres')}_url")
    return url


@pytest.fixture
def sql_register(sql_url: str) -> Iterator[object]:
    """A fresh, empty SqlRegister on each SQL backend in turn."""
    pytest.importorskip("sqlalchemy")
    from uln.register.sql import SqlRegister

    register = SqlRegister(sql_url)
    try:
        yield register
    finally:
        register.close()
