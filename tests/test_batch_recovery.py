"""Recovery: a batch run killed, failing or doubled still processes each learner once.

The processes killed here are real: a child process runs ``uln.batch.process`` on an
SQLite register file and is sent SIGKILL at a random point; the runs after it must end
with every learner processed exactly once and the output file of an uninterrupted run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uln.batch import BatchResult, process, read
from uln.errors import ConcurrencyError, RegisterError
from uln.learner import Demographics
from uln.register import LearnerRegister, MemoryRegister
from uln.register.allocate import UlnAllocator
from uln.testing._contract_batch import BATCH_TIME, batch_bytes, distinct_people, output_bytes

pytest.importorskip("sqlalchemy")

ON = BATCH_TIME.date()

CHILD = """
import datetime as dt, hashlib, io, sys
import uln.register
from uln.batch import process, write_output

register = uln.register.open("sqlite:///" + sys.argv[1])
when = dt.datetime(2024, 9, 2, 9, 30, tzinfo=dt.timezone.utc)
result = process(sys.argv[2], register, chunk_size=int(sys.argv[3]), now=when,
                 on=when.date(), progress=lambda done, total: print(done, flush=True))
out = io.BytesIO()
write_output(result, out)
print("output", hashlib.sha256(out.getvalue()).hexdigest(), flush=True)
"""


def _rows() -> list[Demographics]:
    people = distinct_people(50)
    born = people[5].date_of_birth
    assert born is not None
    similar = attrs.evolve(people[5], date_of_birth=born + dt.timedelta(days=95))
    return [*people, similar]  # the last is a possible match of an earlier learner


def _batch(tmp_path: Path) -> Path:
    path = tmp_path / "LRB_10012345_020920240930.CSV"
    path.write_bytes(batch_bytes(_rows(), repeat=[0, 7], insufficient=[3]))
    return path


def _child(register: Path, batch: Path, chunk: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(register), str(batch), str(chunk)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _shape(data: bytes) -> list[list[str]]:
    """The output file with each ULN replaced by the row of its first use: two runs
    issue different random ULNs, but must give them to the same learners."""
    lines = data.decode().split("\r\n")
    first: dict[str, str] = {}
    shaped = [lines[0].split(","), lines[1].split(","), lines[2].split(",")]
    for i, line in enumerate(lines[3:]):
        cells = line.split(",")
        if cells[0]:
            cells[0] = first.setdefault(cells[0], f"uln-of-row-{i}")
        shaped.append(cells)
    return shaped


def memory(seed: int = 1) -> LearnerRegister:
    return LearnerRegister(
        MemoryRegister(), clock=lambda: BATCH_TIME, allocator=UlnAllocator(random.Random(seed))
    )


def _baseline(batch: Path) -> tuple[BatchResult, bytes, int]:
    """The uninterrupted run (in memory: every backend gives the same result)."""
    with memory() as register:
        result = process(batch, register, now=BATCH_TIME, on=ON)
        return result, output_bytes(result), register.count()


def _sql(path: Path) -> LearnerRegister:
    import uln.register

    return uln.register.open(f"sqlite:///{path}")


@pytest.mark.slow
def test_a_run_killed_at_random_points_finishes_each_learner_once(tmp_path: Path) -> None:
    batch = _batch(tmp_path)
    expected, expected_output, expected_count = _baseline(batch)
    assert expected.return_codes == {"RC002": 50, "RC001": 2, "RC007": 1, "RC006": 1}
    register_path = tmp_path / "register.sqlite3"
    rng = random.Random(20240902)
    kills = 0
    for _ in range(2):
        child = _child(register_path, batch, 4)
        assert child.stdout is not None
        assert child.stderr is not None
        wanted = rng.randint(1, 5)  # chunks to wait for (14 chunks of 4 in all)
        seen = 0
        for line in child.stdout:
            if line.strip().isdigit():
                seen += 1
            if seen > wanted:
                time.sleep(rng.uniform(0, 0.05))  # into the middle of a chunk
                child.send_signal(signal.SIGKILL)
                break
        code = child.wait(timeout=60)
        child.stdout.close()
        child.stderr.close()
        kills += code == -signal.SIGKILL
    assert kills == 2, "the child finished before it could be killed"
    with _sql(register_path) as register:
        runs = [register.store.get_batch(expected.key)]
        assert runs[0] is not None
        assert runs[0].finished is None
        assert len(register.store.batch_entries(expected.key)) < expected.total
    final = _child(register_path, batch, 4)
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err
    with _sql(register_path) as register:
        result = process(batch, register, on=ON)  # the stored result
        assert register.count() == expected_count
        store = register.store
        assert len(store.batch_entries(result.key)) == result.total == expected.total
        registered = [e for e in register.audit() if e.action == "register"]
        assert len(registered) == expected_count  # nobody registered twice
        assert len(register.exceptions()) == 1
        assert [r.code for r in result.learners] == [r.code for r in expected.learners]
        output = output_bytes(result)
    assert _shape(output) == _shape(expected_output)
    assert f"output {hashlib.sha256(output).hexdigest()}" in out  # the child wrote the same


@pytest.mark.slow
def test_two_processes_given_one_file_give_one_result(tmp_path: Path) -> None:
    batch = _batch(tmp_path)
    register_path = tmp_path / "register.sqlite3"
    with _sql(register_path):
        pass  # the schema made before the race
    children = [_child(register_path, batch, 2) for _ in range(2)]
    outputs = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        outputs.append([line for line in out.splitlines() if line.startswith("output")])
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == 1
    with _sql(register_path) as register:
        assert register.count() == 50
        assert len(register.exceptions()) == 1
        assert sum(e.action == "register" for e in register.audit()) == 50


# -- failures in process --------------------------------------------------------------------


def _failing(
    register: LearnerRegister,
    method: str,
    at: Sequence[int],
    error: type[RegisterError] = RegisterError,
) -> Callable[[], None]:
    """Make the store's ``method`` raise ``error`` on its calls numbered ``at`` (from 1);
    returns what restores it."""
    store = register.store
    real = getattr(store, method)
    calls = 0

    def fail(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls in at:
            raise error("the database went away")
        return real(*args, **kwargs)

    setattr(store, method, fail)
    return lambda: delattr(store, method)


def _structure(result: BatchResult) -> list[tuple[str, int | None]]:
    first: dict[str | None, int] = {}
    return [
        (r.code, None if r.uln is None else first.setdefault(r.uln, r.index))
        for r in result.learners
    ]


DATA = batch_bytes(_rows()[40:] + _rows()[:10], repeat=[0, 3], insufficient=[2])


def _run(register: LearnerRegister, chunk: int) -> BatchResult:
    batch = read(io.BytesIO(DATA), on=ON)
    return process(batch, register, now=BATCH_TIME, chunk_size=chunk, allow_small=True)


@pytest.fixture(scope="module")
def uninterrupted() -> tuple[list[tuple[str, int | None]], int]:
    with memory() as register:
        result = _run(register, 3)
        return _structure(result), register.count()


@pytest.mark.parametrize("method", ["add", "record", "add_exception", "record_batch_entries"])
def test_a_register_raising_on_a_write_leaves_the_batch_resumable(
    method: str, uninterrupted: tuple[list[tuple[str, int | None]], int]
) -> None:
    structure, count = uninterrupted
    with memory() as register:
        restore = _failing(register, method, at=[1])
        try:
            with pytest.raises(RegisterError, match="went away"):
                _run(register, 3)
        finally:
            restore()
        result = _run(register, 3)
        assert _structure(result) == structure
        assert register.count() == count
        assert sum(e.action == "register" for e in register.audit()) == count


@settings(max_examples=20, deadline=None)
@given(
    st.lists(st.integers(1, 10), max_size=4, unique=True),
    st.lists(st.integers(1, 6), min_size=5, max_size=5),
)
def test_any_split_into_failed_runs_gives_the_same_result(
    uninterrupted: tuple[list[tuple[str, int | None]], int], failures: list[int], chunks: list[int]
) -> None:
    """Runs that fail at random learners, each with its own chunk size, then one that
    finishes: the same codes, the same learners sharing ULNs, nobody registered twice."""
    structure, count = uninterrupted
    with memory(seed=7) as register:
        for attempt, at in enumerate(sorted(failures)):
            restore = _failing(register, "add", at=[at])
            try:
                _run(register, chunks[attempt])
            except RegisterError:
                pass
            finally:
                restore()
        result = _run(register, chunks[-1])
        assert _structure(result) == structure
        assert register.count() == count
        assert sum(e.action == "register" for e in register.audit()) == count
        assert len(register.store.batch_entries(result.key)) == result.total


def test_a_chunk_the_database_made_give_way_is_tried_again(
    uninterrupted: tuple[list[tuple[str, int | None]], int],
) -> None:
    structure, count = uninterrupted
    with memory() as register:
        restore = _failing(register, "add", at=[2, 3], error=ConcurrencyError)
        try:
            result = _run(register, 3)  # the first chunk gives way twice, then goes
        finally:
            restore()
        assert _structure(result) == structure
        assert register.count() == count
    with memory() as register:
        restore = _failing(register, "add", at=[1, 2, 3], error=ConcurrencyError)
        try:
            with pytest.raises(ConcurrencyError):
                _run(register, 3)  # three times: given up, resumable
        finally:
            restore()
        assert _structure(_run(register, 3)) == structure
