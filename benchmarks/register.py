"""Register speed: bulk import, find_by_demographics, and register_learner from 8 processes.

Usage::

    python benchmarks/register.py            # 100,000 learners
    python benchmarks/register.py --full     # 1,000,000 learners
    python benchmarks/register.py --n 20000 --postgres postgresql+psycopg://postgres@127.0.0.1/x

Prints each figure with its target from issue 11 and a ratio to a reference measured in
the same run: the import against a plain ``executemany`` of the same rows into a bare
table, the SQL finds against the same finds on the in-memory index. PostgreSQL figures
need ``--postgres URL`` (or ``ULN_BENCH_POSTGRES_URL``); its database is emptied first.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import uln.register
from uln import Demographics, Gender, Learner
from uln.checkdigit import generate
from uln.demographics.postcodes import Postcode
from uln.matching import match_record, record_keys
from uln.register import _sql_tables as tables
from uln.register.service import LearnerRegister
from uln.register.sql import SqlRegister
from uln.testing.perturb import NotApplicable, random_perturbation

_SYLLABLES = ["ka", "lo", "mi", "ra", "ne", "sa", "to", "vi", "de", "an", "el", "is", "or", "un",
              "ha", "ri", "ja", "co", "be", "ly"]  # fmt: skip
_GIVEN = [
    "James", "Olivia", "Mohammed", "Amelia", "Jack", "Isla", "Harry", "Ava", "Noah", "Emily",
    "Huw", "Sian", "Dafydd", "Megan", "Rhys", "Ffion", "Owen", "Cerys", "Gareth", "Nia",
]  # fmt: skip
_AREAS = ["SA", "CF", "LL", "SY", "NP", "LD", "M", "B", "LS", "BS", "NE", "G", "EH", "L", "S"]
_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize()


def people(n: int, seed: int = 1) -> Iterator[tuple[str, Demographics]]:
    """``n`` learners with realistic block sizes (generated lazily, ULNs distinct)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    start = _dt.date(1990, 1, 1)
    while len(seen) < n:
        uln = generate(rng)
        if uln in seen:
            continue
        seen.add(uln)
        given = rng.choice(_GIVEN) if rng.random() < 0.3 else _name(rng, rng.choice((2, 3)))
        postcode = (
            f"{rng.choice(_AREAS)}{rng.randrange(1, 40)} "
            f"{rng.randrange(10)}{rng.choice(_LETTERS)}{rng.choice(_LETTERS)}"
        )
        yield (
            uln,
            Demographics(
                given_name=given,
                family_name=_name(rng, rng.choice((2, 3, 3, 4))),
                date_of_birth=start + _dt.timedelta(days=rng.randrange(6000)),  # aged 13 to 110
                gender=rng.choice((Gender.MALE, Gender.FEMALE)),
                postcode=Postcode.parse(postcode),
            ),
        )


def _identity(d: Demographics) -> str:
    return LearnerRegister._identity(d)  # as the service makes it


def _items(n: int) -> Iterator[tuple[Learner, list[str], str]]:
    now = _dt.datetime.now(_dt.UTC)
    for number, d in people(n):
        learner = Learner(uln=number, demographics=d, created=now, updated=now)
        yield learner, record_keys(match_record(d)), _identity(d)


def _rss_mb() -> float:
    """The peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _now_mb() -> float:
    """The resident memory of this process now, in MB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _target(figure: str, target: str, ratio: str) -> None:
    print(f"  {figure}\n      target {target}; {ratio}")


def _empty(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for name in ("uln_schema_version", "uln_bench_plain"):
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
        for table in reversed(tables.metadata.sorted_tables):
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}"))
    engine.dispose()


def _batches(n: int, size: int) -> Iterator[list[tuple[Learner, list[str], str]]]:
    batch = []
    for item in _items(n):
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def bench_import(url: str, n: int, label: str, batch_size: int = 10_000) -> SqlRegister:
    """Bulk import through SqlRegister.add_many; the learners are made outside the timing."""
    register = SqlRegister(url)
    before = _now_mb()
    took = 0.0
    rss = []
    for batch in _batches(n, batch_size):
        start = time.perf_counter()
        register.add_many(batch, batch_size=batch_size)
        took += time.perf_counter() - start
        rss.append(_now_mb())
    # the reference: the same learners' JSON, plain executemany into a bare table
    plain = sa.Table(
        "uln_bench_plain",
        sa.MetaData(),
        sa.Column("uln", sa.String(10)),
        sa.Column("data", sa.Text),
    )
    plain.create(register.engine)
    reference = 0.0
    for batch in _batches(n, batch_size):
        rows = [
            {"uln": learner.uln, "data": json.dumps(learner.to_dict())} for learner, _, _ in batch
        ]
        start = time.perf_counter()
        with register.engine.begin() as connection:
            connection.execute(plain.insert(), rows)
        reference += time.perf_counter() - start
    plain.drop(register.engine)
    minutes = took * 1_000_000 / n / 60
    _target(
        f"{label} import of {n:,}: {took:.1f} s, {n / took:,.0f} learners/s "
        f"(1M at this rate: {minutes:.1f} min)",
        "1M <= 3 min",
        f"x{took / reference:.2f} a plain executemany of the learners' JSON alone "
        f"({reference:.1f} s)",
    )
    quarter = rss[len(rss) // 4] if rss else before
    print(
        f"      memory while importing: {before:.0f} MB before, {quarter:.0f} MB at a quarter, "
        f"{rss[-1] if rss else before:.0f} MB at the end (peak {_rss_mb():.0f} MB)"
    )
    return register


def _queries(n: int, count: int) -> list[Demographics]:
    rng = random.Random(7)
    wanted = set(rng.sample(range(n), count))
    out = []
    for i, (_, d) in enumerate(people(n)):
        if i in wanted:
            try:
                out.append(random_perturbation(d, rng)[1])
            except NotApplicable:
                out.append(d)
    return out


def _times(register: Any, queries: list[Demographics]) -> tuple[float, float]:
    """Median and p99 of ``register.find_by_demographics`` in ms."""
    for q in queries[:20]:
        register.find_by_demographics(q)
    times = []
    for q in queries:
        start = time.perf_counter()
        register.find_by_demographics(q)
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times) * 1000, times[max(0, int(len(times) * 0.99) - 1)] * 1000


def bench_register(url: str, seconds: float) -> None:
    def rate(processes: int) -> float:
        context = multiprocessing.get_context("fork")
        start = context.Barrier(processes + 1, timeout=600)  # a worker that died frees the rest
        out = context.Queue()
        workers = [
            context.Process(target=_registering, args=(url, w, start, out, seconds), daemon=True)
            for w in range(processes)
        ]
        for worker in workers:
            worker.start()
        start.wait()
        done = sum(out.get(timeout=seconds + 300) for _ in workers)
        for worker in workers:
            worker.join()
        return done / seconds

    one = rate(1)
    eight = rate(8)
    _target(
        f"register_learner, 8 processes on PostgreSQL: {eight:,.0f}/s",
        ">= 500/s",
        f"x{eight / one:.2f} one process ({one:,.0f}/s)",
    )


def _registering(url: str, worker: int, start: Any, out: Any, seconds: float) -> None:
    register = uln.register.open(url)
    source = people(10_000_000, seed=50 + worker + int(time.time()))
    start.wait()
    done = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        _, d = next(source)
        register.register_learner(d, organisation="10012345")
        done += 1
    register.close()
    out.put(done)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--full", action="store_true", help="1,000,000 learners")
    parser.add_argument("--postgres", default=os.environ.get("ULN_BENCH_POSTGRES_URL"))
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    n = 1_000_000 if args.full else args.n
    print(f"register benchmark: {n:,} learners, {args.queries} finds (perturbed learners)")

    queries = _queries(n, args.queries)
    memory_register = uln.register.open("memory://")
    memory_register.store.add_many(_items(n))
    gc.freeze()
    memory = _times(memory_register, queries)
    _target(
        f"find_by_demographics, memory: median {memory[0]:.2f} ms, p99 {memory[1]:.2f} ms",
        "median <= 1 ms",
        "the reference for the SQL finds below",
    )
    memory_register.close()
    del memory_register
    gc.unfreeze()
    gc.collect()

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        bench_import(url, n, "SQLite").close()
        with uln.register.open(url) as register:
            median, p99 = _times(register, queries)
        _target(
            f"find_by_demographics, SQLite: median {median:.2f} ms, p99 {p99:.2f} ms",
            "median <= 5 ms, p99 <= 50 ms",
            f"x{median / memory[0]:.1f} memory (median)",
        )

    if args.postgres:
        _empty(args.postgres)
        store = bench_import(args.postgres, n, "PostgreSQL")
        with store.engine.connect() as connection:
            connection.execute(sa.text("ANALYZE"))
            connection.commit()
        store.close()
        with uln.register.open(args.postgres) as register:
            median, p99 = _times(register, queries)
        _target(
            f"find_by_demographics, PostgreSQL: median {median:.2f} ms, p99 {p99:.2f} ms",
            "median <= 10 ms",
            f"x{median / memory[0]:.1f} memory (median)",
        )
        bench_register(args.postgres, args.seconds)
    else:
        print("  (PostgreSQL skipped: give --postgres URL or ULN_BENCH_POSTGRES_URL)")


if __name__ == "__main__":
    sys.exit(main())
