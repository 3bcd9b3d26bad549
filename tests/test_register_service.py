"""What the register service promises beyond the contract: ULN allocation, opening by
URL, the rules table, and results that never show personal data."""

from __future__ import annotations

import datetime as _dt
import random
import sys
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import uln.register
from uln import checkdigit
from uln.errors import RegisterError
from uln.register import LearnerRegister
from uln.register.allocate import UlnAllocator
from uln.register.memory import MemoryRegister
from uln.register.rules import MARKS, RULES, RegisterRules
from uln.testing.contract import ORGANISATION, person, service


@given(seed=st.integers(0, 2**32))
def test_allocated_ulns_are_valid_and_reserved(seed: int) -> None:
    store = MemoryRegister()
    allocator = UlnAllocator(random.Random(seed))
    ulns = [allocator.allocate(store) for _ in range(5)]
    assert len(set(ulns)) == 5
    for value in ulns:
        assert checkdigit.is_valid(value)
        assert value[0] != "0"
        assert store.is_reserved(value)


def test_a_collision_draws_again() -> None:
    store = MemoryRegister()
    first = UlnAllocator(random.Random(3)).allocate(store)
    second = UlnAllocator(random.Random(3)).allocate(store)  # draws `first` again, then more
    assert second != first
    assert checkdigit.is_valid(second)


def test_an_allocator_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="attempts"):
        UlnAllocator(attempts=0)


def test_a_seeded_register_issues_the_same_ulns() -> None:
    ulns = []
    for _ in range(2):
        register = service(MemoryRegister(), seed=42)
        ulns.append(register.register_learner(person(), organisation=ORGANISATION).uln)
    assert ulns[0] == ulns[1]


def test_open_memory_and_unknown_urls() -> None:
    with uln.register.open("memory://") as register:
        assert isinstance(register, LearnerRegister)
        assert isinstance(register.store, MemoryRegister)
    with pytest.raises(RegisterError) as caught:
        uln.register.open("oracle://scott:tiger@host/db")
    assert "tiger" not in str(caught.value)


def test_open_sqlite_delegates_to_the_sql_backend(tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy")
    from uln.register.sql import SqlRegister

    url = f"sqlite:///{tmp_path}/r.sqlite3"
    with uln.register.open(url) as register:
        assert isinstance(register.store, SqlRegister)
        result = register.register_learner(person(), organisation=ORGANISATION)
    with uln.register.open(url) as register:
        assert register.find_by_uln(result.uln or "", "Megan", "Lee").code == "WSRC0004"


def test_open_sql_without_the_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uln.register.sql", None)
    with pytest.raises(RegisterError, match=r"uln\[sql\]"):
        uln.register.open("sqlite:///x.sqlite3")


def test_the_clock_is_injected() -> None:
    moments = iter(_dt.datetime(2025, 1, day, tzinfo=_dt.UTC) for day in range(1, 10))
    register = LearnerRegister(MemoryRegister(), clock=lambda: next(moments))
    result = register.register_learner(person(), organisation=ORGANISATION)
    learner = result.learner
    assert learner is not None
    assert learner.created is not None
    assert learner.created.year == 2025
    [event] = register.audit(uln=result.uln)
    assert event.at.year == 2025


def test_results_and_registers_show_no_personal_data() -> None:
    register = service(MemoryRegister())
    result = register.register_learner(person(), organisation=ORGANISATION)
    twin = register.register_learner(person("Mary"), organisation=ORGANISATION)
    for shown in (repr(result), repr(twin), repr(register), repr(register.exceptions())):
        for value in ("Megan", "Mary", "Lee", "LS6", "2007"):
            assert value not in shown


def test_rules_are_one_table_with_marks() -> None:
    assert set(MARKS) == {a.name for a in attrs.fields(RegisterRules)}
    assert set(MARKS.values()) <= {"spec", "client", "ours"}


def test_a_stricter_rule_changes_the_outcome() -> None:
    strict = RegisterRules(similar_name_levels=frozenset({"exact"}))
    for rules, code in ((RULES, "WSVRC003"), (strict, "WSVRC005")):
        register = LearnerRegister(MemoryRegister(), rules=rules)
        new = register.register_learner(person(), organisation=ORGANISATION)
        assert register.verify_learner(new.uln or "", "Meghan", "Lee").code == code
