"""The records of a Personal Learning Record: learning events, organisations, users, nominations.

Each record is a frozen :mod:`attrs` class holding *canonical* values; the class checks
them when it is built (so a backend can rebuild one from a row) and raises one of
:mod:`uln.errors` naming the field and the rule, never the value. The named constructor
``create`` takes what a caller holds (text for dates, levels and enums, UKPRNs with
spaces) and makes it canonical first.

The record holds no socio-economic, ethnicity, disability or exclusion data: there is
no field for any of them, and every free-text field is screened against the prohibited
text table (:mod:`uln.plr.prohibited`): a learning event's qualification type, subject,
grade and restriction (organisation names are not free text: they come with a UKPRN).

>>> event = LearningEvent.create(
...     id="EV1", uln="3344556680", provider_ukprn="10012345", provider_name="Coleg Gwent",
...     awarding_ukprn="10054321", awarding_name="WJEC", qualification_type="QCF unit",
...     subject_code="k/501/5773", subject="Using email", award_date="2024-07-19",
...     credits=3, level="Entry 3", grade="Pass", status="final", source="AO",
...     loaded="2024-08-01")
>>> event.subject_code, event.level, event.credits
('K/501/5773', <Level.ENTRY_3: 'E3'>, 3)
>>> event
LearningEvent(id='EV1', subject_code='K/501/5773', level='E3', credits=3, status='final')
>>> LearningEvent.create(**{**event.as_dict(), "subject_code": "K501/5773"})
Traceback (most recent call last):
    ...
uln.errors.InvalidFormat: SubjectCode: a subject code is a QCF unit code (letter/3 digits/...
"""

from __future__ import annotations

import datetime as _dt
import enum
import re
import unicodedata
import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

from uln import checkdigit
from uln.errors import (
    InvalidCode,
    InvalidDate,
    InvalidFormat,
    InvalidLength,
    MissingValue,
    ValidationError,
)
from uln.identifiers import ukprn as _ukprn
from uln.plr.prohibited import check_text

__all__ = [
    "EVENT_FIELDS",
    "SUBJECT_CODE_RULES",
    "EventStatus",
    "LearningEvent",
    "Level",
    "Nomination",
    "NominationView",
    "Organisation",
    "OrganisationKind",
    "Role",
    "SubjectCodeRule",
    "User",
    "validate_subject_code",
]


# -- enumerations -------------------------------------------------------------------------


class Level(enum.Enum):
    """A QCF/RQF level: Entry 1..3, then 1..8 [spec]. Values are the short codes.

    >>> Level.parse("Entry 2"), Level.parse(3), Level.parse("L8")
    (<Level.ENTRY_2: 'E2'>, <Level.LEVEL_3: '3'>, <Level.LEVEL_8: '8'>)
    >>> Level.ENTRY_3.rank < Level.LEVEL_1.rank
    True
    """

    ENTRY_1 = "E1"
    ENTRY_2 = "E2"
    ENTRY_3 = "E3"
    LEVEL_1 = "1"
    LEVEL_2 = "2"
    LEVEL_3 = "3"
    LEVEL_4 = "4"
    LEVEL_5 = "5"
    LEVEL_6 = "6"
    LEVEL_7 = "7"
    LEVEL_8 = "8"

    @property
    def rank(self) -> int:
        """The level's place from the lowest (Entry 1 is 0, Level 8 is 10)."""
        return _LEVEL_ORDER.index(self)

    @property
    def is_entry(self) -> bool:
        """Whether this is one of the Entry levels."""
        return self.value.startswith("E")

    @property
    def label(self) -> str:
        """How the level is written for people: ``Entry 3``, ``Level 2``."""
        return f"Entry {self.value[1]}" if self.is_entry else f"Level {self.value}"

    @classmethod
    def parse(cls, value: object) -> Level:
        """Read a level: ``E1``, ``Entry 1``, ``Entry level 1``, ``1``, ``L1``, ``Level 1``, 1.

        Raises:
            InvalidCode: not one of the levels (field ``Level``).
        """
        if isinstance(value, Level):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str):
            key = re.sub(r"[\s_-]+", "", value).casefold()
            key = key.replace("entrylevel", "e").replace("entry", "e")
            key = key.replace("level", "").removeprefix("l")
            for level in cls:
                if level.value.casefold() == key:
                    return level
        raise InvalidCode("a level is Entry 1 to 3 or 1 to 8", field="Level")


_LEVEL_ORDER: Final = tuple(Level)


class EventStatus(enum.Enum):
    """Whether an achievement is final or still provisional [client]."""

    FINAL = "final"
    PROVISIONAL = "provisional"


class OrganisationKind(enum.Enum):
    """What an organisation does with the register [spec]."""

    LEARNER_REGISTRATION_BODY = "lrb"
    """Registers, finds and updates learners (a school, college, provider)."""
    AWARDING_ORGANISATION = "ao"
    """Verifies ULNs and uploads achievements for its own qualifications."""
    OTHER = "other"
    """Neither registers nor awards: an employer or careers adviser a learner may
    nominate; it reads only what learners share with it [ours]."""


class Role(enum.Enum):
    """A user's role in their organisation [spec]."""

    SUPER_USER = "super_user"
    """Manages the organisation's users (adds, removes, resets access)."""
    USER = "user"


class NominationView(enum.Enum):
    """What a nominated organisation may see of a learner's record [spec]."""

    FULL = "full"
    """The whole record (a provider or careers adviser the learner chose)."""
    RESTRICTED = "restricted"
    """Basic details and only the events the learner picked (an employer)."""


# -- subject codes ------------------------------------------------------------------------


@attrs.frozen
class SubjectCodeRule:
    """One accepted shape of a subject code: a name, a pattern, an example, a source mark."""

    name: str
    pattern: re.Pattern[str]
    example: str
    mark: str


SUBJECT_CODE_RULES: Final[Mapping[str, SubjectCodeRule]] = MappingProxyType(
    {
        "qcf_unit": SubjectCodeRule(
            "QCF unit code (letter/3 digits/4 digits)",
            re.compile(r"[A-Z]/[0-9]{3}/[0-9]{4}"),
            "K/501/5773",
            "spec",
        ),
        "qualification_number": SubjectCodeRule(
            "qualification number (3 digits/4 digits/check character)",
            re.compile(r"[0-9]{3}/[0-9]{4}/[0-9A-Z]"),
            "601/8830/6",
            "spec",
        ),
        "learning_aim": SubjectCodeRule(
            "learning aim reference (8 letters and digits)",
            re.compile(r"[0-9A-Z]{8}"),
            "60001234",
            "ours",
        ),
    }
)
"""The shapes a subject code may take, one entry each; correct or extend them here.

Codes are compared in upper case with spaces removed. QCF unit codes (``K/501/5773``)
and Ofqual qualification numbers (``601/8830/6``) are published shapes [spec]; the ILR's
learning aim references (LARS, ``60001234``, ``ZPROG001``) are accepted because events
loaded from the ILR carry them [ours].
"""

_SUBJECT_CODE_HELP: Final = (
    "a subject code is a QCF unit code (letter/3 digits/4 digits, K/501/5773), "
    "a qualification number (3 digits/4 digits/check character, 601/8830/6) "
    "or a learning aim reference (8 letters and digits, 60001234)"
)


def validate_subject_code(code: object) -> str:
    """Return a subject code in canonical form (upper case, no spaces), or raise.

    >>> validate_subject_code(" k/501/5773 ")
    'K/501/5773'

    Raises:
        InvalidFormat: the code has none of the shapes of :data:`SUBJECT_CODE_RULES`
            (field ``SubjectCode``).
    """
    if not isinstance(code, str):
        raise InvalidFormat("a subject code is text", field="SubjectCode")
    canonical = re.sub(r"\s+", "", code).upper()
    if any(rule.pattern.fullmatch(canonical) for rule in SUBJECT_CODE_RULES.values()):
        return canonical
    raise InvalidFormat(_SUBJECT_CODE_HELP, field="SubjectCode")


# -- field checks -------------------------------------------------------------------------

_IDENTIFIER: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]*")


def _text(value: object, field: str, *, length: int, required: bool, screen: bool) -> str:
    if not isinstance(value, str):
        raise InvalidFormat("the value is text", field=field)
    if value != value.strip():
        raise InvalidFormat("the text has no leading or trailing spaces", field=field)
    if required and not value:
        raise MissingValue(field=field)
    if len(value) > length:
        raise InvalidLength(f"at most {length} characters", field=field)
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise InvalidFormat("the text has no control characters", field=field)
    if screen:
        check_text(value, field=field)
    return value


def _identifier(value: object, field: str, *, length: int = 64) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise InvalidFormat(
            "an identifier is letters, digits and . _ : @ - (starting with a letter or digit)",
            field=field,
        )
    if len(value) > length:
        raise InvalidLength(f"at most {length} characters", field=field)
    return value


def _ukprn_field(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidFormat("a UKPRN is text", field=field)
    try:
        canonical = _ukprn.validate(value, allow_test=True)
    except ValidationError as exc:
        raise exc.at(field=field) from None
    return canonical


def _uln_field(value: object, field: str = "ULN") -> str:
    if not isinstance(value, str):
        raise InvalidFormat("a ULN is text", field=field)
    try:
        return checkdigit.validate(value)
    except ValidationError as exc:
        raise exc.at(field=field) from None


def _date(value: object, field: str) -> _dt.date:
    if isinstance(value, _dt.datetime):
        raise InvalidDate("a date, not a date and time", field=field)
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidDate("a date is written YYYY-MM-DD", field=field)


def _moment(value: object, field: str) -> _dt.datetime:
    if isinstance(value, str):
        try:
            value = _dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidDate("a time is written in ISO 8601", field=field) from None
    if not isinstance(value, _dt.datetime) or value.tzinfo is None:
        raise InvalidDate("a time carries its time zone", field=field)
    return value


def _enum(kind: type[enum.Enum], value: object, field: str) -> Any:
    if isinstance(value, kind):
        return value
    for member in kind:
        if isinstance(value, str) and value.strip().casefold() in (
            member.value.casefold(),
            member.name.casefold(),
        ):
            return member
    allowed = ", ".join(member.value for member in kind)
    raise InvalidCode(f"one of {allowed}", field=field)


# -- learning events ----------------------------------------------------------------------

EVENT_FIELDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "id": "EventId",
        "uln": "ULN",
        "provider_ukprn": "AchievementProviderUkprn",
        "provider_name": "AchievementProviderName",
        "awarding_ukprn": "AwardingOrganisationUkprn",
        "awarding_name": "AwardingOrganisationName",
        "qualification_type": "QualificationType",
        "subject_code": "SubjectCode",
        "subject": "Subject",
        "award_date": "AchievementAwardDate",
        "credits": "Credits",
        "level": "Level",
        "grade": "Grade",
        "status": "Status",
        "source": "Source",
        "loaded": "DateLoaded",
        "under_challenge": "UnderDataChallenge",
        "restriction": "Restriction",
    }
)
"""The attributes of a :class:`LearningEvent` and the LRS-style names errors use [client]."""

_NAME_LENGTH: Final = 255
_SHORT_LENGTH: Final = 100
_SOURCE: Final = re.compile(r"[A-Z][A-Z0-9_]{0,19}")


def _event_check(instance: LearningEvent) -> None:
    f = EVENT_FIELDS
    _identifier(instance.id, f["id"])
    if _uln_field(instance.uln, f["uln"]) != instance.uln:
        raise InvalidFormat("the ULN is in canonical form", field=f["uln"])
    for name in ("provider_ukprn", "awarding_ukprn"):
        value = getattr(instance, name)
        if _ukprn_field(value, f[name]) != value:
            raise InvalidFormat("the UKPRN is in canonical form", field=f[name])
    # organisation names come with their UKPRN from the register of providers: not free
    # text, and not screened (a pupil referral unit is a provider like any other)
    _text(instance.provider_name, f["provider_name"], length=_NAME_LENGTH, required=True,
          screen=False)  # fmt: skip
    _text(instance.awarding_name, f["awarding_name"], length=_NAME_LENGTH, required=True,
          screen=False)  # fmt: skip
    _text(instance.qualification_type, f["qualification_type"], length=_SHORT_LENGTH,
          required=True, screen=True)  # fmt: skip
    if validate_subject_code(instance.subject_code) != instance.subject_code:
        raise InvalidFormat("the subject code is in upper case without spaces",
                            field=f["subject_code"])  # fmt: skip
    _text(instance.subject, f["subject"], length=_NAME_LENGTH, required=True, screen=True)
    if not isinstance(instance.award_date, _dt.date) or isinstance(
        instance.award_date, _dt.datetime
    ):
        raise InvalidDate("a date", field=f["award_date"])
    if not isinstance(instance.credits, int) or isinstance(instance.credits, bool):
        raise InvalidFormat("credits are a whole number", field=f["credits"])
    if instance.credits < 0:
        raise InvalidFormat("credits are 0 or more", field=f["credits"])
    if not isinstance(instance.level, Level):
        raise InvalidCode("a Level", field=f["level"])
    _text(instance.grade, f["grade"], length=_SHORT_LENGTH, required=False, screen=True)
    if not isinstance(instance.status, EventStatus):
        raise InvalidCode("final or provisional", field=f["status"])
    if not isinstance(instance.source, str) or not _SOURCE.fullmatch(instance.source):
        raise InvalidFormat("a source is up to 20 capitals, digits and _ (ILR, AO)",
                            field=f["source"])  # fmt: skip
    if not isinstance(instance.loaded, _dt.date) or isinstance(instance.loaded, _dt.datetime):
        raise InvalidDate("a date", field=f["loaded"])
    if instance.loaded < instance.award_date:
        # an achievement is loaded after it is awarded [ours]
        raise InvalidDate("the date loaded is not before the award date", field=f["loaded"])
    if not isinstance(instance.under_challenge, bool):
        raise InvalidFormat("true or false", field=f["under_challenge"])
    _text(instance.restriction, f["restriction"], length=_SHORT_LENGTH, required=False,
          screen=True)  # fmt: skip


@attrs.frozen(repr=False)
class LearningEvent:
    """One achievement on a learner's record (the LRS learning event) [client].

    ``uln`` is the ULN the event was stored under (the service stores it on the master
    ULN); ``credits`` are QCF credits (1 credit = 10 notional learning hours);
    ``restriction`` is free text the awarding organisation may attach (empty when none).
    Build one with :meth:`create`; the class itself checks that every value is
    canonical. The repr shows no grade, subject or ULN.
    """

    id: str
    uln: str
    provider_ukprn: str
    provider_name: str
    awarding_ukprn: str
    awarding_name: str
    qualification_type: str
    subject_code: str
    subject: str
    award_date: _dt.date
    credits: int
    level: Level
    grade: str
    status: EventStatus
    source: str
    loaded: _dt.date
    under_challenge: bool = False
    restriction: str = ""

    def __attrs_post_init__(self) -> None:
        _event_check(self)

    def __repr__(self) -> str:
        return (
            f"LearningEvent(id={self.id!r}, subject_code={self.subject_code!r}, "
            f"level={self.level.value!r}, credits={self.credits}, status={self.status.value!r})"
        )

    @classmethod
    def create(
        cls,
        *,
        uln: str,
        provider_ukprn: str,
        provider_name: str,
        awarding_ukprn: str,
        awarding_name: str,
        qualification_type: str,
        subject_code: str,
        subject: str,
        award_date: _dt.date | str,
        credits: int | str,
        level: Level | str | int,
        grade: str = "",
        status: EventStatus | str = EventStatus.FINAL,
        source: str = "AO",
        loaded: _dt.date | str | None = None,
        under_challenge: bool = False,
        restriction: str = "",
        id: str | None = None,
    ) -> LearningEvent:
        """Build an event from what a caller holds, making each value canonical.

        Text is stripped; UKPRNs and the ULN lose their spaces; ``award_date`` and
        ``loaded`` may be ``YYYY-MM-DD`` text (``loaded`` defaults to today, UTC);
        ``level`` is read by :meth:`Level.parse`; ``status`` is ``final`` or
        ``provisional``; ``credits`` may be digits; ``id`` defaults to a new random id.

        Raises:
            ValidationError: a field is not valid (the error names it, by its name in
                :data:`EVENT_FIELDS`); :class:`~uln.plr.prohibited.ProhibitedText` when
                free text holds contextual data.
        """
        f = EVENT_FIELDS
        if isinstance(credits, str):
            if not credits.strip().isdigit():
                raise InvalidFormat("credits are a whole number", field=f["credits"])
            credits = int(credits.strip())
        if not isinstance(under_challenge, bool):
            raise InvalidFormat("true or false", field=f["under_challenge"])
        try:
            level_value = Level.parse(level)
        except ValidationError as exc:
            raise exc.at(field=f["level"]) from None
        return cls(
            id=uuid.uuid4().hex if id is None else _strip(id),
            uln=_uln_field(uln, f["uln"]),
            provider_ukprn=_ukprn_field(provider_ukprn, f["provider_ukprn"]),
            provider_name=_strip(provider_name),
            awarding_ukprn=_ukprn_field(awarding_ukprn, f["awarding_ukprn"]),
            awarding_name=_strip(awarding_name),
            qualification_type=_strip(qualification_type),
            subject_code=validate_subject_code(subject_code),
            subject=_strip(subject),
            award_date=_date(award_date, f["award_date"]),
            credits=credits,
            level=level_value,
            grade=_strip(grade),
            status=_enum(EventStatus, status, f["status"]),
            source=_strip(source).upper() if isinstance(source, str) else source,
            loaded=_dt.datetime.now(_dt.UTC).date()
            if loaded is None
            else _date(loaded, f["loaded"]),
            under_challenge=under_challenge,
            restriction=_strip(restriction),
        )

    def as_dict(self) -> dict[str, Any]:
        """The event's fields by attribute name (dates as dates, enums as enums)."""
        return {name: getattr(self, name) for name in EVENT_FIELDS}

    def challenged(self, under_challenge: bool = True) -> LearningEvent:
        """A copy with the data-challenge flag set (or cleared)."""
        return attrs.evolve(self, under_challenge=under_challenge)


def _today() -> _dt.date:
    return _dt.datetime.now(_dt.UTC).date()


def _strip(value: object) -> Any:
    return value.strip() if isinstance(value, str) else value


# -- organisations and users --------------------------------------------------------------


def _organisation_check(instance: Organisation) -> None:
    if _ukprn_field(instance.ukprn, "UKPRN") != instance.ukprn:
        raise InvalidFormat("the UKPRN is in canonical form", field="UKPRN")
    _text(instance.name, "OrganisationName", length=_NAME_LENGTH, required=True, screen=False)
    if not isinstance(instance.kind, OrganisationKind):
        raise InvalidCode("an OrganisationKind", field="OrganisationKind")


@attrs.frozen
class Organisation:
    """An organisation known to the register: its UKPRN, name and kind [spec].

    >>> org = Organisation.create(ukprn="1001 2345", name="Coleg Gwent", kind="lrb")
    >>> org.ukprn, org.kind
    ('10012345', <OrganisationKind.LEARNER_REGISTRATION_BODY: 'lrb'>)
    """

    ukprn: str
    name: str
    kind: OrganisationKind

    def __attrs_post_init__(self) -> None:
        _organisation_check(self)

    @classmethod
    def create(cls, *, ukprn: str, name: str, kind: OrganisationKind | str) -> Organisation:
        """Build an organisation: the UKPRN is checked with :mod:`uln.identifiers.ukprn`
        (test UKPRNs such as ``TEST0038`` are accepted), ``kind`` may be ``lrb`` or ``ao``.

        Raises:
            ValidationError: naming ``UKPRN``, ``OrganisationName`` or ``OrganisationKind``.
        """
        return cls(
            ukprn=_ukprn_field(ukprn, "UKPRN"),
            name=_strip(name),
            kind=_enum(OrganisationKind, kind, "OrganisationKind"),
        )


_SECRET_HASH: Final = re.compile(r"[\x21-\x7e]{1,512}")


def _user_check(instance: User) -> None:
    _identifier(instance.id, "Username", length=100)
    if _ukprn_field(instance.organisation, "UKPRN") != instance.organisation:
        raise InvalidFormat("the UKPRN is in canonical form", field="UKPRN")
    if not isinstance(instance.role, Role):
        raise InvalidCode("a Role", field="Role")
    if not isinstance(instance.active, bool):
        raise InvalidFormat("true or false", field="Active")
    if instance.secret_hash is not None and not (
        isinstance(instance.secret_hash, str) and _SECRET_HASH.fullmatch(instance.secret_hash)
    ):
        raise InvalidFormat("a secret hash is printable ASCII text", field="SecretHash")


@attrs.frozen(repr=False)
class User:
    """A named user of an organisation, with a role [spec].

    ``secret_hash`` is whatever the access layer stores to check a secret (a key
    derivation's output, never the secret): it is never shown. ``active`` is False for a
    user that was removed (the user is kept so that the audit still names them).

    >>> User.create(id="jo.bloggs", organisation="10012345", role="super_user")
    User(organisation='10012345', role='super_user', active=True)
    """

    id: str
    organisation: str
    role: Role = Role.USER
    active: bool = True
    secret_hash: str | None = None

    def __attrs_post_init__(self) -> None:
        _user_check(self)

    def __repr__(self) -> str:  # a username is often a person's name or email
        return (
            f"User(organisation={self.organisation!r}, role={self.role.value!r}, "
            f"active={self.active})"
        )

    @classmethod
    def create(
        cls,
        *,
        id: str,
        organisation: str,
        role: Role | str = Role.USER,
        active: bool = True,
        secret_hash: str | None = None,
    ) -> User:
        """Build a user; ``role`` may be ``super_user`` or ``user``.

        Raises:
            ValidationError: naming ``Username``, ``UKPRN``, ``Role``, ``Active`` or
                ``SecretHash``.
        """
        return cls(
            id=_strip(id),
            organisation=_ukprn_field(organisation, "UKPRN"),
            role=_enum(Role, role, "Role"),
            active=active,
            secret_hash=secret_hash,
        )


# -- nominations --------------------------------------------------------------------------


def _nomination_check(instance: Nomination) -> None:
    if _uln_field(instance.uln) != instance.uln:
        raise InvalidFormat("the ULN is in canonical form", field="ULN")
    if _ukprn_field(instance.organisation, "UKPRN") != instance.organisation:
        raise InvalidFormat("the UKPRN is in canonical form", field="UKPRN")
    if not isinstance(instance.view, NominationView):
        raise InvalidCode("full or restricted", field="View")
    if not isinstance(instance.shared, tuple):
        raise InvalidFormat("the shared events are a tuple of event ids", field="SharedEvents")
    for event_id in instance.shared:
        _identifier(event_id, "SharedEvents")
    if len(set(instance.shared)) != len(instance.shared):
        raise InvalidFormat("an event is shared once", field="SharedEvents")
    if instance.view is NominationView.FULL and instance.shared:
        raise InvalidFormat("a full view shares every event: list none", field="SharedEvents")
    _moment(instance.created, "Created")
    if instance.withdrawn is not None:
        _moment(instance.withdrawn, "Withdrawn")
        if instance.withdrawn < instance.created:
            raise InvalidDate("withdrawn after it was created", field="Withdrawn")
    if not isinstance(instance.id, int) or isinstance(instance.id, bool) or instance.id < 0:
        raise InvalidFormat("an id is a whole number, 0 before it is stored", field="Id")


@attrs.frozen
class Nomination:
    """A learner's choice that an organisation may see their record [spec].

    ``view`` is full or restricted; a restricted view lists the ids of the events the
    learner chose to share (``shared``, in the learner's order). ``withdrawn`` is set
    when the learner withdraws it. ``id`` is set by the backend when stored (0 before).

    >>> n = Nomination.create(uln="3344556680", organisation="10012345", view="restricted",
    ...                       shared=["EV1"], created="2025-01-06T09:00:00+00:00")
    >>> n.view, n.shared, n.active
    (<NominationView.RESTRICTED: 'restricted'>, ('EV1',), True)
    """

    uln: str
    organisation: str
    view: NominationView
    created: _dt.datetime
    shared: tuple[str, ...] = ()
    withdrawn: _dt.datetime | None = None
    id: int = 0

    def __attrs_post_init__(self) -> None:
        _nomination_check(self)

    @property
    def active(self) -> bool:
        """Whether the nomination stands (not withdrawn)."""
        return self.withdrawn is None

    @classmethod
    def create(
        cls,
        *,
        uln: str,
        organisation: str,
        view: NominationView | str,
        created: _dt.datetime | str,
        shared: Any = (),
    ) -> Nomination:
        """Build a new (not withdrawn, not stored) nomination.

        Raises:
            ValidationError: naming ``ULN``, ``UKPRN``, ``View``, ``SharedEvents`` or
                ``Created``.
        """
        if isinstance(shared, str) or not hasattr(shared, "__iter__"):
            raise InvalidFormat("the shared events are a list of event ids", field="SharedEvents")
        return cls(
            uln=_uln_field(uln),
            organisation=_ukprn_field(organisation, "UKPRN"),
            view=_enum(NominationView, view, "View"),
            created=_moment(created, "Created"),
            shared=tuple(_strip(event_id) for event_id in shared),
        )
