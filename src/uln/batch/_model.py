"""The records a batch file is read into: headers, entries and batches."""

from __future__ import annotations

import datetime as _dt
import functools
from collections import Counter
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final, Protocol

import attrs

from uln.batch.codes import EXCEPTION_CODES, RETURN_CODES
from uln.batch.spec import Layout
from uln.demographics.names import name_key
from uln.errors import Problem
from uln.learner import Demographics, Learner

__all__ = ["Batch", "Duplicates", "Entry", "Header", "OutputBatch", "OutputHeader"]


def _hidden(value: object) -> str:
    return "None" if value is None else "'...'"


@attrs.frozen
class Header:
    """The file header of a registration or verify batch.

    ``learner_count`` is the count an XML file states (``None`` in CSV, which states
    none). Values the header did not hold are ``None``. ``repr()`` hides the contact
    email (personal data):

    >>> Header("2A", contact_email="jo.bloggs@example.ac.uk")
    Header(version='2A', file_name=None, ukprn=None, contact_email='...', learner_count=None)
    """

    version: str
    file_name: str | None = None
    ukprn: str | None = None
    contact_email: str | None = attrs.field(default=None, repr=_hidden)
    learner_count: int | None = None


def _read_only(counters: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(counters))


@attrs.frozen
class OutputHeader:
    """The file header of an output file: job status, times and counters."""

    version: str
    file_name: str | None = None
    ukprn: str | None = None
    job_status: str | None = None
    started: _dt.datetime | None = None
    finished: _dt.datetime | None = None
    total: int | None = None
    counters: Mapping[str, int] = attrs.field(factory=dict, converter=_read_only)


@attrs.frozen(eq=False)
class Entry:
    """One learner row of a batch file, checked.

    Attributes:
        line: the line the row starts on (CSV) or its ``Learner`` element's line (XML).
        code: the return code a register would give the row for its format (RC006,
            RC011, RC012 or RC013), or ``None`` when the row is good. Always ``None``
            in an output file, whose rows carry ``return_code`` instead.
        problems: every problem found, each naming its field, line and column.
        learner: the learner read from a good row, else ``None``.
        mis_identifier: the row's ``MISIdentifier`` when it is valid.
        uln: the row's ``ULN`` when it is present and valid.
        return_code: the ``ReturnCode`` an output file gives the learner.
        values: the cells of a row that has problems, by column name, so that an
            output file can echo them. Hidden from ``repr()``: they are personal data.

    A reader builds the :class:`~uln.learner.Learner` of a good row only when
    :attr:`learner` is first asked for: checking a row does not need the record,
    and building it costs as much as the check.

    >>> Entry(7, "RC011", (Problem("Gender", "not a code", line=7, column=20),))
    Entry(line=7, code='RC011', problems=(Problem(field='Gender', rule='not a code', \
kind='ValidationError', line=7, column=20),), mis_identifier=None, uln=None, return_code=None)
    """

    line: int
    code: str | None
    problems: tuple[Problem, ...] = ()
    _learner: Learner | None = attrs.field(default=None, alias="learner", repr=False)
    mis_identifier: str | None = None
    uln: str | None = None
    return_code: str | None = None
    values: Mapping[str, str] | None = attrs.field(default=None, repr=False)
    _checked: tuple[_Builder, tuple[Any, ...]] | None = attrs.field(
        default=None, kw_only=True, alias="checked", repr=False
    )
    """The checked values of a good row, and what builds a learner from them."""

    @functools.cached_property
    def learner(self) -> Learner | None:
        """The learner read from a good row, else ``None``."""
        if self._learner is not None or self._checked is None:
            return self._learner
        plan, values = self._checked
        return plan.build(values)

    @property
    def demographics(self) -> Demographics | None:
        """The learner's :class:`~uln.learner.Demographics`, for a good row."""
        learner = self.learner
        return learner.demographics if learner is not None else None

    @property
    def ok(self) -> bool:
        """Whether the row has no problems."""
        return not self.problems

    @property
    def is_exception(self) -> bool:
        """Whether the row's return code is one a person resolves (RC006..RC013)."""
        return (self.return_code or self.code) in EXCEPTION_CODES

    def _key(self) -> tuple[object, ...]:
        return (
            self.line,
            self.code,
            self.problems,
            self.learner,
            self.mis_identifier,
            self.uln,
            self.return_code,
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Entry)
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]


def _slot_setters() -> tuple[Callable[[Entry, Any], None], ...]:
    names = [a.name for a in attrs.fields(Entry)]
    expected = [
        "line",
        "code",
        "problems",
        "_learner",
        "mis_identifier",
        "uln",
        "return_code",
        "values",
        "_checked",
    ]
    if names != expected:  # pragma: no cover - guards good_entry against a new field
        raise AssertionError(f"Entry's fields changed: {names}")
    return tuple(vars(Entry)[name].__set__ for name in names)


_SETTERS: Final = _slot_setters()


def good_entry(
    line: int,
    mis_identifier: str | None,
    uln: str | None,
    return_code: str | None,
    checked: tuple[_Builder, tuple[Any, ...]],
) -> Entry:
    """``Entry(line, None, (), None, mis_identifier, uln, return_code, checked=checked)``
    for a good row, made without the frozen class's ``__init__`` (a third of its cost)."""
    entry: Entry = object.__new__(Entry)
    s_line, s_code, s_problems, s_learner, s_mis, s_uln, s_return, s_values, s_checked = _SETTERS
    s_line(entry, line)
    s_code(entry, None)
    s_problems(entry, ())
    s_learner(entry, None)
    s_mis(entry, mis_identifier)
    s_uln(entry, uln)
    s_return(entry, return_code)
    s_values(entry, None)
    s_checked(entry, checked)
    return entry


class _Builder(Protocol):
    def build(self, values: tuple[Any, ...], /) -> Learner: ...


_SAME_LEARNER = "the same names, date of birth, gender and postcode"


def _count(entries: tuple[Entry, ...], attribute: str) -> Counter[str]:
    return Counter(code for e in entries if (code := getattr(e, attribute)) is not None)


@attrs.frozen
class Batch:
    """A registration or verify batch, read and checked.

    Attributes:
        header: the file header.
        learners: every learner row in file order, good or not.
        errors: problems of the file as a whole (its name, header, learner count);
            reading carries on past them.
        format: ``"CSV"`` or ``"XML"``.
        encoding: the text encoding found (``"UTF-8"``, ``"Windows-1252"``).
        layout: the :class:`~uln.batch.spec.Layout` of its version.
    """

    header: Header
    learners: tuple[Entry, ...]
    errors: tuple[Problem, ...]
    format: str
    encoding: str
    layout: Layout = attrs.field(repr=False)

    @property
    def version(self) -> str:
        """The file version (``2A``, ``3A``, ``V1``)."""
        return self.header.version

    @property
    def good(self) -> tuple[Entry, ...]:
        """The rows without problems."""
        return tuple(e for e in self.learners if e.ok)

    @property
    def codes(self) -> Counter[str]:
        """How many rows get each return code for their format.

        >>> from uln.batch.spec import VERSIONS
        >>> Batch(Header("2A"), (Entry(4, "RC011"), Entry(5, None)), (), "CSV", "UTF-8",
        ...       VERSIONS["2A"]).codes
        Counter({'RC011': 1})
        """
        return _count(self.learners, "code")

    @property
    def ok(self) -> bool:
        """Whether the file and every row are free of problems (duplicates aside)."""
        return not self.errors and all(e.ok for e in self.learners)

    @property
    def duplicates(self) -> tuple[Problem, ...]:
        """Rows that repeat an earlier row's ULN, MISIdentifier or learner.

        The same learner means the same name keys
        (:func:`~uln.demographics.names.name_key`), date of birth, gender and postcode;
        near misses (typos) are the matcher's business. Each problem names the later
        row's line and, in its rule, the earlier one's.

        >>> from uln.batch.spec import VERSIONS
        >>> rows = (Entry(4, None, mis_identifier="A1"), Entry(5, "RC011", mis_identifier="A1"))
        >>> for problem in Batch(Header("2A"), rows, (), "CSV", "UTF-8", VERSIONS["2A"]).duplicates:
        ...     print(problem)
        line 5, MISIdentifier: the same MISIdentifier as line 4
        """
        finder = Duplicates()
        found: list[Problem] = []
        for e in self.learners:
            found.extend(finder.check(e))
        return tuple(found)


class Duplicates:
    """Finds rows that repeat an earlier row's ULN, MISIdentifier or learner, row by row.

    The same learner means the same name keys
    (:func:`~uln.demographics.names.name_key`), date of birth, gender and postcode.
    The reader's :attr:`Batch.duplicates` and the writers use this one rule.
    ``compact=True`` keeps only a hash of each row's keys, for files of any length
    (a false duplicate then needs two 64-bit hashes to collide).

    >>> finder = Duplicates()
    >>> finder.check(Entry(4, None, mis_identifier="A1"))
    ()
    >>> for problem in finder.check(Entry(9, None, mis_identifier="A1")):
    ...     print(problem)
    line 9, MISIdentifier: the same MISIdentifier as line 4
    """

    __slots__ = ("_compact", "_seen")

    def __init__(self, *, compact: bool = False) -> None:
        self._seen: dict[object, int] = {}
        self._compact = compact
        """Remember a 64-bit hash of each key rather than the key (for long files)."""

    def check(self, entry: Entry) -> tuple[Problem, ...]:
        """The problems of ``entry`` as a repeat of an earlier entry (and remember it)."""
        found: list[Problem] = []
        line = entry.line
        seen = self._seen

        compact = self._compact

        def once(key: tuple[object, ...], field: str, rule: str) -> None:
            first = seen.setdefault(hash(key) if compact else key, line)
            if first != line:
                found.append(Problem(field, f"{rule} as line {first}", "Duplicate", line))

        if entry.uln is not None:
            once(("ULN", entry.uln), "ULN", "the same ULN")
        if entry.mis_identifier is not None:
            once(("MIS", entry.mis_identifier), "MISIdentifier", "the same MISIdentifier")
        d = entry.demographics
        if d is not None:
            key = (
                name_key(d.given_name),
                name_key(d.family_name),
                d.date_of_birth,
                d.gender,
                None if d.postcode is None else str(d.postcode),
            )
            once(key, "learner", _SAME_LEARNER)
        return tuple(found)


@attrs.frozen
class OutputBatch:
    """An output file returned by the register, read and checked.

    ``learners`` hold the echoed rows, each with its ``return_code``; ``errors`` the
    problems of the file as a whole (including counters that disagree with the rows).
    """

    header: OutputHeader
    learners: tuple[Entry, ...]
    errors: tuple[Problem, ...]
    format: str
    encoding: str
    layout: Layout = attrs.field(repr=False)

    @property
    def version(self) -> str:
        """The file version of the request (``2A``, ``3A``)."""
        return self.header.version

    @property
    def return_codes(self) -> Counter[str]:
        """How many learners got each return code."""
        return _count(self.learners, "return_code")

    @property
    def exceptions(self) -> tuple[Entry, ...]:
        """The learners whose return code a person must resolve (RC006..RC013)."""
        return tuple(e for e in self.learners if e.return_code in EXCEPTION_CODES)

    def counted(self) -> dict[str, int]:
        """The counters as the return codes of the rows give them."""
        counters = dict.fromkeys(self.header.counters, 0) if self.header.counters else {}
        for code, n in self.return_codes.items():
            counter = RETURN_CODES[code].counter
            if counter is not None:
                counters[counter] = counters.get(counter, 0) + n
        return counters
