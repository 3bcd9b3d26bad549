"""Docstrings render in the docs (mkdocstrings) as Markdown: keep them renderable.

A doctest whose source line ends with ``]`` followed by output starting with ``[``
reads as a Markdown reference link ``[text][target]``, which breaks ``mkdocs build
--strict``. This test finds them before the docs build does.
"""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "uln"


def test_no_doctest_reads_as_a_markdown_reference_link() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, (line, following) in enumerate(zip(lines, lines[1:], strict=False), 1):
            source = line.strip()
            if (
                source.startswith((">>>", "..."))
                and source.endswith("]")
                and following.strip().startswith("[")
            ):
                found.append(f"{path.relative_to(SRC)}:{number}")
    assert not found, f"print the value instead, or end the line otherwise: {found}"
