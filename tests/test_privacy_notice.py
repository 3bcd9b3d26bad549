"""The privacy notice: both languages, the provider filled in, bad input refused."""

from __future__ import annotations

import re
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uln.errors import InvalidCode, InvalidFormat, InvalidLength, MissingValue
from uln.learner import Learner
from uln.plr.privacy import PRIVACY_LANGUAGES, notice_seen, render_privacy_notice


@pytest.mark.parametrize("lang", PRIVACY_LANGUAGES)
def test_the_notice_names_the_provider_and_leaves_no_placeholder(lang: str) -> None:
    text = render_privacy_notice("Coleg Gwent", lang=lang)
    assert "$" not in text
    assert text.count("Coleg Gwent") >= 3
    assert "ULN" in text
    assert "ico.org.uk" in text
    assert "16" in text


def test_english_and_welsh_say_the_same_things() -> None:
    en = render_privacy_notice("Coleg Gwent")
    cy = render_privacy_notice("Coleg Gwent", lang="cy")
    assert en != cy
    for welsh in ("Rhif Dysgwr Unigryw", "Cofnod Dysgu Personol", "Comisiynydd Gwybodaeth"):
        assert welsh in cy
    # The same structure: as many paragraphs and as many points in each.
    assert en.count("\n\n") == cy.count("\n\n")
    assert en.count("\n- ") == cy.count("\n- ")
    assert en.count("Coleg Gwent") == cy.count("Coleg Gwent")


def test_the_notice_says_what_the_register_does_not_hold() -> None:
    text = render_privacy_notice("Coleg Gwent").casefold()
    for word in ("ethnicity", "disability", "exclusions"):
        assert word in text


@given(st.text(min_size=1, max_size=60).filter(lambda s: s.strip()))
@settings(max_examples=50)
def test_any_printable_provider_name_is_filled_in_as_given(name: str) -> None:
    if re.search(r"[\x00-\x1f\x7f-\x9f]", name):
        with pytest.raises(InvalidFormat):
            render_privacy_notice(name)
        return
    text = render_privacy_notice(name, lang="cy")
    assert " ".join(name.split()) in text


def test_bad_input_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidCode) as lang:
        render_privacy_notice("Coleg Gwent", lang="fr")
    assert lang.value.field == "lang"
    with pytest.raises(MissingValue) as empty:
        render_privacy_notice("  ")
    assert empty.value.field == "provider"
    with pytest.raises(InvalidFormat) as control:
        render_privacy_notice("Coleg\nGwent")
    assert control.value.field == "provider"
    with pytest.raises(InvalidLength):
        render_privacy_notice("x" * 255)


def test_the_texts_are_package_data() -> None:
    data = resources.files("uln.plr") / "data"
    for lang in PRIVACY_LANGUAGES:
        text = (data / f"privacy_{lang}.txt").read_text(encoding="utf-8")
        assert "${provider}" in text


def test_notice_seen_reads_either_flag() -> None:
    assert notice_seen(Learner.from_raw({"PrivacyNoticeSeen": "1"}, strict=False))
    assert not notice_seen(Learner.from_raw({"PrivacyNoticeSeen": "0"}, strict=False))
    assert notice_seen(Learner.from_raw({"AbilityToShare": "1"}, strict=False))
    assert notice_seen(Learner.from_raw({"AbilityToShare": "2"}, strict=False))
    assert not notice_seen(Learner.from_raw({"AbilityToShare": "0"}, strict=False))
