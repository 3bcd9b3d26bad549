"""Hypothesis entry point: registers our strategies so ``st.from_type`` works."""

from __future__ import annotations


def _register() -> None:
    """Called by Hypothesis when it loads: register a strategy for each public type."""
    from uln.testing import strategies

    strategies.register_type_strategies()
