"""LRS batch files: the formats as data, strict streaming readers, safe writers, processing.

An MIS registers learners with the Learning Records Service by sending a batch file
of 50 to 5,000 learners (CSV or XML, versions ``2A`` and ``3A``) and reads back an
output file with a return code per learner. An awarding organisation sends verify
batches. This package reads and writes all three, and runs them against a register:

* :mod:`uln.batch.spec` holds the layouts (columns, header rows, the file-name rule)
  and :mod:`uln.batch.codes` the LRS codes, as data.
* :func:`read`, :func:`read_verify` and :func:`read_output` read a whole file;
  :func:`stream` reads one learner at a time in flat memory. Every problem is
  reported with its field, line and column; a bad row never stops the reading and
  never hides the rows around it. Messages never hold the personal values.
* :func:`write_request`, :func:`write_verify` and :func:`write_output` write files
  the reader accepts, with cells a spreadsheet would run as formulas neutralised.
* :func:`process` runs a registration batch against a register
  (:func:`uln.register.open`), once and resumably, giving a :class:`BatchResult`
  that :func:`write_output` writes; :func:`process_verify` answers a verify batch
  (:func:`write_verify_output`); :func:`exceptions` and :func:`resolve` work through
  the learners a person must decide.

>>> import datetime, io
>>> from uln.batch import read, write_request
>>> from uln.learner import Demographics
>>> born = datetime.date(2005, 4, 18)
>>> people = [Demographics.from_raw({"GivenName": "Siân", "FamilyName": "O'Brien",
...     "DateOfBirth": born - datetime.timedelta(days=i), "Gender": "2",
...     "LastKnownPostCode": "cv49ee"}) for i in range(50)]  # 50 different learners
>>> out = io.BytesIO()
>>> _ = write_request(people, out, ukprn="10000001", when=datetime.datetime(2024, 9, 2, 9, 30))
>>> batch = read(io.BytesIO(out.getvalue()), on=datetime.date(2024, 9, 2))
>>> batch.version, len(batch.good), batch.errors
('2A', 50, ())
>>> bad = out.getvalue().replace(b"2005-04-18", b"18/04/2005", 1)
>>> entry = read(io.BytesIO(bad), on=datetime.date(2024, 9, 2)).learners[0]
>>> entry.code, [str(p) for p in entry.problems]
('RC011', ['line 4, column 17, DateOfBirth: a date in a batch file is written YYYY-MM-DD'])
"""

from __future__ import annotations

import datetime as _dt

from uln.batch import codes, spec
from uln.batch._model import Batch, Entry, Header, OutputBatch, OutputHeader
from uln.batch._process import batch_key, process
from uln.batch._read import BatchReader
from uln.batch._resolve import exceptions, resolve
from uln.batch._result import (
    VERIFY_COUNTERS,
    BatchResult,
    LearnerResult,
    Resolution,
    VerifyLearnerResult,
    VerifyResult,
)
from uln.batch._source import Source
from uln.batch._verify import process_verify
from uln.batch._write import (
    Target,
    read_verify_output,
    write_output,
    write_request,
    write_verify,
    write_verify_output,
)
from uln.batch.spec import Kind

__all__ = [
    "VERIFY_COUNTERS",
    "Batch",
    "BatchReader",
    "BatchResult",
    "Entry",
    "Header",
    "LearnerResult",
    "OutputBatch",
    "OutputHeader",
    "Resolution",
    "Source",
    "Target",
    "VerifyLearnerResult",
    "VerifyResult",
    "batch_key",
    "codes",
    "exceptions",
    "process",
    "process_verify",
    "read",
    "read_output",
    "read_verify",
    "read_verify_output",
    "resolve",
    "spec",
    "stream",
    "write_output",
    "write_request",
    "write_verify",
    "write_verify_output",
]


def stream(
    source: Source,
    *,
    kind: Kind | None = "registration",
    on: _dt.date | None = None,
    lenient: bool = False,
) -> BatchReader:
    """Open a batch file for reading one learner at a time, in flat memory.

    Unlike :func:`read`, nothing is held but the entry being read: a file of any
    length is checked in a few MB.

    The header is read at once (a file that cannot be read as a batch raises
    :class:`~uln.errors.BatchError` here); iterating the reader yields each
    :class:`Entry`, and ``reader.errors`` gains the file-level problems (the learner
    count is checked when the iteration ends).

    Args:
        source: a path, or a file object (binary is best: the encoding is detected).
        kind: ``"registration"``, ``"verify"`` or ``"output"``; ``None`` to tell
            from the file (its header row or XML element, then its ``FileVersion``).
        on: the processing date for the age rule 13..110 (RC013); default today.
        lenient: also accept the forms an MIS types (``DD/MM/YYYY`` dates, ``M``/``F``).

    Raises:
        BatchError: the file is empty, not a batch of this kind, of an unknown
            version, has wrong column headings, or (XML) is not well formed or holds a
            DOCTYPE or entity declaration.

    >>> import io
    >>> data = (b"FileVersion,FileName,UKPRN,ContactEmail\\r\\n"
    ...         b"V1,LRB_10000001_020920240930.CSV,10000001,\\r\\n"
    ...         b"ULN,MISIdentifier,GivenName,FamilyName,DateOfBirth,Gender\\r\\n"
    ...         b"3344556680,A1,Huw,Pugh,2005-06-07,1\\r\\n"
    ...         b"3344556681,A2,Huw,Pugh,,\\r\\n")
    >>> with stream(io.BytesIO(data), kind="verify") as reader:
    ...     print(reader.header.version, [(e.line, e.code) for e in reader])
    V1 [(4, None), (5, 'RC011')]
    """
    when = on if on is not None else _dt.date.today()
    return BatchReader(source, kind=kind, on=when, lenient=lenient)


def _read(source: Source, kind: Kind, on: _dt.date | None) -> tuple[BatchReader, tuple[Entry, ...]]:
    with stream(source, kind=kind, on=on) as reader:
        learners = tuple(reader)
    return reader, learners


def read(source: Source, *, on: _dt.date | None = None) -> Batch:
    """Read and check a whole registration batch (versions 2A and 3A, CSV or XML).

    The :class:`Batch` holds every entry in memory (about 1.5 kB a learner; a legal
    batch of 5,000 learners takes a few MB). To check a file of any size in flat
    memory, iterate :func:`stream` instead, as ``uln batch check`` does.

    Args:
        source: a path, or a file object.
        on: the processing date for the age rule (RC013); default today.

    Returns:
        The :class:`Batch`: header, every learner row with its code and problems,
        and the file-level errors (file name, header values, learner count).

    Raises:
        BatchError: the file cannot be read as a registration batch at all.

    >>> import io
    >>> read(io.BytesIO(b"hello"))
    Traceback (most recent call last):
        ...
    uln.errors.BatchError: line 1: the first row must be the file header headings FileVersion,...
    """
    reader, learners = _read(source, "registration", on)
    return _batch(reader, learners)


def read_verify(source: Source) -> Batch:
    """Read and check a whole verify batch (ULN, names, date of birth, gender).

    Holds every entry in memory, as :func:`read` does; :func:`stream` does not.

    Raises:
        BatchError: the file cannot be read as a verify batch.

    >>> import io
    >>> data = (b"FileVersion,FileName,UKPRN,ContactEmail\\n"
    ...         b"V1,LRB_10000001_020920240930.CSV,10000001,\\n"
    ...         b"ULN,MISIdentifier,GivenName,FamilyName,DateOfBirth,Gender\\n"
    ...         b",A1,Huw,Pugh,2005-06-07,1\\n")
    >>> for entry in read_verify(io.BytesIO(data)).learners:
    ...     print(entry.line, entry.code, *entry.problems)
    4 RC006 line 4, column 1, ULN: a value is required
    """
    reader, learners = _read(source, "verify", None)
    return _batch(reader, learners)


def read_output(source: Source) -> OutputBatch:
    """Read an output file: the echoed learners with their return codes, and the counters.

    Holds every entry in memory, as :func:`read` does; :func:`stream` does not. An
    output file of more than 5,000 learners (one per learner of its request) is
    reported in ``errors``.

    Counters or a total that disagree with the rows are reported in ``errors``.

    Raises:
        BatchError: the file cannot be read as an output file.

    >>> import io
    >>> from uln.learner import Learner
    >>> learner = Learner.from_raw({"ULN": "3344556680", "GivenName": "Huw",
    ...     "FamilyName": "Pugh", "DateOfBirth": "2005-06-07", "Gender": "1",
    ...     "LastKnownPostCode": "LL57 2DG", "VerificationType": "2", "AbilityToShare": 1})
    >>> out = io.BytesIO()
    >>> _ = write_output([Entry(4, None, learner=learner, return_code="RC001")], out,
    ...                  ukprn="10000001", request_name="LRB_10000001_020920240930.CSV")
    >>> result = read_output(io.BytesIO(out.getvalue()))
    >>> result.return_codes, dict(result.header.counters)["ExistsUpdatedLearners"]
    (Counter({'RC001': 1}), 1)
    """
    reader, learners = _read(source, "output", None)
    header = reader.header
    assert isinstance(header, OutputHeader)
    return OutputBatch(
        header, learners, tuple(reader.errors), reader.format, reader.encoding, reader.layout
    )


def _batch(reader: BatchReader, learners: tuple[Entry, ...]) -> Batch:
    header = reader.header
    assert isinstance(header, Header)
    return Batch(
        header, learners, tuple(reader.errors), reader.format, reader.encoding, reader.layout
    )
