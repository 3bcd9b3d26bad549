"""Processing one learner of a batch against a register: its code, and what it changed.

The rules of each return code and of the RC003 update are documented on
:func:`uln.batch.process`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeAlias

import attrs

from uln.batch.codes import code_for
from uln.errors import Problem, RegisterError, ValidationError
from uln.learner import Learner
from uln.register.base import AuditEvent, ExceptionItem, ExceptionKind, ExceptionStatus, Register
from uln.register.service import LearnerRegister, learner_identity

__all__ = [
    "FOUND",
    "KIND_CODE",
    "RESOLVED_CODE",
    "Clock",
    "Outcome",
    "Runner",
    "clock_of",
    "newer_details",
]

Clock: TypeAlias = "Callable[[], _dt.datetime] | _dt.datetime"
"""The time now: a function giving it, or one fixed time (for tests)."""

FOUND: Final = frozenset({"RC001", "RC003", "RC004", "RC005"})
"""The codes of a learner found on the register."""
KIND_CODE: Final[Mapping[ExceptionKind, str]] = {
    ExceptionKind.POSSIBLE: "RC007",
    ExceptionKind.TOO_MANY: "RC008",
    ExceptionKind.MISMATCH: "RC009",
}
"""The return code of each kind of exception."""
RESOLVED_CODE: Final[Mapping[ExceptionStatus, str]] = {
    ExceptionStatus.RESOLVED_EXISTING: "RC001",
    ExceptionStatus.RESOLVED_NEW: "RC002",
}
"""The return code of a learner whose exception a person resolved (found, or new)."""
_REGISTERED: Final[Mapping[str, str]] = {
    "WSRC0005": "RC002",  # a new ULN issued
    "WSRC0003": "RC007",  # possible matches: an exception opened
    "WSRC0002": "RC008",  # too many matches: an exception opened
    "WSRC0015": "RC006",  # a mandatory field missing
    "WSRC0021": "RC001",  # these details registered before (RC004 when linked since)
    "WSRC0004": "RC001",  # one clear match
}
"""[ours] The return code of each answer of ``register_learner``; a learner found
(RC001) becomes RC003 when the batch updates it, RC004 when it is linked."""
_VERIFIED: Final[Mapping[str, str]] = {
    "WSVRC001": "RC005",
    "WSVRC003": "RC005",
    "WSVRC002": "RC004",
    "WSVRC004": "RC004",
    "WSVRC005": "RC009",
    "WSVRC006": "RC010",
    "WSEC0136": "RC011",
}
_ADDRESS: Final = (
    "address_line1",
    "address_line2",
    "address_town",
    "address_county_or_city",
    "date_of_address_capture",
)


def _utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


def clock_of(now: Clock | None) -> Callable[[], _dt.datetime]:
    """A function giving the time: ``now`` itself, one that gives ``now``, or the UTC clock."""
    if now is None:
        return _utc_now
    if isinstance(now, _dt.datetime):
        fixed = now
        return lambda: fixed
    return now


@attrs.frozen
class Outcome:
    """A learner's return code, the ULN it got, and the exception it opened."""

    code: str
    uln: str | None = None
    exception_id: int | None = None


class Runner:
    """Processes learners of one batch against one register (inside the caller's
    transaction)."""

    def __init__(
        self,
        register: LearnerRegister,
        organisation: str,
        key: str | None,
        clock: Callable[[], _dt.datetime],
    ) -> None:
        self.register = register
        self.store: Register = register.store
        self.organisation = organisation
        self.key = key
        self.clock = clock

    def learner(self, learner: Learner, supplied_uln: str | None, line: int | None) -> Outcome:
        try:
            if supplied_uln is not None:
                return self._verified(learner, supplied_uln, line)
            return self._registered(learner, line)
        except ValidationError as error:  # a value the register reads more strictly
            problems = getattr(error, "problems", None) or (Problem.from_error(error),)
            return Outcome(code_for(problems) or "RC011")

    def _registered(self, learner: Learner, line: int | None) -> Outcome:
        register = self.register
        # inside the chunk's transaction, which is kept or rolled back whole
        result = register.register_within(learner, organisation=self.organisation)
        code = _REGISTERED.get(result.code)
        if code is None:  # pragma: no cover - register_learner gives no other code
            raise RegisterError(f"the register gave {result.code} to a registration")
        if result.exception_id is not None:
            self._tag(result.exception_id, line)
            return Outcome(code, None, result.exception_id)
        if code != "RC001" or result.uln is None:
            return Outcome(code, result.uln)
        if result.code == "WSRC0021":
            same = self.store.find_identity(learner_identity(learner.demographics))
            if same is not None and same != result.uln:
                return Outcome("RC004", result.uln)
        return self._found(result.learner, learner, result.uln, "RC001")

    def _verified(self, learner: Learner, supplied: str, line: int | None) -> Outcome:
        d = learner.demographics
        assert d.given_name is not None
        assert d.family_name is not None
        result = self.register.verify_learner(
            supplied, d.given_name, d.family_name, d.date_of_birth, d.gender
        )
        code = _VERIFIED.get(result.code, "RC011")
        if code == "RC009":
            item = ExceptionItem(
                ExceptionKind.MISMATCH,
                attrs.evolve(learner, uln=supplied),
                self.organisation,
                self.clock(),
                candidates=(result.uln,) if result.uln else (),
                batch=self.key,
                line=line,
            )
            exception_id = self.store.add_exception(item)
            self.audit("exception", None, f"exception {exception_id}")
            return Outcome("RC009", None, exception_id)
        if code == "RC005" and result.uln is not None:
            return self._found(self.store.get(result.uln), learner, result.uln, "RC005")
        if code == "RC004":
            return Outcome("RC004", result.uln)
        return Outcome(code)

    def _found(self, stored: Learner | None, supplied: Learner, uln: str, code: str) -> Outcome:
        if stored is None or stored.is_linked:
            return Outcome(code, uln)
        changes = newer_details(stored, supplied)
        if not changes:
            return Outcome(code, uln)
        result = self.register.update_learner(
            uln, stored.version, organisation=self.organisation, **changes
        )
        return Outcome("RC003" if result.code == "WSRC0006" else code, uln)

    def _tag(self, exception_id: int, line: int | None) -> None:
        """Note the batch and line on an exception the register opened."""
        store = self.store
        item = store.get_exception(exception_id)
        if item is not None and (item.batch != self.key or item.line != line):
            store.update_exception(attrs.evolve(item, batch=self.key, line=line))

    def audit(self, action: str, uln: str | None, detail: str) -> None:
        self.store.record(
            AuditEvent(
                at=self.clock(),
                organisation=self.organisation,
                action=action,
                uln=uln,
                detail=detail,
            )
        )


def newer_details(stored: Learner, supplied: Learner) -> dict[str, Any]:
    """The changes the update rule of RC003 takes from a batch row (see the module docs).

    >>> from uln.learner import Learner
    >>> old = Learner.from_raw({"ULN": "3344556680", "GivenName": "Huw", "FamilyName":
    ...     "Pugh", "DateOfBirth": "2005-06-07", "Gender": "1", "LastKnownPostCode":
    ...     "LL57 2DG", "LastKnownAddressTown": "Bangor"})
    >>> new = Learner.from_raw({"GivenName": "Hugh", "FamilyName": "Pugh", "DateOfBirth":
    ...     "2005-06-07", "Gender": "1", "LastKnownPostCode": "CF10 1AA"})
    >>> newer_details(old, new)
    {'postcode': 'CF10 1AA', 'address_town': None}
    >>> newer_details(old, old)
    {}
    """
    old, new = stored.demographics, supplied.demographics
    changes: dict[str, Any] = {}
    captured_old, captured_new = old.date_of_address_capture, new.date_of_address_capture
    older = captured_old is not None and captured_new is not None and captured_new < captured_old
    if not older:
        if new.postcode is not None and new.postcode != old.postcode:
            changes["postcode"] = str(new.postcode)
            for name in _ADDRESS:
                value = getattr(new, name)
                if value != getattr(old, name):
                    changes[name] = value
        else:
            for name in _ADDRESS:
                value = getattr(new, name)
                if value is not None and value != getattr(old, name):
                    changes[name] = value
    if new.email is not None and new.email != old.email:
        changes["email"] = new.email
    return changes
