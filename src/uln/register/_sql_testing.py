"""Test databases for the SQL register (used by the test suite's fixtures).

``ULN_TEST_POSTGRES_URL`` and ``ULN_TEST_MYSQL_URL`` name a PostgreSQL and a
MariaDB/MySQL test database. Without them the tests that need a server are skipped,
except under ``CI=true``, where a missing URL or a server that cannot be used fails the
test: CI never skips a backend. Needs pytest (imported when called).
"""

from __future__ import annotations

import os
from typing import Final

import sqlalchemy as sa

from uln.errors import RegisterError
from uln.register import _sql_tables as tables
from uln.register.sql import SqlRegister

__all__ = ["MYSQL_ENV", "POSTGRES_ENV", "clean_register", "empty_tables", "in_ci", "server_url"]

POSTGRES_ENV: Final = "ULN_TEST_POSTGRES_URL"
MYSQL_ENV: Final = "ULN_TEST_MYSQL_URL"


def in_ci() -> bool:
    """Whether this run is CI's (``CI`` set to true)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def server_url(env: str) -> str:
    """The URL in ``env``; skips the test when unset (fails it under CI)."""
    import pytest

    url = os.environ.get(env)
    if not url:
        if in_ci():
            pytest.fail(f"{env} is not set: CI must run the SQL tests on this server")
        pytest.skip(f"{env} is not set")
    return url


def empty_tables(register: SqlRegister) -> None:
    """Delete every row of the register's tables (ids start again from 1)."""
    names = [table.name for table in reversed(tables.metadata.sorted_tables)]
    with register.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY"))
            return
        for name in names:
            connection.execute(sa.text(f"DELETE FROM {name}"))  # noqa: S608 - our names
        if connection.dialect.name in ("mysql", "mariadb"):
            for table in tables.metadata.sorted_tables:
                if table.autoincrement_column is not None:
                    connection.execute(sa.text(f"ALTER TABLE {table.name} AUTO_INCREMENT = 1"))


def clean_register(url: str) -> SqlRegister:
    """An SqlRegister on ``url`` with every table emptied (the schema made if needed).

    A database that cannot be used skips the test (fails it under CI).
    """
    import pytest

    try:
        register = SqlRegister(url)
    except RegisterError as error:
        if in_ci():
            pytest.fail(f"the test database cannot be used: {error}")
        pytest.skip(f"the test database cannot be used: {error}")
    empty_tables(register)
    return register
