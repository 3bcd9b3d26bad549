"""``uln batch run | verify | exceptions | resolve``: a batch run against a register from
the command line, end to end on the example batch and an SQLite register."""

from __future__ import annotations

import datetime as _dt
import functools
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")

from click.testing import CliRunner, Result

import uln.batch
import uln.register
from uln._cli.app import cli
from uln.batch import read, read_output, write_verify
from uln.batch.codes import RETURN_CODES
from uln.errors import RegisterError
from uln.learner import Learner

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "LRB_10012345_160920241000.CSV"
OUTPUT_NAME = "LRB_10012345_160920241000_OUTPUT.CSV"
VERIFY_EXAMPLE = ROOT / "examples" / "LRB_10012345_020920240930.CSV"
GUIDE = ROOT / "docs" / "guide" / "batch.md"


@pytest.fixture
def batch_file(tmp_path: Path) -> Path:
    copy = tmp_path / "in" / EXAMPLE.name
    copy.parent.mkdir()
    shutil.copy(EXAMPLE, copy)
    return copy


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'register.sqlite3'}"


def _invoke(*args: str, url: str | None = None, **kwargs: Any) -> Result:
    env = {"ULN_REGISTER": url} if url is not None else {}
    return CliRunner().invoke(cli, ["batch", *args], env=env, **kwargs)


def _names() -> set[str]:
    """Every given and family name of the example (none may be printed by default)."""
    names = set()
    for entry in read(EXAMPLE).learners:
        if entry.learner is not None:
            d = entry.learner.demographics
            names |= {d.given_name or "", d.family_name or ""}
    return {part for name in names for part in name.split() if len(part) > 2}


def _count(url: str) -> int:
    with uln.register.open(url) as register:
        return register.count()


def _table(output: str) -> dict[str, int]:
    return {m[1]: int(m[2]) for m in re.finditer(r"^  ([A-Z][a-z]\w+)\s+(\d+)$", output, re.M)}


def test_run_registers_the_example_and_writes_its_output_beside_it(
    batch_file: Path, url: str
) -> None:
    result = _invoke("run", str(batch_file), url=url)
    assert result.exit_code == 1, result.output  # one possible match, two bad rows
    counters = _table(result.output)
    assert counters == {
        "NewLearners": 55,
        "ExistsUpdatedLearners": 3,
        "PossibleMatchLearners": 1,
        "LearnersNotFound": 0,
        "RejectedLearners": 2,
    }
    output = batch_file.with_name(OUTPUT_NAME)
    assert f"output: {output} (written)" in result.output
    written = read_output(output)
    assert written.errors == ()
    assert dict(written.header.counters) == counters
    assert written.return_codes == Counter(
        {"RC002": 55, "RC001": 2, "RC003": 1, "RC007": 1, "RC006": 1, "RC011": 1}
    )
    assert _count(url) == 55
    assert "1 learner waits for a person" in result.output
    assert "2 learners not accepted" in result.output
    printed = set(re.findall(r"[^\W\d_]+", result.output))
    assert not printed & _names(), "a learner's name was printed"


def test_a_rerun_gives_the_stored_result_and_the_same_file(batch_file: Path, url: str) -> None:
    first = _invoke("run", str(batch_file), url=url)
    output = batch_file.with_name(OUTPUT_NAME)
    written = output.read_bytes()
    again = _invoke("run", str(batch_file), url=url)
    assert again.exit_code == first.exit_code == 1
    assert "already processed" in again.output
    assert f"output: {output} (unchanged)" in again.output
    assert output.read_bytes() == written
    assert _count(url) == 55
    assert _table(again.output) == _table(first.output)


def test_output_option_takes_a_file_or_a_folder(tmp_path: Path, batch_file: Path, url: str) -> None:
    folder = tmp_path / "outbox"
    folder.mkdir()
    into_folder = _invoke("run", str(batch_file), "--output", str(folder), url=url)
    assert (folder / OUTPUT_NAME).is_file(), into_folder.output
    named = tmp_path / "answer.csv"
    to_file = _invoke("run", str(batch_file), "--output", str(named), url=url)
    assert named.read_bytes() == (folder / OUTPUT_NAME).read_bytes(), to_file.output
    assert not batch_file.with_name(OUTPUT_NAME).exists()


def test_an_output_file_that_differs_is_replaced_only_with_force(
    batch_file: Path, url: str
) -> None:
    output = batch_file.with_name(OUTPUT_NAME)
    output.write_bytes(b"someone else's file")
    refused = _invoke("run", str(batch_file), url=url)
    assert refused.exit_code == 2
    assert "exists and differs" in refused.output
    assert "--force" in refused.output
    assert output.read_bytes() == b"someone else's file"
    assert _count(url) == 55  # processed and kept: the next run writes it
    forced = _invoke("run", str(batch_file), "--force", url=url)
    assert forced.exit_code == 1, forced.output
    assert "(replaced)" in forced.output
    assert read_output(output).errors == ()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (VERIFY_EXAMPLE.read_bytes().replace(b"2A,", b"V1,", 1), "refused"),
        (b"FileVersion,FileName\r\n2A,x\r\n", "refused"),
        (b"", "refused"),
    ],
    ids=["wrong-version", "bad-header", "empty"],
)
def test_a_file_that_is_not_a_registration_batch_is_refused_before_anything(
    tmp_path: Path, url: str, content: bytes, reason: str
) -> None:
    path = tmp_path / "LRB_10012345_020920240930.CSV"
    path.write_bytes(content)
    result = _invoke("run", str(path), url=url)
    assert result.exit_code == 2, result.output
    assert reason in result.output
    assert _count(url) == 0
    assert not list(tmp_path.glob("*_OUTPUT*"))


def test_a_verify_batch_is_refused_by_run(tmp_path: Path, url: str) -> None:
    path = _verify_file(tmp_path, [_asked("3344556680", "Huw", "Pugh")])
    result = _invoke("run", str(path), url=url)
    assert result.exit_code == 2
    assert "refused" in result.output
    assert _count(url) == 0


def test_a_batch_of_too_few_learners_is_refused(tmp_path: Path, url: str) -> None:
    lines = EXAMPLE.read_bytes().split(b"\r\n")
    path = tmp_path / EXAMPLE.name
    path.write_bytes(b"\r\n".join(lines[:20]) + b"\r\n")
    result = _invoke("run", str(path), url=url)
    assert result.exit_code == 2
    assert "50" in result.output
    assert _count(url) == 0


class _Failing:
    """Open registers whose store fails to store a learner after ``after`` of them."""

    real = staticmethod(uln.register.open)

    def __init__(self, after: int) -> None:
        self.after = after

    def __call__(self, url: str) -> Any:
        register = self.real(url)
        store = register.store
        original = store.add
        left = [self.after]

        def add(*args: Any, **kwargs: Any) -> None:
            if left[0] == 0:
                raise RegisterError("the disk is full")
            left[0] -= 1
            original(*args, **kwargs)

        store.add = add
        return register


def test_a_register_that_fails_leaves_the_batch_to_finish_by_running_again(
    batch_file: Path, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uln.batch, "process", functools.partial(uln.batch.process, chunk_size=20))
    monkeypatch.setattr(uln.register, "open", _Failing(after=30))
    failed = _invoke("run", str(batch_file), url=url)
    assert failed.exit_code == 2
    assert "the register failed (the disk is full)" in failed.output
    assert "run the same command again" in failed.output
    assert not batch_file.with_name(OUTPUT_NAME).exists()
    assert 0 < _count(url) < 55  # the first chunk (20 learners) is kept
    monkeypatch.setattr(uln.register, "open", _Failing.real)
    finished = _invoke("run", str(batch_file), url=url)
    assert finished.exit_code == 1, finished.output
    assert "resumed: 20 learners were done before" in finished.output
    assert _count(url) == 55
    assert read_output(batch_file.with_name(OUTPUT_NAME)).return_codes["RC002"] == 55


def test_ctrl_c_says_the_work_is_kept(
    batch_file: Path, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(uln.batch, "process", interrupted)
    result = _invoke("run", str(batch_file), url=url)
    assert result.exit_code == 2
    assert "run the same command again" in result.output


def test_a_register_that_cannot_be_opened_is_named_without_its_password(
    batch_file: Path,
) -> None:
    result = _invoke("run", str(batch_file), "--register", "ftp://me:secret@example.org/x")
    assert result.exit_code == 2
    assert "secret" not in result.output
    assert "cannot open the register" in result.output


# -- exceptions and resolve ---------------------------------------------------------


def _exception_lines(output: str) -> list[list[str]]:
    return [line.split() for line in output.splitlines() if re.match(r"\s+\d+  ", line)]


def test_exceptions_lists_ids_lines_and_candidates_without_names(
    batch_file: Path, url: str
) -> None:
    _invoke("run", str(batch_file), url=url)
    listed = _invoke("exceptions", url=url)
    assert listed.exit_code == 0, listed.output
    (row,) = _exception_lines(listed.output)
    assert row[:7] == ["1", EXAMPLE.name, "line", "64", "MIS", "ENR240061", "possible"]
    candidate = row[-1]
    assert re.fullmatch(r"[0-9]{10}", candidate)
    printed = set(re.findall(r"[^\W\d_]+", listed.output))
    assert not printed & _names()
    detailed = _invoke("exceptions", "--show-details", url=url)
    assert set(re.findall(r"[^\W\d_]+", detailed.output)) & _names()
    by_file = _invoke("exceptions", "--batch", str(batch_file), url=url)
    assert _exception_lines(by_file.output) == [row]
    with uln.register.open(url) as register:
        (item,) = uln.batch.exceptions(register)
        key = item.batch
    assert key is not None
    by_key = _invoke("exceptions", "--batch", key[:10], url=url)
    assert _exception_lines(by_key.output) == [row]
    other = _invoke("exceptions", "--batch", "0123456789abcdef", url=url)
    assert other.exit_code == 0
    assert "no exceptions" in other.output
    bad = _invoke("exceptions", "--batch", "LRB", url=url)
    assert bad.exit_code == 2


def test_resolving_as_new_then_rerunning_with_force_gives_the_resolved_output(
    batch_file: Path, url: str
) -> None:
    _invoke("run", str(batch_file), url=url)
    output = batch_file.with_name(OUTPUT_NAME)
    resolved = _invoke("resolve", "1", "--new", url=url)
    assert resolved.exit_code == 0, resolved.output
    assert "resolved_new: RC002" in resolved.output
    uln_issued = re.search(r"ULN ([0-9]{10})", resolved.output)
    assert uln_issued is not None
    assert _count(url) == 56
    assert _exception_lines(_invoke("exceptions", url=url).output) == []
    stale = _invoke("run", str(batch_file), url=url)
    assert stale.exit_code == 2  # the file on disk is the old answer
    rewritten = _invoke("run", str(batch_file), "--force", url=url)
    assert rewritten.exit_code == 1  # the two rejected rows remain
    assert _table(rewritten.output)["PossibleMatchLearners"] == 0
    twin = next(e for e in read_output(output).learners if e.line == 64)
    assert (twin.return_code, twin.uln) == ("RC002", uln_issued[1])
    again = _invoke("resolve", "1", "--new", url=url)
    assert again.exit_code == 2
    assert "already closed" in again.output


def test_resolving_to_an_existing_learner(batch_file: Path, url: str) -> None:
    _invoke("run", str(batch_file), url=url)
    with uln.register.open(url) as register:
        (item,) = uln.batch.exceptions(register)
    chosen = item.candidates[0]
    result = _invoke("resolve", "1", "--uln", chosen, url=url)
    assert result.exit_code == 0, result.output
    assert f"resolved_existing: RC001  ULN {chosen}" in result.output
    assert _count(url) == 55


def test_resolving_by_correcting_a_field_runs_the_learner_again(batch_file: Path, url: str) -> None:
    _invoke("run", str(batch_file), url=url)
    bad_field = _invoke("resolve", "1", "--set", "Shoe=42", url=url)
    assert bad_field.exit_code == 2
    still = _invoke("resolve", "1", "--set", "EmailAddress=twin@example.com", url=url)
    assert still.exit_code == 1, still.output  # the twin is still like the other learner
    assert "withdrawn: RC007" in still.output
    assert "waits as exception 2" in still.output
    moved = _invoke(
        "resolve",
        "2",
        "--set",
        "DateOfBirth=2001-01-01",
        "--set",
        "LastKnownPostCode=CF10 1AA",
        url=url,
    )
    assert moved.exit_code == 0, moved.output
    assert "resolved_new: RC002" in moved.output
    assert _count(url) == 56


@pytest.mark.parametrize(
    "args",
    [["1"], ["1", "--new", "--uln", "3344556680"], ["1", "--set", "novalue"]],
    ids=["none", "two", "no-equals"],
)
def test_resolve_needs_exactly_one_well_formed_choice(url: str, args: list[str]) -> None:
    result = _invoke("resolve", *args, url=url)
    assert result.exit_code == 2


def test_resolving_an_unknown_exception(url: str) -> None:
    result = _invoke("resolve", "99", "--new", url=url)
    assert result.exit_code == 2
    assert "no exception" in result.output


# -- verify -----------------------------------------------------------------------------


def _verify_file(folder: Path, learners: list[Learner]) -> Path:
    path = folder / "LRB_10012345_170920241000.CSV"
    with path.open("wb") as out:
        write_verify(learners, out, ukprn="10012345", when=_dt.datetime(2024, 9, 17, 10, 0))
    return path


def _asked(uln: str, given: str, family: str) -> Learner:
    return Learner.from_raw({"ULN": uln, "GivenName": given, "FamilyName": family}, strict=False)


def _registered(url: str, given: str, family: str, dob: str) -> str:
    with uln.register.open(url) as register:
        result = register.register_learner(
            {"GivenName": given, "FamilyName": family, "DateOfBirth": dob, "Gender": "1",
             "LastKnownPostCode": "LL57 2DG"},
            organisation="10012345",
        )  # fmt: skip
    assert result.uln is not None
    return result.uln


def test_verify_checks_ulns_and_writes_the_answers(tmp_path: Path, url: str) -> None:
    huw = _registered(url, "Huw", "Pugh", "2005-06-07")
    dai = _registered(url, "Dafydd", "Lloyd", "2004-02-01")
    path = _verify_file(tmp_path, [_asked(huw, "Huw", "Pugh")])
    matched = _invoke("verify", str(path), url=url)
    assert matched.exit_code == 0, matched.output
    assert "WSVRC001" in matched.output
    assert (tmp_path / "LRB_10012345_170920241000_OUTPUT.CSV").is_file()
    path.unlink()
    path = _verify_file(tmp_path, [_asked(huw, "Huw", "Pugh"), _asked(dai, "Gwen", "Morgan")])
    mixed = _invoke("verify", str(path), "--output", str(tmp_path / "v.csv"), url=url)
    assert mixed.exit_code == 1, mixed.output
    assert "WSVRC005" in mixed.output
    assert "Gwen" not in mixed.output
    assert _count(url) == 2


def test_verify_refuses_a_registration_batch(batch_file: Path, url: str) -> None:
    result = _invoke("verify", str(batch_file), url=url)
    assert result.exit_code == 2
    assert "refused" in result.output


# -- the real command, and the guide -----------------------------------------------------


def test_the_installed_command_prints_no_progress_bar_off_a_terminal(
    batch_file: Path, url: str
) -> None:
    uln_command = Path(sys.executable).parent / "uln"
    if not uln_command.exists():
        pytest.skip("the uln script is not installed beside this Python")
    env = {**os.environ, "ULN_REGISTER": url}
    done = subprocess.run(
        [str(uln_command), "batch", "run", str(batch_file)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""
    assert "NewLearners" in done.stdout
    assert batch_file.with_name(OUTPUT_NAME).is_file()


def test_the_guide_lists_every_return_code_with_its_counter() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    table = text.split("<!-- return codes -->", 1)[1].split("<!-- end return codes -->")[0]
    rows = [line.split("|")[1:-1] for line in table.strip().splitlines()[2:]]
    found = {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows}
    expected = {code: [c.meaning, c.counter or "", c.mark] for code, c in RETURN_CODES.items()}
    assert found == expected
