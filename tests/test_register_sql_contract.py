"""The register contract, the state machine and the same-find-results check, run unchanged
against the SQL register on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from uln.register import Register
from uln.register._sql_testing import MYSQL_ENV, POSTGRES_ENV, clean_register, server_url
from uln.register.sql import SqlRegister
from uln.testing.contract import RegisterContract, assert_same_find_results, state_machine_test


class TestSqliteContract(RegisterContract):
    @pytest.fixture
    def store(self, sqlite_register: SqlRegister) -> Register:
        return sqlite_register


class TestPostgresContract(RegisterContract):
    @pytest.fixture
    def store(self, postgres_register: SqlRegister) -> Register:
        return postgres_register


class TestMariadbContract(RegisterContract):
    @pytest.fixture
    def store(self, mysql_register: SqlRegister) -> Register:
        return mysql_register


def _new_sqlite() -> Register:
    return SqlRegister(f"sqlite:///{Path(tempfile.mkdtemp()) / 'register.sqlite3'}")


def _new_server(env: str) -> Register:
    return clean_register(server_url(env))


TestSqliteStateMachine = state_machine_test(_new_sqlite, max_examples=15)
TestPostgresStateMachine = state_machine_test(lambda: _new_server(POSTGRES_ENV), max_examples=8)
TestMariadbStateMachine = state_machine_test(lambda: _new_server(MYSQL_ENV), max_examples=8)


def test_sql_finds_equal_memory_finds(sql_register: SqlRegister) -> None:
    assert_same_find_results(sql_register, learners=2000, queries=400)
