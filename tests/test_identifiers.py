"""UKPRN, UPN, UCI, SCN and NI number: vectors from docs/rules.md and properties."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from uln import errors
from uln.identifiers import nino, scn, uci, ukprn, upn
from uln.testing._identifier_strategies import (
    invalid_scns,
    invalid_ucis,
    invalid_upns,
    ninos,
    scns,
    ucis,
    ukprns,
    upns,
)

DATA = Path(__file__).parent / "data"
MODULES = {"ukprn": ukprn, "upn": upn, "uci": uci, "scn": scn, "nino": nino}
FIELDS = {
    "ukprn": "UKPRN",
    "upn": "UPN",
    "uci": "UCI",
    "scn": "ScottishCandidateNumber",
    "nino": "NationalInsuranceNumber",
}
STRATEGIES = {"ukprn": ukprns(), "upn": upns(), "uci": ucis(), "scn": scns(), "nino": ninos()}


def _load(name: str) -> list[dict[str, str]]:
    with (DATA / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _value(row: dict[str, str]) -> object:
    """The test value: a string unless the ``type`` column asks for something else."""
    kind, text = row["type"], row["value"]
    converters: dict[str, object] = {
        "": text,
        "None": None,
        "int": int(text) if text.isascii() and text.isdigit() else None,
        "float": float(text) if text.isascii() and text.isdigit() else None,
        "bytes": text.encode(),
        "list": [text],
    }
    return converters[kind]


VECTORS = [(name, row) for name in MODULES for row in _load(name)]


# -- reference implementations, straight from the rules in docs/rules.md --------------------

UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
UCI_LETTERS = "ABCDEFGHKLMRTVWXY"
ASCII_DIGITS = "0123456789"
ASCII_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _upn_value(c: str) -> int:
    return int(c) if c in ASCII_DIGITS else UPN_LETTERS.index(c)


def _naive_upn(value: str) -> bool:
    if len(value) != 13 or value[0] not in UPN_LETTERS:
        return False
    if any(c not in ASCII_DIGITS for c in value[1:12]):
        return False
    if value[12] not in ASCII_DIGITS + UPN_LETTERS:
        return False
    total = sum(_upn_value(value[p - 1]) * p for p in range(2, 14))
    return UPN_LETTERS[total % 23] == value[0]


def _uci_value(c: str) -> int:
    """Position 6: digits as themselves, A..P as 1..16 (the two public clients agree)."""
    return int(c) if c in ASCII_DIGITS else ASCII_UPPER.index(c) + 1


def _naive_uci(value: str) -> bool:
    if len(value) != 13 or value[12] not in UCI_LETTERS:
        return False
    if any(c not in ASCII_DIGITS for c in value[:5] + value[6:12]):
        return False
    if value[5] not in ASCII_DIGITS + "ABCDEFGHIJKLMNOP" or value[8:12] == "0000":
        return False
    weights = range(16, 4, -1)
    total = sum(
        (_uci_value(c) if i == 5 else int(c)) * w
        for i, (c, w) in enumerate(zip(value[:12], weights, strict=True))
    )
    return UCI_LETTERS[total % 17] == value[12]


def _naive_scn(value: str) -> bool:
    if len(value) != 9 or any(c not in ASCII_DIGITS for c in value):
        return False
    r = sum(int(d) * w for d, w in zip(value[:8], (3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
    if r == 1:
        return False
    return int(value[8]) == (0 if r == 0 else 11 - r)


NAIVE = {"upn": _naive_upn, "uci": _naive_uci, "scn": _naive_scn}


# -- vectors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "row"),
    VECTORS,
    ids=[f"{name}-{row['type'] or 'str'}-{row['value']!r}" for name, row in VECTORS],
)
def test_vectors(name: str, row: dict[str, str]) -> None:
    module = MODULES[name]
    value = _value(row)
    options = {"allow_test": True} if row.get("allow_test") == "true" else {}
    if row["expected"]:
        assert module.validate(value, **options) == row["expected"]
        assert module.is_valid(value, **options) is True
        assert module.compact(module.format(value, **options)) == row["expected"]
    else:
        error = getattr(errors, row["error"])
        with pytest.raises(errors.ValidationError) as info:
            module.validate(value, **options)
        assert type(info.value) is error
        assert info.value.field == FIELDS[name]
        assert module.is_valid(value, **options) is False
        if isinstance(value, str) and len(value.strip()) >= 4:
            assert value.strip() not in str(info.value)


@pytest.mark.parametrize("row", _load("upn"), ids=lambda row: repr(row["value"]))
def test_upn_is_temporary(row: dict[str, str]) -> None:
    if row["temporary"]:
        assert upn.is_temporary(row["value"]) is (row["temporary"] == "true")
    else:
        with pytest.raises(errors.ValidationError):
            upn.is_temporary(_value(row))  # type: ignore[arg-type]


@pytest.mark.parametrize("row", _load("nino"), ids=lambda row: repr(row["value"]))
def test_nino_format(row: dict[str, str]) -> None:
    if row["formatted"]:
        assert nino.format(row["value"]) == row["formatted"]
        assert nino.validate(row["formatted"]) == row["expected"]
    else:
        with pytest.raises(getattr(errors, row["error"])):
            nino.format(_value(row))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", MODULES)
@pytest.mark.parametrize("value", [None, 12345678, 1.5, b"AB123456C", ["x"], object()])
def test_non_strings_are_refused_clearly(name: str, value: object) -> None:
    module = MODULES[name]
    with pytest.raises(errors.InvalidFormat, match="must be given as a string, not") as info:
        module.validate(value)
    assert type(value).__name__ in str(info.value)
    assert info.value.field == FIELDS[name]
    assert module.is_valid(value) is False


@pytest.mark.parametrize("name", MODULES)
def test_every_module_has_the_same_shape(name: str) -> None:
    module = MODULES[name]
    for function in ("compact", "validate", "is_valid", "format"):
        assert callable(getattr(module, function))
        assert getattr(module, function).__doc__
    assert FIELDS[name] == module.FIELD
    assert list(module.__all__) == sorted(module.__all__)
    assert all(hasattr(module, n) for n in module.__all__)
    has_check = name in {"upn", "uci", "scn"}
    assert hasattr(module, "calc_check_digit") is has_check
    assert module.__doc__ is not None
    assert ">>> validate(" in module.__doc__


# -- check characters -----------------------------------------------------------------


def test_worked_examples_from_the_domain() -> None:
    # 8x2 + 1x4 + 2x5 + 5x10 + 1x13 = 93, 93 mod 23 = 1 -> B
    assert upn.calc_check_digit("801200005001") == "B"
    # 550 mod 17 = 6 -> G; the WJEC example 689990980001: 734 mod 17 = 3 -> D
    assert uci.calc_check_digit("681990012058") == "G"
    assert uci.calc_check_digit("689990980001") == "D"
    assert scn.calc_check_digit("00000001") == "9"
    assert scn.calc_check_digit("00000000") == "0"


def test_scn_prefix_without_check_digit() -> None:
    # 6 x 2 = 12, 12 mod 11 = 1: the check would be 10
    with pytest.raises(errors.InvalidComponent, match="no check digit"):
        scn.calc_check_digit("00000006")
    assert not any(scn.is_valid(f"00000006{d}") for d in ASCII_DIGITS)


@pytest.mark.parametrize(
    ("module", "value", "error"),
    [
        (upn, "80120000500", errors.InvalidLength),
        (upn, "8012000050011", errors.InvalidLength),
        (upn, "80120000A001", errors.InvalidFormat),
        (upn, "80120000500I", errors.InvalidFormat),
        (upn, "8012000050０1", errors.InvalidFormat),
        (uci, "68199001205", errors.InvalidLength),
        (uci, "68199001205G", errors.InvalidFormat),
        (uci, "68199Q012058", errors.InvalidComponent),
        (uci, "681990010000", errors.InvalidComponent),
        (scn, "1234567", errors.InvalidLength),
        (scn, "1234567x", errors.InvalidFormat),
        (scn, "1234567８", errors.InvalidFormat),
        (scn, None, errors.InvalidFormat),
    ],
)
def test_calc_check_digit_refuses_bad_input(
    module: ModuleType, value: object, error: type[errors.ValidationError]
) -> None:
    with pytest.raises(errors.ValidationError) as info:
        module.calc_check_digit(value)
    assert type(info.value) is error


def test_uci_sixth_character_table() -> None:
    table = uci.SIXTH_CHARACTER_VALUES
    assert {c: table[c] for c in "0AB9P"} == {"0": 0, "A": 1, "B": 2, "9": 9, "P": 16}
    assert not set(table) & set("QRSTUVWXYZ")
    for letter in "ABCDEFGHIJKLMNOP":
        body = f"12345{letter}150001"
        assert uci.is_valid(body + uci.calc_check_digit(body))
    for letter in "QRSTUVWXYZ":
        with pytest.raises(errors.InvalidComponent, match="character 6"):
            uci.calc_check_digit(f"12345{letter}150001")


def test_ukprn_test_organisations() -> None:
    assert ukprn.is_test("TEST0038")
    assert not ukprn.is_test("10001234")
    assert ukprn.validate("TEST0038", allow_test=True) == "TEST0038"
    assert ukprn.format("TE ST-0038", allow_test=True) == "TEST0038"
    with pytest.raises(errors.InvalidFormat, match="allow_test"):
        ukprn.validate("TEST0038")
    with pytest.raises(errors.InvalidComponent):
        ukprn.is_test("01234567")


def test_nino_rules_are_one_table() -> None:
    assert nino.RULES["first_letter_not"] == frozenset("DFIQUV")
    assert nino.RULES["second_letter_not"] == frozenset("DFIOQUV")
    assert nino.RULES["prefix_not"] == {"GB", "NK", "TN", "ZZ", "BG", "KN", "NT"}
    assert nino.RULES["suffix"] == frozenset("ABCD")
    with pytest.raises(errors.InvalidComponent) as info:
        nino.validate("QQ123456C")
    assert str(info.value) == "NationalInsuranceNumber: the first letter is not D, F, I, Q, U or V"


def test_messages_name_the_field_not_the_value() -> None:
    for module, value in [
        (ukprn, "01234567"),
        (upn, "A801200005001"),
        (uci, "681990012058H"),
        (scn, "000000018"),
        (nino, "GB123456A"),
    ]:
        with pytest.raises(errors.ValidationError) as info:
            module.validate(value)
        assert str(info.value).startswith(f"{module.FIELD}: ")
        assert value not in str(info.value)
        assert value[2:8] not in str(info.value)


# -- properties -----------------------------------------------------------------------


@pytest.mark.parametrize("name", MODULES)
@given(data=st.data())
def test_strategies_round_trip(name: str, data: st.DataObject) -> None:
    module = MODULES[name]
    value = data.draw(STRATEGIES[name])
    assert module.validate(value) == value
    assert module.is_valid(value)
    assert module.compact(value) == value
    assert module.validate(module.format(value)) == value


@given(upns(temporary=True), upns(temporary=False))
def test_upn_temporary_strategy(temporary: str, permanent: str) -> None:
    assert upn.is_temporary(temporary)
    assert temporary[-1] in UPN_LETTERS
    assert not upn.is_temporary(permanent)
    assert permanent[-1] in ASCII_DIGITS


@given(st.sampled_from(["upn", "uci", "scn"]), st.data())
def test_calc_check_digit_agrees_with_the_value(name: str, data: st.DataObject) -> None:
    module = MODULES[name]
    value = data.draw(STRATEGIES[name])
    if name == "upn":
        assert module.calc_check_digit(value[1:]) == value[0]
    else:
        assert module.calc_check_digit(value[:-1]) == value[-1]


_REPLACEMENTS = st.sampled_from(ASCII_DIGITS + ASCII_UPPER) | st.characters(
    exclude_categories=["Cs"]
)


def _same_value(name: str, position: int, old: str, new: str) -> bool:
    """The substitutions the scheme cannot see: equal values in a mixed position."""
    if name == "upn" and position == 12:
        both = ASCII_DIGITS + UPN_LETTERS
        return old in both and new in both and _upn_value(old) == _upn_value(new)
    if name == "uci" and position == 5:
        both = ASCII_DIGITS + "ABCDEFGHIJKLMNOP"
        return old in both and new in both and _uci_value(old) == _uci_value(new)
    return False


@given(st.sampled_from(["upn", "uci", "scn"]), st.data(), _REPLACEMENTS)
def test_every_single_substitution_is_caught(name: str, data: st.DataObject, new: str) -> None:
    module = MODULES[name]
    value = data.draw(STRATEGIES[name])
    position = data.draw(st.integers(0, len(value) - 1))
    old = value[position]
    assume(new != old and not _same_value(name, position, old, new))
    changed = value[:position] + new + value[position + 1 :]
    assert not module.is_valid(changed)
    if new in ASCII_DIGITS and old in ASCII_DIGITS and name != "uci":
        # a digit for a digit keeps the shape: only the check can see it
        with pytest.raises(errors.InvalidChecksum):
            module.validate(changed)


@given(st.sampled_from(["upn", "uci", "scn"]), st.data())
def test_every_adjacent_transposition_is_caught(name: str, data: st.DataObject) -> None:
    module = MODULES[name]
    value = data.draw(STRATEGIES[name])
    i = data.draw(st.integers(0, len(value) - 2))
    assume(value[i] != value[i + 1])
    swapped = value[:i] + value[i + 1] + value[i] + value[i + 2 :]
    assert not module.is_valid(swapped)


@given(
    st.sampled_from(["upn", "uci", "scn"]),
    st.data(),
)
def test_is_valid_agrees_with_the_rule(name: str, data: st.DataObject) -> None:
    length = 9 if name == "scn" else 13
    alphabet = ASCII_DIGITS if name == "scn" else ASCII_DIGITS + ASCII_UPPER
    value = data.draw(
        STRATEGIES[name]
        | st.text(alphabet, min_size=length, max_size=length)
        | st.text(max_size=length + 2)
    )
    assert MODULES[name].is_valid(value) is NAIVE[name](
        value.translate({32: None, 45: None, 9: None})
    )


@pytest.mark.parametrize("name", MODULES)
@given(
    value=st.text()
    | st.from_type(object)
    | st.integers()
    | st.binary()
    | st.lists(st.text(max_size=3), max_size=3)
)
def test_is_valid_never_raises(name: str, value: object) -> None:
    assert MODULES[name].is_valid(value) in (True, False)
    assert nino.looks_like_nino(value) in (True, False)


@pytest.mark.parametrize("name", MODULES)
@given(value=st.text())
def test_compact_is_idempotent(name: str, value: str) -> None:
    module = MODULES[name]
    once = module.compact(value)
    assert module.compact(once) == once
    assert not re.search(r"[ \t-]", once)


@given(st.integers(0, 99_999_999))
def test_ukprn_range(number: int) -> None:
    assert ukprn.is_valid(f"{number:08d}") is (number >= 10_000_000)


@given(ninos(), st.lists(st.sampled_from([" ", "-", ".", "/", "\t", "_"]), max_size=9))
def test_looks_like_nino(value: str, separators: list[str]) -> None:
    spread = "".join(
        c + (separators[i] if i < len(separators) else "") for i, c in enumerate(value)
    )
    assert nino.looks_like_nino(spread)
    assert nino.looks_like_nino(spread.lower())
    assert nino.looks_like_nino(nino.format(value))
    assert nino.validate(value.lower()) == value


@given(ucis() | upns() | scns() | ukprns())
def test_other_identifiers_do_not_look_like_nino(value: str) -> None:
    assert not nino.looks_like_nino(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AB 12 34 56 C", True),
        ("ab123456", True),
        ("AB.12.34.56.C", True),
        (" AB/123456/C\n", True),
        ("QQ123456C", False),
        ("GB123456A", False),
        ("AB123456E", False),
        ("STU-000123", False),
        ("AB1234567", False),
        ("NI AB123456C", False),
        ("", False),
        (None, False),
        (123456, False),
    ],
)
def test_looks_like_nino_examples(text: object, expected: bool) -> None:
    assert nino.looks_like_nino(text) is expected


@pytest.mark.parametrize(
    ("module", "strategy"),
    [(upn, invalid_upns()), (uci, invalid_ucis()), (scn, invalid_scns())],
    ids=["upn", "uci", "scn"],
)
@given(data=st.data())
def test_invalid_strategies_are_invalid(
    module: ModuleType, strategy: st.SearchStrategy[str], data: st.DataObject
) -> None:
    value = data.draw(strategy)
    assert not module.is_valid(value)
    with pytest.raises((errors.InvalidChecksum, errors.InvalidComponent)):
        module.validate(value)


_nino_like = st.builds(
    "".join,
    st.lists(
        st.sampled_from([*"ABCDQZabcdgnqz0123456789", " ", "-", ".", "/", "_", "\t", "\u00a0"]),
        max_size=14,
    ),
)


@given(st.one_of(st.text(max_size=20), _nino_like))
def test_the_nino_test_without_exceptions_agrees(text: str) -> None:
    # the shape pre-test refuses only what the plain definition refuses
    plain = nino.is_valid(re.sub(r"[\s\-./_]+", "", text))
    assert nino.looks_like_nino(text) == plain
