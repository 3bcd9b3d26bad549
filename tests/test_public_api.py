"""The public surface: a sorted, honest __all__, and imports without the extras."""

from __future__ import annotations

import subprocess
import sys

import uln


def test_all_is_sorted_and_complete() -> None:
    assert list(uln.__all__) == sorted(uln.__all__)
    assert len(set(uln.__all__)) == len(uln.__all__)
    for name in uln.__all__:
        assert hasattr(uln, name), name
    public = {
        name
        for name in vars(uln)
        if not name.startswith("_") and name not in {"annotations"} and not _is_submodule(name)
    }
    assert public <= set(uln.__all__), public - set(uln.__all__)


def _is_submodule(name: str) -> bool:
    value = getattr(uln, name)
    return getattr(value, "__name__", "") == f"uln.{name}" and name not in uln.__all__


def test_version() -> None:
    assert uln.__version__.count(".") == 2


def test_imports_without_any_extra() -> None:
    code = (
        "import sys\n"
        "for name in ('sqlalchemy', 'click', 'hypothesis', 'alembic'):\n"
        "    sys.modules[name] = None\n"
        "import uln, uln.checkdigit, uln.identifiers, uln.learner, uln.demographics.names\n"
        "assert uln.is_valid('3344556680')\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
