"""SCN (Scottish Candidate Number).

The Scottish Qualifications Authority (SQA) gives every candidate a nine-digit
Scottish Candidate Number, which the LRS records in the field
``ScottishCandidateNumber``. Leading zeros are part of the number: ``012345678`` and
``12345678`` are different values, and only the first is the right length.

The last digit is a check digit: give the first eight digits the weights
3, 2, 7, 6, 5, 4, 3, 2 and let ``r`` be the weighted sum modulo 11; the check digit is
``11 - r``, or 0 when ``r`` is 0. When ``r`` is 1 the check would be 10, so no SCN
starts with those eight digits. Equivalently, the weighted sum of all nine digits
(weight 1 on the check digit) is a multiple of 11. As 11 is prime and no weight is a
multiple of it, every single-digit error and every swap of two adjacent digits is
caught.

Specified by the SQA (the candidate number in its data exchange specifications).

>>> validate('000000019')
'000000019'
>>> validate('000 000 019')
'000000019'
>>> validate('000000018')
Traceback (most recent call last):
    ...
uln.errors.InvalidChecksum: ScottishCandidateNumber: the check digit does not match
>>> validate('00000019')
Traceback (most recent call last):
    ...
uln.errors.InvalidLength: ScottishCandidateNumber: an SCN has exactly 9 digits
>>> calc_check_digit('00000001')
'9'
>>> calc_check_digit('00000006')
Traceback (most recent call last):
    ...
uln.errors.InvalidComponent: ScottishCandidateNumber: no check digit exists for these 8 digits
"""

from __future__ import annotations

import re
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
    "FIELD",
    "LENGTH",
    "calc_check_digit",
    "compact",
    "format",
    "is_valid",
    "validate",
]

FIELD: Final = "ScottishCandidateNumber"
"""The LRS field name, used in error messages."""

LENGTH: Final = 9
"""Number of digits in an SCN."""

_WEIGHTS: Final = (3, 2, 7, 6, 5, 4, 3, 2)
_DIGITS: Final = re.compile(r"[0-9]*")


def compact(number: str) -> str:
    """Remove spaces, tabs and dashes; other characters are left for :func:`validate`.

    Leading zeros are kept, and digits of other scripts are not folded: they make the
    value invalid.

    >>> compact(' 012-345-678 ')
    '012345678'
    """
    return clean(number, SEPARATORS, what="an SCN", field=FIELD)


def calc_check_digit(number: str) -> str:
    """Return the check digit for the first eight digits of an SCN.

    >>> calc_check_digit('12345678')
    '5'

    Raises:
        InvalidFormat: characters other than 0-9.
        InvalidLength: not eight digits.
        InvalidComponent: no check digit exists (the weighted sum modulo 11 is 1).
    """
    number = compact(number)
    if not _DIGITS.fullmatch(number):
        raise InvalidFormat("an SCN has only the digits 0-9", field=FIELD)
    if len(number) != LENGTH - 1:
        raise InvalidLength("the digits before the check digit are 8", field=FIELD)
    r = _remainder(number)
    if r == 1:
        raise InvalidComponent("no check digit exists for these 8 digits", field=FIELD)
    return str((11 - r) % 11)


def validate(number: str) -> str:
    """Return the SCN in its canonical form (nine digits, leading zeros kept), or raise.

    Raises:
        InvalidFormat: not a string, or characters other than 0-9.
        InvalidLength: not nine digits (a number whose leading zeros were lost, too).
        InvalidChecksum: the check digit does not match, or none exists for the first
            eight digits.

    >>> validate('123456785')
    '123456785'
    """
    number = compact(number)
    if not _DIGITS.fullmatch(number):
        raise InvalidFormat("an SCN has only the digits 0-9", field=FIELD)
    if len(number) != LENGTH:
        raise InvalidLength("an SCN has exactly 9 digits", field=FIELD)
    if (_remainder(number[:-1]) + int(number[-1])) % 11 != 0:
        raise InvalidChecksum("the check digit does not match", field=FIELD)
    return number


def is_valid(number: object) -> bool:
    """Return whether ``number`` is a valid SCN. Never raises.

    >>> is_valid('123456785'), is_valid('１２３４５６７８５'), is_valid(123456785)
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
    """Return the SCN as it is printed: its nine digits with nothing between them.

    >>> format('012 345 674')
    '012345674'
    """
    return validate(number)


def _remainder(digits: str) -> int:
    """The weighted sum (weights 3, 2, 7, 6, 5, 4, 3, 2) of eight digits, modulo 11."""
    return sum(int(d) * w for d, w in zip(digits, _WEIGHTS, strict=True)) % 11
