"""XML batch files: a streaming reader that never expands entities, and escaping.

The reader drives :mod:`xml.parsers.expat` directly. A document type declaration is
refused outright, and with it every entity and notation declaration, so neither a
"billion laughs" nor an external entity is ever expanded or fetched; an undeclared
entity reference is not well-formed XML. Parameter entities are switched off as
well. Events are turned into records as the text arrives, so memory does not grow
with the file.

The layout [ours; the LRS schema is not public]::

    <RegistrationBatch>
      <Header><FileVersion>2A</FileVersion>...<LearnerCount>2</LearnerCount></Header>
      <Learners>
        <Learner><ULN>...</ULN><GivenName>...</GivenName>...</Learner>
      </Learners>
    </RegistrationBatch>

A learner element holds one element per column, named as the CSV heading, in any
order; a missing element is an empty field. Attributes are ignored.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Final, TypeAlias
from xml.parsers import expat

from uln.batch._csvio import restore
from uln.batch.spec import MAX_LINE_BYTES
from uln.errors import BatchError

HEADER: Final = "Header"
LEARNERS: Final = "Learners"
LEARNER: Final = "Learner"

_TOKEN_LIMIT: Final = 4 * MAX_LINE_BYTES
"""Bytes fed past the last parser event before the file is refused: a single XML name,
attribute or comment that long is an attack or a broken file, and expat would hold it
all in memory."""

Position: TypeAlias = "tuple[int, int]"


class HeaderRecord:
    """The ``Header`` element: its fields by name, and problems found in it."""

    __slots__ = ("line", "problems", "root", "values")

    def __init__(self, line: int, root: str) -> None:
        self.line = line
        self.root = root
        self.values: dict[str, str] = {}
        self.problems: list[tuple[str, str, int, int]] = []


class LearnerRecord:
    """One ``Learner`` element: field texts, structural problems, and where it stands.

    ``problems`` holds ``(field, rule, line, column)``; the field is ``"row"`` for a
    problem of the element as a whole. Where each field starts is worked out only
    when asked (:meth:`position`), from the element's own bytes: reading positions
    for every field would cost as much as the parse.
    """

    __slots__ = ("_positions", "column", "line", "problems", "segment", "values")

    def __init__(self, line: int, column: int) -> None:
        self.line = line
        self.column = column
        self.values: dict[str, str] = {}
        self.problems: list[tuple[str, str, int, int]] = []
        self.segment: bytes | None = None
        """The element's bytes up to its end tag, when they were still at hand."""
        self._positions: dict[str, Position] | None = None

    def position(self, name: str) -> Position:
        """Where the field element ``name`` starts; the learner's start if it has none."""
        if self._positions is None:
            self._positions = self._locate()
        return self._positions.get(name, (self.line, self.column))

    def _locate(self) -> dict[str, Position]:
        found: dict[str, Position] = {}
        if self.segment is None:
            return found
        parser = expat.ParserCreate(encoding="utf-8")
        depth = 0

        def start(name: str, _attributes: object) -> None:
            nonlocal depth
            depth += 1
            if depth == 2 and name not in found:
                line = parser.CurrentLineNumber
                column = parser.CurrentColumnNumber + 1
                if line == 1:
                    column += self.column - 1
                found[name] = (self.line + line - 1, column)

        def end(_name: str) -> None:
            nonlocal depth
            depth -= 1

        parser.StartElementHandler = start
        parser.EndElementHandler = end
        with contextlib.suppress(expat.ExpatError):  # it parsed once already
            parser.Parse(self.segment + f"</{LEARNER}>".encode(), True)
        return found


Event: TypeAlias = "HeaderRecord | LearnerRecord"


class FileProblem:
    """A problem with the file's structure that does not stop reading."""

    __slots__ = ("line", "rule")

    def __init__(self, rule: str, line: int) -> None:
        self.rule = rule
        self.line = line


def _refuse(what: str) -> Callable[..., Any]:
    def refuse(*_: object) -> None:
        raise _Refused(what)

    return refuse


class _Refused(Exception):
    pass


def _short(name: str) -> str:
    return name if len(name) <= 40 else name[:37] + "..."


def parse(
    chunks: Iterable[str],
    *,
    roots: Sequence[str],
    header_fields: Sequence[str],
    count_field: str,
) -> Iterator[Event | FileProblem]:
    """Parse the XML text in ``chunks``, yielding the header, then each learner.

    ``FileProblem`` items report structure that is wrong but skippable (an unknown
    element outside a learner). Unrecoverable problems raise :class:`BatchError`
    with the line: not well-formed XML, a DOCTYPE or entity, a document element not
    in ``roots`` (the one found is the header's ``root``).

    Values starting with an apostrophe are given back as
    :func:`uln.batch._csvio.restore` leaves them.
    """
    parser = expat.ParserCreate(encoding="utf-8")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.buffer_size = MAX_LINE_BYTES
    parser.StartDoctypeDeclHandler = _refuse("a document type declaration (DOCTYPE)")
    parser.EntityDeclHandler = _refuse("an entity declaration")
    parser.UnparsedEntityDeclHandler = _refuse("an entity declaration")
    parser.NotationDeclHandler = _refuse("a notation declaration")
    parser.ExternalEntityRefHandler = _refuse("an external entity")

    header_names = frozenset((*header_fields, count_field))
    out: list[Event | FileProblem] = []
    emit = out.append
    # The state. The fast path is a field of a learner: ``learner`` is set, ``field``
    # names the field being read and ``text`` collects its characters.
    depth = 0
    skip_below = 0  # inside an element being skipped: its depth, else 0
    section = ""  # the depth-2 element we are in: Header or Learners
    document = ""  # the document element's name
    header: HeaderRecord | None = None
    learner: LearnerRecord | None = None
    values: dict[str, str] = {}  # the values of the learner being read
    learner_start = 0  # the byte index of its start tag
    # The bytes being parsed and the chunk before them, with their offsets, so that a
    # learner's bytes can be kept for locating its fields.
    current, current_at, previous, previous_at = b"", 0, b"", 0
    field = ""  # the field element being read (depth 3 in Header, depth 4 in Learner)
    text: list[str] = []
    size = 0

    def where() -> Position:
        return parser.CurrentLineNumber, parser.CurrentColumnNumber + 1

    def start(name: str, _attributes: object) -> None:
        nonlocal depth, skip_below, section, header, learner, values, field, size, document
        nonlocal learner_start
        depth += 1
        if learner is not None and not field and not skip_below:
            # A field of a learner (depth 4): the hot path.
            if name in values:
                learner.problems.append((name, "the element appears twice", *where()))
                skip_below = depth
                return
            field = name
            text.clear()
            size = 0
            return
        if skip_below:
            return
        if depth == 3:
            if section == LEARNERS:
                if name == LEARNER:
                    learner = LearnerRecord(*where())
                    values = learner.values
                    learner_start = parser.CurrentByteIndex
                    return
                emit(FileProblem(f"unexpected element {_short(name)} in {LEARNERS}", where()[0]))
                skip_below = depth
                return
            if section == HEADER:
                if name in header_names and header is not None and name not in header.values:
                    field = name
                    text.clear()
                    size = 0
                    return
                emit(FileProblem(f"unexpected element {_short(name)} in {HEADER}", where()[0]))
                skip_below = depth
                return
        if depth == 2:
            if name == HEADER and header is None:
                header = HeaderRecord(parser.CurrentLineNumber, document)
                section = HEADER
                return
            if name == LEARNERS and section != LEARNERS:
                if header is None:
                    raise BatchError(
                        f"the {HEADER} element must come before the learners",
                        line=parser.CurrentLineNumber,
                    )
                section = LEARNERS
                return
            emit(FileProblem(f"unexpected element {_short(name)} in {document}", where()[0]))
            skip_below = depth
            return
        if depth == 1:
            if name not in roots:
                raise BatchError(
                    f"the document element must be {' or '.join(roots)}",
                    line=parser.CurrentLineNumber,
                )
            document = name
            return
        # An element inside a field's text.
        if learner is not None:
            learner.problems.append((field or "row", "an element inside a field", *where()))
        else:
            emit(FileProblem("an element inside a header field", where()[0]))
        skip_below = depth

    def end(_name: str) -> None:
        nonlocal depth, skip_below, section, learner, field
        closing = depth
        depth -= 1
        if skip_below:
            if closing == skip_below:
                skip_below = 0
            return
        if field:
            if size > MAX_LINE_BYTES:
                value = ""
                rule = f"the value is longer than {MAX_LINE_BYTES} characters"
                if learner is not None:
                    learner.problems.append((field, rule, learner.line, learner.column))
                elif header is not None:
                    header.problems.append((field, rule, parser.CurrentLineNumber, 1))
            else:
                value = text[0] if len(text) == 1 else "".join(text)
                if value[:1] == "'":
                    value = restore(value)
            if learner is not None:
                learner.values[field] = value
            elif header is not None:
                header.values[field] = value
            field = ""
        elif closing == 3:
            if learner is not None:
                learner.segment = segment(learner_start, parser.CurrentByteIndex)
                emit(learner)
                learner = None
        elif closing == 2:
            if section == HEADER and header is not None:
                emit(header)
            section = ""

    def characters(data: str) -> None:
        nonlocal size
        if field and not skip_below:
            size += len(data)
            if size <= MAX_LINE_BYTES:
                text.append(data)
            elif text:
                text.clear()
            return
        if skip_below or data.isspace():
            return
        if learner is not None:
            learner.problems.append(("row", "text outside the field elements", *where()))
        else:
            emit(FileProblem("text outside the elements", parser.CurrentLineNumber))

    def segment(begin: int, stop: int) -> bytes | None:
        if begin >= current_at:
            return current[begin - current_at : stop - current_at]
        if begin >= previous_at and stop >= current_at:
            return previous[begin - previous_at :] + current[: stop - current_at]
        return None  # a learner longer than a chunk: its fields are placed at its start

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters

    fed = 0
    try:
        for chunk in chunks:
            data = chunk.encode("utf-8", "surrogatepass")
            previous, previous_at = current, current_at
            current, current_at = data, fed
            fed += len(data)
            parser.Parse(data, False)
            # Just past the last parse event: bytes beyond it are one unfinished token.
            if fed - parser.CurrentByteIndex > _TOKEN_LIMIT:
                raise BatchError(
                    "an XML name, attribute or comment is too long",
                    line=parser.CurrentLineNumber,
                )
            if out:
                yield from out
                out.clear()
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        reason = expat.errors.messages.get(exc.code, "not well-formed")
        raise BatchError(f"the XML is not well formed ({reason})", line=exc.lineno) from None
    except _Refused as exc:
        raise BatchError(
            f"{exc.args[0]} is not allowed in a batch file", line=parser.CurrentLineNumber
        ) from None
    yield from out


def escape(text: str) -> str:
    """Escape ``text`` for an XML element's content.

    >>> escape('a < b & "c"')
    'a &lt; b &amp; "c"'
    """
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text
