"""Contract tests for batch processing: every register backend runs a batch alike.

:class:`BatchContract` is one of the bases of
:class:`uln.testing.contract.RegisterContract`, so a backend checked by the contract
is checked here too: a batch registers each learner once, a rerun returns the stored
result and registers nobody, a run that fails half way is finished by the next with
every learner processed exactly once, two runs at once give one result, a file that
is not a batch is refused before anything is registered, and exceptions resolved in
the register show in the rebuilt output.

The helpers :func:`distinct_people` and :func:`batch_bytes` make small batches of
learners the matcher tells apart.
"""

from __future__ import annotations

import datetime as _dt
import io
import random
import threading
from collections.abc import Sequence
from typing import Any, Final

import attrs
import pytest

from uln.batch import (
    BatchResult,
    batch_key,
    exceptions,
    process,
    process_verify,
    read,
    read_verify,
    resolve,
    write_output,
    write_request,
    write_verify,
)
from uln.demographics.postcodes import Postcode
from uln.errors import BatchError, RegisterError
from uln.learner import Demographics, Learner
from uln.register.allocate import UlnAllocator
from uln.register.base import ExceptionKind, Register
from uln.register.service import LearnerRegister

__all__ = [
    "BATCH_ORGANISATION",
    "BATCH_TIME",
    "BatchContract",
    "batch_bytes",
    "distinct_people",
    "output_bytes",
    "run",
]

BATCH_TIME: Final = _dt.datetime(2024, 9, 2, 9, 30, tzinfo=_dt.UTC)
"""The clock of the batch contract (the register contract's ``NOW``)."""

BATCH_ORGANISATION: Final = "10012345"
"""The UKPRN the batches come from."""

_STEMS: Final = (
    *("Al", "Bre", "Cad", "Dew", "Eir", "Fion", "Gwil", "Hyw", "Ior", "Mab"),
    *("Nest", "Olw", "Pry", "Rhod", "Sel", "Tal", "Urien", "Vau", "Wyn", "Yan"),
)
_ENDS: Final = ("wen", "ryn", "lan", "dor", "mi")
_ULNS: Final = ("1000000043", "1026893096", "1174112637")


def distinct_people(n: int, *, start: int = 0) -> list[Demographics]:
    """``n`` learners (up to 100 from ``start``) that the matcher never confuses.

    >>> print(*(d.given_name for d in distinct_people(3)))
    Alwen Alryn Allan
    """
    people = []
    for k in range(start, start + n):
        i, j = divmod(k, len(_ENDS))
        if i >= len(_STEMS):
            raise ValueError("distinct_people makes at most 100 learners")
        people.append(
            Demographics.from_raw(
                {
                    "GivenName": _STEMS[i] + _ENDS[j],
                    "FamilyName": _ENDS[j].title() + "son",
                    "DateOfBirth": _dt.date(1970 + i, 1 + j, 1 + i),
                    "Gender": "2",
                    "LastKnownPostCode": f"CV{i + 1} {j + 1}EE",
                }
            )
        )
    return people


def batch_bytes(
    rows: Sequence[Learner | Demographics],
    *,
    repeat: Sequence[int] = (),
    insufficient: Sequence[int] = (),
    when: _dt.datetime = BATCH_TIME,
    verify: bool = False,
) -> bytes:
    """A CSV registration batch (2A; a verify batch with ``verify``) of ``rows``, which
    may repeat a ULN or a learner; then, as extra rows at the end, a copy of each row in
    ``repeat`` and a copy without its gender (RC006) of each in ``insufficient``."""

    def lines(records: Sequence[Learner | Demographics]) -> list[str]:
        out = io.BytesIO()
        if verify:
            write_verify(
                [r for r in records if isinstance(r, Learner)],
                out,
                ukprn=BATCH_ORGANISATION,
                when=when.replace(tzinfo=None),
            )
        else:
            write_request(
                records,
                out,
                ukprn=BATCH_ORGANISATION,
                when=when.replace(tzinfo=None),
                allow_small=True,
                on=when.date(),
            )
        return out.getvalue().decode("utf-8").split("\r\n")

    head = lines(rows[:1])[:3]
    body = [lines([row])[3] for row in rows]
    extra = [body[i] for i in repeat]
    for i in insufficient:
        cells = body[i].split(",")
        cells[19] = ""  # Gender (2A column 20)
        extra.append(",".join(cells))
    return "\r\n".join([*head, *body, *extra, ""]).encode()


def run(data: bytes, register: LearnerRegister, **options: Any) -> BatchResult:
    """Process the batch ``data`` as the contract does (a small batch, the fixed clock)."""
    batch = read(io.BytesIO(data), on=BATCH_TIME.date())
    options.setdefault("allow_small", True)
    options.setdefault("now", BATCH_TIME)
    return process(batch, register, **options)


def output_bytes(result: BatchResult) -> bytes:
    """The output file of ``result``, as bytes."""
    out = io.BytesIO()
    write_output(result, out)
    return out.getvalue()


class BatchContract:
    """Batch processing on a backend: mixed into
    :class:`~uln.testing.contract.RegisterContract` (supply its ``store`` fixture)."""

    @pytest.fixture
    def register(self, store: Register) -> LearnerRegister:
        return LearnerRegister(
            store, clock=lambda: BATCH_TIME, allocator=UlnAllocator(random.Random(1))
        )

    def test_batch_registers_each_learner_once_and_a_rerun_returns_the_result(
        self, register: LearnerRegister
    ) -> None:
        data = batch_bytes(distinct_people(6), repeat=[0], insufficient=[1])
        result = run(data, register)
        codes = [r.code for r in result.learners]
        assert codes == ["RC002"] * 6 + ["RC001", "RC006"]
        assert result.learners[6].uln == result.learners[0].uln  # the repeat finds the first
        assert result.learners[7].uln is None
        assert len({r.uln for r in result.learners[:6]}) == 6
        assert register.count() == 6
        assert result.counters["NewLearners"] == 6
        assert result.counters["ExistsUpdatedLearners"] == 1
        assert result.counters["RejectedLearners"] == 1
        assert result.job_status == "Completed"
        assert result.finished == BATCH_TIME
        first = output_bytes(result)
        again = run(data, register, now=BATCH_TIME + _dt.timedelta(hours=1))
        assert again == result
        assert again.started == result.started  # the stored times: the same output file
        assert output_bytes(again) == first
        assert register.count() == 6
        assert len(register.store.batch_entries(result.key)) == 8
        assert sum(e.action == "register" for e in register.audit()) == 6

    def test_a_run_failing_half_way_is_finished_exactly_once(
        self, register: LearnerRegister
    ) -> None:
        store = register.store
        data = batch_bytes(distinct_people(7))
        real = store.add
        calls = 0

        def failing(*args: Any, **kwargs: Any) -> None:
            nonlocal calls
            calls += 1
            if calls == 6:  # the second learner of the third chunk
                raise RegisterError("the disk is full")
            real(*args, **kwargs)

        store.add = failing  # type: ignore[method-assign]
        try:
            with pytest.raises(RegisterError):
                run(data, register, chunk_size=2)
        finally:
            del store.add
        assert register.count() == 4  # two chunks committed, the third undone
        stored = store.get_batch(_key(data))
        assert stored is not None
        assert stored.finished is None
        assert len(store.batch_entries(stored.key)) == 4
        result = run(data, register, chunk_size=2)
        assert [r.code for r in result.learners] == ["RC002"] * 7
        assert register.count() == 7
        assert len({r.uln for r in result.learners}) == 7
        assert sum(e.action == "register" for e in register.audit()) == 7
        assert len(store.batch_entries(result.key)) == 7

    def test_two_runs_at_once_give_one_result(self, register: LearnerRegister) -> None:
        data = batch_bytes(distinct_people(8), repeat=[3])
        barrier = threading.Barrier(2)
        results: list[BatchResult] = []
        errors: list[BaseException] = []

        def work() -> None:
            try:
                barrier.wait(timeout=10)
                results.append(run(data, register, chunk_size=1))
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=work, daemon=True) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
        assert len(results) == 2
        assert results[0] == results[1]
        assert [r.code for r in results[0].learners] == ["RC002"] * 8 + ["RC001"]
        assert register.count() == 8
        assert output_bytes(results[0]) == output_bytes(results[1])

    def test_what_is_not_a_batch_is_refused_before_anything_is_registered(
        self, register: LearnerRegister
    ) -> None:
        people = distinct_people(3)
        asked = [Learner(uln=u, demographics=d) for u, d in zip(_ULNS, people, strict=True)]
        verify = batch_bytes(asked, verify=True)
        with pytest.raises(BatchError, match="verify batch"):
            process(read_verify(io.BytesIO(verify)), register)
        data = batch_bytes(people)
        with pytest.raises(BatchError, match="Learners"):  # 3 learners, not 50 to 5,000
            run(data, register, allow_small=False)
        bad_header = data.replace(b",10012345,", b",10012346,", 1)
        with pytest.raises(BatchError, match="UKPRN"):
            run(bad_header, register)
        with pytest.raises(BatchError, match="registration batch"):
            process_verify(read(io.BytesIO(data), on=BATCH_TIME.date()), register)
        assert register.count() == 0
        assert register.store.get_batch(_key(data)) is None

    def test_supplied_ulns_are_verified(self, register: LearnerRegister) -> None:
        org = BATCH_ORGANISATION
        a, c = distinct_people(2)
        ula = register.register_learner(a, organisation=org).uln
        # the same person registered twice (a person forced it), then linked
        b = attrs.evolve(a, postcode=Postcode.parse("LS1 1AA"))
        ulb = register.register_learner(b, organisation=org, force=True).uln
        assert ula is not None
        assert ulb is not None
        register.link(ula, ulb, organisation=org)
        d = distinct_people(1, start=10)[0]
        rows = [
            Learner(uln=ula, demographics=a),  # RC005
            Learner(uln=ulb, demographics=b),  # RC004: linked, the master returned
            Learner(uln=ula, demographics=c),  # RC009: someone else's ULN
            Learner(uln="3344556680", demographics=d),  # RC010: unknown
        ]
        result = run(batch_bytes(rows), register)
        assert [(r.code, r.uln) for r in result.learners] == [
            ("RC005", ula),
            ("RC004", ula),
            ("RC009", None),
            ("RC010", None),
        ]
        mismatch = result.learners[2]
        assert mismatch.exception_id is not None
        [item] = exceptions(register, batch=result)
        assert item.id == mismatch.exception_id
        assert item.kind is ExceptionKind.MISMATCH
        assert item.batch == result.key
        assert item.line == mismatch.line
        out = output_bytes(result).decode().splitlines()
        assert out[4].startswith(f"{ula},")
        assert out[4].endswith(",RC004")
        assert out[5].startswith(f"{ula},")  # the ULN supplied, echoed
        assert out[5].endswith(",RC009")
        assert register.count() == 2

    def test_a_found_learner_takes_a_new_postcode(self, register: LearnerRegister) -> None:
        org = BATCH_ORGANISATION
        [a] = distinct_people(1)
        uln = register.register_learner(a, organisation=org).uln
        assert uln is not None
        moved = attrs.evolve(a, postcode=Postcode.parse("LS1 1AA"))
        result = run(batch_bytes([moved]), register)
        assert [(r.code, r.uln) for r in result.learners] == [("RC003", uln)]
        stored = register.get(uln)
        assert stored is not None
        assert str(stored.demographics.postcode) == "LS1 1AA"
        assert stored.version == 2
        assert register.count() == 1

    def test_exceptions_are_resolved_and_the_output_shows_it(
        self, register: LearnerRegister
    ) -> None:
        org = BATCH_ORGANISATION
        people = distinct_people(3)
        existing = [register.register_learner(p, organisation=org).uln for p in people]
        # each learner again, born a few months later: similar, not the same
        later = [attrs.evolve(p, date_of_birth=_shift(p)) for p in people]
        result = run(batch_bytes(later), register)
        assert [r.code for r in result.learners] == ["RC007"] * 3
        items = exceptions(register, batch=result)
        assert [(i.line, i.kind) for i in items] == [(4, ExceptionKind.POSSIBLE)] * 1 + [
            (5, ExceptionKind.POSSIBLE),
            (6, ExceptionKind.POSSIBLE),
        ]
        assert all(i.candidates[0] == u for i, u in zip(items, existing, strict=True))
        first, second, third = (r.exception_id for r in result.learners)
        assert first is not None
        assert second is not None
        assert third is not None
        chosen = resolve(register, first, organisation=org, uln=existing[0])
        assert (chosen.code, chosen.uln, chosen.status) == (
            "RC001",
            existing[0],
            "resolved_existing",
        )
        new = resolve(register, second, organisation=org, register_new=True)
        assert new.code == "RC002"
        assert new.uln not in existing
        dob = people[2].date_of_birth
        assert dob is not None
        fixed = resolve(register, third, organisation=org, changes={"DateOfBirth": dob.isoformat()})
        assert (fixed.code, fixed.uln, fixed.status) == ("RC001", existing[2], "resolved_existing")
        assert exceptions(register, batch=result) == []
        assert len(exceptions(register, batch=result.key, status=None)) == 3
        again = run(batch_bytes(later), register)
        assert [(r.code, r.uln) for r in again.learners] == [
            ("RC001", existing[0]),
            ("RC002", new.uln),
            ("RC001", existing[2]),
        ]
        assert again.counters["PossibleMatchLearners"] == 0
        assert again.counters["NewLearners"] == 1
        assert register.count() == 4
        with pytest.raises(RegisterError):
            resolve(register, first, organisation=org)

    def test_a_verify_batch_is_answered(self, register: LearnerRegister) -> None:
        org = BATCH_ORGANISATION
        a, b = distinct_people(2)
        ula = register.register_learner(a, organisation=org).uln
        assert ula is not None
        rows = [
            Learner(uln=ula, demographics=a),
            Learner(uln=ula, demographics=attrs.evolve(a, date_of_birth=_shift(a, days=1))),
            Learner(uln=ula, demographics=b),
            Learner(uln="3344556680", demographics=b),
        ]
        data = batch_bytes(rows, verify=True)
        result = process_verify(read_verify(io.BytesIO(data)), register, now=BATCH_TIME)
        answers = [(r.code, r.uln) for r in result.learners]
        assert answers == [
            ("WSVRC001", ula),
            ("WSVRC003", ula),
            ("WSVRC005", None),
            ("WSVRC006", None),
        ]
        assert "VRF7" in result.learners[1].failure_flags
        assert result.counters == {
            "Matches": 1,
            "SimilarMatches": 1,
            "NoMatches": 1,
            "LearnersNotFound": 1,
            "RejectedLearners": 0,
        }
        assert register.count() == 1


def _shift(person: Demographics, *, days: int = 95) -> _dt.date:
    """The person's date of birth moved by ``days`` (95: similar, not the same)."""
    assert person.date_of_birth is not None
    return person.date_of_birth + _dt.timedelta(days=days)


def _key(data: bytes) -> str:
    batch = read(io.BytesIO(data), on=BATCH_TIME.date())
    header = batch.header
    assert header.file_name is not None
    return batch_key(BATCH_ORGANISATION, header.file_name, batch.learners, header.version)
