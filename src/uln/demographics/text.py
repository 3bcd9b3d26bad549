"""Free-text fields: titles, address lines, schools, places, notes.

The LRS gives these fields only a maximum length. They are trimmed, runs of white
space are collapsed to one space, the text is put in Unicode NFC, and control
characters are refused (they break batch files and terminals). Line breaks are
allowed only where ``multiline=True`` (the ``Notes`` field).

>>> normalise_text("  12   High  Street ", field="LastKnownAddressLine1", max_length=50)
'12 High Street'
>>> normalise_text("x" * 51, field="LastKnownAddressLine1", max_length=50)
Traceback (most recent call last):
    ...
uln.errors.InvalidLength: LastKnownAddressLine1: at most 50 characters are allowed
"""

from __future__ import annotations

import functools
import re
import unicodedata

from uln.errors import InvalidFormat, InvalidLength, MissingValue

__all__ = ["normalise_text"]

_SPACES = re.compile(r"[^\S\n]+")
# Control characters, and lone surrogates: no file encoding can hold them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_NO_NEWLINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def normalise_text(text: object, *, field: str, max_length: int, multiline: bool = False) -> str:
    """Return ``text`` trimmed, with white space collapsed, in NFC; or raise.

    Raises :class:`~uln.errors.MissingValue` for an empty value,
    :class:`~uln.errors.InvalidLength` past ``max_length`` characters and
    :class:`~uln.errors.InvalidFormat` for control characters or a non-string.
    """
    if not isinstance(text, str):
        raise InvalidFormat(f"a text value is required, not {type(text).__name__}", field=field)
    if len(text) > CACHED_LENGTH:  # not cached: a huge value must not stay in memory
        result = _normalise_uncached(text, multiline)
    else:
        result = _normalise(text, multiline)
    if isinstance(result, type):
        raise result(_RULES[result], field=field)
    if len(result) > max_length:
        raise InvalidLength(f"at most {max_length} characters are allowed", field=field)
    return result


_RULES: dict[type[Exception], str] = {
    MissingValue: "a value is required",
    InvalidFormat: "control characters and lone surrogates are not allowed",
}


CACHED_LENGTH = 256
"""[ours] The longest text whose outcome is remembered (texts repeat: towns, schools).

Longer texts are checked every time: the cache holds at most ``CACHE_SIZE`` entries
of at most this many characters, so it never holds more than about 17 million
characters, however many or long the texts it is given."""

CACHE_SIZE = 65536
"""[ours] The most outcomes remembered."""


def _normalise_uncached(
    text: str, multiline: bool
) -> str | type[MissingValue] | type[InvalidFormat]:
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if _CONTROL.search(text):
            return InvalidFormat
        text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n")).strip()
    else:
        # A tab is white space, not a control character, in a single-line field.
        text = text.replace("\t", " ")
        if _CONTROL_NO_NEWLINE.search(text):
            return InvalidFormat
        text = _SPACES.sub(" ", text).strip()
    if not text:
        return MissingValue
    return unicodedata.normalize("NFC", text)


_normalise = functools.lru_cache(maxsize=CACHE_SIZE)(_normalise_uncached)
