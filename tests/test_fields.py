"""Gender, email, telephone and identifier fields of a learner record."""

from __future__ import annotations

import inspect
import re
import string
from collections.abc import Callable

import phonenumbers
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from uln import errors
from uln.demographics import email as email_module
from uln.demographics import gender as gender_module
from uln.demographics import identifiers as identifiers_module
from uln.demographics import phone as phone_module
from uln.demographics.email import EMAIL_RULES, email_key, normalise_email
from uln.demographics.gender import GENDER_WORDS, parse_gender
from uln.demographics.identifiers import (
    normalise_mis_identifier,
    normalise_nationality,
    normalise_scn,
    normalise_uci,
    normalise_upn,
)
from uln.demographics.phone import normalise_phone
from uln.enums import Gender
from uln.errors import ValidationError
from uln.identifiers import nino, scn, uci, upn
from uln.testing._field_strategies import emails, genders, phone_numbers

NORMALISERS: dict[str, Callable[[str], object]] = {
    "Gender": parse_gender,
    "EmailAddress": normalise_email,
    "Telephone": normalise_phone,
    "ScottishCandidateNumber": normalise_scn,
    "UCI": normalise_uci,
    "UPN": normalise_upn,
    "MISIdentifier": normalise_mis_identifier,
    "Nationality": normalise_nationality,
}

RULE_SOURCES = "".join(
    inspect.getsource(module)
    for module in (
        email_module,
        gender_module,
        identifiers_module,
        phone_module,
        nino,
        scn,
        uci,
        upn,
        ValidationError,
    )
)
"""The source text the rules are written in."""


# -- every normaliser -----------------------------------------------------------------------


@pytest.mark.parametrize("field", NORMALISERS)
@given(text=st.text(max_size=60))
def test_any_text_returns_or_raises_a_validation_error(field: str, text: str) -> None:
    try:
        NORMALISERS[field](text)
    except errors.ValidationError as exc:
        error: errors.ValidationError = exc
    else:
        return
    assert error.field == field
    # the value may appear in the message only by chance, as a piece of a rule's text
    stripped = text.strip()
    assert stripped not in error.rule or stripped in RULE_SOURCES


@pytest.mark.parametrize("field", NORMALISERS)
@pytest.mark.parametrize("value", [None, 1.5, b"abc", ["x"], object()])
def test_non_strings_are_refused_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(errors.InvalidFormat, match="must be given as a string") as info:
        NORMALISERS[field](value)  # type: ignore[arg-type]
    assert info.value.field == field


@pytest.mark.parametrize("field", NORMALISERS)
@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_blank_is_missing(field: str, value: str) -> None:
    with pytest.raises(errors.MissingValue) as info:
        NORMALISERS[field](value)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("function", "value"),
    [
        (parse_gender, "maybe"),
        (normalise_email, "a@@b.com"),
        (normalise_phone, "12"),
        (normalise_scn, "12345"),
        (normalise_uci, "123"),
        (normalise_upn, "123"),
        (normalise_mis_identifier, "AB123456C"),
        (normalise_nationality, "GB"),
    ],
)
def test_the_field_keyword_names_the_field(function: Callable[..., object], value: str) -> None:
    with pytest.raises(errors.ValidationError, match=r"^Elsewhere: ") as info:
        function(value, field="Elsewhere")
    assert info.value.field == "Elsewhere"


# -- gender ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, Gender.NOT_KNOWN),
        (1, Gender.MALE),
        (2, Gender.FEMALE),
        (9, Gender.NOT_SPECIFIED),
        ("0", Gender.NOT_KNOWN),
        (" 1 ", Gender.MALE),
        ("2", Gender.FEMALE),
        ("9", Gender.NOT_SPECIFIED),
        ("M", Gender.MALE),
        ("m", Gender.MALE),
        ("F", Gender.FEMALE),
        ("Female", Gender.FEMALE),
        ("MALE", Gender.MALE),
        ("boy", Gender.MALE),
        ("Girl", Gender.FEMALE),
        ("woman", Gender.FEMALE),
        ("U", Gender.NOT_KNOWN),
        ("Not Known", Gender.NOT_KNOWN),
        ("not_known", Gender.NOT_KNOWN),
        ("NOT_SPECIFIED", Gender.NOT_SPECIFIED),
        ("not  specified", Gender.NOT_SPECIFIED),
        ("Prefer not to say", Gender.NOT_SPECIFIED),
        ("prefer-not-to-say", Gender.NOT_SPECIFIED),
        ("X", Gender.NOT_SPECIFIED),
        ("Other", Gender.NOT_SPECIFIED),
        ("Non-binary", Gender.NOT_SPECIFIED),
        ("withheld", Gender.NOT_SPECIFIED),
        (Gender.FEMALE, Gender.FEMALE),
    ],
)
def test_gender(value: str | int, expected: Gender) -> None:
    assert parse_gender(value) is expected


@pytest.mark.parametrize("value", ["3", "10", "01", "mal", "Mr", "Ms", "fem", "M F", "Ｍ", "1.0"])
def test_unknown_gender_words_are_refused(value: str) -> None:
    with pytest.raises(errors.InvalidGender) as info:
        parse_gender(value)
    assert info.value.field == "Gender"


@pytest.mark.parametrize("value", [3, -1, 10, 99])
def test_unknown_gender_codes_are_refused(value: int) -> None:
    with pytest.raises(errors.InvalidGender, match="0, 1, 2 or 9"):
        parse_gender(value)


@pytest.mark.parametrize("value", [True, False, 1.0, 2.0])
def test_gender_refuses_bools_and_floats(value: object) -> None:
    with pytest.raises(errors.InvalidFormat):
        parse_gender(value)  # type: ignore[arg-type]


def test_gender_table() -> None:
    assert {str(int(g)) for g in Gender} <= set(GENDER_WORDS)
    for word, gender in GENDER_WORDS.items():
        assert word == word.strip().lower()
        assert "  " not in word
        assert parse_gender(word) is gender
        assert parse_gender(word.upper()) is gender


@given(genders())
def test_gender_codes_round_trip(gender: Gender) -> None:
    assert parse_gender(int(gender)) is gender
    assert parse_gender(str(int(gender))) is gender
    assert parse_gender(gender.name) is gender


_GENDER_TEXT = st.text(alphabet="mfMFxXunkowlaeNOTKW019 _-\t\u00a0\u212a", max_size=12)


@given(st.one_of(_GENDER_TEXT, st.sampled_from(sorted(GENDER_WORDS)).map(str.title)))
def test_gender_words_are_read_by_the_separator_rule(text: str) -> None:
    key = re.sub(r"[\s_-]+", " ", text).strip().lower()
    expected = GENDER_WORDS.get(key)
    try:
        got: Gender | None = parse_gender(text)
    except errors.InvalidGender:
        got = None
    except errors.MissingValue:
        assert not key
        return
    assert got is expected


def test_genders_strategy_known() -> None:
    from hypothesis import find

    assert find(genders(known=False), lambda g: True) in (Gender.NOT_KNOWN, Gender.NOT_SPECIFIED)
    assert find(genders(known=True), lambda g: g is Gender.FEMALE) is Gender.FEMALE


# -- email -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jo@example.com", "jo@example.com"),
        (" Jo.Bloggs@Example.AC.UK ", "Jo.Bloggs@example.ac.uk"),
        ("o'brien+ilr@mail.example.org", "o'brien+ilr@mail.example.org"),
        ("a!#$%&'*+/=?^_`{|}~-z@x-1.example.com", "a!#$%&'*+/=?^_`{|}~-z@x-1.example.com"),
        ("1@2.uk", "1@2.uk"),
        ("x@" + "a" * 63 + ".com", "x@" + "a" * 63 + ".com"),
        ("l" * 64 + "@example.com", "l" * 64 + "@example.com"),
    ],
)
def test_valid_emails(value: str, expected: str) -> None:
    assert normalise_email(value) == expected


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("jo", "one @"),
        ("jo@", "one @"),
        ("@example.com", "one @"),
        ("jo@bloggs@example.com", "one @"),
        (".jo@example.com", "dot-separated atoms"),
        ("jo.@example.com", "dot-separated atoms"),
        ("jo..bloggs@example.com", "dot-separated atoms"),
        ("jo bloggs@example.com", "dot-separated atoms"),
        ('"jo"@example.com', "dot-separated atoms"),
        ("jö@example.com", "dot-separated atoms"),
        ("jo(x)@example.com", "dot-separated atoms"),
        ("l" * 65 + "@example.com", "at most 64"),
        ("jo@example", "at least 2"),
        ("jo@-example.com", "start and end|starts and ends"),
        ("jo@example-.com", "starts and ends"),
        ("jo@exa_mple.com", "starts and ends"),
        ("jo@example..com", "starts and ends"),
        ("jo@.example.com", "starts and ends"),
        ("jo@example.com.", "starts and ends"),
        ("jo@" + "a" * 64 + ".com", "at most 63"),
        ("jo@example.c0m", "top-level domain"),
        ("jo@example.c", "top-level domain"),
        ("jo@example.xn--p1ai", "top-level domain"),
        ("jo@[192.168.0.1]", "starts and ends"),
        ("jo@bücher.de", "starts and ends"),
    ],
)
def test_invalid_emails(value: str, rule: str) -> None:
    with pytest.raises(errors.InvalidEmail, match=rule.replace("(", r"\(")) as info:
        normalise_email(value)
    assert info.value.field == "EmailAddress"
    assert value not in str(info.value)


def test_email_length() -> None:
    local = "l" * 60
    domain = ".".join(["d" * 60] * 3) + ".co.uk"
    address = f"{local}@{domain}"  # 60 + 1 + 188 = 249
    assert normalise_email(address) == address
    longer = f"{local}@{'d' * 5}.{domain}"  # 255
    assert len(longer) == 255
    with pytest.raises(errors.InvalidLength, match="at most 254"):
        normalise_email(longer)
    with pytest.raises(errors.InvalidLength, match="at most 20"):
        normalise_email("jo.bloggs@example.com", max_length=20)
    with pytest.raises(errors.InvalidLength):
        normalise_email("x" * 5000)


@given(emails())
def test_generated_emails_are_valid_and_stable(address: str) -> None:
    assert normalise_email(address) == address
    assert normalise_email(f"  {address}\n") == address
    local, _, domain = address.rpartition("@")
    shouted = f"{local}@{domain.upper()}"
    assert normalise_email(shouted) == address
    assert email_key(shouted) == email_key(address) == address.casefold()
    assert len(local) <= EMAIL_RULES.local_max


@given(st.text(max_size=80))
def test_normalise_email_is_idempotent(text: str) -> None:
    try:
        address = normalise_email(text)
    except errors.ValidationError:
        return
    assert normalise_email(address) == address
    assert address.isascii()
    assert address == address.strip()


@pytest.mark.parametrize(
    ("value", "key"),
    [(" Jo@Example.COM ", "jo@example.com"), ("JO@EXAMPLE.COM", "jo@example.com"), (None, "")],
)
def test_email_key(value: object, key: str) -> None:
    assert email_key(value) == key


@given(st.one_of(st.text(), st.none(), st.integers()))
def test_email_key_never_raises(value: object) -> None:
    assert isinstance(email_key(value), str)


# -- telephone -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("07911 123456", "+447911123456"),
        ("07911123456", "+447911123456"),
        ("+44 7911 123456", "+447911123456"),
        ("0044 7911 123456", "+447911123456"),
        ("+44 (0) 7911 123456", "+447911123456"),
        ("(020) 7946 0000", "+442079460000"),
        ("020-7946-0000", "+442079460000"),
        ("0121 496 0000", "+441214960000"),
        ("+1 650 253 0000", "+16502530000"),
        ("07911 123456 ext. 12", "+447911123456"),
    ],
)
def test_valid_phone_numbers(value: str, expected: str) -> None:
    assert normalise_phone(value) == expected


def test_drama_numbers_are_possible_but_not_valid() -> None:
    """Ofcom's drama range 07700 900000-900999 is 'possible' only, in phonenumbers too."""
    number = phonenumbers.parse("07700 900123", "GB")
    assert phonenumbers.is_possible_number(number)
    assert not phonenumbers.is_valid_number(number)
    with pytest.raises(errors.InvalidPhone, match="not in a range in use") as info:
        normalise_phone("07700 900123")
    assert info.value.__cause__ is None
    assert normalise_phone("07700 900123", accept_possible=True) == "+447700900123"
    assert normalise_phone("07700 900999", accept_possible=True) == "+447700900999"
    assert normalise_phone("01632 960000", accept_possible=True) == "+441632960000"


def test_region() -> None:
    assert normalise_phone("(650) 253-0000", region="US") == "+16502530000"
    assert normalise_phone("+44 7911 123456", region=None) == "+447911123456"
    with pytest.raises(errors.InvalidPhone, match="country code") as info:
        normalise_phone("07911 123456", region=None)
    assert isinstance(info.value.__cause__, phonenumbers.NumberParseException)


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("not a number", "not a telephone number"),
        ("12", "not a telephone number|too short|wrong length"),
        ("07911 12345", "not in a range in use"),
        ("07911 1234567", "wrong length"),
        ("+999 123456", "country code"),
        ("0" * 300, "too long"),
    ],
)
def test_invalid_phone_numbers(value: str, rule: str) -> None:
    with pytest.raises(errors.InvalidPhone, match=rule) as info:
        normalise_phone(value)
    assert info.value.field == "Telephone"
    assert value not in str(info.value)


def test_phone_errors_chain_the_phonenumbers_error() -> None:
    with pytest.raises(errors.InvalidPhone) as info:
        normalise_phone("not a number")
    assert isinstance(info.value.__cause__, phonenumbers.NumberParseException)
    assert isinstance(info.value, ValueError)


@given(phone_numbers())
def test_generated_phone_numbers(e164: str) -> None:
    assert normalise_phone(e164) == e164
    national = "0" + e164[3:]
    assert normalise_phone(national) == e164
    spaced = f"{national[:5]} {national[5:]}"
    assert normalise_phone(spaced) == e164


@given(st.text(alphabet=string.digits + " +-()", max_size=20))
def test_phone_result_is_e164(text: str) -> None:
    try:
        e164 = normalise_phone(text, accept_possible=True)
    except errors.InvalidPhone:
        return
    except errors.MissingValue:
        assert not text.strip()
        return
    assert e164.startswith("+")
    assert e164[1:].isdigit()
    assert len(e164) <= 16
    assert normalise_phone(e164, accept_possible=True) == e164


# -- identifiers -----------------------------------------------------------------------------


def test_scn() -> None:
    assert normalise_scn(" 000 000 019 ") == "000000019"
    with pytest.raises(errors.InvalidChecksum) as info:
        normalise_scn("000000018")
    assert str(info.value) == "ScottishCandidateNumber: the check digit does not match"
    with pytest.raises(errors.InvalidLength, match=r"^SCN: "):
        normalise_scn("00000019", field="SCN")


def test_uci() -> None:
    assert normalise_uci("68199 0 01 2058 G") == "681990012058G"
    with pytest.raises(errors.InvalidChecksum, match=r"^UCI: "):
        normalise_uci("681990012058H")
    with pytest.raises(errors.ValidationError, match=r"^CandidateUCI: "):
        normalise_uci("681990012058H", field="CandidateUCI")


def test_upn() -> None:
    assert normalise_upn("B801200005001") == "B801200005001"
    with pytest.raises(errors.InvalidChecksum, match=r"^UPN: "):
        normalise_upn("A801200005001")


def test_identifier_errors_do_not_chain_with_the_wrong_field() -> None:
    with pytest.raises(errors.InvalidChecksum) as info:
        normalise_scn("000000018", field="Other")
    assert info.value.field == "Other"
    assert info.value.__cause__ is None


@pytest.mark.parametrize(
    "value", ["STU-004217", "2024/00042", "a" * 128, "Jo's id 7", "ÅÄÖ-1", "AB1234567C"]
)
def test_mis_identifier_accepts(value: str) -> None:
    assert normalise_mis_identifier(f" {value} ") == value


@pytest.mark.parametrize(
    "value", ["AB123456C", "AB 12 34 56 C", "ab-12-34-56-c", "AB123456", " ab.12.34.56/c "]
)
def test_mis_identifier_refuses_national_insurance_numbers(value: str) -> None:
    with pytest.raises(errors.ForbiddenIdentifier, match="National Insurance") as info:
        normalise_mis_identifier(value)
    assert info.value.field == "MISIdentifier"
    assert value.strip() not in str(info.value)
    assert isinstance(info.value, errors.InvalidComponent)


def test_mis_identifier_length_and_control_characters() -> None:
    with pytest.raises(errors.InvalidLength, match="at most 128"):
        normalise_mis_identifier("a" * 129)
    with pytest.raises(errors.InvalidLength, match="at most 10"):
        normalise_mis_identifier("a" * 11, max_length=10)
    for bad in ("a\tb", "a\nb", "a\x00b", "a\x7fb", "a\u2028b"):
        with pytest.raises(errors.InvalidFormat, match="control characters"):
            normalise_mis_identifier(bad)


@pytest.mark.parametrize(("value", "expected"), [("GBR", "GBR"), (" irl ", "IRL"), ("xkx", "XKX")])
def test_nationality(value: str, expected: str) -> None:
    assert normalise_nationality(value) == expected


@pytest.mark.parametrize("value", ["GB", "GBRR", "G1R", "UK ", "G B", "ÅLA", "８２６", "826"])
def test_nationality_refuses_other_shapes(value: str) -> None:
    with pytest.raises(errors.InvalidCode, match="three letters") as info:
        normalise_nationality(value)
    assert info.value.field == "Nationality"


_ATOM_CHARS = string.ascii_letters + string.digits + EMAIL_RULES.specials


def _email_reference(text: str) -> str | None:
    """The LRS email rule written out step by step, independently of the module."""
    address = text.strip()
    local, at, domain = address.rpartition("@")
    labels = domain.split(".")
    atoms = local.split(".")
    if not (at and local and len(local) <= EMAIL_RULES.local_max):
        return None
    if not all(atom and set(atom) <= set(_ATOM_CHARS) for atom in atoms):
        return None
    if len(labels) < EMAIL_RULES.labels_min:
        return None
    for label in labels:
        if not 1 <= len(label) <= EMAIL_RULES.label_max or not label.isascii():
            return None
        if not (label[0].isalnum() and label[-1].isalnum()):
            return None
        if not label.replace("-", "").isalnum():
            return None
    tld = labels[-1]
    if len(tld) < EMAIL_RULES.tld_min or not tld.isalpha():
        return None
    return f"{local}@{domain.lower()}"


_EMAIL_PARTS = st.lists(
    st.text(alphabet=string.ascii_letters + "09-_.'+@", min_size=0, max_size=6), max_size=4
).map(".".join)


@given(
    st.one_of(
        st.tuples(_EMAIL_PARTS, st.sampled_from(["@", "@@", ""]), _EMAIL_PARTS).map("".join),
        st.builds(
            lambda local, domain, tld: f" {local}@{domain}.{tld}",
            st.integers(1, 66).map(lambda n: "l" * n),
            st.integers(1, 65).map(lambda n: "D" * n),
            st.integers(1, 65).map(lambda n: "c" * n),
        ),
        emails(),
    )
)
@example("l" * 64 + "@d.co")
@example("l" * 65 + "@d.co")
@example("jo@" + "d" * 63 + "." + "c" * 63)
@example("jo@" + "d" * 64 + ".co")
@example("jo@d." + "c" * 64)
@example("jo@d.c")
def test_emails_agree_with_the_rule_written_out(text: str) -> None:
    expected = _email_reference(text)
    try:
        got: str | None = normalise_email(text)
    except (errors.InvalidEmail, errors.MissingValue):
        got = None
    assert got == expected
