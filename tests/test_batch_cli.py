"""`uln batch check | new | show`, and the example files they are shown on."""

from __future__ import annotations

import datetime as _dt
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import attrs
import pytest
from click.testing import CliRunner

from uln.batch import read, write_output
from uln.batch._cli import batch_group

EXAMPLES = Path(__file__).parent.parent / "examples"
PLANTED = json.loads((EXAMPLES / "planted.json").read_text(encoding="utf-8"))
EXAMPLE_FILES = sorted(name for name in PLANTED if name.startswith("LRB_"))

_PROBLEM = re.compile(
    r"(?P<file>\S+): line (?P<line>\d+)(, column \d+)?: (?P<code>RC\d{3}) (?P<field>\w+): .+"
)
_DUPLICATE = re.compile(
    r"(?P<file>\S+): line (?P<line>\d+): duplicate (?P<field>\w+): .+ as line (?P<first>\d+)"
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _load_maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES / "make_examples.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_examples"] = module
    spec.loader.exec_module(module)
    return module


def test_the_examples_are_what_the_script_makes(tmp_path: Path) -> None:
    written = _load_maker().make(tmp_path)
    for path in written.values():
        assert path.read_bytes() == (EXAMPLES / path.name).read_bytes(), path.name


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_check_prints_the_planted_problems_and_nothing_else(runner: CliRunner, name: str) -> None:
    result = runner.invoke(batch_group(), ["check", "--on", PLANTED["on"], str(EXAMPLES / name)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    *details, summary = lines
    problems: dict[tuple[int, str], list[str]] = {}
    duplicates = []
    for line in details:
        if match := _PROBLEM.fullmatch(line):
            problems.setdefault((int(match["line"]), match["code"]), []).append(match["field"])
        elif match := _DUPLICATE.fullmatch(line):
            duplicates.append((int(match["line"]), int(match["first"]), match["field"]))
        else:
            pytest.fail(f"an unexpected line: {line}")
        assert line.startswith(f"{name}: ")
    planted = PLANTED[name]
    assert problems == {(p["line"], p["code"]): p["fields"] for p in planted["problems"]}
    assert duplicates == [(d["line"], d["first"], d["field"]) for d in planted["duplicates"]]
    assert summary.endswith("; 0 file problems")
    assert f"{len(planted['problems'])} with problems" in summary


def test_check_of_a_clean_file_exits_0(runner: CliRunner, tmp_path: Path) -> None:
    batch = read(EXAMPLES / EXAMPLE_FILES[0], on=_dt.date(2024, 9, 2))
    from uln.batch import write_request

    good = [e.learner for e in batch.learners if e.learner is not None]
    seen: set[object] = set()
    unique = []
    for learner, entry in zip(good, [e for e in batch.learners if e.learner], strict=True):
        key = (learner.mis_identifier, entry.line in {d.line for d in batch.duplicates})
        if key in seen or key[1]:
            continue
        seen.add(key)
        unique.append(learner)
    [path] = write_request(unique, tmp_path, ukprn="10012345")
    result = runner.invoke(batch_group(), ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{path.name}: registration batch 2A, CSV, UTF-8: {len(unique)} learners, "
        f"{len(unique)} good, 0 with problems; 0 duplicates; 0 file problems"
    ]


def test_check_of_a_file_that_is_not_a_batch(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Dear Siân,\n")
    result = runner.invoke(batch_group(), ["check", str(path)])
    assert result.exit_code == 1
    assert result.output == (
        "notes.txt: line 1: cannot be read: the first row must be the file header headings "
        "FileVersion,FileName,UKPRN,ContactEmail\n"
    )
    assert "Siân" not in result.output


def test_check_refuses_a_bad_date(runner: CliRunner) -> None:
    result = runner.invoke(
        batch_group(), ["check", "--on", "2/9/2024", str(EXAMPLES / EXAMPLE_FILES[0])]
    )
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


EXPORT = """Student ID,Forename,Surname,DOB,Sex,Postcode,Email,Phone
{rows}"""


def _export(tmp_path: Path, *bad: str, n: int = 55) -> Path:
    first = _dt.date(2005, 6, 7)  # each learner born on a different day: no duplicates
    rows = [
        f"S{i:04d},Huw,Pugh{'-Jones' * (i % 3)},"
        f"{first - _dt.timedelta(days=i):%d/%m/%Y},Male,ll57 2dg,"
        f"h{i}@example.ac.uk,01248 000000"
        for i in range(n)
    ]
    path = tmp_path / "export.csv"
    path.write_text(EXPORT.format(rows="\n".join([*rows, *bad])) + "\n", encoding="cp1252")
    return path


def test_new_writes_a_request_from_an_export(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "outbox"
    out.mkdir()
    result = runner.invoke(
        batch_group(),
        [
            "new",
            "--ukprn",
            "10012345",
            "--out",
            str(out),
            "--on",
            "2024-09-02",
            str(_export(tmp_path)),
        ],
    )
    assert result.exit_code == 0, result.output
    [written] = list(out.iterdir())
    assert result.output.splitlines() == [
        "export.csv: columns not used: Phone",
        f"{written}: 55 learners written",
    ]
    batch = read(written, on=_dt.date(2024, 9, 2))
    assert batch.errors == ()
    assert len(batch.good) == 55
    first = batch.learners[0].learner
    assert first is not None
    assert first.mis_identifier == "S0000"
    assert str(first.demographics.postcode) == "LL57 2DG"
    assert first.demographics.date_of_birth == _dt.date(2005, 6, 7)


def test_new_names_every_bad_row_and_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "outbox"
    out.mkdir()
    export = _export(tmp_path, "S9998,Huw,Pugh,31/02/2005,Male,LL57 2DG,,", 'S9999,"Huw')
    args = ["new", "--ukprn", "10012345", "--out", str(out), "--on", "2024-09-02", str(export)]
    result = runner.invoke(batch_group(), args)
    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == [
        "export.csv: line 57, column 4: RC011 DateOfBirth: the day does not exist in that month",
        "export.csv: line 58, column 2: row: a quote is left open",
        "export.csv: 2 bad rows; nothing written (use --skip-bad to write the rest)",
    ]
    assert list(out.iterdir()) == []
    result = runner.invoke(batch_group(), [*args, "--skip-bad"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "export.csv: 2 bad rows left out"
    [written] = list(out.iterdir())
    assert len(read(written, on=_dt.date(2024, 9, 2)).learners) == 55


def test_new_needs_the_mandatory_columns(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Forename,Surname\nHuw,Pugh\n")
    result = runner.invoke(batch_group(), ["new", "--ukprn", "10012345", str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "export.csv: line 1: no column for LastKnownPostCode, DateOfBirth, Gender"
    )


def test_show_summarises_an_output_file(runner: CliRunner, tmp_path: Path) -> None:
    name = EXAMPLE_FILES[0]
    batch = read(EXAMPLES / name, on=_dt.date(2024, 9, 2))
    results = [
        attrs.evolve(e, return_code=e.code or ("RC002" if i % 2 else "RC001"))
        for i, e in enumerate(batch.learners)
    ]
    path = write_output(results, tmp_path, ukprn="10012345", request_name=name)
    result = runner.invoke(batch_group(), ["show", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"{path.name}: output of {name} (version 2A), job Completed"
    assert lines[1] == "300 learners:"
    exceptions = [line for line in lines if line.startswith("  line ")]
    assert len(exceptions) == sum(1 for e in batch.learners if e.code)
    assert exceptions[0].startswith("  line 16  RC013  MISIdentifier STU000013  ULN -")
    for entry in batch.learners:
        learner = entry.learner
        if learner is not None:
            assert learner.demographics.family_name not in result.output


def test_the_group_help(runner: CliRunner) -> None:
    result = runner.invoke(batch_group(), ["--help"])
    assert result.exit_code == 0
    assert {"check", "new", "show"} <= set(result.output.split())


def test_check_points_an_output_file_to_show(runner: CliRunner, tmp_path: Path) -> None:
    name = EXAMPLE_FILES[0]
    batch = read(EXAMPLES / name, on=_dt.date(2024, 9, 2))
    results = [attrs.evolve(e, return_code=e.code or "RC001") for e in batch.learners]
    path = write_output(results, tmp_path, ukprn="10012345", request_name=name)
    result = runner.invoke(batch_group(), ["check", str(path)])
    assert result.exit_code == 1
    assert result.output == f"{path.name}: an output file: summarise it with uln batch show\n"
