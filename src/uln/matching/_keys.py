"""The blocking keys of a record (see :data:`uln.matching.index.BLOCKING_KEYS`).

Keys are text built from the prepared values only, so they are the same in every
process (never Python's randomised ``hash``) and can be stored in an indexed column.

A record is filed under :func:`record_keys`; a search looks under :func:`query_keys`,
which adds variants (names swapped, previous family names, day and month swapped).
"""

from __future__ import annotations

from uln.matching.normalise import DateInfo, MatchRecord

__all__ = ["exact_key", "query_keys", "record_keys", "swapped_digits"]


def record_keys(r: MatchRecord) -> list[str]:
    """The keys a record is filed under."""
    keys = _keys(r)
    if r.family is not None:
        keys.append(f"K{r.family.code}")
    exact = exact_key(r)
    if exact is not None:
        keys.append(exact)
    return keys


def exact_key(r: MatchRecord) -> str | None:
    """The key of an exact duplicate (X): the prepared given name, family name, date of
    birth, gender and postcode, for a record with both names and a date of birth.

    Records with the same exact key are the same details typed again; their block is
    searched whatever its size, so that an exact duplicate is always found.
    """
    given, family, dob = r.given, r.family, r.dob
    if given is None or family is None or dob is None:
        return None
    postcode = "" if r.postcode is None else r.postcode.unit
    return f"X{given.key}|{family.key}|{dob.digits}|{r.gender}|{postcode}"


def _keys(r: MatchRecord) -> list[str]:
    keys: list[str] = []
    given, family, dob = r.given, r.family, r.dob
    if family is not None and dob is not None and given is not None:
        keys.append(f"F{family.code}|{dob.year}|{given.initial}")
    if dob is not None:
        if family is not None:
            keys.append(f"D{dob.digits}|{family.initial}")
        if given is not None:
            keys.append(f"G{dob.digits}|{given.block}")
    if r.postcode is not None and given is not None:
        keys.append(f"P{r.postcode.sector or r.postcode.unit}|{given.initial}")
    if given is not None and family is not None:
        keys.append(f"N{given.block}|{family.code}")
    if r.email:
        keys.append(f"E{r.email}")
        local = r.email.partition("@")[0]
        if len(local) >= 3:
            keys.append(f"L{local}")
    if dob is not None:
        keys.append(f"B{dob.digits}")
        if family is not None:
            keys.append(f"S{family.code}|{dob.year}")
        if given is not None:
            keys.append(f"H{given.block}|{dob.year}")
    if r.postcode is not None:
        keys.append(f"U{r.postcode.unit}")
    return keys


def swapped_digits(dob: DateInfo) -> str | None:
    if dob.day == dob.month or dob.day > 12:
        return None
    return f"{dob.year:04d}{dob.day:02d}{dob.month:02d}"


def query_keys(r: MatchRecord) -> list[str]:
    """The keys a search looks under: the record's own and their variants.

    The family name alone (K) is looked up only for a record without a date of birth
    or a postcode: one with both is found through them, and K would add many pairs
    that no other key found because nothing else agrees.
    """
    given, family, dob = r.given, r.family, r.dob
    keys = _keys(r)
    exact = exact_key(r)
    if exact is not None:
        keys.append(exact)
    if family is not None and (dob is None or r.postcode is None):
        keys.append(f"K{family.code}")
    if given is not None and family is not None:
        if dob is not None:
            keys.append(f"F{given.code}|{dob.year}|{family.initial}")
        keys.append(f"N{family.block}|{given.code}")
    for previous in r.previous:
        if dob is not None:
            keys.append(f"D{dob.digits}|{previous.initial}")
            if given is not None:
                keys.append(f"F{previous.code}|{dob.year}|{given.initial}")
        if given is not None:
            keys.append(f"N{given.block}|{previous.code}")
    if dob is not None:
        swapped = swapped_digits(dob)
        if swapped is not None:
            if family is not None:
                keys.append(f"D{swapped}|{family.initial}")
            if given is not None:
                keys.append(f"G{swapped}|{given.block}")
    return keys
