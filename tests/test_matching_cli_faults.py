"""`uln dedupe | link | match-eval` under real exports and faults: nothing lost, nothing leaked."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from uln._cli.matching import _Scoring, _verdict, dedupe, link, match_eval
from uln.matching import MatchConfig, Matcher
from uln.matching.matcher import Link

EXPORT = """\
Student Ref,Forename,Surname,DOB,Sex,Postcode
S001,Dafydd,Jones,2007-04-09,M,CF10 1AA
S002,David,Jones,09/04/2007,M,cf101aa
S003,Sioned,Evans,2006-12-01,F,LL57 2DG
S004,Harri,Okafor,1990-12-25,M,SW1A 1AA
"""
SECRETS = ("Dafydd", "David", "Jones", "Sioned", "Evans", "Harri", "Okafor", "2007", "CF10")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write(tmp_path: Path, text: str, name: str = "people.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def no_personal_data(result: Result) -> None:
    for text in (result.stdout, result.stderr):
        for value in SECRETS:
            assert value not in text, value
    assert result.exception is None or isinstance(result.exception, SystemExit)


# -- the output file -------------------------------------------------------------------------


def test_the_output_never_replaces_the_input(runner: CliRunner, tmp_path: Path) -> None:
    people = write(tmp_path, EXPORT)
    result = runner.invoke(dedupe, [str(people), "-o", str(people), "--force"])
    assert result.exit_code == 2
    assert "people.csv: is an input file" in result.stderr
    assert people.read_text(encoding="utf-8") == EXPORT
    other = write(tmp_path, EXPORT, "other.csv")
    result = runner.invoke(link, [str(other), str(people), "-o", str(tmp_path / "people.csv")])
    assert result.exit_code == 2
    assert people.read_text(encoding="utf-8") == EXPORT


def test_an_existing_output_is_replaced_only_with_force(runner: CliRunner, tmp_path: Path) -> None:
    people = write(tmp_path, EXPORT)
    out = tmp_path / "pairs.csv"
    out.write_text("precious\n", encoding="utf-8")
    result = runner.invoke(dedupe, [str(people), "-o", str(out)])
    assert result.exit_code == 2
    assert "pairs.csv: the file exists (use --force to replace it)" in result.stderr
    assert out.read_text(encoding="utf-8") == "precious\n"
    result = runner.invoke(dedupe, [str(people), "-o", str(out), "--force", "-q"])
    assert result.exit_code == 0, result.output
    assert [(r["left_id"], r["right_id"]) for r in rows(out.read_text("utf-8"))] == [
        ("S001", "S002")
    ]


def test_an_output_in_a_missing_folder_is_a_clean_error(runner: CliRunner, tmp_path: Path) -> None:
    people = write(tmp_path, EXPORT)
    result = runner.invoke(dedupe, [str(people), "-o", str(tmp_path / "nowhere" / "pairs.csv")])
    assert result.exit_code == 2
    assert "pairs.csv: the folder does not exist" in result.stderr
    assert "Traceback" not in result.output


def test_an_interrupted_run_leaves_the_old_output_whole(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = write(tmp_path, EXPORT)
    out = tmp_path / "pairs.csv"
    out.write_text("the old pairs\n", encoding="utf-8")

    def interrupted(self: Matcher, records: Any, **kwargs: Any) -> Iterator[Link]:
        yield Link("S001", "S002", 0.99, 7.0, True)
        raise KeyboardInterrupt

    monkeypatch.setattr(Matcher, "iter_dedupe", interrupted)
    result = runner.invoke(dedupe, [str(people), "-o", str(out), "--force"])
    assert result.exit_code == 1  # click's "Aborted!"
    assert out.read_text(encoding="utf-8") == "the old pairs\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pairs.csv", "people.csv"]


def test_pairs_are_streamed_not_collected(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def collected(*args: Any, **kwargs: Any) -> list[Link]:
        raise AssertionError("the list paths hold every pair in memory")

    monkeypatch.setattr(Matcher, "dedupe", collected)
    monkeypatch.setattr(Matcher, "link", collected)
    people = write(tmp_path, EXPORT)
    result = runner.invoke(dedupe, [str(people), "-q"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(link, [str(people), str(write(tmp_path, EXPORT, "b.csv")), "-q"])
    assert result.exit_code == 0, result.output
    truth = write(
        tmp_path,
        "id,GivenName,FamilyName,DOB,cluster\n1,Jo,Bloggs,2001-02-03,a\n2,Jo,Bloggs,2001-02-03,a\n",
    )
    result = runner.invoke(match_eval, [str(truth), "--truth", "cluster", "-q"])
    assert result.exit_code == 0, result.output
    assert "recall             1.0000" in result.stdout


# -- reading ---------------------------------------------------------------------------------


def test_an_unclosed_quote_is_reported_and_the_rest_is_read(
    runner: CliRunner, tmp_path: Path
) -> None:
    text = (
        EXPORT.replace("S003,Sioned", 'S003,"Sioned') + "S005,Harri,Okafor,1990-12-25,M,SW1A1AA\n"
    )
    people = write(tmp_path, text)
    result = runner.invoke(dedupe, [str(people)])
    assert result.exit_code == 1
    assert "people.csv: line 4, column 2: row skipped: a quote is left open" in result.stderr
    assert "4 records" in result.stderr
    assert "1 row skipped (could not be read)" in result.stderr
    # the learner after the bad line was read and matched
    assert ("S004", "S005") in [(r["left_id"], r["right_id"]) for r in rows(result.stdout)]
    no_personal_data(result)
    truth = text.replace("Postcode", "Postcode,cluster").replace("\n", ",x\n")
    truth = truth.replace("Postcode,cluster,x", "Postcode,cluster")
    result = runner.invoke(match_eval, [str(write(tmp_path, truth, "t.csv")), "--truth", "cluster"])
    assert result.exit_code == 1
    assert "t.csv: line 4, column 2: row skipped: a quote is left open" in result.stderr


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Shoe size,Colour\n9,red\n", "no column holds a field the matcher reads"),
        (
            b"Forename;Surname;DOB\nJo;Bloggs;2001-02-03\n",
            "the columns are separated by semicolons, not commas",
        ),
        (
            b"Forename\tSurname\tDOB\nJo\tBloggs\t2001-02-03\n",
            "the columns are separated by tabs, not commas",
        ),
        ("Forename,Surname\nJo,Bloggs\n".encode("utf-16"), "the file is UTF-16"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a text file"),
        (bytes(range(256)) * 4, "not a text file"),
    ],
)
def test_a_file_with_nothing_to_score_is_refused(
    runner: CliRunner, tmp_path: Path, data: bytes, message: str
) -> None:
    people = tmp_path / "people.csv"
    people.write_bytes(data)
    for command, args in (
        (dedupe, [str(people)]),
        (link, [str(people), str(people)]),
        (match_eval, [str(people), "--truth", "Colour"]),
    ):
        result = runner.invoke(command, args)
        assert result.exit_code == 2, (command.name, result.output)
        assert message in result.stderr
        assert result.stdout == ""
        assert "Traceback" not in result.output


def test_a_file_without_a_heading_row_is_refused_without_echoing_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    people = write(tmp_path, "".join(EXPORT.splitlines(keepends=True)[1:]))
    result = runner.invoke(dedupe, [str(people)])
    assert result.exit_code == 2
    assert "the first row does not look like headings" in result.stderr
    no_personal_data(result)
    # a heading row with one data-like cell: that cell is named by its column, not echoed
    mixed = write(tmp_path, "GivenName,FamilyName,2007-04-09\nJo,Bloggs,x\n", "mixed.csv")
    result = runner.invoke(dedupe, [str(mixed)])
    assert result.exit_code == 0
    assert "ignored: (column 3)" in result.stderr
    assert "2007" not in result.stderr


# -- ids and ULNs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "heading", ["Student Ref", "Learner Ref", "MIS ID", "Student ID", "learner_id", "MISIdentifier"]
)
def test_the_usual_mis_id_headings_are_ids(runner: CliRunner, tmp_path: Path, heading: str) -> None:
    people = write(tmp_path, EXPORT.replace("Student Ref", heading))
    result = runner.invoke(dedupe, [str(people)])
    assert result.exit_code == 0, result.output
    assert f"ids from {heading}" in result.stderr
    assert [(r["left_id"], r["right_id"]) for r in rows(result.stdout)] == [("S001", "S002")]


def test_a_repeated_uln_is_evidence_of_a_duplicate_not_an_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    text = (
        "ULN,Forename,Surname,DOB\n"
        "3344556680,Jo,Bloggs,2001-02-03\n"
        "1716139898,Sam,Smith,1999-01-01\n"
        "3344556680,Joanne,Bloggs,2001-02-03\n"
        "1716139898,Priya,Patel,2004-05-06\n"
        ",Jo,Bloggs,2001-02-03\n"
    )
    people = write(tmp_path, text)
    result = runner.invoke(dedupe, [str(people)])
    assert result.exit_code == 0, result.output
    found = {(r["left_id"], r["right_id"]): r for r in rows(result.stdout)}
    # ids are line numbers: the ULN is not the id
    assert found[("2", "4")]["same_uln"] == "true"
    assert found[("2", "4")]["is_match"] == "true"
    # details disagree, the ULN agrees: written all the same, the agreement shown
    assert found[("3", "5")]["same_uln"] == "true"
    assert found[("3", "5")]["is_match"] == "false"
    # no ULN on line 6: the agreement is not known
    assert found[("2", "6")]["same_uln"] == ""
    assert "2 pairs with the same ULN (1 not a match on their details)" in result.stderr
    right = write(tmp_path, "ULN,Forename,Surname\n1716139898,Aled,Hughes\n", "right.csv")
    result = runner.invoke(link, [str(people), str(right), "-q"])
    assert result.exit_code == 0, result.output
    assert [(r["left_id"], r["right_id"], r["same_uln"]) for r in rows(result.stdout)] == [
        ("3", "2", "true"),
        ("5", "2", "true"),
    ]


# -- counts, progress and explanations ---------------------------------------------------------


def test_values_that_cannot_be_read_are_counted_per_field(
    runner: CliRunner, tmp_path: Path
) -> None:
    text = (
        "id,Forename,Surname,DOB,Sex,Postcode\n"
        "1,Jo,Bloggs,yesterday,M,CV4 9EE\n"
        "2,123,Bloggs,2001-02-03,?,ZZ99 9ZZ\n"
        "3,Jo,Bloggs,2001-02-03,U,!!!\n"
    )
    result = runner.invoke(dedupe, [str(write(tmp_path, text))])
    assert result.exit_code == 0, result.output
    assert (
        "values not read, matched as missing: date_of_birth 1, gender 1, given_name 1\n"
        in result.stderr
    )
    assert "yesterday" not in result.stderr


def test_progress_is_shown_for_each_step_only_when_asked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    quiet = _Scoring(False, 10, 10)
    quiet.to(5)
    quiet.close()
    assert capsys.readouterr().err == ""
    shown = _Scoring(True, 10, 10)
    shown.to(5)
    shown.to(10)
    shown.close()
    err = capsys.readouterr().err
    assert "Indexing 10 records" in err
    assert "Indexed in" in err
    assert "Scoring" in err


def test_explain_says_what_the_pair_is(runner: CliRunner, tmp_path: Path) -> None:
    people = write(tmp_path, EXPORT)
    apart = runner.invoke(dedupe, [str(people), "--explain", "S001", "S004"])
    assert apart.exit_code == 0, apart.output
    last = apart.stdout.splitlines()[-1]
    assert last.startswith("match weight")
    assert "not a match (below the possible threshold 0.5)" in last
    assert "match at" not in apart.stdout
    same = runner.invoke(dedupe, [str(people), "--explain", "S001", "S002"])
    assert "a match (probability at or above the match threshold 0.95)" in same.stdout
    config = MatchConfig.default()
    assert _verdict(0.6, config).startswith("a possible match, not a match")


def test_a_uln_on_many_records_is_not_taken_as_evidence(runner: CliRunner, tmp_path: Path) -> None:
    given = ["Amy", "Ben", "Cai", "Dot", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jon", "Kit", "Lea"]
    family = ["Ng", "Oak", "Pym", "Quo", "Roe", "Sky"]
    lines = [
        f"3344556680,{g},{f},{1990 + i % 7}-0{1 + i % 9}-1{i % 10}"
        for i, (g, f) in enumerate((g, f) for g in given for f in family[:2])
    ]
    people = write(tmp_path, "ULN,Forename,Surname,DOB\n" + "\n".join(lines) + "\n")
    result = runner.invoke(dedupe, [str(people)])
    assert result.exit_code == 0, result.output
    assert all(float(r["probability"]) >= 0.5 for r in rows(result.stdout))
    assert "1 ULN held by more than 20 records not taken as evidence" in result.stderr
