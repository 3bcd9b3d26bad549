"""Writing batch files: round trips, formula neutralisation, limits, output and verify files."""

from __future__ import annotations

import csv
import datetime as _dt
import io
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uln.batch import (
    Entry,
    read,
    read_output,
    read_verify,
    write_output,
    write_request,
    write_verify,
)
from uln.batch._csvio import neutralise, restore
from uln.batch.spec import VERSIONS, WRITE_DEFAULTS
from uln.demographics.names import name_key
from uln.enums import AbilityToShare, PrivacyNoticeSeen, VerificationType
from uln.errors import BatchError
from uln.learner import Demographics, Learner
from uln.testing.strategies import demographics, learners

ON = _dt.date(2024, 9, 2)
WHEN = _dt.datetime(2024, 9, 2, 9, 30)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def batch_view(record: Learner | Demographics, version: str) -> Learner:
    """What a file of ``version`` keeps of ``record``: its columns, defaults filled in."""
    learner = record if isinstance(record, Learner) else Learner(demographics=record)
    names = VERSIONS[version].names
    kept = {c.attribute for c in VERSIONS[version].columns}
    changes: dict[str, object] = {
        a.name: a.default
        for a in attrs.fields(Learner)
        if a.name not in kept and a.name not in ("demographics", "problems")
    }
    demographics_changes = {
        a.name: None
        for a in attrs.fields(Demographics)
        if a.name not in kept and a.name != "problems"
    }
    if learner.verification_type is None:
        changes["verification_type"] = VerificationType(int(WRITE_DEFAULTS["VerificationType"]))
    if "AbilityToShare" in names and learner.ability_to_share is None:
        changes["ability_to_share"] = AbilityToShare(int(WRITE_DEFAULTS["AbilityToShare"]))
    if "PrivacyNoticeSeen" in names and learner.privacy_notice_seen is None:
        changes["privacy_notice_seen"] = PrivacyNoticeSeen(int(WRITE_DEFAULTS["PrivacyNoticeSeen"]))
    changes["demographics"] = attrs.evolve(learner.demographics, **demographics_changes)
    return attrs.evolve(learner, **changes)


def _person(record: Learner | Demographics) -> tuple[object, ...]:
    d = record.demographics if isinstance(record, Learner) else record
    return (
        name_key(d.given_name),
        name_key(d.family_name),
        d.date_of_birth,
        d.gender,
        str(d.postcode),
    )


def _own(attribute: str) -> Callable[[Learner | Demographics], object]:
    """A key that is the record's ``attribute`` when set, else unique to the record."""
    return lambda record: getattr(record, attribute, None) or id(record)


# A batch never holds the same learner twice (the writer refuses duplicates).
_UNIQUE = (_person, _own("uln"), _own("mis_identifier"))


@SETTINGS
@given(
    records=st.lists(
        learners(demographics=demographics(on=ON)) | demographics(on=ON),
        min_size=1,
        max_size=8,
        unique_by=_UNIQUE,
    ),
    version=st.sampled_from(sorted(VERSIONS)),
    fmt=st.sampled_from(["CSV", "XML"]),
)
def test_round_trip(records: list[Learner | Demographics], version: str, fmt: str) -> None:
    """read(write_request(x)) gives back x: every field a batch file holds."""
    out = io.BytesIO()
    write_request(
        records, out, ukprn="10000001", version=version, format=fmt, when=WHEN, allow_small=True
    )
    batch = read(io.BytesIO(out.getvalue()), on=ON)
    assert batch.format == fmt
    assert batch.version == version
    assert [e.problems for e in batch.learners] == [()] * len(records)
    assert [e.learner for e in batch.learners] == [batch_view(r, version) for r in records]
    assert [p.field for p in batch.errors] == ["Learners"]  # fewer than 50


_TEXT = (
    st.text(
        st.characters(exclude_categories=["Cs", "Cc"], exclude_characters="\u2028\u2029\x85"),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(bool)
)


BASE = {
    "GivenName": "Huw",
    "FamilyName": "Pugh",
    "DateOfBirth": "2005-06-07",
    "Gender": "1",
    "LastKnownPostCode": "LL57 2DG",
    "VerificationType": "2",
    "AbilityToShare": "1",
}


@SETTINGS
@given(
    notes=st.lists(
        _TEXT | st.sampled_from(["=1+1", "+44", "-5", "@SUM(A1)", "'=x", "''-y"]),
        min_size=1,
        max_size=5,
    ),
    fmt=st.sampled_from(["CSV", "XML"]),
)
def test_formulas_are_neutralised_and_come_back(notes: list[str], fmt: str) -> None:
    records = []
    for i, note in enumerate(notes):
        # a different birthday each: a batch never holds the same learner twice
        base = Learner.from_raw({**BASE, "DateOfBirth": f"2005-06-{i + 1:02d}"})
        try:
            checked = Learner.from_raw(
                {**BASE, "Notes": note, "OtherVerificationDescription": note}
            )
        except ValueError:
            continue  # not a value the normalisers accept
        records.append(
            attrs.evolve(
                base,
                notes=checked.notes,
                other_verification_description=checked.other_verification_description,
                verification_type=VerificationType.OTHER,
            )
        )
    if not records:
        return
    out = io.BytesIO()
    write_request(records, out, ukprn="10000001", format=fmt, when=WHEN, allow_small=True)
    data = out.getvalue()
    if fmt == "CSV":
        for cells in csv.reader(io.StringIO(data.decode(), newline="")):
            for cell in cells:
                assert not cell[:1] or cell[0] not in "=+-@\t\r", cell
    got = [e.learner for e in read(io.BytesIO(data), on=ON).learners]
    assert got == records


@given(st.text())
def test_neutralise_is_undone_by_restore(value: str) -> None:
    assert restore(neutralise(value)) == value
    assert neutralise(value)[:1] not in ("=", "+", "-", "@", "\t", "\r")


def _people(n: int) -> list[Demographics]:
    """``n`` different learners (a batch never holds one twice), the first born 2005-06-07."""
    first = _dt.date(2005, 6, 7)
    return [
        Demographics.from_raw(
            {
                "GivenName": "Huw",
                "FamilyName": f"Pugh{'-Jones' * (i % 2)}",
                "DateOfBirth": first - _dt.timedelta(days=i),
                "Gender": "1",
                "LastKnownPostCode": "LL57 2DG",
            }
        )
        for i in range(n)
    ]


def test_5001_learners_are_refused_or_split(tmp_path: Path) -> None:
    people = _people(5001)
    with pytest.raises(BatchError, match="5001 learners are more than the 5000"):
        write_request(people, tmp_path, ukprn="10000001", when=WHEN)
    assert list(tmp_path.iterdir()) == []
    paths = write_request(people, tmp_path, ukprn="10000001", when=WHEN, split=True)
    assert [p.name for p in paths] == [
        "LRB_10000001_020920240930.CSV",
        "LRB_10000001_020920240931.CSV",
    ]
    sizes = [len(read(p, on=ON).learners) for p in paths]
    assert sizes == [2500, 2501]
    assert all(read(p, on=ON).errors == () for p in paths)
    with pytest.raises(BatchError, match="give a folder"):
        write_request(
            people, tmp_path / "LRB_10000001_020920241030.CSV", ukprn="10000001", split=True
        )


def test_small_batches_need_a_flag() -> None:
    with pytest.raises(BatchError, match="fewer than the 50"):
        write_request(_people(49), io.BytesIO(), ukprn="10000001")
    with pytest.raises(BatchError, match="no learners"):
        write_request([], io.BytesIO(), ukprn="10000001")


def test_a_bad_learner_stops_the_write_and_is_named(tmp_path: Path) -> None:
    incomplete = Demographics.from_raw({"GivenName": "Huw", "FamilyName": "Pugh"}, strict=False)
    people = [*_people(60), incomplete]
    with pytest.raises(BatchError) as caught:
        write_request(people, tmp_path, ukprn="10000001")
    message = str(caught.value)
    assert message.startswith("1 of 61 learners cannot be written: learner 61: ")
    assert "DateOfBirth (a value is required)" in message
    assert "Huw" not in message
    assert "Pugh" not in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ukprn": "123"}, "UKPRN"),
        ({"ukprn": "10000001", "version": "4A"}, "not a registration batch version"),
        ({"ukprn": "10000001", "format": "JSON"}, "CSV or XML"),
        ({"ukprn": "10000001", "contact_email": "nobody"}, "ContactEmail"),
        ({"ukprn": "10000001", "mis_identifiers": ["A"]}, "1 MIS identifiers were given for 50"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(BatchError, match=message):
        write_request(_people(50), io.BytesIO(), **kwargs)  # type: ignore[arg-type]


def test_a_file_path_must_follow_the_rule(tmp_path: Path) -> None:
    with pytest.raises(BatchError, match="LRB_<UKPRN>"):
        write_request(_people(50), tmp_path / "batch.csv", ukprn="10000001")
    path = tmp_path / "LRB_10000001_020920241030.XML"
    [written] = write_request(
        _people(50), path, ukprn="10000001", mis_identifiers=[f"M{i}" for i in range(50)]
    )
    assert written == path
    batch = read(path, on=ON)
    assert batch.format == "XML"
    assert batch.errors == ()
    assert batch.header.file_name == path.name
    assert batch.header.learner_count == 50
    assert [e.mis_identifier for e in batch.learners][:2] == ["M0", "M1"]


def test_verify_round_trip() -> None:
    records = [
        Learner.from_raw(
            {
                "ULN": "3344556680",
                "GivenName": "Huw",
                "FamilyName": "Pugh",
                "DateOfBirth": "2005-06-07",
                "Gender": "1",
                "LastKnownPostCode": "LL57 2DG",
            }
        ),
        Learner(
            uln="9276308686", demographics=Demographics(given_name="Siân", family_name="Jones")
        ),
    ]
    for fmt in ("CSV", "XML"):
        out = io.BytesIO()
        write_verify(records, out, ukprn="10000001", format=fmt, when=WHEN)
        batch = read_verify(io.BytesIO(out.getvalue()))
        assert batch.errors == ()
        assert batch.version == "V1"
        got = [e.learner for e in batch.learners]
        assert got[1] == records[1]
        assert got[0] is not None
        assert got[0].demographics.postcode is None
        assert got[0].demographics.date_of_birth == _dt.date(2005, 6, 7)
    with pytest.raises(BatchError, match="ULN"):
        write_verify(
            [Learner(demographics=records[1].demographics)], io.BytesIO(), ukprn="10000001"
        )


def test_output_round_trip(tmp_path: Path) -> None:
    request = tmp_path / "LRB_10000001_020920240930.CSV"
    text = write_request(_people(50), request, ukprn="10000001")
    assert text == [request]
    bad = request.read_bytes().replace(b"2005-06-07", b"07/06/2005", 1)
    request.write_bytes(bad)
    batch = read(request, on=ON)
    results = [
        attrs.evolve(e, return_code="RC011")
        if e.code
        else attrs.evolve(e, return_code="RC002", uln="3344556680")
        for e in batch.learners
    ]
    path = write_output(
        results,
        tmp_path,
        ukprn="10000001",
        request_name=request.name,
        started=WHEN,
        finished=WHEN + _dt.timedelta(minutes=3),
    )
    assert path.name == "LRB_10000001_020920240930_OUTPUT.CSV"
    output = read_output(path)
    assert output.errors == ()
    assert output.return_codes == {"RC002": 49, "RC011": 1}
    assert dict(output.header.counters) == {
        "NewLearners": 49,
        "ExistsUpdatedLearners": 0,
        "PossibleMatchLearners": 0,
        "LearnersNotFound": 0,
        "RejectedLearners": 1,
    }
    assert output.header.finished == WHEN + _dt.timedelta(minutes=3)
    # The bad row is echoed as it was read.
    assert output.learners[0].problems[0].field == "DateOfBirth"
    good = output.learners[1]
    assert good.uln == "3344556680"
    assert good.learner is not None
    assert good.learner.demographics == batch.learners[1].demographics
    with pytest.raises(BatchError, match="no known return code"):
        write_output([Entry(4, None)], tmp_path, ukprn="10000001", request_name=request.name)
    with pytest.raises(BatchError, match="job status"):
        write_output([], tmp_path, ukprn="10000001", request_name=request.name, job_status="Done")


def test_xml_output_escapes_what_it_echoes(tmp_path: Path) -> None:
    entry = Entry(4, "RC011", values={"GivenName": "<b>&\x01", "Notes": "=1"}, return_code="RC011")
    out = io.BytesIO()
    write_output([entry], out, ukprn="10000001", request_name="LRB_10000001_020920240930.XML")
    data = out.getvalue()
    assert b"&lt;b&gt;&amp;\xef\xbf\xbd" in data
    assert b"'=1" in data
    [echoed] = read_output(io.BytesIO(data)).learners
    assert echoed.return_code == "RC011"
