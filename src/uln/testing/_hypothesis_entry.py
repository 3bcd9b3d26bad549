"""Hypothesis entry point: registers our strategies so ``st.from_type`` works.

Hypothesis calls :func:`_register` while it is still being imported, possibly in
the middle of importing one of our strategy modules, so the strategies are looked up
lazily (``st.deferred``) the first time they are drawn.
"""

from __future__ import annotations

from typing import Any


def _register() -> None:
    """Register a strategy for each public type of :mod:`uln` with Hypothesis."""
    from hypothesis import strategies as st

    from uln.demographics.postcodes import Postcode
    from uln.enums import Gender
    from uln.learner import Demographics, Learner

    def lazy(name: str, *args: Any) -> st.SearchStrategy[Any]:
        def build() -> st.SearchStrategy[Any]:
            from uln.testing import strategies

            strategy: st.SearchStrategy[Any] = getattr(strategies, name)()
            return strategy.map(args[0]) if args else strategy

        return st.deferred(build)

    st.register_type_strategy(Postcode, lazy("postcodes", Postcode.parse))
    st.register_type_strategy(Gender, lazy("genders"))
    st.register_type_strategy(Demographics, lazy("demographics"))
    st.register_type_strategy(Learner, lazy("learners"))
