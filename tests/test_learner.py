"""The learner record: from_raw (strict and lenient), field names, JSON round trip, reprs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uln import errors
from uln.demographics.postcodes import Postcode
from uln.enums import AbilityToShare, Gender, VerificationType
from uln.learner import FIELDS, Demographics, Learner, field_spec
from uln.testing.strategies import learners, ulns

GOOD: dict[str, Any] = {
    "GivenName": " siân ",
    "FamilyName": "o'brien",
    "DateOfBirth": "18-04-1972",
    "Gender": "M",
    "LastKnownPostCode": "cv49ee",
}
PERSONAL = ["siân", "o'brien", "18-04-1972", "cv49ee", "CV4 9EE", "1972"]


def test_issue_example_gives_canonical_values() -> None:
    d = Demographics.from_raw(GOOD)
    assert d.given_name == "siân"
    assert d.family_name == "o'brien"
    assert d.date_of_birth == dt.date(1972, 4, 18)
    assert d.gender is Gender.MALE
    assert d.postcode == Postcode.parse("CV4 9EE")
    assert str(d.postcode) == "CV4 9EE"
    assert d.is_complete
    assert d.problems == ()


def test_snake_case_and_lrs_names_give_the_same_record() -> None:
    snake = {
        "given_name": " siân ",
        "family_name": "o'brien",
        "date_of_birth": "18-04-1972",
        "gender": "M",
        "postcode": "cv49ee",
    }
    assert Demographics.from_raw(snake) == Demographics.from_raw(GOOD)
    # also what MIS exports often do with the case and separators
    loose = {
        "GIVEN NAME": " siân ",
        "familyname": "o'brien",
        "Date_Of_Birth": "18-04-1972",
        "GENDER": "M",
        "Last Known PostCode": "cv49ee",
    }
    assert Demographics.from_raw(loose) == Demographics.from_raw(GOOD)


def test_five_bad_fields_are_all_reported_in_one_exception() -> None:
    bad = {
        "GivenName": "J0hn",
        "FamilyName": "Smith" * 8,
        "DateOfBirth": "31/02/2001",
        "Gender": "Q",
        "LastKnownPostCode": "nowhere",
    }
    with pytest.raises(errors.InvalidRecord) as info:
        Demographics.from_raw(bad, line=12)
    err = info.value
    assert err.fields == (
        "GivenName",
        "FamilyName",
        "LastKnownPostCode",
        "DateOfBirth",
        "Gender",
    )
    assert [p.kind for p in err.problems] == [
        "InvalidName",
        "InvalidLength",
        "InvalidPostcode",
        "InvalidDate",
        "InvalidGender",
    ]
    assert all(p.line == 12 for p in err.problems)
    assert err.line == 12
    message = str(err)
    for value in bad.values():
        assert value not in message


def test_missing_mandatory_fields_are_named() -> None:
    with pytest.raises(errors.InvalidRecord) as info:
        Demographics.from_raw({"GivenName": "Ann", "FamilyName": "  ", "Gender": None})
    assert set(info.value.fields) == {"FamilyName", "DateOfBirth", "Gender", "LastKnownPostCode"}
    assert {p.kind for p in info.value.problems} == {"MissingValue"}


def test_lenient_keeps_what_it_can() -> None:
    raw = {**GOOD, "LastKnownPostCode": "not a postcode", "EmailAddress": "nope"}
    d = Demographics.from_raw(raw, strict=False)
    assert d.postcode is None
    assert d.email is None
    assert d.given_name == "siân"
    assert not d.is_complete
    assert [p.field for p in d.problems] == ["LastKnownPostCode", "EmailAddress"]
    assert "problems" in repr(d)


def test_repr_never_shows_personal_data() -> None:
    d = Demographics.from_raw({**GOOD, "EmailAddress": "sian@example.ac.uk"})
    learner = Learner(uln="3344556680", demographics=d)
    for text in (repr(d), repr(learner), str(d)):
        for value in [*PERSONAL, "sian@example.ac.uk", "example"]:
            assert value.lower() not in text.lower()
    assert "3344556680" in repr(learner)


@given(
    learners(),
    st.integers(1, 50),
    st.lists(ulns(), max_size=3),
    st.datetimes(timezones=st.just(dt.UTC)),
)
def test_to_raw_is_read_back_by_from_raw_to_an_equal_learner(
    learner: Learner, version: int, linked: list[str], created: dt.datetime
) -> None:
    import attrs

    learner = attrs.evolve(
        learner, version=version, linked_ulns=tuple(sorted(set(linked))), created=created
    )
    raw = learner.to_raw()
    assert all(isinstance(value, str) and value for value in raw.values())
    assert set(raw) <= {spec.lrs_name for spec in FIELDS}
    assert Learner.from_raw(raw) == learner  # strictly: every value reads back
    assert Demographics.from_raw(learner.demographics.to_raw()) == learner.demographics


def test_to_dict_shows_the_values_and_round_trips() -> None:
    d = Demographics.from_raw({**GOOD, "DateOfAddressCapture": "2020-01-02"})
    data = d.to_dict()
    assert data["given_name"] == "siân"
    assert data["date_of_birth"] == "1972-04-18"
    assert data["gender"] == 1
    assert data["postcode"] == "CV4 9EE"
    assert "email" not in data
    assert Demographics.from_dict(data) == d


def test_learner_from_raw_reads_register_fields() -> None:
    raw = {
        **GOOD,
        "ULN": "334 455 6680",
        "MISIdentifier": " 2024-0001 ",
        "VerificationType": "999",
        "OtherVerificationDescription": "College ID card",
        "AbilityToShare": "1",
        "Notes": "line one\r\nline two",
        "UPN": "B801200005001",
    }
    learner = Learner.from_raw(raw)
    assert learner.uln == "3344556680"
    assert learner.mis_identifier == "2024-0001"
    assert learner.verification_type is VerificationType.OTHER
    assert learner.ability_to_share is AbilityToShare.SEEN_MAY_SHARE
    assert learner.notes == "line one\nline two"
    assert learner.upn == "B801200005001"
    assert learner.version == 1
    assert learner.demographics == Demographics.from_raw(GOOD)
    assert Learner.from_dict(learner.to_dict()) == learner


def test_learner_rules() -> None:
    with pytest.raises(errors.InvalidRecord) as info:
        Learner.from_raw(
            {
                **GOOD,
                "ULN": "3344556681",
                "VerificationType": "999",
                "MISIdentifier": "AB 12 34 56 C",
            }
        )
    assert set(info.value.fields) == {"ULN", "MISIdentifier", "OtherVerificationDescription"}
    kinds = {p.field: p.kind for p in info.value.problems}
    assert kinds["ULN"] == "InvalidChecksum"
    assert kinds["MISIdentifier"] == "ForbiddenIdentifier"
    assert kinds["OtherVerificationDescription"] == "MissingValue"


def test_bad_codes_are_refused() -> None:
    with pytest.raises(errors.InvalidRecord) as info:
        Learner.from_raw({**GOOD, "VerificationType": "8", "AbilityToShare": "yes"})
    assert info.value.fields == ("AbilityToShare", "VerificationType")
    assert {p.kind for p in info.value.problems} == {"InvalidCode"}


def test_a_field_given_twice_is_a_problem() -> None:
    with pytest.raises(errors.InvalidRecord, match="given twice"):
        Demographics.from_raw({**GOOD, "given_name": "Other"})


def test_from_dict_reports_fields_that_do_not_fit() -> None:
    data = Learner.from_raw({**GOOD, "ULN": "3344556680"}).to_dict()
    data["version"] = "two"
    data["demographics"]["date_of_birth"] = "1972-13-40"
    with pytest.raises(errors.InvalidRecord) as info:
        Learner.from_dict(data)
    assert set(info.value.fields) == {"VersionNumber", "DateOfBirth"}
    assert "1972-13-40" not in str(info.value)
    assert info.value.__cause__ is None


def test_direct_construction_checks_types() -> None:
    with pytest.raises(TypeError):
        Demographics(date_of_birth="1972-04-18")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Learner(demographics={})  # type: ignore[arg-type]


def test_field_table() -> None:
    names = [f.lrs_name for f in FIELDS]
    assert len(names) == len(set(names))
    assert field_spec("MiddleNames").attr == "middle_names"
    assert field_spec("middleothername").attr == "middle_names"
    mandatory = {f.lrs_name for f in FIELDS if f.register}
    assert mandatory == {"GivenName", "FamilyName", "DateOfBirth", "Gender", "LastKnownPostCode"}
    with pytest.raises(KeyError):
        field_spec("Shoe size")


@given(st.dictionaries(st.sampled_from([f.lrs_name for f in FIELDS]), st.text(max_size=40)))
def test_from_raw_raises_only_invalid_record(raw: dict[str, str]) -> None:
    try:
        learner = Learner.from_raw(raw)
    except errors.InvalidRecord as exc:
        assert exc.problems
    else:
        assert learner.demographics.is_complete
    lenient = Learner.from_raw(raw, strict=False)
    assert isinstance(lenient.demographics, Demographics)


@given(st.sets(st.sampled_from(Demographics.MANDATORY)))
def test_is_complete_means_every_mandatory_field_is_set(missing: set[str]) -> None:
    raw = dict(GOOD)
    for attr in missing:
        raw[field_spec(attr).lrs_name] = "J0hn" if attr.endswith("name") else "?"
    d = Demographics.from_raw(raw, strict=False)
    assert d.is_complete is (not missing)
    assert d.is_complete is all(getattr(d, name) is not None for name in Demographics.MANDATORY)
    assert {p.field for p in d.problems} == {field_spec(a).lrs_name for a in missing}


def test_a_bad_field_given_twice_is_reported_and_left_out() -> None:
    raw = {**GOOD, "GivenName": "J0hn", "given_name": "John", "EmailAddress": "nope"}
    d = Demographics.from_raw(raw, strict=False, line=3)
    assert d.given_name is None
    assert d.email is None
    assert "given_name" not in d.to_dict()
    assert [(p.field, p.kind, p.line) for p in d.problems] == [
        ("GivenName", "InvalidName", 3),
        ("GivenName", "InvalidFormat", 3),
        ("EmailAddress", "InvalidEmail", 3),
    ]
    assert Demographics.from_raw({**GOOD, "given_name": "  "}) == Demographics.from_raw(GOOD)
