"""UPN (Unique Pupil Number).

The Department for Education gives every pupil in a maintained school in England a
13-character UPN, which follows them from school to school. The LRS batch files of
version 3A carry it.

A UPN is a check letter followed by twelve characters:

| position | length | meaning |
| --- | --- | --- |
| 1 | 1 | check letter |
| 2-4 | 3 | local authority (LA) code of the school that issued it |
| 5-8 | 4 | establishment number of that school |
| 9-10 | 2 | year of issue |
| 11-13 | 3 | serial number; a *temporary* UPN ends in a letter instead |

The check letter: give characters 2..13 the weights 2..13 (their positions), a digit
counting as its value and the letter of a temporary UPN as its index in
``ABCDEFGHJKLMNPQRTUVWXYZ`` (A = 0; the letters I, O and S are never used); the
weighted sum modulo 23 is the index of the check letter in that same list. As 23 is
prime and no weight is a multiple of it, every single substitution of one character
for another of a different value, and every swap of two adjacent characters, is caught.

Specified by the DfE in "Unique Pupil Numbers (UPNs): guidance" (gov.uk). Some help
pages print an example whose check letter is wrong; ``B801200005001`` below follows
the rule (8x2 + 1x4 + 2x5 + 5x10 + 1x13 = 93, 93 mod 23 = 1, letter B).

>>> validate('B801200005001')
'B801200005001'
>>> validate('B80120000500-1')
'B801200005001'
>>> validate('A801200005001')
Traceback (most recent call last):
    ...
uln.errors.InvalidChecksum: UPN: the check letter does not match
>>> validate('B8012000050')
Traceback (most recent call last):
    ...
uln.errors.InvalidLength: UPN: a UPN has exactly 13 characters
>>> validate('B80120000A001')
Traceback (most recent call last):
    ...
uln.errors.InvalidFormat: UPN: characters 2 to 12 of a UPN are digits
>>> calc_check_digit('801200005001')
'B'
>>> is_temporary('M80120000500A')
True
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from uln.errors import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError
from uln.identifiers._clean import SEPARATORS, clean

__all__ = [
    "CHECK_LETTERS",
    "FIELD",
    "LENGTH",
    "calc_check_digit",
    "compact",
    "format",
    "is_temporary",
    "is_valid",
    "validate",
]

FIELD: Final = "UPN"
"""The LRS field name, used in error messages."""

LENGTH: Final = 13
"""Number of characters in a UPN."""

CHECK_LETTERS: Final = "ABCDEFGHJKLMNPQRTUVWXYZ"
"""The 23 letters of a UPN, in order: check letter ``i`` stands for remainder ``i``."""

_WEIGHTS: Final = tuple(range(2, LENGTH + 1))
_VALUES: Final[Mapping[str, int]] = MappingProxyType(
    {**{str(d): d for d in range(10)}, **{c: i for i, c in enumerate(CHECK_LETTERS)}}
)
_ALPHANUMERIC: Final = re.compile(r"[0-9A-Z]*")
_DIGITS: Final = re.compile(r"[0-9]*")
_BODY: Final = re.compile(r"[0-9]{11}[0-9ABCDEFGHJKLMNPQRTUVWXYZ]")


def compact(number: str) -> str:
    """Remove spaces, tabs and dashes; other characters are left for :func:`validate`.

    Letters are not upper-cased and digits of other scripts are not folded: both make
    the value invalid.

    >>> compact(' B801-2000-05001 ')
    'B801200005001'
    """
    return clean(number, SEPARATORS, what="a UPN", field=FIELD)


def calc_check_digit(number: str) -> str:
    """Return the check letter for the twelve characters that follow it.

    >>> calc_check_digit('801200005001')
    'B'
    >>> calc_check_digit('80120000500A')
    'M'

    Raises:
        InvalidLength: not twelve characters.
        InvalidFormat: characters other than eleven digits and a final digit or
            letter of :data:`CHECK_LETTERS`.
    """
    number = compact(number)
    if not _ALPHANUMERIC.fullmatch(number):
        raise InvalidFormat("a UPN has only the characters 0-9 and A-Z", field=FIELD)
    if len(number) != LENGTH - 1:
        raise InvalidLength("the characters after the check letter are 12", field=FIELD)
    _check_body(number)
    return _check_letter(number)


def validate(number: str) -> str:
    """Return the UPN in its canonical form (13 characters), or raise.

    Raises:
        InvalidFormat: not a string, characters other than 0-9 and upper-case A-Z, or
            a character in the wrong place.
        InvalidLength: not 13 characters.
        InvalidChecksum: the check letter does not match.

    >>> validate('M80120000500A')
    'M80120000500A'
    """
    number = compact(number)
    if not _ALPHANUMERIC.fullmatch(number):
        raise InvalidFormat("a UPN has only the characters 0-9 and A-Z", field=FIELD)
    if len(number) != LENGTH:
        raise InvalidLength("a UPN has exactly 13 characters", field=FIELD)
    if number[0] not in CHECK_LETTERS:
        raise InvalidFormat(
            "the first character of a UPN is a check letter (A-Z without I, O and S)",
            field=FIELD,
        )
    _check_body(number[1:])
    if _check_letter(number[1:]) != number[0]:
        raise InvalidChecksum("the check letter does not match", field=FIELD)
    return number


def is_valid(number: object) -> bool:
    """Return whether ``number`` is a valid UPN. Never raises.

    >>> is_valid('B801200005001'), is_valid('b801200005001'), is_valid(None)
    (True, False, False)
    """
    if not isinstance(number, str):
        return False
    try:
        validate(number)
    except ValidationError:
        return False
    return True


def is_temporary(number: str) -> bool:
    """Return whether ``number`` is a valid *temporary* UPN (it ends in a letter).

    Raises the errors of :func:`validate` when it is not a valid UPN at all.

    >>> is_temporary('B801200005001'), is_temporary('M80120000500A')
    (False, True)
    """
    return validate(number)[-1] in CHECK_LETTERS


def format(number: str) -> str:
    """Return the UPN as it is printed: its 13 characters with nothing between them.

    >>> format('B801 2000 05001')
    'B801200005001'
    """
    return validate(number)


# -- internals ---------------------------------------------------------------------------


def _check_body(body: str) -> None:
    """Check the shape of the twelve characters after the check letter."""
    if not _BODY.fullmatch(body):
        if not _DIGITS.fullmatch(body[:-1]):
            raise InvalidFormat("characters 2 to 12 of a UPN are digits", field=FIELD)
        raise InvalidFormat(
            "the last character of a UPN is a digit or a letter other than I, O and S",
            field=FIELD,
        )


def _check_letter(body: str) -> str:
    """The check letter of a well-formed body of twelve characters."""
    total = sum(_VALUES[c] * w for c, w in zip(body, _WEIGHTS, strict=True))
    return CHECK_LETTERS[total % 23]
