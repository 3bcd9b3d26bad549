"""Identifier fields of a learner record: SCN, UCI, UPN, MIS identifier, nationality.

The check-digit identifiers are validated by :mod:`uln.identifiers`; the functions
here add what a record field needs: the LRS field name in messages, and
:class:`~uln.errors.MissingValue` for an empty value. They accept exactly what
``validate`` accepts (separators yes; lower-case letters in a UCI or UPN no).

``MISIdentifier`` is the organisation's own learner reference, echoed back in batch
output. It is free text, but a National Insurance number must never be used as a
learner identifier, so :func:`normalise_mis_identifier` refuses one.

>>> normalise_scn(" 000 000 019 ")
'000000019'
>>> normalise_mis_identifier(" STU-004217 ")
'STU-004217'
>>> normalise_mis_identifier("AB 12 34 56 C")
Traceback (most recent call last):
    ...
uln.errors.ForbiddenIdentifier: MISIdentifier: a National Insurance number must not ...
>>> normalise_nationality("gbr")
'GBR'
"""

from __future__ import annotations

import re
from collections.abc import Callable

from uln.errors import (
    ForbiddenIdentifier,
    InvalidCode,
    InvalidFormat,
    InvalidLength,
    MissingValue,
    ValidationError,
)
from uln.identifiers import nino, scn, uci, upn

__all__ = [
    "MIS_IDENTIFIER_MAX_LENGTH",
    "normalise_mis_identifier",
    "normalise_nationality",
    "normalise_scn",
    "normalise_uci",
    "normalise_upn",
]

MIS_IDENTIFIER_MAX_LENGTH = 128
"""The length of the LRS field ``MISIdentifier`` [spec]."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
"""Control characters, line separators and lone surrogates (which no file can hold)."""
_NATIONALITY = re.compile("[A-Z]{3}")


def normalise_scn(text: str, *, field: str = "ScottishCandidateNumber") -> str:
    """Return a Scottish Candidate Number in canonical form (nine digits), or raise.

    Raises:
        InvalidFormat: not a string, or characters other than digits and separators.
        MissingValue: the text is empty or only whitespace.
        InvalidLength, InvalidChecksum: see :func:`uln.identifiers.scn.validate`.

    >>> normalise_scn("123456785")
    '123456785'
    """
    return _checked(scn.validate, text, field, "an SCN")


def normalise_uci(text: str, *, field: str = "UCI") -> str:
    """Return a Unique Candidate Identifier in canonical form (13 characters), or raise.

    Raises:
        InvalidFormat: not a string, or not the shape of a UCI.
        MissingValue: the text is empty or only whitespace.
        InvalidLength, InvalidComponent, InvalidChecksum: see
            :func:`uln.identifiers.uci.validate`.

    >>> normalise_uci("68199 0 01 2058 G")
    '681990012058G'
    """
    return _checked(uci.validate, text, field, "a UCI")


def normalise_upn(text: str, *, field: str = "UPN") -> str:
    """Return a Unique Pupil Number in canonical form (13 characters), or raise.

    Raises:
        InvalidFormat: not a string, or not the shape of a UPN.
        MissingValue: the text is empty or only whitespace.
        InvalidLength, InvalidChecksum: see :func:`uln.identifiers.upn.validate`.

    >>> normalise_upn("B801200005001")
    'B801200005001'
    """
    return _checked(upn.validate, text, field, "a UPN")


def normalise_mis_identifier(
    text: str, *, field: str = "MISIdentifier", max_length: int = MIS_IDENTIFIER_MAX_LENGTH
) -> str:
    """Check an organisation's own learner identifier and return it trimmed.

    Any printable text up to ``max_length`` characters is accepted, except a National
    Insurance number in any spelling (:func:`uln.identifiers.nino.looks_like_nino`).

    Raises:
        InvalidFormat: not a string, or it holds control characters (tabs, line breaks)
            or a lone surrogate [ours].
        MissingValue: the text is empty or only whitespace.
        InvalidLength: longer than ``max_length``.
        ForbiddenIdentifier: it is a National Insurance number.

    >>> normalise_mis_identifier("2024/00042")
    '2024/00042'
    """
    value = _text(text, field, "an MIS identifier")
    if len(value) > max_length:
        raise InvalidLength(f"an MIS identifier has at most {max_length} characters", field=field)
    if _CONTROL.search(value):
        raise InvalidFormat("an MIS identifier must not contain control characters", field=field)
    if nino.looks_like_nino(value):
        raise ForbiddenIdentifier(
            "a National Insurance number must not be used as a learner identifier", field=field
        )
    return value


def normalise_nationality(text: str, *, field: str = "Nationality") -> str:
    """Check a nationality code and return it in upper case.

    The LRS code list is not public; we take ISO 3166-1 alpha-3 codes and check
    their shape only, three letters A-Z [ours]: no country table, so codes that ISO
    leaves to users (``XKX``) are accepted too.

    Raises:
        InvalidFormat: not a string.
        MissingValue: the text is empty or only whitespace.
        InvalidCode: not three letters A-Z.

    >>> normalise_nationality(" irl ")
    'IRL'
    """
    value = _text(text, field, "a nationality").upper()
    if not _NATIONALITY.fullmatch(value):
        raise InvalidCode("a nationality is an ISO 3166-1 code of three letters A-Z", field=field)
    return value


# -- internals ---------------------------------------------------------------------------


def _text(text: object, field: str, what: str) -> str:
    """The stripped text; InvalidFormat for a non-string, MissingValue for a blank."""
    if not isinstance(text, str):
        raise InvalidFormat(
            f"{what} must be given as a string, not {type(text).__name__}", field=field
        )
    value = str(text).strip()
    if not value:
        raise MissingValue(f"{what} is required", field=field)
    return value


def _checked(validate: Callable[[str], str], text: object, field: str, what: str) -> str:
    """Run an identifier's ``validate`` and report its errors under ``field``."""
    value = _text(text, field, what)
    try:
        return validate(value)
    except ValidationError as exc:
        raise exc.at(field=field) from None
