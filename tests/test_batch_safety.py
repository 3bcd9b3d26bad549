"""Batch files: nothing lost (no overwrite, all-or-nothing split sets, the reader's checks
before writing), nothing leaked (reprs), and our errors for files that are not text."""

from __future__ import annotations

import datetime as _dt
import errno
import io
import os
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uln import _files
from uln.batch import Entry, read, read_output, stream, write_output, write_request, write_verify
from uln.batch._model import Batch, Header
from uln.batch.spec import VERSIONS
from uln.errors import BatchError, OutputError
from uln.learner import Demographics, Learner

ON = _dt.date(2024, 9, 2)
WHEN = _dt.datetime(2024, 9, 2, 9, 30)
UKPRN = "10000001"


def _people(n: int, first: _dt.date = _dt.date(2005, 6, 7)) -> list[Demographics]:
    """``n`` different learners, born a day apart."""
    return [
        Demographics.from_raw(
            {
                "GivenName": "Huw",
                "FamilyName": "Pugh",
                "DateOfBirth": first - _dt.timedelta(days=i),
                "Gender": "1",
                "LastKnownPostCode": "LL57 2DG",
            }
        )
        for i in range(n)
    ]


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- never overwrite ----------------------------------------------------------------------


def test_a_second_request_at_the_same_time_is_refused(tmp_path: Path) -> None:
    [first] = write_request(_people(50), tmp_path, ukprn=UKPRN, when=WHEN)
    before = first.read_bytes()
    with pytest.raises(OutputError, match=r"LRB_10000001_020920240930\.CSV: the file exists"):
        write_request(_people(60), tmp_path, ukprn=UKPRN, when=WHEN)
    assert first.read_bytes() == before
    assert _names(tmp_path) == [first.name]
    [again] = write_request(_people(60), tmp_path, ukprn=UKPRN, when=WHEN, overwrite=True)
    assert again == first
    assert len(read(first, on=ON).learners) == 60


def test_the_default_name_takes_the_next_free_minute(tmp_path: Path) -> None:
    paths = [write_request(_people(50), tmp_path, ukprn=UKPRN)[0] for _ in range(3)]
    assert len(set(paths)) == 3
    assert _names(tmp_path) == sorted(p.name for p in paths)
    for path in paths:
        assert len(read(path).learners) == 50


def test_the_default_name_skips_a_minute_taken_in_the_other_format(tmp_path: Path) -> None:
    [csv] = write_request(_people(50), tmp_path, ukprn=UKPRN)
    [xml] = write_request(_people(50), tmp_path, ukprn=UKPRN, format="XML")
    assert csv.stem != xml.stem


def test_a_file_path_that_exists_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "LRB_10000001_020920241030.CSV"
    path.write_bytes(b"mine")
    with pytest.raises(OutputError, match="the file exists"):
        write_request(_people(50), path, ukprn=UKPRN)
    assert path.read_bytes() == b"mine"


def test_verify_and_output_files_are_not_overwritten(tmp_path: Path) -> None:
    learner = Learner(uln="3344556680", demographics=_people(1)[0])
    [verify] = write_verify([learner], tmp_path, ukprn=UKPRN, when=WHEN)
    with pytest.raises(OutputError):
        write_verify([learner], tmp_path, ukprn=UKPRN, when=WHEN)
    entry = Entry(4, None, learner=learner, return_code="RC001")
    output = write_output([entry], tmp_path, ukprn=UKPRN, request_name=verify.name)
    before = output.read_bytes()
    with pytest.raises(OutputError, match=r"_OUTPUT\.CSV: the file exists"):
        write_output([entry, entry], tmp_path, ukprn=UKPRN, request_name=verify.name)
    assert output.read_bytes() == before
    write_output([entry, entry], output, ukprn=UKPRN, request_name=verify.name, overwrite=True)
    assert len(read_output(output).learners) == 2


# -- all or nothing -----------------------------------------------------------------------


def test_an_interrupted_split_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace
    calls: list[object] = []

    def second_fails(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(_files.os, "replace", second_fails)
    with pytest.raises(KeyboardInterrupt):
        write_request(_people(5001), tmp_path, ukprn=UKPRN, when=WHEN, split=True)
    assert len(calls) == 2
    assert _names(tmp_path) == []


def test_a_full_disk_in_a_split_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_files.os, "fsync", full)
    with pytest.raises(OutputError, match=r"\.CSV: could not be written \(No space left"):
        write_request(_people(5001), tmp_path, ukprn=UKPRN, when=WHEN, split=True)
    assert _names(tmp_path) == []


def test_a_split_whose_second_name_is_taken_writes_nothing(tmp_path: Path) -> None:
    taken = tmp_path / "LRB_10000001_020920240931.CSV"
    taken.write_bytes(b"mine")
    with pytest.raises(OutputError, match=r"020920240931\.CSV: the file exists"):
        write_request(_people(5001), tmp_path, ukprn=UKPRN, when=WHEN, split=True)
    assert _names(tmp_path) == [taken.name]
    assert taken.read_bytes() == b"mine"


@pytest.mark.parametrize("target", ["missing", "missing/LRB_10000001_020920240930.CSV"])
def test_a_missing_folder_is_our_error(tmp_path: Path, target: str) -> None:
    with pytest.raises(OutputError, match="the folder does not exist"):
        write_request(_people(50), tmp_path / target, ukprn=UKPRN, when=WHEN)
    with pytest.raises(OutputError, match="the folder does not exist"):
        write_output(
            [], tmp_path / target, ukprn=UKPRN, request_name=f"LRB_{UKPRN}_020920240930.CSV"
        )
    assert _names(tmp_path) == []


# -- the reader's checks before writing ---------------------------------------------------


def test_the_age_rule_is_checked_before_writing(tmp_path: Path) -> None:
    young = _people(50, first=_dt.date(2012, 9, 3))  # the first is 11 on 2024-09-02
    with pytest.raises(BatchError, match=r"learner 1: DateOfBirth \(the learner's age must be"):
        write_request(young, tmp_path, ukprn=UKPRN, when=WHEN)
    with pytest.raises(BatchError, match="learner 1: DateOfBirth"):
        write_request(young, io.BytesIO(), ukprn=UKPRN, on=ON)
    assert _names(tmp_path) == []
    # on a later processing date they are old enough
    [path] = write_request(young, tmp_path, ukprn=UKPRN, on=_dt.date(2030, 1, 1), when=WHEN)
    assert read(path, on=_dt.date(2030, 1, 1)).ok


def test_duplicates_are_refused_within_and_across_split_files(tmp_path: Path) -> None:
    people = _people(5001)
    people[4500] = people[10]  # the two would be in different files
    with pytest.raises(
        BatchError,
        match=r"^1 of 5001 learners cannot be written: learner 4501: "
        r"duplicate learner \(the same names, date of birth, gender and postcode "
        r"as learner 11\)$",
    ):
        write_request(people, tmp_path, ukprn=UKPRN, when=WHEN, split=True)
    assert _names(tmp_path) == []


def test_repeated_mis_identifiers_are_refused() -> None:
    with pytest.raises(BatchError, match="learner 3: duplicate MISIdentifier"):
        write_request(
            _people(50),
            io.BytesIO(),
            ukprn=UKPRN,
            mis_identifiers=["A", "B", "A", *(f"M{i}" for i in range(47))],
        )


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, 59), min_size=50, max_size=80))
def test_whatever_is_written_is_read_without_duplicates(picks: list[int]) -> None:
    pool = _people(60)
    people = [pool[i] for i in picks]
    out = io.BytesIO()
    try:
        write_request(people, out, ukprn=UKPRN, when=WHEN)
    except BatchError as exc:
        assert "duplicate learner" in str(exc)
        assert len(set(picks)) < len(picks)
        return
    assert len(set(picks)) == len(picks)
    batch = read(io.BytesIO(out.getvalue()), on=ON)
    assert batch.duplicates == ()
    assert batch.ok


# -- 5,000 entries at most in an output file ----------------------------------------------


def test_an_output_file_holds_at_most_5000_entries(tmp_path: Path) -> None:
    learner = Learner(demographics=_people(1)[0])
    entries = [Entry(4 + i, None, learner=learner, return_code="RC001") for i in range(5001)]
    name = f"LRB_{UKPRN}_020920240930.CSV"
    with pytest.raises(BatchError, match="5001 entries are more than the 5000 an output file"):
        write_output(entries, tmp_path, ukprn=UKPRN, request_name=name)
    assert _names(tmp_path) == []
    path = write_output(entries[:5000], tmp_path, ukprn=UKPRN, request_name=name)
    assert read_output(path).errors == ()
    # one more row, as another tool might write it
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(
        b"".join([lines[0], lines[1].replace(b",5000,", b",5001,", 1), *lines[2:], lines[-1]])
    )
    problems = read_output(path).errors
    assert any(
        p.field == "Learners" and "an output file has at most 5000" in p.rule for p in problems
    )


# -- reprs and files that are not text ----------------------------------------------------


def test_repr_of_a_batch_hides_the_contact_email() -> None:
    out = io.BytesIO()
    write_request(_people(50), out, ukprn=UKPRN, when=WHEN, contact_email="jo.bloggs@example.ac.uk")
    batch = read(io.BytesIO(out.getvalue()), on=ON)
    assert batch.header.contact_email == "jo.bloggs@example.ac.uk"
    assert "jo.bloggs" not in repr(batch)
    assert "jo.bloggs" not in repr(batch.header)
    assert "jo.bloggs" not in repr(attrs.evolve(batch, learners=()))
    assert isinstance(batch, Batch)
    assert isinstance(batch.header, Header)


@pytest.mark.parametrize(
    "codec", ["bz2", "base64", "rot13", "hex", "zlib", "uu", "quopri", "utf-16", "cp037"]
)
def test_an_xml_declaration_naming_a_codec_that_is_not_text(codec: str) -> None:
    data = (
        f'<?xml version="1.0" encoding="{codec}"?>\n<RegistrationBatch><Header>'
        "</Header></RegistrationBatch>\n"
    ).encode("ascii")
    with pytest.raises(BatchError, match="not a text encoding"):
        read(io.BytesIO(data))


def test_a_text_stream_that_cannot_decode_is_our_error() -> None:
    out = io.BytesIO()
    write_request(_people(50), out, ukprn=UKPRN, when=WHEN)
    data = out.getvalue().replace(b"Huw", "Hŵ".encode("cp1252", "replace"), 1)
    data = data.replace(b"Pugh", b"P\xfcgh", 1)  # Windows-1252, not UTF-8
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    with pytest.raises(BatchError, match="cannot be read as utf-8: open it in binary mode"):
        read(text, on=ON)
    with (
        pytest.raises(BatchError),
        stream(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"), on=ON) as reader,
    ):
        list(reader)


def test_the_layouts_are_the_field_table() -> None:
    from uln.learner import field_spec

    for layout in VERSIONS.values():
        for column in layout.columns:
            spec = field_spec(column.attribute)
            assert column.owner == spec.record
            assert column.mark == spec.mark
            if spec.kind != "date":
                assert column.max_length == spec.max_length
                assert column.check == spec.kind
            expected = spec.lrs_name
            if layout.version == "3A" and spec.attr == "middle_names":
                expected = "MiddleNames"
            assert column.name == expected
            assert column.name in (spec.lrs_name, *spec.aliases)


def test_an_echoed_cell_with_a_lone_surrogate_does_not_crash_the_writer() -> None:
    values = dict.fromkeys(VERSIONS["2A"].names, "")
    values["GivenName"] = "Hu\ud800w"
    entry = Entry(4, None, values=values, return_code="RC011")
    out = io.BytesIO()
    write_output([entry], out, ukprn=UKPRN, request_name=f"LRB_{UKPRN}_020920240930.CSV")
    [echoed] = read_output(io.BytesIO(out.getvalue())).learners
    assert echoed.return_code == "RC011"
    assert out.getvalue().decode("utf-8").count("Hu?w") == 1
