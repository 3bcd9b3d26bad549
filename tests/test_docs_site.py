"""The documentation site as built: roles rendered, every command and module documented.

Builds the site with ``mkdocs build --strict`` (about ten seconds) into a temporary folder.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import click
import pytest

from uln._cli.app import cli

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("mkdocs")


def _hook(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / "hooks" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


roles = _hook("sphinx_roles")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return folder


def _page(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_no_sphinx_role_is_left_unrendered(site: Path) -> None:
    left = {}
    for file in [*site.rglob("*.html"), site / "search" / "search_index.json"]:
        found = roles.LEFT_OVER.findall(file.read_text(encoding="utf-8"))
        if found:
            left[file.relative_to(site).as_posix()] = len(found)
    assert not left, left


@pytest.mark.slow
def test_roles_became_links_to_the_objects(site: Path) -> None:
    matching = _page(site, "reference/matching")
    # the package docstring's ":class:`Matcher`" and ":meth:`Matcher.fit`"
    assert 'href="#uln.matching.Matcher"><code>Matcher</code></a>' in matching
    assert 'href="#uln.matching.Matcher.fit"><code>Matcher.fit</code></a>' in matching
    links = re.findall(r'class="autorefs autorefs-internal" href="([^"]+)"', matching)
    assert len(links) > 20
    for href in links:
        url, _, anchor = href.partition("#")
        target = (site / "reference" / "matching" / url).resolve() / "index.html"
        assert target.exists(), href
        assert f'id="{anchor}"' in target.read_text(encoding="utf-8"), href


def _commands(command: click.Command, path: list[str]) -> list[str]:
    out = [" ".join(path)]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            out += _commands(sub, [*path, name])
    return out


@pytest.mark.slow
def test_the_command_line_reference_lists_every_command(site: Path) -> None:
    page = _page(site, "reference/cli")
    names = _commands(cli, ["uln"])
    assert {"uln dedupe", "uln batch new", "uln validate", "uln match-eval"} <= set(names)
    for name in names:
        assert f'<h2 id="{name.replace(" ", "-")}"' in page, name
    assert "--force" in page  # options, as --help prints them
    assert "<!-- uln-commands -->" not in page


@pytest.mark.slow
def test_reference_pages_for_testing_and_evaluate(site: Path) -> None:
    testing = _page(site, "reference/testing")
    for anchor in (
        "uln.testing.strategies",
        "uln.testing.strategies.learners",
        "uln.testing.perturb",
    ):
        assert f'id="{anchor}"' in testing, anchor
    assert 'id="uln.matching.evaluate.evaluate"' in _page(site, "reference/matching")


def test_the_docs_stand_alone_without_domain_md() -> None:
    found = []
    for folder in ("src", "docs", "tests", "examples", "benchmarks"):
        for file in (ROOT / folder).rglob("*"):
            if (
                file.suffix in {".py", ".md", ".toml", ".txt"}
                and file != Path(__file__)
                and "DOMAIN" in file.read_text(encoding="utf-8", errors="replace")
            ):
                found.append(file.relative_to(ROOT).as_posix())
    for name in ("README.md", "mkdocs.yml", "pyproject.toml"):
        if "DOMAIN" in (ROOT / name).read_text(encoding="utf-8"):
            found.append(name)
    assert not found, found


def test_a_role_with_no_heading_becomes_plain_code() -> None:
    anchors = roles.Anchors({"uln.batch.read": "reference/batch/"})
    html = ":func:<code>~uln.batch.read</code>, :mod:<code>csv</code>, :py:class:<code>x.Y</code>"
    out = roles.render_roles(html, "guide/batch/", anchors)
    assert out == (
        '<a class="autorefs autorefs-internal" href="../../reference/batch/#uln.batch.read">'
        "<code>read</code></a>, <code>csv</code>, <code>x.Y</code>"
    )
    assert not roles.LEFT_OVER.search(out)
