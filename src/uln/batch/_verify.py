"""Verify batches: checking each learner against a register, and the output file.

:func:`process_verify` answers each learner with a WSVRC code and its VRF flags.

The layout is [ours] (the LRS publishes none for files): the verify batch's columns
echoed, then ``ReturnCode`` (``WSVRC001`` .. ``WSVRC006``, ``WSEC0136``, or the row's
format code) and ``FailureFlags`` (the ``VRF`` flags, separated by spaces). The header
is that of a registration output file with the verify counters
(:data:`~uln.batch.VERIFY_COUNTERS`) in place of the registration ones; the XML
document element is ``VerifyBatchOutput``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping
from typing import Final

import attrs

from uln.batch import _csvio, _xmlio
from uln.batch._model import Batch, Entry
from uln.batch._process import Progress, load, refuse_problems
from uln.batch._read import BatchReader
from uln.batch._result import VERIFY_COUNTERS, VerifyLearnerResult, VerifyResult
from uln.batch._runner import Clock, clock_of
from uln.batch._source import Chunks, Lines, Opened, Source
from uln.batch.codes import RETURN_CODES, VRF_FLAGS, WSEC_CODES, WSVRC_CODES, code_for
from uln.batch.spec import VERIFY, XML_COUNT_FIELD, Column, Layout
from uln.errors import BatchError, Problem, ValidationError
from uln.register.service import LearnerRegister

__all__ = ["VERIFY_OUTPUT", "VERIFY_OUTPUT_HEADER", "header", "parse", "process_verify", "rows"]

VERIFY_OUTPUT_HEADER: Final[tuple[str, ...]] = (
    "FileVersion",
    "FileName",
    "UKPRN",
    "JobStatus",
    "StartTime",
    "FinishTime",
    "TotalLearners",
    *VERIFY_COUNTERS,
)
"""[ours] The header of a verify output file."""

VERIFY_OUTPUT: Final[Layout] = attrs.evolve(
    VERIFY,
    kind="output",
    header=VERIFY_OUTPUT_HEADER,
    columns=(
        *VERIFY.columns,
        Column("ReturnCode", "return_code", "return_code", 8, True, "entry", "ours"),
        Column("FailureFlags", "failure_flags", "text", 64, False, "entry", "ours"),
    ),
    min_learners=0,
    check_age=False,
    xml_root="VerifyBatchOutput",
)
"""[ours] The verify output file: the verify columns, ``ReturnCode``, ``FailureFlags``."""

_ANSWERED: Final = frozenset({"WSVRC001", "WSVRC002", "WSVRC003", "WSVRC004"})
"""The codes whose row gives the register's ULN (the master's, for a linked ULN)."""
_CODES: Final = frozenset({*WSVRC_CODES, *WSEC_CODES, *RETURN_CODES})


def header(result: VerifyResult) -> dict[str, str]:
    """The header values of ``result``'s output file."""
    return {
        "FileVersion": VERIFY.version,
        "FileName": result.file_name,
        "UKPRN": result.ukprn,
        "JobStatus": "Completed",
        "StartTime": result.started.isoformat(timespec="seconds"),
        "FinishTime": result.finished.isoformat(timespec="seconds"),
        "TotalLearners": str(result.total),
        **{name: str(n) for name, n in result.counters.items()},
    }


def rows(result: VerifyResult) -> Iterator[list[str]]:
    """Each learner's row: the input cells echoed, its code and flags."""
    from uln.batch._write import _cells

    for r in result.learners:
        entry = r.entry
        if entry is not None and entry.learner is not None:
            row = _cells(VERIFY, entry.learner, entry.mis_identifier)
            if entry.uln is not None:
                row[0] = entry.uln
            if r.uln is not None and r.code in _ANSWERED:
                row[0] = r.uln
        else:
            values = (entry.values if entry is not None else None) or {}
            row = [values.get(name, "") for name in VERIFY.names]
        yield [*row, r.code, " ".join(r.failure_flags)]


def _time(values: Mapping[str, str], name: str) -> _dt.datetime:
    text = values.get(name, "").strip()
    try:
        return _dt.datetime.fromisoformat(text)
    except ValueError:
        raise BatchError(f"{name}: a time is written YYYY-MM-DDTHH:MM:SS") from None


def _result(
    values: Mapping[str, str], fmt: str, learners: list[tuple[int, Mapping[str, str]]]
) -> VerifyResult:
    if values.get("FileVersion", "").strip() != VERIFY.version:
        raise BatchError(f"FileVersion: a verify output file is version {VERIFY.version}")
    found = []
    for index, (line, cells) in enumerate(learners):
        code = cells.get("ReturnCode", "").strip()
        if code not in _CODES:
            raise BatchError(f"line {line}, ReturnCode: not a verify or return code")
        flags = tuple(cells.get("FailureFlags", "").split())
        if any(flag not in VRF_FLAGS for flag in flags):
            raise BatchError(f"line {line}, FailureFlags: not VRF1 .. VRF8")
        echoed = {name: cells.get(name, "") for name in VERIFY.names}
        uln = echoed["ULN"] or None
        entry = Entry(line, None, values=echoed, uln=uln)
        answered = uln if code in _ANSWERED else None
        found.append(VerifyLearnerResult(index, line, code, answered, flags, entry))
    total = values.get("TotalLearners", "").strip()
    if total != str(len(found)):
        raise BatchError(f"TotalLearners: the header says {total}; the file has {len(found)}")
    result = VerifyResult(
        values.get("UKPRN", "").strip(),
        values.get("FileName", "").strip(),
        fmt,
        _time(values, "StartTime"),
        _time(values, "FinishTime"),
        tuple(found),
    )
    for name, n in result.counters.items():
        if values.get(name, "").strip() != str(n):
            raise BatchError(f"{name}: the header disagrees with the rows' codes")
    return result


def parse(source: Source) -> VerifyResult:
    """Read a verify output file written by :func:`uln.batch.write_verify_output`."""
    with Opened(source) as opened:
        first = opened.peek()
        if not first:
            raise BatchError("the file is empty")
        if first.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")[:1] == b"<":
            return _parse_xml(opened)
        return _parse_csv(opened)


def _parse_csv(opened: Opened) -> VerifyResult:
    names = VERIFY_OUTPUT.names
    source = iter(Lines(opened))
    head: list[tuple[int, list[str]]] = []
    for number, text, problem in source:
        if text is None:
            raise BatchError(f"the file cannot be read: {problem}", line=number)
        split = _csvio.split_line(text)
        if not isinstance(split, list):
            raise BatchError(f"the file header cannot be read: {split[0]}", line=number)
        head.append((number, [_csvio.restore(c) for c in split]))
        if len(head) == 3:
            break
    if len(head) < 3 or head[0][1] != list(VERIFY_OUTPUT_HEADER):
        raise BatchError(
            f"the first row must be the verify output headings {','.join(VERIFY_OUTPUT_HEADER)}",
            line=1,
        )
    if head[2][1] != list(names):
        raise BatchError(f"the learner headings must be {','.join(names)}", line=head[2][0])
    values = dict(zip(VERIFY_OUTPUT_HEADER, head[1][1], strict=False))
    learners: list[tuple[int, Mapping[str, str]]] = []
    for number, cells, problem, _column in _csvio.records(source, len(names)):
        if cells is None or len(cells) != len(names):
            raise BatchError(f"the row cannot be read: {problem or 'wrong width'}", line=number)
        learners.append((number, dict(zip(names, cells, strict=True))))
    return _result(values, "CSV", learners)


def _parse_xml(opened: Opened) -> VerifyResult:
    names = frozenset(VERIFY_OUTPUT.names)
    values: dict[str, str] = {}
    learners: list[tuple[int, Mapping[str, str]]] = []
    events = _xmlio.parse(
        Chunks(opened),
        roots=[VERIFY_OUTPUT.xml_root],
        header_fields=VERIFY_OUTPUT_HEADER,
        count_field=XML_COUNT_FIELD,
        learner_fields=names,
    )
    for event in events:
        if isinstance(event, _xmlio.HeaderRecord):
            values = event.values
        elif isinstance(event, _xmlio.LearnerRecord):
            if event.problems:
                raise BatchError("a learner element cannot be read", line=event.line)
            learners.append((event.line, event.values))
        else:
            raise BatchError(event.rule, line=event.line)
    return _result(values, "XML", learners)


# -- checking a verify batch -----------------------------------------------------------


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
    >>> for r in result.learners:
    ...     print(r.code, r.uln == huw.uln, *r.failure_flags)
    WSVRC003 True VRF2 VRF3 VRF4 VRF6 VRF7
    """
    loaded = load(batch, "verify", None)
    refuse_problems(loaded, "verify", allow_small=False)
    header = loaded.header
    assert header.ukprn is not None
    assert header.file_name is not None
    clock = clock_of(now)
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
