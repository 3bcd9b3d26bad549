"""UKPRN (UK Provider Reference Number).

The UK Register of Learning Providers (UKRLP) gives every learning provider a UKPRN:
eight digits from ``10000000`` to ``99999999``. Every Learner Registration Body that
talks to the Learning Records Service is known by its UKPRN, and a batch file's name
carries it (``LRB_<UKPRN>_<DDMMYYYYHHMM>.CSV``). A UKPRN has no check digit, so only
its shape and range can be checked.

Organisations in the LRS test environment have UKPRNs made of letters and digits
(``TEST0038``): the web-service field is ``[0-9A-Za-z]{8}``. They are accepted only
when asked for with ``allow_test=True``.

Specified by the UKRLP (https://www.ukrlp.co.uk) and the LRS web-service schema.

>>> validate('10001234')
'10001234'
>>> validate(' 1000 1234 ')
'10001234'
>>> validate('01234567')
Traceback (most recent call last):
    ...
uln.errors.InvalidComponent: UKPRN: a UKPRN is between 10000000 and 99999999
>>> validate('1000123')
Traceback (most recent call last):
    ...
uln.errors.InvalidLength: UKPRN: a UKPRN has exactly 8 characters
>>> validate('TEST0038')
Traceback (most recent call last):
    ...
uln.errors.InvalidFormat: UKPRN: a UKPRN has only the digits 0-9 (letters need allow_test=True)
>>> validate('TEST0038', allow_test=True)
'TEST0038'
"""

from __future__ import annotations

import re
from typing import Final

from uln.errors import InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from uln.identifiers._clean import SEPARATORS, clean

__all__ = [
    "FIELD",
    "LENGTH",
    "MAXIMUM",
    "MINIMUM",
    "TEST_PATTERN",
    "compact",
    "format",
    "is_test",
    "is_valid",
    "validate",
]

FIELD: Final = "UKPRN"
"""The LRS field name, used in error messages."""

LENGTH: Final = 8
"""Number of characters in a UKPRN."""

MINIMUM: Final = 10_000_000
"""The smallest UKPRN."""

MAXIMUM: Final = 99_999_999
"""The largest UKPRN."""

TEST_PATTERN: Final = re.compile(r"[0-9A-Za-z]{8}")
"""[client] The LRS web-service field: test organisations use letters (``TEST0038``).

A value of eight ASCII letters and digits with at least one letter is a test UKPRN
(accepted only with ``allow_test=True``); eight digits always follow the range rule.
Its case is kept as given.
"""

_DIGITS: Final = re.compile(r"[0-9]+")
_ALPHANUMERIC: Final = re.compile(r"[0-9A-Za-z]*")


def compact(number: str) -> str:
    """Remove spaces, tabs and dashes; other characters are left for :func:`validate`.

    Digits of other scripts (``'１'``) are not folded: they make the value invalid.

    >>> compact(' 1000-1234 ')
    '10001234'
    """
    return clean(number, SEPARATORS, what="a UKPRN", field=FIELD)


def validate(number: str, *, allow_test: bool = False) -> str:
    """Return the UKPRN in its canonical form (eight digits), or raise.

    With ``allow_test=True`` the letters-and-digits UKPRNs of LRS test organisations
    (``TEST0038``) are accepted as well, in the case they were given.

    Raises:
        InvalidFormat: not a string, or characters other than 0-9 (and, with
            ``allow_test=True``, A-Z and a-z).
        InvalidLength: not eight characters.
        InvalidComponent: eight digits outside 10000000..99999999.

    >>> validate('1000-1234')
    '10001234'
    >>> validate('test0038', allow_test=True)
    'test0038'
    """
    number = compact(number)
    if _DIGITS.fullmatch(number):
        if len(number) != LENGTH:
            raise InvalidLength("a UKPRN has exactly 8 characters", field=FIELD)
        if not MINIMUM <= int(number) <= MAXIMUM:
            raise InvalidComponent("a UKPRN is between 10000000 and 99999999", field=FIELD)
        return number
    if allow_test:
        if not _ALPHANUMERIC.fullmatch(number):
            raise InvalidFormat("a UKPRN has only the characters 0-9, A-Z and a-z", field=FIELD)
        if not TEST_PATTERN.fullmatch(number):
            raise InvalidLength("a UKPRN has exactly 8 characters", field=FIELD)
        return number
    if not number:
        raise InvalidLength("a UKPRN has exactly 8 characters", field=FIELD)
    raise InvalidFormat(
        "a UKPRN has only the digits 0-9 (letters need allow_test=True)", field=FIELD
    )


def is_valid(number: object, *, allow_test: bool = False) -> bool:
    """Return whether ``number`` is a valid UKPRN. Never raises.

    >>> is_valid('10001234'), is_valid('１０００１２３４'), is_valid(10001234)
    (True, False, False)
    >>> is_valid('TEST0038'), is_valid('TEST0038', allow_test=True)
    (False, True)
    """
    if not isinstance(number, str):
        return False
    try:
        validate(number, allow_test=allow_test)
    except ValidationError:
        return False
    return True


def is_test(number: str) -> bool:
    """Return whether ``number`` is a valid UKPRN of an LRS test organisation.

    Raises the errors of ``validate(number, allow_test=True)`` when it is not a UKPRN
    of either kind.

    >>> is_test('TEST0038'), is_test('10001234')
    (True, False)
    """
    return not _DIGITS.fullmatch(validate(number, allow_test=True))


def format(number: str, *, allow_test: bool = False) -> str:
    """Return the UKPRN as it is printed: its eight characters with nothing between them.

    >>> format('1000 1234')
    '10001234'
    """
    return validate(number, allow_test=allow_test)
