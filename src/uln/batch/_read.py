"""Reading batch files: the streaming reader and the functions built on it."""

from __future__ import annotations

import datetime as _dt
import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import chain
from typing import Final, TypeAlias

from uln.batch import _csvio, _xmlio
from uln.batch._check import RowChecker
from uln.batch._model import Entry, Header, OutputHeader
from uln.batch._source import Chunks, Lines, Opened, Source, encoding_name
from uln.batch.codes import COUNTERS, RETURN_CODES
from uln.batch.spec import (
    JOB_STATUSES,
    LAYOUTS,
    OUTPUT_HEADER,
    REQUEST_HEADER,
    XML_COUNT_FIELD,
    Kind,
    Layout,
    layout_for,
    parse_file_name,
)
from uln.demographics.email import normalise_email
from uln.errors import BatchError, InvalidFormat, MissingValue, Problem, ValidationError
from uln.identifiers import ukprn as _ukprn

_FUNCTIONS: Final[Mapping[Kind, str]] = {
    "registration": "uln.batch.read",
    "verify": "uln.batch.read_verify",
    "output": "uln.batch.read_output",
}
_ROOTS: Final[Mapping[str, Kind]] = {layout.xml_root: kind for (kind, _), layout in LAYOUTS.items()}
"""The XML document element of each kind of file."""
_LEARNER_FIELDS: Final = frozenset(name for layout in LAYOUTS.values() for name in layout.names)
"""Every column name of every layout: the field elements the XML reader reads directly."""


def _blank(text: str) -> bool:
    """A line of nothing but separators and spaces (spreadsheets write them) [ours]."""
    return not text.strip(_csvio.BLANK)


class BatchReader:
    """A batch file opened for reading, one learner at a time.

    The header is read when the reader is made; iterating yields one
    :class:`~uln.batch.Entry` per learner row, holding nothing else in memory.
    :attr:`errors` gains the file-level problems found on the way (the learner
    count is checked when the iteration ends). Use it as a context manager, or
    call :meth:`close`, to close a file it opened.

    Built by :func:`uln.batch.stream`.
    """

    def __init__(
        self,
        source: Source,
        *,
        kind: Kind | None,
        on: _dt.date | None,
        lenient: bool = False,
    ) -> None:
        self.kind: Kind | None = kind
        self.errors: list[Problem] = []
        self.count = 0
        self._opened = Opened(source)
        self._on = on
        self._lenient = lenient
        self._done = False
        try:
            first = self._opened.peek()
            self.format = (
                "XML" if first.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")[:1] == b"<" else "CSV"
            )
            if not first:
                raise BatchError("the file is empty")
            if self.format == "CSV":
                self._entries = self._csv()
            else:
                self._entries = self._xml()
            # Run the generator up to its first yield: the header is then read.
            self._first: Entry | None = next(self._entries, None)
        except BaseException:
            self.close()
            raise
        self._check_name()

    # -- public ---------------------------------------------------------------------------

    header: Header | OutputHeader
    layout: Layout
    format: str

    @property
    def encoding(self) -> str:
        """The text encoding of the file, as far as it has been read."""
        codec = self._text.encoding if hasattr(self, "_text") else None
        return encoding_name(codec) if codec else "ASCII"

    def __iter__(self) -> Iterator[Entry]:
        if self._done:
            return
        self._done = True
        tally: Counter[str] | None = Counter() if self.kind == "output" else None
        first, self._first = self._first, None
        entries = self._entries if first is None else chain((first,), self._entries)
        try:
            for entry in entries:
                self.count += 1
                if tally is not None and entry.return_code is not None:
                    tally[entry.return_code] += 1
                yield entry
        finally:
            self.close()
        self._check_count(tally)

    def close(self) -> None:
        """Close the file if the reader opened it."""
        self._opened.__exit__()

    def __enter__(self) -> BatchReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- CSV --------------------------------------------------------------------------

    def _csv(self) -> Iterator[Entry]:
        lines = Lines(self._opened)
        self._text: Lines | Chunks = lines
        source = iter(lines)
        head: list[tuple[int, list[str]]] = []
        for number, text, problem in source:
            if text is None:
                raise BatchError(f"the file header cannot be read: {problem}", line=number)
            if _blank(text):
                continue
            split = _csvio.split_line(text)
            if not isinstance(split, list):
                raise BatchError(f"the file header cannot be read: {split[0]}", line=number)
            head.append((number, [_csvio.restore(c).strip() for c in _trim(split)]))
            if len(head) == 3:
                break
        if not head:
            raise BatchError("the file is empty")
        (line1, headings) = head[0]
        self._expect_header(headings, line1)
        if len(head) < 2:
            raise BatchError("the file header has no values", line=line1 + 1)
        line2, values = head[1]
        if len(values) > len(headings):
            raise BatchError(
                f"the file header has {len(values)} values for {len(headings)} headings",
                line=line2,
            )
        values += [""] * (len(headings) - len(values))
        columns = {name: i + 1 for i, name in enumerate(headings)}
        self._read_header(dict(zip(headings, values, strict=True)), line2, columns)
        if len(head) < 3:
            raise BatchError("the learner column headings are missing", line=line2 + 1)
        line3, names = head[2]
        self._expect_columns(names, line3)
        checker = RowChecker(self.layout, on=self._on, lenient=self._lenient)
        width = checker.width
        check = checker.check
        for number, cells, problem, column in _csvio.records(source, width):
            if cells is None:
                yield checker.row_problem(problem or "the line cannot be read", number, column)
                continue
            if len(cells) != width:
                if len(cells) < width or not _blank(",".join(cells[width:])):
                    yield checker.row_problem(
                        f"the row has {len(cells)} cells; version {self.layout.version} has "
                        f"{width} columns",
                        number,
                    )
                    continue
                # Empty cells after the last column: a spreadsheet padded the row [ours].
                cells = cells[:width]
            yield check(cells, number)

    def _expect_header(self, headings: Sequence[str], line: int) -> None:
        found = list(headings)
        if self.kind is None:
            if found == list(OUTPUT_HEADER):
                self.kind = "output"
                return
            if found == list(REQUEST_HEADER):
                return
        expected = OUTPUT_HEADER if self.kind == "output" else REQUEST_HEADER
        if found == list(expected):
            return
        other = REQUEST_HEADER if self.kind == "output" else OUTPUT_HEADER
        if found == list(other):
            kind = "an output file" if self.kind != "output" else "a request file"
            function = _FUNCTIONS["output" if self.kind != "output" else "registration"]
            raise BatchError(f"this is {kind}; read it with {function}", line=line)
        raise BatchError(
            f"the first row must be the file header headings {','.join(expected)}", line=line
        )

    def _expect_columns(self, names: Sequence[str], line: int) -> None:
        expected = list(self.layout.names)
        if list(names) == expected:
            return
        for (kind, version), layout in LAYOUTS.items():
            if kind == self.kind and list(layout.names) == list(names):
                raise BatchError(
                    f"the column headings are those of version {version}, but the header "
                    f"says {self.layout.version}",
                    line=line,
                )
        for i, name in enumerate(expected):
            if i >= len(names) or names[i] != name:
                raise BatchError(
                    f"column {i + 1}: the heading must be {name} (version "
                    f"{self.layout.version} has {len(expected)} columns, case-sensitive)",
                    line=line,
                )
        raise BatchError(
            f"version {self.layout.version} has {len(expected)} columns; the headings "
            f"row has {len(names)}",
            line=line,
        )

    # -- XML --------------------------------------------------------------------------

    def _xml(self) -> Iterator[Entry]:
        chunks = Chunks(self._opened)
        self._text = chunks
        roots = [root for root, kind in _ROOTS.items() if self.kind in (None, kind)]
        header_fields = tuple(dict.fromkeys((*REQUEST_HEADER, *OUTPUT_HEADER)))
        events = _xmlio.parse(
            chunks,
            roots=roots,
            header_fields=header_fields,
            count_field=XML_COUNT_FIELD,
            learner_fields=_LEARNER_FIELDS,
        )
        checker: RowChecker | None = None
        try:
            for event in events:
                if type(event) is _xmlio.LearnerRecord and checker is not None:
                    yield checker.check_fields(
                        event.fields, event.texts, event.line, event.position, event.problems
                    )
                elif isinstance(event, _xmlio.FileProblem):
                    self._file_problem("file", event.rule, event.line)
                elif isinstance(event, _xmlio.HeaderRecord):
                    self._kind_of_root(event.root)
                    expected = OUTPUT_HEADER if self.kind == "output" else REQUEST_HEADER
                    known = {*expected, *(() if self.kind == "output" else (XML_COUNT_FIELD,))}
                    for name in event.values:
                        if name not in known:
                            self._file_problem(
                                name, "not a header field of this kind of file", event.line
                            )
                    for field, rule, line, column in event.problems:
                        self.errors.append(Problem(field, rule, "InvalidFormat", line, column))
                    self._read_header(event.values, event.line, None)
                    checker = RowChecker(self.layout, on=self._on, lenient=self._lenient)
                else:
                    if checker is None:  # pragma: no cover - the parser ensures the order
                        raise BatchError("a learner before the header", line=event.line)
                    yield checker.check_fields(
                        event.fields, event.texts, event.line, event.position, event.problems
                    )
        except BatchError as exc:
            if exc.reason.startswith("the document element") and exc.line is not None:
                raise self._wrong_root(exc) from None
            raise
        if checker is None:
            raise BatchError(f"the file has no {_xmlio.HEADER} element")

    def _kind_of_root(self, root: str) -> None:
        kind = _ROOTS[root]
        if self.kind is None and kind == "output":
            self.kind = "output"
        # A request root leaves registration and verify to the FileVersion.

    def _wrong_root(self, exc: BatchError) -> BatchError:
        return BatchError(
            f"{exc.reason}; another kind of batch file is read with the matching function "
            f"({', '.join(f'{r}: {_FUNCTIONS[k]}' for r, k in _ROOTS.items())})",
            line=exc.line,
        )

    # -- the header -------------------------------------------------------------------

    def _read_header(
        self, values: Mapping[str, str], line: int, columns: Mapping[str, int] | None
    ) -> None:
        def problem(field: str, error: ValidationError) -> None:
            column = columns.get(field) if columns is not None else None
            self.errors.append(Problem.from_error(error.at(field=field, line=line, column=column)))

        version = values.get("FileVersion", "").strip()
        if not version:
            raise BatchError("the file header has no FileVersion", line=line)
        if self.kind is None:
            kinds = [k for (k, v) in LAYOUTS if v == version and k != "output"]
            self.kind = kinds[0] if kinds else "registration"
        kind = self.kind
        try:
            self.layout = layout_for(kind, version)
        except ValidationError:
            others = [k for (k, v) in LAYOUTS if v == version and k != kind]
            if others:
                raise BatchError(
                    f"FileVersion {version} is a {others[0]} batch; read it with "
                    f"{_FUNCTIONS[others[0]]}",
                    line=line,
                ) from None
            known = ", ".join(v for k, v in LAYOUTS if k == kind)
            raise BatchError(
                f"FileVersion: not a known {kind} batch version ({known})", line=line
            ) from None
        file_name = values.get("FileName", "").strip() or None
        if file_name is None:
            problem("FileName", MissingValue("the header names no file"))
        else:
            try:
                parsed = parse_file_name(file_name)
            except ValidationError as exc:
                problem("FileName", exc)
            else:
                if parsed.ukprn != values.get("UKPRN", "").strip():
                    problem("FileName", InvalidFormat("the UKPRN in the file name differs"))
        ukprn = values.get("UKPRN", "").strip() or None
        if ukprn is None:
            problem("UKPRN", MissingValue("the header has no UKPRN"))
        else:
            try:
                ukprn = _ukprn.validate(ukprn, allow_test=True)
            except ValidationError as exc:
                problem("UKPRN", exc)
        if kind == "output":
            self.header = self._output_header(values, version, file_name, ukprn, problem)
            return
        email = values.get("ContactEmail", "").strip() or None
        if email is not None:
            try:
                email = normalise_email(email, field="ContactEmail")
            except ValidationError as exc:
                problem("ContactEmail", exc)
        count = _integer(values.get(XML_COUNT_FIELD), XML_COUNT_FIELD, problem)
        self.header = Header(version, file_name, ukprn, email, count)

    def _output_header(
        self,
        values: Mapping[str, str],
        version: str,
        file_name: str | None,
        ukprn: str | None,
        problem: _Reporter,
    ) -> OutputHeader:
        status = values.get("JobStatus", "").strip() or None
        if status is not None and status not in JOB_STATUSES:
            problem(
                "JobStatus", InvalidFormat(f"the job status is one of {', '.join(JOB_STATUSES)}")
            )
        times: list[_dt.datetime | None] = []
        for name in ("StartTime", "FinishTime"):
            text = values.get(name, "").strip()
            try:
                times.append(_dt.datetime.fromisoformat(text) if text else None)
            except ValueError:
                problem(name, InvalidFormat("a time is written YYYY-MM-DDTHH:MM:SS"))
                times.append(None)
        total = _integer(values.get("TotalLearners"), "TotalLearners", problem)
        counters: dict[str, int] = {}
        for name in COUNTERS:
            n = _integer(values.get(name), name, problem)
            if n is not None:
                counters[name] = n
        return OutputHeader(version, file_name, ukprn, status, times[0], times[1], total, counters)

    # -- after the learners -----------------------------------------------------------

    def _check_name(self) -> None:
        name = self._opened.name
        if name is None:
            return
        base = os.path.basename(name)
        try:
            parsed = parse_file_name(base)
        except ValidationError as exc:
            self.errors.append(Problem.from_error(exc.at(field="FileName")))
            return
        if parsed.format != self.format:
            self._file_problem(
                "FileName", f"the file is {self.format} but its name says {parsed.format}"
            )
        expected = self.header.file_name
        if expected is not None and self.kind != "output" and base != expected:
            self._file_problem("FileName", "the file's name differs from the header's FileName")

    def _check_count(self, tally: Counter[str] | None) -> None:
        layout = self.layout
        n = self.count
        header = self.header
        if isinstance(header, OutputHeader):
            if n > layout.max_learners:
                self._file_problem(
                    "Learners",
                    f"the file has {n} learners; an output file has at most "
                    f"{layout.max_learners}, one per learner of its request",
                )
            if header.total is not None and header.total != n:
                self._file_problem(
                    "TotalLearners", f"the header says {header.total}; the file has {n}"
                )
            counted = dict.fromkeys(COUNTERS, 0)
            for code, k in (tally or {}).items():
                counter = RETURN_CODES[code].counter
                if counter is not None:
                    counted[counter] += k
            for name, stated in header.counters.items():
                if counted[name] != stated:
                    self._file_problem(
                        name,
                        f"the header says {stated}; the return codes of the rows give "
                        f"{counted[name]}",
                    )
            return
        if not layout.min_learners <= n <= layout.max_learners:
            self._file_problem(
                "Learners",
                f"the file has {n} learners; a {layout.kind} batch has "
                f"{layout.min_learners} to {layout.max_learners}",
            )
        if header.learner_count is not None and header.learner_count != n:
            self._file_problem(
                XML_COUNT_FIELD, f"the header says {header.learner_count}; the file has {n}"
            )

    def _file_problem(self, field: str, rule: str, line: int | None = None) -> None:
        self.errors.append(Problem(field, rule, "InvalidFormat", line))


_Reporter: TypeAlias = Callable[[str, ValidationError], None]


def _integer(text: str | None, field: str, problem: _Reporter) -> int | None:
    if text is None or not text.strip():
        return None
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        problem(field, InvalidFormat("a count is a whole number"))
        return None
    return int(value)


def _trim(cells: list[str]) -> list[str]:
    """Drop empty cells at the end of a header row (spreadsheets pad rows) [ours]."""
    while cells and not cells[-1].strip():
        cells.pop()
    return cells
