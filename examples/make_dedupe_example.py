"""Make ``learners_dedupe.csv``: synthetic learners, some entered twice with realistic changes.

    python examples/make_dedupe_example.py [FOLDER]

Writes, from a fixed seed (the same bytes every run), 300 made-up learners of a
further-education college and 105 more rows for 90 of them, each changed by one or two
perturbations of :mod:`uln.testing.perturb` (a typo, transposed letters, a nickname,
the Welsh form of a name, given and family names swapped, day and month swapped, a
new family name at marriage, a move in the same postcode district, a field left
empty), all shuffled. The column ``cluster`` says which rows are the same learner and
``perturbation`` what was changed; the matcher reads neither. Try:

    uln dedupe examples/learners_dedupe.csv
    uln match-eval examples/learners_dedupe.csv --truth cluster

Every learner is made up: names drawn at random from short lists, postcodes with real
district codes and random units, email addresses at example.com.
"""

from __future__ import annotations

import csv
import datetime as _dt
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from uln.demographics.postcodes import POSTCODE_LETTERS
from uln.testing.perturb import NotApplicable, random_perturbation

SEED = 20240904
LEARNERS = 300
DUPLICATED = 90  # learners entered more than once
TWICE = 15  # of those, entered three times
TWO_CHANGES = 0.2  # share of duplicates changed twice
DAY_FIRST = 0.15  # share of rows whose date of birth is written DD/MM/YYYY
EMAIL = 0.4  # share of learners with an email address
FIRST_BORN = _dt.date(2004, 9, 3)  # learners aged 16 to 19 on 2 September 2024
LAST_BORN = _dt.date(2008, 9, 2)

COLUMNS = (
    "id",
    "GivenName",
    "FamilyName",
    "DateOfBirth",
    "Gender",
    "LastKnownPostCode",
    "PreviousFamilyName",
    "EmailAddress",
    "cluster",
    "perturbation",
)

MALE = (
    "Oliver", "George", "Harry", "Jack", "Noah", "Charlie", "Thomas", "William", "James",
    "Joseph", "Daniel", "Samuel", "Matthew", "Alexander", "Mohammed", "Dafydd", "David",
    "Rhys", "Owain", "Huw", "Gwilym", "Ieuan", "Evan", "Tomos", "Aled", "Gethin",
    "Callum", "Liam", "Sean", "Kacper", "Jakub", "Robert", "Edward", "Christopher",
)  # fmt: skip
FEMALE = (
    "Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophia", "Grace", "Lily", "Freya",
    "Elizabeth", "Margaret", "Catherine", "Jennifer", "Rebecca", "Samantha", "Siân",
    "Jane", "Sioned", "Ffion", "Cerys", "Megan", "Bethan", "Catrin", "Elin", "Nia",
    "Lowri", "Seren", "Niamh", "Aoife", "Zofia", "Amira", "Hannah", "Mary", "Ellen",
)  # fmt: skip
FAMILY = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
    "Roberts", "Johnson", "Lewis", "Walker", "Robinson", "Wood", "Thompson", "White",
    "Watson", "Jackson", "Wright", "Green", "Harris", "Cooper", "King", "Lee", "Martin",
    "Clarke", "James", "Morgan", "Hughes", "Edwards", "Hill", "Moore", "Clark", "Harrison",
    "Scott", "Young", "Morris", "Hall", "Ward", "Turner", "Carter", "Phillips", "Mitchell",
    "Patel", "Khan", "Ali", "Price", "Pryce", "Powell", "Pugh", "Bowen", "Bevan", "Prosser",
    "Lloyd", "Vaughan", "ap Rhys", "Llywelyn", "Griffiths", "Rees", "Owen", "Jenkins",
    "O'Brien", "MacDonald", "McKay", "Nowak", "Kowalski", "Smith-Jones", "Nguyen", "Okafor",
)  # fmt: skip
DISTRICTS = (
    "CF10", "CF11", "CF14", "CF24", "CF5", "NP20", "SA1", "SA2", "LL57", "SY23",
    "CV4", "B29", "LS6", "M14", "BS8", "NE1",
)  # fmt: skip


def _postcode(rng: random.Random, district: str) -> str:
    letters = POSTCODE_LETTERS["inward"]
    return f"{district} {rng.randrange(10)}{rng.choice(letters)}{rng.choice(letters)}"


def _date(rng: random.Random) -> _dt.date:
    return FIRST_BORN + _dt.timedelta(days=rng.randrange((LAST_BORN - FIRST_BORN).days + 1))


def _email(rng: random.Random, given: str, family: str) -> str:
    def ascii_key(text: str) -> str:
        return "".join(c for c in text.lower() if "a" <= c <= "z")

    return f"{ascii_key(given)}.{ascii_key(family)}{rng.randrange(1, 100)}@example.com"


def _learner(rng: random.Random) -> dict[str, Any]:
    male = rng.random() < 0.5
    given = rng.choice(MALE if male else FEMALE)
    family = rng.choice(FAMILY)
    dob = _date(rng)
    return {
        "GivenName": given,
        "FamilyName": family,
        "DateOfBirth": dob.isoformat(),
        "Gender": "1" if male else "2",
        "LastKnownPostCode": _postcode(rng, rng.choice(DISTRICTS)),
        "PreviousFamilyName": "",
        "EmailAddress": _email(rng, given, family) if rng.random() < EMAIL else "",
    }


def _day_first(row: dict[str, Any]) -> dict[str, Any]:
    text = row["DateOfBirth"]
    if len(text) == 10 and text[4] == "-":
        row = {**row, "DateOfBirth": f"{text[8:]}/{text[5:7]}/{text[:4]}"}
    return row


def make(rng: random.Random) -> tuple[list[dict[str, Any]], Counter[str]]:
    """The rows of the example file (without ids), and how often each kind was applied."""
    originals = [_learner(rng) for _ in range(LEARNERS)]
    rows: list[dict[str, Any]] = []
    kinds: Counter[str] = Counter()
    for number, learner in enumerate(originals, 1):
        cluster = f"C{number:03d}"
        rows.append({**learner, "cluster": cluster, "perturbation": ""})
    duplicated = rng.sample(range(LEARNERS), DUPLICATED)
    for position, which in enumerate(duplicated):
        copies = 2 if position < TWICE else 1
        for _ in range(copies):
            row = dict(originals[which])
            applied = []
            for _ in range(2 if rng.random() < TWO_CHANGES else 1):
                try:
                    kind, row = random_perturbation(row, rng)
                except NotApplicable:  # pragma: no cover - typo always applies here
                    break
                applied.append(kind)
                kinds[kind] += 1
            rows.append({**row, "cluster": f"C{which + 1:03d}", "perturbation": " ".join(applied)})
    rng.shuffle(rows)
    rows = [_day_first(row) if rng.random() < DAY_FIRST else row for row in rows]
    return rows, kinds


def main(folder: Path) -> None:
    """Write ``learners_dedupe.csv`` into ``folder`` and print what it holds."""
    rows, kinds = make(random.Random(SEED))
    path = folder / "learners_dedupe.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
        writer.writeheader()
        for number, row in enumerate(rows, 1):
            writer.writerow({**row, "id": f"L{number:04d}"})
    clusters = Counter(row["cluster"] for row in rows)
    print(
        f"{path}: {len(rows)} rows, {len(clusters)} learners, "
        f"{sum(1 for n in clusters.values() if n > 1)} of them entered more than once"
    )
    print("perturbations: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
