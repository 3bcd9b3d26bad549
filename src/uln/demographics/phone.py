"""Telephone numbers: read with :mod:`phonenumbers`, stored as E.164.

:func:`normalise_phone` reads a number as a person typed it (national form for the
``region``, ``GB`` by default, or international with ``+`` or ``00``) and returns its
E.164 form, ``+447911123456``: a plain string, hashable and comparable, where the
``phonenumbers`` objects are mutable.

By default only numbers that ``phonenumbers`` calls *valid* (in a range that is
allocated for use) are accepted. ``accept_possible=True`` also takes numbers that
are merely *possible* (the right length for their country). The Ofcom ranges kept
for drama and examples, such as ``07700 900000`` to ``07700 900999`` and
``01632 960xxx``, are possible but not valid: they are refused unless you ask for
them, which is what test data made up with them needs [ours].

An extension (``ext. 12``) cannot be written in E.164 and is dropped: the number
still reaches the switchboard [ours].

>>> normalise_phone("07911 123456")
'+447911123456'
>>> normalise_phone("+44 (0)20 7946 0000")
'+442079460000'
>>> normalise_phone("07700 900123")
Traceback (most recent call last):
    ...
uln.errors.InvalidPhone: Telephone: the number is not in a range in use (a drama ...
>>> normalise_phone("07700 900123", accept_possible=True)
'+447700900123'
"""

from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType
from typing import Final

import attrs
import phonenumbers

from uln.errors import InvalidFormat, InvalidPhone, MissingValue, ValidationError

__all__ = ["DEFAULT_REGION", "normalise_phone"]

DEFAULT_REGION = "GB"
"""The region a number without ``+`` or ``00`` is read in."""

_E164 = phonenumbers.PhoneNumberFormat.E164
_PARSE_RULES: Final = MappingProxyType(
    {
        phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: (
            "the country code is missing or not known"
        ),
        phonenumbers.NumberParseException.NOT_A_NUMBER: "the value is not a telephone number",
        phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "the number is too short",
        phonenumbers.NumberParseException.TOO_SHORT_NSN: "the number is too short",
        phonenumbers.NumberParseException.TOO_LONG: "the number is too long",
    }
)
_MAX_INPUT = 250  # phonenumbers refuses longer text too
_RULE_NOT_POSSIBLE = "the number has the wrong length or shape for its country"
_RULE_NOT_VALID = "the number is not in a range in use (a drama or reserved number?)"


def normalise_phone(
    text: str,
    *,
    region: str | None = DEFAULT_REGION,
    accept_possible: bool = False,
    field: str = "Telephone",
) -> str:
    """Read a telephone number and return it in E.164 form (``+447911123456``).

    Args:
        text: the number as typed: spaces, brackets, dashes, ``+44`` or ``0044`` are fine.
        region: the ISO 3166-1 alpha-2 region for numbers written in national form;
            ``None`` accepts international numbers only.
        accept_possible: also accept numbers that have a possible length and shape but
            are not in a range in use (drama numbers such as ``07700 900123``).
        field: the field named in error messages.

    Raises:
        InvalidFormat: ``text`` is not a string.
        MissingValue: the text is empty or only whitespace.
        InvalidPhone: the text is not a telephone number, or not a valid one; the
            error from :mod:`phonenumbers`, if any, is its ``__cause__``.

    >>> normalise_phone("0044 7911 123456"), normalise_phone("+1 650-253-0000")
    ('+447911123456', '+16502530000')
    >>> normalise_phone("0161 496 0000", accept_possible=True)
    '+441614960000'
    """
    if not isinstance(text, str):
        raise InvalidFormat(
            f"a telephone number must be given as a string, not {type(text).__name__}",
            field=field,
        )
    if len(text) > _MAX_INPUT:  # not cached: a huge value must not stay in memory
        raise InvalidPhone("the number is too long", field=field)
    result = _normalise(str(text), region, accept_possible)
    if isinstance(result, str):
        return result
    if result.cause is not None:
        raise result.error(result.rule, field=field) from result.cause
    raise result.error(result.rule, field=field)


# -- internals ---------------------------------------------------------------------------


@attrs.frozen
class _Failure:
    error: type[ValidationError]
    rule: str
    cause: Exception | None = None


@lru_cache(maxsize=16384)
def _normalise(text: str, region: str | None, accept_possible: bool) -> str | _Failure:
    if not text.strip():
        return _Failure(MissingValue, "a telephone number is required")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        rule = _PARSE_RULES.get(exc.error_type, "the value is not a telephone number")
        return _Failure(InvalidPhone, rule, exc.with_traceback(None))  # frames not kept in cache
    if not phonenumbers.is_valid_number(number):
        if not phonenumbers.is_possible_number(number):
            return _Failure(InvalidPhone, _RULE_NOT_POSSIBLE)
        if not accept_possible:
            return _Failure(InvalidPhone, _RULE_NOT_VALID)
    return str(phonenumbers.format_number(number, _E164))
