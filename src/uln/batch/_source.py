"""Opening batch files and turning their bytes into text, a line or a chunk at a time.

Batch files arrive in UTF-8 (with or without a byte order mark) or Windows-1252, with
any line ending. The encoding is decided by the byte order mark, else by the first
line (or chunk) that is not plain ASCII: UTF-8 when it decodes as UTF-8, Windows-1252
otherwise [ours]. Memory stays flat: nothing holds more than one chunk and one line,
and a line longer than :data:`~uln.batch.spec.MAX_LINE_BYTES` is skipped unread.
"""

from __future__ import annotations

import codecs
import io
import os
import re
from collections.abc import Callable, Iterator
from typing import IO, Final, TypeAlias

from uln.batch.spec import MAX_LINE_BYTES
from uln.errors import BatchError

Source: TypeAlias = "str | os.PathLike[str] | IO[bytes] | IO[str]"
"""A batch file: a path, or a file object opened in binary (best) or text mode."""

CHUNK: Final = 1 << 16
"""Bytes read at a time."""

UTF8: Final = "utf-8"
CP1252: Final = "cp1252"
_BOM_UTF8: Final = codecs.BOM_UTF8
_BOMS_UTF16: Final = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_ENCODING_NAMES: Final = {UTF8: "UTF-8", CP1252: "Windows-1252", "ascii": "ASCII"}


def encoding_name(codec: str) -> str:
    """The name of a codec as people know it (``UTF-8``, ``Windows-1252``)."""
    return _ENCODING_NAMES.get(codecs.lookup(codec).name, codec)


class Opened:
    """A source opened for reading bytes; a context manager that closes what it opened."""

    def __init__(self, source: Source) -> None:
        self.name: str | None = None
        self._close: Callable[[], None] | None = None
        self._first: bytes | None = None
        self.text_mode = False
        if isinstance(source, (str, os.PathLike)):
            path = os.fspath(source)
            try:
                raw: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by __exit__
            except OSError as exc:
                raise BatchError(f"cannot open the file: {exc.strerror}") from exc
            self.name = path
            self._close = raw.close
            self._read: Callable[[int], bytes] = raw.read
            return
        name = getattr(source, "name", None)
        self.name = name if isinstance(name, str) else None
        if isinstance(source, io.TextIOBase):
            self.text_mode = True
            text_read = source.read

            def read_text(n: int) -> bytes:
                return text_read(n).encode(UTF8, "surrogatepass")

            self._read = read_text
            return
        self._read = source.read  # type: ignore[assignment]

    def peek(self) -> bytes:
        """The first chunk of the file, which :meth:`read` then returns first."""
        if self._first is None:
            self._first = self._raw_read(CHUNK)
        return self._first

    def read(self, n: int = CHUNK) -> bytes:
        """Read up to ``n`` bytes; ``b""`` at the end."""
        if self._first is not None:
            first, self._first = self._first, None
            return first
        return self._raw_read(n)

    def _raw_read(self, n: int) -> bytes:
        try:
            data = self._read(n)
        except UnicodeDecodeError as exc:  # a file opened in text mode, wrong encoding
            raise BatchError(
                f"the file cannot be read as {exc.encoding}: open it in binary mode "
                "('rb') and its encoding is found for you"
            ) from None
        if isinstance(data, str):  # a text stream that is not an io.TextIOBase
            self.text_mode = True
            return data.encode(UTF8, "surrogatepass")
        return data

    def __enter__(self) -> Opened:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._close is not None:
            self._close()


class Lines:
    """The lines of a text file, decoded, numbered from 1, without their line endings.

    Iterating yields ``(number, text, problem)``: ``text`` is ``None`` when the line
    could not be read (too long, or not in the file's encoding) and ``problem`` says why.
    """

    def __init__(self, opened: Opened) -> None:
        self._opened = opened
        self.encoding: str | None = UTF8 if opened.text_mode else None
        self.bom = False

    def __iter__(self) -> Iterator[tuple[int, str | None, str | None]]:
        read = self._opened.read
        number = 0
        buffer = read(CHUNK)
        if buffer.startswith(_BOM_UTF8):
            buffer = buffer[len(_BOM_UTF8) :]
            self.bom = True
            self.encoding = UTF8
        elif buffer.startswith(_BOMS_UTF16):
            raise BatchError(
                "the file is UTF-16; save it as UTF-8 (CSV UTF-8) or Windows-1252", line=1
            )
        at_end = not buffer
        skipping = False  # inside a line that is too long
        drop_lf = False  # the last byte seen was the \r of what may be a \r\n pair
        too_long = f"the line is longer than {MAX_LINE_BYTES} bytes"
        while buffer or not at_end:
            if not at_end:
                more = read(CHUNK)
                at_end = not more
                buffer += more
            if drop_lf and buffer:
                if buffer[:1] == b"\n":
                    buffer = buffer[1:]
                drop_lf = False
            if skipping:
                end = _first_line_end(buffer)
                if end < 0:
                    buffer = b""
                    continue
                if buffer[end : end + 2] == b"\r\n":
                    end += 1
                elif buffer[end : end + 1] == b"\r" and end == len(buffer) - 1:
                    drop_lf = True
                buffer = buffer[end + 1 :]
                skipping = False
                continue
            cut = len(buffer) - 1 if at_end else _last_line_end(buffer)
            if cut < 0:
                if len(buffer) > MAX_LINE_BYTES:
                    number += 1
                    yield number, None, too_long
                    skipping = True
                    buffer = b""
                continue
            region, buffer = buffer[: cut + 1], buffer[cut + 1 :]
            for raw in _split(region):
                number += 1
                if len(raw) > MAX_LINE_BYTES:
                    yield number, None, too_long
                else:
                    text, problem = self._decode(raw)
                    yield number, text, problem

    def _decode(self, raw: bytes) -> tuple[str | None, str | None]:
        if raw.isascii():
            return raw.decode("ascii"), None
        encoding = self.encoding
        if encoding is not None:
            try:
                return raw.decode(encoding), None
            except UnicodeDecodeError:
                return None, f"the line is not valid {encoding_name(encoding)}"
        for candidate in (UTF8, CP1252):
            try:
                text = raw.decode(candidate)
            except UnicodeDecodeError:
                continue
            self.encoding = candidate
            return text, None
        return None, "the line is neither UTF-8 nor Windows-1252"


def _last_line_end(buffer: bytes) -> int:
    """The index of the last line-ending byte of ``buffer`` that is safe to cut after.

    A ``\\r`` at the very end may be the first half of ``\\r\\n``: it waits for more.
    """
    return max(buffer.rfind(b"\n"), buffer.rfind(b"\r", 0, len(buffer) - 1))


def _first_line_end(buffer: bytes) -> int:
    found = [i for i in (buffer.find(b"\n"), buffer.find(b"\r")) if i >= 0]
    return min(found) if found else -1


def _split(region: bytes) -> list[bytes]:
    """Split ``region`` into lines; a last line without an ending is a line too."""
    lines = region.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    if not lines[-1]:
        lines.pop()
    return lines


_XML_DECLARATION: Final = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _declared_codec(declared: str, declaration: bytes) -> str:
    """The codec an XML declaration names, if it is a text encoding that reads the
    declaration itself as written (so not ``base64``, ``bz2``, ``rot13``, ``utf-16``).

    Raises:
        BatchError: an unknown encoding, or one that is not a text encoding.
    """
    try:
        info = codecs.lookup(declared)
    except LookupError:
        raise BatchError("the XML declaration names an unknown encoding", line=1) from None
    try:
        readable = getattr(info, "_is_text_encoding", True) and (
            declaration.decode(info.name) == declaration.decode("ascii")
        )
    except (UnicodeError, ValueError, TypeError, LookupError):
        readable = False
    if not readable:
        raise BatchError(
            "the XML declaration names an encoding that is not a text encoding for XML "
            "(use UTF-8 or Windows-1252)",
            line=1,
        )
    return info.name


class Chunks:
    """The text of an XML file in decoded chunks, for a parser fed with ``str``.

    The encoding comes from a byte order mark, else from the XML declaration, else it
    is UTF-8, falling back to Windows-1252 when the first non-ASCII bytes are not
    UTF-8 [ours]. A decoding error after that raises :class:`BatchError` with its line.
    """

    def __init__(self, opened: Opened) -> None:
        self._opened = opened
        self.encoding: str | None = UTF8 if opened.text_mode else None
        self.declared: str | None = None
        self._lines_before = 0

    def __iter__(self) -> Iterator[str]:
        read = self._opened.read
        first = read(CHUNK)
        for bom, codec in (
            (_BOM_UTF8, UTF8),
            (codecs.BOM_UTF16_LE, "utf-16-le"),
            (codecs.BOM_UTF16_BE, "utf-16-be"),
        ):
            if first.startswith(bom):
                first = first[len(bom) :]
                self.encoding = codec
                break
        else:
            match = _XML_DECLARATION.match(first)
            if match is not None and self.encoding is None:
                self.encoding = _declared_codec(match[1].decode("ascii"), first[: match.end()])
                self.declared = self.encoding
        decided = self.encoding is not None
        decoder = codecs.getincrementaldecoder(self.encoding or UTF8)()
        chunk = first
        while True:
            final = not chunk
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                if decided:
                    line = self._lines_before + chunk[: exc.start].count(b"\n") + 1
                    raise BatchError(
                        f"the file is not valid {encoding_name(self.encoding or UTF8)}",
                        line=line,
                    ) from None
                # No non-ASCII text has been seen yet: this file is Windows-1252.
                pending = decoder.getstate()[0]
                decoder = codecs.getincrementaldecoder(CP1252)()
                self.encoding = CP1252
                decided = True
                chunk = pending + chunk
                continue
            if not decided and not chunk.isascii():
                self.encoding = UTF8
                decided = True
            self._lines_before += chunk.count(b"\n")
            if text:
                yield text
            if final:
                return
            chunk = read(CHUNK)
