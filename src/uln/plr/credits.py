"""Credit summaries over learning events: credits by level, QCF sizes, a learner's totals.

In the Qualifications and Credit Framework one credit is ten notional learning hours,
and a qualification's size follows from its credits: an Award has 1 to 12, a
Certificate 13 to 36, a Diploma 37 or more [spec] (:data:`QCF_SIZES`, one table). The
Welsh Baccalaureate aggregates a learner's achievement across providers, which is what
:func:`summarise` gives. Every function here is pure: it reads the events it is given.

>>> qcf_size(12), qcf_size(13), qcf_size(37), qcf_size(0)
(<QcfSize.AWARD: 'award'>, <QcfSize.CERTIFICATE: 'certificate'>, <QcfSize.DIPLOMA: 'diploma'>, None)
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

import attrs

from uln.errors import ArgumentError
from uln.plr.records import SUBJECT_CODE_RULES, EventStatus, LearningEvent, Level

__all__ = [
    "QCF_SIZES",
    "UNIT_CODE_RULES",
    "CreditSummary",
    "QcfSize",
    "credits_by_level",
    "is_unit",
    "qcf_size",
    "summarise",
]


class QcfSize(enum.Enum):
    """The size of a QCF qualification, by its credits [spec]."""

    AWARD = "award"
    CERTIFICATE = "certificate"
    DIPLOMA = "diploma"


QCF_SIZES: Final[tuple[tuple[QcfSize, int, int | None], ...]] = (
    (QcfSize.AWARD, 1, 12),
    (QcfSize.CERTIFICATE, 13, 36),
    (QcfSize.DIPLOMA, 37, None),
)
"""[spec] Each size with its smallest and largest number of credits (None: no limit)."""

UNIT_CODE_RULES: Final = frozenset({"qcf_unit"})
"""[ours] The subject-code shapes (keys of :data:`uln.plr.records.SUBJECT_CODE_RULES`)
that name a unit rather than a qualification: a unit has credits but no size."""


def qcf_size(credits: int) -> QcfSize | None:
    """The QCF size of a qualification with ``credits`` credits (None for 0).

    Raises:
        ArgumentError: ``credits`` is negative.
    """
    if credits < 0:
        raise ArgumentError("credits", "credits are 0 or more")
    for size, low, high in QCF_SIZES:
        if credits >= low and (high is None or credits <= high):
            return size
    return None


def is_unit(event: LearningEvent) -> bool:
    """Whether the event is a unit (its subject code has a shape of :data:`UNIT_CODE_RULES`)."""
    return any(
        SUBJECT_CODE_RULES[name].pattern.fullmatch(event.subject_code) for name in UNIT_CODE_RULES
    )


def _counted(events: Iterable[LearningEvent], include_provisional: bool) -> list[LearningEvent]:
    return [e for e in events if include_provisional or e.status is EventStatus.FINAL]


def credits_by_level(
    events: Iterable[LearningEvent], *, include_provisional: bool = False
) -> dict[Level, int]:
    """The credits of the events at each level, lowest level first (levels with none left out).

    Provisional events count only with ``include_provisional=True``.
    """
    totals: Counter[Level] = Counter()
    for event in _counted(events, include_provisional):
        totals[event.level] += event.credits
    return {level: totals[level] for level in Level if totals[level]}


@attrs.frozen
class CreditSummary:
    """A learner's achievement in numbers, of the kind the Welsh Baccalaureate needs.

    ``credits_by_level`` counts every event's credits (units and qualifications);
    ``qualifications_by_size`` and ``qualifications_by_level`` count the qualifications
    (events that are not units, :func:`is_unit`) with at least one credit, by QCF size
    and by level. ``under_challenge`` counts the counted events whose data is challenged
    (they still count). Mappings list only the sizes and levels that occur.
    """

    events: int
    units: int
    qualifications: int
    total_credits: int
    credits_by_level: Mapping[Level, int]
    qualifications_by_size: Mapping[QcfSize, int]
    qualifications_by_level: Mapping[Level, int]
    highest_level: Level | None
    under_challenge: int

    def credits_at_or_above(self, level: Level) -> int:
        """The credits at ``level`` or higher.

        >>> summarise([]).credits_at_or_above(Level.LEVEL_2)
        0
        """
        return sum(n for lvl, n in self.credits_by_level.items() if lvl.rank >= level.rank)


def summarise(
    events: Iterable[LearningEvent], *, include_provisional: bool = False
) -> CreditSummary:
    """Aggregate a learner's events (pass the events of their whole record).

    Provisional events are left out unless ``include_provisional=True``.

    >>> s = summarise([])
    >>> s.total_credits, s.highest_level, dict(s.qualifications_by_size)
    (0, None, {})
    """
    counted = _counted(events, include_provisional)
    units = [e for e in counted if is_unit(e)]
    qualifications = [e for e in counted if not is_unit(e) and e.credits > 0]
    by_size: Counter[QcfSize] = Counter()
    by_level: Counter[Level] = Counter()
    for event in qualifications:
        size = qcf_size(event.credits)
        assert size is not None  # credits > 0
        by_size[size] += 1
        by_level[event.level] += 1
    levels = [e.level for e in counted]
    return CreditSummary(
        events=len(counted),
        units=len(units),
        qualifications=len([e for e in counted if not is_unit(e)]),
        total_credits=sum(e.credits for e in counted),
        credits_by_level=MappingProxyType(credits_by_level(counted, include_provisional=True)),
        qualifications_by_size=MappingProxyType(
            {size: by_size[size] for size in QcfSize if by_size[size]}
        ),
        qualifications_by_level=MappingProxyType(
            {level: by_level[level] for level in Level if by_level[level]}
        ),
        highest_level=max(levels, key=lambda lvl: lvl.rank) if levels else None,
        under_challenge=sum(1 for e in counted if e.under_challenge),
    )
