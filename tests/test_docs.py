"""Docstrings render in the docs (mkdocstrings) as Markdown: keep them renderable.

A doctest line holding ``][`` (``x["a"]["b"]``), or ending with ``]`` before output
starting with ``[``, reads as a Markdown reference link ``[text][target]``, which
breaks ``mkdocs build --strict``. This test finds them before the docs build does.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "uln"


def test_no_doctest_reads_as_a_markdown_reference_link() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, (line, following) in enumerate(pairwise(lines), 1):
            source = line.strip()
            doctest = source.startswith((">>>", "..."))
            if doctest and (
                "][" in source or (source.endswith("]") and following.strip().startswith("["))
            ):
                found.append(f"{path.relative_to(SRC)}:{number}")
    assert not found, f"print the value instead, or end the line otherwise: {found}"
