"""uln: the UK Unique Learner Number, done right.

Validate and generate ULNs and the identifiers around them, clean learner details,
find the same learner again despite typos and name changes, and read, check and write
LRS batch files.

>>> import uln
>>> uln.is_valid("3344556680")
True
>>> uln.validate("334 455 6680")
'3344556680'
"""

from __future__ import annotations

from uln import batch, identifiers
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
from uln.learner import Demographics, Learner
from uln.matching import CandidateIndex, MatchConfig, Matcher, Outcome

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
    "validate",
]
