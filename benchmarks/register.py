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
import hashlib
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

from uln import Demographics, Gender, Learner
from uln.checkdigit import generate
from uln.demographics.postcodes import Postcode
from uln.matching import CandidateIndex, Matcher, match_record, record_keys
from uln.register import _sql_tables as tables
from uln.register.sql import SqlRegister
from uln.testing.perturb import NotApplicable, random_perturbation

_SYLLABLES = "ka lo mi ra ne sa to vi de an el is or un ha ri ja co be ly".split()
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
    start = _dt.date(1995, 1, 1)
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
                date_of_birth=start + _dt.timedelta(days=rng.randrange(9000)),
                gender=rng.choice((Gender.MALE, Gender.FEMALE)),
                postcode=Postcode.parse(postcode),
            ),
        )


def _identity(d: Demographics) -> str:
    text = "|".join(str(v) for v in (d.given_name, d.family_name, d.date_of_birth, d.gender))
    return hashlib.sha256(f"{text}|{d.postcode}".encode()).hexdigest()


def _items(n: int) -> Iterator[tuple[Learner, list[str], str]]:
    now = _dt.datetime.now(_dt.UTC)
    for uln, d in people(n):
        learner = Learner(uln=uln, demographics=d, created=now, updated=now)
        yield learner, record_keys(match_record(d)), _identity(d)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _target(figure: str, target: str, ratio: str) -> None:
    print(f"  {figure:<58} target {target:<14} {ratio}")


def _empty(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for name in ("uln_schema_version", "uln_bench_plain"):
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
        for table in reversed(tables.metadata.sorted_tables):
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}"))
    engine.dispose()


def bench_import(url: str, n: int, label: str) -> SqlRegister:
    register = SqlRegister(url)
    rss = _rss_mb()
    start = time.perf_counter()
    register.add_many(_items(n), batch_size=5_000)
    took = time.perf_counter() - start
    # the reference: the same serialised rows, executemany into a bare table
    plain = sa.Table(
        "uln_bench_plain",
        sa.MetaData(),
        sa.Column("uln", sa.String(10)),
        sa.Column("data", sa.Text),
    )
    plain.create(register.engine)
    rows: list[dict[str, Any]] = []
    start = time.perf_counter()
    for learner, _, _ in _items(n):
        rows.append({"uln": learner.uln, "data": str(learner.to_dict())})
        if len(rows) == 5_000:
            with register.engine.begin() as connection:
                connection.execute(plain.insert(), rows)
            rows = []
    if rows:
        with register.engine.begin() as connection:
            connection.execute(plain.insert(), rows)
    reference = time.perf_counter() - start
    plain.drop(register.engine)
    per_million = took * 1_000_000 / n
    _target(
        f"{label} import {n:,}: {took:.1f} s ({n / took:,.0f}/s; 1M at this rate {per_million / 60:.1f} min)",
        "1M <= 3 min",
        f"x{took / reference:.2f} a plain executemany ({reference:.1f} s)",
    )
    print(f"    peak RSS {_rss_mb():.0f} MB (before the import {rss:.0f} MB)")
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


def _times(source: Any, queries: list[Demographics]) -> tuple[float, float]:
    matcher = Matcher()
    for q in queries[:20]:
        matcher.search(q, source() if callable(source) else source)
    times = []
    for q in queries:
        start = time.perf_counter()
        matcher.search(q, source() if callable(source) else source)
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.99) - 1] * 1000


class _Sorted:
    def __init__(self, index: CandidateIndex) -> None:
        self.index = index
        self.frequencies = index.frequencies

    def candidates(self, query: Any) -> list[tuple[Any, Any]]:
        return sorted(self.index.candidates(query), key=lambda pair: str(pair[0]))


def bench_register(url: str, seconds: float) -> None:
    def rate(processes: int) -> float:
        context = multiprocessing.get_context("fork")
        start = context.Barrier(processes + 1)
        out = context.Queue()
        workers = [
            context.Process(target=_registering, args=(url, w, start, out, seconds))
            for w in range(processes)
        ]
        for worker in workers:
            worker.start()
        start.wait()
        done = sum(out.get() for _ in workers)
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
    # what register_learner does in storage: search, allocate, store, audit, in one unit
    from uln.register import AuditEvent

    register = SqlRegister(url)
    matcher = Matcher()
    rng = random.Random(1000 + worker)
    source = people(10_000_000, seed=50 + worker + int(time.time()))
    start.wait()
    done = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        _, d = next(source)
        with register.transaction():
            matcher.search(d, register.candidates())
            while not register.reserve_uln(uln := generate(rng)):
                pass
            now = _dt.datetime.now(_dt.UTC)
            register.add(
                Learner(uln=uln, demographics=d, created=now, updated=now),
                keys=record_keys(match_record(d)),
                identity=_identity(d),
            )
            register.record(AuditEvent(at=now, organisation="10012345", action="register", uln=uln))
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
    index = CandidateIndex.from_records((uln, d) for uln, d in people(n))
    gc.freeze()
    memory = _times(_Sorted(index), queries)
    _target(
        f"find, memory: median {memory[0]:.2f} ms, p99 {memory[1]:.2f} ms", "median <= 1 ms", ""
    )
    del index
    gc.collect()

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        register = bench_import(url, n, "SQLite")
        median, p99 = _times(register.candidates, queries)
        _target(
            f"find, SQLite: median {median:.2f} ms, p99 {p99:.2f} ms",
            "<= 5 / 50 ms",
            f"x{median / memory[0]:.1f} memory (median)",
        )
        register.close()

    if args.postgres:
        _empty(args.postgres)
        register = bench_import(args.postgres, n, "PostgreSQL")
        with register.engine.connect() as connection:
            connection.execute(sa.text("ANALYZE"))
        median, p99 = _times(register.candidates, queries)
        _target(
            f"find, PostgreSQL: median {median:.2f} ms, p99 {p99:.2f} ms",
            "median <= 10 ms",
            f"x{median / memory[0]:.1f} memory (median)",
        )
        register.close()
        bench_register(args.postgres, args.seconds)
    else:
        print("  (PostgreSQL skipped: give --postgres URL or ULN_BENCH_POSTGRES_URL)")


if __name__ == "__main__":
    sys.exit(main())
