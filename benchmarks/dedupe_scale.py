"""``uln dedupe`` end to end on a large MIS export: wall time, CPU time and peak memory.

Generates ``N`` realistic learners (Zipf-like names, day-first dates, UK postcodes; about
one in five a second record of another learner, changed by :mod:`uln.testing.perturb`)
as an MIS export with the usual headings (``Student Ref, Forename, Surname, DOB, Sex,
Postcode``), then runs ``uln dedupe FILE -o pairs.csv`` in a child process and reads its
own resource usage (``os.wait4``): the figures are those of the command alone.

The reference, in the same process, is the path the command took before it streamed:
the whole file read with :mod:`csv`, ``Matcher().dedupe(threshold=0)`` (a list of every
candidate pair) and the pairs at or above the possible threshold written at the end,
on ``--reference`` learners (default: 100,000, or N if smaller).

    python benchmarks/dedupe_scale.py             # N = 100,000
    python benchmarks/dedupe_scale.py --million   # N = 1,000,000 as well (about 10 min)

Target: 1,000,000 learners deduplicated in <= 10 minutes and <= 4 GB on 2 cores.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import synthetic_learners
from uln.testing.perturb import PERTURBATIONS, NotApplicable, random_perturbation

HEADINGS = ("Student Ref", "Forename", "Surname", "DOB", "Sex", "Postcode")
KINDS = tuple(PERTURBATIONS)


def make_export(path: Path, count: int, seed: int = 7) -> int:
    """Write ``count`` learners to ``path``; return how many are second records."""
    rng = random.Random(seed)
    originals = count - count // 5
    rows: list[tuple[str, ...]] = []
    base: list[dict[str, object]] = []
    for _, row in synthetic_learners(originals, seed=seed):
        base.append(row)
    kinds = list(KINDS)
    seconds = 0
    for row in base:
        rows.append(_cells(row))
    while len(rows) < count:
        row = rng.choice(base)
        try:
            _, changed = random_perturbation(row, rng, kinds=kinds)
        except NotApplicable:
            changed = dict(row)
        rows.append(_cells(changed))
        seconds += 1
    rng.shuffle(rows)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADINGS)
        for i, cells in enumerate(rows, 1):
            writer.writerow((f"S{i:07d}", *cells))
    return seconds


def _cells(row: dict[str, object]) -> tuple[str, ...]:
    dob = row.get("date_of_birth")
    text_dob = dob.strftime("%d/%m/%Y") if hasattr(dob, "strftime") else str(dob or "")
    gender = {1: "M", 2: "F"}.get(row.get("gender"), "")  # type: ignore[call-overload]
    return (
        str(row.get("given_name") or ""),
        str(row.get("family_name") or ""),
        text_dob,
        gender,
        str(row.get("postcode") or ""),
    )


def run_child(code: str, *args: str) -> tuple[float, float, float]:
    """Run ``python -c code args``; its wall seconds, CPU seconds and peak RSS in MB."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code, *args])
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"the child failed with status {status}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


CLI = "import sys; from uln.cli import main; main(sys.argv[1:])"

LIST_PATH = """
import csv, sys
from uln.matching import Matcher
names = {"Forename": "given_name", "Surname": "family_name", "DOB": "date_of_birth",
         "Sex": "gender", "Postcode": "postcode"}
with open(sys.argv[1], encoding="utf-8", newline="") as handle:
    records = {row["Student Ref"]: {names[k]: v for k, v in row.items() if k in names}
               for row in csv.DictReader(handle)}
matcher = Matcher()
scored = matcher.dedupe(records, threshold=0.0)  # every candidate pair, as the CLI did
links = [x for x in scored if x.probability >= matcher.config.possible_threshold]
with open(sys.argv[2], "w", encoding="utf-8", newline="") as handle:
    writer = csv.writer(handle, lineterminator="\\n")
    for x in links:
        writer.writerow((x.left_id, x.right_id, f"{x.probability:.6f}", x.is_match))
print(f"    (list path: {len(scored):,} candidate pairs held, {len(links):,} written)")
"""


def measure(folder: Path, count: int, reference: int) -> None:
    export = folder / f"export_{count}.csv"
    start = time.perf_counter()
    seconds = make_export(export, count)
    made = time.perf_counter() - start
    size = export.stat().st_size / 2**20
    print(f"N = {count:,}: {seconds:,} second records; export {size:.0f} MB, made in {made:.0f} s")
    out = folder / f"pairs_{count}.csv"
    wall, cpu, rss = run_child(CLI, "dedupe", str(export), "-o", str(out), "--force", "-q")
    with open(out, encoding="utf-8") as handle:
        pairs = sum(1 for _ in handle) - 1
    print(
        f"  uln dedupe (streaming)   wall {wall:7.1f} s  CPU {cpu:7.1f} s  peak RSS "
        f"{rss:7.0f} MB  {pairs:,} pairs written"
    )
    verdict = "ok" if wall <= 600 * count / 1_000_000 and rss <= 4096 else "MISSED"
    scaled = wall * 1_000_000 / count
    print(f"  target 1M in <= 600 s and <= 4096 MB: {verdict} (wall scaled to 1M: {scaled:.0f} s)")
    if reference:
        ref_export = folder / f"export_{reference}.csv"
        if reference != count:
            make_export(ref_export, reference)
        rwall, rcpu, rrss = run_child(LIST_PATH, str(ref_export), str(folder / "ref_pairs.csv"))
        print(
            f"  reference: csv + Matcher().dedupe list, N = {reference:,}: wall {rwall:.1f} s  "
            f"CPU {rcpu:.1f} s  peak RSS {rrss:.0f} MB"
        )
        per = (wall / count) / (rwall / reference)
        print(
            f"  ratio to the reference (per learner): wall {per:.2f}x, "
            f"peak RSS {rss / rrss:.2f}x (at {count / reference:g}x the learners)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="learners (default 100,000)")
    parser.add_argument("--million", action="store_true", help="also run 1,000,000 learners")
    parser.add_argument(
        "--reference", type=int, default=100_000, help="learners for the list-path reference"
    )
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        sizes = [args.size] + ([1_000_000] if args.million else [])
        for count in sizes:
            measure(Path(folder), count, min(args.reference, count))


if __name__ == "__main__":
    main()
