"""Database fixtures: a fresh, empty SQL register per test on SQLite, PostgreSQL, MariaDB.

PostgreSQL and MariaDB are reached through ``ULN_TEST_POSTGRES_URL`` and
``ULN_TEST_MYSQL_URL`` (``.ci/run`` creates the databases and sets them). Without them
those tests are skipped, except under ``CI=true``, where a missing URL or a server that
cannot be reached fails the test: CI never skips a backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


def _sql_testing() -> Any:
    pytest.importorskip("sqlalchemy")
    from uln.register import _sql_testing

    return _sql_testing


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """The URL of a new SQLite database file."""
    return f"sqlite:///{tmp_path / 'register.sqlite3'}"


@pytest.fixture
def postgres_url() -> str:
    """The URL of the PostgreSQL test database (its tables emptied)."""
    helpers = _sql_testing()
    url: str = helpers.server_url(helpers.POSTGRES_ENV)
    helpers.clean_register(url).close()
    return url


@pytest.fixture
def mysql_url() -> str:
    """The URL of the MariaDB/MySQL test database (its tables emptied)."""
    helpers = _sql_testing()
    url: str = helpers.server_url(helpers.MYSQL_ENV)
    helpers.clean_register(url).close()
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
