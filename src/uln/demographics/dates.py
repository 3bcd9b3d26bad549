"""Dates of birth and other dates: reading them, formatting them, checking ages.

The LRS writes dates as ``YYYY-MM-DD``. Data arriving from an MIS, a spreadsheet or
the LRS portal often uses the British day-first forms instead, so :func:`parse_date`
reads these (the table :data:`DATE_FORMATS` lists them):

=================  ==============  ========================
form               example         notes
=================  ==============  ========================
``YYYY-MM-DD``     ``2001-02-03``  ISO 8601, the LRS form
``YYYYMMDD``       ``20010203``    ISO 8601 basic
``DD/MM/YYYY``     ``03/02/2001``  also ``3/2/2001``
``DD-MM-YYYY``     ``03-02-2001``  the portal's display form; also ``3-2-2001``
``DD.MM.YYYY``     ``03.02.2001``  also ``3.2.2001``
``YYYY/MM/DD``     ``2001/02/03``  year first
``D Mon YYYY``     ``3 Feb 2001``  also ``03 February 2001``, ``3-Feb-2001``
``Mon D, YYYY``    ``Feb 3, 2001`` the month named, so not ambiguous
with a time        ``2001-02-03 00:00:00``, ``2001-02-03T00:00``, ``03/02/2001 00:00``
=================  ==============  ========================

A time of day after a date (as database and spreadsheet exports write a date column)
is checked and dropped.

Day-first forms are *always* read day first (a UK library: ``03/02/2001`` is the
3rd of February). Two-digit years are refused, because ``01/02/03`` could be any
of three dates in two centuries. Any four-digit year from 1000 to 9999 is read:
historical records go back a long way, and only the register enforces an age range
(:func:`check_age`, reported as RC013 in a batch).

>>> parse_date("03/02/2001")
datetime.date(2001, 2, 3)
>>> parse_date(" 2001-02-03 ")
datetime.date(2001, 2, 3)
>>> format_date(parse_date("3.2.2001"))
'2001-02-03'
>>> parse_date("02 Nov 2003"), parse_date("2005-12-24 00:00:00")
(datetime.date(2003, 11, 2), datetime.date(2005, 12, 24))
>>> parse_date("31/02/2001")
Traceback (most recent call last):
    ...
uln.errors.InvalidDate: DateOfBirth: the day does not exist in that month
>>> parse_date("03/02/01")
Traceback (most recent call last):
    ...
uln.errors.InvalidDate: DateOfBirth: two-digit years are ambiguous; write the year in full
>>> age_on(parse_date("2008-02-29"), parse_date("2021-02-28"))
12
>>> check_age(parse_date("2008-02-29"), parse_date("2021-03-01"))
13
"""

from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache

from uln.errors import AgeOutOfRange, InvalidDate, InvalidFormat, MissingValue, ValidationError

__all__ = [
    "DATE_FORMATS",
    "MAXIMUM_AGE",
    "MINIMUM_AGE",
    "MONTHS",
    "age_on",
    "check_age",
    "date_parts",
    "format_date",
    "parse_date",
]

MINIMUM_AGE = 13
"""The youngest age the register accepts on the day it receives a learner [spec]."""

MAXIMUM_AGE = 110
"""The oldest age the register accepts on the day it receives a learner [spec]."""

_TIME = r"[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,6})?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
"""A time of day after a date, as database and spreadsheet exports add one
(``2005-12-24 00:00:00``, ``2005-12-24T00:00:00``, ``24/12/2005 00:00``); it is checked
to be a time of day and dropped."""

_MONTH_NAME = r"[A-Za-z]{3,9}\.?"

DATE_FORMATS: tuple[tuple[str, str], ...] = (
    ("YYYY-MM-DD", r"(?P<iso_y>[0-9]{4})-(?P<iso_m>[0-9]{2})-(?P<iso_d>[0-9]{2})"),
    ("YYYYMMDD", r"(?P<basic_y>[0-9]{4})(?P<basic_m>[0-9]{2})(?P<basic_d>[0-9]{2})"),
    (
        "D/M/YYYY, D-M-YYYY or D.M.YYYY (day first)",
        r"(?P<uk_d>[0-9]{1,2})(?P<sep>[/.-])(?P<uk_m>[0-9]{1,2})(?P=sep)(?P<uk_y>[0-9]{4})",
    ),
    (
        "YYYY-MM-DD with a time (2005-12-24 00:00:00, 2005-12-24T00:00)",
        r"(?P<isot_y>[0-9]{4})-(?P<isot_m>[0-9]{2})-(?P<isot_d>[0-9]{2})(?P<isot_time>"
        + _TIME
        + ")",
    ),
    (
        "D/M/YYYY with a time (24/12/2005 00:00)",
        r"(?P<ukt_d>[0-9]{1,2})(?P<sept>[/.-])(?P<ukt_m>[0-9]{1,2})(?P=sept)(?P<ukt_y>[0-9]{4})"
        r"(?P<ukt_time>" + _TIME + ")",
    ),
    ("YYYY/MM/DD", r"(?P<slash_y>[0-9]{4})/(?P<slash_m>[0-9]{1,2})/(?P<slash_d>[0-9]{1,2})"),
    (
        "D Mon YYYY or D-Mon-YYYY (2 Nov 2003, 02 November 2003, 2-Nov-2003)",
        r"(?P<name_d>[0-9]{1,2})(?P<sepn>[ -])(?P<name_m>" + _MONTH_NAME + r")"
        r"(?P=sepn)(?P<name_y>[0-9]{4})",
    ),
    (
        "Mon D, YYYY (Nov 2, 2003)",
        r"(?P<us_m>" + _MONTH_NAME + r") (?P<us_d>[0-9]{1,2}),? (?P<us_y>[0-9]{4})",
    ),
)
"""The accepted text forms of a date [ours]: a description and a regular expression.

Day-first forms need the same separator twice; digits are ASCII only; month names
are English, in full or cut to three letters (``Sept`` too), in any case. A time of
day after the date is read and dropped. Leading and trailing whitespace is ignored.
Edit this one table to accept another form: :func:`parse_date` and the matcher
(:func:`uln.matching.normalise.date_info`, through :func:`date_parts`) read it.
"""

MONTHS: dict[str, int] = {
    name: number
    for number, full in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        1,
    )
    for name in (full, full[:3])
} | {"sept": 9}
"""[ours] The English month names read in dates, in lower case: in full or as three
letters (and ``sept``)."""

_TIME_OF_DAY = re.compile(r"[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?")

_TWO_DIGIT_YEAR = re.compile(
    r"(?:[0-9]{1,2}([/.-])[0-9]{1,2}\1[0-9]{2}|[0-9]{6}|[0-9]{1,2}([ -])[A-Za-z]{3,9}\.?\2[0-9]{2})"
    r"(?:[ T][0-9:.]+)?"
)
# One pattern for all the forms, each wrapped in a group of its own (``_form0`` ...):
# a match's lastindex is the number of that group, which _FIELDS maps to the numbers
# of the form's year, month and day groups (the groups named ``*_y``, ``*_m``, ``*_d``).
_PATTERN = re.compile(
    "|".join(f"(?P<_form{i}>{pattern})" for i, (_, pattern) in enumerate(DATE_FORMATS))
)
_MATCH = _PATTERN.fullmatch
_ACCEPTED = (
    "use YYYY-MM-DD, YYYYMMDD, day-first DD/MM/YYYY, DD-MM-YYYY, DD.MM.YYYY or "
    "2 Nov 2003 (a time after the date is allowed)"
)
_MAX_INPUT = 64
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _year_month_day(pattern: str) -> tuple[int, int, int]:
    """The numbers in :data:`_PATTERN` of the year, month and day groups of one form."""
    names = list(re.compile(pattern).groupindex)
    year, month, day = (
        _PATTERN.groupindex[next(name for name in names if name.endswith(suffix))]
        for suffix in ("_y", "_m", "_d")
    )
    return year, month, day


_FIELDS: dict[int | None, tuple[int, int, int]] = {  # key: Match.lastindex
    _PATTERN.groupindex[f"_form{i}"]: _year_month_day(pattern)
    for i, (_, pattern) in enumerate(DATE_FORMATS)
}
# The forms with a time of day: the number of the group that holds the time.
_TIMED = {
    _PATTERN.groupindex[f"_form{i}"]: _PATTERN.groupindex[name]
    for i, (_, pattern) in enumerate(DATE_FORMATS)
    for name in re.compile(pattern).groupindex
    if name.endswith("_time")
}
# The forms written in digits only, with no time: read without the checks of _parts.
_PLAIN = frozenset(
    _PATTERN.groupindex[f"_form{i}"]
    for i, (form, _) in enumerate(DATE_FORMATS)
    if "Mon" not in form and "time" not in form
)
# The forms that date.fromisoformat reads (Python 3.11 and later): one call in C instead
# of int() on three groups. It refuses the same impossible dates; the checks say why.
_ISO_FORMS = frozenset(
    _PATTERN.groupindex[f"_form{i}"]
    for i, (form, _) in enumerate(DATE_FORMATS)
    if form in ("YYYY-MM-DD", "YYYYMMDD")
)


def parse_date(value: str | _dt.date, *, field: str = "DateOfBirth") -> _dt.date:
    """Read a date from text (the forms of :data:`DATE_FORMATS`) or a date object.

    A :class:`datetime.datetime` is accepted and its time dropped (``.date()``), since
    database drivers often return a date column as midnight of that day [ours].

    Args:
        value: the text or date to read.
        field: the field named in error messages.

    Returns:
        The date.

    Raises:
        MissingValue: the text is empty or only whitespace.
        InvalidFormat: ``value`` is neither a string nor a date.
        InvalidDate: the text is in none of the accepted forms, has a two-digit year, a
            year before 1000, or names a day that does not exist (``31/02/2001``).

    >>> parse_date("20010203"), parse_date("3-2-2001")
    (datetime.date(2001, 2, 3), datetime.date(2001, 2, 3))
    >>> import datetime
    >>> parse_date(datetime.datetime(2001, 2, 3, 10, 30))
    datetime.date(2001, 2, 3)
    """
    if type(value) is str:
        if len(value) > _MAX_INPUT:  # not cached: a huge value must not stay in memory
            raise InvalidDate(f"not a date: {_ACCEPTED}", field=field)
        result = _parse_text(value)
        if isinstance(result, _dt.date):
            return result
        error_class, rule = result
        raise error_class(rule, field=field)
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):  # a str subclass: read its plain text
        return parse_date(str(value), field=field)
    raise InvalidFormat(
        f"a date must be given as a string or a date, not {type(value).__name__}", field=field
    )


def format_date(value: _dt.date, *, field: str = "DateOfBirth") -> str:
    """Write a date in the LRS form ``YYYY-MM-DD``.

    A :class:`datetime.datetime` is written as its date.

    Raises:
        InvalidFormat: ``value`` is not a date.

    >>> import datetime
    >>> format_date(datetime.date(2001, 2, 3))
    '2001-02-03'
    """
    if isinstance(value, _dt.datetime):
        value = value.date()
    if not isinstance(value, _dt.date):
        raise InvalidFormat(f"expected a date, not {type(value).__name__}", field=field)
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def age_on(dob: _dt.date, on: _dt.date) -> int:
    """Return the age in completed years of someone born on ``dob``, on the day ``on``.

    Someone born on 29 February has their birthday on 1 March in years that are not
    leap years, as in the law of England and Wales [ours]: they turn 13 on 1 March.
    When ``dob`` is after ``on`` the result is negative (-1 on the day before birth).

    >>> import datetime
    >>> age_on(datetime.date(2008, 2, 29), datetime.date(2021, 2, 28))
    12
    >>> age_on(datetime.date(2008, 2, 29), datetime.date(2021, 3, 1))
    13
    >>> age_on(datetime.date(2000, 6, 1), datetime.date(2024, 6, 1))
    24
    """
    if isinstance(dob, _dt.datetime):
        dob = dob.date()
    if isinstance(on, _dt.datetime):
        on = on.date()
    if not isinstance(dob, _dt.date) or not isinstance(on, _dt.date):
        raise InvalidFormat("both dates must be dates")
    before_birthday = (on.month, on.day) < (dob.month, dob.day)
    return on.year - dob.year - before_birthday


def check_age(
    dob: _dt.date,
    on: _dt.date,
    *,
    minimum: int = MINIMUM_AGE,
    maximum: int = MAXIMUM_AGE,
    field: str = "DateOfBirth",
) -> int:
    """Return the age on ``on`` if it is from ``minimum`` to ``maximum`` years (inclusive).

    The register accepts learners aged 13 to 110 on the day it receives them (batch
    return code RC013 otherwise).

    Raises:
        AgeOutOfRange: the age is outside the range (a date of birth after ``on`` too).
            The message gives the range, never the date or the age.

    >>> import datetime
    >>> check_age(datetime.date(2011, 9, 1), datetime.date(2024, 9, 1))
    13
    >>> check_age(datetime.date(2011, 9, 2), datetime.date(2024, 9, 1))
    Traceback (most recent call last):
        ...
    uln.errors.AgeOutOfRange: DateOfBirth: the learner's age must be from 13 to 110 years
    """
    age = age_on(dob, on)
    if not minimum <= age <= maximum:
        raise AgeOutOfRange(
            f"the learner's age must be from {minimum} to {maximum} years", field=field
        )
    return age


# -- internals ---------------------------------------------------------------------------


def _parts(match: re.Match[str]) -> tuple[int, int, int] | str:
    """The year, month and day a match of :data:`_PATTERN` names, or why it names none
    (an unknown month name, a time that is not a time of day)."""
    form = match.lastindex
    year_text, month_text, day_text = match.group(*_FIELDS[form])
    if form in _TIMED:
        time = _TIME_OF_DAY.match(match[_TIMED[form]])
        if time is None or int(time[1]) > 23 or int(time[2]) > 59 or int(time[3] or 0) > 59:
            return "the time after the date is not a time of day"
    if month_text.isdigit():
        month = int(month_text)
    else:
        month = MONTHS.get(month_text.rstrip(".").lower(), 0)
        if not month:
            return f"not a date: {_ACCEPTED}"
    return int(year_text), month, int(day_text)


def date_parts(text: str) -> tuple[int, int, int] | None:
    """The year, month and day written in ``text`` in a form of :data:`DATE_FORMATS`,
    whether or not that day exists; ``None`` when the text is in no such form.

    For the matcher, which compares the digits of impossible dates too.

    >>> date_parts("31/02/2001"), date_parts("2 Nov 2003 "), date_parts("soon")
    ((2001, 2, 31), (2003, 11, 2), None)
    """
    if len(text) > _MAX_INPUT:
        return None
    match = _MATCH(text.strip())
    if match is None:
        return None
    parts = _parts(match)
    return parts if isinstance(parts, tuple) else None


@lru_cache(maxsize=65536)
def _parse_text(text: str) -> _dt.date | tuple[type[ValidationError], str]:
    """Parse ``text``; return the date or (error class, rule). Cached: dates repeat."""
    stripped = text.strip()
    match = _MATCH(stripped)
    if match is None:
        if not stripped:
            return MissingValue, "a date is required"
        if _TWO_DIGIT_YEAR.fullmatch(stripped):
            return InvalidDate, "two-digit years are ambiguous; write the year in full"
        return InvalidDate, f"not a date: {_ACCEPTED}"
    form = match.lastindex
    if form in _ISO_FORMS:
        try:
            date = _fromisoformat(stripped)
        except ValueError:
            pass  # the checks below say why
        else:
            if date.year >= 1000:
                return date
    if form in _PLAIN:  # digits only, no time: the common case, read inline
        year_text, month_text, day_text = match.group(*_FIELDS[form])
        year, month, day = int(year_text), int(month_text), int(day_text)
    else:
        parts = _parts(match)
        if isinstance(parts, str):
            return InvalidDate, parts
        year, month, day = parts
    if year >= 1000 and 1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month - 1]:
        try:
            return _date(year, month, day)
        except ValueError:  # 29 February of a year that is not a leap year
            return InvalidDate, "the day does not exist in that month"
    if year < 1000:
        return InvalidDate, "the year must be from 1000 to 9999"
    if not 1 <= month <= 12:
        return InvalidDate, "the month must be from 1 to 12"
    return InvalidDate, "the day does not exist in that month"


_date = _dt.date
_fromisoformat = _dt.date.fromisoformat
