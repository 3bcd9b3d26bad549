"""The learner register: give a learner a ULN once, find them again, keep them current.

The storage surface is :class:`Register` (:mod:`uln.register.base`); backends keep
learners in memory or in an SQL database, and the LRS operations run on top of any of
them.
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

__all__ = [
    "AuditEvent",
    "BatchEntry",
    "BatchRun",
    "ExceptionItem",
    "ExceptionKind",
    "ExceptionStatus",
    "Register",
]
