"""The README's commands work on a clean copy of the repository, as written.

The Quick start's main command is run exactly as the README writes it (without the
``pip install`` before ``&&``: the package is installed) in a temporary folder holding
a copy of ``examples/``, then run again: the same output file and no new ULN. The
register example after it still works on the same register.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLES = ROOT / "examples"
UNIX = sys.platform != "win32"


def _maker() -> object:
    spec = importlib.util.spec_from_file_location(
        "make_run_example", EXAMPLES / "make_run_example.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_run_example_is_what_its_script_makes(tmp_path: Path) -> None:
    path = _maker().make(tmp_path)  # type: ignore[attr-defined]
    assert path.read_bytes() == (EXAMPLES / path.name).read_bytes()


def _bash_blocks(text: str) -> list[str]:
    return [m[1] for m in re.finditer(r"```bash\n(.*?)```", text, re.S)]


def _commands(block: str) -> str:
    """A README block's commands without the install before ``&&``."""
    joined = block.replace("\\\n", " ")
    return re.sub(r"^pip install [^&]*&&\s*", "", joined.strip())


def _quick_start() -> str:
    section = README.split("## Quick start", 1)[1]
    return _commands(_bash_blocks(section)[0])


def _run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("ULN_REGISTER", None)
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def _ulns(database: Path) -> set[str]:
    """The ULNs of the register's learners, and every ULN it ever issued (kept in a
    file of its own beside the register)."""
    found = set()
    for path, table in (
        (database, "uln_learners"),
        (Path(f"{database}-ulns"), "uln_ulns_allocated"),
    ):
        connection = sqlite3.connect(path)
        try:
            found |= {f"{table}:{r[0]}" for r in connection.execute(f"SELECT uln FROM {table}")}
        finally:
            connection.close()
    return found


@pytest.mark.skipif(not UNIX or shutil.which("bash") is None, reason="the README runs bash")
def test_the_quick_start_runs_twice_to_the_same_output_file(tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy")
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    command = _quick_start()
    assert command.startswith("uln batch run examples/"), command
    first = _run(command, tmp_path)
    assert first.returncode in (0, 1), first.stderr
    for counter in ("NewLearners", "ExistsUpdatedLearners", "PossibleMatchLearners"):
        assert counter in first.stdout
    outputs = sorted((tmp_path / "examples").glob("*_OUTPUT.CSV"))
    made = [p for p in outputs if not (EXAMPLES / p.name).exists()]
    assert len(made) == 1, outputs
    written = made[0].read_bytes()
    issued = _ulns(tmp_path / "uln.sqlite3")
    assert sum(u.startswith("uln_learners:") for u in issued) == 55
    second = _run(command, tmp_path)
    assert second.returncode == first.returncode, second.stderr
    assert made[0].read_bytes() == written
    assert _ulns(tmp_path / "uln.sqlite3") == issued
    assert "unchanged" in second.stdout
    # the shown output is the command's (counters and codes; ULNs are random)
    shown = README.split("<!-- quick-start-output -->", 1)[1].split("```text\n", 1)[1]
    shown = shown.split("```", 1)[0]
    assert shown == first.stdout
    # the README's register example still works on the same register
    register_block = next(b for b in _bash_blocks(README) if "uln register import" in b)
    found = _run(_commands(register_block), tmp_path)
    assert found.returncode == 0, found.stdout + found.stderr
    assert "\nWSRC0004  exact match\n" in found.stdout
