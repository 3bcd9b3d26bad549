"""Gender: the LRS codes 0, 1, 2 and 9, and the words an MIS uses for them.

The LRS field ``Gender`` holds an ISO/IEC 5218 code [client]: 0 not known, 1 male,
2 female, 9 not specified (:class:`uln.enums.Gender`). MIS exports also write
``M``/``F`` or words; :func:`parse_gender` reads the ones in :data:`GENDER_WORDS` and
refuses the rest, so a value is never guessed.

>>> parse_gender("F"), parse_gender(1), parse_gender(" Not known ")
(<Gender.FEMALE: 2>, <Gender.MALE: 1>, <Gender.NOT_KNOWN: 0>)
>>> parse_gender("3")
Traceback (most recent call last):
    ...
uln.errors.InvalidGender: Gender: the gender is not one of 0, 1, 2 or 9 or a recognised word
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Final

from uln.enums import Gender
from uln.errors import InvalidFormat, InvalidGender, MissingValue

__all__ = ["GENDER_WORDS", "parse_gender"]

GENDER_WORDS: Final = MappingProxyType(
    {
        # the LRS codes [client]
        "0": Gender.NOT_KNOWN,
        "1": Gender.MALE,
        "2": Gender.FEMALE,
        "9": Gender.NOT_SPECIFIED,
        # words and letters that MIS exports use [ours]
        "m": Gender.MALE,
        "male": Gender.MALE,
        "man": Gender.MALE,
        "boy": Gender.MALE,
        "f": Gender.FEMALE,
        "female": Gender.FEMALE,
        "woman": Gender.FEMALE,
        "girl": Gender.FEMALE,
        "u": Gender.NOT_KNOWN,
        "unknown": Gender.NOT_KNOWN,
        "not known": Gender.NOT_KNOWN,
        "x": Gender.NOT_SPECIFIED,
        "not specified": Gender.NOT_SPECIFIED,
        "unspecified": Gender.NOT_SPECIFIED,
        "not stated": Gender.NOT_SPECIFIED,
        "withheld": Gender.NOT_SPECIFIED,
        "prefer not to say": Gender.NOT_SPECIFIED,
        "other": Gender.NOT_SPECIFIED,
        "non binary": Gender.NOT_SPECIFIED,
        "nonbinary": Gender.NOT_SPECIFIED,
    }
)
"""Text accepted by :func:`parse_gender` and the code each gives [ours].

Keys are lower case with single spaces; input is trimmed, lower-cased, and has
``_`` and ``-`` read as spaces, so ``NOT_KNOWN`` and ``Non-Binary`` are found too.
``X``, ``other`` and ``non-binary`` give 9 (not specified): the LRS has no other
code, and 9 never counts against a match. Anything else is refused.
"""

_SEPARATORS = re.compile(r"[\s_-]+")
_CODES = {int(g): g for g in Gender}
_WORDS: Final[dict[str, Gender]] = dict(GENDER_WORDS)  # a plain dict: quicker to look up


def parse_gender(value: str | int, *, field: str = "Gender") -> Gender:
    """Read a gender from an LRS code (as an int or text) or a word of :data:`GENDER_WORDS`.

    Args:
        value: the code or word; a :class:`~uln.enums.Gender` is returned as it is.
        field: the field named in error messages.

    Raises:
        InvalidFormat: ``value`` is neither a string nor an int (``True`` is refused).
        MissingValue: the text is empty or only whitespace.
        InvalidGender: the code or word is not one we know.

    >>> parse_gender("female"), parse_gender("NOT_SPECIFIED"), parse_gender(9)
    (<Gender.FEMALE: 2>, <Gender.NOT_SPECIFIED: 9>, <Gender.NOT_SPECIFIED: 9>)
    """
    if type(value) is str:
        # Most values are a key as they stand, or once trimmed and lower-cased; what
        # the separator rule would find then is the same key.
        gender = _WORDS.get(value)
        if gender is None:
            gender = _WORDS.get(value.strip().lower())
        if gender is not None:
            return gender
    if isinstance(value, Gender):
        return value
    if isinstance(value, str):
        key = _SEPARATORS.sub(" ", value).strip().lower()
        if not key:
            raise MissingValue("a gender is required", field=field)
        gender = _WORDS.get(key)
        if gender is None:
            raise InvalidGender(
                "the gender is not one of 0, 1, 2 or 9 or a recognised word", field=field
            )
        return gender
    if isinstance(value, int) and not isinstance(value, bool):
        gender = _CODES.get(value)
        if gender is None:
            raise InvalidGender("the gender is not one of 0, 1, 2 or 9", field=field)
        return gender
    raise InvalidFormat(
        f"a gender must be given as a string or an int, not {type(value).__name__}", field=field
    )
