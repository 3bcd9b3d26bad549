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
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
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

    ``fields`` are the names of its field elements in the order they came, each once
    (a repeated one is a problem), and ``texts`` their texts. Learners written alike
    share one ``fields`` tuple, so a reader can work out once per layout of fields
    which text goes in which column.

    ``problems`` holds ``(field, rule, line, column)``; the field is ``"row"`` for a
    problem of the element as a whole. Where each field starts is worked out only
    when asked (:meth:`position`), from the element's own bytes: reading positions
    for every field would cost as much as the parse.
    """

    __slots__ = ("_positions", "column", "fields", "line", "problems", "segment", "texts")

    def __init__(
        self,
        line: int,
        column: int,
        fields: tuple[str, ...] = (),
        texts: Sequence[str] = (),
        segment: bytes | None = None,
    ) -> None:
        self.line = line
        self.column = column
        self.fields = fields
        self.texts = texts
        self.problems: list[tuple[str, str, int, int]] = []
        self.segment = segment
        """The element's bytes up to its end tag, when they were still at hand."""
        self._positions: dict[str, Position] | None = None

    @property
    def values(self) -> dict[str, str]:
        """The fields' texts by name."""
        return dict(zip(self.fields, self.texts, strict=True))

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
    learner_fields: Collection[str] = (),
) -> Iterator[Event | FileProblem]:
    """Parse the XML text in ``chunks``, yielding the header, then each learner.

    ``FileProblem`` items report structure that is wrong but skippable (an unknown
    element outside a learner). Unrecoverable problems raise :class:`BatchError`
    with the line: not well-formed XML, a DOCTYPE or entity, a document element not
    in ``roots`` (the one found is the header's ``root``).

    Values starting with an apostrophe are given back as
    :func:`uln.batch._csvio.restore` leaves them.

    ``learner_fields`` are the names a learner's field elements may have. A run of
    learners written plainly (``<Learner><Name>text</Name>...</Learner>``, names from
    ``learner_fields``, no other markup) is read by :func:`_plain_learner` with string
    methods instead of one parser callback per element, and the parser is given the
    run as a comment of exactly the same characters, bytes and lines: it still checks
    every character and keeps counting lines, columns and bytes as before. A run is
    read this way only where the parser stands between two learners, outside any
    comment, processing instruction or CDATA section; anything else in a learner
    (attributes, comments, entities other than the predefined ones, whitespace
    between fields, a repeated or unknown field) leaves it to the parser.
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
    stray = False  # stray text was reported and no tag has come since (a text run
    # split between two chunks is one problem, not two)

    def where() -> Position:
        return parser.CurrentLineNumber, parser.CurrentColumnNumber + 1

    def start(name: str, _attributes: object) -> None:
        nonlocal depth, skip_below, section, header, learner, values, field, size, document
        nonlocal learner_start, stray
        stray = False
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
                    values = {}
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
        nonlocal depth, skip_below, section, learner, field, stray
        stray = False
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
                values[field] = value
            elif header is not None:
                header.values[field] = value
            field = ""
        elif closing == 3:
            if learner is not None:
                learner.fields = tuple(values)
                learner.texts = list(values.values())
                learner.segment = segment(learner_start, parser.CurrentByteIndex)
                emit(learner)
                learner = None
        elif closing == 2:
            if section == HEADER and header is not None:
                emit(header)
            section = ""

    def characters(data: str) -> None:
        nonlocal size, stray
        if field and not skip_below:
            size += len(data)
            if size <= MAX_LINE_BYTES:
                text.append(data)
            elif text:
                text.clear()
            return
        if skip_below or data.isspace() or stray:
            return
        stray = True
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

    plain_names = frozenset(learner_fields)
    shapes: dict[tuple[str, ...], _Shape] = {}  # see _plain_learner
    fed = 0
    # Where the parser's input so far ends: its line, the characters since the last
    # line break, and whether it ended with a carriage return (half of a CRLF).
    line, column, after_cr = 1, 0, False
    tail_closed = True  # the last byte fed that is not whitespace is ">"
    cdata = False  # "<![" was seen (a CDATA section): no fast path from there on
    carry = b""  # the start of a learner whose end is in the next chunk

    def feed(data: bytes) -> None:
        nonlocal fed, line, column, after_cr, tail_closed
        if not data:
            return
        parser.Parse(data, False)
        fed += len(data)
        line, column, after_cr = _advance(data, 0, len(data), line, column, after_cr)
        stripped = data.rstrip(_XML_SPACE)
        if stripped:
            tail_closed = stripped[-1:] == b">"

    def between_learners(trailing: int) -> bool:
        """Whether the parser stands between learners in Learners, and has nothing
        pending but the last ``trailing`` bytes of whitespace."""
        return (
            learner is None
            and not field
            and not skip_below
            and depth == 2
            and section == LEARNERS
            and tail_closed
            and parser.CurrentByteIndex >= fed - trailing
        )

    def feed_learners(data: bytes, final: bool) -> bytes:
        """Feed ``data``, reading plain runs of learners directly; return what is
        left for the next chunk (an unfinished learner)."""
        pos = 0
        marks = _Marks(data)
        while True:
            start = data.find(_OPEN, pos)
            if start < 0:
                break
            end = data.find(_CLOSE, start)
            if end < 0:
                if not final and len(data) - start <= MAX_LINE_BYTES:
                    feed(data[pos:start])
                    return data[start:]
                break
            before = data[pos:start]
            feed(before)
            # The run of plain learners starting at ``start``, if the parser stands
            # between learners; each learner's line and column counted as it counts them.
            run_end = start
            if between_learners(len(before) - len(before.rstrip(_XML_SPACE))):
                at, stop = start, end
                at_line, at_column, cr = line, column, after_cr
                counted = start  # the line and column above are those of ``counted``
                plain_breaks = not marks.cr and not after_cr
                while not cdata:
                    plain = _plain_learner(data, at + len(_OPEN), stop, plain_names, shapes, marks)
                    if plain is None:
                        break
                    if not plain_breaks:
                        at_line, at_column, cr = _advance(data, counted, at, at_line, at_column, cr)
                    elif breaks := data.count(b"\n", counted, at):
                        at_line += breaks
                        line_start = data.rfind(b"\n", counted, at) + 1
                        at_column = 0 if line_start == at else _characters(data, line_start, at)
                    else:
                        at_column += _characters(data, counted, at)
                    counted = at
                    emit(LearnerRecord(at_line, at_column + 1, *plain, data[at:stop]))
                    run_end = stop + len(_CLOSE)
                    following = data.find(b"<", run_end)
                    if (
                        following < 0
                        or data[run_end:following].strip(_XML_SPACE)
                        or not data.startswith(_OPEN, following)
                    ):
                        break
                    stop = data.find(_CLOSE, following)
                    if stop < 0:
                        break
                    at = following
            if run_end == start:  # not a plain learner: the parser reads it
                pos = end + len(_CLOSE)
                feed(data[start:pos])
                continue
            # The parser checks the run as a comment of the same length.
            feed(b"".join((b"<!--", data[start + 4 : run_end - 3].replace(b"-", b"_"), b"-->")))
            pos = run_end
        feed(data[pos:])
        return b""

    try:
        for chunk in chunks:
            encoded = chunk.encode("utf-8", "surrogatepass")
            if b"<![" in encoded or b"<![" in current[-2:] + encoded[:2]:
                cdata = True  # a CDATA section may be open: the parser reads the rest
            data = carry + encoded
            previous, previous_at = current[: fed - current_at], current_at
            current, current_at = data, fed
            if plain_names:
                carry = feed_learners(data, False)
            else:
                feed(data)
            # Just past the last parse event: bytes beyond it are one unfinished token.
            if fed - parser.CurrentByteIndex > _TOKEN_LIMIT:
                raise BatchError(
                    "an XML name, attribute or comment is too long",
                    line=parser.CurrentLineNumber,
                )
            if out:
                yield from out
                out.clear()
        if carry:
            previous, previous_at = current[: fed - current_at], current_at
            current, current_at = carry, fed
            feed_learners(carry, True)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        reason = expat.errors.messages.get(exc.code, "not well-formed")
        raise BatchError(f"the XML is not well formed ({reason})", line=exc.lineno) from None
    except _Refused as exc:
        raise BatchError(
            f"{exc.args[0]} is not allowed in a batch file", line=parser.CurrentLineNumber
        ) from None
    yield from out


_OPEN: Final = f"<{LEARNER}>".encode()
_CLOSE: Final = f"</{LEARNER}>".encode()
_XML_SPACE: Final = b" \t\r\n"
_ENTITY: Final = re.compile(r"&(?!(?:amp|lt|gt|quot|apos|#13);)")
"""An ``&`` that does not start a reference :func:`_plain_learner` decodes."""
_REFERENCES: Final = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"))


def _advance(
    data: bytes, begin: int, end: int, line: int, column: int, after_cr: bool
) -> tuple[int, int, bool]:
    """The position after ``data[begin:end]`` from ``(line, column)``, counting line
    breaks (``\\n``, ``\\r\\n``, ``\\r``) and characters as the parser does; ``after_cr``
    says the text before ended with ``\\r``, so that a ``\\n`` starting it ends no line."""
    if begin >= end:
        return line, column, after_cr
    breaks = data.count(b"\n", begin, end)
    if data.find(b"\r", begin, end) >= 0:
        breaks += data.count(b"\r", begin, end) - data.count(b"\r\n", begin, end)
        if after_cr and data[begin] == 0x0A:
            breaks -= 1
        after_cr = data[end - 1] == 0x0D
    else:
        after_cr = False
    if breaks:
        cut = max(data.rfind(b"\n", begin, end), data.rfind(b"\r", begin, end)) + 1
        return line + breaks, _characters(data, cut, end), after_cr
    return line, column + _characters(data, begin, end), after_cr


def _characters(data: bytes, begin: int, end: int) -> int:
    """How many characters ``data[begin:end]`` holds (expat counts columns so)."""
    part = data[begin:end]
    if part.isascii():
        return len(part)
    return len(part.decode("utf-8", "replace"))


class _Marks:
    """Which rarer characters a chunk holds, so that its learners skip looking for them."""

    __slots__ = ("amp", "apostrophe", "cr")

    def __init__(self, data: bytes) -> None:
        self.amp = b"&" in data
        self.cr = b"\r" in data
        self.apostrophe = b"'" in data


_SHAPES_LIMIT: Final = 1024
"""Distinct sequences of field names :func:`_plain_learner` remembers before it forgets
them all (a file may make up any number)."""


_Shape: TypeAlias = "tuple[tuple[str, ...], list[str]]"


def _shape(fields: tuple[str, ...], names: frozenset[str]) -> _Shape | None:
    """``fields`` and the learner content they make, as pieces with an empty piece
    in each text's place (``["<A>", "", "</A><B>", "", "</B>"]``); ``None`` if a
    name is repeated or not in ``names``."""
    if len(set(fields)) != len(fields) or not names.issuperset(fields):
        return None
    frame = [f"<{fields[0]}>"]
    for name, following in zip(fields, (*fields[1:], None), strict=True):
        frame += ["", f"</{name}>" if following is None else f"</{name}><{following}>"]
    return fields, frame


def _plain_learner(
    data: bytes,
    begin: int,
    end: int,
    names: frozenset[str],
    shapes: dict[tuple[str, ...], _Shape],
    marks: _Marks,
) -> tuple[tuple[str, ...], list[str]] | None:
    """The field names and texts of ``data[begin:end]``, a learner's content, if it is
    exactly ``<Name>text</Name>`` elements with distinct names from ``names`` and
    texts holding neither ``<`` nor ``>``, else ``None``.

    The text is what the parser would give: line breaks as ``\n``, the predefined
    entities and ``&#13;`` decoded, and :func:`~uln.batch._csvio.restore` applied.

    ``shapes`` remembers the :func:`_shape` of each sequence of names met, so that
    learners written alike give the same tuple of names.
    """
    if end - begin > MAX_LINE_BYTES:
        return None
    try:
        content = data[begin:end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    pieces = content.split("<")  # "", "Name>text", "/Name>", "Other>text", "/Other>", ...
    if pieces[0] or len(pieces) < 3 or len(pieces) % 2 == 0:
        return None
    flat = ">".join(pieces[1::2]).split(">")  # "Name", "text", "Other", "text", ...
    if len(flat) != len(pieces) - 1:
        return None  # a ">" in a text, or not a plain start tag
    shape = shapes.get(tuple(flat[0::2]))
    if shape is None:
        shape = _shape(tuple(flat[0::2]), names)
        if shape is None:
            return None  # a field given twice or an unknown one: the parser reports it
        if len(shapes) >= _SHAPES_LIMIT:
            shapes.clear()
        shapes[shape[0]] = shape
    fields, frame = shape
    texts = flat[1::2]
    written = frame.copy()
    written[1::2] = texts
    if "".join(written) != content:
        return None  # not exactly the plain form: the parser decides
    if marks.cr and "\r" in content:  # as the parser does, before references are decoded
        texts = [text.replace("\r\n", "\n").replace("\r", "\n") for text in texts]
    if marks.amp and "&" in content:
        if _ENTITY.search(content):
            return None
        texts = [_decode(text) if "&" in text else text for text in texts]
    if marks.apostrophe and ">'" in content:  # a text starting with "'"
        texts = [restore(text) if text[:1] == "'" else text for text in texts]
    return fields, texts


def _decode(text: str) -> str:
    for reference, character in _REFERENCES:
        text = text.replace(reference, character)
    return text.replace("&#13;", "\r").replace("&amp;", "&")


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
