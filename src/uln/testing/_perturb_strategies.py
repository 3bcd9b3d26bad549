"""Hypothesis strategies that draw realistic changes to a learner (see :mod:`uln.testing.perturb`).

Re-exported from :mod:`uln.testing.strategies`.

>>> from hypothesis import find
>>> from uln.learner import Demographics
>>> jo = Demographics.from_raw({"GivenName": "Joanne", "FamilyName": "Bloggs",
...     "DateOfBirth": "2006-04-09", "Gender": "F", "LastKnownPostCode": "CV4 9EE"})
>>> find(perturbed(jo, kinds=["date_swap"]), lambda d: True).date_of_birth.isoformat()
'2006-09-04'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from hypothesis import reject
from hypothesis import strategies as st

from uln.learner import Demographics, Learner
from uln.testing.perturb import PERTURBATIONS, applicable, perturb

__all__ = ["perturbations", "perturbed"]

R = TypeVar("R", Demographics, Learner, Mapping[str, Any])


def _kinds(kinds: Sequence[str]) -> tuple[str, ...]:
    chosen = tuple(kinds)
    if isinstance(kinds, str) or not chosen or set(chosen) - set(PERTURBATIONS):
        raise ValueError(f"kinds must be a non-empty subset of {tuple(PERTURBATIONS)}")
    return chosen


@st.composite
def _perturbation(
    draw: st.DrawFn, learner: R | st.SearchStrategy[R], kinds: tuple[str, ...]
) -> tuple[str, R]:
    record: R = draw(learner) if isinstance(learner, st.SearchStrategy) else learner
    options = applicable(record, kinds)
    if not options:
        reject()  # none of the kinds applies to this record: draw another
    kind = draw(st.sampled_from(options))
    rng = draw(st.randoms(use_true_random=False))
    changed: R = perturb(record, kind, rng)
    return kind, changed


def perturbations(
    learner: R | st.SearchStrategy[R], *, kinds: Sequence[str] = tuple(PERTURBATIONS)
) -> st.SearchStrategy[tuple[str, R]]:
    """Pairs ``(kind, changed learner)``: one perturbation of ``learner`` and its kind.

    Like :func:`perturbed`, with the kind drawn, for tests whose expectation or whose
    failure message depends on it.

    >>> from hypothesis import find
    >>> row = {"given_name": "Dafydd", "family_name": "ap Rhys"}
    >>> find(perturbations(row, kinds=["welsh_form"]), lambda p: True)[0]
    'welsh_form'
    """
    return _perturbation(learner, _kinds(kinds))


def perturbed(
    learner: R | st.SearchStrategy[R], *, kinds: Sequence[str] = tuple(PERTURBATIONS)
) -> st.SearchStrategy[R]:
    """A learner changed by one realistic perturbation, of one of ``kinds``.

    Args:
        learner: a :class:`~uln.learner.Demographics`, a :class:`~uln.learner.Learner`
            or a row (a mapping of LRS or snake_case field names to values), or a
            strategy drawing them (such as :func:`~uln.testing.strategies.demographics`).
        kinds: the kinds to choose from (see :data:`uln.testing.perturb.PERTURBATIONS`);
            only those that apply to the record drawn are chosen, and a record to which
            none applies is rejected (Hypothesis draws another; a fixed record to which
            none applies makes the test fail as unsatisfiable).

    Raises:
        ValueError: ``kinds`` is empty or names an unknown kind.

    >>> from hypothesis import given
    >>> from uln.matching import Matcher, Outcome
    >>> from uln.testing.strategies import demographics
    >>> matcher = Matcher()
    >>> @given(demographics().flatmap(lambda d: st.tuples(st.just(d), perturbed(d))))
    ... def test_still_found(pair):
    ...     original, changed = pair
    ...     assert matcher.search(changed, {"L1": original}).outcome is not Outcome.NO_MATCH
    >>> test_still_found()
    """
    return perturbations(learner, kinds=kinds).map(_second)


def _second(pair: tuple[str, R]) -> R:
    return pair[1]
