"""The records of a Personal Learning Record: every field checked, errors naming the
field (never the value), no room for contextual data, prohibited text screened."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uln.errors import (
    InvalidChecksum,
    InvalidCode,
    InvalidDate,
    InvalidFormat,
    InvalidLength,
    MissingValue,
    ValidationError,
)
from uln.plr import (
    EVENT_FIELDS,
    SUBJECT_CODE_RULES,
    EventStatus,
    LearningEvent,
    Level,
    Nomination,
    NominationView,
    Organisation,
    OrganisationKind,
    ProhibitedText,
    Role,
    User,
    find_prohibited,
    validate_subject_code,
)
from uln.plr.prohibited import CATEGORIES, check_text, prohibited_phrases
from uln.testing._contract_plr import learning_events, make_event

WHEN = _dt.datetime(2025, 1, 6, 9, 0, tzinfo=_dt.UTC)


def raw(**more: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": "EV1",
        "uln": "3344556680",
        "provider_ukprn": "10012345",
        "provider_name": "Coleg Gwent",
        "awarding_ukprn": "10054321",
        "awarding_name": "WJEC",
        "qualification_type": "QCF unit",
        "subject_code": "K/501/5773",
        "subject": "Using e-mail",
        "award_date": "2024-07-19",
        "credits": 3,
        "level": "Entry 3",
        "grade": "Pass",
        "status": "final",
        "source": "AO",
        "loaded": "2024-08-01",
    }
    fields.update(more)
    return fields


# -- learning events: building one ----------------------------------------------------------


def test_create_makes_every_value_canonical() -> None:
    event = LearningEvent.create(
        **raw(
            uln=" 334 455 6680 ",
            provider_ukprn="1001-2345",
            awarding_ukprn="test0038",
            subject_code=" k/501/5773",
            subject="  Using e-mail ",
            award_date=_dt.date(2024, 7, 19),
            credits="12",
            level=4,
            status="PROVISIONAL",
            source="ilr",
        )
    )
    assert event.uln == "3344556680"
    assert event.provider_ukprn == "10012345"
    assert event.awarding_ukprn == "test0038"  # an LRS test organisation keeps its case
    assert event.subject_code == "K/501/5773"
    assert event.subject == "Using e-mail"
    assert event.credits == 12
    assert event.level is Level.LEVEL_4
    assert event.status is EventStatus.PROVISIONAL
    assert event.source == "ILR"
    assert event.award_date == _dt.date(2024, 7, 19)
    assert event.loaded == _dt.date(2024, 8, 1)
    assert not event.under_challenge
    assert event.restriction == ""


def test_create_gives_an_id_and_a_load_date_when_none_is_given() -> None:
    first = LearningEvent.create(**{**raw(), "id": None, "loaded": None})
    second = LearningEvent.create(**{**raw(), "id": None, "loaded": None})
    assert first.id != second.id
    assert re.fullmatch(r"[0-9a-f]{32}", first.id)
    assert first.loaded >= _dt.date(2024, 8, 1)


def test_an_event_is_frozen_and_rebuilds_equal_from_its_fields() -> None:
    event = LearningEvent.create(**raw())
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.credits = 4  # type: ignore[misc]
    assert LearningEvent(**event.as_dict()) == event
    assert LearningEvent.create(**event.as_dict()) == event
    assert event.challenged() == attrs.evolve(event, under_challenge=True)
    assert event.challenged().challenged(False) == event


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        ({"uln": "3344556681"}, "ULN", InvalidChecksum),
        ({"uln": "0000000042"}, "ULN", ValidationError),
        ({"uln": 3344556680}, "ULN", InvalidFormat),
        ({"provider_ukprn": "1234"}, "AchievementProviderUkprn", InvalidLength),
        ({"awarding_ukprn": "09999999"}, "AwardingOrganisationUkprn", ValidationError),
        ({"provider_name": ""}, "AchievementProviderName", MissingValue),
        ({"awarding_name": "x" * 256}, "AwardingOrganisationName", InvalidLength),
        ({"qualification_type": "QCF\x00unit"}, "QualificationType", InvalidFormat),
        ({"subject_code": "Q501/5773"}, "SubjectCode", InvalidFormat),
        ({"subject": ""}, "Subject", MissingValue),
        ({"subject": "a" * 256}, "Subject", InvalidLength),
        ({"award_date": "19/07/2024"}, "AchievementAwardDate", InvalidDate),
        ({"award_date": WHEN}, "AchievementAwardDate", InvalidDate),
        ({"credits": -1}, "Credits", InvalidFormat),
        ({"credits": "3.5"}, "Credits", InvalidFormat),
        ({"credits": True}, "Credits", InvalidFormat),
        ({"level": "Level 9"}, "Level", InvalidCode),
        ({"level": "Entry 4"}, "Level", InvalidCode),
        ({"level": 0}, "Level", InvalidCode),
        ({"grade": "g" * 101}, "Grade", InvalidLength),
        ({"status": "pending"}, "Status", InvalidCode),
        ({"source": "a b"}, "Source", InvalidFormat),
        ({"source": ""}, "Source", InvalidFormat),
        ({"loaded": "2024-07-18"}, "DateLoaded", InvalidDate),
        ({"under_challenge": "Y"}, "UnderDataChallenge", InvalidFormat),
        ({"restriction": "r" * 101}, "Restriction", InvalidLength),
        ({"id": "has space"}, "EventId", InvalidFormat),
        ({"id": "x" * 65}, "EventId", InvalidLength),
    ],
)
def test_a_bad_field_is_refused_naming_the_field(
    change: dict[str, Any], field: str, error: type[ValidationError]
) -> None:
    with pytest.raises(error) as caught:
        LearningEvent.create(**raw(**change))
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    value = next(iter(change.values()))
    if isinstance(value, str) and len(value) > 3:
        assert value.strip() not in str(caught.value)


def test_the_class_itself_refuses_values_that_are_not_canonical() -> None:
    event = LearningEvent.create(**raw())
    for change, field in (
        ({"subject_code": "k/501/5773"}, "SubjectCode"),
        ({"subject": " Maths"}, "Subject"),
        ({"uln": "334 455 6680"}, "ULN"),
        ({"provider_ukprn": "1001 2345"}, "AchievementProviderUkprn"),
        ({"level": "E3"}, "Level"),
        ({"status": "final"}, "Status"),
        ({"award_date": "2024-07-19"}, "AchievementAwardDate"),
    ):
        with pytest.raises(ValidationError) as caught:
            attrs.evolve(event, **change)
        assert caught.value.field == field


def test_the_event_fields_table_names_every_attribute() -> None:
    assert tuple(EVENT_FIELDS) == tuple(a.name for a in attrs.fields(LearningEvent))
    assert len(set(EVENT_FIELDS.values())) == len(EVENT_FIELDS)


def test_there_is_no_field_for_contextual_data() -> None:
    names = " ".join(a.name for a in attrs.fields(LearningEvent)).lower()
    for word in ("ethnic", "disab", "exclu", "income", "fsm", "religion", "sen", "notes"):
        assert word not in names.split("_")
        assert word not in names
    with pytest.raises(TypeError):
        LearningEvent.create(**raw(ethnicity="x"))


def test_the_repr_shows_no_grade_subject_or_uln() -> None:
    event = LearningEvent.create(**raw(subject="Welsh Baccalaureate", grade="Distinction*"))
    text = repr(event)
    for secret in ("3344556680", "Welsh Baccalaureate", "Distinction", "Coleg"):
        assert secret not in text
    assert "EV1" in text
    assert "K/501/5773" in text


# -- subject codes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["K/501/5773", "k/501/5773", " T/600/1234 ", "601/8830/6", "500/3283/X", "ZPROG001"]
)
def test_subject_codes_of_every_shape_are_accepted(code: str) -> None:
    canonical = validate_subject_code(code)
    assert canonical == re.sub(r"\s", "", code).upper()


@pytest.mark.parametrize(
    "code",
    ["", "K/501/57734", "KK/501/5773", "K/51/5773", "K-501-5773", "K/501/577A", "601/8830/66",
     "1234567", "/501/5773", "K/501/5773/", "Ｋ/501/5773", "K/５01/5773"],
)  # fmt: skip
def test_malformed_subject_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidFormat) as caught:
        validate_subject_code(code)
    assert caught.value.field == "SubjectCode"
    with pytest.raises(InvalidFormat) as caught:
        LearningEvent.create(**raw(subject_code=code))
    assert caught.value.field == "SubjectCode"


def test_every_subject_code_rule_accepts_its_own_example() -> None:
    for rule in SUBJECT_CODE_RULES.values():
        assert rule.pattern.fullmatch(rule.example)
        assert validate_subject_code(rule.example) == rule.example
        assert rule.mark in ("spec", "ours")


@settings(max_examples=200)
@given(
    letter=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
    middle=st.integers(0, 999),
    last=st.integers(0, 9999),
)
def test_any_qcf_unit_code_shape_is_accepted(letter: str, middle: int, last: int) -> None:
    code = f"{letter}/{middle:03d}/{last:04d}"
    assert validate_subject_code(code) == code.upper()


@settings(max_examples=300)
@given(st.text(max_size=14))
def test_a_code_is_accepted_only_when_a_rule_fits(code: str) -> None:
    canonical = re.sub(r"\s+", "", code).upper()
    fits = any(rule.pattern.fullmatch(canonical) for rule in SUBJECT_CODE_RULES.values())
    if fits:
        assert validate_subject_code(code) == canonical
    else:
        with pytest.raises(InvalidFormat):
            validate_subject_code(code)


# -- levels ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("E1", Level.ENTRY_1),
        ("Entry 2", Level.ENTRY_2),
        ("entry level 3", Level.ENTRY_3),
        ("ENTRY-1", Level.ENTRY_1),
        ("1", Level.LEVEL_1),
        (8, Level.LEVEL_8),
        ("L5", Level.LEVEL_5),
        ("Level 7", Level.LEVEL_7),
        (Level.LEVEL_2, Level.LEVEL_2),
    ],
)
def test_levels_are_read_from_what_people_write(text: object, level: Level) -> None:
    assert Level.parse(text) is level


@pytest.mark.parametrize("text", ["", "E0", "E4", "9", 0, 9, True, None, "Level", 2.0, "GCSE"])
def test_other_levels_are_refused(text: object) -> None:
    with pytest.raises(InvalidCode) as caught:
        Level.parse(text)
    assert caught.value.field == "Level"


def test_levels_run_from_entry_1_to_8() -> None:
    levels = sorted(Level, key=lambda level: level.rank)
    assert [level.label for level in levels] == [
        "Entry 1", "Entry 2", "Entry 3", "Level 1", "Level 2", "Level 3", "Level 4",
        "Level 5", "Level 6", "Level 7", "Level 8",
    ]  # fmt: skip
    assert [level.is_entry for level in levels].count(True) == 3
    assert all(Level.parse(level.label) is level for level in Level)


# -- prohibited text -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "attribute", "text"),
    [
        ("Subject", "subject", "Maths (learner on Free School Meals)"),
        ("Grade", "grade", "Pass - EHCP"),
        ("Restriction", "restriction", "permanently EXCLUDED 2023"),
        ("QualificationType", "qualification_type", "Ethnic origin: white"),
        ("Restriction", "restriction", "Dysgwr anabl"),
        ("Grade", "grade", "Pass (ALN)"),
        ("Grade", "grade", "Merit; disabled learner"),
        ("Subject", "subject", "Maths — Pupil-Premium"),
    ],
)
def test_prohibited_text_is_refused_naming_the_field_never_the_text(
    field: str, attribute: str, text: str
) -> None:
    with pytest.raises(ProhibitedText) as caught:
        LearningEvent.create(**raw(**{attribute: text}))
    error = caught.value
    assert error.field == field
    assert error.category in CATEGORIES
    assert str(error) == f"{field}: {ProhibitedText.message}"  # a fixed rule, no text
    assert isinstance(error, ValidationError)
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    "subject",
    [
        "Supporting individuals with learning disabilities",
        "Equality and diversity",
        "Religious Studies",
        "Sociology: social exclusion",
        "Send and receive e-mail",
        "Health and Social Care",
        "Awareness of dementia",
        "Sensory impairment awareness",
        "Understanding race relations",
        "Presenting to a senior team",
    ],
)
def test_real_qualification_titles_pass_the_screen(subject: str) -> None:
    assert LearningEvent.create(**raw(subject=subject)).subject == subject


def test_organisation_names_are_not_free_text() -> None:
    event = LearningEvent.create(**raw(provider_name="Pupil Referral Unit, Cardiff"))
    assert event.provider_name == "Pupil Referral Unit, Cardiff"


def test_the_prohibited_table_is_well_formed() -> None:
    phrases = prohibited_phrases()
    assert len(phrases) >= 50
    assert set(phrases.values()) == CATEGORIES
    for phrase in phrases:
        assert phrase == phrase.strip()
        assert re.fullmatch(r"[0-9a-z ]+", phrase)


@settings(max_examples=100)
@given(
    phrase=st.sampled_from(sorted(prohibited_phrases())),
    before=st.sampled_from(["", "Grade B ", "Merit, ", "(note) "]),
    after=st.sampled_from(["", " 2023", ".", "; see file"]),
    upper=st.booleans(),
)
def test_every_phrase_is_caught_whatever_its_case_and_surroundings(
    phrase: str, before: str, after: str, upper: bool
) -> None:
    text = before + (phrase.upper() if upper else phrase.title()) + after
    assert find_prohibited(text) == prohibited_phrases()[phrase]
    with pytest.raises(ProhibitedText):
        check_text(text, field="Notes")


def test_phrases_match_whole_words_only() -> None:
    assert find_prohibited("Presenting") is None  # holds "sen" inside a word
    assert find_prohibited("Prudence") is None  # "pru"
    assert find_prohibited("Fsm") == "socio-economic"
    assert find_prohibited("Free-school  meals") == "socio-economic"
    assert find_prohibited("fŕee school meals") == "socio-economic"  # accents stripped


# -- organisations, users, nominations ---------------------------------------------------------


def test_an_organisation_has_a_checked_ukprn_a_name_and_a_kind() -> None:
    org = Organisation.create(ukprn="1005 4321", name="WJEC", kind="AWARDING_ORGANISATION")
    assert org == Organisation("10054321", "WJEC", OrganisationKind.AWARDING_ORGANISATION)
    assert Organisation.create(ukprn="TEST0038", name="T", kind="lrb").ukprn == "TEST0038"
    for change, field in (
        ({"ukprn": "09999999"}, "UKPRN"),
        ({"ukprn": "1234567"}, "UKPRN"),
        ({"ukprn": "1234567é"}, "UKPRN"),
        ({"name": ""}, "OrganisationName"),
        ({"kind": "school"}, "OrganisationKind"),
    ):
        with pytest.raises(ValidationError) as caught:
            Organisation.create(**{"ukprn": "10012345", "name": "Coleg", "kind": "lrb", **change})
        assert caught.value.field == field


def test_a_user_has_a_name_an_organisation_and_a_role() -> None:
    user = User.create(id="jo.bloggs@coleg.example", organisation="1001 2345", role="SUPER_USER")
    assert (user.organisation, user.role, user.active, user.secret_hash) == (
        "10012345", Role.SUPER_USER, True, None,
    )  # fmt: skip
    assert "jo.bloggs" not in repr(user)
    hashed = User.create(id="jo", organisation="10012345", secret_hash="scrypt$16384$8$1$abc")
    assert "scrypt" not in repr(hashed)
    for change, field in (
        ({"id": ""}, "Username"),
        ({"id": "jo bloggs"}, "Username"),
        ({"id": "j" * 101}, "Username"),
        ({"organisation": "1"}, "UKPRN"),
        ({"role": "admin"}, "Role"),
        ({"active": "yes"}, "Active"),
        ({"secret_hash": "not ascii é"}, "SecretHash"),
        ({"secret_hash": ""}, "SecretHash"),
    ):
        with pytest.raises(ValidationError) as caught:
            User.create(**{"id": "jo", "organisation": "10012345", **change})
        assert caught.value.field == field


def test_a_nomination_is_full_or_restricted_with_the_events_shared() -> None:
    restricted = Nomination.create(
        uln="3344556680", organisation="10012345", view="restricted", shared=["EV2", "EV1"],
        created=WHEN,
    )  # fmt: skip
    assert restricted.view is NominationView.RESTRICTED
    assert restricted.shared == ("EV2", "EV1")
    assert restricted.active
    assert restricted.id == 0
    full = Nomination.create(uln="3344556680", organisation="10012345", view="full", created=WHEN)
    assert full.shared == ()
    withdrawn = attrs.evolve(full, withdrawn=WHEN + _dt.timedelta(days=1))
    assert not withdrawn.active
    base = {"uln": "3344556680", "organisation": "10012345", "view": "restricted",
            "created": WHEN}  # fmt: skip
    for change, field in (
        ({"uln": "3344556681"}, "ULN"),
        ({"organisation": "x"}, "UKPRN"),
        ({"view": "brief"}, "View"),
        ({"view": "full", "shared": ["EV1"]}, "SharedEvents"),
        ({"shared": ["EV1", "EV1"]}, "SharedEvents"),
        ({"shared": "EV1"}, "SharedEvents"),
        ({"shared": ["bad id"]}, "SharedEvents"),
        ({"created": _dt.datetime(2025, 1, 6)}, "Created"),  # no time zone
        ({"created": "yesterday"}, "Created"),
    ):
        with pytest.raises(ValidationError) as caught:
            Nomination.create(**{**base, **change})
        assert caught.value.field == field
    with pytest.raises(InvalidDate) as caught:
        attrs.evolve(full, withdrawn=WHEN - _dt.timedelta(days=1))
    assert caught.value.field == "Withdrawn"


@settings(max_examples=50)
@given(event=learning_events())
def test_any_valid_event_rebuilds_through_create(event: LearningEvent) -> None:
    assert LearningEvent.create(**event.as_dict()) == event


def test_make_event_is_a_valid_event() -> None:
    assert make_event(event_id="X").id == "X"
