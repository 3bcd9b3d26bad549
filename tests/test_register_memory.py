"""The in-memory register passes the register contract, the state machine, and gives
the same find results as a plain CandidateIndex search would."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from uln.register import Register
from uln.register.memory import MemoryRegister
from uln.testing.contract import RegisterContract, assert_same_find_results, state_machine_test


class TestMemoryRegister(RegisterContract):
    @pytest.fixture
    def store(self) -> Iterator[Register]:
        register = MemoryRegister()
        yield register
        register.close()


TestMemoryRegisterStateMachine = state_machine_test(MemoryRegister)


def test_two_memory_registers_give_the_same_finds() -> None:
    assert_same_find_results(MemoryRegister(), learners=2000, queries=500)


def test_a_closed_register_refuses_changes() -> None:
    store = MemoryRegister()
    store.close()
    with pytest.raises(Exception, match="closed"):
        store.reserve_uln("3344556680")
