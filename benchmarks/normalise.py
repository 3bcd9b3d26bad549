"""Benchmark: ``Demographics.from_raw`` rows per second on varied, messy rows.

Run: ``python benchmarks/normalise.py [N]``. Builds N rows (default 100,000) the way
MIS users type them (cases, spaces, day-first dates, codes and words for gender,
postcodes without spaces, a few bad values), then times ``Demographics.from_raw``
over all of them on one core, and a straightforward reference in the same run
(regular expressions and ``datetime.strptime`` per field, no caching).
Target: at least 50,000 rows per second.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import sys
import time
import unicodedata
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


def main(n: int = 100_000) -> None:
    rows = make_rows(n)
    start = time.perf_counter()
    for row in rows:
        reference(row)
    t_ref = time.perf_counter() - start

    start = time.perf_counter()
    good = 0
    for row in rows:
        if Demographics.from_raw(row, strict=False).is_complete:
            good += 1
    t_uln = time.perf_counter() - start
    print(f"rows: {n:,} ({good:,} complete)")
    print(f"reference (hand-written, fewer checks): {n / t_ref:>10,.0f} rows/s")
    print(
        f"Demographics.from_raw:                  {n / t_uln:>10,.0f} rows/s "
        f"ratio {t_ref / t_uln:.2f}x (target >= 50,000 rows/s)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
