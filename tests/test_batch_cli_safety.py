"""`uln batch` and `uln validate` under real exports and faults: nothing overwritten,
nothing personal echoed, our messages (with CLI words) instead of tracebacks."""

from __future__ import annotations

import datetime as _dt
import errno
import gc
import io
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from uln import _files
from uln._cli.app import cli
from uln.batch import Entry, read, write_output, write_request
from uln.batch._cli import batch_group
from uln.learner import Demographics

ON = "2024-09-02"
FIRST = _dt.date(2005, 6, 7)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _export(
    tmp_path: Path,
    n: int = 55,
    *,
    headings: str = "Student Ref,Forename,Surname,DOB,Sex,Postcode",
    extra: tuple[str, ...] = (),
    heading_row: bool = True,
) -> Path:
    rows = [
        f"S{i:04d},Huw,Pugh{'-Jones' * (i % 3)},{FIRST - _dt.timedelta(days=i):%d/%m/%Y},"
        "Male,ll57 2dg"
        for i in range(n)
    ]
    lines = [headings, *rows, *extra] if heading_row else [*rows, *extra]
    path = tmp_path / "export.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _new(runner: CliRunner, export: Path, out: Path, *args: str) -> tuple[int, str]:
    out.mkdir(exist_ok=True)
    result = runner.invoke(
        batch_group(),
        ["new", "--ukprn", "10012345", "--out", str(out), "--on", ON, *args, str(export)],
    )
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_new_never_overwrites_a_batch(runner: CliRunner, tmp_path: Path) -> None:
    export, out = _export(tmp_path), tmp_path / "outbox"
    assert _new(runner, export, out)[0] == 0
    assert _new(runner, export, out)[0] == 0
    written = sorted(out.iterdir())
    assert len(written) == 2  # the second took the next free minute
    for path in written:
        batch = read(path, on=_dt.date(2024, 9, 2))
        assert len(batch.good) == 55
        assert batch.header.file_name == path.name


def test_new_reports_an_unwritable_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_files.os, "fsync", full)
    code, output = _new(runner, _export(tmp_path), tmp_path / "outbox")
    assert code == 1
    assert output.splitlines()[-1].startswith("export.csv: cannot write the request: LRB_10012345_")
    assert "could not be written (No space left on device); nothing written" in output
    assert list((tmp_path / "outbox").iterdir()) == []


def test_new_fills_the_mis_identifier_and_reads_mapped_columns(
    runner: CliRunner, tmp_path: Path
) -> None:
    export = _export(tmp_path, headings="Learner Ref,First name (legal),Family,Birth,Sex,Home PC")
    out = tmp_path / "outbox"
    code, output = _new(runner, export, out)
    assert code == 1
    assert "no column for GivenName, FamilyName, LastKnownPostCode, DateOfBirth" in output
    code, output = _new(
        runner,
        export,
        out,
        "--map",
        "GivenName=First name (legal)",
        "--map",
        "family_name=family",
        "--map",
        "DOB=Birth",
        "--map",
        "Postcode=Home PC",
    )
    assert code == 0, output
    [path] = out.iterdir()
    first = read(path, on=_dt.date(2024, 9, 2)).learners[0].learner
    assert first is not None
    assert first.mis_identifier == "S0000"
    assert first.demographics.given_name == "Huw"
    assert str(first.demographics.postcode) == "LL57 2DG"


def test_new_refuses_a_bad_map(runner: CliRunner, tmp_path: Path) -> None:
    export, out = _export(tmp_path), tmp_path / "outbox"
    assert "not a column of a 2A batch" in _new(runner, export, out, "--map", "Shoe=Sex")[1]
    assert "the export has no such column" in _new(runner, export, out, "--map", "DOB=When")[1]
    code, output = _new(runner, export, out, "--map", "DOB")
    assert code == 2
    assert "FIELD=COLUMN" in output


def test_new_refuses_duplicates_before_writing(runner: CliRunner, tmp_path: Path) -> None:
    repeat = f"S9999,Huw,Pugh,{FIRST:%d/%m/%Y},M,LL57 2DG"  # the first learner again
    export, out = (
        _export(tmp_path, extra=(repeat, "S0001,Other,Person,01/01/2000,F,CV4 9EE")),
        (tmp_path / "outbox"),
    )
    code, output = _new(runner, export, out)
    assert code == 1
    assert output.splitlines()[-3:] == [
        "export.csv: line 57: duplicate learner: the same names, date of birth, gender and "
        "postcode as line 2",
        "export.csv: line 58: duplicate MISIdentifier: the same MISIdentifier as line 3",
        "export.csv: 2 bad rows; nothing written (use --skip-bad to write the rest)",
    ]
    assert list(out.iterdir()) == []
    code, output = _new(runner, export, out, "--skip-bad")
    assert code == 1
    [path] = out.iterdir()
    batch = read(path, on=_dt.date(2024, 9, 2))
    assert batch.duplicates == ()
    assert len(batch.good) == 55


def test_new_small_and_large_batches_need_cli_flags(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "outbox"
    code, output = _new(runner, _export(tmp_path, 10), out)
    assert code == 1
    assert output.splitlines()[-1] == (
        "export.csv: nothing written: 10 learners are fewer than the 50 a batch holds; "
        "use --allow-small to write it anyway"
    )
    assert "allow_small" not in output
    assert _new(runner, _export(tmp_path, 10), out, "--allow-small")[0] == 0
    code, output = _new(runner, _export(tmp_path, 5001), tmp_path / "big")
    assert code == 1
    assert output.splitlines()[-1].endswith("use --split to write several files")
    assert "split=True" not in output
    code, output = _new(runner, _export(tmp_path, 5001), tmp_path / "big", "--split")
    assert code == 0, output
    assert len(list((tmp_path / "big").iterdir())) == 2


def test_new_checks_the_ukprn_before_any_row(runner: CliRunner, tmp_path: Path) -> None:
    export = _export(tmp_path, extra=("S9998,Huw,Pugh,31/02/2005,Male,LL57 2DG",))
    result = runner.invoke(batch_group(), ["new", "--ukprn", "123", str(export)])
    assert result.exit_code == 2
    assert "Invalid value for '--ukprn'" in result.output
    assert "RC011" not in result.output
    assert "line" not in result.output


@pytest.mark.parametrize("command", ["new", "check"])
def test_a_bad_on_date_names_the_option(runner: CliRunner, tmp_path: Path, command: str) -> None:
    export = _export(tmp_path)
    args = ["--ukprn", "10012345"] if command == "new" else []
    result = runner.invoke(batch_group(), [command, *args, "--on", "02/09/2024", str(export)])
    assert result.exit_code == 2
    assert "Invalid value for '--on': write the date as YYYY-MM-DD" in result.output


def test_new_counts_the_problems_by_rule(runner: CliRunner, tmp_path: Path) -> None:
    bad = tuple(f"X{i},Huw,Pugh,31/02/2005,Male,LL57 2DG" for i in range(12))
    code, output = _new(runner, _export(tmp_path, extra=(*bad, 'X99,"Huw')), tmp_path / "outbox")
    assert code == 1
    lines = output.splitlines()
    at = lines.index("export.csv: problems by rule:")
    assert lines[at + 1 : at + 3] == [
        "      12  RC011 DateOfBirth: the day does not exist in that month",
        "       1  row: a quote is left open",
    ]


def test_new_does_not_echo_a_first_row_of_data(runner: CliRunner, tmp_path: Path) -> None:
    export = _export(tmp_path, heading_row=False)
    code, output = _new(runner, export, tmp_path / "outbox")
    assert code == 1
    assert output == (
        "export.csv: line 1: the first row does not look like headings (it names no column "
        "the LRS needs, such as Forename, Surname, DOB, Sex, Postcode); the first row must "
        "name the columns\n"
    )


def test_new_does_not_echo_data_like_headings_it_ignores(runner: CliRunner, tmp_path: Path) -> None:
    export = _export(tmp_path, headings="Student Ref,Forename,Surname,DOB,Sex,Postcode,CV4 9EE")
    code, output = _new(runner, export, tmp_path / "outbox")
    assert code == 0, output
    assert output.splitlines()[0] == "export.csv: columns not used: column 7"


def test_check_escapes_terminal_sequences_and_show_points_to_check(
    runner: CliRunner, tmp_path: Path
) -> None:
    people = [
        Demographics.from_raw(
            {
                "GivenName": "Huw",
                "FamilyName": "Pugh",
                "DateOfBirth": FIRST - _dt.timedelta(days=i),
                "Gender": "1",
                "LastKnownPostCode": "LL57 2DG",
            }
        )
        for i in range(50)
    ]
    [request] = write_request(people, tmp_path, ukprn="10012345")
    result = runner.invoke(batch_group(), ["show", str(request)])
    assert result.exit_code == 1
    assert result.output == (
        f"{request.name}: a registration batch, not an output file: check it with uln batch check\n"
    )
    entries = [Entry(4 + i, None, learner=None, return_code="RC001") for i in range(3)]
    output = write_output(entries, tmp_path, ukprn="10012345", request_name=request.name)
    data = output.read_bytes().replace(request.name.encode(), b"LRB_\x1b]0;pwned\x07\x1b[2J.CSV")
    output.write_bytes(data)
    result = runner.invoke(batch_group(), ["show", str(output)])
    assert "\x1b" not in result.output
    assert "\x07" not in result.output
    assert "LRB_\\x1b]0;pwned\\x07\\x1b[2J.CSV" in result.output


def test_check_of_a_non_text_codec_is_a_message(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "LRB_10012345_020920240930.XML"
    path.write_bytes(b'<?xml version="1.0" encoding="bz2"?>\n<RegistrationBatch/>\n')
    result = runner.invoke(batch_group(), ["check", str(path)])
    assert result.exit_code == 1
    assert result.output == (
        f"{path.name}: line 1: cannot be read: the XML declaration names an encoding that is "
        "not a text encoding for XML (use UTF-8 or Windows-1252)\n"
    )


def _big_batch(path: Path, n: int) -> None:
    """A registration batch of ``n`` different learners (far over the 5,000 allowed)."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("FileVersion,FileName,UKPRN,ContactEmail\r\n")
        out.write(f"2A,{path.name},10012345,\r\n")
        out.write(
            "ULN,MISIdentifier,Title,GivenName,PreferredGivenName,MiddleOtherName,FamilyName,"
            "PreviousFamilyName,FamilyNameAtAge16,SchoolAtAge16,LastKnownAddressLine1,"
            "LastKnownAddressLine2,LastKnownAddressTown,LastKnownAddressCountyOrCity,"
            "LastKnownPostCode,DateOfAddressCapture,DateOfBirth,PlaceOfBirth,EmailAddress,"
            "Gender,Nationality,ScottishCandidateNumber,AbilityToShare,VerificationType,"
            "OtherVerificationDescription,Notes\r\n"
        )
        for i in range(n):
            born = _dt.date(1960, 1, 1) + _dt.timedelta(days=i % 15000)
            out.write(
                f",M{i:07d},,Huw,,,Pugh{'abc'[i // 15000]},,,,,,,,LL57 2DG,,{born},,,1,,,0,0,,\r\n"
            )


def _peak(runner: CliRunner, path: Path) -> tuple[int, str]:
    gc.collect()
    tracemalloc.start()
    try:
        result = runner.invoke(batch_group(), ["check", "--on", ON, str(path)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, result.output


def test_check_streams_in_flat_memory(runner: CliRunner, tmp_path: Path) -> None:
    """The peak while checking 40,000 learners is not much above that of 10,000: no entry
    is held, only a hash per key for the duplicate rule (about 200 bytes a learner; holding
    the entries, as before, grew by about 1.4 kB a learner)."""
    small, large = (
        tmp_path / "LRB_10012345_020920240930.CSV",
        tmp_path / "big" / "LRB_10012345_020920240930.CSV",
    )
    large.parent.mkdir()
    _big_batch(small, 10_000)
    _big_batch(large, 40_000)
    _peak(runner, small)  # warm the caches
    small_peak, small_output = _peak(runner, small)
    large_peak, large_output = _peak(runner, large)
    assert small_output.splitlines()[-1].startswith(
        f"{small.name}: registration batch 2A, CSV, ASCII: 10000 learners, 10000 good"
    )
    assert "40000 learners, 40000 good" in large_output.splitlines()[-1]
    assert large_peak - small_peak < 30_000 * 300, (small_peak, large_peak)


# -- uln validate ---------------------------------------------------------------------------


def test_validate_reads_a_bom_and_a_heading(runner: CliRunner) -> None:
    data = "\ufeffULN\r\n3344556680\r\n"
    result = runner.invoke(cli, ["validate", "-"], input=data.encode("utf-8"))
    assert result.exit_code == 0, result.output
    assert result.output == "3344556680\tvalid\n"


def test_validate_never_echoes_what_is_not_a_uln(runner: CliRunner) -> None:
    data = "3344556680\nJohn Smith, 02/11/2003\n\x1b]0;pwned\x07\x1b[2J\n1234567890\n"
    result = runner.invoke(cli, ["validate", "-"], input=data)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "3344556680\tvalid",
        "line 2\tinvalid: a ULN has only the digits 0-9",
        "line 3\tinvalid: a ULN has only the digits 0-9",
        "1234567890\tinvalid: the check digit does not match",
    ]
    result = runner.invoke(cli, ["validate", "--json", "Jo Bloggs", "\x1b[31m"])
    assert "Bloggs" not in result.output
    assert "\x1b" not in result.output
    assert '"where": "argument 1"' in result.output


def test_validate_reads_bytes_that_are_not_utf8(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", "-"], input=io.BytesIO(b"334455668\xff\n"))
    assert result.exit_code == 1
    assert result.output == "line 1\tinvalid: a ULN has only the digits 0-9\n"
    assert "Traceback" not in result.output


def test_new_help_reads_naturally(runner: CliRunner) -> None:
    result = runner.invoke(batch_group(), ["new", "--help"])
    assert "[default: CSV]" not in result.output
    assert "Default: CSV." in result.output
    assert "--force" in result.output
    assert "--allow-small" in result.output


def test_new_into_a_missing_folder_is_a_message(runner: CliRunner, tmp_path: Path) -> None:
    export = _export(tmp_path)
    result = runner.invoke(
        batch_group(),
        ["new", "--ukprn", "10012345", "--out", str(tmp_path / "nowhere"), "--on", ON, str(export)],
    )
    assert result.exit_code == 1
    assert result.output == (
        "export.csv: cannot write the request: nowhere: the folder does not exist; "
        "nothing written\n"
    )
