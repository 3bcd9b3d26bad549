"""Speed of uln.matching on one core: index build, search, link and dedupe.

Run from the repository root: ``python benchmarks/match_speed.py [--quick]``
(``--quick``: 100,000 learners and 2,000 queries, for trying changes out).

Each figure is the CPU time of this process (the fair measure on a shared machine; the
wall clock is shown beside it), printed with its target and with its ratio to
references measured in the same run: a fixed pure-Python workload (``ref``: divide two
runs' figures by their ``ref`` to compare machines or loads), a naive matcher that
compares the query with every record (on a sample, scaled), an exact-key matcher (a dict
of given name, family name and date of birth), and naive all-pairs Jaro-Winkler.
Targets (issue 4): search median <= 2 ms and p99 <= 20 ms against 1,000,000 learners;
building that index <= 60 s and <= 2 GB resident; link 5,000 x 5,000 <= 2 s; dedupe of
historical_50k <= 10 s; (issue 10) a streaming dedupe of 1,000,000 rows
(``--only scale --scale 1000000``: synthetic learners, one in ten entered again with a
change) <= 600 s and <= 4 GB. The Jaro-Winkler of jellyfish (required) is also timed against
rapidfuzz's when rapidfuzz is installed (it is not a dependency).
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import resource
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import jellyfish

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


def line(label: str, value: str, target: str, note: str = "") -> None:
    print(f"{label:<44}{value:>12}   target {target:<11} {note}".rstrip())


def verdict(value: float, limit: float) -> str:
    return "ok" if value <= limit else "MISSED"


def reference_workload() -> float:
    """CPU seconds of a fixed pure-Python workload (best of five): the machine's speed now."""
    rng = random.Random(0)
    words = ["".join(rng.choice("ABCDEFGHIJKLMNOP") for _ in range(8)) for _ in range(20_000)]
    best = math.inf
    for _ in range(5):
        c = time.process_time()
        counts: dict[str, int] = {}
        for word in words * 10:
            key = word[:3] + word[-2:]
            counts[key] = counts.get(key, 0) + len(word)
        sorted(words)
        best = min(best, time.process_time() - c)
    return best


class Clock:
    """CPU and wall time of a block."""

    def __enter__(self) -> Clock:
        self.cpu0, self.wall0 = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu = time.process_time() - self.cpu0
        self.wall = time.perf_counter() - self.wall0


def bench_search(size: int, queries: int, ref: float) -> None:
    matcher = Matcher()
    keep_every = max(1, size // 20_000)
    # generating the learners is not part of building the index: timed on its own first
    with Clock() as generate:
        for _ in synthetic_learners(size):
            pass
    gc.collect()
    base = rss_mb()
    rows = {}

    def learners() -> Iterator[tuple[int, dict[str, object]]]:
        for n, (key, row) in enumerate(synthetic_learners(size)):
            if n % keep_every == 0:
                rows[key] = row
            yield key, row

    with Clock() as build:
        index = CandidateIndex.from_records(learners())
    gc.collect()
    memory = rss_mb() - base
    # a long-lived index: move it out of the collector's way, as a service would after
    # loading, so that full collections do not walk a million records during searches
    gc.freeze()
    build_cpu = build.cpu - generate.cpu
    line(
        f"build index of {size:,} learners (CPU)",
        f"{build_cpu:.1f} s",
        "<= 60 s",
        f"{verdict(build_cpu, 60)}; {build_cpu / ref:,.0f} ref; wall {build.wall:.1f} s incl. "
        f"generating the learners ({generate.cpu:.1f} s CPU, not counted)",
    )
    line("  resident memory of the index", f"{memory:,.0f} MB", "<= 2048 MB", verdict(memory, 2048))

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
    cpu_times.sort()
    median = statistics.median(cpu_times) * 1000
    p99 = cpu_times[int(len(cpu_times) * 0.99)] * 1000
    wall_median = statistics.median(times) * 1000
    wall_p99 = times[int(len(times) * 0.99)] * 1000

    # references: a naive all-records matcher (timed on a sample, scaled up) and exact keys
    # (with the collector paused: one of its passes would dwarf a short sample)
    prepared = [match_record(rows[k]) for k in keys[:2000]]
    q = match_record(sample[0])
    gc.disable()
    c = time.process_time()
    for record in prepared:
        matcher._weigh(q, record, None)
    naive = (time.process_time() - c) / len(prepared) * len(index) * 1000
    gc.enable()
    exact: dict[tuple[object, ...], list[int]] = {}
    for k in keys:
        r = rows[k]
        exact.setdefault((r["given_name"], r["family_name"], r["date_of_birth"]), []).append(k)
    c = time.process_time()
    for query in sample:
        exact.get((query["given_name"], query["family_name"], query["date_of_birth"]))
    exact_ms = (time.process_time() - c) / len(sample) * 1000
    line(
        f"search median, CPU ({queries:,} queries)",
        f"{median:.3f} ms",
        "<= 2 ms",
        f"{verdict(median, 2)}; {median / 1000 / ref:.3f} ref; wall {wall_median:.3f} ms; "
        f"naive all-pairs {naive:,.0f} ms ({naive / median:,.0f}x slower)",
    )
    line(
        "search p99, CPU",
        f"{p99:.3f} ms",
        "<= 20 ms",
        f"{verdict(p99, 20)}; {p99 / 1000 / ref:.3f} ref; wall {wall_p99:.3f} ms; "
        f"exact-key dict {exact_ms * 1000:.1f} us",
    )
    line(
        "  slowest search, CPU",
        f"{cpu_times[-1] * 1000:.1f} ms",
        "-",
        "(the matcher's caches stay out of the garbage collector's way)",
    )
    line("  candidates scored per search (median)", f"{statistics.median(scored):.0f}", "-")
    print(f"  outcomes (half the queries perturbed): { {o.name: n for o, n in outcomes.items()} }")


def bench_link(size: int, ref: float) -> None:
    matcher = Matcher()
    rng = random.Random(9)
    people = [row for _, row in synthetic_learners(size, seed=3)]
    left = dict(enumerate(people))
    right = {i: perturb(row, rng) if rng.random() < 0.5 else row for i, row in enumerate(people)}
    with Clock() as clock:
        links = matcher.link(left, right)
    found = sum(1 for x in links if x.is_match and x.left_id == x.right_id)
    # reference: naive all-pairs Jaro-Winkler on family names, timed on a sample and scaled
    sample = people[:100]
    pairs = [(str(a["family_name"]), str(b["family_name"])) for a in sample for b in people]
    jw = jellyfish.jaro_winkler_similarity
    gc.disable()
    c = time.process_time()
    for x, y in pairs:
        jaro_winkler(x, y)
    naive = (time.process_time() - c) * size / len(sample)
    gc.enable()
    line(
        f"link {size:,} x {size:,}, CPU",
        f"{clock.cpu:.2f} s",
        "<= 2 s",
        f"{verdict(clock.cpu, 2)}; {clock.cpu / ref:,.0f} ref; wall {clock.wall:.2f} s; "
        f"naive all-pairs JW on one field {naive:.1f} s ({naive / clock.cpu:.1f}x)",
    )
    print(f"  {len(links):,} links, {found:,} of {size:,} true pairs matched")
    c = time.process_time()
    for x, y in pairs:
        jw(x, y)
    jelly = time.process_time() - c
    try:
        from rapidfuzz.distance import JaroWinkler
    except ImportError:
        print(
            f"  Jaro-Winkler: jellyfish {jelly / len(pairs) * 1e9:.0f} ns a pair; "
            "rapidfuzz not installed"
        )
        return
    fast = JaroWinkler.similarity
    c = time.process_time()
    for x, y in pairs:
        fast(x, y)
    rapid = time.process_time() - c
    same = all(abs(jw(x, y) - fast(x, y)) < 1e-12 for x, y in pairs[:20_000])
    print(
        f"  Jaro-Winkler: jellyfish {jelly / len(pairs) * 1e9:.0f} ns a pair, rapidfuzz "
        f"{rapid / len(pairs) * 1e9:.0f} ns ({jelly / rapid:.1f}x faster, same values: {same})"
    )


def bench_dedupe(ref: float) -> None:
    try:
        records, _ = historical_50k()
    except FileNotFoundError:
        print("dedupe historical_50k: skipped (../shared/data not found)")
        return
    matcher = Matcher()
    with Clock() as clock:
        links = matcher.dedupe(records)
    line(
        f"dedupe historical_50k ({len(records):,} rows), CPU",
        f"{clock.cpu:.2f} s",
        "<= 10 s",
        f"{verdict(clock.cpu, 10)}; {clock.cpu / ref:,.0f} ref; wall {clock.wall:.2f} s; "
        f"{len(links):,} links",
    )


def dedupe_rows(size: int) -> dict[int, dict[str, object]]:
    """``size`` rows: synthetic learners, one in ten entered again with a change or two."""
    rng = random.Random(11)
    rows: dict[int, dict[str, object]] = {}
    people = size - size // 10
    for key, row in synthetic_learners(people, seed=5):
        rows[key] = row
    keys = list(rows)
    for n in range(size - people):
        rows[-1 - n] = perturb(rows[rng.choice(keys)], rng)
    return rows


def bench_dedupe_scale(size: int, ref: float) -> None:
    """Deduplicate ``size`` rows as a stream (links counted, never held): time and memory."""
    rows = dedupe_rows(size)
    gc.collect()
    base = rss_mb()
    peak = base
    links = matches = 0

    def progress(done: int) -> None:
        nonlocal peak
        if done % 20_000 == 0:
            peak = max(peak, rss_mb())

    with Clock() as clock:
        for link in Matcher().iter_dedupe(rows, progress=progress):
            links += 1
            matches += link.is_match
    peak = max(peak, rss_mb())
    minutes = clock.cpu / 60
    line(
        f"dedupe {size:,} rows (stream), CPU",
        f"{clock.cpu:.1f} s",
        "<= 600 s" if size >= 1_000_000 else "-",
        f"{verdict(minutes, 10) if size >= 1_000_000 else ''}; {clock.cpu / ref:,.0f} ref; "
        f"wall {clock.wall:.1f} s; {links:,} links, {matches:,} matches",
    )
    growth = peak - base
    line(
        "  memory of the dedupe (peak resident - rows)",
        f"{growth:,.0f} MB",
        "<= 4096 MB",
        f"{verdict(growth, 4096)}; rows themselves {base:,.0f} MB resident",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000, help="learners in the index")
    parser.add_argument("--queries", type=int, default=5_000)
    parser.add_argument("--link", type=int, default=5_000)
    parser.add_argument("--quick", action="store_true", help="100,000 learners, 2,000 queries")
    parser.add_argument(
        "--only",
        choices=("search", "link", "dedupe", "scale"),
        action="append",
        help="repeatable",
    )
    parser.add_argument(
        "--scale", type=int, default=100_000, help="rows for the streaming dedupe ('scale')"
    )
    args = parser.parse_args()
    if args.quick:
        args.size, args.queries = 100_000, 2_000
    only = set(args.only or ("search", "link", "dedupe", "scale"))
    ref = reference_workload()
    print(
        f"python {sys.version.split()[0]}, one core; ref (fixed workload) {ref * 1000:.0f} ms CPU"
    )
    # the large index comes last: it leaves a large, fragmented heap behind it, which
    # slows down whatever runs after it in the same process (link by about a third)
    if "link" in only:
        bench_link(args.link, ref)
    if "dedupe" in only:
        bench_dedupe(ref)
    if "scale" in only:
        bench_dedupe_scale(args.scale, ref)
    if "search" in only:
        bench_search(args.size, args.queries, ref)
    after = reference_workload()
    print(f"ref again at the end: {after * 1000:.0f} ms CPU ({after / ref:.2f}x the first)")


if __name__ == "__main__":
    main()
