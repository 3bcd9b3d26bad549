"""Batch speed: a 5,000-learner registration batch run against a register already in use.

Usage::

    python benchmarks/batch.py                  # SQLite 100,000, memory 1,000,000
    python benchmarks/batch.py --scale 0.05     # the same, 20 times smaller
    python benchmarks/batch.py --postgres postgresql+psycopg://postgres@127.0.0.1/x

The register is filled first (outside the timing) with made-up learners; the batch
holds 40 % new learners, 40 % learners of the register with a typo or transposed
letters in a name (the matcher must find them) and 20 % learners whose ULN is
supplied (checked against their details). Each figure is the whole run: reading the
file, :func:`uln.batch.process` (a find or a registration per learner, the progress
recorded) and writing the output file. Its reference, measured on the same register
just before, is the bare service operations for the same learners with no batch
around them (``find_by_demographics`` for each learner without a ULN,
``verify_learner`` for the others): the ratio is the cost of a batch over the finds
it cannot avoid. A second run of the same file (which returns the stored result) is
timed too. On a database, the reference and each run start in a new process, as
``uln batch run`` does, so none finds caches warmed by the fill or by the one before;
in memory they run in this process after the fill (the register is the process).

Targets (issue 12): SQLite with 100,000 learners <= 10 s; PostgreSQL <= 15 s; memory
with 1,000,000 learners <= 5 s. PostgreSQL figures need ``--postgres URL`` (or
``ULN_BENCH_POSTGRES_URL``); its database is emptied first.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import io
import multiprocessing
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import uln.batch
import uln.register
from register import _empty, _items, people  # the register benchmark's learners
from uln import Demographics, Learner
from uln.batch import read, write_request
from uln.register.memory import MemoryRegister
from uln.register.service import LearnerRegister
from uln.register.sql import SqlRegister
from uln.testing.perturb import NotApplicable, perturb

UKPRN = "10012345"
WHEN = _dt.datetime(2024, 9, 2, 9, 30)


def chosen(register_size: int, size: int, seed: int = 12) -> set[int]:
    """The positions of the register's learners the batch holds again (60 % of it)."""
    return set(random.Random(seed).sample(range(register_size), size * 3 // 5))


def batch_learners(
    stored: list[tuple[str, Demographics]], size: int, seed: int = 12
) -> list[Learner]:
    """``size`` learners: 40 % new, 40 % of ``stored`` with a typo, 20 % with their ULN."""
    rng = random.Random(seed)
    stored = list(stored)
    rng.shuffle(stored)
    typo_count = size * 2 // 5
    out: list[Learner] = []
    for number, d in stored[:typo_count]:
        changed = d
        for kind in ("typo", "transposition"):
            try:
                changed = perturb(d, kind, rng)
                break
            except NotApplicable:
                continue
        out.append(Learner(demographics=changed, mis_identifier=f"T{number}"))
    for number, d in stored[typo_count:]:
        out.append(Learner(uln=number, demographics=d, mis_identifier=f"U{number}"))
    fresh = people(size - len(out), seed=1000 + seed)
    out += [Learner(demographics=d, mis_identifier=f"N{number}") for number, d in fresh]
    rng.shuffle(out)
    return out


def write_batch(learners: list[Learner], folder: Path) -> Path:
    (path,) = write_request(learners, folder, ukprn=UKPRN, when=WHEN, allow_small=True)
    return path


def fill(
    register: LearnerRegister, n: int, wanted: set[int]
) -> tuple[float, list[tuple[str, Demographics]]]:
    """Store ``n`` learners through the backend's bulk path; the seconds taken and the
    learners at the ``wanted`` positions."""
    kept: list[tuple[str, Demographics]] = []
    store = register.store
    # The SQL bulk path reserves the ULNs it stores; the memory one does not (yet), and
    # the register could then issue a stored ULN again: reserve them here.
    reserve = isinstance(store, MemoryRegister)

    def items() -> Iterator[tuple[Learner, list[str], str]]:
        for i, item in enumerate(_items(n)):
            learner = item[0]
            assert learner.uln is not None
            if reserve:
                store.reserve_uln(learner.uln)
            if i in wanted:
                kept.append((learner.uln, learner.demographics))
            yield item

    start = time.perf_counter()
    register.store.add_many(items(), batch_size=10_000)
    took = time.perf_counter() - start
    if isinstance(store, SqlRegister) and store.engine.dialect.name == "postgresql":
        # as after any bulk load (and as benchmarks/register.py does): without fresh
        # statistics PostgreSQL plans a find at about 100 ms instead of a few ms
        with store.engine.connect() as connection:
            connection.execute(sa.text("ANALYZE"))
            connection.commit()
    return took, kept


def bare_operations(register: LearnerRegister, learners: list[Learner]) -> float:
    """The reference: the finds and verifications alone, seconds (in memory the best of
    two, so the normalisers' caches are as warm as for the batch; on a database one
    pass, whose time the database dominates)."""
    passes = 2 if isinstance(register.store, MemoryRegister) else 1
    return min(_bare(register, learners) for _ in range(passes))


def _bare(register: LearnerRegister, learners: list[Learner]) -> float:
    start = time.perf_counter()
    for learner in learners:
        d = learner.demographics
        if learner.uln is not None:
            register.verify_learner(
                learner.uln, d.given_name or "", d.family_name or "", d.date_of_birth, d.gender
            )
        else:
            register.find_by_demographics(d)
    return time.perf_counter() - start


def run_batch(path: Path, register: LearnerRegister) -> tuple[float, Any]:
    """Read, process and write the output of ``path``; seconds and the result."""
    start = time.perf_counter()
    batch = read(path)
    result = uln.batch.process(batch, register, organisation=UKPRN)
    out = io.BytesIO()
    uln.batch.write_output(result, out)
    return time.perf_counter() - start, result


def _line(figure: str, target: str, ratio: str) -> None:
    print(f"  {figure}\n      target {target}; {ratio}")


def _in_child(url: str, learners: list[Learner] | None, path: Path | None) -> Any:
    """In a new process: the reference (``learners``) or a run of ``path``, on the
    register at ``url``; seconds and, for a run, its counters."""
    with uln.register.open(url) as register:
        if learners is not None:
            return bare_operations(register, learners), None
        assert path is not None
        took, result = run_batch(path, register)
        return took, dict(result.counters)


def _fresh(url: str, learners: list[Learner] | None, path: Path | None) -> Any:
    """:func:`_in_child` in a process of its own, as ``uln batch run`` would be: no
    cache warmed by the fill or by the run before (a register on a database only)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_in_child, (url, learners, path))


def bench(
    label: str,
    register: LearnerRegister,
    n: int,
    size: int,
    target: str,
    folder: Path,
    url: str | None,
) -> None:
    took_fill, stored = fill(register, n, chosen(n, size))
    learners = batch_learners(stored, size)
    path = write_batch(learners, folder)
    gc.collect()
    if url is None:  # in memory: here, after the fill
        reference = bare_operations(register, learners)
        took, result = run_batch(path, register)
        again, _ = run_batch(path, register)
        counts = dict(result.counters)
    else:
        register.close()
        reference, _ = _fresh(url, learners, None)
        took, counts = _fresh(url, None, path)
        again, _ = _fresh(url, None, path)
    counters = ", ".join(f"{k} {v}" for k, v in counts.items())
    _line(
        f"{label}: {size:,} learners against {n:,}: {took:.2f} s ({size / took:,.0f} learners/s)",
        target,
        f"x{took / reference:.2f} the bare finds and verifications ({reference:.2f} s)",
    )
    print(f"      a rerun (the stored result): {again:.2f} s; {counters}")
    print(f"      (the register was filled in {took_fill:.0f} s)")


def _load() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load unknown"
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} CPUs"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="shrink everything (0.05 ...)")
    parser.add_argument("--postgres", default=os.environ.get("ULN_BENCH_POSTGRES_URL"))
    parser.add_argument(
        "--only", choices=("sqlite", "postgres", "memory"), action="append", help="run only these"
    )
    args = parser.parse_args(argv)
    scale = args.scale
    size = max(50, round(5_000 * scale))
    sql_n = max(size, round(100_000 * scale))
    memory_n = max(size, round(1_000_000 * scale))
    only = set(args.only or ("sqlite", "postgres", "memory"))
    print(f"batch benchmark, scale {scale}: a batch of {size:,} learners ({_load()})")
    runs: list[tuple[str, str, int, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "sqlite" in only:
            url = f"sqlite:///{folder / 'bench.sqlite3'}"
            runs.append(("SQLite", url, sql_n, "100,000: <= 10 s"))
        if "postgres" in only:
            if args.postgres:
                postgres: str = args.postgres
                _empty(postgres)
                runs.append(("PostgreSQL", postgres, sql_n, "100,000: <= 15 s"))
            else:
                print("  (PostgreSQL skipped: give --postgres URL or ULN_BENCH_POSTGRES_URL)")
        if "memory" in only:
            runs.append(("memory", "memory://", memory_n, "1,000,000: <= 5 s"))
        for label, url, n, target in runs:
            batches = folder / label
            batches.mkdir()
            with uln.register.open(url) as register:
                on_disk = None if url == "memory://" else url
                bench(label, register, n, size, target, batches, on_disk)
            gc.collect()
    print(f"  ({_load()} at the end)")


if __name__ == "__main__":
    sys.exit(main())
