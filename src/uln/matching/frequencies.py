"""Name and date frequencies for term-frequency adjustment: a rare value counts more than a
common one.

>>> from uln.matching.normalise import match_record
>>> tf = TermFrequencies.from_records([match_record({"given_name": n}) for n in "ABA"])
>>> tf.given["A"], tf.total
(2, 3)
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Final

import attrs

from uln.matching.normalise import MatchRecord

__all__ = ["TF_RULES", "TermFrequencies"]

TF_RULES: Final[dict[str, float]] = {
    "pseudo_count": 1.0,  # shrink a value's frequency towards the level's u by this many u-records
    "max_up": 6.0,  # a rare value adds at most this many bits to an exact agreement
    "max_down": 6.0,  # a common value takes at most this many bits off
}
"""How term-frequency adjustment is bounded [ours].

The frequency of a value among the ``n`` records being matched is shrunk towards the
level's ``u``: ``(count + k) / (n + k / u)`` with ``k = pseudo_count``, so a handful of
records cannot make a name look unique; the adjustment ``log2(u / frequency)`` is then
clipped to ``[-max_down, +max_up]`` bits, and further so that an adjusted level never
weighs less than any level below it (agreeing more never counts less).
"""


@attrs.frozen
class TermFrequencies:
    """How often each given and family name key and each date of birth occurs among records.

    >>> from uln.matching.normalise import match_record
    >>> tf = TermFrequencies.from_records([match_record({"given_name": n}) for n in "ABA"])
    >>> tf.given["A"], tf.total
    (2, 3)
    """

    given: Counter[str] = attrs.field(factory=Counter)
    family: Counter[str] = attrs.field(factory=Counter)
    total: int = 0
    dates: Counter[str] = attrs.field(factory=Counter)
    dated: int = 0
    """How many of the ``total`` records had their dates of birth (``YYYYMMDD``, in
    ``dates``) counted: dates of birth are adjusted only when all were (a source that
    counts names only, such as an SQL register without date counts, adjusts none)."""
    _cache: dict[tuple[bool | None, str, float], float] = attrs.field(
        factory=dict, init=False, repr=False, eq=False
    )

    def date_adjustment(self, digits: str, u: float) -> float:
        """The term-frequency adjustment in bits of an exact agreement on a date of birth.

        ``digits`` is the date as ``YYYYMMDD``; ``u`` the exact level's u. A date that
        many records share (a default such as 1 January, a year written as a date)
        weighs less than one that few share. No adjustment (0) when dates are not
        counted. See :data:`TF_RULES`.

        >>> tf = TermFrequencies(dates=Counter({"20000101": 400, "20070519": 1}), total=20_000,
        ...                      dated=20_000)
        >>> tf.date_adjustment("20000101", 3e-4) < 0 < tf.date_adjustment("20070519", 3e-4)
        True
        """
        dates = self.dates
        if self.total <= 0 or self.dated != self.total:
            return 0.0
        cache_key = (None, digits, u)
        value = self._cache.get(cache_key)
        if value is None:
            value = self._cache[cache_key] = _tf_adjustment(dates[digits], self.total, u)
        return value

    def adjustment(self, given: bool, key: str, u: float) -> float:
        """The term-frequency adjustment in bits of an exact agreement on ``key``.

        ``given`` says whether ``key`` is a given name (else a family name); ``u`` is the
        exact level's u. See :data:`TF_RULES`.

        >>> tf = TermFrequencies(given=Counter({"MOHAMMED": 500, "ZEBEDEE": 1}), total=10_000)
        >>> tf.adjustment(True, "MOHAMMED", 0.008) < 0 < tf.adjustment(True, "ZEBEDEE", 0.008)
        True
        """
        cache_key = (given, key, u)
        value = self._cache.get(cache_key)
        if value is None:
            counter = self.given if given else self.family
            value = _tf_adjustment(counter[key], self.total, u) if self.total > 0 else 0.0
            self._cache[cache_key] = value
        return value

    @classmethod
    def from_records(cls, records: Iterable[MatchRecord]) -> TermFrequencies:
        """Count the name keys of ``records``."""
        tf = cls()
        given: list[str] = []
        family: list[str] = []
        dates: list[str] = []
        total = 0
        for record in records:
            total += 1
            if record.given is not None:
                given.append(record.given.key)
            if record.family is not None:
                family.append(record.family.key)
            if record.dob is not None:
                dates.append(record.dob.digits)
        tf._add_counts(given, family, total, dates)
        return tf

    def _add_counts(
        self,
        given: Iterable[str],
        family: Iterable[str],
        total: int,
        dates: Iterable[str] | None = None,
    ) -> None:
        # add() for many records at once: their given and family name keys, their number,
        # and their dates of birth (None: not counted)
        self.given.update(given)
        self.family.update(family)
        if dates is not None:
            self.dates.update(dates)
            object.__setattr__(self, "dated", self.dated + total)
        object.__setattr__(self, "total", self.total + total)
        self._cache.clear()

    def add(self, record: MatchRecord, sign: int = 1) -> None:
        """Count one more record (or one fewer with ``sign=-1``)."""
        object.__setattr__(self, "total", self.total + sign)
        object.__setattr__(self, "dated", self.dated + sign)
        if self._cache:
            self._cache.clear()
        if record.given is not None:
            self.given[record.given.key] += sign
        if record.family is not None:
            self.family[record.family.key] += sign
        if record.dob is not None:
            self.dates[record.dob.digits] += sign


def _tf_adjustment(count: int, total: int, u: float) -> float:
    k = TF_RULES["pseudo_count"]
    frequency = (count + k) / (total + k / u)
    adjustment = math.log2(u / frequency)
    return max(-TF_RULES["max_down"], min(TF_RULES["max_up"], adjustment))
