"""Make the example batch files of this folder, with problems planted on purpose.

    python examples/make_examples.py [FOLDER]

Writes, from a fixed seed (the same bytes every run):

* ``LRB_10012345_020920240930.CSV``: a registration batch, version 2A, of 300
  synthetic learners;
* ``LRB_10012345_020920240930.XML``: the same learners as XML;
* ``LRB_10012345_020920240945.CSV``: a version 3A batch of 80 learners with UCIs and
  UPNs;
* ``LRB_10012345_020920240930_OUTPUT.CSV``: an output file for the 2A CSV batch, as
  the register might return it (``uln batch show`` summarises it): each bad row with
  its return code, the good ones found (RC001), registered with a new ULN (RC002) or
  held as possible matches (RC007);
* ``planted.json``: for each file, the problems planted in it (line, return code,
  fields) and the duplicates, which ``uln batch check --on 2024-09-02`` must report,
  and nothing else; and the near-duplicates with typos, which only a matcher sees.

Every learner is made up: names from short lists, random postcodes that follow the
Royal Mail letter rules, dates of birth of learners aged 14 to 24 on 2 September 2024.
The benchmark ``benchmarks/batch_read.py`` uses :func:`synthetic_learner` too.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs

from uln.batch import _csvio, _xmlio, read, write_output
from uln.batch.spec import (
    REQUEST_HEADER,
    VERSIONS,
    XML_COUNT_FIELD,
    Layout,
    file_name,
    output_file_name,
)
from uln.checkdigit import generate
from uln.identifiers import uci, upn

SEED = 20240902
UKPRN = "10012345"
CONTACT = "mis@example-college.ac.uk"
WHEN = _dt.datetime(2024, 9, 2, 9, 30)
WHEN_3A = _dt.datetime(2024, 9, 2, 9, 45)
ON = _dt.date(2024, 9, 2)
"""The processing date the planted age problems assume."""

GIVEN = [
    "Oliver",
    "George",
    "Harry",
    "Jack",
    "Jacob",
    "Noah",
    "Charlie",
    "Muhammad",
    "Thomas",
    "Oscar",
    "William",
    "James",
    "Leo",
    "Alfie",
    "Henry",
    "Joshua",
    "Freddie",
    "Archie",
    "Ethan",
    "Isaac",
    "Alexander",
    "Joseph",
    "Edward",
    "Samuel",
    "Max",
    "Logan",
    "Lucas",
    "Daniel",
    "Theo",
    "Arthur",
    "Mohammed",
    "Harrison",
    "Benjamin",
    "Mason",
    "Finley",
    "Sebastian",
    "Adam",
    "Dylan",
    "Zachary",
    "Riley",
    "Olivia",
    "Amelia",
    "Emily",
    "Isla",
    "Ava",
    "Jessica",
    "Isabella",
    "Lily",
    "Ella",
    "Mia",
    "Sophia",
    "Charlotte",
    "Poppy",
    "Sophie",
    "Grace",
    "Evie",
    "Alice",
    "Scarlett",
    "Freya",
    "Florence",
    "Daisy",
    "Chloe",
    "Phoebe",
    "Matilda",
    "Ruby",
    "Sienna",
    "Evelyn",
    "Sofia",
    "Millie",
    "Eva",
    "Harper",
    "Lucy",
    "Layla",
    "Rosie",
    "Elsie",
    "Emma",
    "Dafydd",
    "Rhys",
    "Gethin",
    "Iolo",
    "Ieuan",
    "Owain",
    "Gwilym",
    "Huw",
    "Aled",
    "Cerys",
    "Ffion",
    "Nia",
    "Seren",
    "Sioned",
    "Siân",
    "Llŷr",
    "Gwenllian",
    "Angharad",
    "Carys",
    "Eleri",
    "Ciarán",
    "Aoife",
    "Niamh",
    "Siobhán",
    "Eoin",
    "Saoirse",
    "Pádraig",
    "Orla",
    "Caoimhe",
    "Ruairí",
    "Mhairi",
    "Eilidh",
    "Ailsa",
    "Callum",
    "Fraser",
    "Lachlan",
    "Struan",
    "Iona",
    "Kirsty",
    "Hamish",
    "Zoë",
    "Chloé",
    "José",
    "Łukasz",
    "Zofia",
    "Agnieszka",
    "Mateusz",
    "Aarav",
    "Priya",
    "Anaya",
    "Arjun",
    "Fatima",
    "Aisha",
]
FAMILY = [
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Lewis",
    "Harris",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Clark",
    "Lee",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Watson",
    "Davis",
    "Parker",
    "Price",
    "Bennett",
    "Young",
    "Griffiths",
    "Mitchell",
    "Kelly",
    "Cook",
    "Carter",
    "Richardson",
    "Bailey",
    "Collins",
    "Bell",
    "Shaw",
    "Murphy",
    "Miller",
    "Cox",
    "Richards",
    "Khan",
    "Marshall",
    "Anderson",
    "Simpson",
    "Ellis",
    "Adams",
    "Singh",
    "Begum",
    "Wilkinson",
    "Foster",
    "Chapman",
    "Powell",
    "Webb",
    "Rogers",
    "Gray",
    "Mason",
    "Ali",
    "Hunt",
    "Hussain",
    "Campbell",
    "Matthews",
    "Owen",
    "Palmer",
    "Holmes",
    "Mills",
    "Barnes",
    "Knight",
    "Lloyd",
    "Butler",
    "Russell",
    "Barker",
    "Fisher",
    "Stevens",
    "Jenkins",
    "Pugh",
    "ap",
    "Rhys",
    "ab",
    "Owen",
    "Llywelyn",
    "Prydderch",
    "Bevan",
    "Gruffudd",
    "Howells",
    "Vaughan",
    "Meredith",
    "Pritchard",
    "O'Brien",
    "O'Neill",
    "O'Connor",
    "MacDonald",
    "McDonald",
    "Mackenzie",
    "MacLeod",
    "McLean",
    "Fitzgerald",
    "Smith-Jones",
    "Lloyd-Williams",
    "Harding-Rolls",
    "Nowak",
    "Kowalski",
    "Wiśniewska",
    "Müller",
    "Nguyen",
]
# "ap Rhys" and "ab Owen" are split above; put the particles back on their names.
FAMILY = tuple(
    f"{FAMILY[i - 1]} {name}" if FAMILY[i - 1] in ("ap", "ab") else name
    for i, name in enumerate(FAMILY)
    if name not in ("ap", "ab")
)
TOWNS = [
    "Coventry",
    "Cardiff",
    "Swansea",
    "Bangor",
    "Wrexham",
    "Belfast",
    "Derry",
    "Leeds",
    "Manchester",
    "Birmingham",
    "Bristol",
    "Norwich",
    "York",
    "Lincoln",
    "Carlisle",
    "Aberystwyth",
    "Newport",
    "Chester",
    "Exeter",
    "Truro",
]
AREAS = ("CV", "CF", "SA", "LL", "BT", "LS", "M", "B", "BS", "NR", "YO", "LN", "CA", "SY", "NP")
INWARD = "ABDEFGHJLNPQRSTUWXYZ"
SCHOOLS = ("Ysgol Gyfun Gymraeg", "St Mary's High School", "Castle Academy", "")


def _postcode(rng: random.Random) -> str:
    area = rng.choice(AREAS)
    district = rng.randint(1, 29)
    inward = f"{rng.randint(0, 9)}{rng.choice(INWARD)}{rng.choice(INWARD)}"
    return f"{area}{district} {inward}"


def synthetic_learner(rng: random.Random, n: int, *, version: str = "2A") -> dict[str, str]:
    """One made-up learner as the cells of a batch row, by column name.

    About a third have a ULN, half an email address, a fifth a title and an address.
    """
    given = rng.choice(GIVEN)
    family = rng.choice(FAMILY)
    born = ON - _dt.timedelta(days=rng.randint(14 * 366, 24 * 365))
    row = dict.fromkeys(VERSIONS[version].names, "")
    row.update(
        {
            "MISIdentifier": f"STU{n:06d}",
            "GivenName": given,
            "FamilyName": family,
            "LastKnownPostCode": _postcode(rng),
            "DateOfBirth": born.isoformat(),
            "Gender": rng.choice("1122129"),
            "VerificationType": rng.choice("0012"),
        }
    )
    if version == "2A":
        row["AbilityToShare"] = rng.choice("1112")
    else:
        row["PrivacyNoticeSeen"] = rng.choice("11110")
    if rng.random() < 0.33:
        row["ULN"] = generate(rng)
    if rng.random() < 0.5:
        ascii_given = given.encode("ascii", "ignore").decode() or "learner"
        row["EmailAddress"] = f"{ascii_given.lower()}.{n}@example.ac.uk"
    if rng.random() < 0.2:
        row["Title"] = rng.choice(("Mr", "Ms", "Miss", "Mx"))
        row["LastKnownAddressLine1"] = f"{rng.randint(1, 200)} High Street"
        row["LastKnownAddressTown"] = rng.choice(TOWNS)
    if rng.random() < 0.1:
        row["MiddleOtherName" if version == "2A" else "MiddleNames"] = rng.choice(GIVEN)
        row["SchoolAtAge16"] = rng.choice(SCHOOLS)
    if version == "3A" and rng.random() < 0.7:
        row["UPN"] = _upn(rng)
        if rng.random() < 0.5:
            row["UCI"] = _uci(rng)
    return row


def _upn(rng: random.Random) -> str:
    body = f"{rng.randint(201, 938):03d}{rng.randint(1000, 7999):04d}{rng.randint(0, 99):02d}"
    body += f"{rng.randint(1, 999):03d}"
    return upn.calc_check_digit(body) + body


def _uci(rng: random.Random) -> str:
    body = f"{rng.randint(10000, 99999)}0{rng.randint(10, 24):02d}{rng.randint(1, 9999):04d}"
    return body + uci.calc_check_digit(body)


# -- the planted problems --------------------------------------------------------------

Plant = Callable[[dict[str, str]], None]


def _set(**cells: str) -> Plant:
    def plant(row: dict[str, str]) -> None:
        row.update(cells)

    return plant


def _bad_check_digit(row: dict[str, str]) -> None:
    uln = row["ULN"] or "3344556680"
    row["ULN"] = uln[:9] + str((int(uln[9]) + 1) % 10)


# (what is wrong, the change, the code, the fields named)
PROBLEMS_2A: tuple[tuple[str, Plant, str, tuple[str, ...]], ...] = (
    ("a digit in a name", _set(GivenName="J0hn"), "RC011", ("GivenName",)),
    ("no family name", _set(FamilyName=""), "RC006", ("FamilyName",)),
    ("a day-first date", _set(DateOfBirth="18/04/2006"), "RC011", ("DateOfBirth",)),
    ("aged 9", _set(DateOfBirth="2015-05-01"), "RC013", ("DateOfBirth",)),
    ("born in 1900", _set(DateOfBirth="1900-01-01"), "RC013", ("DateOfBirth",)),
    ("an inward code with C", _set(LastKnownPostCode="CV4 9EC"), "RC011", ("LastKnownPostCode",)),
    ("gender as a letter", _set(Gender="M"), "RC011", ("Gender",)),
    ("a wrong check digit", _bad_check_digit, "RC011", ("ULN",)),
    ("a NI number as MIS id", _set(MISIdentifier="AB123456C"), "RC011", ("MISIdentifier",)),
    (
        "type 999 without description",
        _set(VerificationType="999"),
        "RC006",
        ("OtherVerificationDescription",),
    ),
    ("a broken email", _set(EmailAddress="jo..smith@example"), "RC011", ("EmailAddress",)),
    (
        "a formula as a name",
        _set(GivenName='=HYPERLINK("http://example.com","x")'),
        "RC011",
        ("GivenName",),
    ),
    ("sharing code 3", _set(AbilityToShare="3"), "RC011", ("AbilityToShare",)),
    (
        "no given name and a bad postcode",
        _set(GivenName="", LastKnownPostCode="nowhere"),
        "RC006",
        ("GivenName", "LastKnownPostCode"),
    ),
)

PROBLEMS_3A: tuple[tuple[str, Plant, str, tuple[str, ...]], ...] = (
    ("a UPN with a wrong check letter", _set(UPN="A801200005001"), "RC012", ("UPN",)),
    ("a UCI with a wrong check letter", _set(UCI="681990012058H"), "RC012", ("UCI",)),
    ("a UCI of 12 characters", _set(UCI="68199001205G"), "RC012", ("UCI",)),
    (
        "a bad UPN and a bad gender",
        _set(UPN="B80120000500", Gender="F"),
        "RC011",
        ("Gender", "UPN"),
    ),
    ("sharing code 2 in 3A", _set(PrivacyNoticeSeen="2"), "RC011", ("PrivacyNoticeSeen",)),
)


def _typo(name: str, rng: random.Random) -> str:
    """Swap two adjacent letters: the kind of typo only a matcher sees."""
    i = rng.randrange(1, max(2, len(name) - 2))
    typo = name[:i] + name[i + 1 : i + 2] + name[i : i + 1] + name[i + 2 :]
    return typo if typo != name else name + name[-1]


class Example:
    """The learner rows of one example, and what was planted in it."""

    def __init__(self, version: str, count: int, rng: random.Random) -> None:
        self.layout: Layout = VERSIONS[version]
        self.rows = [synthetic_learner(rng, n + 1, version=version) for n in range(count)]
        self.planted: dict[int, tuple[str, str, tuple[str, ...]]] = {}  # row -> problem
        self.duplicates: dict[int, tuple[int, str]] = {}  # row -> (first row, kind)
        self.near: dict[int, int] = {}  # row -> row it is a typo of
        self._reserved: set[int] = set()

    def plant(
        self, rng: random.Random, problems: tuple[tuple[str, Plant, str, tuple[str, ...]], ...]
    ) -> None:
        rows = rng.sample(range(5, len(self.rows) - 5), len(problems))
        for index, (what, change, code, fields) in zip(rows, problems, strict=True):
            change(self.rows[index])
            self.planted[index] = (what, code, fields)

    def free(self, rng: random.Random) -> int:
        """A row no problem or duplicate has touched yet; it is reserved from now on."""
        while True:
            index = rng.randrange(len(self.rows))
            if index not in self._reserved and index not in self.planted:
                self._reserved.add(index)
                return index

    def duplicate(self, rng: random.Random) -> None:
        """One learner twice under two MIS ids; one MIS id on two learners; two typos."""
        first, second = sorted((self.free(rng), self.free(rng)))
        mis = self.rows[second]["MISIdentifier"]
        self.rows[second] = dict(self.rows[first], MISIdentifier=mis, ULN="")
        self.duplicates[second] = (first, "learner")
        first, second = sorted((self.free(rng), self.free(rng)))
        self.rows[second]["MISIdentifier"] = self.rows[first]["MISIdentifier"]
        self.duplicates[second] = (first, "MISIdentifier")
        for _ in range(2):
            first, second = sorted((self.free(rng), self.free(rng)))
            mis = self.rows[second]["MISIdentifier"]
            typo = _typo(self.rows[first]["FamilyName"], rng)
            self.rows[second] = dict(self.rows[first], MISIdentifier=mis, FamilyName=typo, ULN="")
            self.near[second] = first

    def cells(self, index: int) -> list[str]:
        return [self.rows[index][name] for name in self.layout.names]


def _csv(
    example: Example, name: str, extra: Callable[[int, str], str] | None = None
) -> tuple[bytes, dict[int, int]]:
    """The CSV file, and the line of each row."""
    out = io.StringIO(newline="")
    header = [example.layout.version, name, UKPRN, CONTACT]
    _csvio.write_rows(out, [list(REQUEST_HEADER), header, list(example.layout.names)])
    lines = {}
    for index in range(len(example.rows)):
        row = io.StringIO(newline="")
        _csvio.write_rows(row, [example.cells(index)])
        text = row.getvalue()
        if extra is not None:
            text = extra(index, text)
        lines[index] = out.getvalue().count("\n") + 1
        out.write(text)
    return out.getvalue().encode("utf-8"), lines


def _xml(example: Example, name: str, oddities: dict[int, str]) -> tuple[bytes, dict[int, int]]:
    """The XML file, one learner a line, and the line of each row."""
    root = example.layout.xml_root
    lines_out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<{root}>",
        f"  <{_xmlio.HEADER}>",
        f"    <FileVersion>{example.layout.version}</FileVersion>",
        f"    <FileName>{name}</FileName>",
        f"    <UKPRN>{UKPRN}</UKPRN>",
        f"    <ContactEmail>{CONTACT}</ContactEmail>",
        f"    <{XML_COUNT_FIELD}>{len(example.rows)}</{XML_COUNT_FIELD}>",
        f"  </{_xmlio.HEADER}>",
        f"  <{_xmlio.LEARNERS}>",
    ]
    lines = {}
    for index in range(len(example.rows)):
        cells = "".join(
            f"<{column}>{_xmlio.escape(_csvio.neutralise(value))}</{column}>"
            for column, value in zip(example.layout.names, example.cells(index), strict=True)
            if value
        )
        cells += oddities.get(index, "")
        lines[index] = len(lines_out) + 1
        lines_out.append(f"    <{_xmlio.LEARNER}>{cells}</{_xmlio.LEARNER}>")
    lines_out += [f"  </{_xmlio.LEARNERS}>", f"</{root}>", ""]
    return "\n".join(lines_out).encode("utf-8"), lines


def _report(
    example: Example, lines: dict[int, int], extra: dict[int, tuple[str, str, tuple[str, ...]]]
) -> dict[str, object]:
    planted = {**example.planted, **extra}
    return {
        "problems": [
            {"line": lines[i], "code": code, "fields": list(fields), "what": what}
            for i, (what, code, fields) in sorted(planted.items(), key=lambda kv: lines[kv[0]])
        ],
        "duplicates": [
            {"line": lines[i], "first": lines[first], "field": kind}
            for i, (first, kind) in sorted(example.duplicates.items())
        ],
        "near_duplicates": [
            {"line": lines[i], "first": lines[first]} for i, first in sorted(example.near.items())
        ],
    }


def make(folder: Path) -> dict[str, Path]:
    """Write the example files into ``folder``; return them by kind."""
    rng = random.Random(SEED)
    folder.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, object] = {"on": ON.isoformat()}
    written: dict[str, Path] = {}

    example = Example("2A", 300, rng)
    example.plant(rng, PROBLEMS_2A)
    example.duplicate(rng)
    # Two faults a CSV line can have on its own: a lost cell and a quote left open.
    csv_only = {
        example.free(rng): ("a cell missing", "RC011", ("row",)),
        example.free(rng): ("a quote left open", "RC011", ("row",)),
    }
    (lost, open_quote) = csv_only

    def damage(index: int, text: str) -> str:
        if index == lost:
            return text.replace(",", "", 1)
        if index == open_quote:
            return text.replace(",", ',"', 3).replace(',"', ",", 2)
        return text

    name = file_name(UKPRN, WHEN, "CSV")
    data, lines = _csv(example, name, damage)
    (folder / name).write_bytes(data)
    manifest[name] = _report(example, lines, csv_only)
    written["csv_2a"] = folder / name
    output = folder / output_file_name(name)
    output.write_bytes(_output(data, name, random.Random(SEED + 1)))
    written["output_2a"] = output

    # The same learners as XML, with two faults only XML can have instead.
    xml_only = {
        lost: ("an element of no column", "RC011", ("Shoesize",)),
        open_quote: ("an element inside a field", "RC011", ("Notes",)),
    }
    oddities = {lost: "<Shoesize>9</Shoesize>", open_quote: "<Notes>see <b>this</b></Notes>"}
    name = file_name(UKPRN, WHEN, "XML")
    data, lines = _xml(example, name, oddities)
    (folder / name).write_bytes(data)
    manifest[name] = _report(example, lines, xml_only)
    written["xml_2a"] = folder / name

    example = Example("3A", 80, rng)
    example.plant(rng, PROBLEMS_3A)
    name = file_name(UKPRN, WHEN_3A, "CSV")
    data, lines = _csv(example, name)
    (folder / name).write_bytes(data)
    manifest[name] = _report(example, lines, {})
    written["csv_3a"] = folder / name

    (folder / "planted.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    written["planted"] = folder / "planted.json"
    return written


def _output(request: bytes, name: str, rng: random.Random) -> bytes:
    """The output file the register might return for ``request``: a bad row gets the
    code of its problems; a good one RC002 (a new ULN, most of them), RC001 (found,
    with its ULN) or RC007 (possible matches, to resolve by hand)."""
    batch = read(io.BytesIO(request), on=ON)
    entries = []
    for entry in batch.learners:
        if entry.code is not None:
            entries.append(attrs.evolve(entry, return_code=entry.code))
            continue
        code = rng.choices(["RC002", "RC001", "RC007"], weights=[80, 15, 5])[0]
        uln = generate(rng) if code in ("RC001", "RC002") else None
        entries.append(attrs.evolve(entry, return_code=code, uln=uln))
    out = io.BytesIO()
    write_output(
        entries,
        out,
        ukprn=UKPRN,
        request_name=name,
        started=WHEN + _dt.timedelta(hours=2),
        finished=WHEN + _dt.timedelta(hours=2, minutes=7),
    )
    return out.getvalue()


def synthetic_rows(n: int, *, seed: int = SEED, version: str = "2A") -> Iterator[list[str]]:
    """``n`` good learner rows (cells in column order), for benchmarks."""
    rng = random.Random(seed)
    names = VERSIONS[version].names
    for i in range(n):
        row = synthetic_learner(rng, i + 1, version=version)
        yield [row[name] for name in names]


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    for kind, path in make(target).items():
        print(f"{kind}: {path}")
