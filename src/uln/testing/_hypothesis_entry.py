"""Hypothesis entry point: registers our strategies so ``st.from_type`` works.

Every project that installs ``uln`` runs :func:`_register` on ``import hypothesis``, so
it stays light: it imports neither :mod:`uln.learner` (cattrs, phonenumbers) nor the
strategies. The light types (:class:`~uln.enums.Gender`,
:class:`~uln.demographics.postcodes.Postcode`) are registered at once;
:class:`~uln.learner.Demographics` and :class:`~uln.learner.Learner` when
:mod:`uln.learner` is loaded (now, if it already is; else the module calls
:func:`register_learner_types` at the end of its import when Hypothesis is loaded).
The strategies themselves are looked up (a resolver function) the first time
``st.from_type`` asks for them, since Hypothesis or our modules may still be importing
when this runs.
"""

from __future__ import annotations

import sys
from typing import Any


def _lazy(name: str, *args: Any) -> Any:
    """A resolver Hypothesis calls at ``st.from_type`` time, never at registration."""

    def resolve(_: type) -> Any:
        from uln.testing import strategies

        strategy = getattr(strategies, name)()
        return strategy.map(args[0]) if args else strategy

    return resolve


def _register() -> None:
    """Register a strategy for each public type of :mod:`uln` with Hypothesis."""
    from hypothesis import strategies as st

    from uln.demographics.postcodes import Postcode
    from uln.enums import Gender

    st.register_type_strategy(Postcode, _lazy("postcodes", Postcode.parse))
    st.register_type_strategy(Gender, _lazy("genders"))
    if "uln.learner" in sys.modules:
        register_learner_types()


def register_learner_types() -> None:
    """Register the strategies for :class:`~uln.learner.Demographics` and ``Learner``."""
    from hypothesis import strategies as st

    from uln.learner import Demographics, Learner

    st.register_type_strategy(Demographics, _lazy("demographics"))
    st.register_type_strategy(Learner, _lazy("learners"))
