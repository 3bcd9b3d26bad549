"""A reader that stops early (``uln dedupe FILE | head``): no traceback, status 141.

Each command runs in a child process whose standard output is a pipe; the test closes
the reading end (before the command writes, or after reading its first line, as ``head``
does) and checks that the command stopped quietly with the broken-pipe status.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from uln.cli import BROKEN_PIPE_STATUS

EXAMPLES = Path(__file__).parent.parent / "examples"
RUN = "import sys; from uln.cli import main; main(sys.argv[1:])"


def closed_pipe(args: list[str], stdin: bytes = b"") -> tuple[int, str]:
    """Run ``uln args`` with standard output a pipe nobody reads; status and stderr."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-c", RUN, *args],
            input=stdin,
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    return done.returncode, done.stderr.decode("utf-8", "replace")


def head(args: list[str], lines: int = 1) -> tuple[int, list[bytes], str]:
    """Run ``uln args | head -n lines``: read ``lines`` lines, then close the pipe."""
    child = subprocess.Popen(
        [sys.executable, "-c", RUN, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    assert child.stderr is not None
    first = [child.stdout.readline() for _ in range(lines)]
    child.stdout.close()
    stderr = child.stderr.read().decode("utf-8", "replace")
    child.stderr.close()
    return child.wait(timeout=120), first, stderr


def quiet(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert "Exception ignored" not in stderr
    assert "BrokenPipe" not in stderr
    assert "Broken pipe" not in stderr


def many_ulns(n: int) -> bytes:
    from uln import checkdigit

    return "".join(checkdigit.generate() + "\n" for _ in range(n)).encode()


def test_generate_into_head_stops_quietly() -> None:
    status, first, stderr = head(["generate", "-n", "300000"])
    assert len(first[0].strip()) == 10
    assert status == BROKEN_PIPE_STATUS
    quiet(stderr)


def test_dedupe_into_head_stops_quietly(tmp_path: Path) -> None:
    # Many pairs, so that the output is still being written when the reader goes.
    rows = ["id,GivenName,FamilyName,DateOfBirth,Gender,LastKnownPostCode"]
    rows += [f"R{i},Sioned,Evans,2006-12-01,2,LL57 2DG" for i in range(400)]
    people = tmp_path / "people.csv"
    people.write_text("\n".join(rows) + "\n", encoding="utf-8")
    status, first, stderr = head(["dedupe", str(people), "-q"], lines=2)
    assert first[0].startswith(b"left_id,right_id")
    assert first[1].startswith(b"R")
    assert status == BROKEN_PIPE_STATUS
    quiet(stderr)


@pytest.mark.parametrize(
    "args",
    [
        ["dedupe", str(EXAMPLES / "learners_dedupe.csv"), "-q"],
        ["link", str(EXAMPLES / "learners_dedupe.csv"), str(EXAMPLES / "learners_dedupe.csv")],
        ["generate", "-n", "5"],
        ["batch", "show", str(EXAMPLES / "LRB_10012345_020920240930_OUTPUT.CSV")],
        ["batch", "check", str(EXAMPLES / "LRB_10012345_020920240945.CSV")],
        ["--help"],
    ],
    ids=["dedupe", "link", "generate", "batch-show", "batch-check", "help"],
)
def test_a_closed_output_ends_every_streaming_command_quietly(args: list[str]) -> None:
    status, stderr = closed_pipe(args)
    assert status == BROKEN_PIPE_STATUS, stderr
    quiet(stderr)


def test_validate_into_a_closed_pipe_is_not_mistaken_for_an_invalid_value() -> None:
    # 1 would mean "some value was invalid": every value here is valid.
    status, stderr = closed_pipe(["validate", "-"], stdin=many_ulns(2000))
    assert status == BROKEN_PIPE_STATUS
    quiet(stderr)


def test_register_commands_into_a_closed_pipe(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    learners = EXAMPLES / "register_learners.csv"
    status, stderr = closed_pipe(["register", "import", str(learners), "--register", url])
    assert status == BROKEN_PIPE_STATUS, stderr
    quiet(stderr)
    # The import itself completed before its summary met the closed pipe.
    done = subprocess.run(
        [sys.executable, "-c", RUN, "register", "init", url],
        capture_output=True,
        check=True,
        timeout=120,
    )
    assert not done.stdout.decode().endswith(": 0 learners\n")


def test_an_open_pipe_is_unaffected(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", RUN, "generate", "-n", "3", "--seed", "1"],
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0
    assert len(done.stdout.splitlines()) == 3
    assert done.stderr == b""
