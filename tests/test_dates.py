"""Dates: vectors (tests/data/dates.csv), ages, and properties of every accepted form."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from uln import errors
from uln.demographics.dates import (
    DATE_FORMATS,
    MAXIMUM_AGE,
    MINIMUM_AGE,
    age_on,
    check_age,
    format_date,
    parse_date,
)
from uln.testing._field_strategies import dates_of_birth

DATA = Path(__file__).parent / "data" / "dates.csv"
with DATA.open(encoding="utf-8", newline="") as _f:
    VECTORS = list(csv.DictReader(_f))

RULES = {
    "a date is required",
    "two-digit years are ambiguous; write the year in full",
    "not a date: use YYYY-MM-DD, YYYYMMDD, day-first DD/MM/YYYY, DD-MM-YYYY, DD.MM.YYYY or "
    "2 Nov 2003 (a time after the date is allowed)",
    "the time after the date is not a time of day",
    "the year must be from 1000 to 9999",
    "the month must be from 1 to 12",
    "the day does not exist in that month",
}
VALID_DATES = st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31))


def _forms(d: dt.date) -> list[str]:
    """Every text form parse_date accepts, written for ``d`` (see DATE_FORMATS)."""
    y, m, day = f"{d.year:04d}", d.month, d.day
    forms = [f"{y}-{m:02d}-{day:02d}", f"{y}{m:02d}{day:02d}"]
    for sep in "/-.":
        forms.append(f"{day:02d}{sep}{m:02d}{sep}{y}")
        forms.append(f"{day}{sep}{m}{sep}{y}")
        forms.append(f"{day:02d}{sep}{m}{sep}{y}")
        forms.append(f"{day}{sep}{m:02d}{sep}{y}")
    forms.append(f"{y}/{m}/{day}")
    forms.append(f"{y}/{m:02d}/{day:02d}")
    name = d.strftime("%B")
    for month in (name, name[:3], name.upper(), name[:3].lower() + "."):
        forms.append(f"{day} {month} {y}")
        forms.append(f"{day:02d}-{month}-{y}")
        forms.append(f"{month} {day}, {y}")
    for time in (" 00:00:00", "T00:00:00", " 23:59", "T12:30:45.123Z", " 00:00:00+01:00"):
        forms.append(f"{y}-{m:02d}-{day:02d}{time}")
        forms.append(f"{day:02d}/{m:02d}/{y}{time}")
    return forms


@pytest.mark.parametrize("row", VECTORS, ids=[repr(r["value"]) for r in VECTORS])
def test_vectors(row: dict[str, str]) -> None:
    if row["expected"]:
        assert format_date(parse_date(row["value"])) == row["expected"]
        assert parse_date(row["value"]) == dt.date.fromisoformat(row["expected"])
    else:
        error = getattr(errors, row["error"])
        with pytest.raises(error) as info:
            parse_date(row["value"])
        assert type(info.value) is error
        assert info.value.field == "DateOfBirth"
        assert info.value.rule in RULES
        if row["value"].strip():
            assert row["value"].strip() not in str(info.value)


@given(
    st.dates(),
    st.sampled_from(
        ["{d} {mon} {y}", "{d}-{mon}-{y}", "{d}/{m}/{y} 00:00", "{d}.{m}.{y}T00:00:00"]
    ),
)
def test_two_digit_years_are_refused_in_the_export_forms_too(d: dt.date, pattern: str) -> None:
    text = pattern.format(d=d.day, m=d.month, mon=d.strftime("%b"), y=f"{d.year % 100:02d}")
    with pytest.raises(errors.InvalidDate, match="two-digit years are ambiguous"):
        parse_date(text)


@given(VALID_DATES, st.integers(0, 99), st.integers(0, 99), st.integers(0, 99))
def test_a_time_after_the_date_must_be_a_time_of_day(
    d: dt.date, hours: int, minutes: int, seconds: int
) -> None:
    text = f"{d.isoformat()} {hours:02d}:{minutes:02d}:{seconds:02d}"
    if hours < 24 and minutes < 60 and seconds < 60:
        assert parse_date(text) == d
    else:
        with pytest.raises(errors.InvalidDate, match="not a time of day"):
            parse_date(text)


@given(VALID_DATES)
def test_the_matcher_reads_every_form_parse_date_reads(d: dt.date) -> None:
    from uln.matching.normalise import date_info

    for text in _forms(d):
        info = date_info(text)
        assert info is not None, text
        assert info.ordinal == d.toordinal(), text


def test_the_table_lists_the_forms() -> None:
    assert [name for name, _ in DATE_FORMATS][:2] == ["YYYY-MM-DD", "YYYYMMDD"]
    assert "day first" in DATE_FORMATS[2][0]


@given(VALID_DATES)
def test_every_form_parses_back(d: dt.date) -> None:
    for text in _forms(d):
        assert parse_date(text) == d, text
        assert parse_date(f" {text}\t") == d


@given(VALID_DATES)
def test_format_round_trip(d: dt.date) -> None:
    text = format_date(d)
    assert len(text) == 10
    assert parse_date(text) == d
    assert format_date(parse_date(text)) == text
    assert text == d.isoformat()


@given(VALID_DATES.filter(lambda d: d.day != d.month and d.day <= 12))
def test_day_and_month_are_never_swapped(d: dt.date) -> None:
    for sep in "/-.":
        assert parse_date(f"{d.day}{sep}{d.month}{sep}{d.year}") == d
        swapped = parse_date(f"{d.month}{sep}{d.day}{sep}{d.year}")
        assert (swapped.day, swapped.month) == (d.month, d.day)


@given(VALID_DATES.filter(lambda d: d.day > 12))
def test_month_first_is_refused_when_it_cannot_be_day_first(d: dt.date) -> None:
    with pytest.raises(errors.InvalidDate, match="month"):
        parse_date(f"{d.month:02d}/{d.day:02d}/{d.year}")


@given(st.dates(), st.sampled_from(["{d}/{m}/{y}", "{d}-{m}-{y}", "{d}.{m}.{y}"]))
def test_two_digit_years_are_refused(d: dt.date, pattern: str) -> None:
    text = pattern.format(d=d.day, m=d.month, y=f"{d.year % 100:02d}")
    with pytest.raises(errors.InvalidDate, match="two-digit years are ambiguous"):
        parse_date(text)


@given(st.text(max_size=30))
def test_any_text_parses_or_raises_a_validation_error(text: str) -> None:
    try:
        d = parse_date(text)
    except errors.ValidationError as exc:
        error: errors.ValidationError = exc
    else:
        assert 1000 <= d.year <= 9999
        assert parse_date(format_date(d)) == d
        return
    assert isinstance(error, errors.InvalidDate | errors.MissingValue)
    assert error.field == "DateOfBirth"
    assert error.rule in RULES  # a fixed text: the value cannot be in it


_REFERENCE = [
    (r"[0-9]{4}-[0-9]{2}-[0-9]{2}", "%Y-%m-%d"),
    (r"[0-9]{8}", "%Y%m%d"),
    *(
        (
            rf"[0-9]{{1,2}}{re.escape(sep)}[0-9]{{1,2}}{re.escape(sep)}[0-9]{{4}}",
            f"%d{sep}%m{sep}%Y",
        )
        for sep in "/-."
    ),
    (r"[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}", "%Y/%m/%d"),
]


def _reference(text: str) -> dt.date | None:
    """The rule written with strptime, independently of the regex dispatch."""
    text = text.strip()
    for pattern, form in _REFERENCE:
        if re.fullmatch(pattern, text):
            try:
                d = dt.datetime.strptime(text, form).date()
            except ValueError:
                return None
            return d if d.year >= 1000 else None
    return None


@given(st.text(alphabet="0123456789/-. ", max_size=12))
@example(" 3.2.2001")
@example("29.02.2001")
@example("29-2-2000")
@example("2000-02-30")
def test_digit_soup_agrees_with_strptime(text: str) -> None:
    got: dt.date | None = None
    with contextlib.suppress(errors.InvalidDate, errors.MissingValue):
        got = parse_date(text)
    assert got == _reference(text)


def test_date_objects() -> None:
    d = dt.date(2001, 2, 3)
    assert parse_date(d) is d
    assert parse_date(dt.datetime(2001, 2, 3, 23, 59)) == d
    assert type(parse_date(dt.datetime(2001, 2, 3, 23, 59))) is dt.date
    assert format_date(dt.datetime(2001, 2, 3, 23, 59)) == "2001-02-03"


def test_str_subclass() -> None:
    class Text(str):
        pass

    assert parse_date(Text("03/02/2001")) == dt.date(2001, 2, 3)


@pytest.mark.parametrize("value", [None, 20010203, 3.0, b"2001-02-03", ["2001-02-03"]])
def test_non_dates_are_refused(value: object) -> None:
    with pytest.raises(errors.InvalidFormat, match="must be given as a string or a date") as info:
        parse_date(value)  # type: ignore[arg-type]
    assert info.value.field == "DateOfBirth"
    with pytest.raises(errors.InvalidFormat):
        format_date(value)  # type: ignore[arg-type]


def test_field_is_named() -> None:
    with pytest.raises(errors.InvalidDate) as info:
        parse_date("31/02/2001", field="DateOfAddressCapture")
    assert str(info.value) == "DateOfAddressCapture: the day does not exist in that month"
    with pytest.raises(errors.MissingValue, match=r"^DateOfAddressCapture: "):
        parse_date(" ", field="DateOfAddressCapture")


# -- ages ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dob", "on", "age"),
    [
        ("2000-06-01", "2024-06-01", 24),
        ("2000-06-01", "2024-05-31", 23),
        ("2000-06-01", "2000-06-01", 0),
        ("2000-06-01", "2000-05-31", -1),
        ("2008-02-29", "2021-02-28", 12),  # not a leap year: the birthday is 1 March
        ("2008-02-29", "2021-03-01", 13),
        ("2008-02-29", "2024-02-28", 15),
        ("2008-02-29", "2024-02-29", 16),  # a leap year: the birthday is 29 February
        ("1999-12-31", "2000-01-01", 0),
        ("1913-09-02", "2024-09-01", 110),
        ("1913-09-01", "2024-09-01", 111),
    ],
)
def test_age_on(dob: str, on: str, age: int) -> None:
    assert age_on(dt.date.fromisoformat(dob), dt.date.fromisoformat(on)) == age


def _naive_age(dob: dt.date, on: dt.date) -> int:
    """Count birthdays one by one (29 February celebrated on 1 March in other years)."""
    age = 0
    year = dob.year + 1
    while True:
        try:
            birthday = dob.replace(year=year)
        except ValueError:
            birthday = dt.date(year, 3, 1)
        if birthday > on:
            return age
        age += 1
        year += 1


@given(st.dates(max_value=dt.date(2100, 1, 1)), st.dates(max_value=dt.date(2200, 1, 1)))
def test_age_on_agrees_with_counting_birthdays(dob: dt.date, on: dt.date) -> None:
    if on >= dob:
        assert age_on(dob, on) == _naive_age(dob, on)
    else:
        assert age_on(dob, on) < 0


def test_check_age() -> None:
    on = dt.date(2024, 9, 1)
    assert check_age(dt.date(2011, 9, 1), on) == MINIMUM_AGE
    assert check_age(dt.date(1913, 9, 2), on) == MAXIMUM_AGE
    for dob in (dt.date(2011, 9, 2), dt.date(1913, 9, 1), dt.date(2030, 1, 1)):
        with pytest.raises(errors.AgeOutOfRange) as info:
            check_age(dob, on)
        assert info.value.field == "DateOfBirth"
        assert str(info.value) == "DateOfBirth: the learner's age must be from 13 to 110 years"
        assert dob.isoformat() not in str(info.value)
        assert str(dob.year) not in str(info.value)
    assert check_age(dt.date(2010, 1, 1), on, minimum=14, maximum=14) == 14
    with pytest.raises(errors.AgeOutOfRange, match=r"^Dob: .* from 16 to 18 years"):
        check_age(dt.date(2010, 1, 1), on, minimum=16, maximum=18, field="Dob")


def test_age_on_refuses_non_dates() -> None:
    with pytest.raises(errors.InvalidFormat):
        age_on("2001-01-01", dt.date(2020, 1, 1))  # type: ignore[arg-type]


@given(st.data())
def test_dates_of_birth_strategy(data: st.DataObject) -> None:
    on = data.draw(st.dates(min_value=dt.date(1200, 1, 1)))
    low = data.draw(st.integers(0, 120))
    high = data.draw(st.integers(low, 130))
    dob = data.draw(dates_of_birth(min_age=low, max_age=high, on=on))
    assert low <= age_on(dob, on) <= high
    assert parse_date(format_date(dob)) == dob or dob.year < 1000


@given(dates_of_birth(on=dt.date(2024, 2, 29)))
def test_default_dates_of_birth_pass_check_age(dob: dt.date) -> None:
    assert MINIMUM_AGE <= check_age(dob, dt.date(2024, 2, 29)) <= MAXIMUM_AGE


@given(dates_of_birth(on=dt.date(2024, 2, 29)))
def test_dates_of_birth_stay_within_the_edges_on_29_february(dob: dt.date) -> None:
    assert dt.date(1913, 3, 1) <= dob <= dt.date(2011, 2, 28)


def test_dates_of_birth_edges_on_29_february() -> None:
    on = dt.date(2024, 2, 29)
    # the edges the strategy draws between are exactly the edges check_age accepts
    assert check_age(dt.date(2011, 2, 28), on) == 13
    assert check_age(dt.date(1913, 3, 1), on) == 110
    with pytest.raises(errors.AgeOutOfRange):
        check_age(dt.date(2011, 3, 1), on)
    with pytest.raises(errors.AgeOutOfRange):
        check_age(dt.date(1913, 2, 28), on)
    with pytest.raises(ValueError, match="min_age"):
        dates_of_birth(min_age=20, max_age=10)


@given(
    st.integers(0, 9999),
    st.integers(0, 19),
    st.integers(0, 39),
    st.sampled_from(["{y:04d}-{m:02d}-{d:02d}", "{y:04d}{m:02d}{d:02d}", "{d}/{m}/{y:04d}"]),
)
@example(2001, 2, 29, "{y:04d}-{m:02d}-{d:02d}")
@example(999, 13, 32, "{y:04d}{m:02d}{d:02d}")
@example(0, 1, 1, "{y:04d}-{m:02d}-{d:02d}")
def test_each_form_reports_the_first_rule_broken(y: int, m: int, d: int, form: str) -> None:
    text = form.format(y=y, m=m, d=d)
    if y < 1000:
        rule = "the year must be from 1000 to 9999"
    elif not 1 <= m <= 12:
        rule = "the month must be from 1 to 12"
    else:
        try:
            assert parse_date(text) == dt.date(y, m, d)
        except ValueError:
            rule = "the day does not exist in that month"
        else:
            return
    with pytest.raises(errors.InvalidDate) as info:
        parse_date(text)
    assert info.value.rule == rule
