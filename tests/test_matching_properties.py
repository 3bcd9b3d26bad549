"""The matcher's rules, stated as properties over realistic learners and perturbations.

* One realistic perturbation (uln.testing.perturb) keeps a learner findable: a search
  for the changed record against an index holding the original among other learners
  is an exact or possible match, and returns the original.
* A learner whose names and date of birth are clearly different is never an exact
  match, even when they share gender and postcode (a neighbour), or also email, place
  of birth, school and middle names (a household).
* A twin with a clearly different given name is not an exact match (the matcher's
  twin rule keeps such pairs to possible matches).
* ``compare`` is symmetric.
* Agreeing on one more field never lowers the probability below the possible threshold
  (a pair returned for review stays returned): filling in a missing field with the other
  record's value (with and without term frequencies), or replacing the value of a field
  compared only with its counterpart. Without the twin and household rules, agreeing on
  a field compared only with its counterpart never lowers the probability at all (a
  filled-in name can: a given name like the other's family name is a swap only while
  the family names do not agree); with the rules, agreeing on a family name or an address can
  rightly hold a pair at a possible match (two children of one household).

"Clearly different" is defined on the raw values, not by the matcher's levels.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import attrs
import jellyfish
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from uln.demographics.names import are_aliases, name_key, name_parts, patronymic_equivalents
from uln.demographics.postcodes import Postcode
from uln.enums import Gender
from uln.learner import Demographics
from uln.matching import (
    CandidateIndex,
    MatchConfig,
    Matcher,
    Outcome,
    TermFrequencies,
    match_record,
)
from uln.testing._perturb_strategies import perturbations
from uln.testing.perturb import PERTURBATIONS
from uln.testing.strategies import demographics, given_names

MATCHER = Matcher()
NO_RULES = Matcher(MatchConfig.default().evolve(twin_rule=False, household_rule=False))
POSSIBLE = math.log2(MATCHER.config.possible_threshold / (1 - MATCHER.config.possible_threshold))


def _never_lowers(before: Any, after: Any, *, rules: bool = True) -> None:
    """``after`` (one more field agreeing) is at least ``before``, or the possible weight."""
    floor = min(before.match_weight, POSSIBLE) if rules else before.match_weight
    assert after.match_weight >= floor - 1e-9, (before.explain(), after.explain())


FOUND = (Outcome.EXACT, Outcome.POSSIBLE)
ON = dt.date(2024, 9, 1)  # ages are counted on this day, so that runs repeat

learners = demographics(on=ON)
learners_find_fields_only = demographics(on=ON, optional_fields=False)


def row(learner: Demographics) -> dict[str, Any]:
    """The learner as a plain row (snake_case keys; ISO date; gender code; postcode text)."""
    return learner.to_dict()


# -- what "clearly different" means --------------------------------------------------------


def _name_keys(learner: Demographics) -> list[str]:
    names = (learner.given_name, learner.family_name, learner.previous_family_name)
    return [key for name in names if (key := name_key(name))]


def _alike(a: str, b: str) -> bool:
    """Whether two name keys could be one name: shared part, alias, patronymic, sound, spelling."""
    if a == b or set(a.split()) & set(b.split()):
        return True
    if are_aliases(a.split()[0], b.split()[0]) or b in patronymic_equivalents(a):
        return True
    ca, cb = a.replace(" ", ""), b.replace(" ", "")
    return (
        jellyfish.metaphone(ca) == jellyfish.metaphone(cb)
        or jellyfish.nysiis(ca) == jellyfish.nysiis(cb)
        or jellyfish.soundex(ca) == jellyfish.soundex(cb)
        or jellyfish.jaro_winkler_similarity(ca, cb) >= 0.8
        or (min(len(ca), len(cb)) == 1 and ca[0] == cb[0])
    )


def _dates_alike(a: dt.date | None, b: dt.date | None) -> bool:
    """Same date, day and month swapped, at most two digits different, or within a year."""
    if a is None or b is None:
        return False
    da, db = a.strftime("%Y%m%d"), b.strftime("%Y%m%d")
    swapped = a.year == b.year and a.month == b.day and a.day == b.month
    return (
        swapped or sum(x != y for x, y in zip(da, db, strict=True)) <= 2 or abs(a - b).days <= 366
    )


def clearly_different(a: Demographics, b: Demographics) -> bool:
    """No name of one is alike any name of the other, and the dates of birth are not alike.

    Defined on the raw values (name keys, phonetic codes, Jaro-Winkler, aliases), not by
    the matcher's levels, so that the property below tests the matcher.
    """
    if _dates_alike(a.date_of_birth, b.date_of_birth):
        return False
    return not any(_alike(x, y) for x in _name_keys(a) for y in _name_keys(b))


# -- 1. one perturbation keeps a learner findable -----------------------------------------


@st.composite
def _findable_case(
    draw: st.DrawFn, kind: str
) -> tuple[Demographics | dict[str, Any], Demographics | dict[str, Any], list[dict[str, Any]]]:
    learner = draw(learners)
    # rows may lose a find field ("missing"); Demographics only optional ones
    original: Demographics | dict[str, Any] = draw(st.sampled_from([learner, row(learner)]))
    changed = draw(perturbations(original, kinds=[kind]))[1]
    others = [row(other) for other in draw(st.lists(learners_find_fields_only, max_size=4))]
    return original, changed, others


@pytest.mark.parametrize("kind", list(PERTURBATIONS))
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_one_perturbation_keeps_a_learner_findable(kind: str, data: st.DataObject) -> None:
    original, changed, others = data.draw(_findable_case(kind))
    records: dict[str, Any] = {"original": original}
    records.update({f"other {i}": other for i, other in enumerate(others)})
    index = CandidateIndex.from_records(records)
    why = MATCHER.compare(changed, original, frequencies=index.frequencies).explain()
    result = MATCHER.search(changed, index)
    assert result.outcome in FOUND, why
    assert "original" in [match.id for match in result.matches], why
    # and the other way round: the changed record in the register, the original searched
    index.remove("original")
    index.add("changed", changed)
    result = MATCHER.search(original, index)
    assert result.outcome in FOUND, why
    assert "changed" in [match.id for match in result.matches], why


# -- 2. a clearly different learner is never an exact match --------------------------------


@st.composite
def _stranger(
    draw: st.DrawFn, strategy: st.SearchStrategy[Demographics], shared: tuple[str, ...]
) -> tuple[Demographics, Demographics]:
    query = draw(strategy)
    other = draw(strategy.filter(lambda d: clearly_different(query, d)))
    copied = draw(st.sets(st.sampled_from(shared)))
    return query, attrs.evolve(other, **{field: getattr(query, field) for field in copied})


@settings(max_examples=60, deadline=None)
@given(
    _stranger(learners_find_fields_only, ("gender", "postcode")),
    st.lists(learners_find_fields_only, max_size=4),
)
def test_a_clearly_different_neighbour_is_never_an_exact_match(
    pair: tuple[Demographics, Demographics], others: list[Demographics]
) -> None:
    query, stranger = pair
    records: dict[str, Any] = {"stranger": stranger}
    records.update({i: other for i, other in enumerate(others) if clearly_different(query, other)})
    result = MATCHER.search(query, CandidateIndex.from_records(records))
    assert result.outcome is not Outcome.EXACT, MATCHER.compare(query, stranger).explain()
    assert not MATCHER.compare(query, stranger).is_match


HOUSEHOLD = ("gender", "postcode", "email", "place_of_birth", "school_at_16", "middle_names")

_SIBLING = Demographics(
    given_name="Oliver",
    family_name="Evans",
    date_of_birth=dt.date(2006, 3, 14),
    gender=Gender.MALE,
    postcode=Postcode.parse("CF14 3NR"),
    email="evans.family@example.com",
    place_of_birth="Cardiff",
)
_OTHER_SIBLING = Demographics(
    given_name="Gethin",
    family_name="Price",
    date_of_birth=dt.date(2009, 11, 27),
    gender=Gender.MALE,
    postcode=Postcode.parse("CF14 3NR"),
    email="evans.family@example.com",
    place_of_birth="Cardiff",
)


@settings(max_examples=60, deadline=None)
@example((_SIBLING, _OTHER_SIBLING))
@given(_stranger(learners, HOUSEHOLD))
def test_a_clearly_different_learner_of_the_same_household_is_never_an_exact_match(
    pair: tuple[Demographics, Demographics],
) -> None:
    query, stranger = pair
    result = MATCHER.search(query, {"stranger": stranger})
    assert result.outcome is not Outcome.EXACT, MATCHER.compare(query, stranger).explain()


_OLIVER = Demographics.from_raw(
    {"GivenName": "Oliver", "FamilyName": "Evans", "DateOfBirth": "2006-03-14",
     "Gender": "1", "LastKnownPostCode": "CF14 3NR"}
)  # fmt: skip


@st.composite
def _twins(draw: st.DrawFn) -> tuple[Demographics, Demographics]:
    learner = draw(learners_find_fields_only)
    assert learner.given_name is not None
    given = draw(
        given_names().filter(
            lambda name: (
                not _alike(name_key(name), name_key(learner.given_name))
                and name_key(name) not in _name_keys(learner)
            )
        )
    )
    return learner, attrs.evolve(learner, given_name=given)


@settings(max_examples=30, deadline=None)
@example((_OLIVER, attrs.evolve(_OLIVER, given_name="Harry")))
@given(_twins())
def test_a_twin_with_a_clearly_different_given_name_is_not_an_exact_match(
    pair: tuple[Demographics, Demographics],
) -> None:
    learner, twin = pair
    result = MATCHER.search(learner, {"twin": twin})
    assert result.outcome is not Outcome.EXACT, MATCHER.compare(learner, twin).explain()


# -- 3. compare is symmetric ---------------------------------------------------------------


@st.composite
def _pairs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    a = row(draw(learners))
    how = draw(st.sampled_from(["stranger", "perturbed", "twice"]))
    if how == "stranger":
        return a, row(draw(learners))
    b = draw(perturbations(a))[1]
    if how == "twice":
        b = draw(perturbations(b))[1]
    return a, b


@settings(max_examples=60, deadline=None)
@given(_pairs(), st.lists(learners_find_fields_only, max_size=3))
def test_compare_is_symmetric(
    pair: tuple[dict[str, Any], dict[str, Any]], others: list[Demographics]
) -> None:
    a, b = pair
    tf = TermFrequencies.from_records(match_record(r) for r in [a, b, *others])
    for frequencies in (None, tf):
        ab = MATCHER.compare(a, b, frequencies=frequencies)
        ba = MATCHER.compare(b, a, frequencies=frequencies)
        assert [(f.name, f.level) for f in ab.fields] == [(f.name, f.level) for f in ba.fields]
        assert math.isclose(ab.match_weight, ba.match_weight, abs_tol=1e-9)
        assert ab.probability == pytest.approx(ba.probability, abs=1e-12)


# -- 4. agreeing on one more field never lowers the probability ---------------------------

MATCH_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "gender",
    "postcode",
    "previous_family_name",
    "email",
    "place_of_birth",
    "school_at_16",
    "middle_names",
)
OWN_COUNTERPART_ONLY = (
    "date_of_birth",
    "gender",
    "postcode",
    "email",
    "place_of_birth",
    "school_at_16",
    "middle_names",
)
"""Fields compared only with the same field of the other record (names are also
compared crosswise, for swaps and previous names, so replacing a name that agreed
crosswise can rightly lower the score)."""


def _fill(
    pair: tuple[dict[str, Any], dict[str, Any]], field: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """``a``, ``b`` without ``field``, and ``b`` with ``a``'s value of ``field``."""
    a, b = pair
    if a.get(field) in (None, ""):
        a = {**a, field: _some_value(field)}
    without = {k: v for k, v in b.items() if k != field}
    return a, without, {**without, field: a[field]}


@settings(max_examples=60, deadline=None)
@given(_pairs(), st.sampled_from(MATCH_FIELDS))
def test_filling_a_missing_field_with_an_agreeing_value_never_lowers_the_probability(
    pair: tuple[dict[str, Any], dict[str, Any]], field: str
) -> None:
    a, without, agreeing = _fill(pair, field)
    _never_lowers(MATCHER.compare(a, without), MATCHER.compare(a, agreeing))
    if field in OWN_COUNTERPART_ONLY:  # names are also compared crosswise (swaps)
        _never_lowers(NO_RULES.compare(a, without), NO_RULES.compare(a, agreeing), rules=False)


_MARRIED = (
    {"given_name": "Al", "family_name": "A'Court", "date_of_birth": "2000-01-01",
     "gender": 0, "postcode": "A0 0AA"},
    {"given_name": "Al", "family_name": "Smith", "date_of_birth": "2000-01-01",
     "gender": 0, "postcode": "A0 0AA", "previous_family_name": "A'Court"},
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@example(_MARRIED, "family_name", [])
@given(_pairs(), st.sampled_from(MATCH_FIELDS), st.lists(learners_find_fields_only, max_size=3))
def test_filling_a_missing_field_never_lowers_the_probability_with_term_frequencies(
    pair: tuple[dict[str, Any], dict[str, Any]], field: str, others: list[Demographics]
) -> None:
    a, without, agreeing = _fill(pair, field)
    tf = TermFrequencies.from_records(match_record(r) for r in [*pair, *others])
    strict = field in OWN_COUNTERPART_ONLY  # names are also compared crosswise (swaps)
    for matcher, rules in ((MATCHER, True), (NO_RULES, False))[: 2 if strict else 1]:
        before = matcher.compare(a, without, frequencies=tf)
        after = matcher.compare(a, agreeing, frequencies=tf)
        _never_lowers(before, after, rules=rules)


@settings(max_examples=60, deadline=None)
@given(_pairs(), st.sampled_from(OWN_COUNTERPART_ONLY))
def test_replacing_a_value_with_an_agreeing_one_never_lowers_the_probability(
    pair: tuple[dict[str, Any], dict[str, Any]], field: str
) -> None:
    a, b = pair
    if a.get(field) in (None, ""):
        a = {**a, field: _some_value(field)}
    agreeing = {**b, field: a[field]}
    _never_lowers(MATCHER.compare(a, b), MATCHER.compare(a, agreeing))
    _never_lowers(NO_RULES.compare(a, b), NO_RULES.compare(a, agreeing), rules=False)


def _some_value(field: str) -> Any:
    return {
        "given_name": "Ffion",
        "family_name": "Cadwaladr",
        "date_of_birth": "2007-01-19",
        "gender": 2,
        "postcode": "LL57 2DG",
        "previous_family_name": "Bowen",
        "email": "ffion@example.com",
        "place_of_birth": "Bangor",
        "school_at_16": "Ysgol Tryfan",
        "middle_names": "Haf",
    }[field]


# -- the definitions the properties rest on ---------------------------------------------


def test_clearly_different_is_strict() -> None:
    jo = Demographics.from_raw(
        {"GivenName": "Joanne", "FamilyName": "Bloggs", "DateOfBirth": "2006-04-09",
         "Gender": "F", "LastKnownPostCode": "CV4 9EE"}
    )  # fmt: skip

    def other(**changes: str) -> Demographics:
        raw = {"GivenName": "Harri", "FamilyName": "Okafor", "DateOfBirth": "1990-12-25",
               "Gender": "M", "LastKnownPostCode": "SW1A 1AA"}  # fmt: skip
        return Demographics.from_raw({**raw, **changes})

    assert clearly_different(jo, other())
    assert not clearly_different(jo, other(DateOfBirth="2006-09-04"))  # swapped
    assert not clearly_different(jo, other(DateOfBirth="2007-05-09"))  # two digits
    assert not clearly_different(jo, other(GivenName="Jo"))  # alias
    assert not clearly_different(jo, other(FamilyName="Blogs"))  # sound
    assert not clearly_different(jo, other(FamilyName="Bloggs-Okafor"))  # a shared part
    assert not clearly_different(jo, other(GivenName="Bloggs"))  # crosswise
    assert name_parts("Bloggs-Okafor") == ("BLOGGS", "OKAFOR")


def test_the_household_example_is_clearly_different() -> None:
    assert clearly_different(_SIBLING, _OTHER_SIBLING)
