"""The codes of the Learning Records Service, as data (shared by batch files and the register).

Batch return codes (``RC001`` .. ``RC013``), web-service return codes (``WSRC``),
web-service error codes (``WSEC``), verification return codes (``WSVRC``) and the
verification failure flags (``VRF1`` .. ``VRF8``). Each code carries its meaning and
a mark saying where it comes from: ``spec`` (read in official material), ``client``
(seen only in public client code that talks to the real service) or ``ours`` (this
project's decision where no public source says). Correct a code here, in one place.

>>> RETURN_CODES["RC013"].meaning
'learner outside the permitted age range 13..110'
>>> RETURN_CODES["RC013"].is_exception, RETURN_CODES["RC013"].mark
(True, 'spec')
>>> RETURN_CODES["RC002"].counter
'NewLearners'
>>> describe("WSVRC005")
'does not match'
>>> VRF_FLAGS["VRF7"].meaning
'date of birth differs'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final, Literal

import attrs

from uln.errors import Problem

__all__ = [
    "CODE_FOR_FIELD",
    "CODE_FOR_PROBLEM_KIND",
    "COUNTERS",
    "EXCEPTION_CODES",
    "FORMAT_CODE_PRECEDENCE",
    "RC_AGE",
    "RC_FORMAT",
    "RC_INSUFFICIENT",
    "RC_UCI_UPN",
    "RETURN_CODES",
    "VRF_FLAGS",
    "WSEC_CODES",
    "WSRC_CODES",
    "WSVRC_CODES",
    "Code",
    "Mark",
    "code_for",
    "describe",
]

Mark = Literal["spec", "client", "ours"]
"""Where a rule comes from: official material, public client code, or our decision."""


@attrs.frozen
class Code:
    """One LRS code: its text, meaning, mark and, for batch codes, how it is counted.

    ``is_exception`` is true for the batch codes a person must resolve (RC006..RC013).
    ``counter`` names the output-file counter the code adds to (``None`` when it is
    not a batch code).
    """

    code: str
    meaning: str
    mark: Mark
    is_exception: bool = False
    counter: str | None = None


def _table(*codes: Code) -> Mapping[str, Code]:
    return MappingProxyType({c.code: c for c in codes})


COUNTERS: Final[tuple[str, ...]] = (
    "NewLearners",
    "ExistsUpdatedLearners",
    "PossibleMatchLearners",
    "LearnersNotFound",
    "RejectedLearners",
)
"""[spec] The counters of a batch output file, in the order they are written."""

RETURN_CODES: Final[Mapping[str, Code]] = _table(
    # The meanings of RC001-RC005 and RC007-RC010 are not public: these are ours,
    # and so is the counter each code adds to.
    Code("RC001", "learner found, existing ULN returned", "ours", False, "ExistsUpdatedLearners"),
    Code("RC002", "new learner registered, new ULN issued", "ours", False, "NewLearners"),
    Code(
        "RC003",
        "learner found and updated with the supplied details",
        "ours",
        False,
        "ExistsUpdatedLearners",
    ),
    Code(
        "RC004", "linked learner found, master ULN returned", "ours", False, "ExistsUpdatedLearners"
    ),
    Code(
        "RC005",
        "supplied ULN verified against the demographics",
        "ours",
        False,
        "ExistsUpdatedLearners",
    ),
    Code("RC006", "insufficient data to create a ULN", "spec", True, "RejectedLearners"),
    Code(
        "RC007", "possible matches: similar learners exist", "ours", True, "PossibleMatchLearners"
    ),
    Code("RC008", "too many matches", "ours", True, "PossibleMatchLearners"),
    Code("RC009", "supplied ULN does not match the demographics", "ours", True, "RejectedLearners"),
    Code("RC010", "supplied ULN not found", "ours", True, "LearnersNotFound"),
    Code("RC011", "incorrect format (any field)", "spec", True, "RejectedLearners"),
    Code("RC012", "incorrect UCI or UPN format", "spec", True, "RejectedLearners"),
    Code(
        "RC013", "learner outside the permitted age range 13..110", "spec", True, "RejectedLearners"
    ),
)
"""Batch return codes, one per learner in an output file."""

EXCEPTION_CODES: Final[frozenset[str]] = frozenset(
    c.code for c in RETURN_CODES.values() if c.is_exception
)
"""The return codes a person resolves (RC006..RC013) [spec]."""

RC_INSUFFICIENT: Final = "RC006"
"""A mandatory field is empty."""
RC_FORMAT: Final = "RC011"
"""A field has the wrong format."""
RC_UCI_UPN: Final = "RC012"
"""The UCI or UPN has the wrong format."""
RC_AGE: Final = "RC013"
"""The learner's age is outside 13..110 on the processing date."""

FORMAT_CODE_PRECEDENCE: Final[tuple[str, ...]] = (
    RC_INSUFFICIENT,
    RC_FORMAT,
    RC_UCI_UPN,
    RC_AGE,
)
"""[ours] When a row breaks several rules, the first code of this list is returned.

A missing mandatory field (RC006) outranks a bad format (RC011); RC012 is returned
only when the UCI or UPN is the only bad field; RC013 only when every field is
well formed but the age is outside the range.
"""

CODE_FOR_PROBLEM_KIND: Final[Mapping[str, str]] = MappingProxyType(
    {"MissingValue": RC_INSUFFICIENT, "AgeOutOfRange": RC_AGE}
)
"""[spec] The code for a problem of this kind (the name of its ValidationError class)."""

CODE_FOR_FIELD: Final[Mapping[str, str]] = MappingProxyType({"UCI": RC_UCI_UPN, "UPN": RC_UCI_UPN})
"""[spec] The code for a bad value in these fields (RC012: incorrect UCI or UPN format)."""


def code_for(problems: Iterable[Problem]) -> str | None:
    """Return the return code a register would give a row with these problems.

    Each problem maps to RC006 (a missing value), RC013 (age), RC012 (UCI or UPN) or
    RC011 (any other format); the row gets the first of them in
    :data:`FORMAT_CODE_PRECEDENCE`. No problems, no code.

    >>> code_for([Problem("UPN", "bad"), Problem("Gender", "bad")])
    'RC011'
    >>> code_for([Problem("UPN", "bad")])
    'RC012'
    >>> code_for([Problem("DateOfBirth", "too old", "AgeOutOfRange")]), code_for([])
    ('RC013', None)
    """
    found = {
        CODE_FOR_PROBLEM_KIND.get(p.kind) or CODE_FOR_FIELD.get(p.field) or RC_FORMAT
        for p in problems
    }
    if not found:
        return None
    return min(found, key=FORMAT_CODE_PRECEDENCE.index)


WSRC_CODES: Final[Mapping[str, Code]] = _table(
    Code("WSRC0001", "no match", "spec"),
    Code("WSRC0002", "too many matches (more than 10 candidates)", "spec"),
    Code("WSRC0003", "possible matches (1 to 10 learners returned)", "spec"),
    Code("WSRC0004", "exact match", "spec"),
    Code("WSRC0005", "learner registered, new ULN issued", "spec"),
    Code("WSRC0006", "learner updated", "spec"),
    Code("WSRC0013", "the learner changed since it was read (version number)", "spec"),
    Code("WSRC0014", "invalid change of sharing status", "spec"),
    Code("WSRC0015", "insufficient data", "spec"),
    Code("WSRC0017", "the stated learner count disagrees with the batch", "spec"),
    Code("WSRC0019", "ULN not found", "spec"),
    Code("WSRC0020", "nothing to change", "spec"),
    Code(
        "WSRC0021",
        "refused: a learner with the same mandatory fields already exists",
        "spec",
    ),
    Code("WSRC0022", "master record substituted for a linked ULN", "spec"),
    Code("WSRC0030", "the stated learner count disagrees with the verify batch", "spec"),
)
"""Web-service return codes (find, register, update, batch submission)."""

WSEC_CODES: Final[Mapping[str, Code]] = _table(
    Code("WSEC0001", "invalid request", "spec"),
    Code("WSEC0003", "unknown organisation", "spec"),
    Code("WSEC0005", "wrong password", "spec"),
    Code("WSEC0006", "insufficient access", "spec"),
    Code("WSEC0136", "invalid ULN", "spec"),
    Code("WSEC0206", "the learner has not agreed to share", "spec"),
    Code("WSEC0208", "the learner could not be verified", "client"),
    Code("WSEC0999", "unknown error", "client"),
)
"""Web-service error codes."""

WSVRC_CODES: Final[Mapping[str, Code]] = _table(
    Code("WSVRC001", "match", "client"),
    Code("WSVRC002", "linked match", "client"),
    Code("WSVRC003", "similar match", "client"),
    Code("WSVRC004", "similar linked match", "client"),
    Code("WSVRC005", "does not match", "client"),
    Code("WSVRC006", "ULN not found", "client"),
)
"""Verification return codes (verify learner, verify batch)."""

VRF_FLAGS: Final[Mapping[str, Code]] = _table(
    Code("VRF1", "given name differs from the given name", "client"),
    Code("VRF2", "given name differs from the family name", "client"),
    Code("VRF3", "given name differs from the previous family name", "client"),
    Code("VRF4", "family name differs from the given name", "client"),
    Code("VRF5", "family name differs from the family name", "client"),
    Code("VRF6", "family name differs from the previous family name", "client"),
    Code("VRF7", "date of birth differs", "client"),
    Code("VRF8", "gender differs", "client"),
)
"""Verification failure flags: which supplied detail differed from the register."""

_ALL: Final[tuple[Mapping[str, Code], ...]] = (
    RETURN_CODES,
    WSRC_CODES,
    WSEC_CODES,
    WSVRC_CODES,
    VRF_FLAGS,
)


def describe(code: str) -> str:
    """Return the meaning of any LRS code of these tables.

    Raises:
        KeyError: the code is in none of the tables.

    >>> describe("RC006")
    'insufficient data to create a ULN'
    >>> describe("WSEC0206")
    'the learner has not agreed to share'
    """
    for table in _ALL:
        found = table.get(code)
        if found is not None:
            return found.meaning
    raise KeyError(code)
