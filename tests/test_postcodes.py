"""Postcodes: vectors (tests/data/postcodes.csv), parts, privacy and properties."""

from __future__ import annotations

import csv
import pickle
import re
import string
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from uln import errors
from uln.demographics import postcodes
from uln.demographics.postcodes import (
    POSTCODE_LETTERS,
    Postcode,
    PostcodeKind,
    parse_postcode,
    postcode_key,
)
from uln.testing._field_strategies import postcode_inputs
from uln.testing._field_strategies import postcodes as postcode_strings

DATA = Path(__file__).parent / "data" / "postcodes.csv"
with DATA.open(encoding="utf-8", newline="") as _f:
    VECTORS = list(csv.DictReader(_f))


@pytest.mark.parametrize("row", VECTORS, ids=[f"{r['value']!r}-{r['strict']}" for r in VECTORS])
def test_vectors(row: dict[str, str]) -> None:
    strict = row["strict"] == "1"
    if row["expected"]:
        p = Postcode.parse(row["value"], strict=strict)
        assert str(p) == row["expected"]
        assert p.kind is PostcodeKind[row["kind"]]
        assert len(str(p)) <= postcodes.MAX_LENGTH
    else:
        error = getattr(errors, row["error"])
        with pytest.raises(error) as info:
            Postcode.parse(row["value"], strict=strict)
        assert type(info.value) is error
        assert info.value.field == "LastKnownPostCode"
        assert info.value.rule in RULES
        if len(row["value"].strip()) > len("BFPO"):  # shorter ones may be words of a rule
            assert row["value"].strip() not in str(info.value)


RULES = {
    postcodes._RULE_SHAPE,
    postcodes._RULE_INWARD,
    postcodes._RULE_LETTERS,
    postcodes._RULE_BFPO,
    "a postcode is required",
    "a postcode has at most 9 characters",
}


def _naive(text: str) -> str | None:
    """The reference: the government's published pattern (with the P that Royal Mail added
    in third position and I, J, Z kept out of the second), written out independently."""
    compact = re.sub(r"\s+", "", text).upper()
    pattern = (
        r"(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
        r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
        r"[0-9][ABD-HJLNP-UW-Z]{2}"
    )
    if not compact.isascii() or not re.fullmatch(pattern, compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


@given(st.text(alphabet=string.ascii_letters + string.digits + " ", max_size=9))
def test_agrees_with_the_published_pattern(text: str) -> None:
    expected = _naive(text)
    compact = text.replace(" ", "").upper()
    if compact in ("ZZ999ZZ", "GIR0AA") or compact.startswith("BFPO"):
        return
    try:
        got: str | None = str(Postcode.parse(text))
    except errors.ValidationError:
        got = None
    assert got == expected


def _general(text: str, strict: bool) -> tuple[str, PostcodeKind, str, str | None] | str:
    """What the general (cached) path of Postcode.parse gives: the parts or the rule."""
    result = postcodes._parse.__wrapped__(text, strict)
    if isinstance(result, Postcode):
        return str(result), result.kind, result.outward, result.inward
    return result.rule


@given(
    st.one_of(
        postcode_inputs(kinds=list(PostcodeKind)),
        st.text(alphabet=string.ascii_letters + string.digits + " \t\u00a0", max_size=12),
    ),
    st.booleans(),
)
def test_the_common_path_agrees_with_the_general_path(text: str, strict: bool) -> None:
    try:
        p = Postcode.parse(text, strict=strict)
    except errors.ValidationError as exc:
        assert _general(text, strict) == exc.rule
    else:
        assert _general(text, strict) == (str(p), p.kind, p.outward, p.inward)
        assert p == Postcode(str(p))
        assert hash(p) == hash(Postcode(str(p)))


@given(postcode_strings(kinds=list(PostcodeKind)))
def test_canonical_round_trip(canonical: str) -> None:
    p = Postcode.parse(canonical)
    assert str(p) == canonical
    assert Postcode.parse(str(p)) == p
    assert Postcode(canonical) == p
    assert hash(Postcode(canonical)) == hash(p)
    assert len(canonical) <= postcodes.MAX_LENGTH


@given(postcode_inputs(kinds=list(PostcodeKind)))
def test_messy_input_gives_the_canonical_form(text: str) -> None:
    p = Postcode.parse(text)
    compact = "".join(text.split()).upper()
    assert str(p).replace(" ", "") == compact
    assert str(p) == str(p).strip()
    assert str(p).count(" ") == 1
    assert Postcode.parse(str(p)) == p
    assert postcode_key(text) == postcode_key(str(p))


@given(st.text(max_size=40))
def test_any_text_parses_or_raises_a_validation_error(text: str) -> None:
    try:
        p = Postcode.parse(text)
    except errors.ValidationError as exc:
        error: errors.ValidationError = exc
    else:
        assert Postcode.parse(str(p)) == p
        assert Postcode.parse(str(p), strict=False) == p
        assert str(p) == str(p).upper()
        return
    assert error.field == "LastKnownPostCode"
    assert error.rule in RULES  # a fixed text: the value cannot be in it


@given(postcode_strings())
def test_geographic_parts(canonical: str) -> None:
    p = Postcode.parse(canonical)
    outward, inward = canonical.split(" ")
    assert (p.outward, p.inward) == (outward, inward)
    assert p.unit == canonical
    assert p.sector == f"{outward} {inward[0]}"
    assert p.district == outward
    assert p.area is not None
    assert p.area.isalpha()
    assert 1 <= len(p.area) <= 2
    assert outward.startswith(p.area)
    assert outward[len(p.area)].isdigit()
    assert not p.is_unknown
    assert p.bfpo_number is None


def test_parts_of_each_kind() -> None:
    p = Postcode.parse("sw1a1aa")
    assert (p.area, p.district, p.sector, p.unit) == ("SW", "SW1A", "SW1A 1", "SW1A 1AA")
    b = Postcode.parse("bfpo 57")
    assert (b.kind, b.outward, b.inward, b.bfpo_number) == (PostcodeKind.BFPO, "BFPO", None, "57")
    assert (b.area, b.district, b.sector, b.unit) == (None, None, None, "BFPO 57")
    g = Postcode.parse("GIR 0AA")
    assert (g.area, g.district, g.sector, g.unit) == ("GIR", "GIR", "GIR 0", "GIR 0AA")
    z = Postcode.parse("ZZ99 9ZZ")
    assert z.is_unknown
    assert (z.outward, z.inward) == ("ZZ99", "9ZZ")
    assert (z.area, z.district, z.sector, z.unit) == (None, None, None, None)
    assert str(z) == postcodes.UNKNOWN_POSTCODE


def test_repr_hides_the_value() -> None:
    for text in ("CV4 9EE", "BFPO 1234", "GIR 0AA", "ZZ99 9ZZ"):
        p = Postcode.parse(text)
        assert repr(p) == f"Postcode(kind={p.kind.name})"
        assert text not in repr(p)
    assert repr(PostcodeKind.BFPO) == "BFPO"


def test_record_behaviour() -> None:
    p = Postcode.parse("cv49ee")
    assert p == Postcode("CV4 9EE")
    assert p != Postcode.parse("CV4 9EF")
    assert len({p, Postcode.parse("CV4  9EE")}) == 1
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        p.text = "CV4 9EF"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(p)) == p
    assert pickle.loads(pickle.dumps(p)).sector == "CV4 9"
    assert attrs.evolve(p, text="B33 8TH").district == "B33"
    assert parse_postcode("cv49ee") == p


@pytest.mark.parametrize("text", ["cv49ee", "CV4 9EE ", "cv4 9ee", "QA1  1AA", "CV49EE", "X"])
def test_direct_construction_needs_the_canonical_form(text: str) -> None:
    with pytest.raises(errors.InvalidPostcode):
        Postcode(text)


def test_direct_construction_checks_shape_only() -> None:
    assert Postcode("QA1 1AA").kind is PostcodeKind.GEOGRAPHIC  # as strict=False would


@pytest.mark.parametrize("value", [None, 12345, 4.5, b"CV4 9EE", ["CV4 9EE"]])
def test_non_strings_are_refused(value: object) -> None:
    with pytest.raises(errors.InvalidFormat, match="must be given as a string") as info:
        Postcode.parse(value)  # type: ignore[arg-type]
    assert info.value.field == "LastKnownPostCode"
    assert postcode_key(value) == ""


def test_field_name_is_used() -> None:
    with pytest.raises(errors.InvalidPostcode, match=r"^PostCode: ") as info:
        Postcode.parse("nonsense", field="PostCode")
    assert info.value.field == "PostCode"


def test_str_subclass_is_accepted() -> None:
    class Text(str):
        pass

    assert str(Postcode.parse(Text("cv4 9ee"))) == "CV4 9EE"


def test_messages_name_the_rule() -> None:
    with pytest.raises(errors.InvalidPostcode, match="C, I, K, M, O, V"):
        Postcode.parse("CV4 9EC")
    with pytest.raises(errors.InvalidPostcode, match="not allowed in that position"):
        Postcode.parse("QA1 1AA")
    with pytest.raises(errors.InvalidPostcode, match="BFPO number"):
        Postcode.parse("BFPO 12345")
    with pytest.raises(errors.InvalidPostcode, match="outward code"):
        Postcode.parse("CVA4 9EE")


def test_letter_table_is_used() -> None:
    assert set(POSTCODE_LETTERS["area_first"]).isdisjoint("QVX")
    assert set(POSTCODE_LETTERS["area_second"]).isdisjoint("IJZ")
    assert set(POSTCODE_LETTERS["inward"]).isdisjoint("CIKMOV")
    for letter in string.ascii_uppercase:
        ok = letter in POSTCODE_LETTERS["area_first"]
        assert _parses(f"{letter}1 1AA") is ok
        ok = letter in POSTCODE_LETTERS["area_second"]
        assert _parses(f"A{letter}1 1AA") is ok
        ok = letter in POSTCODE_LETTERS["district_after_one_letter"]
        assert _parses(f"A1{letter} 1AA") is ok
        ok = letter in POSTCODE_LETTERS["district_after_two_letters"]
        assert _parses(f"AA1{letter} 1AA") is ok
        ok = letter in POSTCODE_LETTERS["inward"]
        assert _parses(f"A1 1A{letter}") is ok
        assert _parses(f"A1 1{letter}A") is ok


def _parses(text: str) -> bool:
    try:
        Postcode.parse(text)
    except errors.InvalidPostcode:
        return False
    return True


@pytest.mark.parametrize(
    ("text", "key"),
    [(" cv4  9ee ", "CV49EE"), ("75008", "75008"), ("K1A 0B1", "K1A0B1"), ("", ""), (3, "")],
)
def test_postcode_key(text: object, key: str) -> None:
    assert postcode_key(text) == key


@given(st.one_of(st.text(), st.none(), st.integers()))
def test_postcode_key_never_raises(value: object) -> None:
    key = postcode_key(value)
    assert isinstance(key, str)
    assert not any(c.isspace() for c in key)
