"""ULNs reserved a block at a time on SQL, and registrations inside a batch's transaction.

The SQL register reserves new ULNs a block per round trip (``claim_ulns``); these tests
check that doing so keeps the promises of one-at-a-time reservation: each ULN issued
once, for good, whatever rolls back, and the same ULNs from the same seeded allocator.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from uln import Demographics, checkdigit
from uln.register.allocate import UlnAllocator
from uln.register.memory import MemoryRegister
from uln.register.service import LearnerRegister

pytest.importorskip("sqlalchemy")

ORG = "10012345"


def _person(i: int) -> Demographics:
    return Demographics.from_raw(
        {
            "GivenName": f"Gwen{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}",
            "FamilyName": f"Pryce{chr(97 + i % 7)}",
            "DateOfBirth": f"200{i % 8}-0{1 + i % 9}-1{i % 9}",
            "Gender": "2",
            "LastKnownPostCode": f"CF{10 + i % 20} 1AA",
        }
    )


def test_claim_ulns_reserves_only_ulns_never_reserved(sql_register: Any) -> None:
    assert sql_register.reserve_uln("3344556680")
    assert sql_register.claim_ulns(["3344556680", "1000000043", "1000000043"]) == ["1000000043"]
    assert sql_register.is_reserved("1000000043")
    assert sql_register.claim_ulns(["1000000043", "3344556680"]) == []
    assert not sql_register.reserve_uln("1000000043")


def test_a_seeded_allocator_issues_the_same_ulns_a_block_at_a_time(sql_register: Any) -> None:
    one_by_one = UlnAllocator(random.Random(5))
    memory = MemoryRegister()  # reserves one ULN at a time
    expected = [one_by_one.allocate(memory) for _ in range(40)]
    blocks = UlnAllocator(random.Random(5))
    issued = [blocks.allocate(sql_register) for _ in range(40)]
    assert issued == expected
    assert all(checkdigit.is_valid(uln) and sql_register.is_reserved(uln) for uln in issued)


def test_ulns_reserved_and_not_issued_are_never_issued_by_anyone(sql_register: Any) -> None:
    first = UlnAllocator(random.Random(9))
    issued = {first.allocate(sql_register) for _ in range(3)}  # blocks of 1 then 2: one left
    # another allocator drawing the same numbers (another process) skips all of them
    again = UlnAllocator(random.Random(9))
    later = {again.allocate(sql_register) for _ in range(10)}
    assert not issued & later
    assert len(later) == 10
    assert not {first.allocate(sql_register) for _ in range(10)} & (issued | later)


def test_a_registration_rolled_back_with_its_batch_never_reissues_its_uln(
    sql_register: Any,
) -> None:
    register = LearnerRegister(sql_register, allocator=UlnAllocator(random.Random(2)))
    with pytest.raises(ZeroDivisionError), register.transaction():  # noqa: PT012
        result = register.register_within(_person(1), organisation=ORG)
        assert result.code == "WSRC0005"
        1 / 0  # noqa: B018 - the batch's chunk fails after the registration
    assert register.count() == 0
    assert sql_register.is_reserved(result.uln)
    redo = register.register_within(_person(1), organisation=ORG)  # opens its own
    assert redo.code == "WSRC0005"
    assert redo.uln != result.uln
    assert register.register_within(_person(1), organisation=ORG).code == "WSRC0021"


@pytest.mark.parametrize("in_transaction", [True, False])
def test_register_within_gives_what_register_learner_gives(
    sql_url: str, in_transaction: bool
) -> None:
    import uln.register
    from uln.register import _sql_testing

    people = [_person(i) for i in range(12)] + [_person(3), _person(5)]
    outcomes = []
    for within in (False, True):
        _sql_testing.clean_register(sql_url).close()
        with uln.register.open(sql_url) as register:
            seen: dict[str | None, int] = {}  # each ULN by the row that first got it
            codes = []
            for person in people:
                if within and in_transaction:
                    with register.transaction():
                        result = register.register_within(person, organisation=ORG)
                elif within:
                    result = register.register_within(person, organisation=ORG)
                else:
                    result = register.register_learner(person, organisation=ORG)
                learner = result.learner
                first = seen.setdefault(result.uln, len(seen))
                codes.append((result.code, first, learner and learner.demographics))
            outcomes.append(codes)
    assert [code for code, _, _ in outcomes[0]].count("WSRC0021") == 2
    assert outcomes[0] == outcomes[1]


def test_a_candidate_read_from_its_stored_fields_matches_as_the_learner_does() -> None:
    """The SQL register prepares a candidate from its stored demographics, never
    building the Learner: the match record must be the one the Learner gives."""
    import attrs
    from hypothesis import HealthCheck, given, settings

    from uln.learner import Learner
    from uln.matching import MatchRecord, match_record
    from uln.register._sql_rows import _learner_json, _match_record_of
    from uln.testing.strategies import learners

    names = [f.name for f in attrs.fields(MatchRecord)]

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(learners())
    def check(learner: Learner) -> None:
        expected = match_record(learner.demographics)
        got = _match_record_of(_learner_json(learner))
        assert [getattr(got, n) for n in names] == [getattr(expected, n) for n in names]

    check()
