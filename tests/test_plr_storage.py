"""Random sequences of learning-record storage operations, on every register backend,
checked against a plain model (the contract's fixed cases run in the contract suites)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from uln.register import MemoryRegister, Register
from uln.testing._contract_plr import plr_state_machine_test


def _sqlite() -> Register:
    from uln.register.sql import SqlRegister

    return SqlRegister(f"sqlite:///{Path(tempfile.mkdtemp()) / 'register.sqlite3'}")


def _server(env: str) -> Register:
    from uln.register._sql_testing import clean_register, server_url

    return clean_register(server_url(env))


TestMemoryPLRStateMachine = plr_state_machine_test(MemoryRegister, max_examples=40)
TestSqlitePLRStateMachine = plr_state_machine_test(_sqlite, max_examples=10)
TestPostgresPLRStateMachine = plr_state_machine_test(
    lambda: _server("ULN_TEST_POSTGRES_URL"), max_examples=6
)
TestMariadbPLRStateMachine = plr_state_machine_test(
    lambda: _server("ULN_TEST_MYSQL_URL"), max_examples=6
)
