"""The views of a Personal Learning Record: full, brief and restricted (pure functions).

A view is what one reader is given: the learner's details it may show, and the
learning events it may show, each cut down to the view's fields. Which view a reader
may have is for :class:`uln.plr.access.AccessPolicy` to decide; these functions only
cut.

- ``full``: the learner's own record: every detail (:data:`FULL_DETAILS`) and every
  event with every field.
- ``brief``: the LRS ``BRIEF`` field set of each event (:data:`BRIEF_EVENT_FIELDS`:
  id, award date, credits, source, level, subject, grade, subject code, provider
  UKPRN) [client], and no detail but the ULN.
- ``restricted``: for an organisation the learner nominated: the basic details
  (:data:`BASIC_DETAILS`) and only the events the learner chose to share [spec].

>>> import datetime as dt
>>> from uln import Learner
>>> from uln.plr import LearningEvent
>>> learner = Learner.from_raw({"ULN": "3344556680", "GivenName": "Ffion",
...     "FamilyName": "Evans", "DateOfBirth": "2006-11-30", "Gender": "2",
...     "LastKnownPostCode": "CF10 1AA"})
>>> event = LearningEvent.create(id="EV1", uln="3344556680", provider_ukprn="10012345",
...     provider_name="Coleg Caerdydd", awarding_ukprn="10054321", awarding_name="WJEC",
...     qualification_type="QCF unit", subject_code="K/501/5773", subject="Using email",
...     award_date="2024-07-19", credits=3, level="Entry 3", grade="Pass",
...     loaded="2024-08-01")
>>> view = restricted_view(learner, [event], shared=[])
>>> sorted(view.details), view.events
(['date_of_birth', 'family_name', 'given_name', 'uln'], ())
>>> brief = brief_view(learner, [event])
>>> print(*sorted(brief.events[0]))
award_date credits grade id level provider_ukprn source subject subject_code
>>> brief
PlrView(view='brief', uln='3344556680', details=1, events=1)
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final, Literal

import attrs

from uln.errors import InvalidCode
from uln.learner import FIELDS, Learner
from uln.plr.records import EVENT_FIELDS, LearningEvent

__all__ = [
    "BASIC_DETAILS",
    "BRIEF_DETAILS",
    "BRIEF_EVENT_FIELDS",
    "FULL_DETAILS",
    "FULL_EVENT_FIELDS",
    "RESTRICTED_EVENT_FIELDS",
    "VIEWS",
    "PlrView",
    "ViewName",
    "brief_view",
    "full_view",
    "make_view",
    "restricted_view",
]

ViewName = Literal["full", "brief", "restricted"]

VIEWS: Final[tuple[ViewName, ...]] = ("full", "brief", "restricted")
"""The views of a PLR."""

_NOT_SHOWN: Final = frozenset(
    {"version", "created", "updated", "master_uln", "notes", "mis_identifier"}
)
"""Register bookkeeping and an organisation's own notes and ids: in no view [ours]."""

FULL_DETAILS: Final[tuple[str, ...]] = tuple(
    spec.attr for spec in FIELDS if spec.attr not in _NOT_SHOWN
)
"""The learner's details in the full view: every field of the learner record but the
register's bookkeeping, the organisation's notes and its own learner id [ours]."""

BASIC_DETAILS: Final[tuple[str, ...]] = (
    "uln",
    "given_name",
    "preferred_given_name",
    "family_name",
    "date_of_birth",
)
"""The basic details a nominated organisation sees in the restricted view [ours: the
LRS says "basic details" without listing them]: ULN, names and date of birth; never the
address, postcode, email, telephone or gender."""

BRIEF_DETAILS: Final[tuple[str, ...]] = ("uln",)
"""The details in the brief view: only the ULN the events belong to."""

FULL_EVENT_FIELDS: Final[tuple[str, ...]] = tuple(EVENT_FIELDS)
"""Every field of a learning event (the LRS ``FULL`` field set) [client]."""

BRIEF_EVENT_FIELDS: Final[tuple[str, ...]] = (
    "id",
    "award_date",
    "credits",
    "source",
    "level",
    "subject",
    "grade",
    "subject_code",
    "provider_ukprn",
)
"""The LRS ``BRIEF`` field set of a learning event [client]."""

RESTRICTED_EVENT_FIELDS: Final[tuple[str, ...]] = tuple(
    name for name in EVENT_FIELDS if name != "restriction"
)
"""The fields of a shared event in the restricted view: all but the awarding
organisation's ``restriction`` note [ours]."""

_DEMOGRAPHIC: Final = frozenset(spec.attr for spec in FIELDS if spec.record == "demographics")


def _json(value: object) -> Any:
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, enum.IntEnum):
        return int(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [_json(item) for item in value]
    if value is not None and not isinstance(value, (str, int, bool)):
        return str(value)  # a Postcode
    return value


@attrs.frozen(repr=False)
class PlrView:
    """One reader's view of a Personal Learning Record.

    Attributes:
        view: ``full``, ``brief`` or ``restricted``.
        uln: the learner's (master) ULN.
        details: the learner's details the view shows, by attribute name (fields
            without a value are left out).
        events: the events the view shows, oldest award first, each a mapping of the
            view's event fields.

    The repr shows the view, ULN and counts, never a detail.
    """

    view: ViewName
    uln: str
    details: Mapping[str, Any]
    events: tuple[Mapping[str, Any], ...]

    def __repr__(self) -> str:
        return (
            f"PlrView(view={self.view!r}, uln={self.uln!r}, details={len(self.details)}, "
            f"events={len(self.events)})"
        )

    @property
    def event_ids(self) -> tuple[str, ...]:
        """The ids of the events shown."""
        return tuple(str(event["id"]) for event in self.events)

    def as_dict(self) -> dict[str, Any]:
        """The view as JSON-ready data: dates as ``YYYY-MM-DD``, codes as their values."""
        return {
            "view": self.view,
            "uln": self.uln,
            "details": {name: _json(value) for name, value in self.details.items()},
            "events": [{name: _json(value) for name, value in e.items()} for e in self.events],
        }


def _details(learner: Learner, names: Iterable[str]) -> Mapping[str, Any]:
    found = {}
    for name in names:
        record = learner.demographics if name in _DEMOGRAPHIC else learner
        value = getattr(record, name)
        if value is not None and value != ():
            found[name] = value
    return MappingProxyType(found)


def _events(
    events: Iterable[LearningEvent], names: tuple[str, ...]
) -> tuple[Mapping[str, Any], ...]:
    ordered = sorted(events, key=lambda e: (e.award_date, e.id))
    return tuple(MappingProxyType({name: getattr(e, name) for name in names}) for e in ordered)


def _uln(learner: Learner) -> str:
    if learner.uln is None:
        raise InvalidCode("a learner on the register has a ULN", field="ULN")
    return learner.uln


def full_view(learner: Learner, events: Iterable[LearningEvent]) -> PlrView:
    """The full view: every detail of :data:`FULL_DETAILS` and every event, whole."""
    return PlrView(
        "full", _uln(learner), _details(learner, FULL_DETAILS), _events(events, FULL_EVENT_FIELDS)
    )


def brief_view(learner: Learner, events: Iterable[LearningEvent]) -> PlrView:
    """The brief view: the ULN and the LRS ``BRIEF`` fields of each event given."""
    return PlrView(
        "brief",
        _uln(learner),
        _details(learner, BRIEF_DETAILS),
        _events(events, BRIEF_EVENT_FIELDS),
    )


def restricted_view(
    learner: Learner, events: Iterable[LearningEvent], *, shared: Iterable[str] | None
) -> PlrView:
    """The restricted view: the basic details and only the events whose ids are in
    ``shared`` (``None``: every event given, for a reader entitled to all of them)."""
    chosen = None if shared is None else frozenset(shared)
    kept = [e for e in events if chosen is None or e.id in chosen]
    return PlrView(
        "restricted",
        _uln(learner),
        _details(learner, BASIC_DETAILS),
        _events(kept, RESTRICTED_EVENT_FIELDS),
    )


def make_view(
    view: str,
    learner: Learner,
    events: Iterable[LearningEvent],
    *,
    shared: Iterable[str] | None = None,
) -> PlrView:
    """The view named ``view``; ``shared`` limits the events of any view to those ids
    (a reader nominated for the restricted view gets no more in the brief one).

    Raises:
        InvalidCode: ``view`` is not ``full``, ``brief`` or ``restricted``.
    """
    chosen = None if shared is None else frozenset(shared)
    kept = [e for e in events if chosen is None or e.id in chosen]
    if view == "full":
        return full_view(learner, kept)
    if view == "brief":
        return brief_view(learner, kept)
    if view == "restricted":
        return restricted_view(learner, kept, shared=None)
    raise InvalidCode("a view is full, brief or restricted", field="view")
