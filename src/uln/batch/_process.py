"""Running a batch against a register: find or register each learner, once.

A registration batch is processed in chunks: each chunk is one transaction of the
register holding every learner's registration (or update, or exception) together with
the row that records the learner as done (:meth:`uln.register.Register.record_batch_entry`).
A process killed half way loses at most the chunk it was in, which a rerun redoes; a
learner recorded as done is never processed again. The batch is known by a digest of
its UKPRN, file name and content (:func:`batch_key`), so the same file sent twice gives
the stored result and registers nobody twice.

The return codes [ours where the LRS publishes no rule]:

======================================  ======  ===========================================
outcome                                 code    how
======================================  ======  ===========================================
found (same details, or one clear       RC001   ``register_learner`` gave WSRC0021 or
match)                                          WSRC0004
new learner                             RC002   ``register_learner`` gave WSRC0005
found and updated                       RC003   found (RC001) or verified (RC005), and the
                                                update rule below changed the record
linked learner found                    RC004   the ULN (supplied, or of the same details)
                                                is linked: the master's ULN is returned
supplied ULN verified                   RC005   ``verify_learner`` gave WSVRC001 / WSVRC003
insufficient data                       RC006   a mandatory field missing (the reader)
possible matches                        RC007   WSRC0003: an exception is opened
too many matches                        RC008   WSRC0002: an exception is opened
ULN does not match the details          RC009   WSVRC005: an exception is opened
supplied ULN not found                  RC010   WSVRC006 (no exception: the MIS corrects
                                                the ULN)
bad format / UCI or UPN / age           RC011   the reader's code is kept
                                        RC012
                                        RC013
======================================  ======  ===========================================

The update rule of RC003 [ours]: a found learner takes from the batch only details
that move, never the names, date of birth or gender (a person changes those with
:meth:`~uln.register.LearnerRegister.update_learner`):

==========================  ==============================================================
supplied detail             taken when
==========================  ==============================================================
LastKnownPostCode           it differs from the register's, unless both carry a
                            DateOfAddressCapture and the supplied one is older. The
                            address lines, town, county and date of capture are then
                            replaced together (an empty one is cleared).
address lines, town,        the postcode is the same, the value is given and differs,
county, DateOfAddressCapture  under the same date-of-capture condition
EmailAddress                given and different
==========================  ==============================================================

An update the register refuses (another learner already has the new details) leaves
the learner found, RC001.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final, TypeAlias

import attrs

from uln.batch._model import Batch, Entry, Header
from uln.batch._read import BatchReader
from uln.batch._result import (
    BatchResult,
    LearnerResult,
    Resolution,
    VerifyLearnerResult,
    VerifyResult,
)
from uln.batch._source import Source
from uln.batch.codes import code_for
from uln.batch.spec import Layout
from uln.errors import (
    BatchError,
    IntegrityError,
    NotFound,
    Problem,
    RegisterError,
    ValidationError,
)
from uln.identifiers import ukprn as _ukprn
from uln.learner import Learner
from uln.register.base import (
    AuditEvent,
    BatchEntry,
    BatchRun,
    ExceptionItem,
    ExceptionKind,
    ExceptionStatus,
    Register,
)
from uln.register.service import LearnerRegister, learner_identity

__all__ = [
    "CHUNK_SIZE",
    "Clock",
    "Progress",
    "batch_key",
    "exceptions",
    "process",
    "process_verify",
    "resolve",
]

CHUNK_SIZE: Final = 200
"""Learners processed in one transaction of the register (a kill redoes at most these)."""

Progress: TypeAlias = Callable[[int, int], object]
"""Called as ``progress(done, total)`` after each chunk (and once at the start)."""

Clock: TypeAlias = "Callable[[], _dt.datetime] | _dt.datetime"
"""The time now: a function giving it, or one fixed time (for tests)."""

_SHOWN: Final = 5
_FOUND: Final = frozenset({"RC001", "RC003", "RC004", "RC005"})
_KIND_CODE: Final[Mapping[ExceptionKind, str]] = {
    ExceptionKind.POSSIBLE: "RC007",
    ExceptionKind.TOO_MANY: "RC008",
    ExceptionKind.MISMATCH: "RC009",
}
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


def _clock(now: Clock | None) -> Callable[[], _dt.datetime]:
    if now is None:
        return _utc_now
    if isinstance(now, _dt.datetime):
        fixed = now
        return lambda: fixed
    return now


# -- the batch as given -------------------------------------------------------------------


@attrs.frozen
class _Loaded:
    header: Header
    learners: tuple[Entry, ...]
    errors: tuple[Problem, ...]
    format: str
    layout: Layout


def _load(batch: Batch | BatchReader | Source, kind: str, on: _dt.date | None) -> _Loaded:
    """The batch's header, rows and file problems, however it was given."""
    if isinstance(batch, Batch):
        return _Loaded(batch.header, batch.learners, batch.errors, batch.format, batch.layout)
    reader: BatchReader
    if isinstance(batch, BatchReader):
        reader = batch
    elif isinstance(batch, (str, os.PathLike)) or hasattr(batch, "read"):
        reader = BatchReader(
            batch,
            kind=kind,  # type: ignore[arg-type]
            on=on if on is not None else _dt.date.today(),
        )
    else:
        raise BatchError(
            f"a batch is a Batch, a BatchReader, a path or a file, not {type(batch).__name__}"
        )
    with reader:
        header = reader.header
        layout = reader.layout
        if layout.kind != kind:
            raise _wrong_kind(layout.kind, kind)
        learners: list[Entry] = []
        for entry in reader:
            learners.append(entry)
            if len(learners) > layout.max_learners:
                break
        errors = list(reader.errors)
    if len(learners) > layout.max_learners:
        errors.append(
            Problem(
                "Learners",
                f"the file has more than {layout.max_learners} learners; a {kind} batch has "
                f"{layout.min_learners} to {layout.max_learners}",
                "InvalidFormat",
            )
        )
    assert isinstance(header, Header)
    return _Loaded(header, tuple(learners), tuple(errors), reader.format, layout)


def _wrong_kind(found: str, wanted: str) -> BatchError:
    function = "uln.batch.process_verify" if found == "verify" else "uln.batch.process"
    return BatchError(f"this is a {found} batch, not a {wanted} batch: run it with {function}")


def _refuse_problems(loaded: _Loaded, kind: str, *, allow_small: bool) -> None:
    """Refuse a file that is not a good batch, before anything is registered."""
    layout = loaded.layout
    if layout.kind != kind:
        raise _wrong_kind(layout.kind, kind)
    n = len(loaded.learners)
    problems = [
        p
        for p in loaded.errors
        if not (allow_small and p.field == "Learners" and 0 < n < layout.min_learners)
    ]
    if n == 0:
        problems.append(Problem("Learners", "the file has no learners", "MissingValue"))
    header = loaded.header
    if (header.ukprn is None or header.file_name is None) and not problems:
        problems.append(Problem("FileName", "the header has no file name or UKPRN"))
    if problems:
        shown = "; ".join(str(p) for p in problems[:_SHOWN])
        more = f"; and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
        raise BatchError(f"the batch is refused, nothing was processed: {shown}{more}")


def batch_key(ukprn: str, file_name: str, learners: Iterable[Entry], version: str = "") -> str:
    """The identity of a batch in the register: a digest of its UKPRN, file name and rows.

    The rows count by what they hold (each good row's learner, each bad row's cells),
    not by how the file spelt it, and not by the codes the reader gave them (the age
    rule depends on the day): the same file read twice has the same key.

    >>> from uln.batch import Entry
    >>> a = batch_key("10000001", "LRB_10000001_020920240930.CSV", [Entry(4, "RC011")])
    >>> a == batch_key("10000001", "LRB_10000001_020920240930.CSV", [Entry(4, "RC006")])
    True
    >>> a == batch_key("10000001", "LRB_10000001_030920240930.CSV", [Entry(4, "RC011")])
    False
    >>> len(a)
    64
    """
    digest = hashlib.sha256()
    digest.update(f"{ukprn}\x1f{file_name}\x1f{version}\x1e".encode())
    for entry in learners:
        learner = entry.learner
        if learner is not None:
            body: Any = learner.to_dict()
        else:
            body = sorted((entry.values or {}).items())
        text = json.dumps([entry.line, body], sort_keys=True, ensure_ascii=False)
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1e")
    return digest.hexdigest()


# -- one learner --------------------------------------------------------------------------


@attrs.frozen
class _Outcome:
    code: str
    uln: str | None = None
    exception_id: int | None = None


class _Runner:
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

    def learner(self, learner: Learner, supplied_uln: str | None, line: int | None) -> _Outcome:
        try:
            if supplied_uln is not None:
                return self._verified(learner, supplied_uln, line)
            return self._registered(learner, line)
        except ValidationError as error:  # a value the register reads more strictly
            problems = getattr(error, "problems", None) or (Problem.from_error(error),)
            return _Outcome(code_for(problems) or "RC011")

    def _registered(self, learner: Learner, line: int | None) -> _Outcome:
        register = self.register
        result = register.register_learner(learner, organisation=self.organisation)
        code = result.code
        if code == "WSRC0005":
            return _Outcome("RC002", result.uln)
        if code in ("WSRC0003", "WSRC0002"):
            assert result.exception_id is not None
            self._tag(result.exception_id, line)
            return _Outcome("RC007" if code == "WSRC0003" else "RC008", None, result.exception_id)
        if code == "WSRC0015":
            return _Outcome("RC006")
        if code in ("WSRC0021", "WSRC0004") and result.uln is not None:
            if code == "WSRC0021":
                same = self.store.find_identity(learner_identity(learner.demographics))
                if same is not None and same != result.uln:
                    return _Outcome("RC004", result.uln)
            stored = result.learner
            return self._found(stored, learner, result.uln, "RC001")
        raise RegisterError(f"the register gave {code} to a registration")  # pragma: no cover

    def _verified(self, learner: Learner, supplied: str, line: int | None) -> _Outcome:
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
            self._audit("exception", None, f"exception {exception_id}")
            return _Outcome("RC009", None, exception_id)
        if code == "RC005" and result.uln is not None:
            return self._found(self.store.get(result.uln), learner, result.uln, "RC005")
        if code == "RC004":
            return _Outcome("RC004", result.uln)
        return _Outcome(code)

    def _found(self, stored: Learner | None, supplied: Learner, uln: str, code: str) -> _Outcome:
        if stored is None or stored.is_linked:
            return _Outcome(code, uln)
        changes = newer_details(stored, supplied)
        if not changes:
            return _Outcome(code, uln)
        result = self.register.update_learner(
            uln, stored.version, organisation=self.organisation, **changes
        )
        return _Outcome("RC003" if result.code == "WSRC0006" else code, uln)

    def _tag(self, exception_id: int, line: int | None) -> None:
        """Note the batch and line on an exception the register opened."""
        store = self.store
        item = store.get_exception(exception_id)
        if item is not None and (item.batch != self.key or item.line != line):
            store.update_exception(attrs.evolve(item, batch=self.key, line=line))

    def _audit(self, action: str, uln: str | None, detail: str) -> None:
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


# -- registration batches -----------------------------------------------------------------


def process(
    batch: Batch | BatchReader | Source,
    register: LearnerRegister,
    *,
    organisation: str | None = None,
    progress: Progress | None = None,
    now: Clock | None = None,
    chunk_size: int = CHUNK_SIZE,
    allow_small: bool = False,
    on: _dt.date | None = None,
) -> BatchResult:
    """Process a registration batch against a register: find or register each learner.

    Each good row is found or registered through the register's operations
    (``register_learner``; a supplied ULN is checked with ``verify_learner``) and given
    a return code, ``RC001`` .. ``RC013`` (the table is in the module docs); possible,
    too many and mismatched learners open an exception in the register for a person
    to resolve (:func:`exceptions`, :func:`resolve`). Rows the reader found bad keep
    its code (RC006, RC011, RC012, RC013) and touch nothing.

    Processing is **idempotent and resumable**: the batch is known by its UKPRN, file
    name and content (:func:`batch_key`). Learners are processed ``chunk_size`` to a
    transaction of the register, each recorded as done in the same transaction as
    what it changed. Processing the same batch again returns the stored result
    (reflecting exceptions resolved since) and registers nobody twice; a run killed
    or failed half way is finished by the next, every learner processed exactly once.
    Two processes given the same batch at once take turns by chunk and give one
    result.

    Args:
        batch: what :func:`uln.batch.read` or :func:`uln.batch.stream` gave, or a path
            or binary file to read.
        register: the register (:func:`uln.register.open`).
        organisation: the UKPRN acting; default the batch header's.
        progress: called as ``progress(done, total)`` after each chunk.
        now: the time now (a function or a fixed time), for the run's start and
            finish times; default the UTC clock. The stored times are reused by a
            rerun, so the output file is the same byte for byte.
        chunk_size: learners to a transaction.
        allow_small: accept fewer than the 50 learners a registration batch holds.
        on: the processing date of the age rule when ``batch`` is read here.

    Returns:
        The :class:`BatchResult`; ``write_output(result, folder)`` writes the output file.

    Raises:
        BatchError: not a registration batch (a verify batch, more than 5,000 learners,
            a bad header or file name, a count that disagrees): refused before anything
            is registered.
        RegisterError: the register failed; what was committed stays, and processing
            the batch again finishes it.

    >>> import datetime, io
    >>> import uln.register
    >>> from uln.batch import read, write_output, write_request
    >>> from uln.learner import Demographics
    >>> first = ["Al", "Bre", "Cad", "Dew", "Eir", "Fion", "Gwil", "Hyw", "Ior", "Mab"]
    >>> people = [Demographics.from_raw({"GivenName": a + b, "FamilyName": b.title() + "son",
    ...     "DateOfBirth": datetime.date(1970 + i, 1 + j, 1 + i), "Gender": "2",
    ...     "LastKnownPostCode": f"CV{i + 1} {j + 1}EE"})
    ...     for i, a in enumerate(first) for j, b in enumerate(["wen", "ryn", "lan", "dor", "mi"])]
    >>> out = io.BytesIO()
    >>> _ = write_request(people, out, ukprn="10000001", when=datetime.datetime(2024, 9, 2, 9, 30))
    >>> batch = read(io.BytesIO(out.getvalue()), on=datetime.date(2024, 9, 2))
    >>> register = uln.register.open("memory://")
    >>> result = process(batch, register, now=datetime.datetime(2024, 9, 2, 18, 0))
    >>> result.counters["NewLearners"], result.job_status, register.count()
    (50, 'Completed', 50)
    >>> again = process(batch, register)  # the same file again: the stored result
    >>> again == result, register.count()
    (True, 50)
    >>> output = io.BytesIO()
    >>> write_output(result, output).name
    'LRB_10000001_020920240930_OUTPUT.CSV'
    >>> output.getvalue().decode().splitlines()[1]
    '2A,LRB_10000001_020920240930.CSV,10000001,Completed,2024-09-02T18:00:00,2024-09-02T18:00:00,50,50,0,0,0,0'
    """
    if chunk_size < 1:
        raise BatchError("the chunk size is at least 1 learner")
    loaded = _load(batch, "registration", on)
    _refuse_problems(loaded, "registration", allow_small=allow_small)
    header = loaded.header
    assert header.ukprn is not None
    assert header.file_name is not None
    org = organisation if organisation is not None else header.ukprn
    clock = _clock(now)
    learners = loaded.learners
    total = len(learners)
    key = batch_key(header.ukprn, header.file_name, learners, header.version)
    store = register.store
    run = store.start_batch(BatchRun(key, header.ukprn, header.file_name, total, started=clock()))
    if run.finished is None:
        runner = _Runner(register, _ukprn.validate(org, allow_test=True), key, clock)
        _run(store, runner, run, learners, chunk_size, progress, clock)
        run = store.get_batch(key) or run
    elif progress is not None:
        progress(total, total)
    return _result(store, run, header, learners, loaded.format)


def _run(
    store: Register,
    runner: _Runner,
    run: BatchRun,
    learners: Sequence[Entry],
    chunk_size: int,
    progress: Progress | None,
    clock: Callable[[], _dt.datetime],
) -> None:
    key = run.key
    total = len(learners)
    done = {e.index for e in store.batch_entries(key)}
    if progress is not None:
        progress(len(done), total)
    while True:
        pending = [i for i in range(total) if i not in done]
        if not pending:
            break
        for chunk in _chunks(pending, chunk_size):
            with store.transaction():
                store.start_batch(run)  # holds the run's row: one process at a time
                recorded = {e.index for e in store.batch_entries(key)}
                outcomes = []
                for index in chunk:
                    if index in recorded:
                        continue
                    outcome = _entry_outcome(runner, learners[index])
                    outcomes.append(
                        BatchEntry(index, outcome.code, outcome.uln, outcome.exception_id)
                    )
                # in the transaction of what the learners changed: all kept, or none
                store.record_batch_entries(key, outcomes)
                done = recorded | set(chunk)
            if progress is not None:
                progress(len(done), total)
        done = {e.index for e in store.batch_entries(key)}
    with store.transaction():
        current = store.start_batch(run)
        if current.finished is None:
            store.finish_batch(key, clock())


def _entry_outcome(runner: _Runner, entry: Entry) -> _Outcome:
    if entry.code is not None or entry.problems:
        return _Outcome(entry.code or code_for(entry.problems) or "RC011")
    learner = entry.learner
    if learner is None:  # pragma: no cover - a good row has its learner
        return _Outcome("RC011")
    return runner.learner(learner, entry.uln, entry.line)


def _chunks(values: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _result(
    store: Register,
    run: BatchRun,
    header: Header,
    learners: Sequence[Entry],
    format: str,
) -> BatchResult:
    """The result as stored: each learner's entry, with the resolutions since applied."""
    stored = {e.index: e for e in store.batch_entries(run.key)}
    items = _exception_items(store, run.key, [e.exception_id for e in stored.values()])
    results = []
    for index, entry in enumerate(learners):
        found = stored.get(index)
        if found is None:
            continue
        code, uln, exception_id = found.code, found.uln, found.exception_id
        if exception_id is not None:
            code, uln, exception_id = _resolved(items, exception_id, code, uln)
        results.append(LearnerResult(index, entry.line, code, uln, exception_id, entry))
    return BatchResult(
        run.key,
        run.ukprn,
        run.file_name,
        header.version,
        format,
        run.started,
        run.finished,
        tuple(results),
    )


_POINT_READS: Final = 500
"""Up to this many exceptions a batch's are read one by one, beyond it in one scan."""


def _exception_items(
    store: Register, key: str, ids: Iterable[int | None]
) -> dict[int, ExceptionItem]:
    """The exceptions a batch opened (those replacing a withdrawn one included)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    if len(wanted) <= _POINT_READS:
        items = {i: item for i in sorted(wanted) if (item := store.get_exception(i)) is not None}
        if all(item.status is not ExceptionStatus.WITHDRAWN for item in items.values()):
            return items
    return {item.id: item for item in store.exceptions(status=None) if item.batch == key}


def _resolved(
    items: Mapping[int, ExceptionItem], exception_id: int, code: str, uln: str | None
) -> tuple[str, str | None, int | None]:
    """The code a learner has now that its exception (and any that replaced it) moved on."""
    item = items.get(exception_id)
    while item is not None and item.status is ExceptionStatus.WITHDRAWN:
        later = [
            other
            for other in items.values()
            if other.id > item.id and other.line == item.line and other.batch == item.batch
        ]
        if not later:
            break
        item = min(later, key=lambda other: other.id)
    if item is None:
        return code, uln, exception_id
    if item.status is ExceptionStatus.RESOLVED_EXISTING:
        return "RC001", item.resolved_uln, item.id
    if item.status is ExceptionStatus.RESOLVED_NEW:
        return "RC002", item.resolved_uln, item.id
    if item.id != exception_id and item.status is ExceptionStatus.OPEN:
        return _KIND_CODE[item.kind], None, item.id
    return code, uln, exception_id


# -- verify batches -----------------------------------------------------------------------


def process_verify(
    batch: Batch | BatchReader | Source,
    register: LearnerRegister,
    *,
    progress: Progress | None = None,
    now: Clock | None = None,
) -> VerifyResult:
    """Check each learner of a verify batch against the register: a WSVRC code and flags.

    Each good row is checked with :meth:`~uln.register.LearnerRegister.verify_learner`
    (ULN, given and family names, date of birth and gender when given): ``WSVRC001``
    match .. ``WSVRC006`` ULN not found, with the ``VRF1`` .. ``VRF8`` flags of what
    differed. A bad row keeps the reader's code (RC006, RC011). Nothing is changed
    in the register, so nothing is stored: running it again gives the same answers
    (for the same register). Write the answers with
    :func:`uln.batch.write_verify_output`.

    Args:
        batch: what :func:`uln.batch.read_verify` gave, a verify
            :class:`~uln.batch.BatchReader`, or a path or binary file.
        register: the register.
        progress: called as ``progress(done, total)`` every 100 learners and at the end.
        now: the time now (function or fixed), for the start and finish times.

    Raises:
        BatchError: not a verify batch, or a bad header, file name or count: refused
            before anything is checked.

    >>> import datetime, io
    >>> import uln.register
    >>> from uln.batch import read_verify, write_verify
    >>> from uln.learner import Learner
    >>> register = uln.register.open("memory://")
    >>> huw = register.register_learner({"GivenName": "Huw", "FamilyName": "Pugh",
    ...     "DateOfBirth": "2005-06-07", "Gender": "1", "LastKnownPostCode": "LL57 2DG"},
    ...     organisation="10000001")
    >>> asked = Learner.from_raw({"ULN": huw.uln, "GivenName": "Huw", "FamilyName": "Pugh",
    ...     "DateOfBirth": "2005-07-06", "Gender": "1"}, strict=False)
    >>> data = io.BytesIO()
    >>> _ = write_verify([asked], data, ukprn="10000001",
    ...                  when=datetime.datetime(2024, 9, 2, 9, 30))
    >>> result = process_verify(read_verify(io.BytesIO(data.getvalue())), register)
    >>> [(r.code, r.failure_flags) for r in result.learners]
    [('WSVRC003', ('VRF2', 'VRF3', 'VRF4', 'VRF6', 'VRF7'))]
    """
    loaded = _load(batch, "verify", None)
    _refuse_problems(loaded, "verify", allow_small=False)
    header = loaded.header
    assert header.ukprn is not None
    assert header.file_name is not None
    clock = _clock(now)
    started = clock()
    results = []
    total = len(loaded.learners)
    for index, entry in enumerate(loaded.learners):
        results.append(_verify_one(register, index, entry))
        if progress is not None and ((index + 1) % 100 == 0 or index + 1 == total):
            progress(index + 1, total)
    return VerifyResult(
        header.ukprn, header.file_name, loaded.format, started, clock(), tuple(results)
    )


def _verify_one(register: LearnerRegister, index: int, entry: Entry) -> VerifyLearnerResult:
    learner = entry.learner
    if entry.code is not None or entry.problems or learner is None or entry.uln is None:
        code = entry.code or code_for(entry.problems) or "RC006"
        return VerifyLearnerResult(index, entry.line, code, entry=entry)
    d = learner.demographics
    assert d.given_name is not None
    assert d.family_name is not None
    try:
        result = register.verify_learner(
            entry.uln, d.given_name, d.family_name, d.date_of_birth, d.gender
        )
    except ValidationError as error:
        return VerifyLearnerResult(
            index, entry.line, code_for((Problem.from_error(error),)) or "RC011", entry=entry
        )
    uln = result.uln if result.code in ("WSVRC001", "WSVRC002", "WSVRC003", "WSVRC004") else None
    return VerifyLearnerResult(index, entry.line, result.code, uln, result.failure_flags, entry)


# -- exceptions ---------------------------------------------------------------------------


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
        if result.code == "WSRC0005":
            return Resolution(exception_id, "RC002", result.uln, "resolved_new")
        if result.code == "WSRC0004":
            return Resolution(exception_id, "RC001", result.uln, "resolved_existing")
        return Resolution(exception_id, _KIND_CODE[item.kind], result.uln, "open")
    org = _ukprn.validate(organisation, allow_test=True)
    clock = _clock(now)
    with store.transaction():
        item = store.get_exception(exception_id)
        if item is None:
            raise NotFound("no exception has this id")
        if item.status is not ExceptionStatus.OPEN:
            raise IntegrityError("the exception is already closed")
        learner, supplied = _corrected(item.learner, changes)
        runner = _Runner(register, org, item.batch, clock)
        outcome = runner.learner(learner, supplied, item.line)
        if outcome.code in _FOUND or outcome.code == "RC002":
            new = outcome.code == "RC002"
            status = ExceptionStatus.RESOLVED_NEW if new else ExceptionStatus.RESOLVED_EXISTING
            store.update_exception(
                attrs.evolve(item, status=status, resolved_uln=outcome.uln, resolved=clock())
            )
            runner._audit("resolve", outcome.uln, f"exception {exception_id}")
            return Resolution(exception_id, "RC002" if new else "RC001", outcome.uln, status.value)
        if outcome.exception_id is not None:
            store.update_exception(
                attrs.evolve(item, status=ExceptionStatus.WITHDRAWN, resolved=clock())
            )
            runner._audit("withdraw", None, f"exception {exception_id}")
            return Resolution(exception_id, outcome.code, None, "withdrawn", outcome.exception_id)
    return Resolution(exception_id, outcome.code, outcome.uln, "open")


def _corrected(learner: Learner, changes: Mapping[str, Any]) -> tuple[Learner, str | None]:
    """The learner with ``changes`` applied as ``update_learner`` reads them, and its
    supplied ULN (changed or dropped by a ``ULN`` change)."""
    from uln import checkdigit
    from uln.register.service import _apply, _read_changes

    supplied = learner.uln
    rest = dict(changes)
    for name in list(rest):
        if name.lower() == "uln":
            value = rest.pop(name)
            supplied = checkdigit.validate(value) if value else None
    new, _changed = _apply(learner, _read_changes(rest))
    return attrs.evolve(new, uln=None), supplied
