"""Tests of uln.matching: levels, scoring, configuration, search, link, dedupe, fit."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import uln.matching
from uln.errors import ConfigError
from uln.matching import (
    CandidateIndex,
    Link,
    MatchConfig,
    Matcher,
    Outcome,
    TermFrequencies,
    clusters,
    evaluate,
    match_record,
)
from uln.matching.compare import (
    compare_dates,
    compare_emails,
    compare_genders,
    compare_middle_names,
    compare_names,
    compare_postcodes,
    compare_texts,
)
from uln.matching.index import COARSE_BLOCK
from uln.matching.normalise import date_info, name_info, postcode_info, text_info
from uln.testing.perturb import NotApplicable, perturb

MATCHER = Matcher()

JO = {
    "given_name": "Joanne",
    "family_name": "Bloggs",
    "date_of_birth": "2006-04-09",
    "gender": 2,
    "postcode": "CV4 9EE",
}


def learner(**changes: Any) -> dict[str, Any]:
    row = dict(JO)
    row.update(changes)
    return row


# -- comparison levels ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("Joanne", "joanne", "exact"),
        ("Siân", "Sian", "exact"),
        ("O'Brien", "OBrien", "exact"),
        ("McDonald", "MacDonald", "exact"),
        ("Dafydd", "Dai", "alias"),
        ("William", "Bill", "alias"),
        ("Smith", "Smyth", "phonetic"),
        ("Smith-Jones", "Jones", "part"),
        ("Mary Jane", "Mary", "part"),
        ("Jonathon", "Jonathan", "phonetic"),
        ("Thompsen", "Thompson", "phonetic"),
        ("Kristoffer", "Christopher", "phonetic"),
        ("Evans", "Evasn", "close"),
        ("Bloggs", "Bxoggs", "similar"),
        ("Bloggs", "Blpggs", "close"),  # one slip of the keyboard (P next to O)
        ("Dqvid", "David", "close"),
        ("J", "Joanne", "initial"),
        ("Zebedee", "Joanne", "different"),
        ("Joanne", "", "missing"),
        ("Joanne", "1234", "missing"),
    ],
)
def test_name_levels(a: str, b: str, level: str) -> None:
    assert compare_names(name_info(a), name_info(b)) == level
    assert compare_names(name_info(b), name_info(a)) == level


def test_similar_level() -> None:
    a, b = name_info("Evans"), name_info("Evasn")
    assert compare_names(a, b, {"similar", "different"}) == "similar"
    assert compare_names(a, b, {"exact", "different"}) == "different"


def test_level_left_out_falls_through() -> None:
    a, b = name_info("Dafydd"), name_info("David")
    assert compare_names(a, b) == "alias"
    assert compare_names(a, b, {"exact", "close", "different"}) == "different"
    assert compare_names(name_info("Smyth"), name_info("Smith"), {"exact", "close"}) != "phonetic"


def test_patronymic_alias() -> None:
    assert compare_names(name_info("ap Rhys"), name_info("Price")) == "alias"


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("2006-04-09", "09/04/2006", "exact"),
        ("2006-04-09", "2006-09-04", "swapped"),
        ("2006-04-09", "2006-04-08", "one_digit"),
        ("2006-04-09", "2006-04-90", "one_digit"),  # a transposition, also impossible
        ("2006-04-09", "2007-04-09", "one_digit"),
        ("2006-04-09", "2006-04-30", "month"),
        ("2006-04-09", "2006-11-30", "year"),
        ("2006-04-09", "1996-12-25", "different"),
        ("2006-04-09", "", "missing"),
        ("2006-04-09", "soon", "missing"),
    ],
)
def test_date_levels(a: str, b: str, level: str) -> None:
    assert compare_dates(date_info(a), date_info(b)) == level
    assert compare_dates(date_info(b), date_info(a)) == level


def test_date_objects_and_impossible_dates() -> None:
    assert compare_dates(date_info(dt.date(2006, 4, 9)), date_info("2006-04-09")) == "exact"
    impossible = date_info("2006-02-30")
    assert impossible is not None
    assert impossible.ordinal is None
    assert compare_dates(impossible, date_info("2006-02-03")) == "one_digit"
    assert compare_dates(impossible, date_info("2006-03-02")) == "different"


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [(1, 1, "agree"), (2, 1, "disagree"), (0, 1, "missing"), (2, 9, "missing")],
)
def test_gender_levels(a: int, b: int, level: str) -> None:
    assert compare_genders(a, b) == level


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("cv4 9ee", "CV49EE", "unit"),
        ("CV4 9EE", "CV4 9AL", "sector"),
        ("CV4 9EE", "CV4 7AL", "district"),
        ("CV4 9EE", "CV1 2AB", "area"),
        ("CV4 9EE", "SW1A 1AA", "different"),
        ("CV4 9EE", "ZZ99 9ZZ", "missing"),
        ("ZZ99 9ZZ", "ZZ99 9ZZ", "missing"),
        ("CV4 9EE", "", "missing"),
        ("75001", "75 001", "unit"),
        ("75001", "CV4 9EE", "different"),
        ("BFPO 12", "BFPO 12", "unit"),
        ("75001", "75010", "sector"),  # plain strings one adjacent swap apart
        ("75001", "75002", "sector"),
        ("75001", "75022", "different"),
    ],
)
def test_postcode_levels(a: str, b: str, level: str) -> None:
    assert compare_postcodes(postcode_info(a), postcode_info(b)) == level
    assert compare_postcodes(postcode_info(b), postcode_info(a)) == level


_LOCAL = st.text("abcdefghijklmnopqrstuvwxyz.", min_size=5, max_size=20).filter(
    lambda t: t[0] != "." and t[-1] != "."
)


@given(_LOCAL, st.sampled_from(["example.com", "school.sch.uk", "mail.co.uk"]), st.data())
def test_an_email_typed_with_a_slip_is_close_and_another_number_is_not(
    local: str, domain: str, data: st.DataObject
) -> None:
    email = f"{local}@{domain}"
    at = data.draw(st.integers(0, len(local) - 1))
    letter = data.draw(
        st.sampled_from("abcdefghijklmnopqrstuvwxyz").filter(lambda c: c != local[at])
    )
    slipped = f"{local[:at]}{letter}{local[at + 1 :]}@{domain}"
    assert compare_emails(email, slipped) == compare_emails(slipped, email) == "close"
    assert compare_emails(email, email) == "exact"
    # the same address with another number: another learner of one family or provider
    assert compare_emails(f"{local}1@{domain}", f"{local}2@{domain}") == "different"
    assert compare_emails(f"{local}@{domain}", f"{local}7@{domain}") == "different"


def test_optional_levels() -> None:
    assert compare_emails("jo@example.com", "jo@example.com") == "exact"
    assert compare_emails("jo@example.com", "jb@example.com") == "different"  # initials
    assert compare_emails("rhys.pugh@example.com", "rhys.pguh@example.com") == "close"
    assert compare_emails("rhys.pugh@example.com", "rhys.pugh@exmaple.com") == "close"
    assert compare_emails("rhys.pugh07@example.com", "rhys.pugh08@example.com") == "different"
    assert compare_emails("rhys.pugh@example.com", "nia.pugh@example.com") == "different"
    assert compare_emails("rhys.pugh@example.com", "rhys.pugh@example.com", {"different"}) == (
        "different"  # a configuration without the level
    )
    assert compare_texts(text_info("Bristol"), text_info("bristol")) == "exact"
    assert compare_texts(text_info("West Devon"), text_info("Devon")) == "close"
    assert compare_texts(text_info("Leeds"), text_info("Truro")) == "different"
    assert compare_middle_names(name_info("Ann Marie"), name_info("Marie")) == "part"
    assert compare_middle_names(name_info("Ann"), name_info("Beth")) == "different"
    assert compare_middle_names(name_info("Ann"), None) == "missing"


def test_swapped_and_previous_names() -> None:
    swapped = MATCHER.compare(JO, learner(given_name="Bloggs", family_name="Joanne"))
    assert swapped.field("given_name").level == "swapped"
    assert swapped.field("family_name").level == "swapped"
    assert swapped.is_match
    half = MATCHER.compare(JO, learner(given_name="Smith", family_name="Joanne"))
    # the given name typed over the family name (family names clearly different): one
    # name in the other's place
    assert half.field("given_name").level == "swapped"
    assert half.field("family_name").level == "different"
    typo = MATCHER.compare(JO, learner(given_name="Blogs", family_name="Joane"))
    assert typo.field("given_name").level == "swapped"  # a swap with typos in it
    assert typo.is_match
    reverse = MATCHER.compare(learner(given_name="Smith", family_name="Joanne"), JO)
    assert [f.level for f in reverse.fields] == [f.level for f in half.fields]
    married = learner(family_name="Evans", previous_family_name="Bloggs")
    assert MATCHER.compare(JO, married).field("family_name").level == "previous"
    assert MATCHER.compare(married, JO).field("family_name").level == "previous"


def test_whole_name_in_one_box_is_a_swap_not_a_twin() -> None:
    one_box = learner(given_name="Bloggs", family_name="")  # the family name in the given box
    for c in (MATCHER.compare(JO, one_box), MATCHER.compare(one_box, JO)):
        assert c.field("given_name").level == "swapped"
        assert c.field("family_name").level == "missing"
        assert "twin rule" not in c.explain()
        assert c.is_match
    both = learner(given_name="Bloggs")  # the family name in both boxes: one cross only
    assert MATCHER.compare(JO, both).field("given_name").level == "different"
    assert MATCHER.compare(JO, both).field("family_name").level == "exact"
    assert not MATCHER.compare(JO, both).is_match
    other = learner(given_name="Smith", family_name="")  # no name of the other's
    assert MATCHER.compare(JO, other).field("given_name").level == "different"


@pytest.mark.parametrize("title", ["Mr", "Miss", "Sir", "Rt. Hon.", "LADY"])
def test_a_title_alone_is_no_given_name(title: str) -> None:
    titled = learner(given_name=title)
    c = MATCHER.compare(JO, titled)
    assert c.field("given_name").level == "missing"
    assert "twin rule" not in c.explain()
    assert (
        MATCHER.compare(JO, learner(given_name=f"{title} Joanne")).field("given_name").level
        == "exact"
    )
    lord = learner(family_name="Lord")  # a title is a surname in the family-name box
    assert MATCHER.compare(lord, learner(family_name="Lord")).field("family_name").level == (
        "exact"
    )


# -- scoring -------------------------------------------------------------------------------


def test_weights_add_up_to_the_probability() -> None:
    c = MATCHER.compare(JO, learner(given_name="Jo", postcode="CV4 7AL"))
    assert math.isclose(c.match_weight, c.prior_weight + sum(f.weight for f in c.fields))
    assert math.isclose(c.probability, 2**c.match_weight / (1 + 2**c.match_weight))
    assert c.field("given_name").level == "alias"


def test_missing_weighs_nothing() -> None:
    c = MATCHER.compare({"given_name": "Jo"}, {"family_name": "Bloggs"})
    assert all(f.weight == 0 for f in c.fields)
    assert c.match_weight == c.prior_weight


def test_term_frequency_makes_rare_names_count_more() -> None:
    index = CandidateIndex.from_records(
        {i: {"given_name": "Mohammed", "family_name": f"X{i}"} for i in range(200)}
        | {"z": {"given_name": "Zebedee", "family_name": "Q"}}
    )
    common = MATCHER.compare(
        {"given_name": "Mohammed"}, {"given_name": "Mohammed"}, frequencies=index.frequencies
    )
    rare = MATCHER.compare(
        {"given_name": "Zebedee"}, {"given_name": "Zebedee"}, frequencies=index.frequencies
    )
    plain = MATCHER.compare({"given_name": "Zebedee"}, {"given_name": "Zebedee"})
    assert common.field("given_name").tf_adjustment < 0 < rare.field("given_name").tf_adjustment
    assert common.probability < plain.probability < rare.probability
    assert "term frequency" in rare.explain()


def _with_date_frequencies() -> Matcher:
    dob = MatchConfig.default().comparisons["date_of_birth"].to_dict()
    return Matcher(
        MatchConfig.from_dict({"comparisons": {"date_of_birth": {**dob, "term_frequency": True}}})
    )


DATED = _with_date_frequencies()


def test_date_of_birth_term_frequencies_are_off_by_default() -> None:
    rows = {i: learner(date_of_birth="2008-01-01") for i in range(50)}
    tf = CandidateIndex.from_records(rows).frequencies
    pair = (learner(date_of_birth="2008-01-01"), learner(date_of_birth="2008-01-01"))
    assert MATCHER.compare(*pair, frequencies=tf).field("date_of_birth").tf_adjustment == 0
    assert DATED.compare(*pair, frequencies=tf).field("date_of_birth").tf_adjustment < 0


def test_term_frequency_makes_common_dates_of_birth_count_less() -> None:
    """1 January shared by many records (a default, a year written as a date) weighs less
    than a date few records share, but never less than a date one digit away."""
    matcher = DATED
    rows = {i: learner(given_name=f"G{i:03d}", date_of_birth="2008-01-01") for i in range(300)}
    rows.update(
        {1000 + i: learner(date_of_birth=f"20{i % 10:02d}-03-{i % 28 + 1:02d}") for i in range(300)}
    )
    rows["rare"] = learner(date_of_birth="2007-08-19")
    index = CandidateIndex.from_records(rows)
    tf = index.frequencies
    assert tf.dated == tf.total == len(rows)
    common = matcher.compare(
        learner(date_of_birth="2008-01-01"), learner(date_of_birth="2008-01-01"), frequencies=tf
    )
    rare = matcher.compare(
        learner(date_of_birth="2007-08-19"), learner(date_of_birth="2007-08-19"), frequencies=tf
    )
    slip = matcher.compare(
        learner(date_of_birth="2008-01-01"), learner(date_of_birth="2008-01-07"), frequencies=tf
    )
    plain = matcher.compare(learner(), learner())
    assert common.field("date_of_birth").level == rare.field("date_of_birth").level == "exact"
    assert common.field("date_of_birth").tf_adjustment < -2
    assert common.field("date_of_birth").tf_adjustment < rare.field("date_of_birth").tf_adjustment
    assert slip.field("date_of_birth").level == "one_digit"
    assert slip.field("date_of_birth").weight < common.field("date_of_birth").weight
    assert plain.field("date_of_birth").tf_adjustment == 0  # no frequencies given
    assert "term frequency" in common.explain()
    # the fast score of search and dedupe carries the same adjustment
    query = match_record(learner(date_of_birth="2008-01-01"))
    other = match_record(learner(date_of_birth="2008-01-01"))
    assert matcher._weigh(query, other, tf) == pytest.approx(common.match_weight)


def test_dates_of_birth_are_adjusted_only_when_every_record_was_counted() -> None:
    """A source that counts names but not dates (an SQL register without date counts)
    gives no date adjustment rather than treating every date as unseen."""
    names_only = TermFrequencies(
        given=Counter({"JOANNE": 3}), family=Counter({"BLOGGS": 3}), total=3
    )
    assert names_only.date_adjustment("20060409", 3e-4) == 0.0
    c = DATED.compare(learner(), learner(), frequencies=names_only)
    assert c.field("date_of_birth").tf_adjustment == 0.0
    assert c.field("given_name").tf_adjustment != 0.0
    index = CandidateIndex.from_records(
        {i: learner(date_of_birth=f"2006-04-{i + 1:02d}") for i in range(9)}
    )
    index.add("new", learner())
    index.remove(0)
    assert index.frequencies.dated == index.frequencies.total == 9
    assert index.frequencies.dates["20060409"] == 2


def test_two_digit_dates_of_birth() -> None:
    """Two digits apart and more than a year apart: weak evidence against, not a slip."""
    assert compare_dates(date_info("2006-04-09"), date_info("2008-04-03")) == "two_digits"
    assert compare_dates(date_info("2006-04-09"), date_info("2009-07-19")) == "different"
    assert compare_dates(date_info("2006-04-09"), date_info("2006-04-23")) == "month"
    weights = MATCHER.config.comparisons["date_of_birth"].weights
    assert weights["different"] < weights["two_digits"] < 0
    # a learner and a brother of one name born two years apart at one address: a person
    # must look (the household rule holds them at the possible threshold), never a match
    c = MATCHER.compare(learner(gender=1), learner(gender=1, date_of_birth="2008-04-03"))
    assert c.field("date_of_birth").level == "two_digits"
    assert not c.is_match
    assert c.probability == pytest.approx(MATCHER.config.possible_threshold)
    assert "household rule" in c.explain()


def test_explain_waterfall() -> None:
    c = MATCHER.compare(JO, learner(date_of_birth="2006-09-04", email="jo@example.com"))
    text = c.explain()
    lines = text.splitlines()
    assert lines[0].split() == ["field", "level", "weight"]
    assert lines[1].startswith("prior")
    assert "date_of_birth  swapped" in text
    assert "email" not in text  # one side only: not compared, not listed
    assert lines[-1].startswith("match weight")
    assert f"{c.probability:.4f}" in lines[-1]
    for value in ("Joanne", "JOANNE", "Bloggs", "BLOGGS", "2006", "CV4"):
        assert value not in text  # no personal data


def test_a_swap_with_a_typo_swaps_both_names() -> None:
    """Given and family names the wrong way round, one of them mistyped: both levels say
    swapped (the family names were never compared with each other)."""
    c = MATCHER.compare(
        {"given_name": "Max", "family_name": "Morrison"},
        {"given_name": "Morrison", "family_name": "Maxine"},
    )
    assert (c.field("given_name").level, c.field("family_name").level) == ("swapped", "swapped")
    household = MATCHER.compare(  # one cross with family names that agree: never a swap
        {"given_name": "Trinity", "family_name": "Trent"},
        {"given_name": "Charli", "family_name": "Trent"},
    )
    assert household.field("family_name").level == "exact"


def test_explain_states_the_outcome() -> None:
    """The last line says what the pair is: a match, a possible match or not a match."""
    config = MATCHER.config.evolve(possible_threshold=0.3, match_threshold=0.9)
    matcher = Matcher(config)
    same = matcher.compare(JO, learner(date_of_birth="2006-09-04"))
    twin = matcher.compare(JO, learner(given_name="Hannah"))  # held at the possible threshold
    stranger = matcher.compare(JO, {"given_name": "Sam", "family_name": "Smith"})
    assert same.is_match
    assert same.explain().endswith("(a match at 0.9)")
    assert not twin.is_match
    assert twin.probability == pytest.approx(0.3)
    assert twin.explain().endswith("(a possible match: review at 0.3, auto-match at 0.9)")
    assert stranger.probability < 0.3
    assert stranger.explain().endswith("(not a match: review at 0.3, auto-match at 0.9)")
    assert "match at" not in stranger.explain().replace("auto-match at", "")


def test_twin_rule() -> None:
    twin = learner(given_name="Hannah")
    c = MATCHER.compare(JO, twin)
    assert c.field("given_name").level == "different"
    assert c.field("twin rule").weight < 0
    assert c.probability == pytest.approx(MATCHER.config.possible_threshold)
    assert not c.is_match
    assert "twin rule" in c.explain()
    result = MATCHER.search(JO, {"twin": twin})
    assert result.outcome is Outcome.POSSIBLE
    assert not MATCHER.dedupe({"a": JO, "b": twin})[0].is_match
    assert MATCHER.compare(JO, learner(given_name="Jo")).is_match  # an alias is no twin
    # without the twin rule, the household rule still holds the pair (one address)
    no_twin = Matcher(MatchConfig.default().evolve(twin_rule=False))
    assert not no_twin.compare(JO, twin).is_match
    assert "twin rule" not in no_twin.compare(JO, twin).explain()
    assert "household rule" in no_twin.compare(JO, twin).explain()
    off = Matcher(MatchConfig.default().evolve(twin_rule=False, household_rule=False))
    assert off.compare(JO, twin).is_match


def test_optional_fields_only_refine() -> None:
    sibling = {
        "given_name": "Amelia",
        "family_name": "Bevan",
        "date_of_birth": "1998-01-01",
        "postcode": "CF14 3NR",
        "email": "family@example.com",
        "place_of_birth": "Cardiff",
        "middle_names": "Al",
        "school_at_16": "Ysgol Glantaf",
    }
    other = sibling | {"given_name": "Owen", "family_name": "Hughes", "date_of_birth": "2001-05-05"}
    c = MATCHER.compare(sibling, other)
    assert c.field("optional cap").weight < 0
    assert sum(f.weight for f in c.fields if f.name in c.OPTIONAL) + c.field(
        "optional cap"
    ).weight == pytest.approx(uln.matching.REFINE_CAP)
    assert "optional cap" in c.explain()
    assert MATCHER.search(sibling, {"x": other}).outcome is not Outcome.EXACT


def test_demographics_and_learners_are_records() -> None:
    from uln.learner import Demographics

    demographics = Demographics.from_raw(
        {
            "GivenName": "Siân",
            "FamilyName": "Pryce",
            "DateOfBirth": "2007-04-12",
            "Gender": "2",
            "LastKnownPostCode": "SA1 1AA",
            "PreviousFamilyName": "Jones",
        }
    )
    record = match_record(demographics)
    assert record.gender == 2
    assert [p.key for p in record.previous] == ["JONES"]
    c = MATCHER.compare(
        demographics,
        {
            "given_name": "Sian",
            "family_name": "Jones",
            "date_of_birth": "2007-04-12",
            "postcode": "sa11aa",
            "GivenName": "ignored: given_name comes first",
        },
    )
    assert c.field("family_name").level == "previous"
    assert c.is_match


def test_reprs_hide_personal_data() -> None:
    record = match_record(JO)
    for text in (repr(record), repr(record.given), repr(record.postcode), repr(record.dob)):
        assert "JOANNE" not in text
        assert "CV4" not in text
        assert "2006" not in text


# -- configuration -------------------------------------------------------------------------


def test_config_round_trip_toml_and_dict(tmp_path: Path) -> None:
    config = MatchConfig.default().evolve(match_threshold=0.97, max_possible=5)
    assert MatchConfig.from_dict(config.to_dict()) == config
    assert MatchConfig.from_toml(config.to_toml()) == config
    path = tmp_path / "match.toml"
    config.save(path)
    assert MatchConfig.load(path) == config
    json_path = tmp_path / "match.json"
    config.save(json_path)
    assert MatchConfig.load(json_path) == config


def test_config_levels_and_switching_off() -> None:
    config = MatchConfig.from_dict(
        {
            "comparisons": {
                "gender": False,
                "postcode": {
                    "levels": [
                        {"name": "unit", "weight": 9.0},
                        {"name": "different", "m": 0.3, "u": 0.9},
                    ]
                },
            }
        }
    )
    assert "gender" not in config.comparisons
    assert config.comparisons["postcode"].weight("unit") == 9.0
    matcher = Matcher(config)
    c = matcher.compare(JO, learner(postcode="CV4 9AL"))
    assert c.field("postcode").level == "different"  # no sector level: falls through
    assert [f.name for f in c.fields][:4] == [
        "given_name",
        "family_name",
        "date_of_birth",
        "postcode",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"match_threshold": 1.5}, "match_threshold: must be a number between 0 and 1"),
        ({"prior": 0}, "prior: must be a number between 0 and 1"),
        ({"possible_threshold": 0.99, "match_threshold": 0.9}, "must not be above"),
        ({"max_possible": 0}, "max_possible: must be a whole number"),
        ({"max_possible": True}, "max_possible"),
        ({"twin_rule": "yes"}, "twin_rule: must be true or false"),
        ({"colour": "blue"}, "colour: unknown key"),
        ({"comparisons": {"shoe": {}}}, "comparisons.shoe: unknown comparison"),
        ({"comparisons": {"gender": {"levels": []}}}, "levels: must be a non-empty list"),
        (
            {"comparisons": {"gender": {"levels": [{"name": "agree", "m": 2, "u": 0.5}]}}},
            "comparisons.gender.levels[0].m",
        ),
        (
            {"comparisons": {"gender": {"levels": [{"name": "wrong", "m": 0.5, "u": 0.5}]}}},
            "unknown level",
        ),
        (
            {"comparisons": {"gender": {"levels": [{"name": "agree", "m": 0.5, "u": 0.5}]}}},
            "the last level must be 'disagree'",
        ),
        (
            {
                "comparisons": {
                    "gender": {
                        "levels": [
                            {"name": "disagree", "m": 0.5, "u": 0.5},
                            {"name": "agree", "m": 0.5, "u": 0.5},
                        ]
                    }
                }
            },
            "in the order",
        ),
        (
            {"comparisons": {"gender": {"levels": [{"name": "missing", "m": 0.5, "u": 0.5}]}}},
            "missing level always weighs 0",
        ),
        ({"comparisons": {"gender": {"term_frequency": True, "levels": []}}}, "no exact level"),
        (
            {
                "comparisons": {
                    "postcode": {
                        "term_frequency": True,
                        "levels": [{"name": "unit", "m": 1, "u": 1}],
                    }
                }
            },
            "no exact level",
        ),
        (
            {
                "comparisons": {
                    "email": {"term_frequency": True, "levels": [{"name": "exact", "m": 1, "u": 1}]}
                }
            },
            "counted for given_name, family_name and date_of_birth only",
        ),
        ({"comparisons": []}, "comparisons: must be a table"),
    ],
)
def test_config_validation(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        MatchConfig.from_dict(data)


def test_config_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        MatchConfig.load(tmp_path / "absent.toml")
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid JSON"):
        MatchConfig.load(bad)
    with pytest.raises(ConfigError, match="not valid TOML"):
        MatchConfig.from_toml("[[")


# -- search --------------------------------------------------------------------------------


def test_search_outcomes_and_codes() -> None:
    others = {
        f"o{i}": {"given_name": f"Person{chr(65 + i)}", "family_name": "Other"} for i in range(3)
    }
    exact = MATCHER.search(JO, {"jo": learner(given_name="Jo"), **others})
    assert (exact.outcome, exact.code) == (Outcome.EXACT, "WSRC0004")
    assert [m.id for m in exact.matches] == ["jo"]
    possible = MATCHER.search(JO, {"a": JO, "b": learner(date_of_birth="2006-04-08")})
    assert (possible.outcome, possible.code) == (Outcome.POSSIBLE, "WSRC0003")
    assert [m.id for m in possible.matches] == ["a", "b"]  # ranked
    weak = MATCHER.search(JO, {"w": learner(date_of_birth="", postcode="")})
    assert weak.outcome is Outcome.POSSIBLE
    assert not weak.matches[0].comparison.is_match
    many = MATCHER.search(JO, dict.fromkeys(range(11), JO))
    assert (many.outcome, many.code, many.matches, many.found) == (
        Outcome.TOO_MANY,
        "WSRC0002",
        (),
        11,
    )
    ten = MATCHER.search(JO, dict.fromkeys(range(10), JO))
    assert ten.outcome is Outcome.POSSIBLE
    assert len(ten.matches) == 10
    none = MATCHER.search(JO, others)
    assert (none.outcome, none.code, none.matches) == (Outcome.NO_MATCH, "WSRC0001", ())


def test_search_index_finds_perturbed_learner() -> None:
    rows = {
        1: JO,
        2: learner(given_name="Sioned", family_name="Evans", date_of_birth="2005-01-01"),
        3: learner(given_name="Dafydd", family_name="Jones", gender=1),
    }
    index = CandidateIndex.from_records(rows)
    for query in (
        learner(given_name="Jo"),
        learner(date_of_birth="2006-09-04"),
        learner(given_name="Bloggs", family_name="Joanne"),
        learner(family_name="Smith", previous_family_name="Bloggs"),
        learner(postcode="CV4 7AL", date_of_birth="2006-04-08"),
    ):
        result = MATCHER.search(query, index)
        assert result.outcome in (Outcome.EXACT, Outcome.POSSIBLE)
        assert result.best is not None
        assert result.best.id == 1


def test_index_add_remove_and_frequencies() -> None:
    index = CandidateIndex()
    index.add("a", JO)
    index.add("b", learner(given_name="Jo"))
    assert len(index) == 2
    assert "a" in index
    assert set(index) == {"a", "b"}
    assert index.frequencies.family["BLOGGS"] == 2
    assert {key for key, _ in index.candidates(JO)} == {"a", "b"}
    index.remove("a")
    assert "a" not in index
    assert index.frequencies.family["BLOGGS"] == 1
    assert {key for key, _ in index.candidates(JO)} == {"b"}
    with pytest.raises(KeyError):
        index.remove("a")
    index.add("a", JO)
    assert {key for key, _ in index.candidates(JO)} == {"a", "b"}
    assert "BLOGGS" not in repr(index)


def test_pair_completeness_report() -> None:
    index = CandidateIndex.from_records(
        {1: JO, 2: learner(given_name="Jo"), 3: {"given_name": "Sam", "family_name": "Smith"}}
    )
    report = index.pair_completeness([(1, 2), (1, 3), (1, 99)])
    assert (report.found, report.total, report.ratio) == (1, 2, 0.5)
    assert sum(report.by_key.values()) >= 1


# -- link, dedupe, clusters, evaluate ------------------------------------------------------


def test_link_and_dedupe() -> None:
    left = {"L1": JO, "L2": {"given_name": "Sam", "family_name": "Smith"}}
    right = {"R1": learner(given_name="Jo", postcode="cv49ee"), "R2": {"given_name": "Al"}}
    links = MATCHER.link(left, right)
    assert [(x.left_id, x.right_id, x.is_match) for x in links] == [("L1", "R1", True)]
    rows = {**left, **right}
    dedupe = MATCHER.dedupe(rows)
    assert [(x.left_id, x.right_id) for x in dedupe] == [("L1", "R1")]
    assert MATCHER.dedupe(rows, threshold=0.0)  # every scored pair
    assert clusters(dedupe) == [["L1", "R1"]]


def test_clusters_and_evaluate() -> None:
    links = [
        Link(1, 2, 0.99, 7.0, True),
        Link(2, 3, 0.99, 7.0, True),
        Link(4, 5, 0.99, 7.0, True),
        Link(3, 4, 0.3, -1.0, False),
    ]
    assert clusters(links) == [[1, 2, 3], [4, 5]]
    assert clusters(links, include_all=True) == [[1, 2, 3], [4, 5]]
    truth = {1: "a", 2: "a", 3: "a", 4: "b", 5: "c"}
    result = evaluate(links, truth)
    assert (result.true_positives, result.false_positives, result.false_negatives) == (2, 1, 1)
    assert result.precision == result.recall == result.f1 == pytest.approx(2 / 3)
    assert result.pair_completeness == pytest.approx(2 / 3)
    closed = evaluate(links, [(1, 2), (1, 3), (2, 3)], use_clusters=True)
    assert closed.recall == 1.0
    assert closed.precision == pytest.approx(3 / 4)
    assert "F1" in str(result)
    empty = evaluate([], [])
    assert (empty.precision, empty.recall, empty.pair_completeness) == (1.0, 1.0, 1.0)


def test_fit_changes_m_and_u() -> None:
    rows: dict[int, dict[str, Any]] = {}
    names = ["Jo", "Sam", "Al", "Kim", "Lee", "Max", "Ned", "Oli", "Pat", "Ria"]
    for i, name in enumerate(names):
        base = {
            "given_name": name,
            "family_name": f"Fam{chr(65 + i)}son",
            "date_of_birth": f"200{i}-0{1 + i % 9}-1{i}",
            "postcode": f"CV{i} 9EE",
            "gender": 1 + i % 2,
        }
        rows[2 * i] = base
        rows[2 * i + 1] = {**base, "postcode": f"CV{i} 1AB"}
    fitted = MATCHER.fit(rows, random_pairs=2000)
    assert isinstance(fitted, Matcher)
    assert fitted is not MATCHER
    for name in ("given_name", "postcode"):
        old = MATCHER.config.comparisons[name]
        new = fitted.config.comparisons[name]
        assert [lv.name for lv in old.levels] == [lv.name for lv in new.levels]
        assert [lv.m for lv in old.levels] != [lv.m for lv in new.levels]
        assert [lv.u for lv in old.levels] != [lv.u for lv in new.levels]
    MatchConfig.from_dict(fitted.config.to_dict())  # still valid
    assert fitted.config.prior != MATCHER.config.prior  # estimated from the data
    kept = MATCHER.fit(rows, random_pairs=2000, estimate_prior=False)
    assert kept.config.prior == MATCHER.config.prior
    linked = MATCHER.fit(rows, {"x": JO}, random_pairs=100)
    assert isinstance(linked, Matcher)


def test_public_api_is_sorted_and_complete() -> None:
    def kind(name: str) -> tuple[int, str]:  # ruff's RUF022 order: CONSTANTS, Classes, others
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert list(uln.matching.__all__) == sorted(uln.matching.__all__, key=kind)
    for name in uln.matching.__all__:
        assert hasattr(uln.matching, name)


# -- properties ----------------------------------------------------------------------------

FIELDS = [
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
    "GivenName",
]
dirty_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "ZZ99 9ZZ", "2006-02-30", "31/04/2001", "0", "9", "-", "'", "Ł"]),
    st.none(),
    st.integers(-5, 10),
    st.dates(),
    st.lists(st.integers(), max_size=2),
)
rows = st.dictionaries(st.sampled_from(FIELDS), dirty_text, max_size=8)
plausible = st.fixed_dictionaries(
    {
        "given_name": st.sampled_from(["Jo", "Joanne", "Dafydd", "Dai", "Sam", "", "J"]),
        "family_name": st.sampled_from(["Bloggs", "Blogs", "Jones", "Smith-Jones", ""]),
        "date_of_birth": st.sampled_from(["2006-04-09", "2006-09-04", "2006-04-08", "", "x"]),
        "gender": st.sampled_from([0, 1, 2, 9, "F", ""]),
        "postcode": st.sampled_from(["CV4 9EE", "CV4 9AL", "CV1 1AA", "ZZ99 9ZZ", "", "75001"]),
    }
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.integers(0, 20), rows, max_size=6), st.lists(rows, max_size=3))
def test_dirty_rows_never_crash(records: dict[int, dict[str, Any]], queries: list[Any]) -> None:
    MATCHER.dedupe(records, threshold=0.0)
    MATCHER.link(records, dict(enumerate(queries)), threshold=0.0)
    index = CandidateIndex.from_records(records)
    for query in queries:
        result = MATCHER.search(query, index)
        assert result.outcome in Outcome
        MATCHER.compare(query, records.get(0, {})).explain()


@settings(max_examples=100, deadline=None)
@given(st.one_of(rows, plausible), st.one_of(rows, plausible))
def test_compare_is_symmetric(a: dict[str, Any], b: dict[str, Any]) -> None:
    ab, ba = MATCHER.compare(a, b), MATCHER.compare(b, a)
    assert [(f.name, f.level) for f in ab.fields] == [(f.name, f.level) for f in ba.fields]
    assert ab.match_weight == pytest.approx(ba.match_weight)


@settings(max_examples=100, deadline=None)
@given(plausible, plausible, st.sampled_from(["date_of_birth", "postcode", "gender"]))
def test_agreeing_on_one_more_field_never_lowers_the_probability(
    a: dict[str, Any], b: dict[str, Any], field: str
) -> None:
    without = dict(b)
    without.pop(field)
    a_without = dict(a)
    a_without.pop(field)
    agreeing = dict(b)
    agreeing[field] = a[field]
    base = MATCHER.compare(a, without).probability
    assert MATCHER.compare(a, agreeing).probability >= base
    assert MATCHER.compare(a_without, without).probability == pytest.approx(base)


def _population(seed: int) -> tuple[dict[int, dict[str, Any]], int]:
    """1,000 synthetic learners, 400 of them with a second, perturbed record."""
    rng = random.Random(seed)
    given = [
        "Amelia",
        "Oliver",
        "Isla",
        "Noah",
        "Ava",
        "Leo",
        "Mia",
        "Oscar",
        "Freya",
        "Arlo",
        "Sioned",
        "Dafydd",
        "Priya",
        "Mohammed",
        "Zara",
        "Ethan",
        "Grace",
        "Harry",
        "Lily",
        "Jacob",
        "Evie",
        "Reuben",
        "Nia",
        "Tomos",
        "Chloe",
        "Kai",
        "Ruby",
        "Alfie",
    ]
    family = [
        f"{a}{b}"
        for a in (
            "Ash",
            "Brad",
            "Carr",
            "Dun",
            "Ell",
            "Fair",
            "Gold",
            "Hart",
            "Ing",
            "Kell",
            "Lang",
            "Mor",
            "Nor",
            "Pen",
            "Row",
            "Stan",
        )
        for b in ("ford", "well", "ley", "ton", "wick", "by")
    ]
    rows: dict[int, dict[str, Any]] = {}
    duplicates = 0
    for i in range(1_000):
        row = {
            "given_name": rng.choice(given),
            "family_name": rng.choice(family),
            "date_of_birth": f"{rng.randint(2005, 2010)}-{rng.randint(1, 12):02d}-"
            f"{rng.randint(1, 28):02d}",
            "gender": rng.choice("MF"),
            "postcode": f"CF{rng.randint(1, 40)} {rng.randint(1, 9)}"
            f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
        }
        rows[2 * i] = row
        if i % 5 < 2:
            kind = rng.choice(["typo", "nickname", "date_swap", "move", "missing"])
            try:
                rows[2 * i + 1] = perturb(row, kind, rng)
            except NotApplicable:
                rows[2 * i + 1] = dict(row)
            duplicates += 1
    return rows, duplicates


def test_fit_estimates_the_prior_from_unlabelled_records() -> None:
    # EM leaves out the comparison a session is blocked on: otherwise every pair with
    # the same date of birth looks like a match and the prior comes out far too high
    rows, duplicates = _population(5)
    n = len(rows)
    true_prior = duplicates / (n * (n - 1) / 2)
    fitted = MATCHER.fit(rows, random_pairs=20_000)
    assert true_prior / 2 <= fitted.config.prior <= true_prior * 2
    # the fitted model still tells the duplicates from the rest
    links = [link for link in fitted.dedupe(rows) if link.is_match]
    assert sum(link.right_id == link.left_id + 1 for link in links) >= 0.8 * duplicates
    assert all(link.right_id == link.left_id + 1 for link in links)


def test_a_rare_family_name_alone_brings_records_together() -> None:
    # no date of birth or postcode on one side, and given names whose alias blocks
    # differ: only the coarse family-name key (K) files them together
    index = CandidateIndex.from_records(
        {
            "A": {
                "given_name": "Henrietta",
                "family_name": "Pennefather",
                "date_of_birth": "2007-04-01",
                "postcode": "SA1 1AA",
            },
            "B": {"given_name": "Oliver", "family_name": "Jones"},
        }
    )
    query = {"given_name": "Hattie", "family_name": "Pennefather"}
    assert [key for key, _ in index.candidates(query)] == ["A"]
    assert MATCHER.compare(query, index.get("A")).field("given_name").level == "alias"
    # a family name shared by more than COARSE_BLOCK records is not searched alone
    crowd = {
        i: {"given_name": f"Name{chr(65 + i % 26)}{i}", "family_name": "Smith"}
        for i in range(COARSE_BLOCK + 1)
    }
    crowded = CandidateIndex.from_records(crowd)
    assert crowded.candidates({"given_name": "Zebedee", "family_name": "Smith"}) == []


def test_comparison_caches_hold_nothing_the_garbage_collector_walks() -> None:
    # a long-lived matcher in a service: full collections must not walk its caches
    import gc

    matcher = Matcher()
    rows = [
        {"given_name": g, "family_name": f, "date_of_birth": d, "place_of_birth": "Cardiff"}
        for g, f, d in [
            ("Jo", "Bloggs", "2001-02-03"),
            ("Joe", "Blogs", "2001-03-02"),
            ("Sam", "Smith", "1999-01-01"),
            ("Samuel", "Smyth", "1999-01-11"),
        ]
    ]
    for a in rows:
        for b in rows:
            matcher.compare(a, b)
            matcher.dedupe({1: a, 2: b})
    gc.collect()
    caches = [value for name, value in vars(matcher).items() if name.endswith("_cache") and value]
    assert caches
    for cache in caches:
        assert not any(gc.is_tracked(key) for key in cache)
        assert not any(gc.is_tracked(value) for value in cache.values())
