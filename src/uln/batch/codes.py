"""The LRS codes used by batch files: :mod:`uln.codes`, re-exported here.

The codes are shared by the batch files and the register, so they live in
:mod:`uln.codes`; this module keeps the batch layer's name for them.

>>> RETURN_CODES["RC002"].counter
'NewLearners'
"""

from __future__ import annotations

from uln.codes import (
    CODE_FOR_FIELD,
    CODE_FOR_PROBLEM_KIND,
    COUNTERS,
    EXCEPTION_CODES,
    FORMAT_CODE_PRECEDENCE,
    RC_AGE,
    RC_FORMAT,
    RC_INSUFFICIENT,
    RC_UCI_UPN,
    RETURN_CODES,
    VRF_FLAGS,
    WSEC_CODES,
    WSRC_CODES,
    WSVRC_CODES,
    Code,
    Mark,
    code_for,
    describe,
)

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
