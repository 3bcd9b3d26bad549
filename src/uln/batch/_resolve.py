"""The exceptions of batches: listing them, and resolving them through the register."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from uln.batch._result import BatchResult, Resolution
from uln.batch._runner import FOUND, KIND_CODE, RESOLVED_CODE, Clock, Runner, clock_of
from uln.errors import NotFound, RegisterError
from uln.identifiers import ukprn as _ukprn
from uln.learner import Learner
from uln.register.base import ExceptionItem, ExceptionStatus
from uln.register.service import LearnerRegister

__all__ = ["exceptions", "resolve"]


def _key_of(batch: BatchResult | str | None) -> str | None:
    if batch is None or isinstance(batch, str):
        return batch
    return batch.key


def exceptions(
    register: LearnerRegister,
    *,
    batch: BatchResult | str | None = None,
    status: ExceptionStatus | None = ExceptionStatus.OPEN,
) -> list[ExceptionItem]:
    """The exceptions batches opened (of one batch: its result or key), oldest first.

    ``status`` picks open ones (the default), another status, or all (``None``).
    Each :class:`~uln.register.ExceptionItem` names its batch (``batch``, the key) and
    ``line``, its kind (possible, too many, ULN mismatch), the learner submitted and
    the ULNs of the candidates. Without ``batch``, the exceptions of every batch are
    listed (never those opened outside a batch, by ``register_learner``).

    >>> import uln.register
    >>> exceptions(uln.register.open("memory://"))
    []
    """
    key = _key_of(batch)
    return [
        item
        for item in register.exceptions(status=status)
        if (item.batch is not None if key is None else item.batch == key)
    ]


def resolve(
    register: LearnerRegister,
    exception_id: int,
    *,
    organisation: str,
    uln: str | None = None,
    register_new: bool = False,
    changes: Mapping[str, Any] | None = None,
    now: Clock | None = None,
) -> Resolution:
    """Resolve an exception of a batch: choose a learner, register a new one, or correct.

    Give exactly one of:

    * ``uln``: the learner is this existing learner (its master's ULN is returned);
      the batch output then gives RC001 and that ULN.
    * ``register_new=True``: the learner is new; a ULN is issued (RC002), unless a
      learner with the same mandatory fields was registered meanwhile (the
      exception stays open; ``uln`` names that learner).
    * ``changes``: corrected fields (``{"DateOfBirth": "2005-06-08"}``; ``"ULN"``
      corrects or, empty, drops a supplied ULN): the corrected learner is run again as
      a batch row. Found or new, the exception is resolved (RC001/RC002 in the
      output); another exception, it is withdrawn for the new one; a row code that
      needs no person (RC010, a bad field), it stays open.

    Processing the batch again gives its output with the resolutions applied.

    Returns:
        The :class:`Resolution`.

    Raises:
        NotFound: no exception has this id, or no learner has ``uln``.
        IntegrityError: the exception is already closed.
        RegisterError: not exactly one of ``uln``, ``register_new``, ``changes``.
        InvalidRecord: a change names an unknown or fixed field, or holds a bad value.

    >>> import datetime, io
    >>> import uln.register
    >>> from uln.batch import process, read, write_request
    >>> from uln.learner import Demographics
    >>> register = uln.register.open("memory://")
    >>> def huw(born):
    ...     return Demographics.from_raw({"GivenName": "Huw", "FamilyName": "Pugh",
    ...         "DateOfBirth": born, "Gender": "1", "LastKnownPostCode": "LL57 2DG"})
    >>> known = register.register_learner(huw("2005-06-07"), organisation="10000001").uln
    >>> data = io.BytesIO()
    >>> _ = write_request([huw("2005-09-10")], data, ukprn="10000001", allow_small=True,
    ...                   when=datetime.datetime(2024, 9, 2, 9, 30))
    >>> batch = read(io.BytesIO(data.getvalue()))
    >>> result = process(batch, register, allow_small=True)
    >>> result.learners[0].code, result.learners[0].uln  # like Huw: a person decides
    ('RC007', None)
    >>> item = exceptions(register, batch=result)[0]
    >>> item.candidates == (known,), item.line
    (True, 4)
    >>> done = resolve(register, item.id, organisation="10000001",
    ...                changes={"DateOfBirth": "2005-06-07"})  # the MIS had a typo
    >>> done.code, done.uln == known, done.status
    ('RC001', True, 'resolved_existing')
    >>> again = process(batch, register, allow_small=True)  # the output shows it
    >>> again.learners[0].code, again.learners[0].uln == known
    ('RC001', True)
    """
    given = (uln is not None) + bool(register_new) + (changes is not None)
    if given != 1:
        raise RegisterError(
            "give one of: the ULN of an existing learner, register_new=True, or changes"
        )
    store = register.store
    if changes is None:
        item = store.get_exception(exception_id)
        if item is None:
            raise NotFound("no exception has this id")
        result = register.resolve(
            exception_id, organisation=organisation, uln=uln, register_new=register_new
        )
        resolved = {
            "WSRC0005": ExceptionStatus.RESOLVED_NEW,
            "WSRC0004": ExceptionStatus.RESOLVED_EXISTING,
        }.get(result.code)
        if resolved is not None:
            return Resolution(exception_id, RESOLVED_CODE[resolved], result.uln, resolved.value)
        return Resolution(exception_id, KIND_CODE[item.kind], result.uln, "open")
    org = _ukprn.validate(organisation, allow_test=True)
    clock = clock_of(now)
    with store.transaction():
        item = store.open_exception(exception_id)
        learner, supplied = _corrected(item.learner, changes)
        runner = Runner(register, org, item.batch, clock)
        outcome = runner.learner(learner, supplied, item.line)
        if outcome.code in FOUND or outcome.code == "RC002":
            new = outcome.code == "RC002"
            status = ExceptionStatus.RESOLVED_NEW if new else ExceptionStatus.RESOLVED_EXISTING
            store.update_exception(
                attrs.evolve(item, status=status, resolved_uln=outcome.uln, resolved=clock())
            )
            runner.audit("resolve", outcome.uln, f"exception {exception_id}")
            return Resolution(exception_id, RESOLVED_CODE[status], outcome.uln, status.value)
        if outcome.exception_id is not None:
            store.update_exception(
                attrs.evolve(item, status=ExceptionStatus.WITHDRAWN, resolved=clock())
            )
            runner.audit("withdraw", None, f"exception {exception_id}")
            return Resolution(exception_id, outcome.code, None, "withdrawn", outcome.exception_id)
    return Resolution(exception_id, outcome.code, outcome.uln, "open")


def _corrected(learner: Learner, changes: Mapping[str, Any]) -> tuple[Learner, str | None]:
    """The learner with ``changes`` applied as ``update_learner`` reads them, and its
    supplied ULN (changed or dropped by a ``ULN`` change)."""
    from uln import checkdigit
    from uln.register.service import apply_changes

    supplied = learner.uln
    rest = dict(changes)
    for name in list(rest):
        if name.lower() == "uln":
            value = rest.pop(name)
            supplied = checkdigit.validate(value) if value else None
    new, _changed = apply_changes(learner, rest)
    return attrs.evolve(new, uln=None), supplied
