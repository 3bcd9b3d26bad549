"""Speed of uln.matching on one core: index build, search, link and dedupe.

Run from the repository root: ``python benchmarks/match_speed.py [--size N]``.

Prints each figure (wall clock, and CPU time of this process, which is the better
measure on a shared machine) with its target and the ratio to a reference measured in
the same run: a naive matcher that compares the query with every record (on a sample, scaled),
and an exact-key matcher (a dict of given name, family name and date of birth).
Targets (issue 4): search median <= 2 ms and p99 <= 20 ms against 1,000,000 learners;
building that index <= 60 s and <= 2 GB resident; link 5,000 x 5,000 <= 2 s; dedupe of
historical_50k <= 10 s.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import historical_50k, perturb, synthetic_learners
from uln.matching import CandidateIndex, Matcher, Outcome
from uln.matching.compare import jaro_winkler
from uln.matching.normalise import match_record


def rss_mb() -> float:
    """Resident memory of this process now, in MB (from /proc; peak if not on Linux)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def line(label: str, value: str, target: str, ratio: str = "") -> None:
    print(f"{label:<44}{value:>14}   target {target:<12}{ratio}")


def bench_search(size: int, queries: int) -> None:
    matcher = Matcher()
    gc.collect()
    base = rss_mb()
    t0 = time.perf_counter()
    c0 = time.process_time()
    rows = {}
    keep_every = max(1, size // 20_000)

    def learners() -> Iterator[tuple[int, dict[str, object]]]:
        for n, (key, row) in enumerate(synthetic_learners(size)):
            if n % keep_every == 0:
                rows[key] = row
            yield key, row

    index = CandidateIndex.from_records(learners(), matcher=matcher)
    build = time.perf_counter() - t0
    build_cpu = time.process_time() - c0
    gc.collect()
    memory = rss_mb() - base
    # a long-lived index: move it out of the collector's way, as a service would after
    # loading, so that full collections do not walk a million records during searches
    gc.freeze()
    line(
        f"build index of {size:,} learners",
        f"{build:.1f} s",
        "<= 60 s",
        f"CPU {build_cpu:.1f} s (incl. generating the learners)",
    )
    line("  resident memory of the index", f"{memory:,.0f} MB", "<= 2048 MB")

    rng = random.Random(5)
    keys = list(rows)
    sample = [perturb(rows[rng.choice(keys)], rng) for _ in range(queries // 2)]
    sample += [rows[rng.choice(keys)] for _ in range(queries - len(sample))]
    rng.shuffle(sample)
    times = []
    cpu_times = []
    outcomes = dict.fromkeys(Outcome, 0)
    scored = []
    for query in sample:
        t = time.perf_counter()
        c = time.process_time()
        result = matcher.search(query, index)
        cpu_times.append(time.process_time() - c)
        times.append(time.perf_counter() - t)
        outcomes[result.outcome] += 1
        scored.append(result.scored)
    times.sort()
    median = statistics.median(times) * 1000
    p99 = times[int(len(times) * 0.99)] * 1000
    cpu_median = statistics.median(cpu_times) * 1000

    # references: a naive all-records matcher (timed on a sample, scaled up) and exact keys
    prepared = [match_record(rows[k]) for k in keys[:2000]]
    q = match_record(sample[0])
    t = time.perf_counter()
    for record in prepared:
        matcher._weigh(q, record, None)
    naive = (time.perf_counter() - t) / len(prepared) * len(index) * 1000
    exact: dict[tuple[object, ...], list[int]] = {}
    for k in keys:
        r = rows[k]
        exact.setdefault((r["given_name"], r["family_name"], r["date_of_birth"]), []).append(k)
    t = time.perf_counter()
    for query in sample:
        exact.get((query["given_name"], query["family_name"], query["date_of_birth"]))
    exact_ms = (time.perf_counter() - t) / len(sample) * 1000
    line(
        f"search median ({queries:,} queries, half perturbed)",
        f"{median:.3f} ms",
        "<= 2 ms",
        f"naive all-pairs {naive:,.0f} ms ({naive / median:,.0f}x slower)",
    )
    line("search p99", f"{p99:.3f} ms", "<= 20 ms", f"exact-key dict {exact_ms * 1000:.1f} us")
    line("  search median CPU time", f"{cpu_median:.3f} ms", "-")
    line("  candidates scored per search (median)", f"{statistics.median(scored):.0f}", "-")
    print(f"  outcomes: { {o.name: n for o, n in outcomes.items()} }")


def bench_link(size: int) -> None:
    matcher = Matcher()
    rng = random.Random(9)
    people = [row for _, row in synthetic_learners(size, seed=3)]
    left = dict(enumerate(people))
    right = {i: perturb(row, rng) if rng.random() < 0.5 else row for i, row in enumerate(people)}
    t = time.perf_counter()
    c = time.process_time()
    links = matcher.link(left, right)
    elapsed = time.perf_counter() - t
    cpu = time.process_time() - c
    found = sum(1 for x in links if x.is_match and x.left_id == x.right_id)
    # reference: naive all-pairs Jaro-Winkler on family names, timed on a sample and scaled
    sample = people[:100]
    t = time.perf_counter()
    for a in sample:
        for b in people:
            jaro_winkler(a["family_name"], b["family_name"])
    naive = (time.perf_counter() - t) * size / len(sample)
    line(
        f"link {size:,} x {size:,}",
        f"{elapsed:.2f} s",
        "<= 2 s",
        f"naive all-pairs JW on one field {naive:.1f} s ({naive / elapsed:.1f}x)",
    )
    print(f"  CPU {cpu:.2f} s; {len(links):,} links, {found:,} of {size:,} true pairs matched")


def bench_dedupe() -> None:
    try:
        records, _ = historical_50k()
    except FileNotFoundError:
        print("dedupe historical_50k: skipped (../shared/data not found)")
        return
    matcher = Matcher()
    t = time.perf_counter()
    c = time.process_time()
    links = matcher.dedupe(records)
    elapsed = time.perf_counter() - t
    cpu = time.process_time() - c
    line(
        f"dedupe historical_50k ({len(records):,} rows)",
        f"{elapsed:.2f} s",
        "<= 10 s",
        f"CPU {cpu:.2f} s; {len(links):,} links",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000, help="learners in the index")
    parser.add_argument("--queries", type=int, default=5_000)
    parser.add_argument("--link", type=int, default=5_000)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, one core")
    bench_search(args.size, args.queries)
    bench_link(args.link)
    bench_dedupe()


if __name__ == "__main__":
    main()
