"""CSV rows: splitting lines into fields, and writing cells a spreadsheet will not run.

A record is one line [ours]. A quoted field may hold a line break, but only when the
lines it joins make a row of exactly the expected width; otherwise the quote counts as
left open on its first line, and reading goes on with the next line, so one stray
quote never swallows the learners after it.

>>> split_line('1,"Smith, Jo",,"say ""hi"" now"')
['1', 'Smith, Jo', '', 'say "hi" now']
>>> split_line('1,"Smith')
('a quote is left open', 2)
>>> neutralise("=1+2"), neutralise("'=1"), neutralise("O'Brien")
("'=1+2", "''=1", "O'Brien")
>>> restore(neutralise("-5")), restore("'t Hooft")
('-5', "'t Hooft")
"""

from __future__ import annotations

import csv
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Final, Protocol, TypeAlias

from uln.batch.spec import MAX_LINE_BYTES

BLANK: Final = ", \t"
"""A line of only these characters holds no learner: spreadsheets write such lines [ours]."""
OPEN_QUOTE: Final = "a quote is left open"
AFTER_QUOTE: Final = "text follows a closing quote"

Fields: TypeAlias = "list[str]"
Failure: TypeAlias = "tuple[str, int]"

_FORMULA: Final = re.compile(r"'*[=+\-@\t\r]")
"""A cell a spreadsheet would run as a formula, or one already neutralised."""
_NEUTRALISED: Final = re.compile(r"'+[=+\-@\t\r]")


def neutralise(value: str) -> str:
    """Return ``value`` so that a spreadsheet shows it as text instead of running it.

    A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading apostrophe, and so does one that already starts with apostrophes before
    such a character, so that :func:`restore` gives back exactly the original [ours].

    >>> neutralise("@SUM(A1)"), neutralise("Smith")
    ("'@SUM(A1)", 'Smith')
    """
    if value and _FORMULA.match(value):
        return "'" + value
    return value


def restore(cell: str) -> str:
    """Undo :func:`neutralise`: drop the apostrophe it added.

    >>> restore("'+44"), restore("'Brien")
    ('+44', "'Brien")
    """
    if cell[:1] == "'" and _NEUTRALISED.match(cell):
        return cell[1:]
    return cell


def split_line(line: str) -> Fields | Failure:
    """Split one CSV line into fields, or return ``(rule, column)`` where it breaks.

    ``"`` quotes a field and ``""`` inside it is one quote (RFC 4180); a quote inside an
    unquoted field is an ordinary character, as in Python's :mod:`csv`.

    >>> split_line('a,"b"c')
    ('text follows a closing quote', 2)
    >>> split_line('a,b"c,')
    ['a', 'b"c', '']
    """
    if '"' not in line:
        return line.split(",")
    fields: list[str] = []
    append = fields.append
    i = 0
    n = len(line)
    while True:
        if i < n and line[i] == '"':
            column = len(fields) + 1
            parts: list[str] = []
            j = i + 1
            while True:
                k = line.find('"', j)
                if k < 0:
                    return OPEN_QUOTE, column
                if line.startswith('"', k + 1):
                    parts.append(line[j : k + 1])
                    j = k + 2
                    continue
                parts.append(line[j:k])
                i = k + 1
                break
            append("".join(parts))
            if i == n:
                return fields
            if line[i] != ",":
                return AFTER_QUOTE, column
            i += 1
        else:
            k = line.find(",", i)
            if k < 0:
                append(line[i:])
                return fields
            append(line[i:k])
            i = k + 1


Line: TypeAlias = "tuple[int, str | None, str | None]"
Record: TypeAlias = "tuple[int, list[str] | None, str | None, int | None]"


def records(lines: Iterable[Line], width: int) -> Iterator[Record]:
    """Turn numbered lines into records ``(line, fields, problem, column)``.

    Cells are given back as :func:`restore` leaves them.
    Blank lines (nothing but commas, spaces and tabs) are skipped.
    ``fields`` is ``None`` when the line cannot be split; ``problem`` then says why and
    ``column`` where (or ``None``). ``width`` is the number of columns a row should
    have: a quoted field continues onto the next lines only if that makes such a row.
    """
    source = iter(lines)
    pending: deque[Line] = deque()

    def take() -> Line | None:
        if pending:
            return pending.popleft()
        return next(source, None)

    while (item := take()) is not None:
        number, text, problem = item
        if text is None:
            yield number, None, problem, None
            continue
        if not text.strip(BLANK):
            continue
        if '"' not in text:
            cells = text.split(",")
            yield number, [restore(c) for c in cells] if "'" in text else cells, None, None
            continue
        split = split_line(text)
        if isinstance(split, list):
            yield number, [restore(c) for c in split] if "'" in text else split, None, None
            continue
        rule, column = split
        if rule == OPEN_QUOTE:
            joined = _continue_quote(text, width, take, pending)
            if joined is not None:
                yield number, [restore(c) for c in joined], None, None
                continue
        yield number, None, rule, column


def _continue_quote(
    text: str, width: int, take: Callable[[], Line | None], pending: deque[Line]
) -> list[str] | None:
    """Join the lines after ``text`` while the quote stays open; keep them if it fails."""
    taken: list[Line] = []
    joined = text
    result: Fields | Failure | None = None
    while len(joined) <= MAX_LINE_BYTES:
        following = take()
        if following is None:
            break
        taken.append(following)
        if following[1] is None:
            break
        joined = f"{joined}\n{following[1]}"
        result = split_line(joined)
        if isinstance(result, list) or result[0] != OPEN_QUOTE:
            break
    if isinstance(result, list) and len(result) == width:
        return result
    pending.extendleft(reversed(taken))
    return None


class Writable(Protocol):
    """Anything with a ``write(str)`` method."""

    def write(self, text: str, /) -> object: ...


def write_rows(out: Writable, rows: Iterable[Sequence[str]]) -> None:
    """Write ``rows`` as CSV lines ending with CRLF, every cell neutralised."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
