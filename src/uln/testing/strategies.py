"""Hypothesis strategies for ULNs, identifiers and learners.

Strategies have plural names and keyword-only arguments. They are registered with
Hypothesis through an entry point, so ``st.from_type(...)`` works for our types once
``uln[testing]`` is installed.

>>> from hypothesis import given
>>> from uln import is_valid
>>> @given(ulns())
... def test_valid(value):
...     assert is_valid(value)
>>> test_valid()
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from uln import checkdigit
from uln.testing._field_strategies import (
    dates_of_birth,
    emails,
    genders,
    phone_numbers,
    postcode_inputs,
    postcodes,
)
from uln.testing._identifier_strategies import (
    invalid_scns,
    invalid_ucis,
    invalid_upns,
    ninos,
    scns,
    ucis,
    ukprns,
    upns,
)
from uln.testing._name_strategies import NAME_KINDS, family_names, given_names, names
from uln.testing._perturb_strategies import perturbations, perturbed
from uln.testing._record_strategies import demographics, learners

__all__ = [
    "INVALID_ULN_KINDS",
    "NAME_KINDS",
    "dates_of_birth",
    "demographics",
    "emails",
    "family_names",
    "genders",
    "given_names",
    "invalid_scns",
    "invalid_ucis",
    "invalid_ulns",
    "invalid_upns",
    "learners",
    "names",
    "ninos",
    "perturbations",
    "perturbed",
    "phone_numbers",
    "postcode_inputs",
    "postcodes",
    "register_type_strategies",
    "scns",
    "ucis",
    "ukprns",
    "ulns",
    "upns",
]

_WEIGHTS = tuple(range(10, 1, -1))


def _remainder(prefix: int) -> int:
    return sum(int(d) * w for d, w in zip(str(prefix), _WEIGHTS, strict=True)) % 11


@st.composite
def _uln_values(draw: st.DrawFn) -> str:
    prefix = draw(st.integers(100_000_000, 999_999_999).filter(lambda p: _remainder(p) != 0))
    return f"{prefix}{10 - _remainder(prefix)}"


def ulns() -> st.SearchStrategy[str]:
    """Valid ULNs: ten-digit strings that pass the check.

    >>> from hypothesis import find
    >>> from uln import is_valid
    >>> is_valid(find(ulns(), lambda value: value.startswith("9")))
    True
    """
    return _uln_values()


INVALID_ULN_KINDS: tuple[str, ...] = (
    "check_digit",
    "leading_zero",
    "length",
    "non_digit",
    "no_check_digit",
)
"""The kinds of invalid ULN :func:`invalid_ulns` can draw."""


@st.composite
def _wrong_check_digit(draw: st.DrawFn) -> str:
    good = draw(_uln_values())
    wrong = draw(st.sampled_from([d for d in "0123456789" if d != good[-1]]))
    return good[:-1] + wrong


@st.composite
def _leading_zero(draw: st.DrawFn) -> str:
    return "0" + draw(st.text("0123456789", min_size=9, max_size=9))


@st.composite
def _wrong_length(draw: st.DrawFn) -> str:
    n = draw(st.integers(0, 20).filter(lambda n: n != checkdigit.LENGTH))
    return draw(st.text("0123456789", min_size=n, max_size=n))


@st.composite
def _non_digit(draw: st.DrawFn) -> str:
    good = draw(_uln_values())
    position = draw(st.integers(0, 9))
    bad = draw(st.characters(exclude_characters="0123456789 -\t", exclude_categories=["Cs"]))
    return good[:position] + bad + good[position + 1 :]


@st.composite
def _no_check_digit(draw: st.DrawFn) -> str:
    prefix = draw(st.integers(100_000_000, 999_999_999).filter(lambda p: _remainder(p) == 0))
    return f"{prefix}{draw(st.integers(0, 9))}"


_INVALID = {
    "check_digit": _wrong_check_digit,
    "leading_zero": _leading_zero,
    "length": _wrong_length,
    "non_digit": _non_digit,
    "no_check_digit": _no_check_digit,
}


def invalid_ulns(*, kinds: Sequence[str] = INVALID_ULN_KINDS) -> st.SearchStrategy[str]:
    """Strings that are not valid ULNs, of the given ``kinds`` (see :data:`INVALID_ULN_KINDS`).

    >>> from hypothesis import find
    >>> find(invalid_ulns(kinds=["leading_zero"]), lambda value: True)[0]
    '0'
    """
    unknown = set(kinds) - set(_INVALID)
    if unknown or not kinds:
        raise ValueError(f"kinds must be a non-empty subset of {INVALID_ULN_KINDS}")
    return st.one_of(*(_INVALID[k]() for k in kinds))


def register_type_strategies() -> None:
    """Register a strategy for each public type of :mod:`uln` with Hypothesis.

    The ``hypothesis`` entry point does this when Hypothesis loads, so that
    ``st.from_type(Postcode)``, ``st.from_type(Learner)`` and friends draw valid
    values; call it yourself only where entry points are switched off.

    >>> from hypothesis import find, strategies as st
    >>> from uln.learner import Learner
    >>> register_type_strategies()
    >>> find(st.from_type(Learner), lambda learner: True).demographics.is_complete
    True
    """
    from uln.testing._hypothesis_entry import _register

    _register()
