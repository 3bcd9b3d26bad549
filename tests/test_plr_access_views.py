"""The PLR views are cuts: never a detail or event field outside the view's set."""

from __future__ import annotations

import json

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uln.errors import InvalidCode
from uln.learner import Learner
from uln.plr import LearningEvent
from uln.plr.views import VIEWS, brief_view, full_view, make_view, restricted_view
from uln.testing._contract_plr import learning_events
from uln.testing.strategies import learners

# By hand, from the LRS field sets (never imported from the code under test).
BASIC = {"uln", "given_name", "preferred_given_name", "family_name", "date_of_birth"}
BRIEF = {
    "id",
    "award_date",
    "credits",
    "source",
    "level",
    "subject",
    "grade",
    "subject_code",
    "provider_ukprn",
}
NEVER = {"notes", "mis_identifier", "version", "created", "updated", "master_uln"}


@st.composite
def records(draw: st.DrawFn) -> tuple[Learner, list[LearningEvent], set[str]]:
    learner = draw(learners())
    assert learner.uln is not None
    events = draw(st.lists(learning_events(uln=learner.uln), max_size=5, unique_by=lambda e: e.id))
    shared = {e.id for e in events if draw(st.booleans())}
    return learner, events, shared


@given(records())
@settings(max_examples=40)
def test_each_view_shows_only_its_fields(
    record: tuple[Learner, list[LearningEvent], set[str]],
) -> None:
    learner, events, shared = record
    full = full_view(learner, events)
    assert not set(full.details) & NEVER
    assert set(full.event_ids) == {e.id for e in events}
    brief = brief_view(learner, events)
    assert set(brief.details) == {"uln"}
    assert all(set(e) == BRIEF for e in brief.events)
    restricted = restricted_view(learner, events, shared=shared)
    assert set(restricted.details) <= BASIC
    assert set(restricted.event_ids) == shared
    for view in VIEWS:
        limited = make_view(view, learner, events, shared=shared)
        assert set(limited.event_ids) == shared
    dates = [e["award_date"] for e in full.events]
    assert dates == sorted(dates)
    assert repr(full) == (
        f"PlrView(view='full', uln={learner.uln!r}, details={len(full.details)}, "
        f"events={len(events)})"
    )


@given(records())
@settings(max_examples=15)
def test_as_dict_is_json_ready(record: tuple[Learner, list[LearningEvent], set[str]]) -> None:
    learner, events, shared = record
    for view in VIEWS:
        data = make_view(view, learner, events, shared=shared).as_dict()
        assert json.loads(json.dumps(data)) == data


def test_a_bad_view_name_and_a_learner_without_a_uln_are_refused() -> None:
    with pytest.raises(InvalidCode) as bad:
        make_view("everything", Learner(uln="3344556680"), [])
    assert bad.value.field == "view"
    with pytest.raises(InvalidCode) as missing:
        full_view(attrs.evolve(Learner(), uln=None), [])
    assert missing.value.field == "ULN"
