"""Hypothesis strategies for whole records: :class:`Demographics` and :class:`Learner`.

attrs validators are invisible to ``st.builds``, so each record is drawn from the
field strategies and then passed through the record's own normalisers: what these
strategies produce is exactly what :meth:`Demographics.from_raw` would give.
"""

from __future__ import annotations

import datetime as _dt

from hypothesis import strategies as st

from uln.demographics.names import normalise_name
from uln.demographics.postcodes import Postcode
from uln.enums import AbilityToShare, VerificationType
from uln.learner import Demographics, Learner
from uln.testing._field_strategies import dates_of_birth, emails, genders, postcodes
from uln.testing._identifier_strategies import upns

__all__ = ["demographics", "learners"]


def _name(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return strategy.map(normalise_name)


def _optional(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    return st.none() | strategy


@st.composite
def _demographics(
    draw: st.DrawFn,
    given: st.SearchStrategy[str],
    family: st.SearchStrategy[str],
    on: _dt.date | None,
    optional: bool,
) -> Demographics:
    values: dict[str, object] = {
        "given_name": draw(_name(given)),
        "family_name": draw(_name(family)),
        "date_of_birth": draw(dates_of_birth(on=on)),
        "gender": draw(genders()),
        "postcode": Postcode.parse(draw(postcodes())),
    }
    if optional:
        values["middle_names"] = draw(_optional(_name(given)))
        values["previous_family_name"] = draw(_optional(_name(family)))
        values["preferred_given_name"] = draw(_optional(_name(given)))
        values["email"] = draw(_optional(emails()))
        values["place_of_birth"] = draw(
            _optional(st.sampled_from(["Cardiff", "Bangor", "Belfast", "Leeds", "Truro"]))
        )
    return Demographics(**values)  # type: ignore[arg-type]


def demographics(
    *,
    given_names: st.SearchStrategy[str] | None = None,
    family_names: st.SearchStrategy[str] | None = None,
    on: _dt.date | None = None,
    optional_fields: bool = True,
) -> st.SearchStrategy[Demographics]:
    """Complete, valid :class:`~uln.learner.Demographics` of learners aged 13..110 on ``on``.

    Args:
        given_names: a strategy for given names (default: :func:`given_names`).
        family_names: a strategy for family names (default: :func:`family_names`).
        on: the day the ages are counted on (default: today).
        optional_fields: also draw middle names, previous family name, email ...

    >>> from hypothesis import find
    >>> find(demographics(), lambda d: d.email is not None).is_complete
    True
    """
    from uln.testing._name_strategies import family_names as _family
    from uln.testing._name_strategies import given_names as _given

    return _demographics(
        given_names if given_names is not None else _given(),
        family_names if family_names is not None else _family(),
        on,
        optional_fields,
    )


_any_demographics = demographics


@st.composite
def _learners(
    draw: st.DrawFn, demographics_strategy: st.SearchStrategy[Demographics], with_uln: bool
) -> Learner:
    from uln.testing.strategies import ulns

    kind = draw(st.sampled_from(list(VerificationType)))
    return Learner(
        uln=draw(ulns()) if with_uln else None,
        demographics=draw(demographics_strategy),
        verification_type=kind,
        other_verification_description=(
            "Letter from employer" if kind is VerificationType.OTHER else None
        ),
        ability_to_share=draw(st.sampled_from(list(AbilityToShare))),
        upn=draw(st.none() | upns(temporary=False)),
        mis_identifier=draw(st.none() | st.from_regex(r"MIS-[0-9]{6}", fullmatch=True)),
    )


def learners(
    *, demographics: st.SearchStrategy[Demographics] | None = None, with_uln: bool = True
) -> st.SearchStrategy[Learner]:
    """Valid :class:`~uln.learner.Learner` records, with a ULN unless ``with_uln=False``.

    >>> from hypothesis import find
    >>> from uln import is_valid
    >>> is_valid(find(learners(), lambda learner: True).uln)
    True
    """
    return _learners(demographics if demographics is not None else _any_demographics(), with_uln)
