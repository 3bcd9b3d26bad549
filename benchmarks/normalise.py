"""Benchmark: ``Demographics.from_raw`` rows per second on varied, messy rows.

    python benchmarks/normalise.py [--rows 100000] [--repeat 5]

Builds the rows (default 100,000) the way MIS users type them (cases, spaces,
day-first dates, codes and words for gender, postcodes without spaces, a few bad
values); almost every postcode and date string is distinct, so the normalisers'
caches help little. Then, in the same process and interleaved, times:

* a straightforward reference (regular expressions and ``datetime.strptime`` per
  field, no caching);
* ``Demographics.from_raw`` from cold caches (every ``uln`` cache emptied first, as
  in a new process), and again warm (a second pass over the same rows).

Each figure is the best of ``--repeat`` runs of this process's CPU time
(``time.process_time``): on a shared machine that leaves out the time other
processes held the CPU. Target: at least 50,000 rows per second, cold, on one core.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from typing import Any

from uln.learner import Demographics

GIVEN = [
    "Oliver",
    "George",
    "Harry",
    "Jack",
    "Noah",
    "Charlie",
    "Jacob",
    "Alfie",
    "Freddie",
    "Oscar",
    "Leo",
    "Archie",
    "Dafydd",
    "Huw",
    "Rhys",
    "Owain",
    "Ieuan",
    "Gwilym",
    "Siân",
    "Cerys",
    "Ffion",
    "Megan",
    "Seren",
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Emily",
    "Sophia",
    "Grace",
    "Lily",
    "Freya",
    "Mia",
    "Ella",
    "Zoë",
    "José",
    "Łukasz",
    "Aoife",
    "Niamh",
    "Saoirse",
    "Eilidh",
    "Catrin",
    "Gwenllïan",
    "Llŷr",
    "Mohammed",
    "Aisha",
    "Fatima",
    "Priya",
    "Arjun",
    "Chloé",
    "Anna-Marie",
]
FAMILY_NAMES = [
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Davies",
    "Evans",
    "Thomas",
    "Johnson",
    "Roberts",
    "Walker",
    "Wright",
    "Robinson",
    "Thompson",
    "White",
    "Hughes",
    "Edwards",
    "Green",
    "Hall",
    "Wood",
    "Harris",
    "Lewis",
    "Martin",
    "Jackson",
    "Clarke",
    "Turner",
    "Hill",
    "Scott",
    "Cooper",
    "Morris",
    "Ward",
    "Moore",
    "King",
    "Watson",
    "Baker",
    "o'brien",
    "O'Neill",
    "McDonald",
    "MacLeod",
    "Smith-Jones",
    "ap Rhys",
    "Price",
    "Pugh",
    "Powell",
    "Bowen",
    "Llewellyn",
    "Nowak",
    "Patel",
    "Khan",
    "Begum",
    "Singh",
    "Ahmed",
    "Ali",
    "Nguyen",
    "Müller",
    "Strauß",
    "SMITH - JONES",
    "van der Berg",
]
AREAS = ["CV", "B", "LL", "CF", "SA", "M", "L", "LS", "S", "NE", "SW", "EC", "N", "BT"]
GENDERS = ["1", "2", "M", "F", "male", "Female", "0", "9", "not known", " m "]
INWARD = "ABDEFGHJLNPQRSTUWXYZ"


def make_rows(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        dob = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 17000))
        form = rng.randrange(4)
        if form == 0:
            date_text = dob.isoformat()
        elif form == 1:
            date_text = f"{dob.day:02d}/{dob.month:02d}/{dob.year}"
        elif form == 2:
            date_text = f"{dob.day}-{dob.month}-{dob.year}"
        else:
            date_text = f"{dob.year}{dob.month:02d}{dob.day:02d}"
        postcode = (
            f"{rng.choice(AREAS)}{rng.randrange(1, 30)}{rng.choice(['', ' ', '  '])}"
            f"{rng.randrange(10)}{rng.choice(INWARD)}{rng.choice(INWARD)}"
        )
        given = rng.choice(GIVEN)
        row: dict[str, Any] = {
            "GivenName": rng.choice([given, given.upper(), given.lower(), f" {given} "]),
            "FamilyName": rng.choice(FAMILY_NAMES),
            "DateOfBirth": date_text,
            "Gender": rng.choice(GENDERS),
            "LastKnownPostCode": rng.choice([postcode, postcode.lower()]),
        }
        if rng.random() < 0.3:
            row["EmailAddress"] = f"{given.lower()}.{rng.randrange(999)}@example.ac.uk"
        if rng.random() < 0.2:
            row["PreviousFamilyName"] = rng.choice(FAMILY_NAMES)
        if rng.random() < 0.02:
            row["DateOfBirth"] = "31/02/2001"  # a bad row now and then
        rows.append(row)
    return rows


_NAME = re.compile(r"[^\W\d_]+(?:[ '\-.][^\W\d_]+)*")
_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][0-9A-Z]?) ?([0-9][A-Z]{2})")


def reference(row: dict[str, Any]) -> dict[str, Any] | None:
    """What a careful MIS developer writes by hand: no caching, strptime per form."""
    out: dict[str, Any] = {}
    for key in ("GivenName", "FamilyName"):
        text = unicodedata.normalize("NFC", " ".join(row[key].split()))
        if not _NAME.fullmatch(text) or len(text) > 35:
            return None
        out[key] = text
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y%m%d"):
        try:
            out["DateOfBirth"] = dt.datetime.strptime(row["DateOfBirth"], fmt).date()
            break
        except ValueError:
            continue
    else:
        return None
    gender = row["Gender"].strip().lower()
    out["Gender"] = {"1": 1, "m": 1, "male": 1, "2": 2, "f": 2, "female": 2}.get(gender, 0)
    match = _POSTCODE.fullmatch(re.sub(r"\s+", " ", row["LastKnownPostCode"].strip().upper()))
    if not match:
        return None
    out["LastKnownPostCode"] = f"{match.group(1)} {match.group(2)}"
    return out


def clear_caches() -> None:
    """Empty every cache of the ``uln`` modules, as a new process would start."""
    for name, module in list(sys.modules.items()):
        if name.startswith("uln.") and module is not None:
            for value in vars(module).values():
                clear = getattr(value, "cache_clear", None)
                if callable(clear):
                    clear()


def run_reference(rows: list[dict[str, Any]]) -> int:
    return sum(reference(row) is not None for row in rows)


def run_uln(rows: list[dict[str, Any]]) -> int:
    from_raw = Demographics.from_raw
    return sum(from_raw(row, strict=False).is_complete for row in rows)


def cpu_seconds(function: Callable[[list[dict[str, Any]]], int], rows: list[Any]) -> float:
    """The CPU time of this process for one run of ``function`` over ``rows``."""
    gc.collect()
    start = time.process_time()
    function(rows)
    return time.process_time() - start


def main(n: int = 100_000, repeat: int = 5) -> None:
    rows = make_rows(n)
    good = run_uln(rows)
    t_ref = t_cold = t_warm = float("inf")
    for _ in range(repeat):  # interleaved, so that all three see the same machine
        t_ref = min(t_ref, cpu_seconds(run_reference, rows))
        clear_caches()
        t_cold = min(t_cold, cpu_seconds(run_uln, rows))
        t_warm = min(t_warm, cpu_seconds(run_uln, rows))
    print(f"rows: {n:,} ({good:,} complete); CPU time, best of {repeat} runs")
    print(f"reference (hand-written, fewer checks): {n / t_ref:>10,.0f} rows/s")
    for label, seconds in (("cold caches", t_cold), ("warm caches", t_warm)):
        print(
            f"Demographics.from_raw, {label}:     {n / seconds:>10,.0f} rows/s "
            f"ratio {t_ref / seconds:.2f}x"
        )
    verdict = "met" if n / t_cold >= 50_000 else "NOT met"
    print(f"target: >= 50,000 rows/s cold on one core: {verdict}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("n", type=int, nargs="?", help="the number of rows (old form)")
    args = parser.parse_args()
    main(args.n or args.rows, args.repeat)
