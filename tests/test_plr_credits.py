"""Credit summaries: credits by level, QCF sizes, and a learner's aggregate."""

from __future__ import annotations

import itertools

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uln.errors import ArgumentError
from uln.plr import (
    QCF_SIZES,
    EventStatus,
    LearningEvent,
    Level,
    QcfSize,
    credits_by_level,
    is_unit,
    qcf_size,
    summarise,
)
from uln.testing._contract_plr import learning_events, make_event


def unit(credits: int, level: str = "2", **more: object) -> LearningEvent:
    return make_event(subject_code="K/501/5773", credits=credits, level=level, **more)


def qualification(credits: int, level: str = "2", **more: object) -> LearningEvent:
    return make_event(subject_code="601/8830/6", credits=credits, level=level, **more)


# -- QCF sizes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("credits", "size"),
    [
        (0, None),
        (1, QcfSize.AWARD),
        (12, QcfSize.AWARD),
        (13, QcfSize.CERTIFICATE),
        (36, QcfSize.CERTIFICATE),
        (37, QcfSize.DIPLOMA),
        (240, QcfSize.DIPLOMA),
    ],
)
def test_the_size_boundaries_of_the_qcf(credits: int, size: QcfSize | None) -> None:
    assert qcf_size(credits) is size


def test_negative_credits_have_no_size() -> None:
    with pytest.raises(ArgumentError, match="credits"):
        qcf_size(-1)


def test_the_size_table_covers_every_credit_once_in_order() -> None:
    assert [size for size, _, _ in QCF_SIZES] == list(QcfSize)
    assert QCF_SIZES[0][1] == 1
    for (_, _, high), (_, low, _) in itertools.pairwise(QCF_SIZES):
        assert high is not None
        assert low == high + 1
    assert QCF_SIZES[-1][2] is None


@given(st.integers(1, 10_000))
def test_every_positive_credit_count_has_exactly_the_size_whose_range_holds_it(
    credits: int,
) -> None:
    size = qcf_size(credits)
    holding = [
        s for s, low, high in QCF_SIZES if low <= credits and (high is None or credits <= high)
    ]
    assert holding == [size]


@given(st.integers(1, 10_000), st.integers(1, 10_000))
def test_more_credits_never_make_a_smaller_qualification(a: int, b: int) -> None:
    order = list(QcfSize)
    small, large = sorted((a, b))
    size_small, size_large = qcf_size(small), qcf_size(large)
    assert size_small is not None
    assert size_large is not None
    assert order.index(size_small) <= order.index(size_large)


# -- credits by level -------------------------------------------------------------------------


def test_credits_are_added_up_by_level_lowest_first() -> None:
    events = [unit(3, "E3"), unit(5, "2"), qualification(20, "2"), unit(4, "E1"), unit(0, "8")]
    totals = credits_by_level(events)
    assert totals == {Level.ENTRY_1: 4, Level.ENTRY_3: 3, Level.LEVEL_2: 25}
    assert list(totals) == [Level.ENTRY_1, Level.ENTRY_3, Level.LEVEL_2]


def test_provisional_events_count_only_when_asked() -> None:
    events = [unit(3), unit(5, status="provisional")]
    assert credits_by_level(events) == {Level.LEVEL_2: 3}
    assert credits_by_level(events, include_provisional=True) == {Level.LEVEL_2: 8}
    assert summarise(events).events == 1
    assert summarise(events, include_provisional=True).total_credits == 8


# -- a learner's aggregate -------------------------------------------------------------------


def test_a_learners_summary() -> None:
    events = [
        unit(3, "E3"),
        unit(6, "1"),
        qualification(12, "1"),  # an award
        qualification(30, "2"),  # a certificate
        qualification(37, "3", under_challenge=True),  # a diploma, challenged
        qualification(0, "3"),  # no credits: counted, but has no size
        qualification(40, "4", status="provisional"),  # left out
    ]
    s = summarise(events)
    assert (s.events, s.units, s.qualifications) == (6, 2, 4)
    assert s.total_credits == 3 + 6 + 12 + 30 + 37
    assert dict(s.credits_by_level) == {
        Level.ENTRY_3: 3,
        Level.LEVEL_1: 18,
        Level.LEVEL_2: 30,
        Level.LEVEL_3: 37,
    }
    assert dict(s.qualifications_by_size) == {
        QcfSize.AWARD: 1,
        QcfSize.CERTIFICATE: 1,
        QcfSize.DIPLOMA: 1,
    }
    assert dict(s.qualifications_by_level) == {Level.LEVEL_1: 1, Level.LEVEL_2: 1, Level.LEVEL_3: 1}
    assert s.highest_level is Level.LEVEL_3
    assert s.under_challenge == 1
    assert s.credits_at_or_above(Level.LEVEL_2) == 67
    assert s.credits_at_or_above(Level.ENTRY_1) == s.total_credits
    assert s.credits_at_or_above(Level.LEVEL_8) == 0


def test_units_and_qualifications_are_told_apart_by_their_code() -> None:
    assert is_unit(unit(3))
    assert not is_unit(qualification(3))
    assert not is_unit(make_event(subject_code="ZPROG001"))


def test_an_empty_record_sums_to_nothing() -> None:
    s = summarise([])
    assert (s.events, s.total_credits, s.highest_level) == (0, 0, None)
    assert dict(s.credits_by_level) == {}


@settings(max_examples=60, deadline=None)
@given(st.lists(learning_events(uln="3344556680"), max_size=12), st.booleans())
def test_the_sums_agree(events: list[LearningEvent], provisional: bool) -> None:
    s = summarise(events, include_provisional=provisional)
    counted = [e for e in events if provisional or e.status is EventStatus.FINAL]
    assert s.events == len(counted)
    assert s.total_credits == sum(e.credits for e in counted)
    assert sum(s.credits_by_level.values()) == s.total_credits
    assert dict(s.credits_by_level) == credits_by_level(events, include_provisional=provisional)
    assert all(n > 0 for n in s.credits_by_level.values())
    sized = [e for e in counted if not is_unit(e) and e.credits > 0]
    assert sum(s.qualifications_by_size.values()) == len(sized)
    assert sum(s.qualifications_by_level.values()) == len(sized)
    assert s.units + s.qualifications == s.events
    assert s.under_challenge == sum(e.under_challenge for e in counted)
    if counted:
        assert s.highest_level is max((e.level for e in counted), key=lambda lvl: lvl.rank)
    # the order of the events never changes the summary
    assert summarise(list(reversed(events)), include_provisional=provisional) == s


@settings(max_examples=40, deadline=None)
@given(st.lists(learning_events(uln="3344556680"), min_size=1, max_size=8))
def test_splitting_a_record_adds_up(events: list[LearningEvent]) -> None:
    half = len(events) // 2
    whole = summarise(events)
    a, b = summarise(events[:half]), summarise(events[half:])
    assert whole.total_credits == a.total_credits + b.total_credits
    for level in Level:
        assert whole.credits_by_level.get(level, 0) == a.credits_by_level.get(
            level, 0
        ) + b.credits_by_level.get(level, 0)
    challenged = [attrs.evolve(e, under_challenge=True) for e in events]
    assert summarise(challenged).total_credits == whole.total_credits
