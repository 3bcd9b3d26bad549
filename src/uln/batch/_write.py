"""Writing batch files: requests, verify batches and output files."""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import itertools
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Final, TypeAlias

from uln._files import atomic_write
from uln.batch import _csvio, _xmlio
from uln.batch._check import RowChecker
from uln.batch._model import Duplicates, Entry
from uln.batch._result import BatchResult, VerifyResult
from uln.batch._source import Source
from uln.batch.codes import COUNTERS, RETURN_CODES
from uln.batch.spec import (
    FORMATS,
    JOB_STATUSES,
    OUTPUT_LAYOUTS,
    REQUEST_HEADER,
    VERIFY,
    VERSIONS,
    WRITE_DEFAULTS,
    XML_COUNT_FIELD,
    Layout,
    file_name,
    output_file_name,
    parse_file_name,
)
from uln.demographics.dates import format_date
from uln.demographics.email import normalise_email
from uln.errors import BatchError, OutputError, ValidationError
from uln.identifiers import ukprn as _ukprn
from uln.learner import Demographics, Learner

Target: TypeAlias = "str | os.PathLike[str] | IO[bytes]"
"""Where to write: a folder (the file is named by the rule), a file path, or a binary file."""

_XML_INVALID: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SHOWN_PROBLEMS: Final = 5


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int):  # the codes: Gender, VerificationType ...
        return str(int(value))
    if isinstance(value, _dt.date):
        return format_date(value, field="")
    return str(value)  # a Postcode


def _as_learner(record: Learner | Demographics) -> Learner:
    if isinstance(record, Learner):
        return record
    if isinstance(record, Demographics):
        return Learner(demographics=record)
    raise BatchError(
        f"a batch is written from Learner or Demographics records, not {type(record).__name__}"
    )


def _cells(layout: Layout, learner: Learner, mis_identifier: str | None) -> list[str]:
    demographics = learner.demographics
    row = []
    for column in layout.columns:
        owner = demographics if column.owner == "demographics" else learner
        value = getattr(owner, column.attribute, None)
        if column.attribute == "mis_identifier" and mis_identifier is not None:
            value = mis_identifier
        text = _cell(value)
        if not text:
            text = WRITE_DEFAULTS.get(column.name, "")
        row.append(text)
    return row


def _rows(
    layout: Layout,
    records: Sequence[Learner | Demographics],
    mis_identifiers: Sequence[str | None] | None,
    on: _dt.date | None,
) -> list[list[str]]:
    """The rows of ``records``, each checked as the reader will check it on ``on``.

    The checks are the reader's own (:class:`~uln.batch._check.RowChecker`, the age
    rule included), and a learner who repeats an earlier one (the same ULN,
    MISIdentifier, or names, date of birth, gender and postcode) is refused as
    ``uln batch check`` would report it: a written file is one the reader accepts.
    """
    if mis_identifiers is not None and len(mis_identifiers) != len(records):
        raise BatchError(
            f"{len(mis_identifiers)} MIS identifiers were given for {len(records)} learners"
        )
    checker = RowChecker(layout, on=on)
    duplicates = Duplicates()
    rows = []
    bad: list[str] = []
    for i, record in enumerate(records):
        mis = mis_identifiers[i] if mis_identifiers is not None else None
        row = _cells(layout, _as_learner(record), mis)
        entry = checker.check(row, i + 1)
        if entry.problems:
            bad.append(
                f"learner {i + 1}: " + "; ".join(f"{p.field} ({p.rule})" for p in entry.problems)
            )
        else:
            repeats = duplicates.check(entry)
            if repeats:
                bad.append(
                    f"learner {i + 1}: "
                    + "; ".join(
                        f"duplicate {p.field} ({p.rule.replace('line', 'learner')})"
                        for p in repeats
                    )
                )
        rows.append(row)
    if bad:
        shown = bad[:_SHOWN_PROBLEMS]
        more = f"; and {len(bad) - len(shown)} more" if len(bad) > len(shown) else ""
        raise BatchError(
            f"{len(bad)} of {len(records)} learners cannot be written: " + " | ".join(shown) + more
        )
    return rows


def _format_of(target: Target, format: str | None) -> str:
    if format is not None:
        fmt = format.upper()
        if fmt not in FORMATS:
            raise BatchError("a batch file is CSV or XML")
        return fmt
    if isinstance(target, (str, os.PathLike)):
        suffix = Path(target).suffix.upper().lstrip(".")
        if suffix in FORMATS:
            return suffix
    return "CSV"


def _destinations(target: Target, names: Sequence[str]) -> list[tuple[str, Path | IO[bytes]]]:
    """Pair each file name with where it goes; check a given file path obeys the rule."""
    if isinstance(target, (str, os.PathLike)):
        path = Path(target)
        if path.is_dir():
            return [(name, path / name) for name in names]
        if len(names) > 1:
            raise BatchError("give a folder to write a batch split into several files")
        _check_path(path)
        return [(path.name, path)]
    if len(names) > 1:
        raise BatchError("give a folder to write a batch split into several files")
    return [(names[0], target)]


def _check_folder(path: Path) -> None:
    """A path that is neither a folder nor a batch file name is a folder that is missing."""
    if not path.exists() and path.suffix.upper().lstrip(".") not in FORMATS:
        raise OutputError(f"{path.name}: the folder does not exist")
    if not path.parent.is_dir():
        raise OutputError(f"{path.name}: the folder does not exist")


def _check_path(path: Path) -> None:
    """A file path to write must follow the naming rule, in a folder that exists."""
    _check_folder(path)
    try:
        parse_file_name(path.name)
    except ValidationError as exc:
        raise BatchError(f"{exc}; or give a folder and the file is named for you") from None


_FREE_MINUTES: Final = 24 * 60
"""How many minutes after now the default name may move to find names not yet taken."""


def _names(
    target: Target, ukprn: str, fmt: str, when: _dt.datetime | None, count: int
) -> list[str]:
    """The names of ``count`` files made at ``when`` and the following minutes.

    Without ``when`` the names start now, or at the first minute from now at which no
    batch file of this UKPRN (CSV or XML) exists in the target folder: a second batch
    written in the same minute gets the next minute instead of replacing the first.
    """

    def names_at(start: _dt.datetime) -> list[str]:
        return [file_name(ukprn, start + _dt.timedelta(minutes=i), fmt) for i in range(count)]

    if when is not None:
        return names_at(when)
    start = _dt.datetime.now()
    if not isinstance(target, (str, os.PathLike)) or not Path(target).is_dir():
        return names_at(start)
    folder = Path(target)
    for offset in range(_FREE_MINUTES):
        names = names_at(start + _dt.timedelta(minutes=offset))
        if not any(
            (folder / f"{name[:-3]}{other}").exists() for name in names for other in FORMATS
        ):
            return names
    raise OutputError(f"{folder.name or folder}: no free file name in the next day's minutes")


def _header_values(
    layout: Layout, name: str, ukprn: str, contact_email: str | None, count: int
) -> dict[str, str]:
    return {
        "FileVersion": layout.version,
        "FileName": name,
        "UKPRN": ukprn,
        "ContactEmail": contact_email or "",
        XML_COUNT_FIELD: str(count),
    }


def _emit(
    fmt: str,
    layout: Layout,
    header: Mapping[str, str],
    header_names: Sequence[str],
    rows: Iterable[Sequence[str]],
) -> bytes:
    buffer = io.StringIO(newline="")
    if fmt == "CSV":
        _csvio.write_rows(
            buffer, [list(header_names), [header[h] for h in header_names], list(layout.names)]
        )
        _csvio.write_rows(buffer, rows)
    else:
        if layout.kind != "output":
            header_names = (*header_names, XML_COUNT_FIELD)  # only XML states the count
        _write_xml(buffer, layout, header, header_names, rows)
    # Checked rows hold no lone surrogate (the normalisers refuse them); an echoed cell
    # of a bad row might, and is written with "?" for it rather than failing [ours].
    return buffer.getvalue().encode("utf-8", "replace")


def _store(files: Sequence[tuple[Path | IO[bytes], bytes]], *, overwrite: bool) -> None:
    """Write every file or none: each to a temporary file in its folder, then all renamed.

    An existing file is refused before anything is written unless ``overwrite``. If
    anything fails (a full disk, Ctrl-C), the temporary files are removed, and so are
    the new files already renamed into place: no partial set of a split batch is left.

    Raises:
        OutputError: a file exists, the folder is missing or read-only, writing failed.
    """
    paths = [d for d, _ in files if isinstance(d, Path)]
    if not overwrite:
        for path in paths:
            if path.exists():
                raise OutputError(f"{path.name}: the file exists (ask to overwrite it)")
    existed = {path for path in paths if path.exists()}
    try:
        with contextlib.ExitStack() as stack:
            for destination, data in files:
                if isinstance(destination, Path):
                    out = stack.enter_context(atomic_write(destination, overwrite=overwrite))
                    out.write(data)
                else:
                    destination.write(data)
    except BaseException:
        for path in paths:
            if path not in existed:
                with contextlib.suppress(OSError):
                    path.unlink()
        raise


def _write_xml(
    out: io.StringIO,
    layout: Layout,
    header: Mapping[str, str],
    header_names: Sequence[str],
    rows: Iterable[Sequence[str]],
) -> None:
    write = out.write
    write('<?xml version="1.0" encoding="UTF-8"?>\n')
    write(f"<{layout.xml_root}>\n  <{_xmlio.HEADER}>\n")
    for name in header_names:
        value = header.get(name, "")
        if value:
            write(f"    <{name}>{_xml_text(value)}</{name}>\n")
    write(f"  </{_xmlio.HEADER}>\n  <{_xmlio.LEARNERS}>\n")
    names = layout.names
    for row in rows:
        write(f"    <{_xmlio.LEARNER}>")
        for name, value in zip(names, row, strict=True):
            if value:
                write(f"<{name}>{_xml_text(value)}</{name}>")
        write(f"</{_xmlio.LEARNER}>\n")
    write(f"  </{_xmlio.LEARNERS}>\n</{layout.xml_root}>\n")


def _xml_text(value: str) -> str:
    value = _csvio.neutralise(value)
    if _XML_INVALID.search(value):
        # Only echoed cells of bad rows can hold these; XML 1.0 cannot [ours].
        value = _XML_INVALID.sub("\ufffd", value)
    return _xmlio.escape(value)


def _split(n: int, limit: int, split: bool, what: str) -> list[tuple[int, int]]:
    """The ``(start, stop)`` of each file: one, or the fewest of near-equal size."""
    if n <= limit:
        return [(0, n)]
    if not split:
        raise BatchError(
            f"{n} learners are more than the {limit} a {what} batch may hold; "
            "split it into several files (split=True, or --split)"
        )
    parts = math.ceil(n / limit)
    bounds = [round(i * n / parts) for i in range(parts + 1)]
    return list(itertools.pairwise(bounds))


def _check_ukprn(ukprn: str) -> str:
    try:
        return _ukprn.validate(ukprn, allow_test=True)
    except ValidationError as exc:
        raise BatchError(str(exc)) from None


def _write_request(
    layout: Layout,
    learners: Iterable[Learner | Demographics],
    target: Target,
    *,
    ukprn: str,
    mis_identifiers: Sequence[str | None] | None,
    format: str | None,
    when: _dt.datetime | None,
    contact_email: str | None,
    split: bool,
    allow_small: bool,
    on: _dt.date | None,
    overwrite: bool,
) -> list[Path]:
    ukprn = _check_ukprn(ukprn)
    if contact_email is not None:
        try:
            contact_email = normalise_email(contact_email, field="ContactEmail")
        except ValidationError as exc:
            raise BatchError(str(exc)) from None
    records = list(learners)
    if not records:
        raise BatchError("there are no learners to write")
    if len(records) < layout.min_learners and not allow_small:
        raise BatchError(
            f"{len(records)} learners are fewer than the {layout.min_learners} a {layout.kind} "
            "batch holds; allow a small batch to write it anyway (allow_small=True, or "
            "--allow-small)"
        )
    fmt = _format_of(target, format)
    if on is None:
        on = when.date() if when is not None else _dt.date.today()
    rows = _rows(layout, records, mis_identifiers, on)
    parts = _split(len(rows), layout.max_learners, split, layout.kind)
    names = _names(target, ukprn, fmt, when, len(parts))
    files: list[tuple[Path | IO[bytes], bytes]] = []
    written = []
    for (name, destination), (lo, hi) in zip(_destinations(target, names), parts, strict=True):
        header = _header_values(layout, name, ukprn, contact_email, hi - lo)
        files.append((destination, _emit(fmt, layout, header, REQUEST_HEADER, rows[lo:hi])))
        written.append(destination if isinstance(destination, Path) else Path(name))
    _store(files, overwrite=overwrite)
    return written


def write_request(
    learners: Iterable[Learner | Demographics],
    path: Target,
    *,
    ukprn: str,
    version: str = "2A",
    mis_identifiers: Sequence[str | None] | None = None,
    format: str | None = None,
    when: _dt.datetime | None = None,
    contact_email: str | None = None,
    split: bool = False,
    allow_small: bool = False,
    on: _dt.date | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Write a registration batch the LRS accepts; return the files written.

    Each learner is written as the reader will read it and checked first: a learner
    with a missing or bad field stops the whole write with a :class:`BatchError`
    naming the learner's position, the field and the rule. A :class:`Demographics`
    (or a :class:`Learner` without them) is written with ``VerificationType`` 0 and
    ``AbilityToShare`` / ``PrivacyNoticeSeen`` 0, which claim nothing
    (:data:`~uln.batch.spec.WRITE_DEFAULTS`) [ours]. The batch file has no telephone
    column, so ``phone`` is not written.

    Args:
        learners: the learners, in the order they are written.
        path: a folder (the file is named ``LRB_<UKPRN>_<DDMMYYYYHHMM>.CSV``), a file
            path that follows that rule, or a binary file object.
        ukprn: the registering organisation's UKPRN.
        version: ``"2A"`` or ``"3A"``.
        mis_identifiers: the ``MISIdentifier`` of each learner, overriding the
            learner's own.
        format: ``"CSV"`` or ``"XML"``; by default taken from the path, else CSV.
        when: the creation time in the file name (default now); split files take
            the following minutes.
        contact_email: the organisation's contact, written in the header.
        split: write several files of at most 5,000 learners instead of refusing
            more.
        allow_small: write fewer than the 50 learners a batch should hold.
        on: the processing date of the age rule 13..110 (RC013), which the reader
            applies too; default the date of ``when``, else today.
        overwrite: replace existing files. Without it an existing file is never
            replaced: given no ``when``, the name takes the next minute at which no
            batch file of this UKPRN exists in the folder; given a ``when`` or a file
            path that exists, :class:`~uln.errors.OutputError` is raised.

    Every file is written in full or not at all (a temporary file in the same folder,
    renamed when complete); if any file of a split batch cannot be written, none is
    left.

    Returns:
        The paths written (for a file object, just the file name in its header).

    Raises:
        BatchError: a learner cannot be written (a bad or missing field, the age rule,
            a duplicate of an earlier learner), too many or too few learners, a bad
            UKPRN, version or file name.
        OutputError: a file exists, the folder is missing or read-only, the disk is
            full.

    >>> import datetime, tempfile
    >>> from uln.learner import Demographics
    >>> from uln.batch import read
    >>> people = [Demographics.from_raw({"GivenName": "Siân", "FamilyName": "O'Brien",
    ...     "DateOfBirth": datetime.date(2005, 4, 18) - datetime.timedelta(days=i),
    ...     "Gender": "2", "LastKnownPostCode": "cv49ee"}) for i in range(50)]
    >>> folder = tempfile.mkdtemp()
    >>> when = datetime.datetime(2024, 9, 2, 9, 30)
    >>> [path] = write_request(people, folder, ukprn="10000001", when=when)
    >>> path.name
    'LRB_10000001_020920240930.CSV'
    >>> batch = read(path, on=datetime.date(2024, 9, 2))
    >>> batch.learners[0].demographics == people[0], len(batch.learners), batch.errors
    (True, 50, ())

    A file is never replaced unless asked; a second batch the same minute is refused
    when ``when`` is given (without it, the name takes the next free minute):

    >>> write_request(people, folder, ukprn="10000001", when=when)
    Traceback (most recent call last):
        ...
    uln.errors.OutputError: LRB_10000001_020920240930.CSV: the file exists (ask to overwrite it)
    >>> write_request(people[:1] * 50, folder, ukprn="10000001", when=when, overwrite=True)
    Traceback (most recent call last):
        ...
    uln.errors.BatchError: 49 of 50 learners cannot be written: learner 2: duplicate learner ...
    """
    layout = VERSIONS.get(version)
    if layout is None:
        raise BatchError(f"not a registration batch version: use one of {', '.join(VERSIONS)}")
    return _write_request(
        layout,
        learners,
        path,
        ukprn=ukprn,
        mis_identifiers=mis_identifiers,
        format=format,
        when=when,
        contact_email=contact_email,
        split=split,
        allow_small=allow_small,
        on=on,
        overwrite=overwrite,
    )


def write_verify(
    learners: Iterable[Learner],
    path: Target,
    *,
    ukprn: str,
    mis_identifiers: Sequence[str | None] | None = None,
    format: str | None = None,
    when: _dt.datetime | None = None,
    contact_email: str | None = None,
    split: bool = False,
    overwrite: bool = False,
) -> list[Path]:
    """Write a verify batch (ULN, names, date of birth, gender); return the files written.

    Every learner needs a ULN and both names. Arguments as for :func:`write_request`
    (``overwrite`` included); a verify batch holds 1 to 5,000 learners.

    >>> import datetime, io
    >>> from uln.learner import Learner
    >>> learner = Learner.from_raw({"ULN": "3344556680", "GivenName": "Huw",
    ...     "FamilyName": "Pugh", "DateOfBirth": "2005-06-07", "Gender": "1",
    ...     "LastKnownPostCode": "LL57 2DG"})
    >>> out = io.BytesIO()
    >>> write_verify([learner], out, ukprn="10000001", when=datetime.datetime(2024, 9, 2, 9, 30))
    [PosixPath('LRB_10000001_020920240930.CSV')]
    >>> out.getvalue().decode().splitlines()[3]
    '3344556680,,Huw,Pugh,2005-06-07,1'
    """
    return _write_request(
        VERIFY,
        learners,
        path,
        ukprn=ukprn,
        mis_identifiers=mis_identifiers,
        format=format,
        when=when,
        contact_email=contact_email,
        split=split,
        allow_small=False,
        on=None,
        overwrite=overwrite,
    )


def write_output(
    entries: Iterable[Entry] | BatchResult,
    path: Target,
    *,
    ukprn: str | None = None,
    request_name: str | None = None,
    version: str | None = None,
    job_status: str | None = None,
    started: _dt.datetime | None = None,
    finished: _dt.datetime | None = None,
    format: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the output file of a processed registration batch; return its path.

    Every entry is echoed with its ``return_code`` (which each must have): a good
    row from its ``learner`` (with the ULN of the entry, else of the learner), a bad
    row from the cells it was read with. The counters are counted from the codes.

    Given the :class:`~uln.batch.BatchResult` of :func:`uln.batch.process`, the
    UKPRN, request name, version, format, job status and times are the result's
    (an argument given overrides it): ``write_output(result, folder)``. The times
    are those stored with the run, so processing a file again writes the same bytes.

    Args:
        entries: the processed rows, in input order; or a ``BatchResult``.
        path: a folder (the file is named after ``request_name`` with ``_OUTPUT``),
            a file path, or a binary file object.
        ukprn: the organisation the batch came from (required for entries).
        request_name: the name of the request file (written as ``FileName``;
            required for entries).
        version: the request's version (default ``2A``).
        job_status: one of :data:`~uln.batch.spec.JOB_STATUSES` (default
            ``Completed``).
        started: when processing started; finished: when it finished.
        format: ``"CSV"`` or ``"XML"``; by default that of ``request_name``.
        overwrite: replace an existing file (else :class:`~uln.errors.OutputError`).

    Raises:
        BatchError: an entry without a known return code, more entries than the 5,000
            learners a request holds, a bad version or status.
        OutputError: the file exists, the folder is missing or read-only, the disk is
            full; nothing is left behind.

    >>> import io
    >>> from uln.learner import Learner
    >>> learner = Learner.from_raw({"ULN": "3344556680", "GivenName": "Huw",
    ...     "FamilyName": "Pugh", "DateOfBirth": "2005-06-07", "Gender": "1",
    ...     "LastKnownPostCode": "LL57 2DG", "VerificationType": "2", "AbilityToShare": 1})
    >>> out = io.BytesIO()
    >>> write_output([Entry(4, None, learner=learner, return_code="RC002")], out,
    ...              ukprn="10000001", request_name="LRB_10000001_020920240930.CSV")
    PosixPath('LRB_10000001_020920240930_OUTPUT.CSV')
    >>> out.getvalue().decode().splitlines()[1]
    '2A,LRB_10000001_020920240930.CSV,10000001,Completed,,,1,1,0,0,0,0'
    """
    if isinstance(entries, BatchResult):
        result = entries
        entries = result.output_entries()
        ukprn = ukprn if ukprn is not None else result.ukprn
        request_name = request_name if request_name is not None else result.file_name
        version = version if version is not None else result.version
        job_status = job_status if job_status is not None else result.job_status
        started = started if started is not None else result.started
        finished = finished if finished is not None else result.finished
    if ukprn is None or request_name is None:
        raise BatchError("give the UKPRN and the request file's name (ukprn=, request_name=)")
    version = version if version is not None else "2A"
    job_status = job_status if job_status is not None else "Completed"
    layout = OUTPUT_LAYOUTS.get(version)
    if layout is None:
        raise BatchError(f"not a registration batch version: use one of {', '.join(VERSIONS)}")
    if job_status not in JOB_STATUSES:
        raise BatchError(f"the job status is one of {', '.join(JOB_STATUSES)}")
    ukprn = _check_ukprn(ukprn)
    request = parse_file_name(request_name)
    fmt = _format_of(path, format or request.format)
    input_layout = VERSIONS[version]
    rows: list[list[str]] = []
    counters = dict.fromkeys(COUNTERS, 0)
    for i, entry in enumerate(entries):
        code = entry.return_code
        if code is None or code not in RETURN_CODES:
            raise BatchError(f"entry {i + 1} (line {entry.line}) has no known return code")
        counter = RETURN_CODES[code].counter
        if counter is not None:
            counters[counter] += 1
        if entry.learner is not None:
            row = _cells(input_layout, entry.learner, entry.mis_identifier)
            if entry.uln is not None:
                row[0] = entry.uln
        else:
            values = entry.values or {}
            row = [values.get(name, "") for name in input_layout.names]
        rows.append([*row, code])
    if len(rows) > layout.max_learners:
        raise BatchError(
            f"{len(rows)} entries are more than the {layout.max_learners} an output file "
            "holds (one per learner of its request)"
        )
    name = output_file_name(str(request))[:-3] + fmt  # the format written names the file
    header: dict[str, str] = {
        "FileVersion": version,
        "FileName": str(request),
        "UKPRN": ukprn,
        "JobStatus": job_status,
        "StartTime": started.isoformat(timespec="seconds") if started else "",
        "FinishTime": finished.isoformat(timespec="seconds") if finished else "",
        "TotalLearners": str(len(rows)),
        **{k: str(v) for k, v in counters.items()},
    }
    destination = _output_destination(path, name)
    _store([(destination, _emit(fmt, layout, header, layout.header, rows))], overwrite=overwrite)
    return destination if isinstance(destination, Path) else Path(name)


def _output_destination(path: Target, name: str) -> Path | IO[bytes]:
    if isinstance(path, (str, os.PathLike)):
        folder = Path(path)
        destination = folder / name if folder.is_dir() else folder
        if destination != folder / name:
            _check_folder(destination)
        return destination
    return path


def write_verify_output(
    result: VerifyResult,
    path: Target,
    *,
    format: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the output file of a processed verify batch; return its path.

    Each learner of the :class:`~uln.batch.VerifyResult` of
    :func:`uln.batch.process_verify` is echoed with its ``ReturnCode`` (``WSVRC001`` ..)
    and ``FailureFlags`` (``VRF1 VRF5``); a matched learner's ULN is the register's
    (the master's, for a linked ULN). The layout is [ours];
    :func:`read_verify_output` reads it back.

    Args:
        result: what :func:`uln.batch.process_verify` gave.
        path: a folder (the file is named after the request with ``_OUTPUT``), a file
            path, or a binary file object.
        format: ``"CSV"`` or ``"XML"``; by default that of the request.
        overwrite: replace an existing file (else :class:`~uln.errors.OutputError`).

    >>> import datetime, io
    >>> from uln.batch import VerifyLearnerResult, VerifyResult
    >>> when = datetime.datetime(2024, 9, 2, 18, 0)
    >>> result = VerifyResult("10000001", "LRB_10000001_020920240930.CSV", "CSV", when, when,
    ...     (VerifyLearnerResult(0, 4, "WSVRC006"),))
    >>> out = io.BytesIO()
    >>> write_verify_output(result, out).name
    'LRB_10000001_020920240930_OUTPUT.CSV'
    >>> out.getvalue().decode().splitlines()[1]
    'V1,LRB_10000001_020920240930.CSV,10000001,Completed,2024-09-02T18:00:00,2024-09-02T18:00:00,1,0,0,0,1,0'
    >>> read_verify_output(io.BytesIO(out.getvalue())) == result
    True
    """
    from uln.batch import _verify as v

    request = parse_file_name(result.file_name)
    fmt = _format_of(path, format or request.format)
    layout = v.VERIFY_OUTPUT
    name = output_file_name(str(request))[:-3] + fmt  # the format written names the file
    destination = _output_destination(path, name)
    data = _emit(fmt, layout, v.header(result), layout.header, v.rows(result))
    _store([(destination, data)], overwrite=overwrite)
    return destination if isinstance(destination, Path) else Path(name)


def read_verify_output(source: Source) -> VerifyResult:
    """Read a verify output file written by :func:`write_verify_output`.

    The rows come back as :class:`~uln.batch.VerifyLearnerResult` (each echoed row in
    its ``entry.values``) with the codes, ULNs and flags written; ``line`` is the row's
    line in the output file (in CSV, that of the request when it had no blank lines).

    Raises:
        BatchError: not a verify output file, a row or code that cannot be read, or
            counters that disagree with the rows.
    """
    from uln.batch import _verify as v

    return v.parse(source)
