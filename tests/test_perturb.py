"""Tests of uln.testing.perturb and the perturbed() strategy."""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
from typing import Any

import attrs
import jellyfish
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from uln.demographics.names import are_aliases, name_key, normalise_name
from uln.demographics.postcodes import Postcode
from uln.learner import Demographics, Learner
from uln.testing._perturb_strategies import perturbations, perturbed
from uln.testing.perturb import (
    KEYBOARD_NEIGHBOURS,
    MARRIED_NAMES,
    PERTURBATIONS,
    NotApplicable,
    applicable,
    perturb,
    random_perturbation,
    welsh_forms,
)
from uln.testing.strategies import demographics, learners

ON = dt.date(2024, 9, 1)

DAVID = {
    "GivenName": "David",
    "FamilyName": "Jones",
    "DateOfBirth": "2007-04-09",
    "Gender": "1",
    "LastKnownPostCode": "CF10 1AA",
}
DAVID_D = Demographics.from_raw(DAVID)

CHANGES: dict[str, set[str]] = {
    "typo": {"given_name", "family_name"},
    "transposition": {"given_name", "family_name"},
    "nickname": {"given_name"},
    "welsh_form": {"given_name", "family_name"},
    "name_swap": {"given_name", "family_name"},
    "date_swap": {"date_of_birth"},
    "marriage": {"family_name", "previous_family_name"},
    "move": {"postcode"},
    "missing": {a.name for a in attrs.fields(Demographics)} - {"problems"},
}
"""The fields each kind may change."""


def values(record: Demographics) -> dict[str, Any]:
    return {a.name: getattr(record, a.name) for a in attrs.fields(Demographics)}


def changed_fields(a: Demographics, b: Demographics) -> set[str]:
    va, vb = values(a), values(b)
    return {name for name in va if va[name] != vb[name]}


def seeds() -> st.SearchStrategy[random.Random]:
    return st.randoms(use_true_random=False)


# -- the table -----------------------------------------------------------------------------


def test_the_kinds() -> None:
    assert list(PERTURBATIONS) == [
        "typo",
        "transposition",
        "nickname",
        "welsh_form",
        "name_swap",
        "date_swap",
        "marriage",
        "move",
        "missing",
    ]
    assert all(PERTURBATIONS.values())
    assert set(KEYBOARD_NEIGHBOURS) == set("abcdefghijklmnopqrstuvwxyz")
    for letter, around in KEYBOARD_NEIGHBOURS.items():
        assert letter not in around
        assert all(letter in KEYBOARD_NEIGHBOURS[other] for other in around), letter
    assert all(normalise_name(name) == name for name in MARRIED_NAMES)


# -- every kind on a known learner ---------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_typo_is_one_keyboard_slip(seed: int) -> None:
    out = perturb(DAVID_D, "typo", random.Random(seed))
    (field,) = changed_fields(DAVID_D, out)
    old, new = getattr(DAVID_D, field), getattr(out, field)
    assert jellyfish.levenshtein_distance(old, new) == 1
    if len(new) == len(old):  # a substitution: a key next to the one meant
        (i,) = [i for i in range(len(old)) if old[i] != new[i]]
        assert new[i].lower() in KEYBOARD_NEIGHBOURS[old[i].lower()]
        assert new[i].isupper() == old[i].isupper()


@pytest.mark.parametrize("seed", range(10))
def test_transposition_swaps_two_adjacent_letters(seed: int) -> None:
    out = perturb(DAVID_D, "transposition", random.Random(seed))
    (field,) = changed_fields(DAVID_D, out)
    old, new = getattr(DAVID_D, field), getattr(out, field)
    assert jellyfish.damerau_levenshtein_distance(old.lower(), new.lower()) == 1
    assert sorted(old.lower()) == sorted(new.lower())
    assert new[0].isupper()  # the capital stays in front


@pytest.mark.parametrize("seed", range(10))
def test_nickname_is_an_alias(seed: int) -> None:
    out = perturb(DAVID_D, "nickname", random.Random(seed))
    assert changed_fields(DAVID_D, out) == {"given_name"}
    assert out.given_name is not None
    assert are_aliases("David", out.given_name)


def test_nickname_keeps_the_case_and_the_rest_of_the_name() -> None:
    for seed in range(10):
        upper = perturb({"given_name": "WILLIAM"}, "nickname", random.Random(seed))
        assert upper["given_name"].isupper()
        two = perturb({"given_name": "william  Henry"}, "nickname", random.Random(seed))
        assert two["given_name"].endswith("  Henry")
        assert two["given_name"].split()[0].islower()


def test_nickname_leaves_out_latin_and_foreign_forms() -> None:
    found = {
        perturb({"given_name": "William"}, "nickname", random.Random(seed))["given_name"]
        for seed in range(300)
    }
    assert {"Bill", "Will", "Gwilym"} <= found
    assert not found & {"Gulielmus", "Guillaume", "Wilhelm", "Willelmus"}


@pytest.mark.parametrize(
    ("given", "family", "expected"),
    [
        ("David", "Smith", {"Dafydd", "Dewi"}),
        ("Dafydd", "Smith", {"David"}),
        ("Siân", "Smith", {"Jane"}),
        ("Hugh", "Smith", {"Huw"}),
        ("William", "Smith", {"Gwilym"}),
        ("Zoë", "ap Rhys", {"Price", "Pryce", "Rees", "Rhys", "ab Rhys", "Preece"}),
        ("Zoë", "Bowen", {"ab Owen", "ap Owain", "Owen"}),
    ],
)
def test_welsh_form(given: str, family: str, expected: set[str]) -> None:
    record = Demographics.from_raw({**DAVID, "GivenName": given, "FamilyName": family})
    found = set()
    for seed in range(100):
        out = perturb(record, "welsh_form", random.Random(seed))
        found.add(out.given_name if out.given_name != given else out.family_name)
    assert expected <= found


def test_welsh_forms_table() -> None:
    assert "DAVID" in welsh_forms("Dafydd")
    assert "SION" in welsh_forms("John") or "IEUAN" in welsh_forms("Evan")
    assert welsh_forms("Gwenllïan") == ("GWEN",)
    assert "THOMAS" in welsh_forms("Tomos")
    assert welsh_forms("Ffion") == ()


def test_name_swap_date_swap_marriage_and_move() -> None:
    rng = random.Random(0)
    swapped = perturb(DAVID_D, "name_swap", rng)
    assert (swapped.given_name, swapped.family_name) == ("Jones", "David")
    assert perturb(DAVID_D, "date_swap", rng).date_of_birth == dt.date(2007, 9, 4)
    married = perturb(DAVID_D, "marriage", rng)
    assert married.previous_family_name == "Jones"
    assert married.family_name in MARRIED_NAMES
    assert name_key(married.family_name) != "JONES"
    moved = perturb(DAVID_D, "move", rng)
    assert moved.postcode is not None
    assert moved.postcode.district == "CF10"
    assert moved.postcode != DAVID_D.postcode


@pytest.mark.parametrize(
    ("text", "swapped"),
    [
        ("2007-04-09", "2007-09-04"),
        ("20070409", "20070904"),
        ("09/04/2007", "04/09/2007"),
        ("9/4/2007", "4/9/2007"),
        ("9.04.2007", "04.9.2007"),
        (" 09-04-2007 ", "04-09-2007"),
    ],
)
def test_date_swap_keeps_the_form_of_the_date(text: str, swapped: str) -> None:
    assert perturb({"shoe_size": "x", "DateOfBirth": text}, "date_swap", random.Random(0)) == {
        "shoe_size": "x",
        "DateOfBirth": swapped,
    }


@pytest.mark.parametrize("text", ["2007-04-13", "2007-04-04", "13/04/2007", "2007-02-30", "soon"])
def test_date_swap_only_when_the_swapped_date_exists_and_differs(text: str) -> None:
    with pytest.raises(NotApplicable, match=r"^date_swap: "):
        perturb({"date_of_birth": text}, "date_swap", random.Random(0))


@pytest.mark.parametrize("postcode", ["BFPO 12", "ZZ99 9ZZ", "GIR 0AA", "75001", "", None, 42])
def test_move_needs_a_geographic_postcode(postcode: Any) -> None:
    with pytest.raises(NotApplicable, match=r"^move: "):
        perturb({"postcode": postcode}, "move", random.Random(0))


def test_missing() -> None:
    with pytest.raises(NotApplicable, match=r"^missing: "):
        perturb(DAVID_D, "missing", random.Random(0))  # only find fields: none optional
    with_email = attrs.evolve(DAVID_D, email="dai@example.com")
    assert perturb(with_email, "missing", random.Random(0)) == DAVID_D
    blanks = {
        next(k for k, v in perturb(DAVID, "missing", random.Random(seed)).items() if v == "")
        for seed in range(100)
    }
    assert blanks == set(DAVID)
    assert perturb({"gender": 1}, "missing", random.Random(0)) == {"gender": None}


def test_not_applicable_says_why_without_the_values() -> None:
    record = {"given_name": "Ffion", "family_name": "Ffion", "date_of_birth": "2001-02-13"}
    for kind in ("nickname", "welsh_form", "name_swap", "date_swap", "move"):
        with pytest.raises(NotApplicable) as info:
            perturb(record, kind, random.Random(0))
        assert info.value.kind == kind
        assert "Ffion" not in str(info.value)
        assert "2001" not in str(info.value)
    assert applicable(record) == ("typo", "transposition", "marriage", "missing")
    assert applicable({}) == ()
    with pytest.raises(NotApplicable):
        random_perturbation({}, random.Random(0))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        perturb(DAVID, "haircut", random.Random(0))
    with pytest.raises(ValueError, match="kinds must be"):
        applicable(DAVID, ["haircut"])
    with pytest.raises(TypeError, match="not list"):
        perturb([], "typo", random.Random(0))  # type: ignore[call-overload]


def test_rows_keep_their_keys_and_are_not_changed() -> None:
    original = dict(DAVID)
    married = perturb(original, "marriage", random.Random(0))
    assert original == DAVID
    assert married["PreviousFamilyName"] == "Jones"
    snake = perturb({"given_name": "Jo", "family_name": "Bloggs"}, "marriage", random.Random(0))
    assert snake["previous_family_name"] == "Bloggs"
    squashed = perturb({"Family Name": "Bloggs", "Previous family name": "X"}, "marriage",
                       random.Random(0))  # fmt: skip
    assert squashed["Previous family name"] == "Bloggs"
    assert (
        perturb({"given_name": "David", "shoe_size": 9}, "nickname", random.Random(0))["shoe_size"]
        == 9
    )


# -- properties over every learner ---------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(demographics(on=ON), st.sampled_from(list(PERTURBATIONS)), seeds())
def test_a_valid_learner_stays_valid_and_only_the_kinds_fields_change(
    learner: Demographics, kind: str, rng: random.Random
) -> None:
    if kind not in applicable(learner):
        with pytest.raises(NotApplicable):
            perturb(learner, kind, rng)
        return
    out = perturb(learner, kind, rng)
    assert isinstance(out, Demographics)
    assert out.is_complete
    assert Demographics.from_raw(out.to_dict()) == out  # every value in its normal form
    changed = changed_fields(learner, out)
    assert changed
    assert changed <= CHANGES[kind]
    if kind == "missing":
        assert len(changed) == 1
        assert not changed & set(Demographics.MANDATORY)


@settings(max_examples=100, deadline=None)
@given(demographics(on=ON), st.sampled_from(list(PERTURBATIONS)), seeds())
def test_a_readable_row_stays_readable(
    learner: Demographics, kind: str, rng: random.Random
) -> None:
    row = learner.to_dict()
    if kind not in applicable(row):
        return
    out = perturb(row, kind, rng)
    assert out != row
    assert set(row) <= set(out)
    back = Demographics.from_raw(out, strict=False)
    if kind == "missing":
        assert len([p for p in back.problems if p.rule == "a value is required"]) <= 1
    else:
        assert not back.problems


@settings(max_examples=100, deadline=None)
@given(demographics(on=ON), st.integers(0, 2**32))
def test_whether_a_kind_applies_does_not_depend_on_the_random_choices(
    learner: Demographics, seed: int
) -> None:
    kinds = applicable(learner)
    for kind in PERTURBATIONS:
        try:
            perturb(learner, kind, random.Random(seed))
        except NotApplicable:
            assert kind not in kinds
        else:
            assert kind in kinds


@settings(max_examples=30, deadline=None)
@given(learners(), seeds())
def test_a_learner_keeps_everything_but_its_demographics(
    learner: Learner, rng: random.Random
) -> None:
    kind, out = random_perturbation(learner, rng)
    assert attrs.evolve(out, demographics=learner.demographics) == learner
    assert changed_fields(learner.demographics, out.demographics) <= CHANGES[kind]


# -- the strategies ------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(perturbations(demographics(on=ON), kinds=["date_swap", "move"]))
def test_perturbations_strategy_draws_only_the_kinds_asked(pair: tuple[str, Demographics]) -> None:
    kind, learner = pair
    assert kind in ("date_swap", "move")
    assert learner.is_complete


@settings(max_examples=20, deadline=None)
@given(perturbed(DAVID_D, kinds=["nickname"]))
def test_perturbed_of_a_fixed_learner(learner: Demographics) -> None:
    assert learner.given_name is not None
    assert are_aliases(learner.given_name, "David")


@pytest.mark.parametrize("kinds", [[], ["haircut"], "typo"])
def test_perturbed_checks_the_kinds(kinds: Any) -> None:
    with pytest.raises(ValueError, match="kinds must be"):
        perturbed(DAVID_D, kinds=kinds)


def test_perturbed_of_a_record_no_kind_applies_to() -> None:
    @settings(max_examples=5, deadline=None)
    @given(perturbed({"given_name": "Jo"}, kinds=["date_swap", "move"]))
    def never(learner: dict[str, Any]) -> None:
        raise AssertionError("no perturbation applies")

    with pytest.raises(Unsatisfiable):
        never()


def test_postcode_objects_in_rows_stay_objects() -> None:
    out = perturb({"postcode": Postcode.parse("CV4 9EE")}, "move", random.Random(0))
    assert isinstance(out["postcode"], Postcode)
    assert out["postcode"].district == "CV4"


def test_perturb_needs_neither_hypothesis_nor_click() -> None:
    code = (
        "import random, sys\n"
        "sys.modules['hypothesis'] = None\n"
        "sys.modules['click'] = None\n"
        "from uln.testing.perturb import perturb\n"
        "import uln.matching\n"
        "print(perturb({'given_name': 'Jo'}, 'missing', random.Random(0)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "{'given_name': ''}"
