"""UCI (Unique Candidate Identifier).

The awarding organisations of the Joint Council for Qualifications (JCQ) know an exam
candidate by a 13-character UCI that stays the same across centres, awarding
organisations and exam series. The LRS batch files of version 3A carry it.

| position | length | meaning |
| --- | --- | --- |
| 1-5 | 5 | number of the centre where the candidate first entered |
| 6 | 1 | awarding body identifier: usually ``0``, sometimes a letter (see below) |
| 7-8 | 2 | year of registration |
| 9-12 | 4 | candidate number, 0001 to 9999 |
| 13 | 1 | check letter |

The check letter: give characters 1..12 the weights 16, 15, ..., 5; the weighted sum
modulo 17 is the index of the check letter in ``ABCDEFGHKLMRTVWXY`` (A = 0). A digit
counts as its value and a letter in position 6 as its place in the alphabet (A = 1,
see :data:`SIXTH_CHARACTER_VALUES`). As 17 is prime and no weight is a multiple of it,
every single substitution of one character for another of a different value, and every
swap of two adjacent characters, is caught.

Specified by the JCQ ("Unique Candidate Identifiers") and the awarding organisations'
guides for exams officers (WJEC, Pearson). ``681990012058G`` is the worked example:
6x16 + 8x15 + 1x14 + 9x13 + 9x12 + 1x9 + 2x8 + 5x6 + 8x5 = 550, 550 mod 17 = 6, G.

>>> validate('681990012058G')
'681990012058G'
>>> validate('68199 0 01 2058 G')
'681990012058G'
>>> validate('681990012058H')
Traceback (most recent call last):
    ...
uln.errors.InvalidChecksum: UCI: the check letter does not match
>>> validate('681990012058I')
Traceback (most recent call last):
    ...
uln.errors.InvalidFormat: UCI: the last character is a check letter (one of ABCDEFGHKLMRTVWXY)
>>> validate('681990010000A')
Traceback (most recent call last):
    ...
uln.errors.InvalidComponent: UCI: the candidate number is 0001 to 9999
>>> calc_check_digit('6819900120 58')
'G'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from uln.errors import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)
from uln.identifiers._clean import SEPARATORS, clean

__all__ = [
    "CHECK_LETTERS",
    "FIELD",
    "LENGTH",
    "SIXTH_CHARACTER_VALUES",
    "calc_check_digit",
    "compact",
    "format",
    "is_valid",
    "validate",
]

FIELD: Final = "UCI"
"""The LRS field name, used in error messages."""

LENGTH: Final = 13
"""Number of characters in a UCI."""

CHECK_LETTERS: Final = "ABCDEFGHKLMRTVWXY"
"""The 17 check letters, in order: check letter ``i`` stands for remainder ``i``."""

SIXTH_CHARACTER_VALUES: Final[Mapping[str, int]] = MappingProxyType(
    {
        **{str(d): d for d in range(10)},
        **{chr(ord("A") + i): i + 1 for i in range(16)},
    }
)
"""The value of the awarding body identifier (position 6) in the check sum.

A digit counts as its value. [client] A letter counts as its place in the alphabet,
``A`` = 1 to ``P`` = 16: two independent public implementations agree on these (the
letters in use are ``A`` OCR, ``B`` Pearson international centres, ``C`` AQA,
``E`` WJEC, ``G`` CCEA). [ours] ``Q`` to ``Z`` are refused
(:class:`~uln.errors.InvalidComponent`): the public sources disagree on their values
and none is known to be in use. Lower-case letters are refused like everywhere else.
"""

_WEIGHTS: Final = tuple(range(16, 4, -1))
_ALPHANUMERIC: Final = re.compile(r"[0-9A-Z]*")
_BODY: Final = re.compile(r"[0-9]{5}[0-9A-Z][0-9]{6}")


def compact(number: str) -> str:
    """Remove spaces, tabs and dashes; other characters are left for :func:`validate`.

    Letters are not upper-cased and digits of other scripts are not folded: both make
    the value invalid.

    >>> compact('68199 0 01 2058 G')
    '681990012058G'
    """
    return clean(number, SEPARATORS, what="a UCI", field=FIELD)


def calc_check_digit(number: str) -> str:
    """Return the check letter for the first twelve characters of a UCI.

    >>> calc_check_digit('689990980001')
    'D'

    Raises:
        InvalidLength: not twelve characters.
        InvalidFormat: characters other than digits, or a letter elsewhere than in
            position 6.
        InvalidComponent: a letter in position 6 without a known value, or candidate
            number 0000.
    """
    number = compact(number)
    if not _ALPHANUMERIC.fullmatch(number):
        raise InvalidFormat("a UCI has only the characters 0-9 and A-Z", field=FIELD)
    if len(number) != LENGTH - 1:
        raise InvalidLength("the characters before the check letter are 12", field=FIELD)
    _check_body(number)
    return _check_letter(number)


def validate(number: str) -> str:
    """Return the UCI in its canonical form (13 characters), or raise.

    Raises:
        InvalidFormat: not a string, characters other than 0-9 and upper-case A-Z, or
            a character in the wrong place.
        InvalidLength: not 13 characters.
        InvalidComponent: a letter in position 6 without a known value
            (see :data:`SIXTH_CHARACTER_VALUES`), or candidate number 0000.
        InvalidChecksum: the check letter does not match.

    >>> validate('99999B090001H')
    '99999B090001H'
    """
    number = compact(number)
    if not _ALPHANUMERIC.fullmatch(number):
        raise InvalidFormat("a UCI has only the characters 0-9 and A-Z", field=FIELD)
    if len(number) != LENGTH:
        raise InvalidLength("a UCI has exactly 13 characters", field=FIELD)
    _check_body(number[:-1])
    if number[-1] not in CHECK_LETTERS:
        raise InvalidFormat(
            f"the last character is a check letter (one of {CHECK_LETTERS})",
            field=FIELD,
        )
    if _check_letter(number[:-1]) != number[-1]:
        raise InvalidChecksum("the check letter does not match", field=FIELD)
    return number


def is_valid(number: object) -> bool:
    """Return whether ``number`` is a valid UCI. Never raises.

    >>> is_valid('681990012058G'), is_valid('681990012058g'), is_valid(None)
    (True, False, False)
    """
    if not isinstance(number, str):
        return False
    try:
        validate(number)
    except ValidationError:
        return False
    return True


def format(number: str) -> str:
    """Return the UCI as it is printed: its 13 characters with nothing between them.

    >>> format('68199-0-01-2058-G')
    '681990012058G'
    """
    return validate(number)


# -- internals ---------------------------------------------------------------------------


def _check_body(body: str) -> None:
    """Check the shape and parts of the twelve characters before the check letter."""
    if not _BODY.fullmatch(body):
        raise InvalidFormat(
            "a UCI is 5 digits, a digit or letter, 6 digits and a check letter", field=FIELD
        )
    if body[5] not in SIXTH_CHARACTER_VALUES:
        raise InvalidComponent(
            "the awarding body identifier (character 6) is a digit or a letter A-P",
            field=FIELD,
        )
    if body[8:12] == "0000":
        raise InvalidComponent("the candidate number is 0001 to 9999", field=FIELD)


def _check_letter(body: str) -> str:
    """The check letter of a well-formed body of twelve characters."""
    total = sum(
        (SIXTH_CHARACTER_VALUES[c] if i == 5 else int(c)) * w
        for i, (c, w) in enumerate(zip(body, _WEIGHTS, strict=True))
    )
    return CHECK_LETTERS[total % 17]
