"""The learner register: give a learner a ULN once, find them again, keep them current.

The storage surface is :class:`Register` (:mod:`uln.register.base`); backends keep
learners in memory or in an SQL database, and the LRS operations run on top of any of
them.

>>> import uln.register
>>> with uln.register.open("memory://") as register:
...     result = register.register_learner(
...         {"GivenName": "Dan' OR 'x' --", "FamilyName": "O'Brien", "Gender": "1",
...          "DateOfBirth": "2006-01-31", "LastKnownPostCode": "CF10 1AA"},
...         organisation="10012345")
...     result.code, register.get(result.uln).demographics.family_name
('WSRC0005', "O'Brien")
"""

from __future__ import annotations

from uln.register.base import (
    AuditEvent,
    BatchEntry,
    BatchRun,
    ExceptionItem,
    ExceptionKind,
    ExceptionStatus,
    Register,
)
from uln.register.memory import MemoryRegister
from uln.register.service import LearnerRegister, Result, apply_changes
from uln.register.service import open_register as open

__all__ = [
    "AuditEvent",
    "BatchEntry",
    "BatchRun",
    "ExceptionItem",
    "ExceptionKind",
    "ExceptionStatus",
    "LearnerRegister",
    "MemoryRegister",
    "Register",
    "Result",
    "apply_changes",
    "open",
]
