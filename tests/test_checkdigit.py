"""ULN check digit: vectors from docs/rules.md (ULN) and properties of the mod-11 scheme."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import uln
from uln import checkdigit, errors
from uln.testing.strategies import INVALID_ULN_KINDS, invalid_ulns, ulns

DATA = Path(__file__).parent / "data" / "uln.csv"
with DATA.open(encoding="utf-8", newline="") as _f:
    VECTORS = list(csv.DictReader(_f))


def _naive_is_valid(value: str) -> bool:
    """The reference: straight from the rule in docs/rules.md."""
    if len(value) != 10 or any(c not in "0123456789" for c in value) or value[0] == "0":
        return False
    return sum(int(d) * w for d, w in zip(value, range(10, 0, -1), strict=True)) % 11 == 10


def _nhs_is_valid(value: str) -> bool:
    """NHS numbers use weights 10..2 on nine digits and need 11 - r (11 -> 0) to be the last."""
    if len(value) != 10 or not value.isdigit():
        return False
    r = sum(int(d) * w for d, w in zip(value[:9], range(10, 1, -1), strict=True)) % 11
    check = 11 - r
    if check == 11:
        check = 0
    return check != 10 and check == int(value[9])


@pytest.mark.parametrize("row", VECTORS, ids=[repr(r["value"]) for r in VECTORS])
def test_vectors(row: dict[str, str]) -> None:
    if row["expected"]:
        assert checkdigit.validate(row["value"]) == row["expected"]
        assert checkdigit.is_valid(row["value"])
        assert checkdigit.find_invalid([row["value"]]) == []
    else:
        error = getattr(errors, row["error"])
        with pytest.raises(error):
            checkdigit.validate(row["value"])
        assert not checkdigit.is_valid(row["value"])
        [found] = checkdigit.find_invalid([row["value"]])
        assert type(found.error) is error


@pytest.mark.parametrize("value", [None, 3344556680, 3.0, b"3344556680", ["3344556680"]])
def test_non_strings_are_refused_clearly(value: object) -> None:
    with pytest.raises(errors.InvalidFormat, match="must be given as a string"):
        checkdigit.validate(value)  # type: ignore[arg-type]
    assert checkdigit.is_valid(value) is False
    assert [i.index for i in checkdigit.find_invalid([value])] == [0]


def test_placeholder_only_when_asked() -> None:
    assert not checkdigit.is_valid(checkdigit.PLACEHOLDER)
    assert checkdigit.is_valid(checkdigit.PLACEHOLDER, allow_placeholder=True)
    assert checkdigit.validate("9999999999", allow_placeholder=True) == "9999999999"
    assert checkdigit.find_invalid(["9999999999"], allow_placeholder=True) == []
    # the placeholder is not a loophole for other invalid values
    assert not checkdigit.is_valid("9999999997", allow_placeholder=True)


def test_calc_check_digit() -> None:
    assert checkdigit.calc_check_digit("334455668") == "0"
    assert checkdigit.calc_check_digit("927630868") == "6"
    with pytest.raises(errors.InvalidComponent, match="no check digit"):
        checkdigit.calc_check_digit("100000006")
    with pytest.raises(errors.InvalidComponent, match="first digit"):
        checkdigit.calc_check_digit("012345678")
    with pytest.raises(errors.InvalidLength):
        checkdigit.calc_check_digit("12345678")
    with pytest.raises(errors.InvalidFormat):
        checkdigit.calc_check_digit("12345678x")


def test_error_messages_name_the_field_not_the_value() -> None:
    with pytest.raises(errors.ValidationError) as info:
        checkdigit.validate("3344556681")
    assert str(info.value) == "ULN: the check digit does not match"
    assert info.value.field == "ULN"
    assert "3344556681" not in str(info.value)


def test_generate_is_reproducible_with_a_seed() -> None:
    a = [checkdigit.generate(random.Random(7)) for _ in range(3)]
    b = [checkdigit.generate(random.Random(7)) for _ in range(3)]
    assert a == b
    assert all(checkdigit.is_valid(v) for v in a)


def test_top_level_api() -> None:
    assert uln.validate is checkdigit.validate
    assert uln.is_valid is checkdigit.is_valid
    assert uln.generate is checkdigit.generate


@given(st.randoms(use_true_random=False))
def test_generate_round_trips(rng: random.Random) -> None:
    value = checkdigit.generate(rng)
    assert checkdigit.validate(value) == value
    assert value[0] != "0"


@given(ulns(), st.integers(0, 9), st.integers(1, 9))
def test_every_single_digit_substitution_is_caught(value: str, pos: int, delta: int) -> None:
    digit = (int(value[pos]) + delta) % 10
    changed = value[:pos] + str(digit) + value[pos + 1 :]
    assert not checkdigit.is_valid(changed)


@given(ulns(), st.integers(0, 8))
def test_every_adjacent_transposition_is_caught(value: str, pos: int) -> None:
    if value[pos] == value[pos + 1]:
        return
    swapped = value[:pos] + value[pos + 1] + value[pos] + value[pos + 2 :]
    assert not checkdigit.is_valid(swapped)


@given(ulns())
def test_no_valid_uln_is_an_nhs_number(value: str) -> None:
    assert not _nhs_is_valid(value)


@given(st.text(max_size=14) | st.text("0123456789", min_size=10, max_size=10))
def test_fast_path_agrees_with_the_rule(value: str) -> None:
    assert checkdigit.is_valid(value) == _naive_is_valid(
        value.translate({32: None, 45: None, 9: None})
    )
    assert (checkdigit.find_invalid([value]) == []) == checkdigit.is_valid(value)


@given(st.sampled_from(INVALID_ULN_KINDS).flatmap(lambda k: invalid_ulns(kinds=[k])))
def test_invalid_ulns_are_invalid(value: str) -> None:
    assert not checkdigit.is_valid(value)
    with pytest.raises(errors.ValidationError):
        checkdigit.validate(value)


def test_invalid_ulns_rejects_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="kinds"):
        invalid_ulns(kinds=["nonsense"])


def test_find_invalid_on_a_column() -> None:
    column = [checkdigit.generate(random.Random(i)) for i in range(1000)]
    column[10] = "1234567890"
    column[500] = "0000000042"
    found = checkdigit.find_invalid(iter(column))
    assert [(i.index, type(i.error)) for i in found] == [
        (10, errors.InvalidChecksum),
        (500, errors.InvalidComponent),
    ]


@given(
    st.lists(
        ulns() | st.text("0123456789", min_size=10, max_size=10) | st.just("9999999999"),
        max_size=50,
    ),
    st.booleans(),
)
def test_column_path_agrees_with_validate(values: list[str], allow_placeholder: bool) -> None:
    expected = []
    for index, value in enumerate(values):
        try:
            checkdigit.validate(value, allow_placeholder=allow_placeholder)
        except errors.ValidationError as exc:
            expected.append((index, type(exc), exc.rule))
    found = checkdigit.find_invalid(values, allow_placeholder=allow_placeholder)
    assert [(i.index, type(i.error), i.error.rule) for i in found] == expected
