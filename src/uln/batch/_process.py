"""Running a registration batch against a register: each learner found or registered, once.

A batch is processed in chunks: each chunk is one transaction of the register holding
every learner's registration (or update, or exception) together with the rows that
record the learners as done (:meth:`uln.register.Register.record_batch_entries`). A
process killed half way loses at most the chunk it was in, which a rerun redoes; a
learner recorded as done is never processed again. The batch is known by a digest of
its UKPRN, file name and content (:func:`batch_key`), so the same file sent twice gives
the stored result and registers nobody twice.
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
from uln.batch._result import BatchResult, LearnerResult
from uln.batch._runner import KIND_CODE, RESOLVED_CODE, Clock, Outcome, Runner, clock_of
from uln.batch._source import Source
from uln.batch.codes import code_for
from uln.batch.spec import Kind, Layout
from uln.errors import BatchError, ConcurrencyError, Problem
from uln.identifiers import ukprn as _ukprn
from uln.register.base import BatchEntry, BatchRun, ExceptionItem, ExceptionStatus, Register
from uln.register.service import LearnerRegister

__all__ = ["CHUNK_SIZE", "Progress", "batch_key", "load", "process", "refuse_problems"]

CHUNK_SIZE: Final = 200
"""Learners processed in one transaction of the register (a kill redoes at most these)."""

Progress: TypeAlias = Callable[[int, int], object]
"""Called as ``progress(done, total)`` after each chunk (and once at the start)."""

_SHOWN: Final = 5
_ATTEMPTS: Final = 3
"""Times a chunk is tried when the database makes it give way (a deadlock)."""


# -- the batch as given -------------------------------------------------------------------


@attrs.frozen
class Loaded:
    """A batch as given: header, rows, file problems, format, layout."""

    header: Header
    learners: tuple[Entry, ...]
    errors: tuple[Problem, ...]
    format: str
    layout: Layout


def load(batch: Batch | BatchReader | Source, kind: Kind, on: _dt.date | None) -> Loaded:
    """The batch's header, rows and file problems, however it was given."""
    if isinstance(batch, Batch):
        return Loaded(batch.header, batch.learners, batch.errors, batch.format, batch.layout)
    reader: BatchReader
    if isinstance(batch, BatchReader):
        reader = batch
    elif isinstance(batch, (str, os.PathLike)) or hasattr(batch, "read"):
        reader = BatchReader(
            batch,
            kind=kind,
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
    return Loaded(header, tuple(learners), tuple(errors), reader.format, layout)


def _wrong_kind(found: str, wanted: str) -> BatchError:
    function = "uln.batch.process_verify" if found == "verify" else "uln.batch.process"
    return BatchError(f"this is a {found} batch, not a {wanted} batch: run it with {function}")


def refuse_problems(loaded: Loaded, kind: Kind, *, allow_small: bool) -> None:
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
    a return code, ``RC001`` .. ``RC013`` (the table below); possible,
    too many and mismatched learners open an exception in the register for a person
    to resolve (:func:`exceptions`, :func:`resolve`). Rows the reader found bad keep
    its code (RC006, RC011, RC012, RC013) and touch nothing.

    The return codes [ours, where the LRS publishes no rule]:

    | code | outcome | given when |
    | --- | --- | --- |
    | RC001 | found | ``register_learner`` gave WSRC0021 (same details) or WSRC0004 |
    | RC002 | new learner | ``register_learner`` gave WSRC0005 (a ULN issued) |
    | RC003 | found and updated | found or verified, and the update rule below applied |
    | RC004 | linked learner found | the ULN found is linked: the master's ULN returned |
    | RC005 | supplied ULN verified | ``verify_learner`` gave WSVRC001 or WSVRC003 |
    | RC006 | insufficient data | a mandatory field is missing (found by the reader) |
    | RC007 | possible matches | WSRC0003: an exception is opened |
    | RC008 | too many matches | WSRC0002: an exception is opened |
    | RC009 | supplied ULN does not match | WSVRC005: an exception is opened |
    | RC010 | supplied ULN not found | WSVRC006 (no exception: the MIS corrects the ULN) |
    | RC011-13 | bad format, UCI/UPN, age | the reader's code is kept; nothing is done |

    The update rule [ours]: a found learner takes from the batch only details that
    move, never the names, date of birth or gender (a person changes those with
    :meth:`~uln.register.LearnerRegister.update_learner`):

    - ``LastKnownPostCode``, when it differs: the whole address (lines, town, county,
      DateOfAddressCapture) is replaced with the batch's, an empty field cleared;
    - an address line, town, county or DateOfAddressCapture given with the same
      postcode, when it differs;
    - neither when both records have a DateOfAddressCapture and the batch's is older;
    - ``EmailAddress``, when given and different.

    An update the register refuses (another learner already has those details) leaves
    the learner found (RC001 or RC005).

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
    loaded = load(batch, "registration", on)
    refuse_problems(loaded, "registration", allow_small=allow_small)
    header = loaded.header
    assert header.ukprn is not None
    assert header.file_name is not None
    org = _ukprn.validate(
        organisation if organisation is not None else header.ukprn, allow_test=True
    )
    clock = clock_of(now)
    learners = loaded.learners
    total = len(learners)
    key = batch_key(header.ukprn, header.file_name, learners, header.version)
    store = register.store
    run = store.start_batch(BatchRun(key, header.ukprn, header.file_name, total, started=clock()))
    if run.finished is None:
        runner = Runner(register, org, key, clock)
        _run(store, runner, run, learners, chunk_size, progress, clock)
        run = store.get_batch(key) or run
    elif progress is not None:
        progress(total, total)
    return _result(store, run, header, learners, loaded.format)


def _run(
    store: Register,
    runner: Runner,
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
            for attempt in range(1, _ATTEMPTS + 1):
                try:
                    done = _chunk(store, runner, run, learners, chunk)
                    break
                except ConcurrencyError:  # the database chose this chunk to give way
                    if attempt == _ATTEMPTS:
                        raise
            if progress is not None:
                progress(len(done), total)
        done = {e.index for e in store.batch_entries(key)}
    with store.transaction():
        current = store.start_batch(run)
        if current.finished is None:
            store.finish_batch(key, clock())


def _chunk(
    store: Register, runner: Runner, run: BatchRun, learners: Sequence[Entry], chunk: Sequence[int]
) -> set[int]:
    """Process one chunk in one transaction; returns the learners now done."""
    key = run.key
    with store.transaction():
        store.start_batch(run)  # holds the run's row: one process at a time
        recorded = {e.index for e in store.batch_entries(key)}
        outcomes = []
        for index in chunk:
            if index in recorded:
                continue
            outcome = _entry_outcome(runner, learners[index])
            outcomes.append(BatchEntry(index, outcome.code, outcome.uln, outcome.exception_id))
        # in the transaction of what the learners changed: all kept, or none
        store.record_batch_entries(key, outcomes)
    return recorded | set(chunk)


def _entry_outcome(runner: Runner, entry: Entry) -> Outcome:
    if entry.code is not None or entry.problems:
        return Outcome(entry.code or code_for(entry.problems) or "RC011")
    learner = entry.learner
    if learner is None:  # pragma: no cover - a good row has its learner
        return Outcome("RC011")
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
        items = store.get_exceptions(wanted)
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
    if item.status in RESOLVED_CODE:
        return RESOLVED_CODE[item.status], item.resolved_uln, item.id
    if item.id != exception_id and item.status is ExceptionStatus.OPEN:
        return KIND_CODE[item.kind], None, item.id
    return code, uln, exception_id
