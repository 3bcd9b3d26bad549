"""Hypothesis strategies for single learner fields: postcodes, dates of birth, genders,
email addresses and telephone numbers.

Re-exported by :mod:`uln.testing.strategies`. Every value drawn is accepted by the
matching normaliser of :mod:`uln.demographics`.

>>> from hypothesis import find
>>> from uln.demographics.postcodes import Postcode
>>> str(Postcode.parse(find(postcode_inputs(), lambda text: text.islower())))
'A0 0AA'
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

import phonenumbers
from hypothesis import strategies as st

from uln.demographics.dates import MAXIMUM_AGE, MINIMUM_AGE
from uln.demographics.email import EMAIL_RULES
from uln.demographics.postcodes import POSTCODE_LETTERS, PostcodeKind
from uln.enums import Gender

__all__ = [
    "dates_of_birth",
    "emails",
    "genders",
    "phone_numbers",
    "postcode_inputs",
    "postcodes",
]

_DIGITS = "0123456789"
_GEOGRAPHIC = (PostcodeKind.GEOGRAPHIC,)


def _letters(key: str) -> st.SearchStrategy[str]:
    return st.sampled_from(POSTCODE_LETTERS[key])


@st.composite
def _geographic(draw: st.DrawFn) -> str:
    first = draw(_letters("area_first"))
    second = draw(_letters("area_second"))
    digit = draw(st.sampled_from(_DIGITS))
    shape = draw(st.sampled_from(("A9", "A99", "AA9", "AA99", "A9A", "AA9A")))
    if shape == "A9":
        outward = f"{first}{digit}"
    elif shape == "A99":
        outward = f"{first}{digit}{draw(st.sampled_from(_DIGITS))}"
    elif shape == "AA9":
        outward = f"{first}{second}{digit}"
    elif shape == "AA99":
        outward = f"{first}{second}{digit}{draw(st.sampled_from(_DIGITS))}"
    elif shape == "A9A":
        outward = f"{first}{digit}{draw(_letters('district_after_one_letter'))}"
    else:
        outward = f"{first}{second}{digit}{draw(_letters('district_after_two_letters'))}"
    inward = draw(st.sampled_from(_DIGITS)) + draw(_letters("inward")) + draw(_letters("inward"))
    return f"{outward} {inward}"


_BY_KIND = {
    PostcodeKind.GEOGRAPHIC: _geographic(),
    PostcodeKind.BFPO: st.integers(1, 9999).map(lambda n: f"BFPO {n}"),
    PostcodeKind.GIR: st.just("GIR 0AA"),
    PostcodeKind.UNKNOWN: st.just("ZZ99 9ZZ"),
}


def postcodes(*, kinds: Sequence[PostcodeKind] = _GEOGRAPHIC) -> st.SearchStrategy[str]:
    """Valid postcodes in canonical form (``CV4 9EE``), of the given ``kinds``.

    Geographic postcodes follow every letter rule of
    :data:`~uln.demographics.postcodes.POSTCODE_LETTERS`; most are not real postcodes.
    Add :class:`~uln.demographics.postcodes.PostcodeKind` members to ``kinds`` for
    ``BFPO 1234``, ``GIR 0AA`` and ``ZZ99 9ZZ``.

    >>> from hypothesis import find
    >>> find(postcodes(kinds=list(PostcodeKind)), lambda p: p.startswith("BFPO"))
    'BFPO 1'
    """
    if not kinds or not set(kinds) <= set(PostcodeKind):
        raise ValueError("kinds must be a non-empty collection of PostcodeKind members")
    return st.one_of(*(_BY_KIND[k] for k in dict.fromkeys(kinds)))


@st.composite
def _messy(draw: st.DrawFn, canonical: str) -> str:
    outward, _, inward = canonical.partition(" ")
    middle = draw(st.sampled_from(("", " ", "  ", "\t")))
    text = f"{outward}{middle}{inward}"
    case = draw(st.sampled_from(("upper", "lower", "mixed")))
    if case == "lower":
        text = text.lower()
    elif case == "mixed":
        flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
        text = "".join(c.lower() if f else c for c, f in zip(text, flips, strict=True))
    before = draw(st.sampled_from(("", " ", "  ")))
    after = draw(st.sampled_from(("", " ", "\n")))
    return f"{before}{text}{after}"


def postcode_inputs(*, kinds: Sequence[PostcodeKind] = _GEOGRAPHIC) -> st.SearchStrategy[str]:
    """Valid postcodes as people type them: any case, no space or several, padding.

    ``Postcode.parse`` turns each into the canonical form that :func:`postcodes`
    draws: ``" cv49ee"`` and ``"Cv4  9eE "`` both give ``CV4 9EE``.

    >>> from hypothesis import find
    >>> find(postcode_inputs(), lambda text: " " not in text)
    'A00AA'
    """
    return postcodes(kinds=kinds).flatmap(_messy)


def _anniversary(on: _dt.date, year: int) -> _dt.date:
    """``on`` moved to ``year``; 29 February becomes the 28th in other years."""
    try:
        return on.replace(year=year)
    except ValueError:
        return on.replace(year=year, day=28)


def dates_of_birth(
    *, min_age: int = MINIMUM_AGE, max_age: int = MAXIMUM_AGE, on: _dt.date | None = None
) -> st.SearchStrategy[_dt.date]:
    """Dates of birth of people aged ``min_age`` to ``max_age`` (inclusive) on ``on``.

    ``on`` defaults to today. The defaults give every date of birth the register
    accepts; :func:`uln.demographics.dates.age_on` of each is in the range.

    >>> import datetime
    >>> from hypothesis import find
    >>> from uln.demographics.dates import age_on
    >>> on = datetime.date(2024, 9, 1)
    >>> age_on(find(dates_of_birth(on=on), lambda d: age_on(d, on) > 100), on) > 100
    True
    """
    if min_age < 0 or max_age < min_age:
        raise ValueError("need 0 <= min_age <= max_age")
    day = on if on is not None else _dt.date.today()
    if day.year - min_age < 1:
        raise ValueError("nobody was min_age years old on that day")
    latest = _anniversary(day, day.year - min_age)
    earliest_year = day.year - max_age - 1
    if earliest_year < 1:
        earliest = _dt.date.min
    else:
        earliest = _anniversary(day, earliest_year) + _dt.timedelta(days=1)
    return st.dates(min_value=earliest, max_value=latest)


def genders(*, known: bool | None = None) -> st.SearchStrategy[Gender]:
    """Members of :class:`~uln.enums.Gender`; ``known=True`` only male and female,
    ``known=False`` only not known and not specified.

    >>> from hypothesis import find
    >>> find(genders(known=True), lambda g: True)
    <Gender.MALE: 1>
    """
    return st.sampled_from([g for g in Gender if known is None or g.is_known == known])


_ATOM = st.text(
    st.sampled_from(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" + EMAIL_RULES.specials
    ),
    min_size=1,
    max_size=10,
)
_LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_TLD = st.from_regex(r"[a-z]{2,6}", fullmatch=True)


@st.composite
def _email(draw: st.DrawFn) -> str:
    local = ".".join(draw(st.lists(_ATOM, min_size=1, max_size=3)))
    labels = draw(st.lists(_LABEL, min_size=1, max_size=3))
    return f"{local}@{'.'.join(labels)}.{draw(_TLD)}"


def emails() -> st.SearchStrategy[str]:
    """Valid email addresses in the form :func:`~uln.demographics.email.normalise_email`
    returns (the domain in lower case; the local part in any case).

    >>> from hypothesis import find
    >>> find(emails(), lambda e: True)
    '0@0.aa'
    """
    return _email()


_PHONE_PREFIXES = (
    *(f"+447{d}" for d in "12345789"),  # mobiles (070 personal numbers and 076 pagers left out)
    "+4420",  # London
    "+44121",  # Birmingham
    "+44161",  # Manchester
    "+441",  # other geographic numbers
)
_PHONE_TYPES = frozenset(
    {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
)


@st.composite
def _phone(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(_PHONE_PREFIXES))
    rest = draw(st.text(_DIGITS, min_size=13 - len(prefix), max_size=13 - len(prefix)))
    return prefix + rest


def _is_valid_phone(e164: str) -> bool:
    number = phonenumbers.parse(e164, None)
    return phonenumbers.number_type(number) in _PHONE_TYPES


def phone_numbers() -> st.SearchStrategy[str]:
    """Valid UK telephone numbers (mobile and geographic) in E.164 form (``+447...``).

    These are numbers :mod:`phonenumbers` calls valid, so some may belong to real
    people: do not call them. For made-up data that is safe to publish, use the Ofcom
    drama ranges, which :func:`~uln.demographics.phone.normalise_phone` accepts only
    with ``accept_possible=True``.

    >>> from hypothesis import find
    >>> find(phone_numbers(), lambda p: p.startswith("+447"))[:4]
    '+447'
    """
    return _phone().filter(_is_valid_phone)
