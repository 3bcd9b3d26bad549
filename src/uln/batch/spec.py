"""The LRS batch file layouts, as data.

A layout lists the columns of one kind of batch file in order: registration batch
versions ``2A`` and ``3A``, the verify batch ``V1`` and the output file of each
registration version. Each column carries its LRS name, maximum length, whether it is
mandatory, the check that reads it, the attribute of the learner record it fills and a
mark saying where it comes from (``spec``, ``client`` or ``ours``; see
:mod:`uln.batch.codes`). A new version is a new table here, not new code.

>>> VERSIONS["2A"].names[:4]
('ULN', 'MISIdentifier', 'Title', 'GivenName')
>>> VERSIONS["3A"].column("UCI").max_length
13
>>> VERSIONS["2A"].mandatory  # doctest: +NORMALIZE_WHITESPACE
('GivenName', 'FamilyName', 'LastKnownPostCode', 'DateOfBirth', 'Gender',
 'AbilityToShare', 'VerificationType')
>>> file_name("10001234", _dt.datetime(2024, 9, 2, 14, 30))
'LRB_10001234_020920241430.CSV'
>>> parse_file_name("LRB_10001234_020920241430.XML").created
datetime.datetime(2024, 9, 2, 14, 30)
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

import attrs

from uln.batch.codes import COUNTERS, Mark
from uln.errors import InvalidComponent, InvalidFormat
from uln.learner import FIELDS, field_spec

__all__ = [
    "CHECKS",
    "EXPORT_ALIASES",
    "FILE_NAME",
    "FORMATS",
    "JOB_STATUSES",
    "LAYOUTS",
    "MAX_LINE_BYTES",
    "OUTPUT_COUNTER_FIELDS",
    "OUTPUT_HEADER",
    "OUTPUT_LAYOUTS",
    "OUTPUT_SUFFIX",
    "REQUEST_HEADER",
    "RETURN_CODE_COLUMN",
    "VERIFY",
    "VERIFY_HEADER",
    "VERSIONS",
    "WRITE_DEFAULTS",
    "XML_COUNT_FIELD",
    "Column",
    "FileName",
    "Kind",
    "Layout",
    "Owner",
    "file_name",
    "layout_for",
    "markdown_table",
    "output_file_name",
    "parse_file_name",
]

Kind = Literal["registration", "verify", "output"]
Owner = Literal["learner", "demographics", "entry"]
"""The kinds of batch file this module describes."""

FORMATS: Final[tuple[str, ...]] = ("CSV", "XML")
"""[spec] The two file formats; the extension is written in upper case."""

MAX_LINE_BYTES: Final = 65_536
"""[ours] The longest CSV line (or XML text of one field) read, in bytes.

The longest legal learner row is under 6,000 characters (Notes alone may hold 4,000),
so 64 KiB leaves room for quoting and multi-byte characters. A longer line is
reported for its learner and skipped without being held in memory.
"""

CHECKS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "uln": "uln.checkdigit.validate",
        "mis_identifier": "uln.demographics.identifiers.normalise_mis_identifier",
        "name": "uln.demographics.names.normalise_name",
        "text": "uln.demographics.text.normalise_text",
        "notes": "uln.demographics.text.normalise_text (multiline=True)",
        "postcode": "uln.demographics.postcodes.Postcode.parse",
        "date": "YYYY-MM-DD in files, uln.demographics.dates.parse_date otherwise",
        "date_of_birth": "as date, then uln.demographics.dates.check_age (13..110)",
        "email": "uln.demographics.email.normalise_email",
        "gender": "code 0, 1, 2 or 9 in files, uln.demographics.gender.parse_gender otherwise",
        "nationality": "uln.demographics.identifiers.normalise_nationality",
        "scn": "uln.demographics.identifiers.normalise_scn",
        "uci": "uln.demographics.identifiers.normalise_uci",
        "upn": "uln.demographics.identifiers.normalise_upn",
        "ability_to_share": "code of uln.enums.AbilityToShare (0, 1, 2)",
        "privacy_notice_seen": "code of uln.enums.PrivacyNoticeSeen (0, 1)",
        "verification_type": "code of uln.enums.VerificationType (0..7, 999)",
        "return_code": "a code of uln.batch.codes.RETURN_CODES",
    }
)
"""The checks a column can name, and the normaliser or rule each one applies."""


@attrs.frozen
class Column:
    """One column of a batch file.

    Attributes:
        name: the LRS heading (CSV) or element name (XML), case-sensitive.
        attribute: the attribute of the record it fills (on :class:`uln.learner.Learner`
            when ``owner`` is ``"learner"``, on its ``Demographics`` otherwise).
        check: the key of the check that reads it (see :data:`CHECKS`).
        max_length: the most characters the field may hold, or ``None`` for no limit.
        mandatory: a learner without it gets RC006 (insufficient data).
        owner: ``"learner"``, ``"demographics"`` or ``"entry"`` (the output file's
            ``ReturnCode``, which belongs to the row rather than the learner).
        mark: where the column's rule comes from.
    """

    name: str
    attribute: str
    check: str = attrs.field(validator=attrs.validators.in_(CHECKS))
    max_length: int | None
    mandatory: bool = False
    owner: Owner = "demographics"
    mark: Mark = "spec"


@attrs.frozen
class Layout:
    """The layout of one kind and version of batch file.

    Attributes:
        version: the ``FileVersion`` written in the header (``"2A"``, ``"3A"``, ``"V1"``).
        kind: ``"registration"``, ``"verify"`` or ``"output"``.
        header: the headings of the file header (CSV row 1; XML ``Header`` elements).
        columns: the learner columns in order.
        min_learners: the fewest learners a file may hold.
        max_learners: the most learners a file may hold.
        check_age: whether the age rule 13..110 (RC013) applies.
        xml_root: the name of the XML document element.
        mark: where the layout as a whole comes from.
    """

    version: str
    kind: Kind
    header: tuple[str, ...]
    columns: tuple[Column, ...]
    min_learners: int
    max_learners: int
    check_age: bool
    xml_root: str
    mark: Mark
    _index: Mapping[str, int] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        index = {c.name: i for i, c in enumerate(self.columns)}
        if len(index) != len(self.columns):
            raise ValueError(f"layout {self.version}: duplicate column names")
        object.__setattr__(self, "_index", MappingProxyType(index))

    @property
    def names(self) -> tuple[str, ...]:
        """The column headings in order.

        >>> VERIFY.names
        ('ULN', 'MISIdentifier', 'GivenName', 'FamilyName', 'DateOfBirth', 'Gender')
        """
        return tuple(self._index)

    @property
    def mandatory(self) -> tuple[str, ...]:
        """The headings of the mandatory columns, in order."""
        return tuple(c.name for c in self.columns if c.mandatory)

    def column(self, name: str) -> Column:
        """Return the column headed ``name``.

        Raises:
            KeyError: the layout has no such column.

        >>> VERSIONS["2A"].column("Gender").max_length
        1
        """
        return self.columns[self._index[name]]

    def position(self, name: str) -> int:
        """Return the 1-based position of the column headed ``name``.

        >>> VERSIONS["2A"].position("ULN")
        1
        """
        return self._index[name] + 1


# -- the tables -------------------------------------------------------------------------

REQUEST_HEADER: Final[tuple[str, ...]] = ("FileVersion", "FileName", "UKPRN", "ContactEmail")
"""The file header of a registration or verify batch: FileVersion, FileName and UKPRN
[spec], and an email address of the organisation's contact [ours]."""

VERIFY_HEADER: Final = REQUEST_HEADER
"""[ours] A verify batch has the same file header as a registration batch."""

XML_COUNT_FIELD: Final = "LearnerCount"
"""[ours] The XML header states the number of learners; a count that disagrees with the
learners in the file is refused (as WSRC0017 / WSRC0030 do for the web service)."""

RETURN_CODE_COLUMN: Final = "ReturnCode"
"""[spec] The column an output file adds to each echoed learner."""

OUTPUT_COUNTER_FIELDS: Final[tuple[str, ...]] = COUNTERS
"""[spec] The counters of an output file's header."""

OUTPUT_HEADER: Final[tuple[str, ...]] = (
    "FileVersion",
    "FileName",
    "UKPRN",
    "JobStatus",
    "StartTime",
    "FinishTime",
    "TotalLearners",
    *COUNTERS,
)
"""The file header of an output file: the counters and job status are [spec], the
headings, their order and ``TotalLearners`` are [ours]. Times are ISO 8601
(``2024-09-02T14:30:00``) [ours]; ``FileName`` is the request file's name [ours]."""

JOB_STATUSES: Final[tuple[str, ...]] = ("Completed", "Failed", "Partial")
"""[ours] The job statuses an output file may state."""

WRITE_DEFAULTS: Final[Mapping[str, str]] = MappingProxyType(
    {"VerificationType": "0", "AbilityToShare": "0", "PrivacyNoticeSeen": "0"}
)
"""[ours] What the writers put in a mandatory code column the record leaves empty:
the codes that claim nothing (no verification, privacy notice not seen)."""

EXPORT_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {alias: spec.lrs_name for spec in FIELDS for alias in spec.aliases}
)
"""[ours] Headings of MIS exports that ``uln batch new`` maps to LRS columns, besides
the LRS names and attribute names themselves (case, spaces and punctuation ignored):
the ``aliases`` of :data:`uln.learner.FIELDS`, read by :func:`uln.learner.field_for`.
``MiddleOtherName`` becomes ``MiddleNames`` in a 3A file."""

OUTPUT_SUFFIX: Final = "_OUTPUT"
"""[ours] Added to the request file's stem to name its output file."""

_DATE_LENGTH: Final = 10
"""``YYYY-MM-DD``: the length of a date column [spec]."""


def _columns(
    attributes: str,
    *,
    mandatory: str,
    names: Mapping[str, str] | None = None,
    birth_check: str = "date_of_birth",
) -> tuple[Column, ...]:
    """The columns of a layout, from the fields of :data:`uln.learner.FIELDS`.

    Names, maximum lengths, checks, owners and marks come from the field table; a
    layout says only which fields it holds, in order (``attributes``), which are
    mandatory, and any heading of its own (``MiddleNames`` in 3A). A date holds 10
    characters; the date of birth is read with the age rule (``birth_check``).
    """
    wanted = frozenset(mandatory.split())
    columns = []
    for attribute in attributes.split():
        spec = field_spec(attribute)
        kind = spec.kind
        length = spec.max_length
        if kind == "date":
            length = _DATE_LENGTH
            if attribute == "date_of_birth":
                kind = birth_check
        owner: Owner = "learner" if spec.record == "learner" else "demographics"
        mark: Mark = spec.mark  # type: ignore[assignment]
        name = (names or {}).get(attribute, spec.lrs_name)
        columns.append(Column(name, attribute, kind, length, attribute in wanted, owner, mark))
    return tuple(columns)


_REQUEST_FIELDS: Final = (
    "uln mis_identifier title given_name preferred_given_name middle_names family_name "
    "previous_family_name family_name_at_16 school_at_16 address_line1 address_line2 "
    "address_town address_county_or_city postcode date_of_address_capture date_of_birth "
    "place_of_birth email gender nationality scn"
)
_MANDATORY: Final = "given_name family_name postcode date_of_birth gender verification_type"

_V2A: Final = Layout(
    version="2A",
    kind="registration",
    header=REQUEST_HEADER,
    columns=_columns(
        f"{_REQUEST_FIELDS} ability_to_share verification_type "
        "other_verification_description notes",
        mandatory=f"{_MANDATORY} ability_to_share",
    ),
    min_learners=50,
    max_learners=5000,
    check_age=True,
    xml_root="RegistrationBatch",
    mark="ours",
)

_V3A: Final = attrs.evolve(
    _V2A,
    version="3A",
    columns=_columns(
        f"{_REQUEST_FIELDS} privacy_notice_seen verification_type "
        "other_verification_description notes uci upn",
        mandatory=f"{_MANDATORY} privacy_notice_seen",
        names={"middle_names": "MiddleNames"},
    ),
)

VERSIONS: Final[Mapping[str, Layout]] = MappingProxyType({"2A": _V2A, "3A": _V3A})
"""The registration batch versions. The column order is [ours], from the web
service's BatchLearner type; names, lengths and mandatory flags are [spec]."""

VERIFY: Final = Layout(
    version="V1",
    kind="verify",
    header=VERIFY_HEADER,
    columns=_columns(
        "uln mis_identifier given_name family_name date_of_birth gender",
        mandatory="uln given_name family_name",
        birth_check="date",
    ),
    min_learners=1,
    max_learners=5000,
    check_age=False,
    xml_root="VerifyBatch",
    mark="ours",
)
"""The verify batch of an awarding organisation: ULN, names, date of birth, gender
[spec]; the version name ``V1``, column order and XML names are [ours]."""

_RETURN_CODE: Final = Column(RETURN_CODE_COLUMN, "return_code", "return_code", 5, True, "entry")


def _output(layout: Layout) -> Layout:
    return attrs.evolve(
        layout,
        kind="output",
        header=OUTPUT_HEADER,
        columns=(*layout.columns, _RETURN_CODE),
        min_learners=0,
        check_age=False,
        xml_root="RegistrationBatchOutput",
    )


OUTPUT_LAYOUTS: Final[Mapping[str, Layout]] = MappingProxyType(
    {version: _output(layout) for version, layout in VERSIONS.items()}
)
"""The output file of each registration version: the input columns echoed (with the
ULN filled in) and ``ReturnCode`` last [ours]."""

LAYOUTS: Final[Mapping[tuple[Kind, str], Layout]] = MappingProxyType(
    {
        **{("registration", v): layout for v, layout in VERSIONS.items()},
        ("verify", VERIFY.version): VERIFY,
        **{("output", v): layout for v, layout in OUTPUT_LAYOUTS.items()},
    }
)
"""Every layout by kind and version."""


def layout_for(kind: Kind, version: str) -> Layout:
    """Return the layout of ``kind`` and ``version``.

    Raises:
        InvalidFormat: no such version (``field="FileVersion"``).

    >>> layout_for("output", "3A").columns[-1].name
    'ReturnCode'
    >>> layout_for("registration", "9Z")
    Traceback (most recent call last):
        ...
    uln.errors.InvalidFormat: FileVersion: not a known registration batch version (2A, 3A)
    """
    found = LAYOUTS.get((kind, version))
    if found is None:
        known = ", ".join(v for k, v in LAYOUTS if k == kind)
        raise InvalidFormat(f"not a known {kind} batch version ({known})", field="FileVersion")
    return found


# -- file names -------------------------------------------------------------------------

FILE_NAME: Final = re.compile(
    r"LRB_(?P<ukprn>[0-9A-Za-z]{8})_(?P<stamp>[0-9]{12})(?P<suffix>_OUTPUT)?\.(?P<format>CSV|XML)"
)
"""[spec] ``LRB_<UKPRN>_<DDMMYYYYHHMM>.CSV`` or ``.XML``, extension in upper case.

The UKPRN part allows the letters of LRS test organisations [client]; the
``_OUTPUT`` suffix of output files is [ours].
"""

_STAMP: Final = "%d%m%Y%H%M"


@attrs.frozen
class FileName:
    """The parts of a batch file name: UKPRN, creation time, format, output or not."""

    ukprn: str
    created: _dt.datetime
    format: str
    is_output: bool = False

    def __str__(self) -> str:
        stamp = self.created.strftime(_STAMP)
        suffix = OUTPUT_SUFFIX if self.is_output else ""
        return f"LRB_{self.ukprn}_{stamp}{suffix}.{self.format}"


def file_name(ukprn: str, when: _dt.datetime, format: str = "CSV") -> str:
    """Return the name of a batch file created at ``when`` by ``ukprn``.

    Raises:
        InvalidFormat: ``format`` is not CSV or XML, or the UKPRN does not fit the rule.

    >>> file_name("10001234", _dt.datetime(2024, 1, 31, 9, 5), "xml")
    'LRB_10001234_310120240905.XML'
    """
    fmt = format.upper()
    if fmt not in FORMATS:
        raise InvalidFormat("a batch file is CSV or XML", field="FileName")
    if not re.fullmatch(r"[0-9A-Za-z]{8}", ukprn):
        raise InvalidFormat("a UKPRN has 8 letters or digits", field="UKPRN")
    return str(FileName(ukprn, when.replace(second=0, microsecond=0, tzinfo=None), fmt))


def parse_file_name(name: str) -> FileName:
    """Split a batch file name into its parts, checking the rule.

    Only the last path component is looked at, so a full path may be given.

    Raises:
        InvalidFormat: the name does not follow ``LRB_<UKPRN>_<DDMMYYYYHHMM>.CSV|XML``.
        InvalidComponent: the date and time in it do not exist.

    >>> parse_file_name("/tmp/LRB_10001234_310120240905_OUTPUT.CSV").is_output
    True
    >>> parse_file_name("lrb_10001234_310120240905.csv")
    Traceback (most recent call last):
        ...
    uln.errors.InvalidFormat: FileName: the name must be LRB_<UKPRN>_<DDMMYYYYHHMM>.CSV or .XML
    >>> parse_file_name("LRB_10001234_320120240905.CSV")
    Traceback (most recent call last):
        ...
    uln.errors.InvalidComponent: FileName: the date and time DDMMYYYYHHMM do not exist
    """
    base = re.split(r"[\\/]", name)[-1]
    match = FILE_NAME.fullmatch(base)
    if match is None:
        raise InvalidFormat(
            "the name must be LRB_<UKPRN>_<DDMMYYYYHHMM>.CSV or .XML", field="FileName"
        )
    try:
        created = _dt.datetime.strptime(match["stamp"], _STAMP)
    except ValueError:
        raise InvalidComponent(
            "the date and time DDMMYYYYHHMM do not exist", field="FileName"
        ) from None
    return FileName(match["ukprn"], created, match["format"], match["suffix"] is not None)


def output_file_name(request_name: str) -> str:
    """Return the output file name for a request file name [ours].

    >>> output_file_name("LRB_10001234_310120240905.CSV")
    'LRB_10001234_310120240905_OUTPUT.CSV'
    """
    parsed = parse_file_name(request_name)
    return str(attrs.evolve(parsed, is_output=True))


# -- documentation ----------------------------------------------------------------------


def markdown_table(layout: Layout) -> str:
    """Return the columns of ``layout`` as a Markdown table (the docs are built from it).

    >>> print(markdown_table(VERIFY).splitlines()[2])
    | 1 | `ULN` | 10 | yes | `uln` | spec |
    """
    rows = [
        "| # | column | max length | mandatory | check | mark |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for i, c in enumerate(layout.columns, 1):
        length = "" if c.max_length is None else str(c.max_length)
        mandatory = "yes" if c.mandatory else ""
        rows.append(f"| {i} | `{c.name}` | {length} | {mandatory} | `{c.check}` | {c.mark} |")
    return "\n".join(rows) + "\n"
