"""UK postcodes: reading, the canonical form, and the parts used for matching.

A postcode has an *outward* code (``CV4``: the area ``CV`` and the district) and a
three-character *inward* code (``9EE``: the sector digit and the unit letters). The
canonical form is upper case with one space before the inward code; input may have
no space, several, lower case or surrounding whitespace [spec].

Besides geographic postcodes, three other values are postcodes for the LRS:

* BFPO addresses, ``BFPO 1234`` (1 to 4 digits, leading zeros dropped);
* ``GIR 0AA``, the non-geographic postcode of the old Girobank;
* ``ZZ99 9ZZ``, the ILR's marker for "postcode not known". It is kept as a postcode of
  kind :attr:`PostcodeKind.UNKNOWN`, and its matching parts are all ``None``: it
  matches nothing, not even another ``ZZ99 9ZZ``.

By default the Royal Mail's letter rules for each position are enforced as well
(the table :data:`POSTCODE_LETTERS`): ``QA1 1AA`` has the right shape but no
postcode starts with Q. ``strict=False`` checks the shape only.

>>> p = Postcode.parse(" cv49ee ")
>>> str(p), p.area, p.district, p.sector, p.unit
('CV4 9EE', 'CV', 'CV4', 'CV4 9', 'CV4 9EE')
>>> p
Postcode(kind=GEOGRAPHIC)
>>> str(parse_postcode("bfpo 12")), parse_postcode("ZZ999ZZ").is_unknown
('BFPO 12', True)
>>> parse_postcode("CV4 9EC")
Traceback (most recent call last):
    ...
uln.errors.InvalidPostcode: LastKnownPostCode: the inward code is a digit and two letters ...
>>> postcode_key(" cv4  9ee ")
'CV49EE'
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Final

import attrs

from uln.errors import InvalidFormat, InvalidLength, InvalidPostcode, MissingValue, ValidationError

__all__ = [
    "MAX_LENGTH",
    "POSTCODE_LETTERS",
    "UNKNOWN_POSTCODE",
    "Postcode",
    "PostcodeKind",
    "parse_postcode",
    "postcode_key",
]

MAX_LENGTH = 9
"""The length of the LRS field ``LastKnownPostCode``; every canonical form fits."""

UNKNOWN_POSTCODE = "ZZ99 9ZZ"
"""The ILR's marker for "postcode not known" [spec]."""

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _without(letters: str) -> str:
    return "".join(c for c in _ALPHABET if c not in letters)


POSTCODE_LETTERS: Final[dict[str, str]] = {
    # position -> the letters allowed there
    "area_first": _without("QVX"),  # [ours] Royal Mail / BS 7666: never Q, V, X
    "area_second": _without("IJZ"),  # [ours] Royal Mail / BS 7666: never I, J, Z
    "district_after_one_letter": "ABCDEFGHJKPSTUW",  # [ours] A9A outward codes (W1A)
    "district_after_two_letters": "ABEHMNPRVWXY",  # [ours] AA9A outward codes (SW1A)
    "inward": _without("CIKMOV"),  # [spec] LRS / Royal Mail: never C, I, K, M, O, V
}
"""The letters allowed in each position of a postcode.

The inward rule is in the LRS material [spec]; the outward rules are the Royal
Mail's (as published with BS 7666 and the UK government's data standards), applied
here by our decision [ours] and switched off by ``strict=False``.
"""


class PostcodeKind(enum.Enum):
    """What kind of postcode a :class:`Postcode` is."""

    GEOGRAPHIC = "geographic"
    """An ordinary postcode (``CV4 9EE``)."""
    BFPO = "bfpo"
    """A British Forces Post Office number (``BFPO 1234``)."""
    GIR = "gir"
    """``GIR 0AA``, the Girobank's non-geographic postcode."""
    UNKNOWN = "unknown"
    """``ZZ99 9ZZ``, the ILR's "not known" marker; it matches nothing."""

    def __repr__(self) -> str:
        return self.name


def _set(key: str) -> str:
    return f"[{POSTCODE_LETTERS[key]}]"


def _set_any_case(key: str) -> str:
    letters = POSTCODE_LETTERS[key]
    return f"[{letters}{letters.lower()}]"


def _outward(letters: Callable[[str], str]) -> str:
    """The strict outward codes (A9, A99, AA9, AA99, A9A, AA9A), letters from ``letters``."""
    first, second = letters("area_first"), letters("area_second")
    return (
        f"{first}[0-9][0-9]?"
        f"|{first}{second}[0-9][0-9]?"
        f"|{first}[0-9]{letters('district_after_one_letter')}"
        f"|{first}{second}[0-9]{letters('district_after_two_letters')}"
    )


_INWARD = f"[0-9]{_set('inward')}{{2}}"
_SHAPE_OUTWARD = "[A-Z]{1,2}(?:[0-9][0-9]?|[0-9][A-Z])"
_STRICT = re.compile(f"(?:{_outward(_set)})").fullmatch
_SHAPE = re.compile(_SHAPE_OUTWARD).fullmatch
_INWARD_MATCH = re.compile(_INWARD).fullmatch
_INWARD_SHAPE = re.compile("[0-9][A-Z]{2}").fullmatch
# The common case in one step: a geographic postcode that meets the strict rules, in
# either case, with spaces (only) around the inward code. The groups are the outward
# and inward codes. Everything else takes the general path of _parse.
_COMMON = re.compile(
    f" *({_outward(_set_any_case)}) *([0-9]{_set_any_case('inward')}{{2}}) *"
).fullmatch
_BFPO = re.compile("BFPO([0-9]{1,4})").fullmatch
_AREA = re.compile("[A-Z]+").match
_MAX_INPUT = 32  # anything longer is refused before any other work

_RULE_SHAPE = (
    "a postcode is an outward code (1-2 letters and 1-2 digits, or 1-2 letters, a digit "
    "and a letter) and an inward code (a digit and two letters)"
)
_RULE_INWARD = "the inward code is a digit and two letters other than C, I, K, M, O, V"
_RULE_LETTERS = "the outward code uses a letter that is not allowed in that position"
_RULE_BFPO = "a BFPO number is 1 to 4 digits and not 0"


def _check_text(instance: Postcode, attribute: attrs.Attribute[str], value: str) -> None:
    if type(value) is not str or _split(value, False) is None:
        raise InvalidPostcode("not a postcode in canonical form")


@attrs.frozen(repr=False)
class Postcode:
    """A UK postcode, BFPO number, ``GIR 0AA`` or the "not known" marker ``ZZ99 9ZZ``.

    Build one with :meth:`parse`; ``Postcode("CV4 9EE")`` takes only the canonical
    form. Two postcodes are equal when their canonical forms are. The ``repr`` shows
    the kind only: a postcode is personal data.

    The parts used for matching, from fine to coarse, are :attr:`unit`,
    :attr:`sector`, :attr:`district` and :attr:`area`. They are ``None`` where they
    mean nothing: for a BFPO number only :attr:`unit` is set (BFPO numbers say
    nothing about where a learner lives, so neighbouring numbers must not look
    close); for ``ZZ99 9ZZ`` none is set.

    >>> p = Postcode.parse("sw1a1aa")
    >>> p.outward, p.inward, p.area, p.district, p.sector
    ('SW1A', '1AA', 'SW', 'SW1A', 'SW1A 1')
    >>> b = Postcode.parse("BFPO 0801")
    >>> str(b), b.outward, b.inward, b.bfpo_number, b.unit, b.district
    ('BFPO 801', 'BFPO', None, '801', 'BFPO 801', None)
    """

    text: str = attrs.field(validator=_check_text)
    """The canonical form, as :func:`str` gives it."""
    kind: PostcodeKind = attrs.field(init=False, eq=False)
    outward: str = attrs.field(init=False, eq=False)
    """The outward code (``CV4``, ``SW1A``); ``BFPO`` for a BFPO number."""
    inward: str | None = attrs.field(init=False, eq=False)
    """The inward code (``9EE``); ``None`` for a BFPO number."""

    def __attrs_post_init__(self) -> None:
        parts = _split(self.text, False)
        assert parts is not None  # the validator has checked it
        for name, value in zip(("kind", "outward", "inward"), parts, strict=True):
            object.__setattr__(self, name, value)

    @classmethod
    def parse(cls, text: str, *, field: str = "LastKnownPostCode", strict: bool = True) -> Postcode:
        """Read a postcode as a person or an MIS typed it.

        Case and spaces do not matter: ``cv49ee``, ``CV4  9EE`` and ``" Cv4 9ee "``
        all give ``CV4 9EE``.

        Args:
            text: the text to read.
            field: the field named in error messages.
            strict: also apply the letter rules for each position of the outward
                code (:data:`POSTCODE_LETTERS`); ``False`` checks only the shape.

        Raises:
            InvalidFormat: ``text`` is not a string.
            MissingValue: the text is empty or only whitespace.
            InvalidLength: the text is far too long to be a postcode.
            InvalidPostcode: the text is not a postcode; the message names the rule.

        >>> str(Postcode.parse("w1a0ax")), str(Postcode.parse("gir0aa"))
        ('W1A 0AX', 'GIR 0AA')
        >>> Postcode.parse("QA1 1AA")
        Traceback (most recent call last):
            ...
        uln.errors.InvalidPostcode: LastKnownPostCode: the outward code uses a letter ...
        >>> str(Postcode.parse("QA1 1AA", strict=False))
        'QA1 1AA'
        """
        if type(text) is not str:
            if not isinstance(text, str):
                raise InvalidFormat(
                    f"a postcode must be given as a string, not {type(text).__name__}",
                    field=field,
                )
            text = str(text)
        if len(text) > _MAX_INPUT:  # not cached: a huge value must not stay in memory
            raise InvalidLength(f"a postcode has at most {MAX_LENGTH} characters", field=field)
        common = _COMMON(text)
        if common is not None:
            # Not cached: a cache hit would save less time than a miss adds, and
            # postcodes repeat little (one a household).
            outward, inward = common.groups()
            return _geographic(outward.upper(), inward.upper())
        result = _parse(text, strict)
        if isinstance(result, Postcode):
            return result
        raise result.error(result.rule, field=field)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Postcode(kind={self.kind.name})"

    @property
    def is_unknown(self) -> bool:
        """Whether this is the ILR's "not known" marker ``ZZ99 9ZZ``."""
        return self.kind is PostcodeKind.UNKNOWN

    @property
    def bfpo_number(self) -> str | None:
        """The number of a BFPO address (``"1234"``), ``None`` for other kinds."""
        return self.text[5:] if self.kind is PostcodeKind.BFPO else None

    @property
    def area(self) -> str | None:
        """The letters of the outward code (``CV``); ``GIR`` for ``GIR 0AA``."""
        if self.kind is PostcodeKind.BFPO or self.kind is PostcodeKind.UNKNOWN:
            return None
        match = _AREA(self.outward)
        return match.group() if match else None

    @property
    def district(self) -> str | None:
        """The outward code (``CV4``, ``SW1A``)."""
        if self.kind is PostcodeKind.BFPO or self.kind is PostcodeKind.UNKNOWN:
            return None
        return self.outward

    @property
    def sector(self) -> str | None:
        """The outward code, a space and the inward digit (``CV4 9``)."""
        if self.inward is None or self.kind is PostcodeKind.UNKNOWN:
            return None
        return f"{self.outward} {self.inward[0]}"

    @property
    def unit(self) -> str | None:
        """The whole postcode (``CV4 9EE``, ``BFPO 1234``); ``None`` for ``ZZ99 9ZZ``."""
        return None if self.kind is PostcodeKind.UNKNOWN else self.text


parse_postcode = Postcode.parse
"""Another name for :meth:`Postcode.parse`."""


def postcode_key(text: object) -> str:
    """Return a key for comparing postcodes as plain strings. Never raises.

    Upper case with all whitespace removed, so values that are not UK postcodes
    (foreign postal codes, typing errors) can still be compared. Not a string: ``""``.

    >>> postcode_key("cv4 9ee") == postcode_key("CV49EE")
    True
    >>> postcode_key(None)
    ''
    """
    if not isinstance(text, str):
        return ""
    return "".join(text.split()).upper()


# -- internals ---------------------------------------------------------------------------


@attrs.frozen
class _Failure:
    """Why a text is not a postcode: cached in place of the exception (which names a field)."""

    error: type[ValidationError]
    rule: str


def _split(canonical: str, strict: bool) -> tuple[PostcodeKind, str, str | None] | None:
    """Split a canonical postcode into (kind, outward, inward); None if it is not one."""
    if len(canonical) > MAX_LENGTH:
        return None
    result = _parse(canonical, strict)
    if isinstance(result, _Failure) or result.text != canonical:
        return None
    return result.kind, result.outward, result.inward


@lru_cache(maxsize=65536)
def _parse(text: str, strict: bool) -> Postcode | _Failure:
    """Parse ``text``; return the postcode or why it is not one.

    The general path, for any text: :meth:`Postcode.parse` reads the common case
    (:data:`_COMMON`) itself, to the same result. Cached, failures included.
    """
    compact = "".join(text.split())
    if not compact:
        return _Failure(MissingValue, "a postcode is required")
    if not compact.isascii():
        return _Failure(InvalidPostcode, _RULE_SHAPE)
    compact = compact.upper()
    if compact == "ZZ999ZZ":
        return _make(PostcodeKind.UNKNOWN, "ZZ99", "9ZZ")
    if compact == "GIR0AA":
        return _make(PostcodeKind.GIR, "GIR", "0AA")
    if compact.startswith("BFPO"):
        bfpo = _BFPO(compact)
        if bfpo is None or int(bfpo.group(1)) == 0:
            return _Failure(InvalidPostcode, _RULE_BFPO)
        return _make(PostcodeKind.BFPO, "BFPO", None, str(int(bfpo.group(1))))
    outward, inward = compact[:-3], compact[-3:]
    if not _SHAPE(outward):
        return _Failure(InvalidPostcode, _RULE_SHAPE)
    if not _INWARD_MATCH(inward):
        if _INWARD_SHAPE(inward):
            return _Failure(InvalidPostcode, _RULE_INWARD)
        return _Failure(InvalidPostcode, _RULE_SHAPE)
    if strict and not _STRICT(outward):
        return _Failure(InvalidPostcode, _RULE_LETTERS)
    return _geographic(outward, inward)


_GEOGRAPHIC = PostcodeKind.GEOGRAPHIC
_new = object.__new__
# Postcode is a slotted attrs class: its fields are slot descriptors, and setting them
# through the descriptors is the quickest way round the frozen __setattr__.
_set_text, _set_kind, _set_outward, _set_inward = (
    Postcode.__dict__[name].__set__ for name in ("text", "kind", "outward", "inward")
)


def _make(kind: PostcodeKind, outward: str, inward: str | None, number: str = "") -> Postcode:
    """Build a postcode whose parts are already checked (skips the validator)."""
    postcode: Postcode = _new(Postcode)
    _set_text(postcode, f"{outward} {number if inward is None else inward}")
    _set_kind(postcode, kind)
    _set_outward(postcode, outward)
    _set_inward(postcode, inward)
    return postcode


def _geographic(outward: str, inward: str) -> Postcode:
    """Build a geographic postcode from its checked, upper-case outward and inward codes."""
    postcode: Postcode = _new(Postcode)
    _set_text(postcode, f"{outward} {inward}")
    _set_kind(postcode, _GEOGRAPHIC)
    _set_outward(postcode, outward)
    _set_inward(postcode, inward)
    return postcode
