"""``import uln`` is light, the lazy names all resolve, and the Hypothesis entry point is light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import uln

HEAVY = ("uln.batch", "uln.matching", "uln.learner", "cattrs", "phonenumbers")


def loaded_after(code: str) -> list[str]:
    """The heavy modules in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return out.split()


def test_import_uln_loads_no_subpackage_and_no_heavy_dependency() -> None:
    assert loaded_after("import uln; uln.is_valid('3344556680'); uln.Gender(1)") == []


def test_a_lazy_name_loads_its_module_when_used() -> None:
    assert "uln.matching" in loaded_after("import uln; uln.Matcher")
    assert "uln.batch" in loaded_after("import uln; uln.batch")


def test_import_hypothesis_does_not_load_uln_heavy_parts() -> None:
    assert loaded_after("import hypothesis") == []


REGISTERED = """
from hypothesis.strategies._internal.types import _global_type_lookup
from uln.demographics.postcodes import Postcode
from uln.enums import Gender
from uln.learner import Demographics, Learner
print(all(t in _global_type_lookup for t in (Postcode, Gender, Demographics, Learner)))
"""


@pytest.mark.parametrize(
    "first", ["import hypothesis", "import uln.learner", "import uln.learner, hypothesis"]
)
def test_every_type_is_registered_whichever_is_imported_first(first: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", f"{first}\n{REGISTERED}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "True"


def test_every_name_in_all_resolves_and_dir_is_honest() -> None:
    for name in uln.__all__:
        assert getattr(uln, name) is not None, name
    assert set(uln.__all__) <= set(dir(uln))
    assert uln.Matcher is __import__("uln.matching", fromlist=["Matcher"]).Matcher
    assert uln.batch is sys.modules["uln.batch"]
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = uln.nothing_here  # type: ignore[attr-defined]
