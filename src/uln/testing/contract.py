"""Contract tests for register backends: one suite that every backend passes unchanged.

:class:`RegisterContract` checks every storage promise of
:class:`uln.register.Register` (unit of work, ULN reservation, versions, identity,
candidates, exceptions, audit, batch runs) and every service operation of
:class:`uln.register.LearnerRegister` with its LRS codes, run over the backend.
:class:`RegisterStateMachine` drives a backend and a plain dict model side by side
through random sequences of operations (Hypothesis), and
:func:`assert_same_find_results` checks that a backend gives the same find results as
the in-memory one on a few thousand perturbed learners.

Running it against your own backend (with pytest and the ``testing`` extra)::

    # tests/test_my_register.py
    import pytest
    from uln.testing.contract import RegisterContract, state_machine_test

    from my_package import MyRegister

    class TestMyRegister(RegisterContract):
        @pytest.fixture
        def store(self):
            register = MyRegister(...)  # a fresh, empty register for every test
            yield register
            register.close()

    TestMyRegisterStateMachine = state_machine_test(lambda: MyRegister(...))

``store`` must give a new empty register each time it is called: the state machine
calls its factory once per example.
"""

from __future__ import annotations

import datetime as _dt
import random
from collections.abc import Callable
from typing import Any, ClassVar, Final

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule

from uln import checkdigit
from uln.demographics.postcodes import Postcode
from uln.enums import AbilityToShare, VerificationType
from uln.errors import (
    ConcurrencyError,
    DuplicateLearner,
    IntegrityError,
    InvalidRecord,
    NotFound,
    RegisterError,
    UlnError,
    ValidationError,
)
from uln.learner import Demographics, Learner
from uln.matching import CandidateIndex, match_record, record_keys
from uln.register.allocate import UlnAllocator
from uln.register.base import (
    AuditEvent,
    BatchEntry,
    BatchRun,
    ExceptionItem,
    ExceptionKind,
    ExceptionStatus,
    Register,
)
from uln.register.service import LearnerRegister, learner_identity
from uln.testing._contract_batch import BatchContract
from uln.testing._contract_plr import PLRContract, machine_test_case
from uln.testing.strategies import invalid_ulns

__all__ = [
    "NOW",
    "ORGANISATION",
    "RegisterContract",
    "RegisterStateMachine",
    "assert_same_find_results",
    "load_learners",
    "person",
    "service",
    "state_machine_test",
]

NOW: Final = _dt.datetime(2024, 9, 2, 9, 30, tzinfo=_dt.UTC)
"""The time the contract's clock gives."""

ORGANISATION: Final = "10012345"
"""The UKPRN the contract acts as."""


def service(store: Register, *, seed: int = 1) -> LearnerRegister:
    """The service over ``store``, with a fixed clock and a seeded ULN allocator."""
    return LearnerRegister(store, clock=lambda: NOW, allocator=UlnAllocator(random.Random(seed)))


def person(
    given: str = "Megan",
    family: str = "Lee",
    dob: str = "2007-05-06",
    gender: str = "2",
    postcode: str = "LS6 3QE",
    **more: Any,
) -> dict[str, Any]:
    """A row of raw learner fields (LRS names), for the tests."""
    return {
        "GivenName": given,
        "FamilyName": family,
        "DateOfBirth": dob,
        "Gender": gender,
        "LastKnownPostCode": postcode,
        **more,
    }


def _stored(uln: str, given: str = "Megan", family: str = "Lee", **more: Any) -> Learner:
    """A learner as the service stores it (ULN, version 1, times set)."""
    learner = Learner.from_raw({**person(given, family, **more), "ULN": uln})
    return attrs.evolve(learner, created=NOW, updated=NOW)


def _keys(learner: Learner) -> list[str]:
    return record_keys(match_record(learner.demographics))


_ODD: Final = ("", " ", "33445566800", "3344556680\x00", "٣٣٤٤٥٥٦٦٨٠", "9999999999", "0000000042")
_ODD_TEXT: Final = (
    "Dan' OR 'x' --",
    "Robert'); DROP TABLE learners;--",
    "\x00",
    "a" * 300,
    "%s",
    "?",
)

_ULNS: Final = ("1000000043", "1026893096", "1174112637", "3344556680", "4444599390")


class RegisterContract(BatchContract, PLRContract):
    """The contract every register backend keeps. Subclass it and supply ``store``.

    ``store`` is a pytest fixture giving a fresh, empty :class:`~uln.register.Register`
    for each test (see the module docs for an example). The tests call only the
    storage surface and :class:`~uln.register.LearnerRegister`; nothing in them knows
    the backend.
    """

    # -- fixtures ----------------------------------------------------------------------

    @pytest.fixture
    def register(self, store: Register) -> LearnerRegister:
        return service(store)

    # == the storage surface ===========================================================

    def test_an_empty_register(self, store: Register) -> None:
        assert store.count() == 0
        assert list(store) == []
        assert store.get("3344556680") is None
        assert store.history("3344556680") == []
        assert store.linked_to("3344556680") == []
        assert store.find_identity("x" * 64) is None
        assert store.exceptions(status=None) == []
        assert store.audit() == []
        assert store.candidates().candidates(match_record(person())) == []

    def test_a_learner_is_stored_whole(self, store: Register) -> None:
        learner = attrs.evolve(
            _stored(
                "3344556680",
                given="Siân",
                family="O'Brien",
                PreviousFamilyName="Smith-Jones",
                EmailAddress="sian@example.com",
                MiddleOtherName="Gwen",
                SchoolAtAge16="Ysgol Tryfan",
                PlaceOfBirth="Bangor",
                LastKnownAddressLine1="1 High St",
                Notes="line one\nline two",
            ),
            verification_type=VerificationType(2),
            ability_to_share=AbilityToShare.SEEN_MAY_SHARE,
            mis_identifier="MIS-001",
            nationality="GBR",
        )
        store.add(learner, keys=_keys(learner), identity="a" * 64)
        assert store.get("3344556680") == learner
        assert store.count() == 1
        assert list(store) == [learner]
        assert store.history("3344556680") == [learner]
        assert store.find_identity("a" * 64) == "3344556680"
        assert store.get_many(["3344556680", "1000000043"]) == {"3344556680": learner}

    @pytest.mark.parametrize("name", ["O'Brien", "Dan' OR 'x' --", "Zoë", "Ann-Marie D'Arcy"])
    def test_names_with_quotes_are_stored_and_found(self, store: Register, name: str) -> None:
        register = service(store)
        result = register.register_learner(person(given=name, family=name), organisation="TEST0038")
        assert result.code == "WSRC0005"
        assert result.uln is not None
        stored = store.get(result.uln)
        assert stored is not None
        assert stored.demographics == Demographics.from_raw(person(given=name, family=name))
        found = register.find_by_demographics(person(given=name, family=name))
        assert (found.code, found.uln) == ("WSRC0004", result.uln)
        assert register.find_by_uln(result.uln, name, name).code == "WSRC0004"

    def test_a_ulns_and_an_identity_are_unique(self, store: Register) -> None:
        first = _stored("3344556680")
        store.add(first, keys=_keys(first), identity="a" * 64)
        with pytest.raises(DuplicateLearner):
            store.add(_stored("3344556680", "Other"), keys=None, identity="b" * 64)
        with pytest.raises(DuplicateLearner):
            store.add(_stored("1000000043", "Other"), keys=None, identity="a" * 64)
        assert store.count() == 1
        second = _stored("1000000043", "Other")
        store.add(second, keys=None, identity=None)  # no identity: never clashes
        third = _stored("1026893096", "Third")
        store.add(third, keys=None, identity=None)
        assert store.count() == 3

    def test_listing_is_in_uln_order(self, store: Register) -> None:
        for uln in reversed(_ULNS):
            learner = _stored(uln, given=f"Ann{'a' * int(uln[-1])}")
            store.add(learner, keys=None, identity=None)
        assert [learner.uln for learner in store] == sorted(_ULNS)

    def test_replace_is_a_compare_and_set_keeping_history(self, store: Register) -> None:
        first = _stored("3344556680")
        store.add(first, keys=_keys(first), identity="a" * 64)
        second = attrs.evolve(first, version=2, mis_identifier="M2")
        store.replace(second, expected_version=1, keys=_keys(second), identity="a" * 64)
        assert store.get("3344556680") == second
        assert store.history("3344556680") == [first, second]
        with pytest.raises(ConcurrencyError):
            store.replace(
                attrs.evolve(first, version=2), expected_version=1, keys=None, identity=None
            )
        with pytest.raises(NotFound):
            store.replace(
                attrs.evolve(_stored("1000000043"), version=2),
                expected_version=1,
                keys=None,
                identity=None,
            )
        other = _stored("1000000043", "Other")
        store.add(other, keys=None, identity="b" * 64)
        with pytest.raises(DuplicateLearner):
            store.replace(
                attrs.evolve(other, version=2), expected_version=1, keys=None, identity="a" * 64
            )
        assert store.get("1000000043") == other
        # a new identity frees the old one
        third = attrs.evolve(second, version=3)
        store.replace(third, expected_version=2, keys=None, identity="c" * 64)
        assert store.find_identity("a" * 64) is None
        assert store.find_identity("c" * 64) == "3344556680"

    def test_a_transaction_commits_or_rolls_back(self, store: Register) -> None:
        learner = _stored("3344556680")
        with store.transaction():
            store.add(learner, keys=_keys(learner), identity="a" * 64)
        assert store.get("3344556680") == learner
        other = _stored("1000000043", "Sioned", "Evans")
        with pytest.raises(ZeroDivisionError), store.transaction():  # noqa: PT012
            store.add(other, keys=_keys(other), identity="b" * 64)
            store.replace(
                attrs.evolve(learner, version=2), expected_version=1, keys=None, identity=None
            )
            store.record(AuditEvent(at=NOW, organisation=ORGANISATION, action="x", uln="1"))
            store.add_exception(
                ExceptionItem(ExceptionKind.POSSIBLE, other, ORGANISATION, NOW, ("3344556680",))
            )
            assert store.count() == 2
            1 / 0  # noqa: B018
        assert store.get("1000000043") is None
        assert store.get("3344556680") == learner
        assert store.history("3344556680") == [learner]
        assert store.find_identity("b" * 64) is None
        assert store.find_identity("a" * 64) == "3344556680"
        assert store.audit() == []
        assert store.exceptions(status=None) == []
        ids = [uln for uln, _ in store.candidates().candidates(match_record(person()))]
        assert ids == ["3344556680"]

    def test_an_inner_transaction_is_a_savepoint(self, store: Register) -> None:
        first, second = _stored("3344556680"), _stored("1000000043", "Sioned", "Evans")
        with store.transaction():
            store.add(first, keys=None, identity=None)
            with pytest.raises(KeyError), store.transaction():  # noqa: PT012
                store.add(second, keys=None, identity=None)
                raise KeyError("inner")
            assert store.get("1000000043") is None
        assert store.get("3344556680") == first
        assert store.count() == 1
        with pytest.raises(KeyError), store.transaction():  # noqa: PT012
            with store.transaction():
                store.add(second, keys=None, identity=None)
            raise KeyError("outer")
        assert store.get("1000000043") is None

    def test_a_reserved_uln_stays_reserved_after_a_rollback(self, store: Register) -> None:
        assert not store.is_reserved("3344556680")
        with pytest.raises(ZeroDivisionError), store.transaction():  # noqa: PT012
            assert store.reserve_uln("3344556680")
            1 / 0  # noqa: B018
        assert store.is_reserved("3344556680")
        assert not store.reserve_uln("3344556680")

    def test_claiming_ulns_reserves_only_those_never_reserved(self, store: Register) -> None:
        assert store.reserve_uln("3344556680")
        with pytest.raises(ZeroDivisionError), store.transaction():  # noqa: PT012
            claimed = store.claim_ulns(["3344556680", "1000000043", "1000000043", "1000000004"])
            1 / 0  # noqa: B018
        assert claimed == ["1000000043", "1000000004"]  # in the order given, each once
        assert all(store.is_reserved(u) for u in ("1000000043", "1000000004"))  # for good
        assert store.claim_ulns(["1000000004", "3344556680"]) == []
        assert not store.reserve_uln("1000000043")

    def test_a_uln_stored_in_bulk_is_never_issued_again(self, store: Register) -> None:
        class Repeating(random.Random):  # draws the stored ULN first, then a fresh one
            def __init__(self) -> None:
                super().__init__(0)
                self.draws = iter([334455668, 100000004])

            def randrange(self, *args: Any, **kwargs: Any) -> int:
                return next(self.draws)

        learner = _stored("3344556680")
        store.add_many([(learner, _keys(learner), None)])
        assert UlnAllocator(Repeating(), attempts=2).allocate(store) == "1000000043"

    def test_linked_to_lists_the_linked_records(self, store: Register) -> None:
        master = _stored("3344556680")
        store.add(master, keys=_keys(master), identity=None)
        for uln in ("4444599390", "1000000043"):
            store.add(
                attrs.evolve(_stored(uln, "Other"), master_uln="3344556680"),
                keys=None,
                identity=None,
            )
        assert store.linked_to("3344556680") == ["1000000043", "4444599390"]
        assert store.linked_to("1000000043") == []

    def test_candidates_are_the_searchable_learners_sorted_by_uln(self, store: Register) -> None:
        rng = random.Random(5)
        reference = CandidateIndex()
        rows = {}
        for i in range(60):
            uln = checkdigit.generate(rng)
            given = rng.choice(["Megan", "Meghan", "Mary", "Jane", "Dafydd", "Dai"])
            family = rng.choice(["Lee", "Leigh", "Jones", "Evans"])
            dob = rng.choice(["2007-05-06", "2007-06-05", "2006-05-06"])
            learner = _stored(uln, given, family, dob=dob)
            searchable = i % 5 != 0
            store.add(learner, keys=_keys(learner) if searchable else None, identity=None)
            if searchable:
                reference.add(uln, learner.demographics)
            rows[uln] = learner
        source = store.candidates()
        for query in (person(), person("Dai", "Jones"), person("Jane", "Evans", "2006-06-05")):
            got = [str(uln) for uln, _ in source.candidates(match_record(query))]
            want = sorted(str(uln) for uln, _ in reference.candidates(query))
            assert got == want
        frequencies = source.frequencies
        assert frequencies is not None
        for name in ("MEGAN", "DAI", "JANE"):
            assert frequencies.given[name] == reference.frequencies.given[name]
        assert frequencies.family["LEE"] == reference.frequencies.family["LEE"]
        assert frequencies.total == reference.frequencies.total

    def test_exceptions_are_stored_and_updated(self, store: Register) -> None:
        learner = Learner.from_raw(person())
        first = store.add_exception(
            ExceptionItem(ExceptionKind.POSSIBLE, learner, ORGANISATION, NOW, ("3344556680",))
        )
        second = store.add_exception(
            ExceptionItem(ExceptionKind.TOO_MANY, learner, ORGANISATION, NOW, batch="b", line=7)
        )
        assert (first, second) == (1, 2)
        item = store.get_exception(1)
        assert item is not None
        assert (item.id, item.kind, item.learner, item.candidates) == (
            1,
            ExceptionKind.POSSIBLE,
            learner,
            ("3344556680",),
        )
        other = store.get_exception(2)
        assert other is not None
        assert (other.batch, other.line) == ("b", 7)
        assert store.get_exception(3) is None
        resolved = attrs.evolve(
            item, status=ExceptionStatus.RESOLVED_EXISTING, resolved_uln="3344556680", resolved=NOW
        )
        store.update_exception(resolved)
        assert store.get_exception(1) == resolved
        assert store.get_exceptions([3, 2, 1, 2]) == {1: resolved, 2: other}
        assert list(store.get_exceptions([2, 1])) == [1, 2]
        assert store.get_exceptions([]) == {}
        assert store.open_exception(2) == other
        with pytest.raises(IntegrityError):  # resolved: closed
            store.open_exception(1)
        with pytest.raises(NotFound):
            store.open_exception(3)
        assert [e.id for e in store.exceptions()] == [2]
        assert [e.id for e in store.exceptions(status=None)] == [1, 2]
        assert [e.id for e in store.exceptions(status=ExceptionStatus.RESOLVED_EXISTING)] == [1]
        assert "Megan" not in repr(item)

    def test_the_audit_history_filters_by_learner_and_organisation(self, store: Register) -> None:
        events = [
            AuditEvent(at=NOW, organisation="10012345", action="register", uln="3344556680"),
            AuditEvent(at=NOW, organisation="10099999", action="update", uln="3344556680"),
            AuditEvent(at=NOW, organisation="10012345", action="register", uln="1000000043"),
        ]
        for event in events:
            store.record(event)
        assert store.audit() == events
        assert store.audit(uln="3344556680") == events[:2]
        assert store.audit(organisation="10012345") == [events[0], events[2]]
        assert store.audit(uln="3344556680", organisation="10099999") == [events[1]]

    def test_batch_runs_record_each_learner_once(self, store: Register) -> None:
        run = BatchRun("key1", "10012345", "LRB_10012345_020920240930.CSV", 3, NOW)
        assert store.start_batch(run) == run
        again = store.start_batch(attrs.evolve(run, total=99))
        assert again == run
        assert store.get_batch("key1") == run
        assert store.get_batch("other") is None
        store.record_batch_entry("key1", BatchEntry(1, "RC002", "3344556680"))
        store.record_batch_entry("key1", BatchEntry(0, "RC007", None, 4))
        with pytest.raises(DuplicateLearner):
            store.record_batch_entry("key1", BatchEntry(1, "RC001", "3344556680"))
        assert store.batch_entries("key1") == [
            BatchEntry(0, "RC007", None, 4),
            BatchEntry(1, "RC002", "3344556680"),
        ]
        later = NOW + _dt.timedelta(minutes=5)
        store.finish_batch("key1", later)
        finished = store.get_batch("key1")
        assert finished is not None
        assert finished.finished == later

    # == the service operations ========================================================

    def test_register_issues_a_new_valid_uln(self, register: LearnerRegister) -> None:
        result = register.register_learner(person(), organisation=ORGANISATION)
        assert result.code == "WSRC0005"
        assert result.uln is not None
        assert checkdigit.is_valid(result.uln)
        assert result.version == 1
        assert register.store.is_reserved(result.uln)
        stored = register.get(result.uln)
        assert stored is not None
        assert (stored.version, stored.created, stored.updated) == (1, NOW, NOW)
        [event] = register.audit(uln=result.uln)
        assert (event.action, event.organisation, event.at, event.version) == (
            "register",
            ORGANISATION,
            NOW,
            1,
        )
        assert "given_name" in event.fields
        assert "Megan" not in repr(result)

    def test_register_takes_a_learner_with_its_register_fields(
        self, register: LearnerRegister
    ) -> None:
        learner = Learner.from_raw(
            person(VerificationType="2", AbilityToShare="1", MISIdentifier="A-1", ULN="3344556680")
        )
        result = register.register_learner(learner, organisation=ORGANISATION)
        assert result.code == "WSRC0005"
        assert result.uln != "3344556680"  # a ULN on the record is not taken
        stored = result.learner
        assert stored is not None
        assert stored.mis_identifier == "A-1"
        assert stored.verification_type == VerificationType(2)
        demographics = Demographics.from_raw(
            person("Sioned", "Evans", "2006-11-30", postcode="CF10 1AA")
        )
        assert register.register_learner(demographics, organisation=ORGANISATION).code == (
            "WSRC0005"
        )

    def test_the_same_mandatory_fields_are_refused(self, register: LearnerRegister) -> None:
        first = register.register_learner(person(), organisation=ORGANISATION)
        again = register.register_learner(
            person("MEGAN", "lee", postcode="ls63qe", EmailAddress="m@example.com"),
            organisation=ORGANISATION,
            force=True,
        )
        assert (again.code, again.uln) == ("WSRC0021", first.uln)
        assert register.count() == 1

    def test_too_little_data_is_insufficient(self, register: LearnerRegister) -> None:
        for missing in ("GivenName", "FamilyName", "DateOfBirth", "Gender", "LastKnownPostCode"):
            row = person()
            del row[missing]
            assert register.register_learner(row, organisation=ORGANISATION).code == "WSRC0015"
            assert register.find_by_demographics(row).code == "WSRC0015"
        assert register.count() == 0

    def test_bad_fields_raise_our_error_naming_the_field(self, register: LearnerRegister) -> None:
        with pytest.raises(InvalidRecord) as caught:
            register.register_learner(
                person("Robert'); DROP TABLE learners;--"), organisation=ORGANISATION
            )
        assert "GivenName" in str(caught.value)
        assert "DROP" not in str(caught.value)
        with pytest.raises(InvalidRecord) as caught:
            register.register_learner(person(postcode="nowhere"), organisation=ORGANISATION)
        assert "LastKnownPostCode" in str(caught.value)
        assert "nowhere" not in str(caught.value)
        with pytest.raises(ValidationError):
            register.register_learner(person(), organisation="12")
        with pytest.raises(ValidationError):
            register.register_learner(person(dob="2020-01-01"), organisation=ORGANISATION)
        assert register.count() == 0

    def test_a_clear_match_returns_the_existing_uln(self, register: LearnerRegister) -> None:
        first = register.register_learner(person(), organisation=ORGANISATION)
        typo = register.register_learner(person("Meghan"), organisation=ORGANISATION)
        assert (typo.code, typo.uln) == ("WSRC0004", first.uln)
        assert register.count() == 1

    def test_possible_matches_open_an_exception(self, register: LearnerRegister) -> None:
        first = register.register_learner(person(), organisation=ORGANISATION)
        twin = register.register_learner(person("Mary"), organisation=ORGANISATION)
        assert twin.code == "WSRC0003"
        assert twin.uln is None
        assert [learner.uln for learner in twin.learners] == [first.uln]
        assert twin.exception_id is not None
        [item] = register.exceptions()
        assert (item.id, item.kind, item.candidates) == (
            twin.exception_id,
            ExceptionKind.POSSIBLE,
            (first.uln,),
        )
        assert item.learner.demographics.given_name == "Mary"
        assert register.count() == 1
        forced = register.register_learner(person("Mary"), organisation=ORGANISATION, force=True)
        assert forced.code == "WSRC0005"
        assert register.count() == 2

    def test_too_many_matches_open_an_exception(self, register: LearnerRegister) -> None:
        names = ["Anna", "Beth", "Cara", "Dora", "Ella", "Fay", "Gwen", "Hana", "Iris", "Jade"]
        for name in [*names, "Kate"]:
            result = register.register_learner(person(name), organisation=ORGANISATION, force=True)
            assert result.code == "WSRC0005"
        found = register.find_by_demographics(person("Lily"))
        assert (found.code, found.learners) == ("WSRC0002", ())
        refused = register.register_learner(person("Lily"), organisation=ORGANISATION)
        assert refused.code == "WSRC0002"
        [item] = register.exceptions()
        assert item.kind is ExceptionKind.TOO_MANY

    def test_resolve_an_exception_either_way(self, register: LearnerRegister) -> None:
        first = register.register_learner(person(), organisation=ORGANISATION)
        one = register.register_learner(person("Mary"), organisation=ORGANISATION).exception_id
        two = register.register_learner(person("Jane"), organisation=ORGANISATION).exception_id
        assert one is not None
        assert two is not None
        existing = register.resolve(one, organisation=ORGANISATION, uln=first.uln)
        assert (existing.code, existing.uln, existing.exception_id) == ("WSRC0004", first.uln, one)
        new = register.resolve(two, organisation=ORGANISATION, register_new=True)
        assert new.code == "WSRC0005"
        assert new.uln not in (None, first.uln)
        assert register.exceptions() == []
        closed = {item.id: item for item in register.exceptions(status=None)}
        assert closed[one].status is ExceptionStatus.RESOLVED_EXISTING
        assert closed[one].resolved_uln == first.uln
        assert closed[two].status is ExceptionStatus.RESOLVED_NEW
        assert closed[two].resolved_uln == new.uln
        with pytest.raises(IntegrityError):
            register.resolve(one, organisation=ORGANISATION, uln=first.uln)
        with pytest.raises(NotFound):
            register.resolve(99, organisation=ORGANISATION, register_new=True)
        with pytest.raises(RegisterError):
            register.resolve(one, organisation=ORGANISATION)

    def test_find_by_uln(self, register: LearnerRegister) -> None:
        first = register.register_learner(person(), organisation=ORGANISATION)
        assert first.uln is not None
        found = register.find_by_uln(first.uln, "Megan", "Lee")
        assert (found.code, found.uln, len(found.learners)) == ("WSRC0004", first.uln, 1)
        assert register.find_by_uln(first.uln, "meghan", "LEE").code == "WSRC0004"
        check = register.find_by_uln(first.uln, "Megan", "Lee", find_type="CHK")
        assert (check.code, check.uln, check.learners) == ("WSRC0004", first.uln, ())
        assert register.find_by_uln(first.uln, "Dafydd", "Jones").learners == ()
        assert register.find_by_uln(first.uln, "Dafydd", "Jones").code == "WSRC0001"
        assert register.find_by_uln("1000000043", "Megan", "Lee").code == "WSRC0001"
        assert register.find_by_uln("1234567890", "Megan", "Lee").code == "WSEC0136"
        with pytest.raises(ValidationError):
            register.find_by_uln(first.uln, "Megan", "Lee", find_type="XYZ")

    def test_find_by_demographics(self, register: LearnerRegister) -> None:
        assert register.find_by_demographics(person()).code == "WSRC0001"
        first = register.register_learner(person(), organisation=ORGANISATION)
        exact = register.find_by_demographics(person("Meghan", dob="2007-06-05"))
        assert (exact.code, exact.uln) == ("WSRC0004", first.uln)
        possible = register.find_by_demographics(person("Mary"))
        assert possible.code == "WSRC0003"
        assert [learner.uln for learner in possible.learners] == [first.uln]
        assert register.find_by_demographics(person("Dafydd", "Jones", "1990-01-01")).code == (
            "WSRC0001"
        )

    def test_update_learner_codes(self, register: LearnerRegister) -> None:
        first = register.register_learner(person(), organisation=ORGANISATION)
        uln = first.uln
        assert uln is not None
        moved = register.update_learner(
            uln, 1, organisation="10099999", LastKnownPostCode="ls61aa", email="m@example.com"
        )
        assert (moved.code, moved.version, moved.fields) == ("WSRC0006", 2, ("postcode", "email"))
        learner = register.get(uln)
        assert learner is not None
        assert learner.demographics.postcode == Postcode.parse("LS6 1AA")
        assert [v.version for v in register.history(uln)] == [1, 2]
        assert register.history(uln)[0].demographics.postcode == Postcode.parse("LS6 3QE")
        assert register.update_learner(uln, 1, organisation=ORGANISATION, title="Ms").code == (
            "WSRC0013"
        )
        same = register.update_learner(uln, 2, organisation=ORGANISATION, postcode="LS6 1AA")
        assert same.code == "WSRC0020"
        assert register.update_learner(
            "1000000043", 1, organisation=ORGANISATION, title="Ms"
        ).code == ("WSRC0019")
        assert register.update_learner("123", 1, organisation=ORGANISATION, title="Ms").code == (
            "WSEC0136"
        )
        [_, event] = register.audit(uln=uln)
        assert (event.action, event.organisation, event.fields) == (
            "update",
            "10099999",
            ("postcode", "email"),
        )
        # the find sees the new details
        assert register.find_by_demographics(person(postcode="LS6 1AA")).uln == uln

    def test_update_refuses_bad_and_fixed_fields(self, register: LearnerRegister) -> None:
        uln = register.register_learner(person(), organisation=ORGANISATION).uln
        assert uln is not None
        for changes in (
            {"DateOfBirth": "31/02/2001"},
            {"shoe_size": 9},
            {"uln": "1000000043"},
            {"version": 5},
            {"GivenName": ""},
        ):
            with pytest.raises(InvalidRecord) as caught:
                register.update_learner(uln, 1, organisation=ORGANISATION, **changes)
            [name] = changes
            assert name in str(caught.value) or name.lower() in str(caught.value).lower()
        learner = register.get(uln)
        assert learner is not None
        assert learner.version == 1

    def test_no_new_opt_out(self, register: LearnerRegister) -> None:
        uln = register.register_learner(person(AbilityToShare="1"), organisation=ORGANISATION).uln
        assert uln is not None
        refused = register.update_learner(uln, 1, organisation=ORGANISATION, AbilityToShare=2)
        assert refused.code == "WSRC0014"
        learner = register.get(uln)
        assert learner is not None
        assert learner.ability_to_share is AbilityToShare.SEEN_MAY_SHARE
        assert register.update_learner(uln, 1, organisation=ORGANISATION, title="Ms").code == (
            "WSRC0006"
        )

    def test_an_update_to_anothers_mandatory_fields_is_refused(
        self, register: LearnerRegister
    ) -> None:
        register.register_learner(person(), organisation=ORGANISATION)
        other = register.register_learner(
            person("Sioned", "Evans", "2006-11-30", postcode="CF10 1AA"), organisation=ORGANISATION
        )
        assert other.uln is not None
        clash = register.update_learner(
            other.uln,
            1,
            organisation=ORGANISATION,
            given_name="Megan",
            family_name="Lee",
            date_of_birth="2007-05-06",
            postcode="LS6 3QE",
        )
        assert clash.code == "WSRC0021"
        learner = register.get(other.uln)
        assert learner is not None
        assert learner.version == 1

    def _three(self, register: LearnerRegister) -> list[str]:
        ulns = []
        for row in (
            person(),
            person("Sioned", "Evans", "2006-11-30", postcode="CF10 1AA"),
            person("Dafydd", "Jones", "2005-03-04", "1", "LL57 2DG"),
        ):
            uln = register.register_learner(row, organisation=ORGANISATION).uln
            assert uln is not None
            ulns.append(uln)
        return ulns

    def test_link_makes_the_master_substitute(self, register: LearnerRegister) -> None:
        a, b, _ = self._three(register)
        linked = register.link(a, b, organisation=ORGANISATION)
        assert (linked.code, linked.uln, linked.linked_ulns) == ("WSRC0006", a, (b,))
        found = register.find_by_uln(b, "Sioned", "Evans")
        assert (found.code, found.uln, found.linked_ulns) == ("WSRC0022", a, (b,))
        master = found.learner
        assert master is not None
        assert master.linked_ulns == (b,)
        assert register.retrieve_ulns([a, b, "1000000043", "x"]) == {
            a: a,
            b: a,
            "1000000043": None,
            "x": None,
        }
        # the linked record is no longer found by demographics
        search = register.find_by_demographics(
            person("Sioned", "Evans", "2006-11-30", postcode="CF10 1AA")
        )
        assert b not in [learner.uln for learner in search.learners]
        assert register.link(a, b, organisation=ORGANISATION).code == "WSRC0020"
        assert [e.action for e in register.audit(uln=b)] == ["register", "link"]

    def test_chains_resolve_to_the_final_master(self, register: LearnerRegister) -> None:
        a, b, c = self._three(register)
        register.link(b, c, organisation=ORGANISATION)
        register.link(a, b, organisation=ORGANISATION)  # c moves to a with b
        assert register.retrieve_ulns([c]) == {c: a}
        assert register.store.linked_to(a) == sorted([b, c])
        assert register.store.linked_to(b) == []
        for uln in (b, c):
            learner = register.get(uln)
            assert learner is not None
            assert learner.master_uln == a
        # linking to a linked record links to its master
        d = register.register_learner(
            person("Huw", "Pugh", "2004-02-01", "1", "SA1 1AA"), organisation=ORGANISATION
        )
        assert d.uln is not None
        assert register.link(c, d.uln, organisation=ORGANISATION).uln == a

    def test_self_links_and_cycles_are_refused(self, register: LearnerRegister) -> None:
        a, b, c = self._three(register)
        with pytest.raises(IntegrityError):
            register.link(a, a, organisation=ORGANISATION)
        register.link(a, b, organisation=ORGANISATION)
        with pytest.raises(IntegrityError):
            register.link(b, a, organisation=ORGANISATION)
        with pytest.raises(IntegrityError):
            register.link(c, b, organisation=ORGANISATION)  # b is linked to a already
        with pytest.raises(NotFound):
            register.link(a, "1000000043", organisation=ORGANISATION)
        with pytest.raises(ValidationError):
            register.link(a, "1234567890", organisation=ORGANISATION)
        assert register.retrieve_ulns([a, b, c]) == {a: a, b: a, c: c}

    def test_unlink_makes_a_master_again(self, register: LearnerRegister) -> None:
        a, b, _ = self._three(register)
        register.link(a, b, organisation=ORGANISATION)
        result = register.unlink(b, organisation=ORGANISATION)
        assert (result.code, result.uln) == ("WSRC0006", b)
        assert register.retrieve_ulns([b]) == {b: b}
        assert register.find_by_uln(b, "Sioned", "Evans").code == "WSRC0004"
        assert (
            register.find_by_demographics(
                person("Sioned", "Evans", "2006-11-30", postcode="CF10 1AA")
            ).uln
            == b
        )
        assert register.unlink(b, organisation=ORGANISATION).code == "WSRC0020"
        register.link(a, b, organisation=ORGANISATION)
        linked = register.get(b)
        assert linked is not None
        with pytest.raises(IntegrityError):  # a linked record is updated through its master
            register.update_learner(b, linked.version, organisation=ORGANISATION, title="Ms")

    def test_verify_learner(self, register: LearnerRegister) -> None:
        a, b, _ = self._three(register)
        match = register.verify_learner(a, "Megan", "Lee", "2007-05-06", "2")
        assert (match.code, match.uln, match.failure_flags) == ("WSVRC001", a, ())
        swapped = register.verify_learner(a, "Lee", "Megan")
        assert swapped.code == "WSVRC003"
        assert {"VRF1", "VRF5"} <= set(swapped.failure_flags)
        assert not {"VRF2", "VRF4"} & set(swapped.failure_flags)
        similar = register.verify_learner(a, "Meghan", "Lee", "2007-06-05", "1")
        assert similar.code == "WSVRC003"
        assert {"VRF1", "VRF7", "VRF8"} <= set(similar.failure_flags)
        assert "VRF5" not in similar.failure_flags
        wrong = register.verify_learner(a, "Dafydd", "Jones", "1990-01-01")
        assert wrong.code == "WSVRC005"
        assert {"VRF1", "VRF5", "VRF7"} <= set(wrong.failure_flags)
        assert register.verify_learner("1000000043", "Megan", "Lee").code == "WSVRC006"
        assert register.verify_learner("0000000042", "Megan", "Lee").code == "WSEC0136"
        register.link(b, a, organisation=ORGANISATION)
        linked = register.verify_learner(a, "Sioned", "Evans")
        assert (linked.code, linked.uln) == ("WSVRC002", b)
        assert register.verify_learner(a, "Sionet", "Evans").code == "WSVRC004"

    def test_verify_crosses_the_previous_family_name(self, register: LearnerRegister) -> None:
        uln = register.register_learner(
            person(family="Jones", PreviousFamilyName="Lee"), organisation=ORGANISATION
        ).uln
        assert uln is not None
        by_old_name = register.verify_learner(uln, "Megan", "Lee")
        assert by_old_name.code == "WSVRC001"
        by_new_name = register.verify_learner(uln, "Megan", "Jones")
        assert by_new_name.code == "WSVRC001"

    def test_the_audit_reads_by_organisation(self, register: LearnerRegister) -> None:
        register.register_learner(person(), organisation="10012345")
        register.register_learner(
            person("Sioned", "Evans", "2006-11-30", postcode="CF10 1AA"), organisation="TEST0038"
        )
        assert [e.organisation for e in register.audit(organisation="TEST0038")] == ["TEST0038"]
        for event in register.audit():
            assert "Megan" not in repr(event)
            assert "Lee" not in repr(event)

    # run by every subclass (each backend): differing executors are expected here
    @given(value=st.one_of(invalid_ulns(), st.text(max_size=30), st.sampled_from(_ODD)))
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    def test_bad_ulns_get_a_code_or_our_error(self, register: LearnerRegister, value: Any) -> None:
        if not register.count():
            register.register_learner(person(), organisation=ORGANISATION)
        valid = checkdigit.is_valid(value)
        expect = "WSRC0001" if valid else "WSEC0136"
        assert register.find_by_uln(value, "Megan", "Lee").code == expect
        assert register.verify_learner(value, "Megan", "Lee").code in ("WSVRC006", "WSEC0136")
        update = register.update_learner(value, 1, organisation=ORGANISATION, title="Ms")
        assert update.code == ("WSRC0019" if valid else "WSEC0136")
        assert register.retrieve_ulns([value]) == {value: None}
        for call in (register.get, register.history):
            if not valid:
                with pytest.raises(UlnError):
                    call(value)
        with pytest.raises(UlnError):
            register.link(value, "3344556680", organisation=ORGANISATION)
        with pytest.raises(UlnError):
            register.unlink(value, organisation=ORGANISATION)

    @given(
        field=st.sampled_from(["GivenName", "FamilyName", "LastKnownPostCode", "DateOfBirth"]),
        value=st.one_of(st.text(max_size=60), st.sampled_from(_ODD_TEXT)),
    )
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    def test_odd_values_get_a_code_or_our_error(
        self, register: LearnerRegister, field: str, value: str
    ) -> None:
        row = {**person("Sioned", "Evans", "2006-11-30"), field: value}
        message = None
        try:
            result = register.register_learner(row, organisation=ORGANISATION)
        except UlnError as exc:
            message = str(exc)
        if message is None:
            assert result.code in ("WSRC0005", "WSRC0021", "WSRC0004", "WSRC0003", "WSRC0015")
        elif len(value.strip()) >= 6:
            assert value not in message  # never the value itself
        try:
            found = register.find_by_demographics(row)
        except UlnError:
            pass
        else:
            assert found.code in ("WSRC0001", "WSRC0002", "WSRC0003", "WSRC0004", "WSRC0015")

    def test_an_operation_in_a_failed_transaction_leaves_nothing(
        self, register: LearnerRegister
    ) -> None:
        with pytest.raises(ZeroDivisionError), register.transaction():  # noqa: PT012
            result = register.register_learner(person(), organisation=ORGANISATION)
            1 / 0  # noqa: B018
        assert register.count() == 0
        assert register.audit() == []
        assert result.uln is not None
        assert register.store.is_reserved(result.uln)  # never issued again
        again = register.register_learner(person(), organisation=ORGANISATION)
        assert again.code == "WSRC0005"
        assert again.uln != result.uln


# -- comparing two backends ------------------------------------------------------------

_GIVEN: Final = [
    "Huw",
    "Siân",
    "Dafydd",
    "Megan",
    "Rhys",
    "Ffion",
    "Owen",
    "Cerys",
    "Gareth",
    "Nia",
    "James",
    "Olivia",
    "Jack",
    "Emily",
    "Thomas",
    "Sophie",
    "Harry",
    "Chloe",
    "Oliver",
    "Jessica",
    "William",
    "Lucy",
    "Daniel",
    "Hannah",
    "Joseph",
    "Mary",
    "Jane",
    "John",
]
_FAMILY: Final = [
    "Jones",
    "Williams",
    "Davies",
    "Evans",
    "Thomas",
    "Roberts",
    "Hughes",
    "Lewis",
    "Morgan",
    "Griffiths",
    "Price",
    "Smith",
    "Brown",
    "Taylor",
    "Wilson",
    "O'Brien",
    "McDonald",
    "Smith-Jones",
    "Pryce",
    "Patel",
    "Khan",
    "Lee",
    "Walker",
    "Wright",
]
_POSTCODES: Final = ("CF10 1AA", "SA1 1AA", "LL57 2DG", "LS6 3QE", "CV4 9EE", "M1 1AE")


def _random_row(rng: random.Random) -> dict[str, Any]:
    dob = _dt.date(2000, 1, 1) + _dt.timedelta(days=rng.randrange(3000))
    return person(
        rng.choice(_GIVEN),
        rng.choice(_FAMILY),
        dob.isoformat(),
        rng.choice("12"),
        rng.choice(_POSTCODES),
    )


def load_learners(store: Register, rows: list[tuple[str, dict[str, Any]]]) -> None:
    """Store learners with these ULNs as the service would (searchable, with identity)."""
    with store.transaction():
        for uln, row in rows:
            learner = attrs.evolve(Learner.from_raw({**row, "ULN": uln}), created=NOW, updated=NOW)
            identity = learner_identity(learner.demographics)
            store.add(learner, keys=_keys(learner), identity=identity)


def assert_same_find_results(
    store: Register, *, learners: int = 2000, queries: int = 1000, seed: int = 11
) -> None:
    """Check that ``store`` gives the same finds as a memory register of the same learners.

    Loads ``learners`` random learners (the same ULNs in both), then searches both for
    ``queries`` perturbed copies of them (:mod:`uln.testing.perturb`): the outcome code
    and the ULNs returned, in order, must be equal.
    """
    from uln.register.memory import MemoryRegister
    from uln.testing.perturb import NotApplicable, random_perturbation

    rng = random.Random(seed)
    rows: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    while len(rows) < learners:
        row = _random_row(rng)
        identity = learner_identity(Demographics.from_raw(row))
        if identity in seen:
            continue
        seen.add(identity)
        rows[checkdigit.generate(rng)] = row
    items = list(rows.items())
    reference = MemoryRegister()
    load_learners(reference, items)
    load_learners(store, items)
    ours, theirs = service(reference), service(store)
    assert store.count() == reference.count() == len(items)
    for _ in range(queries):
        _, row = rng.choice(items)
        try:
            _, query = random_perturbation(row, rng)
        except NotApplicable:
            query = row
        want = ours.find_by_demographics(query)
        got = theirs.find_by_demographics(query)
        assert (got.code, [x.uln for x in got.learners]) == (
            want.code,
            [x.uln for x in want.learners],
        )


# -- the state machine -----------------------------------------------------------------


_PEOPLE = st.builds(
    person,
    st.sampled_from(["Megan", "Sioned", "Dafydd", "Dan' OR 'x' --"]),
    st.sampled_from(["Lee", "O'Brien", "Evans"]),
    st.sampled_from(["2007-05-06", "2006-11-30"]),
    st.sampled_from(["1", "2"]),
    st.sampled_from(["LS6 3QE", "CF10 1AA"]),
)


@attrs.define
class _Model:
    version: int
    row: dict[str, Any]
    master: str | None = None


class RegisterStateMachine(RuleBasedStateMachine):
    """Drives a backend (``store_factory``) and a plain dict model side by side.

    Operations: register (forced, so the outcome is known), update with the right
    or a stale version, link, unlink, find by ULN and by demographics, and a
    transaction that fails half way. After each step the backend must agree with
    the model: the learners, their versions, masters and linked ULNs.
    """

    store_factory: ClassVar[Callable[[], Register]]
    ulns = Bundle("ulns")

    def __init__(self) -> None:
        super().__init__()
        self.store = type(self).store_factory()
        self.register = service(self.store, seed=0)
        self.model: dict[str, _Model] = {}
        self.identities: dict[str, str] = {}

    def teardown(self) -> None:
        self.store.close()

    def _master(self, uln: str) -> str:
        return self.model[uln].master or uln

    @rule(target=ulns, row=_PEOPLE)
    def register_person(self, row: dict[str, Any]) -> str:
        identity = learner_identity(Demographics.from_raw(row))
        result = self.register.register_learner(row, organisation=ORGANISATION, force=True)
        if identity in self.identities:
            assert result.code == "WSRC0021"
            assert result.uln == self._master(self.identities[identity])
            return self.identities[identity]
        assert result.code == "WSRC0005"
        assert result.uln is not None
        self.model[result.uln] = _Model(1, row)
        self.identities[identity] = result.uln
        return result.uln

    @rule(uln=ulns, stale=st.booleans(), postcode=st.sampled_from(["SA1 1AA", "M1 1AE"]))
    def update(self, uln: str, stale: bool, postcode: str) -> None:
        entry = self.model[uln]
        version = entry.version - 1 if stale else entry.version
        row = {**entry.row, "LastKnownPostCode": postcode}
        identity = learner_identity(Demographics.from_raw(row))
        old_identity = learner_identity(Demographics.from_raw(entry.row))
        if entry.master is not None:
            with pytest.raises(IntegrityError):
                self.register.update_learner(
                    uln, version, organisation=ORGANISATION, postcode=postcode
                )
            return
        result = self.register.update_learner(
            uln, version, organisation=ORGANISATION, postcode=postcode
        )
        if stale:
            assert result.code == "WSRC0013"
        elif identity == old_identity:
            assert result.code == "WSRC0020"
        elif identity in self.identities:
            assert result.code == "WSRC0021"
        else:
            assert result.code == "WSRC0006"
            assert result.version == entry.version + 1
            entry.version += 1
            entry.row = row
            del self.identities[old_identity]
            self.identities[identity] = uln

    @rule(master=ulns, linked=ulns)
    def link(self, master: str, linked: str) -> None:
        final = self._master(master)
        entry = self.model[linked]
        if (
            master == linked
            or final == linked
            or (entry.master is not None and entry.master != final)
        ):
            with pytest.raises(IntegrityError):
                self.register.link(master, linked, organisation=ORGANISATION)
            return
        result = self.register.link(master, linked, organisation=ORGANISATION)
        if entry.master == final:
            assert result.code == "WSRC0020"
            return
        assert (result.code, result.uln) == ("WSRC0006", final)
        for uln, other in self.model.items():
            if uln == linked or other.master == linked:
                other.master = final
                other.version += 1

    @rule(uln=ulns)
    def unlink(self, uln: str) -> None:
        entry = self.model[uln]
        result = self.register.unlink(uln, organisation=ORGANISATION)
        if entry.master is None:
            assert result.code == "WSRC0020"
        else:
            assert result.code == "WSRC0006"
            entry.master = None
            entry.version += 1

    @rule(uln=ulns)
    def find_by_uln(self, uln: str) -> None:
        row = self.model[uln].row
        result = self.register.find_by_uln(uln, row["GivenName"], row["FamilyName"])
        linked = self.model[uln].master is not None
        assert result.code == ("WSRC0022" if linked else "WSRC0004")
        assert result.uln == self._master(uln)

    @rule(row=_PEOPLE)
    def find_by_demographics(self, row: dict[str, Any]) -> None:
        result = self.register.find_by_demographics(row)
        assert result.code in ("WSRC0001", "WSRC0002", "WSRC0003", "WSRC0004")
        for learner in result.learners:
            assert learner.uln in self.model
            assert self.model[learner.uln].master is None

    @precondition(lambda self: bool(self.model))
    @rule(row=_PEOPLE)
    def failed_transaction(self, row: dict[str, Any]) -> None:
        uln = next(iter(self.model))
        with pytest.raises(ZeroDivisionError), self.register.transaction():  # noqa: PT012
            self.register.register_learner(row, organisation=ORGANISATION, force=True)
            if self.model[uln].master is None:
                self.register.update_learner(
                    uln, self.model[uln].version, organisation=ORGANISATION, title="Dr"
                )
            1 / 0  # noqa: B018

    @invariant()
    def agrees_with_the_model(self) -> None:
        store = self.store
        assert store.count() == len(self.model)
        assert [learner.uln for learner in store] == sorted(self.model)
        for uln, entry in self.model.items():
            learner = store.get(uln)
            assert learner is not None
            assert (learner.version, learner.master_uln) == (entry.version, entry.master)
            assert len(store.history(uln)) == entry.version
            linked = sorted(u for u, e in self.model.items() if e.master == uln)
            assert store.linked_to(uln) == linked
            if entry.master is not None:
                assert self.model[entry.master].master is None


def state_machine_test(
    store_factory: Callable[[], Register], *, max_examples: int = 30, steps: int = 25
) -> Any:
    """A unittest TestCase running :class:`RegisterStateMachine` on new stores.

    ``store_factory`` returns a new, empty register each time it is called.
    """

    return machine_test_case(RegisterStateMachine, store_factory, max_examples, steps)
