"""ULN (Unique Learner Number) validation and generation.

The Learning Records Service gives every learner in England, Wales and Northern
Ireland a ten-digit ULN. Its first digit is never 0 and its last digit is a check
digit: with weights 10, 9, ..., 1 on all ten digits, the weighted sum modulo 11 is 10.
Equivalently, with weights 10..2 on the first nine digits and ``r = sum % 11``, the
check digit is ``10 - r``; a prefix with ``r == 0`` has no check digit, so no ULN
starts with it. The mod-11 scheme catches every single-digit error and every
transposition of two adjacent digits.

``9999999999`` is the ILR placeholder for "ULN not yet known": it fails the check
and is accepted only when asked for with ``allow_placeholder=True``.

>>> validate('3344556680')
'3344556680'
>>> validate(' 334 455-6680 ')
'3344556680'
>>> validate('3344556681')
Traceback (most recent call last):
    ...
uln.errors.InvalidChecksum: ULN: the check digit does not match
>>> validate('0000000042')
Traceback (most recent call last):
    ...
uln.errors.InvalidComponent: ULN: the first digit must not be 0
>>> is_valid('1000000063')
False
>>> calc_check_digit('334455668')
'0'
>>> validate('9999999999', allow_placeholder=True)
'9999999999'
>>> import random
>>> generate(random.Random(1)) == generate(random.Random(1))
True
"""

from __future__ import annotations

import random as _random
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import cast

import attrs

from uln.errors import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

__all__ = [
    "LENGTH",
    "PLACEHOLDER",
    "Invalid",
    "calc_check_digit",
    "checksum",
    "compact",
    "find_invalid",
    "format",
    "generate",
    "is_valid",
    "validate",
]

LENGTH = 10
"""Number of digits in a ULN."""

PLACEHOLDER = "9999999999"
"""The ILR's "ULN not yet known" value. It is never a real ULN."""

FIELD = "ULN"
_WEIGHTS = tuple(range(10, 0, -1))
_SEPARATORS = str.maketrans("", "", " -\t")


def compact(number: str) -> str:
    """Remove spaces, tabs and dashes; other characters are left for :func:`validate`.

    Digits of other scripts (``'３'``) are not folded: they make the value invalid.

    >>> compact(' 33 4455-6680 ')
    '3344556680'
    """
    if not isinstance(number, str):
        raise InvalidFormat(
            f"a ULN must be given as a string, not {type(number).__name__}", field=FIELD
        )
    return number.translate(_SEPARATORS)


def checksum(number: str) -> int:
    """Return the weighted sum (weights 10..1) modulo 11 of ten ASCII digits.

    A valid ULN gives 10.

    >>> checksum('3344556680')
    10
    """
    if not _is_ascii_digits(number):
        raise InvalidFormat("a ULN has only the digits 0-9", field=FIELD)
    return sum(int(d) * w for d, w in zip(number, _WEIGHTS, strict=False)) % 11


def calc_check_digit(prefix: str) -> str:
    """Return the check digit for the first nine digits of a ULN.

    Raises :class:`~uln.errors.InvalidComponent` when the prefix has no check digit
    (its weighted sum is a multiple of 11) or starts with 0.

    >>> calc_check_digit('100000004')
    '3'
    >>> calc_check_digit('100000006')
    Traceback (most recent call last):
        ...
    uln.errors.InvalidComponent: ULN: no check digit exists for this prefix
    """
    prefix = compact(prefix)
    if len(prefix) != LENGTH - 1:
        raise InvalidLength("the prefix must have 9 digits", field=FIELD)
    if not _is_ascii_digits(prefix):
        raise InvalidFormat("a ULN has only the digits 0-9", field=FIELD)
    if prefix[0] == "0":
        raise InvalidComponent("the first digit must not be 0", field=FIELD)
    r = sum(int(d) * w for d, w in zip(prefix, _WEIGHTS, strict=False)) % 11
    if r == 0:
        raise InvalidComponent("no check digit exists for this prefix", field=FIELD)
    return str(10 - r)


def validate(number: str, *, allow_placeholder: bool = False) -> str:
    """Return the ULN in its canonical form (ten digits), or raise.

    ``allow_placeholder=True`` also accepts the ILR's ``9999999999``.

    Raises :class:`~uln.errors.InvalidFormat` (not a string, or characters other
    than 0-9), :class:`~uln.errors.InvalidLength`, :class:`~uln.errors.InvalidComponent`
    (a leading 0) or :class:`~uln.errors.InvalidChecksum`.
    """
    number = compact(number)
    error = _error(number)
    if error is None:
        return number
    if allow_placeholder and number == PLACEHOLDER:
        return number
    raise error


def is_valid(number: object, *, allow_placeholder: bool = False) -> bool:
    """Return whether ``number`` is a valid ULN. Never raises.

    >>> is_valid('9276308686'), is_valid('６９３６００２３１４'), is_valid(None)
    (True, False, False)
    """
    if type(number) is str and len(number) == LENGTH and number.isascii() and number.isdigit():
        # The fast path: ten ASCII digits with no separators.
        if number >= "1":  # the first digit is not 0
            n = int(number)
            tables = _TABLES or _build_tables()
            if (tables[0][n // 100000] + tables[1][n % 100000]) % 11 == 10:
                return True
        return allow_placeholder and number == PLACEHOLDER
    if not isinstance(number, str):
        return False
    try:
        validate(number, allow_placeholder=allow_placeholder)
    except ValidationError:
        return False
    return True


def format(number: str) -> str:
    """Return the ULN as it is printed: its ten digits with nothing between them.

    >>> format('334 455 6680')
    '3344556680'
    """
    return validate(number)


def generate(rng: _random.Random | None = None) -> str:
    """Return a random valid ULN.

    Pass a :class:`random.Random` for reproducible output; without one the operating
    system's random source is used, so numbers are not predictable.

    >>> is_valid(generate())
    True
    """
    source = rng if rng is not None else _SYSTEM_RANDOM
    while True:
        prefix = source.randrange(100_000_000, 1_000_000_000)
        digits = str(prefix)
        r = sum(int(d) * w for d, w in zip(digits, _WEIGHTS, strict=False)) % 11
        if r:
            return f"{digits}{10 - r}"


@attrs.frozen
class Invalid:
    """One invalid value found by :func:`find_invalid`: its position and the reason."""

    index: int
    error: ValidationError


def find_invalid(values: Iterable[object], *, allow_placeholder: bool = False) -> list[Invalid]:
    """Check a whole column of values; return the invalid ones with the reason for each.

    This is the fast path for files and database columns. Values are checked in
    blocks: a block of ten-digit strings is joined into one byte string, the digits in
    each position are weighted with one ``bytes.translate`` and the ten positions are
    added as big integers (each value's weighted sum stays in its own byte), so the
    arithmetic runs in C. Anything else falls back to :func:`validate`, value by value.
    The result is exactly what :func:`validate` says of each value; the error objects
    are shared between entries with the same reason.

    >>> for bad in find_invalid(['3344556680', '3344556681', '012', None]):
    ...     print(bad.index, type(bad.error).__name__)
    1 InvalidChecksum
    2 InvalidLength
    3 InvalidFormat
    """
    invalid: list[Invalid] = []
    iterator = iter(values)
    base = 0
    while chunk := list(islice(iterator, _BLOCK)):
        found = _check_block(chunk, allow_placeholder)
        if found is None:
            found = []
            for i, value in enumerate(chunk):
                error = _shared_error(value, allow_placeholder)
                if error is not None:
                    found.append((i, error))
        invalid.extend(Invalid(base + i, error) for i, error in found)
        base += len(chunk)
    return invalid


# -- internals ---------------------------------------------------------------------------

_SYSTEM_RANDOM = _random.SystemRandom()
_TABLES: list[Sequence[int]] = []


def _build_tables() -> list[Sequence[int]]:
    """Weighted sums of every five-digit block: weights 10..6 (high) and 5..1 (low)."""
    if not _TABLES:
        # W(10m + d) = W(m) + S(m) + d, where W is the weighted sum with weights k..1 on
        # a k-digit number and S the digit sum; leading zeros contribute nothing.
        w = [0] * 100000
        s = [0] * 100000
        for n in range(1, 100000):
            m, d = divmod(n, 10)
            w[n] = w[m] + s[m] + d
            s[n] = s[m] + d
        _TABLES.append(tuple(w[n] + 5 * s[n] for n in range(100000)))
        _TABLES.append(tuple(w))
    return _TABLES


_BLOCK = 8192
# For each of the ten positions: ASCII digit -> (weight * digit) mod 11, as a byte.
_POSITION_TABLES = tuple(
    bytes((w * (c - 48)) % 11 if 48 <= c <= 57 else 0 for c in range(256)) for w in _WEIGHTS
)
# A value's weighted sum (at most 10 x 10, so it fits its byte) -> 1 unless it is valid.
_NOT_VALID = bytes(0 if v % 11 == 10 else 1 for v in range(256))
_LEADING_ZERO_ERROR = InvalidComponent("the first digit must not be 0", field=FIELD)


def _check_block(
    chunk: list[object], allow_placeholder: bool
) -> list[tuple[int, ValidationError]] | None:
    """The invalid values of a block of ten-digit strings, or None for another block."""
    if set(map(type, chunk)) != {str}:
        return None
    strings = cast(list[str], chunk)
    if set(map(len, strings)) != {LENGTH}:
        return None
    joined = "".join(strings)
    if not (joined.isascii() and joined.isdigit()):
        return None
    raw = joined.encode("ascii")
    total = 0
    for position, table in enumerate(_POSITION_TABLES):
        total += int.from_bytes(raw[position::LENGTH].translate(table), "big")
    flags = bytearray(total.to_bytes(len(strings), "big").translate(_NOT_VALID))
    leading = raw[0::LENGTH]
    for i in _positions(leading, 0x30):  # a leading 0 is reported as such
        flags[i] = 2
    found: list[tuple[int, ValidationError]] = [(i, _CHECKSUM_ERROR) for i in _positions(flags, 1)]
    if allow_placeholder:
        found = [(i, error) for i, error in found if strings[i] != PLACEHOLDER]
    zeros: list[tuple[int, ValidationError]] = [
        (i, _LEADING_ZERO_ERROR) for i in _positions(flags, 2)
    ]
    return sorted(found + zeros, key=lambda item: item[0]) if zeros else found


def _positions(data: bytes | bytearray, byte: int) -> list[int]:
    """The positions of ``byte`` in ``data``, found in C."""
    positions = []
    i = data.find(byte)
    while i != -1:
        positions.append(i)
        i = data.find(byte, i + 1)
    return positions


_CHECKSUM_ERROR = InvalidChecksum("the check digit does not match", field=FIELD)
_SHARED_ERRORS: dict[tuple[type[ValidationError], str], ValidationError] = {}


def _shared_error(value: object, allow_placeholder: bool) -> ValidationError | None:
    """The reason ``value`` is invalid, as a shared error object, or None if it is valid."""
    if not isinstance(value, str):
        error: ValidationError = InvalidFormat(
            f"a ULN must be given as a string, not {type(value).__name__}", field=FIELD
        )
    else:
        number = value.translate(_SEPARATORS)
        found = _error(number)
        if found is None or (allow_placeholder and number == PLACEHOLDER):
            return None
        error = found
    key = (type(error), error.rule)
    return _SHARED_ERRORS.setdefault(key, error)


def _is_ascii_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def _error(number: str) -> ValidationError | None:
    if not number:
        return InvalidLength("a ULN has exactly 10 digits", field=FIELD)
    if not _is_ascii_digits(number):
        return InvalidFormat("a ULN has only the digits 0-9", field=FIELD)
    if len(number) != LENGTH:
        return InvalidLength("a ULN has exactly 10 digits", field=FIELD)
    if number[0] == "0":
        return InvalidComponent("the first digit must not be 0", field=FIELD)
    if checksum(number) != 10:
        return InvalidChecksum("the check digit does not match", field=FIELD)
    return None
