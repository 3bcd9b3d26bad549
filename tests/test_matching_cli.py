"""`uln dedupe | link | match-eval`, and the example file they are shown on."""

from __future__ import annotations

import csv
import importlib.util
import io
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner, Result

from uln._cli.app import cli
from uln._cli.matching import (
    OUTPUT_COLUMNS,
    _Bar,
    _neutralise,
    dedupe,
    link,
    match_eval,
    match_fit,
)
from uln.matching import MatchConfig

EXAMPLES = Path(__file__).parent.parent / "examples"

PEOPLE = """\
id,GivenName,FamilyName,DateOfBirth,Gender,LastKnownPostCode,EmailAddress,cluster
A1,Dafydd,Jones,2007-04-09,1,CF10 1AA,,x
A2,David,Jones,09/04/2007,M,cf101aa,,x
A3,Sioned,Evans,2006-12-01,2,LL57 2DG,sioned@example.com,y
A4,Sioned,Evans,2006-01-12,2,LL57 2DG,,y
A5,Harri,Okafor,1990-12-25,1,SW1A 1AA,,z
"""
NAMES = ("Dafydd", "David", "Jones", "Sioned", "Evans", "Harri", "Okafor", "CF10", "LL57")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write(tmp_path: Path, text: str, name: str = "people.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def pairs(text: str) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows == [] or tuple(rows[0]) == OUTPUT_COLUMNS
    return rows


def no_personal_data(result: Result) -> None:
    for text in (result.stdout, result.stderr):
        for value in NAMES:
            assert value not in text, value


# -- dedupe ----------------------------------------------------------------------------------


def test_dedupe_writes_scored_pairs_and_a_summary(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(dedupe, [str(write(tmp_path, PEOPLE))])
    assert result.exit_code == 0, result.output
    found = {(row["left_id"], row["right_id"]): row for row in pairs(result.stdout)}
    assert set(found) == {("A1", "A2"), ("A3", "A4")}
    assert found["A1", "A2"]["is_match"] == "true"
    assert float(found["A1", "A2"]["probability"]) > 0.95
    summary = result.stderr
    assert "people.csv: 5 records; ids from id;" in summary
    assert "given_name (GivenName)" in summary
    assert "email (EmailAddress)" in summary
    assert "ignored: cluster" in summary
    assert "2 pairs written; 2 matches at probability >= 0.95; 2 clusters of 4 records" in summary
    no_personal_data(result)


def test_quiet_output_file_and_all_pairs(runner: CliRunner, tmp_path: Path) -> None:
    people = write(tmp_path, PEOPLE)
    out = tmp_path / "pairs.csv"
    result = runner.invoke(dedupe, [str(people), "-q", "-o", str(out)])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == ""
    assert len(pairs(out.read_text(encoding="utf-8"))) == 2
    more = write(tmp_path, PEOPLE + "A6,Dylan,Price,1995-03-03,1,CF10 1AA,,w\n", "more.csv")
    assert len(pairs(runner.invoke(dedupe, [str(more), "-q"]).stdout)) == 2
    every = pairs(runner.invoke(dedupe, [str(more), "-q", "--all-pairs"]).stdout)
    assert len(every) > 2
    assert any(row["is_match"] == "false" and row["match_weight"].startswith("-") for row in every)


def test_threshold_and_config(runner: CliRunner, tmp_path: Path) -> None:
    people = write(tmp_path, PEOPLE)
    strict = runner.invoke(dedupe, [str(people), "-q", "--threshold", "1"])
    assert strict.exit_code == 0
    assert {row["is_match"] for row in pairs(strict.stdout)} == {"false"}
    config = tmp_path / "strict.toml"
    MatchConfig.default().evolve(match_threshold=1.0).save(config)
    from_file = runner.invoke(dedupe, [str(people), "-q", "--config", str(config)])
    assert from_file.stdout == strict.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text("match_threshold = 2\n", encoding="utf-8")
    result = runner.invoke(dedupe, [str(people), "--config", str(bad)])
    assert result.exit_code == 2
    assert "match_threshold: must be a number between 0 and 1" in result.stderr


def test_columns_by_export_names_and_map(runner: CliRunner, tmp_path: Path) -> None:
    text = (
        "ULN,Forename,Surname,DOB,Sex,Post code\n"
        "3344556680,Jo,Bloggs,2001-02-03,F,CV4 9EE\n"
        "1234567897,Joanne,Bloggs,2001-02-03,F,CV4 9EE\n"
    )
    result = runner.invoke(dedupe, [str(write(tmp_path, text))])
    assert result.exit_code == 0, result.output
    assert "ids are line numbers" in result.stderr
    assert "ULNs from ULN" in result.stderr
    assert "given_name (Forename), family_name (Surname), date_of_birth (DOB)" in result.stderr
    assert "postcode (Post code)" in result.stderr
    # 1234567897 is not a valid ULN: counted as not read, never shown
    assert "values not read, matched as missing: uln 1" in result.stderr
    assert "1234567897" not in result.stderr
    assert [(r["left_id"], r["right_id"], r["same_uln"]) for r in pairs(result.stdout)] == [
        ("2", "3", "")
    ]
    renamed = write(tmp_path, text.replace("Forename", "Prénom"), "renamed.csv")
    result = runner.invoke(dedupe, [str(renamed), "--map", "GivenName=prénom"])
    assert "given_name (Prénom)" in result.stderr
    assert len(pairs(result.stdout)) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "shoe_size=Forename"], "use FIELD=COLUMN with FIELD one of given_name"),
        (["--map", "given_name"], "use FIELD=COLUMN"),
        (["--map", "given_name=Nickname"], "--map given_name=Nickname: there is no such column"),
        (["--id-column", "Ref"], "--id-column Ref: there is no such column"),
    ],
)
def test_bad_options(runner: CliRunner, tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(dedupe, [str(write(tmp_path, "Forename,Surname\nJo,Bloggs\n")), *args])
    assert result.exit_code in (1, 2)
    assert message in result.stderr


def test_ids(runner: CliRunner, tmp_path: Path) -> None:
    no_ids = "GivenName,FamilyName,DateOfBirth\nJo,Bloggs,2001-02-03\n\nJo,Bloggs,2001-02-03\n"
    result = runner.invoke(dedupe, [str(write(tmp_path, no_ids))])
    assert "ids are line numbers" in result.stderr
    assert [(r["left_id"], r["right_id"]) for r in pairs(result.stdout)] == [("2", "4")]
    chosen = "Ref,unique_id,GivenName\nr1,u1,Jo\nr2,u2,Jo\n"
    result = runner.invoke(dedupe, [str(write(tmp_path, chosen)), "--id-column", "ref"])
    assert "ids from Ref" in result.stderr
    assert "ignored: unique_id" in result.stderr
    result = runner.invoke(dedupe, [str(write(tmp_path, chosen))])
    assert "ids from unique_id" in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "people.csv: the file is empty"),
        (
            "id,GivenName\n7,Secret\n7,Hidden\n",
            "people.csv: line 3: the id is already used on line 2",
        ),
        ("id,GivenName\n7,Secret\n,Hidden\n", "people.csv: line 3: the id column 'id' is empty"),
        ("id,GivenName,id\n", "people.csv: line 1: the heading 'id' is used twice"),
    ],
)
def test_bad_files(runner: CliRunner, tmp_path: Path, text: str, message: str) -> None:
    result = runner.invoke(dedupe, [str(write(tmp_path, text))])
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Secret" not in result.output
    assert "Hidden" not in result.output


def test_windows_1252_files_are_read(runner: CliRunner, tmp_path: Path) -> None:
    text = "GivenName,FamilyName,DateOfBirth\nSiân,Bloggs,2001-02-03\nSian,Bloggs,2001-02-03\n"
    result = runner.invoke(dedupe, [str(write(tmp_path, text, encoding="cp1252")), "-q"])
    assert result.exit_code == 0
    assert pairs(result.stdout)[0]["is_match"] == "true"


def test_cells_that_a_spreadsheet_would_run_are_neutralised(
    runner: CliRunner, tmp_path: Path
) -> None:
    text = (
        "id,GivenName,FamilyName,DateOfBirth\n"
        "=1+2,Jo,Bloggs,2001-02-03\n"
        '"@SUM(A1)",Jo,Bloggs,2001-02-03\n'
    )
    result = runner.invoke(dedupe, [str(write(tmp_path, text)), "-q"])
    (row,) = pairs(result.stdout)
    assert (row["left_id"], row["right_id"]) == ("'=1+2", "'@SUM(A1)")
    assert [_neutralise(c) for c in ("-1.5", "+44", "-", "\tx", "x=1")] == [
        "-1.5",
        "'+44",
        "'-",
        "'\tx",
        "x=1",
    ]


def test_explain_one_pair(runner: CliRunner, tmp_path: Path) -> None:
    people = write(tmp_path, PEOPLE)
    result = runner.invoke(dedupe, [str(people), "--explain", "A1", "A2"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "A1 and A2"
    assert lines[1].split() == ["field", "level", "weight"]
    assert any(line.split()[:2] == ["given_name", "alias"] for line in lines)
    assert lines[-1].startswith("match weight")
    no_personal_data(result)
    missing = runner.invoke(dedupe, [str(people), "--explain", "A1", "B\x1b[2J"])
    assert missing.exit_code == 2
    assert "people.csv has no record with the id 'B?[2J'" in missing.stderr


# -- link ------------------------------------------------------------------------------------


def test_link_two_files(runner: CliRunner, tmp_path: Path) -> None:
    left = write(tmp_path, PEOPLE, "left.csv")
    right = write(
        tmp_path,
        "MISIdentifier,given_name,family_name,date_of_birth,postcode\n"
        "M9,Dai,Jones,2007-04-09,CF10 1AB\n"
        "M8,Zebedee,Quist,1999-09-09,TR1 1AA\n",
        "right.csv",
    )
    result = runner.invoke(link, [str(left), str(right)])
    assert result.exit_code == 0, result.output
    assert [(r["left_id"], r["right_id"], r["is_match"]) for r in pairs(result.stdout)] == [
        ("A1", "M9", "true"),
        ("A2", "M9", "true"),
    ]
    assert "left.csv: 5 records" in result.stderr
    assert "right.csv: 2 records; ids from MISIdentifier" in result.stderr
    explained = runner.invoke(link, [str(left), str(right), "--explain", "A2", "M9"])
    assert explained.stdout.startswith("A2 and M9\n")
    wrong_side = runner.invoke(link, [str(left), str(right), "--explain", "M9", "A2"])
    assert "left.csv has no record with the id 'M9'" in wrong_side.stderr


# -- match-eval ------------------------------------------------------------------------------


def test_match_eval(runner: CliRunner, tmp_path: Path) -> None:
    people = write(tmp_path, PEOPLE)
    result = runner.invoke(match_eval, [str(people), "--truth", "cluster"])
    assert result.exit_code == 0, result.output
    lines = dict(line.rsplit(None, 1) for line in result.stdout.splitlines()[2:])
    assert lines == {
        "precision": "1.0000",
        "recall": "1.0000",
        "F1": "1.0000",
        "pair completeness": "1.0000",
    }
    assert result.stdout.startswith("people.csv: 5 records, 3 true clusters, 2 true pairs, ")
    assert "2 predicted pairs, 2 true, 0 false, 0 missed" in result.stdout
    strict = runner.invoke(match_eval, [str(people), "--truth", "cluster", "--threshold", "1"])
    assert "recall             0.0000" in strict.stdout
    assert "precision          1.0000" in strict.stdout
    no_personal_data(result)
    missing = runner.invoke(match_eval, [str(people), "--truth", "family"])
    assert missing.exit_code == 1
    assert "--truth family: there is no such column" in missing.stderr
    blank = write(tmp_path, "id,GivenName,cluster\n1,Jo,a\n2,Jo,\n", "blank.csv")
    result = runner.invoke(match_eval, [str(blank), "--truth", "cluster"])
    assert "blank.csv: line 3: the truth column 'cluster' is empty" in result.stderr


# -- match-fit -------------------------------------------------------------------------------


def test_match_fit_writes_a_configuration_dedupe_reads(runner: CliRunner, tmp_path: Path) -> None:
    example = EXAMPLES / "learners_dedupe.csv"
    fitted = tmp_path / "match.toml"
    result = runner.invoke(match_fit, [str(example), "-o", str(fitted)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    config = MatchConfig.load(fitted)
    default = MatchConfig.default()
    assert config.prior != default.prior
    assert config.comparisons["family_name"] != default.comparisons["family_name"]
    assert (config.match_threshold, config.possible_threshold) == (0.95, 0.5)  # kept
    assert config.comparisons["family_name"].level_names == (
        default.comparisons["family_name"].level_names
    )
    assert "learners_dedupe.csv: 405 records; ids from id;" in result.stderr
    assert f"prior  1.00e-04 -> {config.prior:.2e}" in result.stderr
    weight = config.comparisons["postcode"].weights["unit"]
    assert f"postcode: unit +10.1 -> {weight:+.1f}," in result.stderr
    rows = example.read_text(encoding="utf-8").splitlines()[1:]
    for row in rows[:50]:  # no learner's details in the summary
        for cell in row.split(",")[1:6]:
            if len(cell) > 3:
                assert cell not in result.stderr
    again = runner.invoke(match_fit, [str(example), "-q"])  # the same seed: the same fit
    assert again.exit_code == 0
    assert again.stdout == fitted.read_text(encoding="utf-8")
    assert again.stderr == ""
    scored = runner.invoke(dedupe, [str(example), "-q", "--config", str(fitted)])
    assert scored.exit_code == 0, scored.output
    assert len(pairs(scored.stdout)) > 100


def test_match_fit_json_two_files_and_refusals(runner: CliRunner, tmp_path: Path) -> None:
    example = EXAMPLES / "learners_dedupe.csv"
    lines = example.read_text(encoding="utf-8").splitlines(keepends=True)
    left = write(tmp_path, "".join(lines[:200]), "left.csv")
    right = write(tmp_path, lines[0] + "".join(lines[200:]), "right.csv")
    fitted = tmp_path / "match.json"
    result = runner.invoke(match_fit, [str(left), str(right), "-o", str(fitted), "-q"])
    assert result.exit_code == 0, result.output
    assert MatchConfig.load(fitted).prior != MatchConfig.default().prior
    exists = runner.invoke(match_fit, [str(left), "-o", str(fitted)])
    assert exists.exit_code == 2
    assert "match.json: the file exists (use --force to replace it)" in exists.stderr
    assert runner.invoke(match_fit, [str(left), "-o", str(fitted), "--force", "-q"]).exit_code == 0
    itself = runner.invoke(match_fit, [str(left), "-o", str(left)])
    assert itself.exit_code == 2
    assert "left.csv: is an input file; write to another file" in itself.stderr
    assert left.read_text(encoding="utf-8") == "".join(lines[:200])


def test_match_fit_on_too_little_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    one = write(tmp_path, "id,GivenName,FamilyName,DateOfBirth\n1,Dafydd,Jones,2007-04-09\n")
    fitted = tmp_path / "match.toml"
    result = runner.invoke(match_fit, [str(one), "-o", str(fitted)])
    assert result.exit_code == 1
    assert "not fitted: " in result.stderr
    assert not fitted.exists()
    no_personal_data(result)


# -- the group, the progress bar and the example -----------------------------------------------


def test_the_uln_group_lists_the_commands(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--help"])
    for name in ("dedupe", "link", "match-eval", "match-fit"):
        assert f"  {name} " in result.stdout


def test_progress_bar(capsys: pytest.CaptureFixture[str]) -> None:
    hidden = _Bar(False, "Counting", 3)
    hidden.to(3)
    hidden.close()
    assert capsys.readouterr().err == ""
    shown = _Bar(True, "Counting", 3)
    shown.to(2)
    shown.close()
    assert "Counting" in capsys.readouterr().err


def _example_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_dedupe_example", EXAMPLES / "make_dedupe_example.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_example_file_is_what_the_script_makes(tmp_path: Path) -> None:
    module: Any = _example_module()
    module.main(tmp_path)
    made = (tmp_path / "learners_dedupe.csv").read_bytes()
    assert made == (EXAMPLES / "learners_dedupe.csv").read_bytes()


def test_the_readme_command_on_the_example(runner: CliRunner) -> None:
    example = str(EXAMPLES / "learners_dedupe.csv")
    result = runner.invoke(cli, ["dedupe", example])
    assert result.exit_code == 0, result.output
    assert "learners_dedupe.csv: 405 records; ids from id;" in result.stderr
    assert "ignored: cluster, perturbation" in result.stderr
    assert len(pairs(result.stdout)) > 100
    evaluation = runner.invoke(cli, ["match-eval", example, "--truth", "cluster"])
    scores = dict(line.rsplit(None, 1) for line in evaluation.stdout.splitlines()[2:])
    assert float(scores["precision"]) >= 0.98
    assert float(scores["recall"]) >= 0.95
