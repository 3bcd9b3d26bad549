"""One field vocabulary (uln.learner.FIELDS and field_for) for from_raw, the matcher and
the command lines; wrong types and unrecognised mappings are our errors; bad characters
and huge values neither pass the normalisers nor stay in their caches."""

from __future__ import annotations

import contextlib
import datetime as _dt
import gc
import tracemalloc
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uln.batch.spec import EXPORT_ALIASES, VERSIONS
from uln.demographics import names, text
from uln.demographics.identifiers import normalise_mis_identifier
from uln.errors import InvalidArgument, InvalidFormat, InvalidName, InvalidRecord, UlnError
from uln.learner import FIELDS, Demographics, Learner, field_for, heading_key
from uln.matching import normalise as matching

EXPORT_ROW = {
    "Student Ref": "S0042",
    "Forename": "Siân",
    "Surname": "O'Brien",
    "DOB": "18/04/2005",
    "Sex": "F",
    "Post Code": "cv4 9ee",
}


def _expected() -> Demographics:
    return Demographics.from_raw(
        {
            "GivenName": "Siân",
            "FamilyName": "O'Brien",
            "DateOfBirth": "2005-04-18",
            "Gender": "2",
            "LastKnownPostCode": "CV4 9EE",
        }
    )


def test_from_raw_reads_the_usual_export_headings() -> None:
    assert Demographics.from_raw(EXPORT_ROW) == _expected()
    learner = Learner.from_raw(EXPORT_ROW)
    assert learner.mis_identifier == "S0042"
    assert learner.demographics == _expected()


@pytest.mark.parametrize(
    ("heading", "attr"),
    [
        ("Forename", "given_name"),
        ("Given Name", "given_name"),
        ("first_name", "given_name"),
        ("SURNAME", "family_name"),
        ("Last Name", "family_name"),
        ("D.O.B.", "date_of_birth"),
        ("Date of Birth", "date_of_birth"),
        ("Sex", "gender"),
        ("Post Code", "postcode"),
        ("last_known_postcode", "postcode"),
        ("E-mail", "email"),
        ("Student Ref", "mis_identifier"),
        ("Learner Reference", "mis_identifier"),
        ("MIS ID", "mis_identifier"),
        ("Middle Names", "middle_names"),
        ("Unique Learner Number", "uln"),
    ],
)
def test_one_function_reads_headings(heading: str, attr: str) -> None:
    spec = field_for(heading)
    assert spec is not None
    assert spec.attr == attr


@given(
    st.sampled_from([key for spec in FIELDS for key in (spec.attr, spec.lrs_name, *spec.aliases)])
)
def test_every_name_of_the_table_reads_back_in_any_case_and_spacing(name: str) -> None:
    spec = field_for(name)
    assert spec is not None
    assert field_for(name.upper()) is spec
    assert field_for(" ".join(name)) is spec  # a space between every letter
    assert heading_key(name) in {heading_key(k) for k in (spec.attr, spec.lrs_name, *spec.aliases)}


def test_the_names_of_the_table_do_not_collide() -> None:
    owners: dict[str, str] = {}
    for spec in FIELDS:
        for key in (spec.attr, spec.lrs_name, *spec.aliases):
            assert owners.setdefault(heading_key(key), spec.attr) == spec.attr, key


def test_export_aliases_come_from_the_table() -> None:
    assert EXPORT_ALIASES["Forename"] == "GivenName"
    assert EXPORT_ALIASES["Sex"] == "Gender"
    assert {a: s.lrs_name for s in FIELDS for a in s.aliases} == EXPORT_ALIASES


def test_the_matcher_reads_the_same_names() -> None:
    row = {
        "Given Name": "Jo",
        "Family Name": "Bloggs",
        "Date of Birth": "2 Nov 2003",
        "Sex": "Female",
        "Post Code": "CV4 9EE",
        "E-mail": "jo@example.ac.uk",
        "Maiden name": "ignored",
    }
    record = matching.match_record(row)
    assert record.given is not None
    assert record.given.key == "JO"
    assert record.family is not None
    assert record.family.key == "BLOGGS"
    assert record.dob is not None
    assert record.dob.digits == "20031102"
    assert record.gender == 2
    assert record.postcode is not None
    assert record.postcode.unit == "CV4 9EE"
    assert record.email == "jo@example.ac.uk"
    assert matching.match_record(EXPORT_ROW).dob is not None


def test_the_matcher_prefers_the_attribute_to_an_alias() -> None:
    record = matching.match_record({"Forename": "Alias", "given_name": "Attribute"})
    assert record.given is not None
    assert record.given.key == "ATTRIBUTE"
    record = matching.match_record({"given_name": "Attribute", "Forename": "Alias"})
    assert record.given is not None
    assert record.given.key == "ATTRIBUTE"


@pytest.mark.parametrize(
    "row",
    [
        {"Nom de famille": "Bloggsworth", "Ville": "Caenville"},
        {"Josephine": "Bloggsworth", "02/11/2003": "Female"},
        {12345: "xyzzy"},
    ],
)
def test_a_mapping_naming_no_field_is_an_error(row: dict[object, str]) -> None:
    for read in (
        lambda r: Demographics.from_raw(r, strict=False),
        lambda r: Learner.from_raw(r, strict=False),
        matching.match_record,
    ):
        with pytest.raises(InvalidRecord) as caught:
            read(row)
        message = str(caught.value)
        for key, value in row.items():  # neither the keys nor the values are echoed
            assert str(key) not in message
            assert value not in message


def test_a_mapping_with_one_known_field_is_read() -> None:
    record = Demographics.from_raw({"Nom": "x", "ULN": "3344556680"}, strict=False)
    assert record.given_name is None
    assert matching.match_record({"ULN": "3344556680", "Nom": "x"}).given is None


@pytest.mark.parametrize("raw", [["Huw", "Pugh"], 42, "GivenName=Huw", None, {"GivenName"}])
def test_from_raw_of_the_wrong_type_names_the_argument(raw: object) -> None:
    for cls in (Demographics, Learner):
        with pytest.raises(InvalidArgument, match=rf"^{cls.__name__}\.from_raw: raw must be a "):
            cls.from_raw(raw)  # type: ignore[arg-type]
        with pytest.raises(TypeError):  # also a TypeError, as code written before expects
            cls.from_raw(raw, strict=False)  # type: ignore[arg-type]


# -- lone surrogates -----------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["\ud800", "A\udcffb", "Smith\udfff"])
def test_a_lone_surrogate_is_refused_by_every_text_field(bad: str) -> None:
    for spec in FIELDS:
        if spec.kind in ("text", "notes", "name", "mis_identifier"):
            with pytest.raises((InvalidFormat, InvalidName)):
                spec.normalise(bad, spec.lrs_name, spec.max_length)
    with pytest.raises(InvalidFormat, match="control characters"):
        normalise_mis_identifier(bad)
    row = {**EXPORT_ROW, "LastKnownAddressLine1": bad, "Notes": bad}
    learner = Learner.from_raw(row, strict=False)
    assert {p.field for p in learner.problems} == {"LastKnownAddressLine1", "Notes"}


@given(st.text(st.characters(codec="utf-8"), max_size=20), st.sampled_from(FIELDS))
def test_whatever_a_text_field_accepts_can_be_written_as_utf8(value: str, spec: object) -> None:
    from uln.learner import FieldSpec

    assert isinstance(spec, FieldSpec)
    try:
        result = spec.normalise(value, spec.lrs_name, spec.max_length)
    except UlnError:
        return
    str(result).encode("utf-8")  # never a UnicodeEncodeError in a writer


@given(st.integers(0xD800, 0xDFFF), st.sampled_from(["given_name", "address_line1", "notes"]))
def test_every_surrogate_is_refused(code: int, attr: str) -> None:
    spec = next(s for s in FIELDS if s.attr == attr)
    with pytest.raises(UlnError):
        spec.normalise(f"Ab{chr(code)}", spec.lrs_name, spec.max_length)


# -- bounded caches ------------------------------------------------------------------------

_HUGE = 200_000


def _huge(i: int) -> str:
    return f"{i:06d}" + "a" * _HUGE


CALLS: list[tuple[str, Callable[[str], object]]] = [
    ("normalise_name", lambda v: names.normalise_name(v)),
    ("name_key", names.name_key),
    ("name_parts", names.name_parts),
    ("normalise_text", lambda v: text.normalise_text(v, field="Notes", max_length=4000)),
    ("name_info", matching.name_info),
    ("given_name_info", matching.given_name_info),
    ("postcode_info", matching.postcode_info),
    ("text_info", matching.text_info),
    ("date_info", matching.date_info),
    ("gender_code", matching.gender_code),
]


@pytest.mark.parametrize(("label", "call"), CALLS, ids=[label for label, _ in CALLS])
def test_huge_values_do_not_stay_in_the_caches(label: str, call: Callable[[str], object]) -> None:
    """Fifty distinct 200 kB values (10 MB in all) leave no more than 1 MB behind."""
    for i in range(2):  # warm up what is loaded once (alias tables ...)
        with contextlib.suppress(UlnError):
            call(f"Warm{i}")
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(50):
            with contextlib.suppress(UlnError):
                call(_huge(i).replace("0", "b"))
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 1_000_000, f"{label} kept {kept:,} bytes"


def test_the_cached_outcomes_of_short_values_are_unchanged() -> None:
    long_name = "Anne " * 30  # over the cache bound: worked out, not remembered
    assert names.normalise_name(long_name, max_length=200) == long_name.strip()
    assert names.name_key(long_name) == " ".join(["ANNE"] * 30)
    assert text.normalise_text(" x " * 200, field="Notes", max_length=4000) == " ".join("x" * 200)
    info = matching.name_info(long_name)
    assert info is not None
    assert info.parts == ("ANNE",) * 30
    assert matching.date_info("2001-02-03" + " " * 200) is None


def test_dates_of_the_exports_are_read_by_both() -> None:
    from uln.demographics.dates import parse_date

    for value in ("02 Nov 2003", "2 November 2003", "2003-11-02 00:00:00", "02/11/2003 00:00"):
        assert parse_date(value) == _dt.date(2003, 11, 2)
        info = matching.date_info(value)
        assert info is not None
        assert info.ordinal == _dt.date(2003, 11, 2).toordinal()


def test_batch_layout_names_are_field_names() -> None:
    for layout in VERSIONS.values():
        for column in layout.columns:
            spec = field_for(column.name)
            assert spec is not None
            assert spec.attr == column.attribute
