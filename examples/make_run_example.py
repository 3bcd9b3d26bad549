"""Make ``LRB_10012345_160920241000.CSV``: a registration batch to run against a register.

    python examples/make_run_example.py [FOLDER]

Writes, from a fixed seed (the same bytes every run), the 2A registration batch a
further-education college in Swansea might send in its second week of term: 61 rows,
57 made-up learners aged 16 to 18 who have no ULN yet, and the things a real batch
holds:

* two learners enrolled a second time for another course, under a new MIS identifier,
  one with a typo in the family name and one with a new postcode (the register finds
  the first entry: the learner is not registered twice);
* one learner entered twice with exactly the same details (the same learner again);
* twins: the same family name, date of birth and postcode, another given name (the
  register cannot tell them from one learner with a changed name: a possible match,
  ``RC007``, for a person to resolve with ``uln batch resolve ID --new``);
* a date of birth typed day first (``RC011``, rejected) and an empty family name
  (``RC006``, insufficient data).

Run it against the embedded SQLite register (the README's Quick start)::

    uln batch run examples/LRB_10012345_160920241000.CSV

Every learner is made up: names drawn at random from short lists, postcodes with real
Swansea district codes and random units, email addresses at example.com.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import random
import sys
from pathlib import Path

SEED = 20240916
NAME = "LRB_10012345_160920241000.CSV"
UKPRN = "10012345"
CONTACT = "mis@example-college.ac.uk"
LEARNERS = 56
FIRST_BORN = _dt.date(2005, 9, 1)  # aged 16 to 18 on 16 September 2024
LAST_BORN = _dt.date(2008, 8, 31)

COLUMNS = (
    "ULN", "MISIdentifier", "Title", "GivenName", "PreferredGivenName", "MiddleOtherName",
    "FamilyName", "PreviousFamilyName", "FamilyNameAtAge16", "SchoolAtAge16",
    "LastKnownAddressLine1", "LastKnownAddressLine2", "LastKnownAddressTown",
    "LastKnownAddressCountyOrCity", "LastKnownPostCode", "DateOfAddressCapture",
    "DateOfBirth", "PlaceOfBirth", "EmailAddress", "Gender", "Nationality",
    "ScottishCandidateNumber", "AbilityToShare", "VerificationType",
    "OtherVerificationDescription", "Notes",
)  # fmt: skip
MALE = (
    "Osian", "Elis", "Cai", "Harri", "Macsen", "Ifan", "Jac", "Lewys", "Morgan", "Noah",
    "Leo", "Arthur", "Freddie", "Alfie", "Theo", "Archie", "Ethan", "Kian", "Zain",
    "Tymon", "Mikolaj", "Reuben", "Ellis", "Dylan", "Ryan",
)  # fmt: skip
FEMALE = (
    "Alys", "Efa", "Mali", "Cadi", "Lili", "Gwenllian", "Eira", "Tesni", "Erin", "Ruby",
    "Poppy", "Evie", "Maisie", "Layla", "Aisha", "Maja", "Hollie", "Darcey", "Isabelle",
    "Caitlin", "Anwen", "Mererid", "Heledd", "Nel", "Cari",
)  # fmt: skip
FAMILY = (
    "Bevan", "Prosser", "Vaughan", "Llewellyn", "Meredith", "Gwynne", "Parry", "Rowlands",
    "Howells", "Pritchard", "Gittins", "Beynon", "Protheroe", "Eynon", "Voyle", "Hopkin",
    "Jenkins", "Rees", "Harries", "Mathias", "Mainwaring", "Salisbury", "Penhallow",
    "Baker", "Fisher", "Coleman", "Hussain", "Begum", "Wiśniewski", "Abara", "Ferreira",
    "Lombardi", "Da Silva", "Ó Súilleabháin", "ap Siôn",
)  # fmt: skip
DISTRICTS = ("SA1", "SA2", "SA3", "SA4", "SA5", "SA6", "SA7", "SA8", "SA9", "SA10", "SA11")
LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
SCHOOLS = ("Ysgol Gyfun Gŵyr", "Bishop Vaughan Catholic School", "Olchfa School", "")
TOWNS = ("Swansea", "Neath", "Port Talbot", "Pontarddulais", "Gorseinon")


def _learner(rng: random.Random, n: int) -> dict[str, str]:
    male = rng.random() < 0.5
    given = rng.choice(MALE if male else FEMALE)
    family = rng.choice(FAMILY)
    born = FIRST_BORN + _dt.timedelta(days=rng.randrange((LAST_BORN - FIRST_BORN).days + 1))
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        {
            "MISIdentifier": f"ENR24{n:04d}",
            "GivenName": given,
            "FamilyName": family,
            "LastKnownPostCode": (
                f"{rng.choice(DISTRICTS)} {rng.randrange(10)}{rng.choice(LETTERS)}"
                f"{rng.choice(LETTERS)}"
            ),
            "DateOfBirth": born.isoformat(),
            "Gender": "1" if male else "2",
            "AbilityToShare": rng.choice("1112"),
            "VerificationType": rng.choice("112"),
            "SchoolAtAge16": rng.choice(SCHOOLS),
        }
    )
    if rng.random() < 0.4:
        local = "".join(c for c in f"{given}.{family}".lower() if c.isascii() and c != " ")
        row["EmailAddress"] = f"{local}{rng.randrange(1, 100)}@example.com"
    if rng.random() < 0.3:
        row["LastKnownAddressLine1"] = f"{rng.randrange(1, 120)} Heol {rng.choice(FAMILY)}"
        row["LastKnownAddressTown"] = rng.choice(TOWNS)
    return row


def _typo(name: str, rng: random.Random) -> str:
    """``name`` with two neighbouring letters swapped (not the first)."""
    i = rng.randrange(1, len(name) - 1)
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def rows(rng: random.Random) -> list[dict[str, str]]:
    """The learner rows of the batch, in file order."""
    out: list[dict[str, str]] = []
    seen: set[tuple[str, str, str]] = set()
    while len(out) < LEARNERS:
        row = _learner(rng, len(out) + 1)
        key = (row["GivenName"], row["FamilyName"], row["DateOfBirth"])
        if key not in seen:
            seen.add(key)
            out.append(row)
    again = len(out) + 1
    typo = dict(out[7], MISIdentifier=f"ENR24{again:04d}")
    typo["FamilyName"] = _typo(typo["FamilyName"], rng)
    moved = dict(out[21], MISIdentifier=f"ENR24{again + 1:04d}", LastKnownPostCode="SA1 8PP")
    same = dict(out[33], MISIdentifier=f"ENR24{again + 2:04d}")
    twin = dict(out[3], MISIdentifier=f"ENR24{again + 4:04d}", EmailAddress="")
    names = MALE if twin["Gender"] == "1" else FEMALE
    twin["GivenName"] = rng.choice([n for n in names if n[0] != twin["GivenName"][0]])
    out += [typo, moved, same, twin]
    day_first = out[12]
    y, m, d = day_first["DateOfBirth"].split("-")
    day_first["DateOfBirth"] = f"{d}/{m}/{y}"
    out[40]["FamilyName"] = ""
    out.insert(45, _learner(rng, again + 3))
    return out


def make(folder: Path) -> Path:
    """Write the batch into ``folder``; return its path."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(("FileVersion", "FileName", "UKPRN", "ContactEmail"))
    writer.writerow(("2A", NAME, UKPRN, CONTACT))
    writer.writerow(COLUMNS)
    for row in rows(random.Random(SEED)):
        writer.writerow([row[c] for c in COLUMNS])
    path = folder / NAME
    path.write_bytes(text.getvalue().encode("utf-8"))
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    print(make(target))
