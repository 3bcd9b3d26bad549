"""The learner record: :class:`Demographics` and :class:`Learner`.

Both are frozen :mod:`attrs` records holding *normalised* values. Build them from
what an MIS holds with the named constructors :meth:`Demographics.from_raw` and
:meth:`Learner.from_raw`, which take LRS field names (``GivenName``,
``LastKnownPostCode``) or snake_case names (``given_name``), run every field through
its normaliser, and either raise one :class:`~uln.errors.InvalidRecord` that lists
every bad field (``strict=True``, the default) or keep what they can and list the
problems (``strict=False``, for matching dirty data).

The table :data:`FIELDS` says, for every field, its attribute, its LRS name, its
maximum length, whether registering or finding needs it, and which normaliser checks
it; the batch formats and the docs are built from it.

>>> d = Demographics.from_raw({"GivenName": " siân ", "FamilyName": "o'brien",
...     "DateOfBirth": "18-04-1972", "Gender": "M", "LastKnownPostCode": "cv49ee"})
>>> d.given_name, d.family_name, d.date_of_birth.isoformat(), d.gender, str(d.postcode)
('siân', "o'brien", '1972-04-18', <Gender.MALE: 1>, 'CV4 9EE')
>>> d
Demographics(fields=['given_name', 'family_name', 'date_of_birth', 'gender', 'postcode'])

Names keep the case they were typed in (the LRS stores what it is sent); matching
compares them through :func:`uln.demographics.names.name_key`.

A record with bad fields reports them all at once, by field name and rule only:

>>> Demographics.from_raw({"GivenName": "J0hn", "FamilyName": "",
...     "DateOfBirth": "31/02/2001", "Gender": "Q", "LastKnownPostCode": "nowhere"})
Traceback (most recent call last):
    ...
uln.errors.InvalidRecord: 5 fields are not valid: GivenName (...); FamilyName (...); ...
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, Final, TypeVar

import attrs
import cattrs

from uln import checkdigit
from uln.demographics.dates import parse_date
from uln.demographics.email import normalise_email
from uln.demographics.gender import parse_gender
from uln.demographics.identifiers import (
    normalise_mis_identifier,
    normalise_nationality,
    normalise_scn,
    normalise_uci,
    normalise_upn,
)
from uln.demographics.names import normalise_name
from uln.demographics.phone import normalise_phone
from uln.demographics.postcodes import Postcode
from uln.demographics.text import normalise_text
from uln.enums import AbilityToShare, Gender, PrivacyNoticeSeen, VerificationType
from uln.errors import (
    InvalidArgument,
    InvalidCode,
    InvalidFormat,
    InvalidRecord,
    MissingValue,
    Problem,
    ValidationError,
)

__all__ = [
    "FIELDS",
    "AbilityToShare",
    "Demographics",
    "FieldSpec",
    "Gender",
    "Learner",
    "PrivacyNoticeSeen",
    "VerificationType",
    "field_for",
    "field_spec",
    "heading_key",
]

Normaliser = Callable[[Any, str, int | None], Any]


# -- normalisers by kind of field ------------------------------------------------------


def _name(value: Any, field: str, max_length: int | None) -> str:
    return normalise_name(value, field=field, max_length=max_length or 35)


def _text(value: Any, field: str, max_length: int | None) -> str:
    return normalise_text(value, field=field, max_length=max_length or 255)


def _notes(value: Any, field: str, max_length: int | None) -> str:
    return normalise_text(value, field=field, max_length=max_length or 4000, multiline=True)


def _date(value: Any, field: str, max_length: int | None) -> _dt.date:
    return parse_date(value, field=field)  # cached there


def _gender(value: Any, field: str, max_length: int | None) -> Gender:
    return parse_gender(value, field=field)


def _postcode(value: Any, field: str, max_length: int | None) -> Postcode:
    if type(value) is not str and isinstance(value, Postcode):
        return value
    return _parse_postcode(value, field=field)  # cached there


_parse_postcode = Postcode.parse


def _email(value: Any, field: str, max_length: int | None) -> str:
    return normalise_email(value, field=field)


def _phone(value: Any, field: str, max_length: int | None) -> str:
    return normalise_phone(value, field=field)


def _uln(value: Any, field: str, max_length: int | None) -> str:
    try:
        return checkdigit.validate(value)
    except ValidationError as exc:
        raise exc.at(field=field) from None


def _ulns(value: Any, field: str, max_length: int | None) -> tuple[str, ...]:
    items = value.replace(";", ",").split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple | set | frozenset):
        raise InvalidFormat("a list of ULNs is required", field=field)
    return tuple(sorted({_uln(item, field, None) for item in items if str(item).strip()}))


def _version(value: Any, field: str, max_length: int | None) -> int:
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,9}\s*", value):
        value = int(value)
    if type(value) is not int or value < 1:
        raise InvalidFormat("a version number is a whole number from 1", field=field)
    return value


def _timestamp(value: Any, field: str, max_length: int | None) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return _dt.datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidFormat("a date and time in ISO 8601 form is required", field=field)


_E = TypeVar("_E", AbilityToShare, PrivacyNoticeSeen, VerificationType)
_R = TypeVar("_R", "Demographics", "Learner")


def _code(enum: type[_E]) -> Normaliser:
    codes = {str(int(member)): member for member in enum}
    allowed = ", ".join(codes)

    def parse(value: Any, field: str, max_length: int | None) -> _E:
        if isinstance(value, enum):
            return value
        key = value.strip() if isinstance(value, str) else value
        if type(key) is int:
            key = str(key)
        member = codes.get(key) if isinstance(key, str) else None
        if member is None:
            raise InvalidCode(f"the code must be one of {allowed}", field=field)
        return member

    return parse


_NORMALISERS: Final[dict[str, Normaliser]] = {
    "name": _name,
    "text": _text,
    "notes": _notes,
    "date": _date,
    "gender": _gender,
    "postcode": _postcode,
    "email": _email,
    "phone": _phone,
    "uln": _uln,
    "ulns": _ulns,
    "version": _version,
    "timestamp": _timestamp,
    "mis_identifier": lambda v, f, n: normalise_mis_identifier(v, field=f),
    "nationality": lambda v, f, n: normalise_nationality(v, field=f),
    "scn": lambda v, f, n: normalise_scn(v, field=f),
    "uci": lambda v, f, n: normalise_uci(v, field=f),
    "upn": lambda v, f, n: normalise_upn(v, field=f),
    "ability_to_share": _code(AbilityToShare),
    "privacy_notice_seen": _code(PrivacyNoticeSeen),
    "verification_type": _code(VerificationType),
}


DESCRIPTION_REQUIRED: Final = "a description is required when VerificationType is 999"
"""The rule that ``OtherVerificationDescription`` goes with ``VerificationType`` 999 [ours];
whether a type needs one is :attr:`uln.enums.VerificationType.needs_description`."""


# -- the field table -------------------------------------------------------------------


@attrs.frozen
class FieldSpec:
    """One field of the learner record, as the LRS names and limits it.

    Attributes:
        attr: the attribute of :class:`Demographics` or :class:`Learner`.
        lrs_name: the field's name in the LRS schema and batch files.
        max_length: the LRS maximum length, or ``None`` for dates and codes.
        kind: which normaliser checks it (a key of the normaliser table).
        record: ``"demographics"`` or ``"learner"``.
        register: mandatory to register a learner.
        find: used by find-by-demographics (``"M"`` mandatory, ``"opt"`` optional, ``""``).
        aliases: other names accepted on input (``MiddleNames`` in batch 3A).
        mark: ``"spec"``, ``"client"`` or ``"ours"`` (see docs/rules.md).
    """

    attr: str
    lrs_name: str
    max_length: int | None
    kind: str
    record: str
    register: bool = False
    find: str = ""
    aliases: tuple[str, ...] = ()
    mark: str = "spec"

    @property
    def normalise(self) -> Normaliser:
        """The function that checks and normalises a raw value of this field."""
        return _NORMALISERS[self.kind]


_D, _L = "demographics", "learner"

FIELDS: Final[tuple[FieldSpec, ...]] = (
    FieldSpec("title", "Title", 35, "text", _D),
    FieldSpec(
        "given_name",
        "GivenName",
        35,
        "name",
        _D,
        register=True,
        find="M",
        aliases=("Forename", "Forenames", "FirstName", "FirstNames", "LegalForename"),
    ),
    FieldSpec(
        "middle_names",
        "MiddleOtherName",
        35,
        "name",
        _D,
        aliases=("MiddleNames", "MiddleName", "OtherNames"),
    ),
    FieldSpec(
        "family_name",
        "FamilyName",
        35,
        "name",
        _D,
        register=True,
        find="M",
        aliases=("Surname", "LastName", "LegalSurname"),
    ),
    FieldSpec(
        "preferred_given_name",
        "PreferredGivenName",
        35,
        "name",
        _D,
        aliases=("PreferredName", "PreferredForename", "KnownAs"),
    ),
    FieldSpec(
        "previous_family_name",
        "PreviousFamilyName",
        35,
        "name",
        _D,
        find="opt",
        aliases=("PreviousSurname", "FormerSurname"),
    ),
    FieldSpec("family_name_at_16", "FamilyNameAtAge16", 35, "name", _D),
    FieldSpec("school_at_16", "SchoolAtAge16", 254, "text", _D, find="opt"),
    FieldSpec(
        "address_line1",
        "LastKnownAddressLine1",
        50,
        "text",
        _D,
        aliases=("AddressLine1", "Address1"),
    ),
    FieldSpec(
        "address_line2",
        "LastKnownAddressLine2",
        50,
        "text",
        _D,
        aliases=("AddressLine2", "Address2"),
    ),
    FieldSpec("address_town", "LastKnownAddressTown", 50, "text", _D, aliases=("Town",)),
    FieldSpec(
        "address_county_or_city",
        "LastKnownAddressCountyOrCity",
        50,
        "text",
        _D,
        aliases=("County",),
    ),
    FieldSpec(
        "postcode",
        "LastKnownPostCode",
        9,
        "postcode",
        _D,
        register=True,
        find="M",
        aliases=("PostCode", "LastKnownPostcode"),
    ),
    FieldSpec("date_of_address_capture", "DateOfAddressCapture", None, "date", _D),
    FieldSpec(
        "date_of_birth",
        "DateOfBirth",
        None,
        "date",
        _D,
        register=True,
        find="M",
        aliases=("DOB", "BirthDate"),
    ),
    FieldSpec("place_of_birth", "PlaceOfBirth", 35, "text", _D, find="opt"),
    FieldSpec(
        "gender",
        "Gender",
        1,
        "gender",
        _D,
        register=True,
        find="M",
        aliases=("Sex",),
        mark="client",
    ),
    FieldSpec("email", "EmailAddress", 254, "email", _D, find="opt", aliases=("Email",)),
    FieldSpec(
        "phone",
        "Telephone",
        None,
        "phone",
        _D,
        aliases=("Phone", "PhoneNumber", "TelephoneNumber"),
        mark="ours",
    ),
    FieldSpec("uln", "ULN", 10, "uln", _L, aliases=("UniqueLearnerNumber",)),
    FieldSpec(
        "mis_identifier",
        "MISIdentifier",
        128,
        "mis_identifier",
        _L,
        aliases=(
            "MISID",
            "StudentID",
            "StudentRef",
            "StudentReference",
            "LearnerRef",
            "LearnerReference",
            "LearnRefNumber",
        ),
    ),
    FieldSpec("nationality", "Nationality", 3, "nationality", _L, mark="ours"),
    FieldSpec("scn", "ScottishCandidateNumber", 9, "scn", _L, aliases=("SCN",)),
    FieldSpec("ability_to_share", "AbilityToShare", 1, "ability_to_share", _L),
    FieldSpec("privacy_notice_seen", "PrivacyNoticeSeen", 1, "privacy_notice_seen", _L),
    FieldSpec("verification_type", "VerificationType", 3, "verification_type", _L, mark="client"),
    FieldSpec("other_verification_description", "OtherVerificationDescription", 255, "text", _L),
    FieldSpec("notes", "Notes", 4000, "notes", _L),
    FieldSpec("uci", "UCI", 13, "uci", _L),
    FieldSpec("upn", "UPN", 13, "upn", _L),
    FieldSpec("version", "VersionNumber", None, "version", _L),
    FieldSpec("created", "Created", None, "timestamp", _L, mark="ours"),
    FieldSpec("updated", "Updated", None, "timestamp", _L, mark="ours"),
    FieldSpec("master_uln", "MasterULN", 10, "uln", _L, mark="ours"),
    FieldSpec("linked_ulns", "LinkedULNs", None, "ulns", _L, mark="ours"),
)
"""Every field of the learner record; the one place its LRS names, limits and the other
names it is known by (``aliases``: the headings of MIS exports, [ours]) live."""


def heading_key(heading: str) -> str:
    """The form in which headings and field names are compared: letters and digits only,
    in lower case (``"Date of Birth"``, ``"date_of_birth"`` and ``"DateOfBirth"`` agree).

    >>> heading_key(" Student Ref. "), heading_key("family_name_at_16")
    ('studentref', 'familynameat16')
    """
    return "".join(ch for ch in heading.lower() if ch.isalnum())


_BY_KEY: Final[dict[str, FieldSpec]] = {}
for _spec in FIELDS:
    for _key in (_spec.attr, _spec.lrs_name, *_spec.aliases):
        _BY_KEY[_key] = _spec
        _found = _BY_KEY.setdefault(heading_key(_key), _spec)
        if _found is not _spec:  # pragma: no cover - a mistake in the table
            raise ValueError(f"{_key!r} names both {_found.attr} and {_spec.attr}")
_BY_ATTR: Final[dict[str, FieldSpec]] = {spec.attr: spec for spec in FIELDS}


def field_for(heading: object) -> FieldSpec | None:
    """The field a heading, a key or a field name stands for, or ``None``.

    This one function reads the keys of :meth:`Demographics.from_raw`, the rows of the
    matcher, the headings of an MIS export (``uln batch new``, ``uln dedupe``) and
    ``--map`` options: an attribute (``given_name``), an LRS name (``GivenName``) or an
    alias of :data:`FIELDS` (``Forename``, ``DOB``, ``Sex``, ``Student Ref``), in any
    case, with any spaces and punctuation.

    >>> field_for("Surname").attr, field_for("D.O.B").attr, field_for("Post Code").attr
    ('family_name', 'date_of_birth', 'postcode')
    >>> field_for("Shoe size") is None, field_for(42) is None
    (True, True)
    """
    if type(heading) is not str:
        if not isinstance(heading, str):
            return None
        heading = str(heading)
    spec = _BY_KEY.get(heading)
    if spec is None and len(heading) <= _LONGEST_HEADING:
        spec = _BY_KEY.get(heading_key(heading))
    return spec


_LONGEST_HEADING: Final = 100
"""Longer keys name no field (and are not squashed, which would take their length)."""


def field_spec(name: str) -> FieldSpec:
    """Return the :class:`FieldSpec` for an attribute, LRS field name or alias (any case).

    >>> field_spec("LastKnownPostCode").attr, field_spec("middle_names").lrs_name
    ('postcode', 'MiddleOtherName')
    """
    spec = field_for(name)
    if spec is None:
        raise KeyError("no learner field is called that (see uln.learner.FIELDS)")
    return spec


def _check_type(raw: object, what: str) -> None:
    """Refuse what is not a mapping, naming the argument."""
    if not isinstance(raw, Mapping):
        raise InvalidArgument(
            f"{what}.from_raw: raw must be a mapping of field names to values, "
            f"not {type(raw).__name__}"
        )


def _check_keys(raw: Mapping[Any, Any]) -> None:
    """Refuse a mapping none of whose keys names a field (wrong headings)."""
    for key in raw:
        if key in _ALL_KEYS or field_for(key) is not None:
            return
    # The keys are not echoed: a row of data read as headings would be personal data.
    raise InvalidRecord([Problem("keys", _NO_FIELD, "InvalidFormat")])


_NO_FIELD: Final = (
    "none names a field of the learner record (GivenName, Forename, DOB ...; "
    "see uln.learner.FIELDS)"
)


def _read(
    raw: Mapping[str, Any], record: str, line: int | None
) -> tuple[dict[str, Any], list[Problem]]:
    """Normalise the fields of ``raw`` that belong to ``record``; collect the problems.

    A mandatory demographic field that is absent or empty is reported as missing; one
    that is present but bad is reported once, with the rule it broke.
    """
    values: dict[str, Any] = {}  # a field that could not be read holds _UNREAD
    problems: list[Problem] = []
    plan = _PLAN[record]
    for key, value in raw.items():
        step = plan.get(key)
        if step is None:
            step = _other_step(key, record)
            if step is None:
                continue
        if type(value) is str:
            if not value or value.isspace():
                continue
        elif value is None:
            continue
        attr, lrs_name, max_length, normalise = step
        if attr in values:
            problems.append(Problem(lrs_name, "the field is given twice", "InvalidFormat", line))
            continue
        try:
            values[attr] = normalise(value, lrs_name, max_length)
        except ValidationError as exc:
            values[attr] = _UNREAD
            # As Problem.from_error(exc.at(line=line), field=lrs_name), without the copy.
            where = exc.line if line is None else line
            problems.append(Problem(lrs_name, exc.rule, type(exc).__name__, where, exc.column))
    if record == _D and not values.keys() >= _MANDATORY_ATTRS:
        problems.extend(
            Problem(spec.lrs_name, "a value is required", MissingValue.__name__, line)
            for spec in _MANDATORY
            if spec.attr not in values
        )
    if problems:
        for attr in [attr for attr, value in values.items() if value is _UNREAD]:
            del values[attr]
    return values, problems


_UNREAD: Final = object()


def _other_step(key: object, record: str) -> _Step | None:
    """The step for a key not spelt as in :data:`FIELDS`, if it names a field of ``record``."""
    if key in _OTHER[record] or not isinstance(key, str):
        return None
    spec = field_for(key)
    if spec is None or spec.record != record:
        return None
    return spec.attr, spec.lrs_name, spec.max_length, _NORMALISERS[spec.kind]


def _ordered(problems: list[Problem]) -> tuple[Problem, ...]:
    """The problems in the order of :data:`FIELDS` (problems of one field as found)."""
    problems.sort(key=_problem_order)
    return tuple(problems)


def _problem_order(problem: Problem) -> int:
    return _ORDER.get(problem.field, len(_ORDER))


def _fail(problems: list[Problem], line: int | None) -> InvalidRecord:
    return InvalidRecord(_ordered(problems), line=line)


_ORDER: Final = {spec.lrs_name: i for i, spec in enumerate(FIELDS)}
_MANDATORY: Final = tuple(spec for spec in FIELDS if spec.register)
_MANDATORY_ATTRS: Final = frozenset(spec.attr for spec in _MANDATORY)
_Step = tuple[str, str, int | None, Normaliser]
# For each record: the exact keys it reads, and the keys that belong to the other record.
_PLAN: Final[dict[str, dict[str, _Step]]] = {
    record: {
        key: (spec.attr, spec.lrs_name, spec.max_length, _NORMALISERS[spec.kind])
        for spec in FIELDS
        if spec.record == record
        for key in (spec.attr, spec.lrs_name, *spec.aliases)
    }
    for record in (_D, _L)
}
_OTHER: Final[dict[str, frozenset[str]]] = {_D: frozenset(_PLAN[_L]), _L: frozenset(_PLAN[_D])}
_ALL_KEYS: Final = _OTHER[_D] | _OTHER[_L]


def _build(cls: type[_R], values: Mapping[str, Any], problems: tuple[Problem, ...]) -> _R:
    """Make a record from values our normalisers produced, without re-checking types.

    This is the hot path of :meth:`Demographics.from_raw`: the records are frozen
    (attrs ``__setattr__`` refuses changes), so the fields are written straight into
    the instance dictionary, all at once.
    """
    record = object.__new__(cls)
    fields = record.__dict__
    fields.update(_DEFAULTS[cls])
    fields.update(values)
    fields["problems"] = problems
    return record


def _optional(kind: type) -> Any:
    return attrs.validators.optional(attrs.validators.instance_of(kind))


def _opt_str() -> Any:
    return attrs.field(default=None, validator=_optional(str))


# -- the records -----------------------------------------------------------------------


@attrs.frozen(repr=False, slots=False)
class Demographics:
    """A learner's personal details, normalised.

    The five fields find-by-demographics needs come first; they are ``None`` only
    in a record read with ``strict=False`` whose values could not be read (see
    :attr:`problems`). ``repr()`` shows which fields are set, never their values:
    they are personal data. :meth:`to_dict` gives the values.
    """

    given_name: str | None = _opt_str()
    family_name: str | None = _opt_str()
    date_of_birth: _dt.date | None = attrs.field(default=None, validator=_optional(_dt.date))
    gender: Gender | None = attrs.field(default=None, validator=_optional(Gender))
    postcode: Postcode | None = attrs.field(default=None, validator=_optional(Postcode))
    title: str | None = _opt_str()
    middle_names: str | None = _opt_str()
    preferred_given_name: str | None = _opt_str()
    previous_family_name: str | None = _opt_str()
    family_name_at_16: str | None = _opt_str()
    school_at_16: str | None = _opt_str()
    place_of_birth: str | None = _opt_str()
    email: str | None = _opt_str()
    phone: str | None = _opt_str()
    address_line1: str | None = _opt_str()
    address_line2: str | None = _opt_str()
    address_town: str | None = _opt_str()
    address_county_or_city: str | None = _opt_str()
    date_of_address_capture: _dt.date | None = attrs.field(
        default=None, validator=_optional(_dt.date)
    )
    problems: tuple[Problem, ...] = attrs.field(default=(), eq=False, kw_only=True)
    """What could not be read, when read with ``strict=False``; not part of equality."""

    MANDATORY: ClassVar[tuple[str, ...]] = (
        "given_name",
        "family_name",
        "date_of_birth",
        "gender",
        "postcode",
    )

    @classmethod
    def from_raw(
        cls, raw: Mapping[str, Any], *, strict: bool = True, line: int | None = None
    ) -> Demographics:
        """Build a record from raw values keyed by LRS or snake_case field names.

        Every field is normalised (see :data:`FIELDS`). A key is an attribute, an
        LRS name or an alias of the field (``Forename``, ``Surname``, ``DOB``, ``Sex``,
        ``Postcode`` ...), in any case and spacing (:func:`field_for`). Keys that are
        not demographic fields (``ULN``, ``Notes``, columns of your own) are ignored;
        empty strings and ``None`` count as missing; but a mapping whose keys
        name no field at all (wrong headings) is refused, whatever ``strict`` says.

        >>> Demographics.from_raw({"Nom": "Huw", "Famille": "Pugh"}, strict=False)
        Traceback (most recent call last):
            ...
        uln.errors.InvalidRecord: 1 field is not valid: keys (none names a field of the ...)

        Args:
            raw: the values, as typed or as read from a file.
            strict: raise on any problem (the default); with ``False``, unreadable
                values become ``None`` and :attr:`problems` lists why.
            line: the line in a file, named in every problem.

        Raises:
            InvalidRecord: with ``strict=True``, one error listing every bad or
                missing mandatory field; always, when no key names a field.
            InvalidArgument: ``raw`` is not a mapping.

        >>> d = Demographics.from_raw({"given_name": "Dai", "family_name": "Jones",
        ...     "date_of_birth": "2001-03-01", "gender": "x", "postcode": "nowhere"},
        ...     strict=False)
        >>> d.gender, d.postcode, [p.field for p in d.problems]
        (<Gender.NOT_SPECIFIED: 9>, None, ['LastKnownPostCode'])
        """
        if type(raw) is not dict:
            _check_type(raw, "Demographics")
        values, problems = _read(raw, _D, line)
        if not values and raw:
            _check_keys(raw)  # nothing read: is any key a field at all?
        if problems:
            if strict:
                raise _fail(problems, line)
            return _build(cls, values, _ordered(problems))
        return _build(cls, values, ())

    @property
    def is_complete(self) -> bool:
        """Whether the five fields needed to register or find a learner are all set."""
        return (  # the fields of MANDATORY
            self.given_name is not None
            and self.family_name is not None
            and self.date_of_birth is not None
            and self.gender is not None
            and self.postcode is not None
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the values as JSON-ready data (dates as ``YYYY-MM-DD``, codes as ints).

        Fields that are ``None`` are left out; :meth:`from_dict` reverses it exactly.
        """
        return _unstructure(self)

    def to_raw(self) -> dict[str, str]:
        """Return the values as text under their LRS names, as a file holds them: the
        row :meth:`from_raw` reads back to an equal record.

        Dates as ``YYYY-MM-DD``, codes as their numbers, postcodes in their canonical
        form; fields that are ``None`` are left out, and the order is that of
        :data:`FIELDS`.

        >>> Demographics(given_name="Siân", gender=Gender.FEMALE,
        ...              postcode=Postcode.parse("cf101aa")).to_raw()
        {'GivenName': 'Siân', 'LastKnownPostCode': 'CF10 1AA', 'Gender': '2'}
        """
        return _raw(self, _D)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Demographics:
        """Rebuild a record from :meth:`to_dict` output.

        Raises :class:`~uln.errors.InvalidRecord` naming each field that does not fit.
        """
        return _structure(data, cls)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(fields={_set_fields(self)})" + _problem_note(self)


@attrs.frozen(repr=False, slots=False)
class Learner:
    """A learner on the register: a ULN, its :class:`Demographics` and the register's data.

    ``uln`` is ``None`` for a learner who has not been given one yet (a row of a
    registration batch). ``version`` is the LRS ``VersionNumber`` used for optimistic
    concurrency; ``master_uln`` is set on a linked record, ``linked_ulns`` on a master.

    >>> learner = Learner.from_raw({"ULN": "3344556680", "GivenName": "Huw",
    ...     "FamilyName": "Pugh", "DateOfBirth": "2005-06-07", "Gender": "1",
    ...     "LastKnownPostCode": "LL57 2DG", "VerificationType": "2", "AbilityToShare": 1})
    >>> learner
    Learner(uln='3344556680', version=1)
    >>> learner.verification_type, learner.demographics.given_name
    (<VerificationType.PASSPORT: 2>, 'Huw')
    >>> Learner.from_dict(learner.to_dict()) == learner
    True
    """

    uln: str | None = attrs.field(default=None, validator=_optional(str))
    demographics: Demographics = attrs.field(
        factory=Demographics, validator=attrs.validators.instance_of(Demographics)
    )
    version: int = attrs.field(default=1, validator=attrs.validators.instance_of(int))
    created: _dt.datetime | None = attrs.field(default=None, validator=_optional(_dt.datetime))
    updated: _dt.datetime | None = attrs.field(default=None, validator=_optional(_dt.datetime))
    master_uln: str | None = _opt_str()
    linked_ulns: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    verification_type: VerificationType | None = attrs.field(
        default=None, validator=_optional(VerificationType)
    )
    other_verification_description: str | None = _opt_str()
    ability_to_share: AbilityToShare | None = attrs.field(
        default=None, validator=_optional(AbilityToShare)
    )
    privacy_notice_seen: PrivacyNoticeSeen | None = attrs.field(
        default=None, validator=_optional(PrivacyNoticeSeen)
    )
    nationality: str | None = _opt_str()
    scn: str | None = _opt_str()
    uci: str | None = _opt_str()
    upn: str | None = _opt_str()
    mis_identifier: str | None = _opt_str()
    notes: str | None = _opt_str()
    problems: tuple[Problem, ...] = attrs.field(default=(), eq=False, kw_only=True)
    """What could not be read, when read with ``strict=False``; not part of equality."""

    @classmethod
    def from_raw(
        cls, raw: Mapping[str, Any], *, strict: bool = True, line: int | None = None
    ) -> Learner:
        """Build a learner from raw values keyed by LRS or snake_case field names.

        Reads the demographic fields as :meth:`Demographics.from_raw` does, and the
        register's fields (``ULN``, ``MISIdentifier``, ``VerificationType`` ...). A
        missing ``ULN`` is allowed. ``OtherVerificationDescription`` is required when
        ``VerificationType`` is 999 [ours].

        Raises:
            InvalidRecord: with ``strict=True``, one error listing every bad field;
                always, when no key names a field of the learner record.
            InvalidArgument: ``raw`` is not a mapping.
        """
        if type(raw) is not dict:
            _check_type(raw, "Learner")
        values, problems = _read(raw, _L, line)
        demo_values, demo_problems = _read(raw, _D, line)
        if not values and not demo_values and raw:
            _check_keys(raw)
        problems.extend(demo_problems)
        kind = values.get("verification_type")
        if (
            isinstance(kind, VerificationType)
            and kind.needs_description
            and "other_verification_description" not in values
            and not any(p.field == "OtherVerificationDescription" for p in problems)
        ):
            problems.append(
                Problem(
                    "OtherVerificationDescription",
                    DESCRIPTION_REQUIRED,
                    MissingValue.__name__,
                    line,
                )
            )
        if problems:
            if strict:
                raise _fail(problems, line)
            ordered = _ordered(problems)
            demo_fields = {spec.lrs_name for spec in FIELDS if spec.record == _D}
            demographics = _build(
                Demographics, demo_values, tuple(p for p in ordered if p.field in demo_fields)
            )
            return _build(cls, {**values, "demographics": demographics}, ordered)
        values["demographics"] = _build(Demographics, demo_values, ())
        return _build(cls, values, ())

    def to_dict(self) -> dict[str, Any]:
        """Return the learner as JSON-ready data; :meth:`from_dict` reverses it exactly."""
        return _unstructure(self)

    def to_raw(self) -> dict[str, str]:
        """Return the learner's values as text under their LRS names, its demographics
        first (:meth:`Demographics.to_raw`): the row :meth:`from_raw` reads back to an
        equal learner. Linked ULNs are separated by commas, times in ISO 8601.

        >>> learner = Learner(uln="3344556680", demographics=Demographics(given_name="Huw"),
        ...                   version=2, linked_ulns=("1000000043",))
        >>> learner.to_raw()
        {'GivenName': 'Huw', 'ULN': '3344556680', 'VersionNumber': '2', 'LinkedULNs': '1000000043'}
        >>> Learner.from_raw(learner.to_raw(), strict=False) == learner
        True
        """
        return {**self.demographics.to_raw(), **_raw(self, _L)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Learner:
        """Rebuild a learner from :meth:`to_dict` output.

        Raises :class:`~uln.errors.InvalidRecord` naming each field that does not fit.
        """
        return _structure(data, cls)

    @property
    def is_linked(self) -> bool:
        """Whether this record is linked to a master record."""
        return self.master_uln is not None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(uln={self.uln!r}, version={self.version})" + (
            _problem_note(self)
        )


_DEFAULTS: Final[dict[type, dict[str, Any]]] = {
    # Learner.demographics has a factory default; _build is always given it.
    cls: {a.name: a.default for a in attrs.fields(cls) if a.name != "problems"}
    for cls in (Demographics, Learner)
}


def _set_fields(record: Demographics) -> list[str]:
    return [
        a.name
        for a in attrs.fields(type(record))
        if a.name != "problems" and getattr(record, a.name) is not None
    ]


def _raw_text(value: Any) -> str:
    if isinstance(value, int):  # the codes (IntEnum) and the version number
        return str(int(value))
    if isinstance(value, _dt.date):  # dates, and times (a datetime is a date)
        return value.isoformat()
    if isinstance(value, tuple):  # linked ULNs
        return ",".join(value)
    return str(value)  # text, and a postcode in its canonical form


_FIELDS_OF: Final[dict[str, tuple[FieldSpec, ...]]] = {
    record: tuple(spec for spec in FIELDS if spec.record == record) for record in (_D, _L)
}


def _raw(record: Demographics | Learner, kind: str) -> dict[str, str]:
    """The fields of ``kind`` that ``record`` holds, as text under their LRS names."""
    out: dict[str, str] = {}
    for spec in _FIELDS_OF[kind]:
        value = getattr(record, spec.attr)
        if value is not None and value != ():
            out[spec.lrs_name] = _raw_text(value)
    return out


def _problem_note(record: Demographics | Learner) -> str:
    n = len(record.problems)
    return f" with {n} problem{'s' if n != 1 else ''}" if n else ""


# -- JSON through a private cattrs converter -------------------------------------------

_converter = cattrs.Converter(omit_if_default=True)
_converter.register_unstructure_hook(_dt.date, lambda d: d.isoformat())
_converter.register_unstructure_hook(_dt.datetime, lambda d: d.isoformat())
_converter.register_unstructure_hook(Postcode, str)
_converter.register_structure_hook(_dt.date, lambda v, _: _iso_date(v))
_converter.register_structure_hook(_dt.datetime, lambda v, _: _dt.datetime.fromisoformat(v))
_converter.register_structure_hook(Postcode, lambda v, _: Postcode.parse(v))
for _cls in (Demographics, Learner):
    _converter.register_unstructure_hook(
        _cls,
        cattrs.gen.make_dict_unstructure_fn(
            _cls, _converter, _cattrs_omit_if_default=True, problems=cattrs.gen.override(omit=True)
        ),
    )
    _converter.register_structure_hook(
        _cls,
        cattrs.gen.make_dict_structure_fn(
            _cls, _converter, problems=cattrs.gen.override(omit=True)
        ),
    )


def _iso_date(value: Any) -> _dt.date:
    if type(value) is not str:
        raise TypeError("a date is required")
    return _dt.date.fromisoformat(value)


def _unstructure(record: Demographics | Learner) -> dict[str, Any]:
    data: dict[str, Any] = _converter.unstructure(record)
    return data


def _structure(data: Mapping[str, Any], cls: type[_R]) -> _R:
    try:
        return _converter.structure(dict(data), cls)
    except cattrs.BaseValidationError as exc:
        problems = [
            Problem(_field_from_path(path), "the value does not fit the field", "InvalidFormat")
            for path in _paths(exc)
        ]
        raise InvalidRecord(problems) from None
    except (ValidationError, ValueError, TypeError, AttributeError) as exc:
        raise InvalidRecord(
            [Problem("", "the data is not a learner record", type(exc).__name__)]
        ) from None


def _paths(exc: cattrs.BaseValidationError, prefix: str = "") -> Iterator[str]:
    if not isinstance(exc, cattrs.ClassValidationError | cattrs.IterableValidationError):
        yield prefix
        return
    grouped: tuple[list[tuple[Exception, object]], list[Exception]] = exc.group_exceptions()  # type: ignore[assignment]
    for inner, note in grouped[0]:
        name = getattr(note, "name", getattr(note, "index", ""))
        path = f"{prefix}.{name}" if prefix else str(name)
        if isinstance(inner, cattrs.BaseValidationError):
            yield from _paths(inner, path)
        else:
            yield path
    if grouped[1]:
        yield prefix


def _field_from_path(path: str) -> str:
    last = path.rsplit(".", 1)[-1]
    spec = _BY_ATTR.get(last)
    return spec.lrs_name if spec else path


def _register_with_hypothesis() -> None:
    """In a test session, let ``st.from_type(Learner)`` find our strategy (see uln.testing)."""
    import sys

    if sys.modules.get("hypothesis") is not None:
        from uln.testing._hypothesis_entry import register_learner_types

        register_learner_types()


_register_with_hypothesis()
