"""The one ``compact`` step every identifier module shares."""

from __future__ import annotations

from typing import Final

from uln.errors import InvalidFormat

SEPARATORS: Final = str.maketrans("", "", " -\t")
"""Spaces, tabs and dashes: what people put between the characters of an identifier."""


def clean(number: object, table: dict[int, int | None], *, what: str, field: str) -> str:
    """Return ``number`` translated with ``table``; refuse anything but a string.

    ``what`` names the identifier in the message (``"a UPN"``), ``field`` the field.
    """
    if not isinstance(number, str):
        raise InvalidFormat(
            f"{what} must be given as a string, not {type(number).__name__}", field=field
        )
    return number.translate(table)
