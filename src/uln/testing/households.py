"""Synthetic households: twins, siblings, cousins and namesakes at one address.

A register must never merge two children of one family: they share a family name, an
address, often an email address and sometimes a birthday, and differ only in a given
name (or in a year of birth). This module makes such households, with given names drawn
from common England and Wales baby names (the ONS top names of births in England and
Wales, 1996 to 2020, boys and girls; no titles), so that a matcher can be tested on them:
no two members of a household may be linked, while the ordinary duplicates of one member
(a typo, a move, a nickname; see :mod:`uln.testing.perturb`) still are.

Kinds of household (:data:`HOUSEHOLD_KINDS`):

* ``twins``: one family name, date of birth and postcode; two given names, of the same
  or of different sexes.
* ``siblings``: two to four children born at least ten months apart.
* ``cousins``: two children of two brothers living together, born any time apart (even
  on the same day).
* ``namesakes``: a parent and a child with the same given name, born 18 to 40 years apart.

Given names within a household are different names: never equal, never forms of one
person's name (:func:`~uln.demographics.names.are_aliases`), and never one slip of the
keyboard apart with the same first letter (no parent calls two children Lilly and Lily:
no matcher could tell them from one child entered twice). The namesake household is the
exception: the same name, told apart by the date of birth alone.

Plain functions take a :class:`random.Random`; :func:`households` is the Hypothesis
strategy (needs the ``testing`` extra).

>>> import random
>>> home = make_household(random.Random(3), "twins")
>>> home.kind, len(home.members)
('twins', 2)
>>> first, second = home.members
>>> first["family_name"] == second["family_name"], first["postcode"] == second["postcode"]
(True, True)
>>> first["date_of_birth"] == second["date_of_birth"], first["given_name"] != second["given_name"]
(True, True)
"""

from __future__ import annotations

import datetime as _dt
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import attrs

from uln.demographics.names import are_aliases, name_key
from uln.matching.compare import one_slip
from uln.testing.perturb import NotApplicable, perturb

if TYPE_CHECKING:
    from hypothesis import strategies as st

__all__ = [
    "BOYS",
    "FAMILY_NAMES",
    "GIRLS",
    "HOUSEHOLD_KINDS",
    "Household",
    "distinct_names",
    "household_set",
    "households",
    "make_household",
    "make_households",
]

Row = dict[str, Any]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


BOYS: Final[tuple[str, ...]] = _words(
    """
    Oliver George Harry Jack Jacob Noah Charlie Muhammad Thomas Oscar William James Leo
    Alfie Henry Joshua Freddie Archie Ethan Isaac Alexander Joseph Edward Samuel Max
    Daniel Arthur Lucas Mohammed Logan Theo Harrison Benjamin Mason Sebastian Finley
    Adam Dylan Zachary Riley Teddy Theodore David Toby Jake Louie Elijah Reggie Luca
    Jayden Lewis Ryan Callum Kyle Liam Connor Jordan Nathan Bradley Tyler Aaron Kieran
    Cameron Matthew Luke Michael Christopher Jamie Ben Owen Rhys Evan Aiden Kai Ellis
    Rory Hugo Jude Albert Frankie Stanley Elliot Ronnie Tommy Bobby Billy Dexter Caleb
    Kian Kayden Kaden Brandon Declan Shaun Iain Sean Gethin Osian Iwan Dafydd Cai Tomos
    Ieuan Harri Morgan Alex Tom Sam Joe Josh Dominic Aled Carwyn Kadin Kydan Ashton Leon
    Marcus
    """
)
"""Common boys' given names of births in England and Wales (ONS top names, 1996-2020)."""

GIRLS: Final[tuple[str, ...]] = _words(
    """
    Olivia Amelia Isla Ava Emily Isabella Mia Poppy Ella Lily Evie Grace Sophia Sophie
    Charlotte Freya Daisy Alice Ruby Florence Jessica Willow Phoebe Scarlett Chloe Ivy
    Matilda Elsie Sienna Rosie Evelyn Millie Harper Esme Eva Layla Imogen Lucy Emma
    Holly Aisha Zara Maryam Fatima Amira Sian Cerys Ffion Seren Megan Carys Nia Sioned
    Hannah Lauren Rebecca Amy Bethany Jade Rachel Abigail Leah Georgia Katie Ellie Paige
    Shannon Courtney Caitlin Niamh Molly Erin Lacey Brooke Summer Maisie Darcy Harriet
    Martha Eleanor Elizabeth Anna Violet Aria Hallie Orla Jasmine Lola Maya Bella Skye
    Nevaeh Trinity Breana Charli Tegan Elin Lowri Mali Alys Anwen Catrin Gwen Manon
    Nancy Annabelle Heidi Thea Mollie Tilly Lexi Demi Kayla Kelsey Nicole
    """
)
"""Common girls' given names of births in England and Wales (ONS top names, 1996-2020)."""

FAMILY_NAMES: Final[tuple[str, ...]] = _words(
    """
    Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts
    Robinson Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke
    Patel Jackson Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker
    Harrison Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young
    Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy
    Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson
    Foster Chapman Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen
    Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins
    Trent Pugh Bowen Okafor Nowak Kowalski Ahmed Rahman Begum Kaur Gill Sandhu Osei
    """
)
"""Common family names of England and Wales."""

HOUSEHOLD_KINDS: Final[tuple[str, ...]] = ("twins", "siblings", "cousins", "namesakes")
"""The kinds of household :func:`make_household` makes."""

_AREAS: Final = _words("B BS CF CV L LS M NE NG NP S SA SE SW LL LE BD WV SY HR CH WA")
_INWARD: Final = "ABDEFGHJLNPQRSTUWXYZ"


@attrs.frozen
class Household:
    """One household: its kind and its members, each a row of a different learner.

    Rows use the snake_case field names the matcher reads (``given_name``,
    ``family_name``, ``date_of_birth`` as ISO text, ``gender`` 1 or 2, ``postcode``,
    sometimes ``email``).
    """

    kind: str
    members: tuple[Row, ...]


def distinct_names(a: str, b: str) -> bool:
    """Whether two given names are different names a parent may give two children.

    Not equal, not forms of one person's name, and not one slip of the keyboard apart
    (:func:`uln.matching.compare.one_slip`): no matcher can tell Lily and Lilly from one
    child entered twice.

    >>> distinct_names("Shaun", "Iain"), distinct_names("Dai", "Dave")
    (True, False)
    >>> distinct_names("Lily", "Lilly"), distinct_names("Breana", "Ben")
    (False, True)
    """
    x, y = name_key(a).replace(" ", ""), name_key(b).replace(" ", "")
    if not x or not y or x == y or are_aliases(a, b):
        return False
    return not one_slip(x, y)


def _postcode(rng: random.Random) -> str:
    inward = f"{rng.randint(0, 9)}{rng.choice(_INWARD)}{rng.choice(_INWARD)}"
    return f"{rng.choice(_AREAS)}{rng.randint(1, 29)} {inward}"


def _born(rng: random.Random, first: int = 2000, last: int = 2012) -> _dt.date:
    start = _dt.date(first, 1, 1).toordinal()
    return _dt.date.fromordinal(rng.randint(start, _dt.date(last, 12, 31).toordinal()))


def _child(rng: random.Random, taken: Sequence[str]) -> tuple[str, int]:
    while True:
        gender = rng.choice((1, 2))
        name = rng.choice(BOYS if gender == 1 else GIRLS)
        if all(distinct_names(name, other) for other in taken):
            return name, gender


def _row(given: str, family: str, born: _dt.date, gender: int, home: Row) -> Row:
    return {"given_name": given, "family_name": family, "date_of_birth": born.isoformat(),
            "gender": gender, **home}  # fmt: skip


def make_household(rng: random.Random, kind: str | None = None) -> Household:
    """One household of ``kind`` (any of :data:`HOUSEHOLD_KINDS` when None).

    >>> import random
    >>> home = make_household(random.Random(1), "namesakes")
    >>> child, parent = home.members
    >>> child["given_name"] == parent["given_name"]
    True
    >>> child["date_of_birth"] > parent["date_of_birth"]
    True
    """
    kind = kind if kind is not None else rng.choice(HOUSEHOLD_KINDS)
    if kind not in HOUSEHOLD_KINDS:
        raise ValueError(f"kind must be one of {HOUSEHOLD_KINDS}")
    family = rng.choice(FAMILY_NAMES)
    home: Row = {"postcode": _postcode(rng)}
    if rng.random() < 0.3:
        home["email"] = f"{family.lower()}.family{rng.randint(1, 99)}@example.com"
    taken: list[str] = []
    members: list[Row] = []
    if kind == "namesakes":
        name, gender = _child(rng, taken)
        child = _born(rng)
        parent = _dt.date.fromordinal(child.toordinal() - rng.randint(18 * 365, 40 * 365))
        members = [
            _row(name, family, child, gender, home),
            _row(name, family, parent, gender, home),
        ]
        return Household(kind, tuple(members))
    count = 2 if kind == "twins" else rng.randint(2, 4)
    born = _born(rng)
    dates: list[_dt.date] = []
    for i in range(count):
        if kind == "twins" or i == 0:
            day = born
        elif kind == "siblings":  # at least ten months after the one before
            day = _dt.date.fromordinal(dates[-1].toordinal() + rng.randint(300, 6 * 365))
        else:  # cousins: any time apart, even the same day
            day = _dt.date.fromordinal(born.toordinal() + rng.randint(-4 * 365, 4 * 365))
        name, gender = _child(rng, taken)
        taken.append(name)
        dates.append(day)
        members.append(_row(name, family, day, gender, home))
    return Household(kind, tuple(members))


def make_households(rng: random.Random, count: int) -> list[Household]:
    """``count`` households, the kinds taken in turn (twins, siblings, cousins, namesakes).

    >>> import random
    >>> print(*(h.kind for h in make_households(random.Random(0), 5)))
    twins siblings cousins namesakes twins
    """
    return [make_household(rng, HOUSEHOLD_KINDS[i % len(HOUSEHOLD_KINDS)]) for i in range(count)]


def households(kinds: Sequence[str] = HOUSEHOLD_KINDS) -> st.SearchStrategy[Household]:
    """A Hypothesis strategy of households of ``kinds`` (needs the ``testing`` extra).

    >>> from hypothesis import find
    >>> def boy_and_girl(home):
    ...     first, second = home.members
    ...     return first["gender"] != second["gender"]
    >>> print(find(households(["twins"]), boy_and_girl).kind)
    twins
    """
    from hypothesis import strategies as st

    if isinstance(kinds, str) or not kinds or set(kinds) - set(HOUSEHOLD_KINDS):
        raise ValueError(f"kinds must be a non-empty subset of {HOUSEHOLD_KINDS}")
    return st.builds(
        make_household, st.randoms(use_true_random=False), st.sampled_from(tuple(kinds))
    )


def household_set(
    seed: int, count: int
) -> tuple[dict[str, Any], dict[str, tuple[int, int]], dict[str, str], dict[str, str]]:
    """Households of :mod:`uln.testing.households`, with ordinary duplicates of every other
    member (a typo, a move or a nickname in turn): records, the learner of each record,
    the kind of each duplicate and the kind of household of each record.

    >>> records, person, kinds, home_kind = household_set(0, 4)
    >>> person["h0m0d"] == person["h0m0"], home_kind["h0m0"], kinds["h0m0d"]
    (True, 'twins', 'typo')
    """
    rng = random.Random(seed)
    records: dict[str, Any] = {}
    person: dict[str, tuple[int, int]] = {}
    home_kind: dict[str, str] = {}
    for h, home in enumerate(make_households(rng, count)):
        for i, row in enumerate(home.members):
            records[f"h{h}m{i}"] = row
            person[f"h{h}m{i}"] = (h, i)
            home_kind[f"h{h}m{i}"] = home.kind
    kinds: dict[str, str] = {}
    for j, key in enumerate(list(records)):
        if j % 2:
            continue
        kind = ("typo", "move", "nickname")[j // 2 % 3]
        try:
            records[key + "d"] = perturb(records[key], kind, rng)
        except NotApplicable:
            kind = "typo"
            records[key + "d"] = perturb(records[key], kind, rng)
        person[key + "d"] = person[key]
        home_kind[key + "d"] = home_kind[key]
        kinds[key + "d"] = kind
    return records, person, kinds, home_kind
