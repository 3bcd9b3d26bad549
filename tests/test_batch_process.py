"""Processing batches against a register: codes, outputs, exceptions, inputs (memory)."""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uln.batch import (
    BatchResult,
    LearnerResult,
    VerifyResult,
    exceptions,
    process,
    process_verify,
    read,
    read_output,
    read_verify,
    read_verify_output,
    resolve,
    stream,
    write_output,
    write_verify_output,
)
from uln.batch._runner import newer_details
from uln.demographics.postcodes import Postcode
from uln.errors import BatchError, IntegrityError, InvalidRecord, NotFound, RegisterError
from uln.learner import Demographics, Learner
from uln.register import ExceptionKind, ExceptionStatus, LearnerRegister, MemoryRegister
from uln.register.allocate import UlnAllocator
from uln.testing._contract_batch import (
    BATCH_ORGANISATION as ORG,
)
from uln.testing._contract_batch import (
    BATCH_TIME,
    batch_bytes,
    distinct_people,
    output_bytes,
    run,
)

ON = BATCH_TIME.date()


def memory(seed: int = 1) -> LearnerRegister:
    return LearnerRegister(
        MemoryRegister(), clock=lambda: BATCH_TIME, allocator=UlnAllocator(random.Random(seed))
    )


@pytest.fixture
def register() -> Iterator[LearnerRegister]:
    with memory() as reg:
        yield reg


def _write(tmp_path: Path, data: bytes, name: str = "LRB_10012345_020920240930.CSV") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- inputs -------------------------------------------------------------------------------


def test_a_path_a_stream_and_a_batch_are_the_same_batch(
    tmp_path: Path, register: LearnerRegister
) -> None:
    path = _write(tmp_path, batch_bytes(distinct_people(50)))
    first = process(path, register, now=BATCH_TIME, on=ON)
    assert first.total == 50
    assert first.counters["NewLearners"] == 50
    with stream(path, on=ON) as reader:
        again = process(reader, register)
    assert again == first
    assert process(read(path, on=ON), register) == first
    assert register.count() == 50


def test_progress_is_reported_by_chunk(register: LearnerRegister) -> None:
    seen: list[tuple[int, int]] = []
    run(batch_bytes(distinct_people(7)), register, chunk_size=3, progress=lambda *a: seen.append(a))
    assert seen == [(0, 7), (3, 7), (6, 7), (7, 7)]
    seen.clear()
    run(batch_bytes(distinct_people(7)), register, progress=lambda *a: seen.append(a))
    assert seen == [(7, 7)]  # the stored result at once


def test_an_xml_batch_gives_an_xml_output(tmp_path: Path, register: LearnerRegister) -> None:
    from uln.batch import write_request

    out = io.BytesIO()
    write_request(
        distinct_people(50), out, ukprn=ORG, when=dt.datetime(2024, 9, 2, 9, 30), format="XML"
    )
    result = process(read(io.BytesIO(out.getvalue()), on=ON), register, now=BATCH_TIME)
    assert result.format == "XML"
    written = write_output(result, tmp_path)
    assert written.name == "LRB_10012345_020920240930_OUTPUT.XML"
    echoed = read_output(written)
    assert echoed.errors == ()
    assert echoed.return_codes == {"RC002": 50}
    assert [e.uln for e in echoed.learners] == [r.uln for r in result.learners]
    assert echoed.header.started == BATCH_TIME


def test_write_output_of_a_result_is_write_output_of_its_entries(
    register: LearnerRegister,
) -> None:
    result = run(batch_bytes(distinct_people(4), repeat=[2], insufficient=[0]), register)
    explicit = io.BytesIO()
    write_output(
        result.output_entries(),
        explicit,
        ukprn=ORG,
        request_name=result.file_name,
        started=result.started,
        finished=result.finished,
    )
    assert output_bytes(result) == explicit.getvalue()
    back = read_output(io.BytesIO(explicit.getvalue()))
    assert back.errors == ()
    assert [e.return_code for e in back.learners] == [r.code for r in result.learners]
    assert back.learners[5].values is not None  # the bad row echoed from its cells
    assert back.learners[5].values["Gender"] == ""


def test_write_output_needs_a_ukprn_and_name_for_entries() -> None:
    with pytest.raises(BatchError, match="UKPRN"):
        write_output([], io.BytesIO())


# -- refusals -----------------------------------------------------------------------------


def test_more_than_5000_learners_are_refused_before_registering(
    tmp_path: Path, register: LearnerRegister
) -> None:
    lines = batch_bytes(distinct_people(1)).decode().split("\r\n")
    data = "\r\n".join([*lines[:3], *[lines[3]] * 5001, ""]).encode()
    path = _write(tmp_path, data)
    with pytest.raises(BatchError, match="5000"):
        process(path, register, on=ON)
    with pytest.raises(BatchError, match="5000"):
        process(read(path, on=ON), register)
    assert register.count() == 0
    assert register.store.exceptions(status=None) == []


def test_an_output_file_is_not_a_batch(tmp_path: Path, register: LearnerRegister) -> None:
    result = run(batch_bytes(distinct_people(50)), register)
    output = write_output(result, tmp_path)
    with pytest.raises(BatchError, match="output file"):
        process(output, register)
    with pytest.raises(BatchError):
        process("not-a-batch", register)  # no such file
    with pytest.raises(BatchError, match="not int"):
        process(42, register)  # type: ignore[arg-type]


def test_a_bad_chunk_size_is_refused(register: LearnerRegister) -> None:
    with pytest.raises(BatchError, match="chunk"):
        run(batch_bytes(distinct_people(2)), register, chunk_size=0)


# -- codes --------------------------------------------------------------------------------


def _similar(k: int) -> dict[str, str]:
    names = ["Megan", "Meg", "Megane", "Meghan", "Megin", "Magan", "Megen", "Mega", "Megann"]
    names += ["Meagan", "Megn", "Mgan"]
    born = dt.date(2007, 5, 6) + dt.timedelta(days=100 * k)
    return {
        "GivenName": names[k],
        "FamilyName": "Lee",
        "DateOfBirth": born.isoformat(),
        "Gender": "2",
        "LastKnownPostCode": "LS6 3QE",
    }


def test_too_many_matches_open_an_exception(register: LearnerRegister) -> None:
    for k in range(12):
        register.register_learner(_similar(k), organisation=ORG, force=True)
    asked = Demographics.from_raw({**_similar(0), "DateOfBirth": "2008-01-01"})
    result = run(batch_bytes([asked]), register)
    [one] = result.learners
    assert one.code == "RC008"
    assert one.uln is None
    [item] = exceptions(register, batch=result)
    assert item.kind is ExceptionKind.TOO_MANY
    assert (item.id, item.line, item.batch) == (one.exception_id, one.line, result.key)
    assert result.counters["PossibleMatchLearners"] == 1
    assert register.count() == 12


def test_only_batch_exceptions_are_listed(register: LearnerRegister) -> None:
    people = distinct_people(2)
    for p in people:
        register.register_learner(p, organisation=ORG)
    moved = attrs.evolve(
        people[0],
        date_of_birth=people[0].date_of_birth + dt.timedelta(days=95),  # type: ignore[operator]
    )
    outside = register.register_learner(moved, organisation=ORG)  # not from a batch
    assert outside.exception_id is not None
    assert exceptions(register) == []
    later = attrs.evolve(
        people[1],
        date_of_birth=people[1].date_of_birth + dt.timedelta(days=95),  # type: ignore[operator]
    )
    result = run(batch_bytes([later]), register)
    assert [i.id for i in exceptions(register)] == [result.learners[0].exception_id]
    assert [i.id for i in exceptions(register, batch=result.key)] == [
        result.learners[0].exception_id
    ]
    assert exceptions(register, batch="another batch") == []
    assert len(register.exceptions()) == 2


def test_a_result_hides_personal_data(register: LearnerRegister) -> None:
    result = run(batch_bytes(distinct_people(3)), register)
    text = repr(result) + repr(result.learners) + str(result.exceptions)
    for person in distinct_people(3):
        assert person.given_name is not None
        assert person.given_name not in text
        assert str(person.postcode) not in text
    assert "NewLearners=3" in repr(result)


# -- the update rule of RC003 ---------------------------------------------------------------


def _learner(**raw: str) -> Learner:
    base = {
        "GivenName": "Huw",
        "FamilyName": "Pugh",
        "DateOfBirth": "2005-06-07",
        "Gender": "1",
        "LastKnownPostCode": "LL57 2DG",
    }
    return Learner.from_raw({**base, **raw})


def test_newer_details_take_the_address_as_a_whole() -> None:
    old = _learner(LastKnownAddressLine1="1 High St", DateOfAddressCapture="2024-01-01")
    moved = _learner(LastKnownPostCode="CF10 1AA", DateOfAddressCapture="2024-06-01")
    assert newer_details(old, moved) == {
        "postcode": "CF10 1AA",
        "address_line1": None,
        "date_of_address_capture": dt.date(2024, 6, 1),
    }
    stale = _learner(LastKnownPostCode="CF10 1AA", DateOfAddressCapture="2023-06-01")
    assert newer_details(old, stale) == {}  # an older address is not taken
    same_postcode = _learner(LastKnownAddressLine1="2 High St")
    assert newer_details(old, same_postcode) == {"address_line1": "2 High St"}
    email = _learner(EmailAddress="huw@example.ac.uk")
    assert newer_details(old, email) == {"email": "huw@example.ac.uk"}
    renamed = _learner(GivenName="Hugh", DateOfBirth="2005-06-08", Gender="2")
    assert newer_details(old, renamed) == {}  # never names, date of birth or gender


def test_an_update_the_register_refuses_leaves_the_learner_found(
    register: LearnerRegister,
) -> None:
    [a] = distinct_people(1)
    ula = register.register_learner(a, organisation=ORG).uln
    # someone else already holds a's details with the new postcode
    clash = attrs.evolve(a, postcode=Postcode.parse("LS1 1AA"))
    register.register_learner(clash, organisation=ORG, force=True)
    result = run(batch_bytes([Learner(uln=ula, demographics=clash)]), register)
    assert [(r.code, r.uln) for r in result.learners] == [("RC005", ula)]
    stored = register.get(ula)  # type: ignore[arg-type]
    assert stored is not None
    assert stored.version == 1


# -- resolving ------------------------------------------------------------------------------


@pytest.fixture
def possible(register: LearnerRegister) -> tuple[BatchResult, list[str], bytes]:
    people = distinct_people(2)
    existing = [register.register_learner(p, organisation=ORG).uln or "" for p in people]
    later = [
        attrs.evolve(p, date_of_birth=p.date_of_birth + dt.timedelta(days=95))  # type: ignore[operator]
        for p in people
    ]
    data = batch_bytes(later)
    result = run(data, register)
    assert [r.code for r in result.learners] == ["RC007", "RC007"]
    return result, existing, data


def test_resolve_takes_exactly_one_decision(
    register: LearnerRegister, possible: tuple[BatchResult, list[str], bytes]
) -> None:
    result, existing, _ = possible
    exception_id = result.learners[0].exception_id
    assert exception_id is not None
    with pytest.raises(RegisterError, match="one of"):
        resolve(register, exception_id, organisation=ORG)
    with pytest.raises(RegisterError, match="one of"):
        resolve(register, exception_id, organisation=ORG, uln=existing[0], register_new=True)
    with pytest.raises(NotFound):
        resolve(register, 999, organisation=ORG, uln=existing[0])
    with pytest.raises(NotFound):
        resolve(register, 999, organisation=ORG, changes={})
    with pytest.raises(InvalidRecord, match="Gender"):
        resolve(register, exception_id, organisation=ORG, changes={"Gender": "X7"})
    with pytest.raises(InvalidRecord, match="Colour"):
        resolve(register, exception_id, organisation=ORG, changes={"Colour": "red"})
    resolve(register, exception_id, organisation=ORG, uln=existing[0])
    with pytest.raises(IntegrityError):
        resolve(register, exception_id, organisation=ORG, changes={})
    with pytest.raises(IntegrityError):
        resolve(register, exception_id, organisation=ORG, register_new=True)


def test_a_correction_that_is_still_similar_replaces_the_exception(
    register: LearnerRegister, possible: tuple[BatchResult, list[str], bytes]
) -> None:
    result, existing, data = possible
    first = result.learners[0]
    assert first.exception_id is not None
    born = distinct_people(1)[0].date_of_birth
    assert born is not None
    moved = (born + dt.timedelta(days=200)).isoformat()
    outcome = resolve(
        register, first.exception_id, organisation=ORG, changes={"DateOfBirth": moved}
    )
    assert outcome.code == "RC007"
    assert outcome.status == "withdrawn"
    assert outcome.new_exception_id is not None
    old = register.store.get_exception(first.exception_id)
    assert old is not None
    assert old.status is ExceptionStatus.WITHDRAWN
    [new, other] = sorted(exceptions(register, batch=result), key=lambda i: -i.id)
    assert new.id == outcome.new_exception_id
    assert new.line == first.line
    again = run(data, register)
    assert again.learners[0].exception_id == outcome.new_exception_id
    assert again.learners[0].code == "RC007"
    final = resolve(register, new.id, organisation=ORG, uln=existing[0])
    assert final.code == "RC001"
    assert run(data, register).learners[0].code == "RC001"
    assert run(data, register).learners[0].uln == existing[0]
    assert other.id == result.learners[1].exception_id


def test_a_mismatched_uln_is_corrected_or_dropped(register: LearnerRegister) -> None:
    a, b = distinct_people(2)
    ula = register.register_learner(a, organisation=ORG).uln
    ulb = register.register_learner(b, organisation=ORG).uln
    assert ula is not None
    assert ulb is not None
    data = batch_bytes([Learner(uln=ula, demographics=b), Learner(uln=ulb, demographics=a)])
    result = run(data, register)
    assert [r.code for r in result.learners] == ["RC009", "RC009"]
    one, two = (r.exception_id for r in result.learners)
    assert one is not None
    assert two is not None
    fixed = resolve(register, one, organisation=ORG, changes={"ULN": ulb})
    assert (fixed.code, fixed.uln, fixed.status) == ("RC001", ulb, "resolved_existing")
    dropped = resolve(register, two, organisation=ORG, changes={"ULN": ""})
    assert (dropped.code, dropped.uln) == ("RC001", ula)  # found by its details
    again = run(data, register)
    assert [(r.code, r.uln) for r in again.learners] == [("RC001", ulb), ("RC001", ula)]
    assert again.counters["RejectedLearners"] == 0
    assert register.count() == 2


def test_a_correction_needing_no_person_leaves_the_exception_open(
    register: LearnerRegister, possible: tuple[BatchResult, list[str], bytes]
) -> None:
    result, _, _ = possible
    exception_id = result.learners[0].exception_id
    assert exception_id is not None
    outcome = resolve(register, exception_id, organisation=ORG, changes={"ULN": "3344556680"})
    assert (outcome.code, outcome.status) == ("RC010", "open")
    item = register.store.get_exception(exception_id)
    assert item is not None
    assert item.status is ExceptionStatus.OPEN


def test_registering_new_when_the_details_exist_keeps_the_exception_open(
    register: LearnerRegister,
) -> None:
    a, b = distinct_people(2)
    ula = register.register_learner(a, organisation=ORG).uln
    ulb = register.register_learner(b, organisation=ORG).uln
    result = run(batch_bytes([Learner(uln=ulb, demographics=a)]), register)
    exception_id = result.learners[0].exception_id
    assert exception_id is not None
    outcome = resolve(register, exception_id, organisation=ORG, register_new=True)
    assert (outcome.code, outcome.uln, outcome.status) == ("RC009", ula, "open")


# -- verify batches --------------------------------------------------------------------------


@pytest.fixture
def verified(register: LearnerRegister) -> VerifyResult:
    a, b = distinct_people(2)
    ula = register.register_learner(a, organisation=ORG).uln
    ulb = register.register_learner(
        attrs.evolve(a, postcode=Postcode.parse("LS1 1AA")), organisation=ORG, force=True
    ).uln
    assert ula is not None
    assert ulb is not None
    register.link(ula, ulb, organisation=ORG)
    rows = [
        Learner(uln=ula, demographics=a),
        Learner(uln=ulb, demographics=a),
        Learner(uln=ula, demographics=b),
        Learner(uln="3344556680", demographics=b),
    ]
    lines = batch_bytes(rows, verify=True).decode().split("\r\n")
    lines.insert(7, "1000000043,,=cmd,,,")  # a bad row: no family name, a formula
    data = "\r\n".join(lines).encode()
    return process_verify(read_verify(io.BytesIO(data)), register, now=BATCH_TIME)


def test_a_verify_batch_answers_each_learner(verified: VerifyResult) -> None:
    assert [r.code for r in verified.learners] == [
        "WSVRC001",
        "WSVRC002",
        "WSVRC005",
        "WSVRC006",
        "RC006",
    ]
    master = verified.learners[0].uln
    assert verified.learners[1].uln == master  # the master's ULN for a linked one
    assert verified.counters == {
        "Matches": 2,
        "SimilarMatches": 0,
        "NoMatches": 1,
        "LearnersNotFound": 1,
        "RejectedLearners": 1,
    }
    assert "Alwen" not in repr(verified)


@pytest.mark.parametrize("fmt", ["CSV", "XML"])
def test_the_verify_output_reads_back(verified: VerifyResult, fmt: str, tmp_path: Path) -> None:
    path = write_verify_output(verified, tmp_path, format=fmt)
    assert path.name == f"LRB_10012345_020920240930_OUTPUT.{fmt}"
    back = read_verify_output(path)
    if fmt == "CSV":  # the rows stand on the same lines as in the request
        assert back == verified
    answers = [(r.index, r.code, r.uln, r.failure_flags) for r in back.learners]
    assert answers == [(r.index, r.code, r.uln, r.failure_flags) for r in verified.learners]
    assert (back.ukprn, back.file_name, back.format) == (verified.ukprn, verified.file_name, fmt)
    assert (back.started, back.finished) == (verified.started, verified.finished)
    assert back.learners[4].entry is not None
    assert back.learners[4].entry.values is not None
    assert back.learners[4].entry.values["GivenName"] == "=cmd"  # echoed, neutralised in the file
    assert "'=cmd" in path.read_text(encoding="utf-8")
    with pytest.raises(Exception, match="exists"):
        write_verify_output(verified, tmp_path, format=fmt)
    write_verify_output(verified, tmp_path, format=fmt, overwrite=True)


def test_a_tampered_verify_output_is_refused(verified: VerifyResult) -> None:
    out = io.BytesIO()
    write_verify_output(verified, out)
    lines = out.getvalue().decode().split("\r\n")
    tampered = lines[1].replace(",2,0,1,1,1", ",3,0,1,1,1")
    with pytest.raises(BatchError, match="Matches"):
        read_verify_output(io.BytesIO("\r\n".join([lines[0], tampered, *lines[2:]]).encode()))
    bad_code = "\r\n".join(lines).replace("WSVRC006", "WSVRC099").encode()
    with pytest.raises(BatchError, match="ReturnCode"):
        read_verify_output(io.BytesIO(bad_code))
    with pytest.raises(BatchError, match="headings"):
        read_verify_output(io.BytesIO(b"a,b\r\n1,2\r\n"))


def test_process_verify_refuses_a_registration_batch(register: LearnerRegister) -> None:
    with pytest.raises(BatchError, match="registration batch"):
        process_verify(io.BytesIO(batch_bytes(distinct_people(2))), register)


# -- a rule of general shape -------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.integers(0, 11), min_size=1, max_size=20),
    st.integers(1, 6),
)
def test_a_repeated_learner_gets_the_ulns_of_its_first_row(picks: list[int], chunk: int) -> None:
    people = distinct_people(12)
    rows = [people[i] for i in picks]
    with memory() as reg:
        result = run(batch_bytes(rows), reg, chunk_size=chunk)
        first: dict[int, LearnerResult] = {}
        for pick, r in zip(picks, result.learners, strict=True):
            if pick in first:
                assert (r.code, r.uln) == ("RC001", first[pick].uln)
            else:
                assert r.code == "RC002"
                first[pick] = r
        assert reg.count() == len(set(picks))
        assert len({r.uln for r in first.values()}) == len(first)
