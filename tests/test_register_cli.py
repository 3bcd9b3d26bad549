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


def test_export_is_imported_by_another_register_with_the_same_learners(
    url: str, tmp_path: Path
) -> None:
    import attrs

    import uln.register

    runner = CliRunner()
    assert (
        runner.invoke(cli, ["register", "import", str(EXAMPLE), "--register", url]).exit_code == 0
    )
    with uln.register.open(url) as register:  # details a spreadsheet would run as formulas
        with register.transaction():
            learner = next(iter(register))
            changed = attrs.evolve(
                learner,
                demographics=attrs.evolve(learner.demographics, phone="+442920876543"),
                notes="=HYPERLINK(1)",
                version=learner.version + 1,
            )
            register.store.replace(
                changed, expected_version=learner.version, keys=None, identity=None
            )
        before = {learner.uln: learner for learner in register}
    exported = tmp_path / "export.csv"
    result = runner.invoke(cli, ["register", "export", "--register", url, "-o", str(exported)])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"{len(before)} learners written\n"
    text = exported.read_text(encoding="utf-8")
    assert text.startswith("ULN,Title,GivenName,")
    assert ",'+442920876543," in text  # shown as text
    assert ",'=HYPERLINK(1)," in text
    other = f"sqlite:///{tmp_path}/other.sqlite3"
    loaded = runner.invoke(cli, ["register", "import", str(exported), "--register", other])
    assert loaded.exit_code == 0, loaded.output
    with uln.register.open(other) as register:
        after = {learner.uln: learner for learner in register}
    assert sorted(after) == sorted(before)
    for uln_, learner in before.items():
        assert after[uln_].demographics == learner.demographics
        assert (after[uln_].mis_identifier, after[uln_].notes, after[uln_].created) == (
            learner.mis_identifier,
            learner.notes,
            learner.created,
        )
    again = runner.invoke(cli, ["register", "export", "--register", url, "-o", str(exported)])
    assert again.exit_code == 2
    assert "export.csv: the file exists (use --force to replace it)" in again.stderr
    to_stdout = runner.invoke(cli, ["register", "export", "--register", other])
    assert to_stdout.stdout.replace("\r\n", "\n") == text.replace("\r\n", "\n")


def test_export_leaves_out_linked_records(url: str) -> None:
    import uln.register

    runner = CliRunner()
    assert (
        runner.invoke(cli, ["register", "import", str(EXAMPLE), "--register", url]).exit_code == 0
    )
    with uln.register.open(url) as register:
        master, linked = [learner.uln for learner in register][:2]
        register.link(master, linked, organisation="10012345")
        count = register.count()
    result = runner.invoke(cli, ["register", "export", "--register", url])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"{count - 1} learners written; 1 linked records left out (their masters are written)\n"
    )
    ulns = [line.split(",")[0] for line in result.stdout.splitlines()[1:]]
    assert master in ulns
    assert linked not in ulns
