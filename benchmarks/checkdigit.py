"""Benchmark: ULN validations per second, against a straightforward reference.

Run: ``python benchmarks/checkdigit.py [N]``. Prints validations per second for
``uln.is_valid`` and the column path ``uln.checkdigit.find_invalid``, each with its
ratio to the reference (``sum(int(d) * w)`` after a regular-expression check)
measured in the same run. Targets: ``is_valid`` >= 3x, column path >= 4x.
"""

from __future__ import annotations

import random
import re
import sys
import time
from collections.abc import Callable, Sequence

from uln import checkdigit

_PATTERN = re.compile(r"[1-9][0-9]{9}")
_WEIGHTS = range(10, 0, -1)


def reference_is_valid(value: str) -> bool:
    """The rule as most people write it."""
    if not _PATTERN.fullmatch(value):
        return False
    return sum(int(d) * w for d, w in zip(value, _WEIGHTS, strict=True)) % 11 == 10


def reference_column(values: Sequence[str]) -> list[int]:
    return [i for i, v in enumerate(values) if not reference_is_valid(v)]


def make_values(n: int, seed: int = 2026) -> list[str]:
    rng = random.Random(seed)
    values = [checkdigit.generate(rng) for _ in range(n)]
    for i in range(0, n, 10):  # one in ten invalid, as in a dirty MIS column
        values[i] = str(rng.randrange(1_000_000_000, 10_000_000_000))
    return values


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def main(n: int = 1_000_000) -> None:
    values = make_values(n)
    checkdigit.is_valid(values[0])  # build the lookup tables outside the timing
    is_valid = checkdigit.is_valid

    t_ref = best_of(3, lambda: [reference_is_valid(v) for v in values])
    t_fast = best_of(3, lambda: [is_valid(v) for v in values])
    t_ref_col = best_of(3, lambda: reference_column(values))
    t_col = best_of(3, lambda: checkdigit.find_invalid(values))

    assert [i.index for i in checkdigit.find_invalid(values)] == reference_column(values)
    print(f"values: {n:,} (one in ten invalid)")
    print(f"reference is_valid:   {n / t_ref:>12,.0f} /s")
    print(
        f"uln.is_valid:         {n / t_fast:>12,.0f} /s  ratio {t_ref / t_fast:.1f}x (target >= 3x)"
    )
    print(f"reference column:     {n / t_ref_col:>12,.0f} /s")
    print(
        f"find_invalid column:  {n / t_col:>12,.0f} /s  ratio {t_ref_col / t_col:.1f}x "
        "(target >= 4x)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
