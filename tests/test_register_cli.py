"""The register commands end to end: import the example file into an SQLite register,
then find (with a typo), verify and show its learners."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from click.testing import CliRunner

from uln import checkdigit
from uln._cli.app import cli

EXAMPLE = Path(__file__).parent.parent / "examples" / "register_learners.csv"


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/register.sqlite3"


def _rows() -> list[dict[str, str]]:
    with EXAMPLE.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_import_the_example_then_find_a_learner_with_a_typo(url: str) -> None:
    runner = CliRunner()
    rows = _rows()
    init = runner.invoke(cli, ["register", "init", url])
    assert init.exit_code == 0, init.output
    assert "0 learners" in init.output
    loaded = runner.invoke(cli, ["register", "import", str(EXAMPLE), "--register", url])
    assert loaded.exit_code == 0, loaded.output
    assert f"{len(rows):>8}  learners in the register" in loaded.output
    megan = next(row for row in rows if row["GivenName"] == "Megan")
    found = runner.invoke(
        cli,
        [
            "find",
            "--given",
            "Meghan",  # a typo
            "--family",
            megan["FamilyName"],
            "--dob",
            megan["DateOfBirth"],
            "--gender",
            megan["Gender"],
            "--postcode",
            megan["LastKnownPostCode"].replace(" ", "").lower(),
            "--register",
            url,
        ],
    )
    assert found.exit_code == 0, found.output
    first, second = found.output.splitlines()[:2]
    assert first.startswith("WSRC0004")
    uln = second.split()[0]
    assert checkdigit.is_valid(uln)
    # supplied ULNs are kept
    huw = rows[0]
    assert huw["ULN"]
    shown = runner.invoke(cli, ["register", "show", huw["ULN"]], env={"ULN_REGISTER": url})
    assert shown.exit_code == 0, shown.output
    assert f"GivenName: {huw['GivenName']}" in shown.output
    assert "load" in shown.output
    verified = runner.invoke(
        cli,
        ["verify", huw["ULN"], "--given", huw["FamilyName"], "--family", huw["GivenName"]],
        env={"ULN_REGISTER": url},
    )
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith("WSVRC003")
    again = runner.invoke(cli, ["register", "import", str(EXAMPLE), "--register", url])
    assert again.exit_code == 1  # every supplied ULN is already stored
    assert "already registered" in again.output


def test_rows_that_fail_are_reported_by_line_and_field(url: str, tmp_path: Path) -> None:
    path = tmp_path / "some.csv"
    path.write_text(
        "GivenName,FamilyName,DateOfBirth,Gender,LastKnownPostCode,ULN\n"
        "Dai,Jones,2005-03-04,1,CF10 1AA,\n"
        "Sioned,Evans,2006-11-30,2,nowhere,\n"
        "Huw,Pugh,2004-02-01,1,LL57 2DG,1234567890\n"
        "Nia,O'Brien,2007-01-02,2,SA1 1AA,3344556680\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["register", "import", str(path), "--register", url])
    assert result.exit_code == 1
    assert "line 3: LastKnownPostCode:" in result.stderr
    assert "line 4: ULN:" in result.stderr
    assert "nowhere" not in result.stderr
    assert "       2  learners in the register" in result.stdout
    assert "       2  rows rejected" in result.stdout


def test_find_reports_no_match_and_bad_input(url: str) -> None:
    runner = CliRunner()
    args = ["--given", "Dai", "--family", "Jones", "--gender", "1", "--postcode", "CF10 1AA"]
    none = runner.invoke(cli, ["find", *args, "--dob", "2005-03-04", "--register", url])
    assert none.exit_code == 1
    assert none.output.startswith("WSRC0001")
    bad = runner.invoke(cli, ["find", *args, "--dob", "31/02/2005", "--register", url])
    assert bad.exit_code == 1
    assert "DateOfBirth" in bad.output
    unknown = runner.invoke(cli, ["register", "show", "3344556680", "--register", url])
    assert unknown.exit_code == 1
    assert "no learner" in unknown.output
    scheme = runner.invoke(cli, ["register", "init", "ftp://user:secret@host/x"])
    assert scheme.exit_code == 1
    assert "secret" not in scheme.output
