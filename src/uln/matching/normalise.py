"""From a raw row to a compact :class:`MatchRecord` with everything a comparison needs.

A row is a mapping with keys such as ``given_name``, ``family_name``, ``date_of_birth``,
``gender``, ``postcode``, ``previous_family_name``, ``email``, ``place_of_birth``,
``school_at_16``, ``middle_names`` (or their LRS names: ``GivenName``,
``LastKnownPostCode`` ...), or an object with those attributes such as a
:class:`~uln.learner.Demographics` or a :class:`~uln.learner.Learner`. Any field may be
missing, empty or dirty: what cannot be read becomes ``None`` (the ``missing`` level),
never an exception.

Values are precomputed once and shared: every record with the given name ``Dafydd``
points to the same :class:`NameInfo`, with its key, parts, phonetic codes and alias
groups; dates keep their digits even when the date does not exist (``2001-02-30``), so
that a one-digit typo is still seen; postcodes keep their unit, sector, district and
area, or a plain-string key when they are not UK postcodes.

>>> record = match_record({"given_name": "Siân", "family_name": "O'Brien",
...                        "date_of_birth": "30/02/2001", "postcode": "cv49ee"})
>>> record.given.key, record.family.key, record.dob.digits, record.dob.ordinal
('SIAN', 'OBRIEN', '20010230', None)
>>> record.postcode.sector
'CV4 9'
>>> record
MatchRecord(given=..., family=..., dob=..., gender=0, postcode=...)
"""

from __future__ import annotations

import datetime as _dt
import itertools
import re
import sys
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Final

import attrs
import jellyfish

from uln.demographics import dates as _dates
from uln.demographics import email as _email
from uln.demographics import gender as _gender
from uln.demographics import names as _names
from uln.demographics import postcodes as _postcodes
from uln.errors import InvalidRecord, Problem, UlnError
from uln.learner import field_for, field_spec

__all__ = [
    "FIELD_NAMES",
    "DateInfo",
    "MatchRecord",
    "NameInfo",
    "PostcodeInfo",
    "TextInfo",
    "date_info",
    "gender_code",
    "given_name_info",
    "match_record",
    "name_info",
    "postcode_info",
    "text_info",
]

_MATCH_FIELDS: Final = (
    "given_name",
    "family_name",
    "date_of_birth",
    "gender",
    "postcode",
    "previous_family_name",
    "family_name_at_16",
    "email",
    "place_of_birth",
    "school_at_16",
    "middle_names",
)

FIELD_NAMES: Final[dict[str, tuple[str, ...]]] = {
    attr: (attr, field_spec(attr).lrs_name, *field_spec(attr).aliases) for attr in _MATCH_FIELDS
}
"""The fields the matcher reads, each with its names in order of preference: the
attribute, the LRS name, then the aliases of :data:`uln.learner.FIELDS`. A row's key
is read by :func:`uln.learner.field_for`, so any case and spacing of these names
(``Date of Birth``, ``Post Code``, ``Given Name``) is read too [ours]."""


_serials: Final = itertools.count(1)
_next_serial: Final = _serials.__next__


def _repr_hidden(self: object) -> str:
    return f"{type(self).__name__}(...)"


@attrs.frozen(eq=False, repr=False)
class NameInfo:
    """A name prepared for comparison (shared by every record with the same raw text).

    Attributes:
        key: the comparison key (ASCII A-Z, single spaces), from ``name_key``.
        compact: the key without spaces.
        parts: the parts of the name (``SMITH JONES`` -> ``("SMITH", "JONES")``).
        part_set: the same as a frozenset.
        initial: the first letter.
        metaphone, nysiis, soundex: phonetic codes of ``compact``.
        aliases: ids of the alias groups (nicknames, Welsh forms) of the first part.
        equivalents: patronymic equivalents of the key (``AP RHYS`` -> ``PRICE`` ...).
        code: the metaphone code (the compact key when it has none), for blocking.
        block: the smallest alias group of the first part, else ``code``, for blocking:
            ``Dafydd``, ``David`` and ``Dai`` share a block, so do ``Smith`` and ``Smyth``.
        serial: a number no other prepared value has, to key caches of comparisons by
            (plain integers stay out of the garbage collector's way, objects do not).

    The repr never shows the name.

    >>> info = name_info("Smith-Jones")
    >>> info.parts, info.compact
    (('SMITH', 'JONES'), 'SMITHJONES')
    >>> info
    NameInfo(...)
    >>> name_info("Dafydd").block == name_info("Dai").block
    True
    """

    key: str
    compact: str
    parts: tuple[str, ...]
    part_set: frozenset[str]
    initial: str
    metaphone: str
    nysiis: str
    soundex: str
    aliases: frozenset[int]
    equivalents: frozenset[str]
    code: str
    block: str
    serial: int = attrs.field(factory=_next_serial)

    __repr__ = _repr_hidden


@attrs.frozen(eq=False, repr=False)
class DateInfo:
    """A date of birth as its parts, kept even when the date does not exist.

    Attributes:
        digits: ``YYYYMMDD``.
        year, month, day: the parts as numbers.
        ordinal: the proleptic Gregorian ordinal when the date exists, else ``None``.
        serial: a number no other prepared value has (see :class:`NameInfo`).

    >>> info = date_info("31/04/2001")
    >>> info.digits, info.ordinal is None
    ('20010431', True)
    """

    digits: str
    year: int
    month: int
    day: int
    ordinal: int | None
    serial: int = attrs.field(factory=_next_serial)

    __repr__ = _repr_hidden


@attrs.frozen(eq=False, repr=False)
class PostcodeInfo:
    """A postcode's parts (``None`` when not a UK geographic postcode) and its plain key.

    >>> info = postcode_info("sw1a 1aa")
    >>> info.unit, info.sector, info.district, info.area
    ('SW1A 1AA', 'SW1A 1', 'SW1A', 'SW')
    >>> postcode_info("75001").unit, postcode_info("75001").area
    ('75001', None)
    """

    unit: str
    sector: str | None
    district: str | None
    area: str | None

    __repr__ = _repr_hidden


@attrs.frozen(eq=False, repr=False)
class TextInfo:
    """A free text (place of birth, school) as an upper-case key and its words.

    ``serial`` is a number no other prepared value has (see :class:`NameInfo`).

    >>> text_info("Bristol, City of").key
    'BRISTOL CITY OF'
    """

    key: str
    words: frozenset[str]
    serial: int = attrs.field(factory=_next_serial)

    __repr__ = _repr_hidden


@attrs.frozen(eq=False, repr=False)
class MatchRecord:
    """A learner's details prepared for matching; every field may be ``None``.

    ``previous`` holds the previous family name and the family name at 16, when known.
    ``gender`` is the LRS code (0 when not known). The repr shows no personal data.
    """

    given: NameInfo | None
    family: NameInfo | None
    dob: DateInfo | None
    gender: int
    postcode: PostcodeInfo | None
    previous: tuple[NameInfo, ...] = ()
    email: str | None = None
    place_of_birth: TextInfo | None = None
    school_at_16: TextInfo | None = None
    middle_names: NameInfo | None = None

    def __repr__(self) -> str:
        return f"MatchRecord(given=..., family=..., dob=..., gender={self.gender}, postcode=...)"


_intern = sys.intern

_CACHED_LENGTH: Final = 100
"""[ours] The longest value whose prepared form the caches below remember.

Values repeat (names, postcodes, dates), so each preparation is cached, up to a fixed
number of entries; a longer value (no real name, date or postcode is) is prepared
every time and not kept. Each cache therefore holds a bounded number of entries of at
most this many characters, whatever it is given."""


def name_info(text: object) -> NameInfo | None:
    """Prepare a name for comparison; ``None`` when it has no letters. Never raises.

    >>> name_info("  McDonald ").key == name_info("MacDonald").key
    True
    >>> name_info("123") is None, name_info(None) is None
    (True, True)
    """
    if not isinstance(text, str):
        return None
    if len(text) > _CACHED_LENGTH:  # worked out, not remembered: see _CACHED_LENGTH
        return _name_info.__wrapped__(text)
    return _name_info(text)


def given_name_info(text: object) -> NameInfo | None:
    """Like :func:`name_info`, but a given name made of titles only is missing.

    ``Mr``, ``Lady`` or ``Rt. Hon.`` typed in the given-name box says nothing about the
    learner's given name; compared as a name it would look clearly different from the
    real one (and trigger the twin rule). Family names are not treated so: ``Lord`` and
    ``Major`` are surnames.

    >>> given_name_info("Sir") is None, given_name_info("Sir John").key
    (True, 'JOHN')
    """
    if not isinstance(text, str):
        return None
    if len(text) > _CACHED_LENGTH:
        return _given_name_info.__wrapped__(text)
    return _given_name_info(text)


@lru_cache(maxsize=1 << 20)
def _given_name_info(text: str) -> NameInfo | None:
    info = name_info(text)
    if info is not None and all(part in _names.TITLES for part in info.key.split()):
        return None
    return info


@lru_cache(maxsize=1 << 20)
def _name_info(text: str) -> NameInfo | None:
    try:
        key = _names.name_key(text)
        if not key:
            return None
        parts = tuple(_intern(p) for p in _names.name_parts(text) if p) or (key,)
        aliases = _names.alias_groups(parts[0])
        equivalents = _names.patronymic_equivalents(key)
    except (UlnError, ValueError, TypeError):  # pragma: no cover - name_key never raises
        return None
    return _name_info_of_key(_intern(key), parts, aliases, equivalents)


@lru_cache(maxsize=1 << 20)
def _phonetic(compact: str) -> tuple[str, str, str]:
    return (
        _intern(jellyfish.metaphone(compact)),
        _intern(jellyfish.nysiis(compact)),
        _intern(jellyfish.soundex(compact)),
    )


def _name_info_of_key(
    key: str,
    parts: tuple[str, ...],
    aliases: frozenset[int],
    equivalents: frozenset[str],
) -> NameInfo:
    compact = _intern(key.replace(" ", ""))
    metaphone, nysiis, soundex = (
        _phonetic(compact) if len(compact) <= _CACHED_LENGTH else _phonetic.__wrapped__(compact)
    )
    return NameInfo(
        key=key,
        compact=compact,
        parts=parts,
        part_set=frozenset(parts),
        initial=key[0],
        metaphone=metaphone,
        nysiis=nysiis,
        soundex=soundex,
        aliases=aliases,
        equivalents=equivalents,
        code=metaphone or compact,
        block=_intern(f"#{min(aliases)}") if aliases else (metaphone or compact),
    )


_LOOSE_DATE: Final = re.compile(r"([0-9]{4})[^0-9]?([0-9]{1,2})[^0-9]?([0-9]{1,2})")


def _date_parts(text: str) -> tuple[int, int, int] | None:
    """The parts of a date in any form :func:`uln.demographics.dates.parse_date` reads
    (the same table, :data:`~uln.demographics.dates.DATE_FORMATS`), else of a loose
    year-first form (``2001 2 3``)."""
    parts = _dates.date_parts(text)
    if parts is not None:
        return parts
    match = _LOOSE_DATE.fullmatch(text.strip())
    if match:
        return int(match[1]), int(match[2]), int(match[3])
    return None


def date_info(value: object) -> DateInfo | None:
    """Prepare a date of birth: a ``date``, or text in any form ``parse_date`` reads.

    Impossible dates keep their parts (``ordinal`` is ``None``); text that does not
    look like a date at all, years before 1000 and non-dates give ``None``.

    >>> date_info("2001-02-03").ordinal == date_info("03/02/2001").ordinal
    True
    >>> date_info("2 Nov 2003").digits, date_info("2005-12-24 00:00:00").digits
    ('20031102', '20051224')
    >>> date_info("yesterday") is None
    True
    """
    if type(value) is _dt.date:
        return _date_info_of_date(value)
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return _date_info_of_parts((value.year, value.month, value.day))
    if isinstance(value, str):
        if len(value) > _CACHED_LENGTH:
            return None  # no date is written in so many characters
        return _date_info_of_text(value)
    return None


@lru_cache(maxsize=1 << 16)
def _date_info_of_date(value: _dt.date) -> DateInfo | None:
    return _date_info_of_parts((value.year, value.month, value.day))


@lru_cache(maxsize=1 << 16)
def _date_info_of_text(text: str) -> DateInfo | None:
    return _date_info_of_parts(_date_parts(text))


@lru_cache(maxsize=1 << 16)
def _date_info_of_parts(parts: tuple[int, int, int] | None) -> DateInfo | None:
    if parts is None:
        return None
    y, m, d = parts
    if not (1000 <= y <= 9999 and 0 <= m <= 99 and 0 <= d <= 99):
        return None
    try:
        ordinal: int | None = _dt.date(y, m, d).toordinal()
    except ValueError:
        ordinal = None
    return DateInfo(digits=f"{y:04d}{m:02d}{d:02d}", year=y, month=m, day=d, ordinal=ordinal)


def postcode_info(value: object) -> PostcodeInfo | None:
    """Prepare a postcode. Not a UK postcode: a plain-string key (unit only).

    ``ZZ99 9ZZ`` (not known), empty and non-string values give ``None``.

    >>> postcode_info("ZZ99 9ZZ") is None, postcode_info("") is None
    (True, True)
    >>> postcode_info("BFPO 12").unit, postcode_info("BFPO 12").district
    ('BFPO 12', None)
    """
    if isinstance(value, _postcodes.Postcode):
        value = str(value)
    if not isinstance(value, str):
        return None
    if len(value) > _CACHED_LENGTH:
        return _postcode_info.__wrapped__(value)
    return _postcode_info(value)


@lru_cache(maxsize=1 << 20)
def _postcode_info(value: str) -> PostcodeInfo | None:
    try:
        postcode = _postcodes.Postcode.parse(value, strict=False)
    except (UlnError, ValueError, TypeError):
        key = _postcodes.postcode_key(value)
        if not key:
            return None
        return PostcodeInfo(unit=_intern(key), sector=None, district=None, area=None)
    if postcode.is_unknown:
        return None
    unit = postcode.unit or str(postcode)
    sector, district, area = postcode.sector, postcode.district, postcode.area
    return PostcodeInfo(
        unit=_intern(unit),
        sector=_intern(sector) if sector else None,
        district=_intern(district) if district else None,
        area=_intern(area) if area and district else None,
    )


_GENDER_CODES: Final = {1: 1, 2: 2}


def gender_code(value: object) -> int:
    """The LRS gender code of a value: 1 or 2, and 0 for anything else. Never raises.

    >>> gender_code("female"), gender_code(1), gender_code("t2227949966"), gender_code(None)
    (2, 1, 0, 0)
    """
    if type(value) is int:
        return _GENDER_CODES.get(value, 0)
    if value is None or isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return _GENDER_CODES.get(int(value), 0)
    if not isinstance(value, str) or len(value) > _CACHED_LENGTH:
        return 0
    return _gender_text(value)


@lru_cache(maxsize=256)
def _gender_text(value: str) -> int:
    try:
        return _GENDER_CODES.get(int(_gender.parse_gender(value)), 0)
    except (UlnError, ValueError, TypeError):
        return 0


_NON_WORD: Final = re.compile(r"[^0-9A-Z]+")


def text_info(value: object) -> TextInfo | None:
    """Prepare a free text (place of birth, school at 16): letters and digits in upper case.

    >>> text_info("  st. mary's  ").key
    'ST MARY S'
    >>> text_info("--") is None
    True
    """
    if not isinstance(value, str):
        return None
    if len(value) > _CACHED_LENGTH:
        return _text_info.__wrapped__(value)
    return _text_info(value)


@lru_cache(maxsize=1 << 16)
def _text_info(value: str) -> TextInfo | None:
    folded = unicodedata.normalize("NFKD", value)
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    key = _NON_WORD.sub(" ", folded.upper()).strip()
    if not key:
        return None
    return TextInfo(key=_intern(key), words=frozenset(key.split()))


def _email_of(value: object) -> str | None:
    key = _email.email_key(value)
    return _intern(key) if key and "@" in key else None


_FIELDS: Final = tuple(FIELD_NAMES)
_NOT_MATCHED: Final = (-1, 0)
"""The slot of a key that names a field of the learner record the matcher does not use."""
_SLOTS: Final[dict[str, tuple[int, int]]] = {
    name: (position, min(preference, 2))
    for position, names in enumerate(FIELD_NAMES.values())
    for preference, name in enumerate(names)
}
"""For each key met: the position of its field in ``_FIELDS`` and its preference (0 for
the attribute, 1 for the LRS name, 2 for any other name), or :data:`_NOT_MATCHED`."""
_UNKNOWN: Final[set[str]] = set()
"""Keys met that name no field (remembered up to a bound: a row's keys repeat)."""
_SLOTS_LIMIT: Final = 4096


def _slot(name: object) -> tuple[int, int] | None:
    """The slot of a key not yet in ``_SLOTS``, remembered; ``None`` if it names no field."""
    if not isinstance(name, str) or name in _UNKNOWN:
        return None
    spec = field_for(name)
    slot: tuple[int, int] | None
    if spec is None:
        slot = None
    elif spec.attr in FIELD_NAMES:
        slot = (_FIELDS.index(spec.attr), 2)
    else:
        slot = _NOT_MATCHED
    if len(name) <= _CACHED_LENGTH:
        if slot is None:
            if len(_UNKNOWN) >= _SLOTS_LIMIT:
                _UNKNOWN.clear()
            _UNKNOWN.add(name)
        elif len(_SLOTS) < _SLOTS_LIMIT:
            _SLOTS[name] = slot
    return slot


def _from_mapping(row: Mapping[str, Any]) -> list[object]:
    out: list[object] = [None] * len(_FIELDS)
    rank = [99] * len(_FIELDS)
    slots = _SLOTS
    recognised = False
    for name, value in row.items():
        where = slots.get(name) or _slot(name)
        if where is None:
            continue
        recognised = True
        position, preference = where
        if position < 0 or value is None or (type(value) is str and not value):
            continue
        if preference < rank[position]:
            out[position] = value
            rank[position] = preference
    if not recognised and row:
        raise InvalidRecord([Problem("keys", _NO_FIELD, "InvalidFormat")])
    return out


_NO_FIELD: Final = (
    "none names a field of the learner record (given_name, Forename, DOB ...; "
    "see uln.learner.FIELDS)"
)


def _from_object(row: Any) -> list[object]:
    demographics = getattr(row, "demographics", row)
    out: list[object] = []
    for field in _FIELDS:
        value = getattr(demographics, field, None)
        if field == "postcode" and value is None:
            value = getattr(demographics, "last_known_postcode", None)
        if field == "email" and value is None:
            value = getattr(demographics, "email_address", None)
        out.append(value)
    return out


def match_record(row: Any) -> MatchRecord:
    """Prepare a row, a ``Demographics``, a ``Learner`` or a :class:`MatchRecord`.

    A value that cannot be read is left out of the comparison; nothing raises but a
    non-empty mapping in which no key names a field of the learner record (wrong
    headings, a row of data read as headings), which is an :class:`~uln.errors.InvalidRecord`.

    >>> r = match_record({"GivenName": "Jo", "FamilyName": "Bloggs", "Gender": "2",
    ...                   "PreviousFamilyName": "Smith"})
    >>> r.gender, [p.key for p in r.previous], r.dob is None
    (2, ['SMITH'], True)
    >>> match_record({"Given Name": "Jo", "Post Code": "cv4 9ee"}).postcode.unit
    'CV4 9EE'
    >>> match_record(None).given is None
    True
    >>> match_record({"Nom": "Jo", "Ville": "Caen"})
    Traceback (most recent call last):
        ...
    uln.errors.InvalidRecord: 1 field is not valid: keys (none names a field of the ...)
    """
    if isinstance(row, MatchRecord):
        return row
    if type(row) is dict or isinstance(row, Mapping):
        values = _from_mapping(row)
    else:
        values = _from_object(row)
    (given, family, dob, gender, postcode, previous_name, at_16, email, place, school, middle) = (
        values
    )
    previous: tuple[NameInfo, ...] = ()
    if previous_name is not None or at_16 is not None:
        infos = [name_info(previous_name), name_info(at_16)]
        previous = tuple(dict.fromkeys(i for i in infos if i is not None))
        if len(previous) == 2 and previous[0].key == previous[1].key:
            previous = previous[:1]
    # positional (faster than keywords): the order of MatchRecord's fields
    return MatchRecord(
        None if given is None else given_name_info(given),
        None if family is None else name_info(family),
        None if dob is None else date_info(dob),
        0 if gender is None else gender_code(gender),
        None if postcode is None else postcode_info(postcode),
        previous,
        None if email is None else _email_of(email),
        None if place is None else text_info(place),
        None if school is None else text_info(school),
        None if middle is None else name_info(middle),
    )
