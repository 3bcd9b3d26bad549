"""Per-learner checks: one row of cells in, one :class:`~uln.batch.Entry` out.

Each column of the layout is read by the normaliser that :data:`uln.learner.FIELDS`
names for its attribute. In a batch file two columns are stricter than what an MIS
types [spec]: dates must be ``YYYY-MM-DD`` (a spreadsheet that rewrites them as
``DD/MM/YYYY`` breaks the file) and ``Gender`` must be one of the codes 0, 1, 2, 9.
``lenient=True`` drops these two rules, for reading an MIS export.

Values repeat a lot in a batch (given names, dates of birth, towns, the codes), so
each column keeps the outcome of the values it has seen, up to a bound: the hot
path is a dictionary look-up per cell.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Sequence
from itertools import compress, repeat
from operator import is_, itemgetter
from typing import Any, Final

from uln import checkdigit
from uln.batch._model import Entry, good_entry
from uln.batch.codes import RETURN_CODES, code_for
from uln.batch.spec import Column, Layout
from uln.demographics.dates import check_age, parse_date
from uln.demographics.gender import parse_gender
from uln.enums import Gender, VerificationType
from uln.errors import InvalidCode, InvalidDate, InvalidGender, InvalidLength, MissingValue, Problem
from uln.errors import ValidationError as _ValidationError
from uln.learner import DESCRIPTION_REQUIRED, Demographics, Learner, field_spec

Locate = Callable[[int], tuple[int, int]]
"""Where cell ``i`` of a row starts: ``(line, column)``."""

_CACHE_LIMIT: Final = 4096
"""Distinct values remembered per column before the memory is cleared."""

_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_GENDER_CODES: Final = {str(int(g)): g for g in Gender}
_FILE_DATE_RULE: Final = "a date in a batch file is written YYYY-MM-DD"
_FILE_GENDER_RULE: Final = "the gender is one of the codes 0, 1, 2 or 9"

ROW: Final = "row"
"""The field named by a problem of a row as a whole (its width, its encoding)."""


class _Bad:
    """The outcome of a value that failed its check: the rule and the error's kind."""

    __slots__ = ("kind", "rule")

    def __init__(self, error: _ValidationError) -> None:
        self.kind = type(error).__name__
        self.rule = error.rule


Reader = Callable[[str], Any]


def _reader(column: Column, *, on: _dt.date | None, lenient: bool) -> Reader:
    """The function that reads one stripped, non-empty cell of ``column``, or raises."""
    name, limit = column.name, column.max_length
    check = column.check
    if check == "return_code":

        def read_code(value: str) -> str:
            if value not in RETURN_CODES:
                raise InvalidCode("not a return code RC001 to RC013", field=name)
            return value

        return read_code
    if check in ("date", "date_of_birth"):

        def read_date(value: str) -> _dt.date:
            if not lenient and not _ISO_DATE.fullmatch(value):
                raise InvalidDate(_FILE_DATE_RULE, field=name)
            found = parse_date(value, field=name)
            if check == "date_of_birth" and on is not None:
                check_age(found, on, field=name)
            return found

        return read_date
    if check == "gender":
        if lenient:
            return lambda value: parse_gender(value, field=name)

        def read_gender(value: str) -> Gender:
            found = _GENDER_CODES.get(value)
            if found is None:
                raise InvalidGender(_FILE_GENDER_RULE, field=name)
            return found

        return read_gender
    normalise = field_spec(column.attribute).normalise
    fast_uln = check == "uln"

    def read(value: str) -> Any:
        if limit is not None and len(value) > limit:
            raise InvalidLength(f"at most {limit} characters are allowed", field=name)
        if fast_uln and checkdigit.is_valid(value):
            return value  # the table-driven check; the normaliser says what is wrong
        return normalise(value, name, limit)

    return read


class Plan:
    """Where each column's value goes in the learner record; shared by a file's entries."""

    __slots__ = ("columns",)

    def __init__(self, layout: Layout) -> None:
        self.columns: tuple[tuple[int, str, bool], ...] = tuple(
            (i, c.attribute, c.owner == "demographics")
            for i, c in enumerate(layout.columns)
            if c.owner != "entry"
        )

    def build(self, outcomes: Sequence[Any]) -> Learner:
        """The learner of a good row from its checked values (``EMPTY`` for none)."""
        demographics: dict[str, Any] = {}
        learner: dict[str, Any] = {}
        for index, attribute, to_demographics in self.columns:
            value = outcomes[index]
            if value is not EMPTY:
                (demographics if to_demographics else learner)[attribute] = value
        return Learner(demographics=Demographics(**demographics), **learner)


class _Empty:
    __slots__ = ()

    def __repr__(self) -> str:
        return "EMPTY"


EMPTY: Final = _Empty()
"""The checked value of an empty optional cell."""


class RowChecker:
    """Checks the rows of one layout; build one per file read.

    Args:
        layout: the columns.
        on: the processing date for the age rule (RC013); ``None`` skips it.
        lenient: accept the forms an MIS types (``DD/MM/YYYY``, ``M``) as well.

    Each column keeps two memories: the values it has read well (with what they read
    as) and the values it has refused (with why). A row whose every cell is in the
    first is checked by one dictionary look-up per cell, in C; any other row takes
    the long way, which fills the memories.
    """

    def __init__(self, layout: Layout, *, on: _dt.date | None, lenient: bool = False) -> None:
        self.layout = layout
        self.width = len(layout.columns)
        age_on = on if layout.check_age else None
        columns = layout.columns
        self._names = [c.name for c in columns]
        self._known = frozenset(self._names)
        self._readers = [_reader(c, on=age_on, lenient=lenient) for c in columns]
        self._mandatory = [c.mandatory for c in columns]
        # An empty optional cell reads as EMPTY; an empty mandatory one is refused.
        self._good: list[dict[str, Any]] = [{} if c.mandatory else {"": EMPTY} for c in columns]
        self._bad: list[dict[str, _Bad]] = [{} for _ in columns]
        self._plan = Plan(layout)
        self._range = range(len(columns))
        self._blank: list[Any] = [EMPTY] * len(columns)
        self._required = tuple(i for i, c in enumerate(columns) if c.mandatory)
        self._uln = self._index("ULN")
        self._mis = self._index("MISIdentifier")
        self._code = self._index("ReturnCode")
        self._type = self._index("VerificationType")
        self._description = self._index("OtherVerificationDescription")
        self._orders: dict[tuple[str, ...], tuple[Callable[[Sequence[str]], Any], bool]] = {}
        """What :meth:`_order` worked out for each sequence of XML field names met."""

    def _index(self, name: str) -> int:
        try:
            return self.layout.position(name) - 1
        except KeyError:
            return -1

    def check(
        self,
        cells: Sequence[str],
        line: int,
        positions: Locate | None = None,
    ) -> Entry:
        """Check one row of exactly ``width`` cells, in layout order.

        ``positions`` gives the ``(line, column)`` of cell ``i`` (XML); without it the
        row is a CSV line and cell ``i`` is at column ``i + 1``.

        The common row is good: its empty cells are skipped (``EMPTY`` if optional) and
        each other cell costs a dictionary look-up, or one read for a value not seen
        before. At the first sign of a problem the row is checked again by
        :meth:`_slow`, which finds and reports every problem in column order.
        """
        outcomes = self._blank.copy()
        good = self._good
        for i in compress(self._range, cells):  # the cells that are not empty
            outcome = good[i].get(cells[i])
            if outcome is None:
                outcome = self._outcome(i, cells[i])
                if type(outcome) is _Bad:
                    return self._slow(cells, line, positions)
            outcomes[i] = outcome
        if not all(map(cells.__getitem__, self._required)) or (
            self._type >= 0
            and outcomes[self._type] is _OTHER
            and outcomes[self._description] is EMPTY
        ):
            return self._slow(cells, line, positions)
        return self._entry(outcomes, line)

    def _entry(self, outcomes: list[Any], line: int) -> Entry:
        """The entry of a good row; its learner is built when asked for."""
        uln: Any = outcomes[self._uln] if self._uln >= 0 else EMPTY
        mis: Any = outcomes[self._mis] if self._mis >= 0 else EMPTY
        code: Any = outcomes[self._code] if self._code >= 0 else EMPTY
        return good_entry(
            line,
            None if mis is EMPTY else mis,
            None if uln is EMPTY else uln,
            None if code is EMPTY else code,
            (self._plan, tuple(outcomes)),
        )

    def _outcome(self, index: int, raw: str) -> Any:
        """What cell ``raw`` of column ``index`` reads as (a ``_Bad`` if refused),
        from the column's memories, or read and remembered."""
        outcome: Any = self._bad[index].get(raw)
        if outcome is not None:
            return outcome
        if not raw or raw.isspace():
            outcome = _Bad(MissingValue("a value is required")) if self._mandatory[index] else EMPTY
        else:
            try:
                outcome = self._readers[index](raw.strip())
            except _ValidationError as exc:
                outcome = _Bad(exc)
        memory: dict[str, Any] = self._bad[index] if type(outcome) is _Bad else self._good[index]
        if len(memory) >= _CACHE_LIMIT:
            memory.clear()
            if not self._mandatory[index]:
                self._good[index][""] = EMPTY
        memory[raw] = outcome
        return outcome

    def _slow(self, cells: Sequence[str], line: int, positions: Locate | None) -> Entry:
        """Check a row cell by cell, reporting every problem in column order."""
        outcomes = list(map(dict.get, self._good, cells))
        problems: list[Problem] = []
        for i in compress(self._range, map(is_, outcomes, repeat(None))):
            outcome = self._outcome(i, cells[i])
            if type(outcome) is _Bad:
                problems.append(self._problem(i, outcome.rule, outcome.kind, line, positions))
            outcomes[i] = outcome
        if (
            self._type >= 0
            and outcomes[self._type] is _OTHER
            and outcomes[self._description] is EMPTY
        ):
            problems.append(
                self._problem(
                    self._description,
                    DESCRIPTION_REQUIRED,
                    "MissingValue",
                    line,
                    positions,
                )
            )
        if not problems:
            return self._entry(outcomes, line)
        return self._bad_entry(cells, line, problems, outcomes)

    def _bad_entry(
        self,
        cells: Sequence[str],
        line: int,
        problems: Sequence[Problem],
        outcomes: Sequence[Any],
    ) -> Entry:
        def good(index: int) -> Any:
            if index < 0 or index >= len(outcomes):
                return None
            value = outcomes[index]
            return None if value is EMPTY or type(value) is _Bad else value

        return_code = good(self._code)
        return Entry(
            line,
            code_for(problems) if self._code < 0 else None,
            tuple(problems),
            None,
            good(self._mis),
            good(self._uln),
            return_code,
            dict(zip(self._names, cells, strict=True)),
        )

    def _problem(
        self,
        index: int,
        rule: str,
        kind: str,
        line: int,
        positions: Locate | None,
    ) -> Problem:
        if positions is None:
            return Problem(self._names[index], rule, kind, line, index + 1)
        at_line, at_column = positions(index)
        return Problem(self._names[index], rule, kind, at_line, at_column)

    def row_problem(self, rule: str, line: int, column: int | None = None) -> Entry:
        """An entry for a row that could not be split into cells."""
        problem = Problem(ROW, rule, "InvalidFormat", line, column)
        return Entry(line, code_for([problem]) if self._code < 0 else None, (problem,))

    def check_fields(
        self,
        fields: tuple[str, ...],
        texts: Sequence[str],
        line: int,
        locate: Callable[[str], tuple[int, int]],
        extra: Sequence[tuple[str, str, int, int]] = (),
    ) -> Entry:
        """Check a row given by column name (XML): ``texts[i]`` is the text of the
        field named ``fields[i]``. The names are distinct and in any order; a column
        not named is an empty cell, and a name that is not a column is a problem.

        ``locate(name)`` gives where a field starts; it is called only for problems.
        ``extra`` are problems of the element's structure, ``(field, rule, line, column)``.
        """
        order = self._orders.get(fields)
        if order is None:
            order = self._order(fields)
        take, all_known = order
        cells: Sequence[str] = take((*texts, ""))
        names = self._names
        entry = self.check(cells, line, lambda i: locate(names[i]))
        if not extra and all_known:
            return entry
        unknown = [
            Problem(name, "not a column of this batch version", "InvalidFormat", *locate(name))
            for name in fields
            if name not in self._known
        ]
        structural = [Problem(f, rule, "InvalidFormat", at, col) for f, rule, at, col in extra]
        problems = (*entry.problems, *structural, *unknown)
        return Entry(
            line,
            code_for(problems) if self._code < 0 else None,
            problems,
            None,
            entry.mis_identifier,
            entry.uln,
            entry.return_code,
            dict(zip(names, cells, strict=True)),
        )

    def _order(self, fields: tuple[str, ...]) -> tuple[Callable[[Sequence[str]], Any], bool]:
        """How :meth:`check_fields` turns the texts of ``fields``, with ``""`` after
        them, into the cells of a row, and whether every field is a column.

        Remembered when every field is a column (names the file makes up are not)."""
        index = {name: i for i, name in enumerate(fields)}
        empty = len(fields)
        known = self._known.issuperset(fields)
        order = (itemgetter(*(index.get(name, empty) for name in self._names)), known)  # width > 1
        if known:
            if len(self._orders) >= _CACHE_LIMIT:
                self._orders.clear()
            self._orders[fields] = order
        return order


_OTHER: Final = next(v for v in VerificationType if v.needs_description)
"""The one VerificationType that needs OtherVerificationDescription (checked by identity)."""
