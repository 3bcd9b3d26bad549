"""uln: the UK Unique Learner Number, done right.

Validate and generate ULNs and the identifiers around them, clean learner details,
find the same learner again despite typos and name changes, keep a register of learners
(in memory or in SQL), and read, check and write LRS batch files.

>>> import uln
>>> uln.is_valid("3344556680")
True
>>> uln.validate("334 455 6680")
'3344556680'

``import uln`` is light: the check digit, the enums and the errors load at once; the
learner record, matching and batch files (and cattrs and phonenumbers with them) load
the first time one of their names is used (``uln.Matcher``, ``uln.batch`` ...).
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

from uln.checkdigit import find_invalid, generate, is_valid, validate
from uln.enums import AbilityToShare, Gender, PrivacyNoticeSeen, VerificationType
from uln.errors import (
    BatchError,
    ConfigError,
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    InvalidRecord,
    RegisterError,
    UlnError,
    ValidationError,
)

if _typing.TYPE_CHECKING:
    from uln import batch, identifiers, register
    from uln.learner import Demographics, Learner
    from uln.matching import CandidateIndex, MatchConfig, Matcher, Outcome
    from uln.register import LearnerRegister

__version__ = "0.1.0"

__all__ = [
    "AbilityToShare",
    "BatchError",
    "CandidateIndex",
    "ConfigError",
    "Demographics",
    "Gender",
    "InvalidChecksum",
    "InvalidComponent",
    "InvalidFormat",
    "InvalidLength",
    "InvalidRecord",
    "Learner",
    "LearnerRegister",
    "MatchConfig",
    "Matcher",
    "Outcome",
    "PrivacyNoticeSeen",
    "RegisterError",
    "UlnError",
    "ValidationError",
    "VerificationType",
    "__version__",
    "batch",
    "find_invalid",
    "generate",
    "identifiers",
    "is_valid",
    "register",
    "validate",
]

_LAZY: _typing.Final[dict[str, str]] = {
    "batch": "uln.batch",
    "identifiers": "uln.identifiers",
    "Demographics": "uln.learner",
    "Learner": "uln.learner",
    "CandidateIndex": "uln.matching",
    "MatchConfig": "uln.matching",
    "Matcher": "uln.matching",
    "Outcome": "uln.matching",
    "register": "uln.register",
    "LearnerRegister": "uln.register",
}
"""The names of ``__all__`` loaded on first use, and the module each comes from."""


def __getattr__(name: str) -> _typing.Any:
    """Load a subpackage, or a name of one, the first time it is asked for."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'uln' has no attribute {name!r}")
    module = _importlib.import_module(module_name)
    value = module if module_name == f"uln.{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
