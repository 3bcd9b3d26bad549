"""National Insurance number (NINO).

HM Revenue & Customs and the Department for Work and Pensions give every UK resident a
National Insurance number: two prefix letters, six digits and a suffix letter ``A``,
``B``, ``C`` or ``D``, printed ``AB 12 34 56 C``. The suffix is sometimes left out (or
written as a space); the number is the same. There is no check digit, so only the
letters can be checked (see :data:`RULES`):

- the first letter is never ``D``, ``F``, ``I``, ``Q``, ``U`` or ``V``;
- the second letter is never ``D``, ``F``, ``I``, ``O``, ``Q``, ``U`` or ``V``;
- the prefixes ``BG``, ``GB``, ``KN``, ``NK``, ``NT``, ``TN`` and ``ZZ`` are never
  allocated. ``QQ 12 34 56 C``, the specimen printed on forms, is invalid on purpose.

Specified by HMRC's National Insurance Manual (NIM39110).

**A National Insurance number must not be used as a learner identifier** (the LRS
and the ILR both say so). :func:`looks_like_nino` lets a learner-record field refuse
one.

>>> validate('AB 12 34 56 C')
'AB123456C'
>>> validate('ab123456c')
'AB123456C'
>>> validate('AB123456')
'AB123456'
>>> format('ab123456c')
'AB 12 34 56 C'
>>> validate('QQ123456C')
Traceback (most recent call last):
    ...
uln.errors.InvalidComponent: NationalInsuranceNumber: the first letter is not D, F, I, Q, U or V
>>> validate('GB123456A')
Traceback (most recent call last):
    ...
uln.errors.InvalidComponent: NationalInsuranceNumber: the prefix is not BG, GB, KN, NK, NT, TN or ZZ
>>> validate('AB123456E')
Traceback (most recent call last):
    ...
uln.errors.InvalidComponent: NationalInsuranceNumber: the suffix letter is A, B, C or D
>>> looks_like_nino('Ab.12.34.56/c'), looks_like_nino('MIS-000123')
(True, False)
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from uln.errors import InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from uln.identifiers._clean import clean

__all__ = [
    "FIELD",
    "RULES",
    "compact",
    "format",
    "is_valid",
    "looks_like_nino",
    "validate",
]

FIELD: Final = "NationalInsuranceNumber"
"""The field name, used in error messages."""

RULES: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "first_letter_not": frozenset("DFIQUV"),
        "second_letter_not": frozenset("DFIOQUV"),
        "prefix_not": frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}),
        "suffix": frozenset("ABCD"),
    }
)
"""[spec] Every letter rule of a National Insurance number, in one table.

``first_letter_not`` and ``second_letter_not`` are the letters never used in those
places, ``prefix_not`` the prefixes never allocated, ``suffix`` the suffix letters.
"""

_SHAPE: Final = re.compile(r"[A-Z]{2}[0-9]{6}[A-Z]?")
_ALPHANUMERIC: Final = re.compile(r"[0-9A-Z]*")
# Only ASCII letters are upper-cased: str.upper() would turn 'ß' into 'SS'.
_COMPACT: Final = str.maketrans(string.ascii_lowercase, string.ascii_uppercase, " -\t")
_LOOSE_SEPARATOR: Final = r"[\s\-./_]"
_LOOSE_SEPARATORS: Final = re.compile(f"{_LOOSE_SEPARATOR}+")
_LOOSE_SHAPE: Final = re.compile(
    f"(?:{_LOOSE_SEPARATOR}*[A-Za-z]){{2}}(?:{_LOOSE_SEPARATOR}*[0-9]){{6}}"
    f"(?:{_LOOSE_SEPARATOR}*[A-Za-z])?{_LOOSE_SEPARATOR}*"
)
"""All :func:`looks_like_nino` can accept: two letters, six digits and an optional
letter, with separators anywhere; other text is refused without building the
exceptions :func:`validate` raises (it is asked of every MIS identifier in a batch)."""


def compact(number: str) -> str:
    """Remove spaces, tabs and dashes and upper-case the letters A-Z.

    Other characters are left for :func:`validate`; digits of other scripts are not
    folded, and only ASCII letters are upper-cased.

    >>> compact(' ab 12-34-56 c ')
    'AB123456C'
    """
    return clean(number, _COMPACT, what="a National Insurance number", field=FIELD)


def validate(number: str) -> str:
    """Return the number in its canonical form (``AB123456C``, or ``AB123456``), or raise.

    Raises:
        InvalidFormat: not a string, or not two letters, six digits and an optional
            suffix letter.
        InvalidLength: not 8 or 9 characters.
        InvalidComponent: a letter or prefix that is never used (see :data:`RULES`).

    >>> validate('SN 00 00 00 A')
    'SN000000A'
    """
    number = compact(number)
    if not _ALPHANUMERIC.fullmatch(number):
        raise InvalidFormat(
            "a National Insurance number has only the characters 0-9 and A-Z", field=FIELD
        )
    if len(number) not in (8, 9):
        raise InvalidLength(
            "a National Insurance number has 8 characters and an optional suffix letter",
            field=FIELD,
        )
    if not _SHAPE.fullmatch(number):
        raise InvalidFormat(
            "a National Insurance number is 2 letters, 6 digits and a suffix letter",
            field=FIELD,
        )
    error = _letter_error(number)
    if error is not None:
        raise error
    return number


def is_valid(number: object) -> bool:
    """Return whether ``number`` is a valid National Insurance number. Never raises.

    >>> is_valid('AB123456C'), is_valid('QQ123456C'), is_valid(None)
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
    """Return the number as it is printed: ``AB 12 34 56 C`` (``AB 12 34 56`` without suffix).

    >>> format('AB123456C'), format('ab123456')
    ('AB 12 34 56 C', 'AB 12 34 56')
    """
    number = validate(number)
    return " ".join((number[:2], number[2:4], number[4:6], number[6:8], number[8:])).rstrip()


def looks_like_nino(text: object) -> bool:
    """Return whether ``text`` is a National Insurance number, however it is written.

    For fields that must not hold one (a learner's MIS identifier, for instance).
    Looser than :func:`is_valid`: any whitespace, dashes, dots, slashes and
    underscores are ignored. The whole text must be the number. Never raises.

    >>> looks_like_nino('AB 12 34 56 C'), looks_like_nino('ab/123456'), looks_like_nino(None)
    (True, True, False)
    >>> looks_like_nino('QQ123456C')  # the specimen on forms is not a real number
    False
    """
    if not isinstance(text, str) or _LOOSE_SHAPE.fullmatch(text) is None:
        return False
    return is_valid(_LOOSE_SEPARATORS.sub("", text))


def _letter_error(number: str) -> ValidationError | None:
    """The broken letter rule of a well-shaped number, if any."""
    if number[0] in RULES["first_letter_not"]:
        rule = f"the first letter is not {_listed(RULES['first_letter_not'])}"
    elif number[1] in RULES["second_letter_not"]:
        rule = f"the second letter is not {_listed(RULES['second_letter_not'])}"
    elif number[:2] in RULES["prefix_not"]:
        rule = f"the prefix is not {_listed(RULES['prefix_not'])}"
    elif number[8:] and number[8] not in RULES["suffix"]:
        rule = f"the suffix letter is {_listed(RULES['suffix'])}"
    else:
        return None
    return InvalidComponent(rule, field=FIELD)


def _listed(values: frozenset[str]) -> str:
    """``'A, B, C or D'``."""
    *rest, last = sorted(values)
    return f"{', '.join(rest)} or {last}" if rest else last
