"""Field comparisons: each puts a pair of normalised values in one level, best level first.

A comparison is a small function of two precomputed values (see
:mod:`uln.matching.normalise`) and the set of levels in use; it returns the name of the
first level whose condition the pair meets. A level left out of the configuration is
skipped, so the pair falls through to the next one. Either value missing gives
``"missing"``, which always weighs 0. The levels of each comparison, best first, are in
:data:`LEVELS`; the thresholds they use are in :data:`RULES` [ours].

>>> from uln.matching.normalise import name_info, date_info, postcode_info
>>> compare_names(name_info("Dafydd"), name_info("David"))
'alias'
>>> compare_names(name_info("Smith"), name_info("Smyth"))
'phonetic'
>>> compare_dates(date_info("2001-02-03"), date_info("2001-03-02"))
'swapped'
>>> compare_postcodes(postcode_info("CV4 9EE"), postcode_info("CV4 9AL"))
'sector'
>>> compare_postcodes(postcode_info("ZZ99 9ZZ"), postcode_info("ZZ99 9ZZ"))
'missing'
"""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import TYPE_CHECKING, Final

import jellyfish

from uln.demographics.names import alias_forms

if TYPE_CHECKING:
    from uln.matching.normalise import DateInfo, NameInfo, PostcodeInfo, TextInfo

__all__ = [
    "LEVELS",
    "MISSING",
    "RULES",
    "compare_dates",
    "compare_emails",
    "compare_genders",
    "compare_middle_names",
    "compare_names",
    "compare_postcodes",
    "compare_texts",
    "jaro_winkler",
    "one_slip",
    "same_given_name",
]

MISSING: Final = "missing"
"""The level of a pair where either side has no usable value; its weight is always 0."""

LEVELS: Final[dict[str, tuple[str, ...]]] = {
    "given_name": (
        "exact",  # the same name key (after folding case, accents, titles, Mc/Mac, O')
        "alias",  # forms of one person's name (Dafydd, David, Dai, Dave; not Shaun, Iain)
        "related",  # names grown out of one root, not one person's (Shaun, Iain; Megan, Daisy)
        "phonetic",  # metaphone or NYSIIS agree, or soundex agrees and RULES["similar"] holds
        "part",  # one name is a part of the other (Mary / Mary Jane)
        "close",  # Jaro-Winkler at or above RULES["close"], or one slip of the keyboard
        "similar",  # Jaro-Winkler at or above RULES["similar"] (or related, without "related")
        "initial",  # one side is an initial only and it agrees
        "swapped",  # given and family names the wrong way round (or one name in the other's place)
        "different",
    ),
    "family_name": (
        "exact",
        "previous",  # one family name is the other's previous family name (or at 16)
        "alias",  # patronymic forms (ap Rhys / Price / Pryce)
        "phonetic",
        "part",  # a part of a hyphenated or double-barrelled name (Smith-Jones / Jones)
        "close",
        "similar",
        "initial",
        "swapped",  # given and family names the wrong way round (both; one may be a typo)
        "different",
    ),
    "date_of_birth": (
        "exact",
        "swapped",  # day and month swapped
        "one_digit",  # one digit different, or two adjacent digits transposed
        "month",  # within RULES["month_days"] days
        "year",  # within RULES["year_days"] days
        "two_digits",  # two digits different (two slips), further apart than a year
        "different",
    ),
    "gender": ("agree", "disagree"),  # 0 and 9 are missing: never count against a match
    "postcode": ("unit", "sector", "district", "area", "different"),
    "email": ("exact", "close", "different"),  # close: a slip or two (RULES["email_slips"])
    "place_of_birth": ("exact", "close", "different"),
    "school_at_16": ("exact", "close", "different"),
    "middle_names": ("exact", "part", "different"),
}
"""The levels of every comparison, best first [ours]."""

RULES: Final[dict[str, float]] = {
    "close": 0.92,  # Jaro-Winkler similarity of two names for the "close" level
    "similar": 0.85,  # ... for the "similar" level
    "text_close": 0.9,  # ... of two places of birth or schools for their "close" level
    "month_days": 31,  # dates of birth at most this many days apart are "month"
    "year_days": 366,  # ... "year"
    "email_slips": 2,  # emails this many edits apart, the digits the same, are "close"
    "email_local": 5,  # ... when both local parts have at least this many characters
}
"""The thresholds the comparisons use [ours]."""

_CLOSE: Final = RULES["close"]
_SIMILAR: Final = RULES["similar"]
_TEXT_CLOSE: Final = RULES["text_close"]
_MONTH: Final = RULES["month_days"]
_YEAR: Final = RULES["year_days"]
_EMAIL_SLIPS: Final = int(RULES["email_slips"])
_EMAIL_LOCAL: Final = int(RULES["email_local"])

_ALL: Final = frozenset(level for levels in LEVELS.values() for level in levels)


def _jellyfish_jw(a: str, b: str) -> float:
    return float(jellyfish.jaro_winkler_similarity(a, b))


jaro_winkler: Callable[[str, str], float] = _jellyfish_jw
"""Jaro-Winkler similarity of two strings, from 0 to 1 (jellyfish's definition).

>>> round(jaro_winkler("MARTHA", "MARHTA"), 4)
0.9611
"""


def compare_names(
    a: NameInfo | None,
    b: NameInfo | None,
    levels: Container[str] = _ALL,
) -> str:
    """The level of two given names or two family names (without swap or previous name).

    Args:
        a: one name, from :func:`~uln.matching.normalise.name_info`, or None.
        b: the other.
        levels: the levels in use; others are skipped.

    >>> from uln.matching.normalise import name_info
    >>> compare_names(name_info("Smith-Jones"), name_info("Jones"))
    'part'
    >>> compare_names(name_info("J"), name_info("John"))
    'initial'
    >>> compare_names(name_info("Smith"), name_info(""))
    'missing'
    """
    if a is None or b is None:
        return MISSING
    if a.key == b.key:
        return "exact" if "exact" in levels else _after_exact(a, b, levels)
    return _after_exact(a, b, levels)


def _after_exact(a: NameInfo, b: NameInfo, levels: Container[str]) -> str:
    related = bool(a.aliases) and a.parts[0] != b.parts[0] and not a.aliases.isdisjoint(b.aliases)
    if "alias" in levels and (
        (related and not alias_forms(a.parts[0]).isdisjoint(alias_forms(b.parts[0])))
        or a.key in b.equivalents
        or b.key in a.equivalents
    ):
        return "alias"
    if related and "related" in levels:
        return "related"
    if "phonetic" in levels and a.compact == b.compact:
        return "phonetic"  # the same letters, spaced differently
    similarity = -1.0
    if "phonetic" in levels:
        if (a.metaphone and a.metaphone == b.metaphone) or (a.nysiis and a.nysiis == b.nysiis):
            return "phonetic"
        if a.soundex == b.soundex:
            similarity = jaro_winkler(a.compact, b.compact)
            if similarity >= _SIMILAR:
                return "phonetic"
    if "part" in levels and len(a.parts) + len(b.parts) > 2 and not a.part_set.isdisjoint(b.parts):
        return "part"
    if "close" in levels or "similar" in levels:
        if similarity < 0:
            similarity = jaro_winkler(a.compact, b.compact)
        if "close" in levels and (similarity >= _CLOSE or one_slip(a.compact, b.compact)):
            return "close"  # a close spelling, or one slip of the keyboard (DQVID, DAVID)
        if (similarity >= _SIMILAR or related) and "similar" in levels:
            return "similar"  # related names, when "related" is not in use
    if "initial" in levels and (len(a.key) == 1 or len(b.key) == 1) and a.initial == b.initial:
        return "initial"
    return "different"


STRONG_NAME_LEVELS: Final = frozenset({"exact", "alias", "phonetic", "close"})
"""Levels that count as agreement when looking for swapped given and family names."""

SAME_NAME_LEVELS: Final = frozenset({"exact", "alias", "swapped"})
"""Given-name levels that are always the same name of one person (the household rule):
equal, forms of one name (aliases.txt, one person's names only), or names in each other's
place. ``missing`` is no evidence either way."""

SPELLING_LEVELS: Final = frozenset({"related", "phonetic", "part", "close", "similar"})
"""Given-name levels that are the same name only when one spelling is a slip of the other
(see :func:`same_given_name`)."""


KEY_NEIGHBOURS: Final[dict[str, str]] = {
    "Q": "WAS", "W": "QEASD", "E": "WRSDF", "R": "ETDFG", "T": "RYFGH", "Y": "TUGHJ",
    "U": "YIHJK", "I": "UOJKL", "O": "IPKL", "P": "OL",
    "A": "QWSZX", "S": "QWEADZX", "D": "WERSFXC", "F": "ERTDGCV", "G": "RTYFHVB",
    "H": "TYUGJBN", "J": "YUIHKNM", "K": "UIOJLM", "L": "IOPK",
    "Z": "ASX", "X": "ZASDC", "C": "XDFV", "V": "CFGB", "B": "VGHN", "N": "BHJM",
    "M": "NJK",
}  # fmt: skip
"""The letters next to each letter on a UK QWERTY keyboard [ours]: a letter replaced by
one of these is a slip of the keyboard (see :func:`one_slip`)."""


def one_slip(a: str, b: str) -> bool:
    """Whether two name keys are one slip of the keyboard apart (or equal).

    A slip: a letter replaced by a key next to it on a UK QWERTY keyboard, a letter added
    or left out, or two neighbouring letters swapped; never at the first letter, which
    people rarely get wrong. A different letter from across the keyboard is a different
    name, not a slip: ``CARYS`` and ``CERYS``, ``ELLIE`` and ``ELSIE`` [ours].

    >>> one_slip("BREANNA", "BREANA"), one_slip("JONATHON", "JONATHNO"), one_slip("JAKC", "JACK")
    (True, True, True)
    >>> one_slip("CARYS", "CERYS"), one_slip("AVA", "EVA"), one_slip("KADIN", "KYDAN")
    (False, False, False)
    """
    if a == b:
        return True
    if not a or not b or a[0] != b[0]:
        return False
    if len(a) == len(b):
        differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(differ) == 1:
            i = differ[0]
            return b[i] in KEY_NEIGHBOURS.get(a[i], "")
        return _one_edit(a, b)  # two neighbours swapped
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) != 1:
        return False
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


def same_given_name(a: NameInfo, b: NameInfo, level: str) -> bool:
    """Whether two given names, compared at ``level``, are the same name of one person.

    True for the levels of :data:`SAME_NAME_LEVELS`, and for a related name, sound-alike,
    part or close spelling that is one slip of the keyboard from the other (see
    :func:`one_slip`) or holds all the parts of the other (``Mary`` / ``Mary Jane``). Two
    names that only sound alike or look alike (``Kadin`` / ``Kydan``, ``Breana`` /
    ``Ben``) are different names, as are an initial and a name: siblings have them
    [ours, the household rule].

    >>> from uln.matching.normalise import name_info
    >>> same_given_name(name_info("Breanna"), name_info("Breana"), "phonetic")
    True
    >>> same_given_name(name_info("Kadin"), name_info("Kydan"), "phonetic")
    False
    >>> same_given_name(name_info("Mary"), name_info("Mary Jane"), "part")
    True
    >>> same_given_name(name_info("J"), name_info("John"), "initial")
    False
    """
    if level in SAME_NAME_LEVELS:
        return True
    if level not in SPELLING_LEVELS:
        return False
    if one_slip(a.compact, b.compact):
        return True
    return a.part_set <= b.part_set or b.part_set <= a.part_set


def compare_dates(a: DateInfo | None, b: DateInfo | None, levels: Container[str] = _ALL) -> str:
    """The level of two dates of birth, which may be impossible dates read as parts.

    >>> from uln.matching.normalise import date_info
    >>> compare_dates(date_info("2001-02-03"), date_info("2001-02-08"))
    'one_digit'
    >>> compare_dates(date_info("2001-02-03"), date_info("2001-02-30"))
    'one_digit'
    >>> compare_dates(date_info("2001-02-03"), date_info("2001-01-15"))
    'month'
    >>> compare_dates(date_info("2001-02-03"), date_info("2007-02-08"))
    'two_digits'
    >>> compare_dates(date_info("2001-02-03"), date_info("not a date"))
    'missing'
    """
    if a is None or b is None:
        return MISSING
    if a.digits == b.digits and "exact" in levels:
        return "exact"
    if (
        "swapped" in levels
        and a.year == b.year
        and a.month == b.day
        and a.day == b.month
        and a.month != a.day
    ):
        return "swapped"
    if "one_digit" in levels and _one_edit(a.digits, b.digits):
        return "one_digit"
    if a.ordinal is not None and b.ordinal is not None:
        apart = abs(a.ordinal - b.ordinal)
        if apart <= _MONTH and "month" in levels:
            return "month"
        if apart <= _YEAR and "year" in levels:
            return "year"
    if "two_digits" in levels and sum(map(str.__ne__, a.digits, b.digits)) == 2:
        return "two_digits"
    return "different"


def _one_edit(a: str, b: str) -> bool:
    """Whether two strings of one length differ in one character or one adjacent swap."""
    if len(a) != len(b):
        return False
    differ = sum(map(str.__ne__, a, b))
    if differ == 1:
        return True
    if differ != 2:
        return False
    i = 0
    while a[i] == b[i]:
        i += 1
    return a[i + 1 : i + 2] == b[i : i + 1] and a[i : i + 1] == b[i + 1 : i + 2]


def compare_genders(a: int, b: int, levels: Container[str] = _ALL) -> str:
    """The level of two gender codes; 0 (not known) and 9 (not specified) are missing.

    >>> compare_genders(1, 1), compare_genders(1, 2), compare_genders(1, 9)
    ('agree', 'disagree', 'missing')
    """
    if a not in (1, 2) or b not in (1, 2):
        return MISSING
    return "agree" if a == b and "agree" in levels else "disagree"


def compare_postcodes(
    a: PostcodeInfo | None, b: PostcodeInfo | None, levels: Container[str] = _ALL
) -> str:
    """The level of two postcodes: unit, sector, district, area, different.

    Values that are not UK postcodes are compared as plain strings: equal means
    ``unit``, one character different or two adjacent characters swapped means
    ``sector``. ``ZZ99 9ZZ`` (postcode unknown) is missing and matches nothing.

    >>> from uln.matching.normalise import postcode_info
    >>> compare_postcodes(postcode_info("cv49ee"), postcode_info("CV4 9EE"))
    'unit'
    >>> compare_postcodes(postcode_info("CV4 9EE"), postcode_info("CV1 2AB"))
    'area'
    >>> compare_postcodes(postcode_info("75001"), postcode_info("75 001"))
    'unit'
    >>> compare_postcodes(postcode_info("75001"), postcode_info("75010"))
    'sector'
    """
    if a is None or b is None:
        return MISSING
    if a.unit == b.unit and "unit" in levels:
        return "unit"
    if a.area is None or b.area is None:
        if a.area is None and b.area is None and "sector" in levels and _one_edit(a.unit, b.unit):
            return "sector"  # plain strings one typo apart
        return "different"
    if a.sector == b.sector and "sector" in levels:
        return "sector"
    if a.district == b.district and "district" in levels:
        return "district"
    if a.area == b.area and "area" in levels:
        return "area"
    return "different"


def compare_emails(a: str | None, b: str | None, levels: Container[str] = _ALL) -> str:
    """The level of two email keys (already case-folded).

    ``close``: one address typed with a slip or two (at most ``RULES["email_slips"]``
    edits, a transposition counting as one) where the digits are the same and both
    local parts have at least ``RULES["email_local"]`` characters. Addresses that differ
    in their digits (``smith.family61`` and ``smith.family59``: numbered addresses of
    one family or one provider) or in a short local part (``jo@`` and ``jb@``: another
    person's initials as likely as a slip) are ``different``.

    >>> compare_emails("a@example.com", "a@example.com"), compare_emails("a@x.uk", None)
    ('exact', 'missing')
    >>> compare_emails("mcurtis53@simpson.com", "micurtis53@simpsoun.com")
    'close'
    >>> compare_emails("smith.family61@example.com", "smith.family59@example.com")
    'different'
    """
    if not a or not b:
        return MISSING
    if a == b and "exact" in levels:
        return "exact"
    if "close" in levels and _email_slip(a, b):
        return "close"
    return "different"


def _email_slip(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > _EMAIL_SLIPS:
        return False
    local_a, local_b = a.partition("@")[0], b.partition("@")[0]
    if min(len(local_a), len(local_b)) < _EMAIL_LOCAL:
        return False
    if [c for c in a if c.isdigit()] != [c for c in b if c.isdigit()]:
        return False
    return bool(jellyfish.damerau_levenshtein_distance(a, b) <= _EMAIL_SLIPS)


def compare_texts(a: TextInfo | None, b: TextInfo | None, levels: Container[str] = _ALL) -> str:
    """The level of two free texts such as places of birth or schools at 16.

    ``close``: Jaro-Winkler at or above ``RULES["text_close"]``, or the words of one
    are all words of the other (``West Devon`` / ``Devon``).

    >>> from uln.matching.normalise import text_info
    >>> compare_texts(text_info("West Devon"), text_info("devon"))
    'close'
    """
    if a is None or b is None:
        return MISSING
    if a.key == b.key and "exact" in levels:
        return "exact"
    if "close" in levels and (
        a.words <= b.words or b.words <= a.words or jaro_winkler(a.key, b.key) >= _TEXT_CLOSE
    ):
        return "close"
    return "different"


def compare_middle_names(
    a: NameInfo | None, b: NameInfo | None, levels: Container[str] = _ALL
) -> str:
    """The level of two middle names: exact, part (a shared part or initial), different.

    >>> from uln.matching.normalise import name_info
    >>> compare_middle_names(name_info("Ann Marie"), name_info("A"))
    'part'
    """
    if a is None or b is None:
        return MISSING
    if a.key == b.key and "exact" in levels:
        return "exact"
    if "part" in levels and (
        not a.part_set.isdisjoint(b.parts)
        or (len(a.key) == 1 and a.key == b.initial)
        or (len(b.key) == 1 and b.key == a.initial)
    ):
        return "part"
    return "different"
