"""The exceptions raised by :mod:`uln`.

Every exception the library raises on purpose derives from :class:`UlnError`, so an
MIS can catch them all in one place. Validation failures are also :class:`ValueError`,
so code written for the standard library keeps working::

    UlnError
     +-- ValidationError (also ValueError)
     |    +-- InvalidFormat
     |    |    +-- InvalidLength
     |    |    +-- InvalidName
     |    |    +-- InvalidDate
     |    |    +-- InvalidPostcode
     |    |    +-- InvalidGender
     |    |    +-- InvalidEmail
     |    |    +-- InvalidPhone
     |    |    +-- InvalidCode
     |    +-- InvalidChecksum
     |    +-- InvalidComponent
     |    |    +-- ForbiddenIdentifier
     |    +-- AgeOutOfRange
     |    +-- MissingValue
     |    +-- InvalidRecord          (several fields at once: ``.problems``)
     +-- ConfigError (also ValueError)
     +-- ArgumentError (also ValueError)      (an argument's value cannot be used)
     +-- InvalidArgument (also TypeError)     (an argument of the wrong type)
     |    +-- ArgumentTypeError                (the same, with .argument and .expected)
     +-- BatchError                 (a whole batch file is unusable)
     +-- OutputError (also OSError: a file could not be written)
     +-- RegisterError
          +-- NotFound
          +-- ConcurrencyError
          +-- DuplicateLearner
          +-- IntegrityError

Messages name the field, the line and the rule that was broken, never the personal
value itself: learner names, dates of birth, postcodes and emails are personal data.

>>> from uln import validate
>>> try:
...     validate("0000000042")
... except InvalidComponent as exc:
...     print(exc)
ULN: the first digit must not be 0
>>> issubclass(InvalidChecksum, ValueError)
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

__all__ = [
    "AgeOutOfRange",
    "ArgumentError",
    "ArgumentTypeError",
    "BatchError",
    "ConcurrencyError",
    "ConfigError",
    "DuplicateLearner",
    "ForbiddenIdentifier",
    "IntegrityError",
    "InvalidArgument",
    "InvalidChecksum",
    "InvalidCode",
    "InvalidComponent",
    "InvalidDate",
    "InvalidEmail",
    "InvalidFormat",
    "InvalidGender",
    "InvalidLength",
    "InvalidName",
    "InvalidPhone",
    "InvalidPostcode",
    "InvalidRecord",
    "MissingValue",
    "NotFound",
    "OutputError",
    "Problem",
    "RegisterError",
    "UlnError",
    "UlnWarning",
    "ValidationError",
]


class UlnError(Exception):
    """The root of every exception that :mod:`uln` raises on purpose."""


class ValidationError(UlnError, ValueError):
    """A value does not follow the rule for its field.

    ``field`` names the field (``"ULN"``, ``"GivenName"`` ...), ``rule`` says which rule
    was broken, ``line`` and ``column`` locate it in a file when there is one. The
    message is built from these and never contains the offending value.
    """

    message: str = "the value is not valid"

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.rule: str = message if message is not None else type(self).message
        self.field = field
        self.line = line
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}")
        prefix = ", ".join(where)
        if self.field:
            prefix = f"{prefix}, {self.field}" if prefix else self.field
        return f"{prefix}: {self.rule}" if prefix else self.rule

    def __str__(self) -> str:
        return self._render()

    def at(
        self, *, field: str | None = None, line: int | None = None, column: int | None = None
    ) -> ValidationError:
        """Return a copy of this error located at ``field``, ``line`` and ``column``.

        Values already set are kept unless a new one is given.

        >>> str(InvalidDate("not a date").at(field="DateOfBirth", line=7))
        'line 7, DateOfBirth: not a date'
        """
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.field = field if field is not None else self.field
        new.line = line if line is not None else self.line
        new.column = column if column is not None else self.column
        new.args = (new._render(),)
        return new


class InvalidFormat(ValidationError):
    """The value has the wrong shape: characters, pattern or layout."""

    message = "the value has an invalid format"


class InvalidLength(InvalidFormat):
    """The value is too long or too short."""

    message = "the value has an invalid length"


class InvalidChecksum(ValidationError):
    """The check digit or check character does not agree with the rest."""

    message = "the check digit does not match"


class InvalidComponent(ValidationError):
    """One part of the value is not allowed (a leading zero, a reserved prefix ...)."""

    message = "a part of the value is not allowed"


class ForbiddenIdentifier(InvalidComponent):
    """The value is an identifier that must not be used here (a NI number as a learner id)."""

    message = "this kind of identifier must not be used here"


class InvalidName(InvalidFormat):
    """A person's name breaks the LRS name rules."""

    message = "the name is not valid"


class InvalidDate(InvalidFormat):
    """A date cannot be read, or does not exist."""

    message = "the date is not valid"


class InvalidPostcode(InvalidFormat):
    """A postcode is not a UK postcode, BFPO number or a recognised marker."""

    message = "the postcode is not valid"


class InvalidGender(InvalidFormat):
    """A gender is not one of the LRS codes or a recognised word for one."""

    message = "the gender is not one of 0, 1, 2 or 9"


class InvalidEmail(InvalidFormat):
    """An email address breaks the LRS email rule."""

    message = "the email address is not valid"


class InvalidPhone(InvalidFormat):
    """A telephone number cannot be parsed or is not a valid number."""

    message = "the telephone number is not valid"


class InvalidCode(InvalidFormat):
    """A coded field holds a value outside its code list."""

    message = "the value is not in the code list"


class AgeOutOfRange(ValidationError):
    """A date of birth gives an age outside the permitted range (RC013)."""

    message = "the learner's age is outside the permitted range 13..110"


class MissingValue(ValidationError):
    """A mandatory field is empty."""

    message = "a value is required"


@attrs.frozen
class Problem:
    """One problem found in a record: the field, the rule broken, and where.

    ``kind`` is the name of the :class:`ValidationError` subclass that describes it.
    The offending value is never stored.
    """

    field: str
    rule: str
    kind: str = "ValidationError"
    line: int | None = None
    column: int | None = None

    @classmethod
    def from_error(cls, error: ValidationError, *, field: str | None = None) -> Problem:
        """Describe ``error`` as a problem of ``field`` (or the field the error names)."""
        return cls(
            field=field or error.field or "",
            rule=error.rule,
            kind=type(error).__name__,
            line=error.line,
            column=error.column,
        )

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line is not None else ""
        col = f"column {self.column}, " if self.column is not None else ""
        return f"{where}{col}{self.field}: {self.rule}"


class InvalidRecord(ValidationError):
    """A record has one or more bad fields; ``problems`` lists every one of them.

    >>> err = InvalidRecord([Problem("GivenName", "a value is required"),
    ...                      Problem("Gender", "not a gender code")])
    >>> print(err)
    2 fields are not valid: GivenName (a value is required); Gender (not a gender code)
    >>> err.fields
    ('GivenName', 'Gender')
    """

    message = "the record is not valid"

    def __init__(
        self,
        problems: Iterable[Problem],
        *,
        line: int | None = None,
    ) -> None:
        self.problems: Sequence[Problem] = tuple(problems)
        super().__init__(self._summary(), line=line)

    def _summary(self) -> str:
        n = len(self.problems)
        noun = "field is" if n == 1 else "fields are"
        details = "; ".join(f"{p.field} ({p.rule})" for p in self.problems)
        return f"{n} {noun} not valid: {details}" if n else type(self).message

    @property
    def fields(self) -> tuple[str, ...]:
        """The names of the bad fields, in the order they were found."""
        return tuple(p.field for p in self.problems)


class ConfigError(UlnError, ValueError):
    """A configuration (for instance a :class:`~uln.matching.MatchConfig`) is not valid."""


class InvalidArgument(UlnError, TypeError):
    """A function was given an argument of the wrong type; the message names the argument.

    >>> from uln.learner import Demographics
    >>> Demographics.from_raw(["Huw", "Pugh"])
    Traceback (most recent call last):
        ...
    uln.errors.InvalidArgument: Demographics.from_raw: raw must be a mapping of field ..., not list
    """


class ArgumentError(UlnError, ValueError):
    """An argument has a value the function cannot use; ``argument`` names it.

    >>> print(ArgumentError("links", "a record id is not equal to itself (NaN)"))
    links: a record id is not equal to itself (NaN)
    """

    def __init__(self, argument: str, rule: str) -> None:
        self.argument = argument
        self.rule = rule
        super().__init__(f"{argument}: {rule}")


class ArgumentTypeError(InvalidArgument):
    """An argument is not of a type the function takes; ``argument`` names it.

    The message names the argument and the types expected and given, never the value.

    >>> print(ArgumentTypeError("records", "a mapping of id to record", []))
    records: expected a mapping of id to record, not list
    """

    def __init__(self, argument: str, expected: str, given: object) -> None:
        self.argument = argument
        self.expected = expected
        super().__init__(f"{argument}: expected {expected}, not {type(given).__name__}")


class UlnWarning(UserWarning):
    """Something was done, but not as asked: a fallback was taken (see the message).

    Filter it with ``warnings.filterwarnings("ignore", category=UlnWarning)``.
    """


class BatchError(UlnError):
    """A batch file cannot be read or written as a whole.

    Problems with single learners are reported per learner; this is for the file:
    an unreadable encoding, a missing header, too many learners.
    """

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.reason = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


class OutputError(UlnError, OSError):
    """A file could not be written: the folder is missing or read-only, the disk is full,
    or the file exists and overwriting was not asked for.

    Nothing is left behind: a partly written file is removed, and an existing file is
    either untouched or wholly replaced. The message names the file, never its contents.
    """


class RegisterError(UlnError):
    """An operation on a register failed."""


class NotFound(RegisterError, KeyError):
    """No learner has that ULN."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"


class ConcurrencyError(RegisterError):
    """The record changed since it was read (the version number moved on)."""


class DuplicateLearner(RegisterError):
    """A learner with the same details is already registered."""


class IntegrityError(RegisterError):
    """An operation would break an invariant of the register."""
