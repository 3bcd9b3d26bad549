"""The matcher: compare two learners, search an index, link and deduplicate sets of rows.

>>> matcher = Matcher()
>>> a = {"given_name": "Dafydd", "family_name": "Jones", "date_of_birth": "2001-02-03",
...      "gender": 1, "postcode": "CF10 1AA"}
>>> b = {"given_name": "David", "family_name": "Jones", "date_of_birth": "2001-03-02",
...      "gender": "male", "postcode": "CF10 1AB"}
>>> comparison = matcher.compare(a, b)
>>> [(f.name, f.level) for f in comparison.fields[:5]]  # doctest: +NORMALIZE_WHITESPACE
[('given_name', 'alias'), ('family_name', 'exact'), ('date_of_birth', 'swapped'),
 ('gender', 'agree'), ('postcode', 'sector')]
>>> comparison.field("email").level  # optional fields: compared when both sides have one
'missing'
>>> comparison.probability > 0.95
True
>>> result = matcher.search(a, {"L1": b, "L2": {"given_name": "Sioned", "family_name": "Evans"}})
>>> result.outcome, result.code, [m.id for m in result.matches]
(<Outcome.EXACT: 'WSRC0004'>, 'WSRC0004', ['L1'])
"""

from __future__ import annotations

import enum
import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final, NamedTuple

import attrs

from uln.matching.compare import (
    LEVELS,
    MISSING,
    STRONG_NAME_LEVELS,
    compare_dates,
    compare_emails,
    compare_genders,
    compare_middle_names,
    compare_names,
    compare_postcodes,
    compare_texts,
)
from uln.matching.model import LevelConfig, MatchConfig, match_probability
from uln.matching.normalise import DateInfo, MatchRecord, match_record

if TYPE_CHECKING:
    from uln.matching.index import CandidateIndex

__all__ = [
    "REFINE_CAP",
    "TF_RULES",
    "TWIN_RULE",
    "Comparison",
    "FieldComparison",
    "Link",
    "Match",
    "Matcher",
    "Outcome",
    "SearchResult",
    "TermFrequencies",
]

REFINE_CAP: Final = 6.0
"""The optional fields (email, place of birth, school at 16, middle names) refine a find
[ours, see the rules page]: together they add or take off at most this many bits.
They are not independent of the postcode and of each other (a family shares an email
address, a place of birth, a school), so without a cap a sibling could score a match on
household details alone. When the cap applies, :meth:`Comparison.explain` shows a row
``optional cap``."""

_REFINE_CAP: Final = REFINE_CAP
_TWIN_ROW: Final = "twin rule"
_OPTIONAL: Final = frozenset({"email", "place_of_birth", "school_at_16", "middle_names"})
_CAP_ROW: Final = "optional cap"

TWIN_RULE: Final = "clearly different given names: at most a possible match"
"""The twin rule [ours]: a pair whose given names are ``different`` (not the same, an
alias, a sound-alike, a close spelling, a part, an initial or swapped) is capped at the
possible threshold. Twins and other siblings share the family name, the date of birth
or the postcode, the email, the school: the independence that Fellegi-Sunter assumes
fails for them, and merging two learners gives them one ULN. Such pairs come back as
possible matches for a person to check, never as exact matches or automatic links. The
cap depends on the given-name level alone, so agreeing on one more field still never
lowers a probability. :meth:`Comparison.explain` shows a row ``twin rule``."""

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


class Outcome(enum.Enum):
    """The outcome of a search, with its LRS code as the value (see the rules page).

    >>> Outcome.POSSIBLE.code, Outcome("WSRC0001")
    ('WSRC0003', <Outcome.NO_MATCH: 'WSRC0001'>)
    """

    EXACT = "WSRC0004"
    POSSIBLE = "WSRC0003"
    TOO_MANY = "WSRC0002"
    NO_MATCH = "WSRC0001"

    @property
    def code(self) -> str:
        """The LRS web-service result code (``WSRC0004`` ...)."""
        return self.value


@attrs.frozen
class FieldComparison:
    """One field's part in a comparison: the level, its weight and the term-frequency part.

    ``weight`` already includes ``tf_adjustment`` (bits added for a rare or common value).
    """

    name: str
    level: str
    weight: float
    tf_adjustment: float = 0.0


@attrs.frozen
class Comparison:
    """The result of comparing two records: per-field levels, match weight and probability.

    >>> c = Matcher().compare(
    ...     {"given_name": "Meghan", "family_name": "Lee", "date_of_birth": "2007-05-06",
    ...      "postcode": "LS6 3QE", "email": "meg@example.com"},
    ...     {"given_name": "Megan", "family_name": "Lee", "date_of_birth": "2007-06-05",
    ...      "postcode": "LS6 1AA", "gender": "F"})
    >>> print(c.explain())
    field          level     weight
    prior                    -13.29
    given_name     alias      +4.91
    family_name    exact      +8.49
    date_of_birth  swapped    +9.97
    gender         missing    +0.00
    postcode       district   +1.42
    match weight             +11.49  probability 0.9997  (a match at 0.95)
    """

    OPTIONAL: ClassVar[frozenset[str]] = frozenset(
        {"email", "place_of_birth", "school_at_16", "middle_names"}
    )
    """The optional comparisons: listed by :meth:`explain` only when compared."""

    fields: tuple[FieldComparison, ...]
    prior_weight: float
    match_weight: float
    probability: float
    is_match: bool
    match_threshold: float = 0.95

    def field(self, name: str) -> FieldComparison:
        """The part of the comparison for the field called ``name``.

        >>> Matcher().compare({}, {}).field("gender").level
        'missing'
        """
        for field in self.fields:
            if field.name == name:
                return field
        raise KeyError(name)

    def explain(self) -> str:
        """A readable waterfall: the prior, each field's level and weight, the total.

        Shows levels and weights only, never the values compared. Term-frequency
        adjustments are shown beside the weight they are part of. Optional fields
        (email, place of birth, school at 16, middle names) are listed only when both
        records have them.
        """
        rows = [("field", "level", "weight", ""), ("prior", "", f"{self.prior_weight:+.2f}", "")]
        for f in self.fields:
            if f.level == MISSING and f.name in self.OPTIONAL:
                continue
            tf = f"(term frequency {f.tf_adjustment:+.2f})" if f.tf_adjustment else ""
            rows.append((f.name, f.level, f"{f.weight:+.2f}", tf))
        name_w = max(len(r[0]) for r in rows) + 2
        level_w = max(len(r[1]) for r in rows) + 2
        lines = [
            f"{a:<{name_w}}{b:<{level_w}}{c:>6}  {d}".rstrip()
            if i
            else f"{a:<{name_w}}{b:<{level_w}}{c}"
            for i, (a, b, c, d) in enumerate(rows)
        ]
        total = f"{self.match_weight:+.2f}"
        lines.append(
            f"{'match weight':<{name_w + level_w}}{total:>6}  probability {self.probability:.4f}"
            f"  ({'a match' if self.is_match else 'match'} at {self.match_threshold:g})"
        )
        return "\n".join(lines)


@attrs.frozen
class Match:
    """One candidate found by a search: its id, probability, match weight and comparison."""

    id: Hashable
    probability: float
    match_weight: float
    comparison: Comparison = attrs.field(repr=False)


@attrs.frozen
class SearchResult:
    """The result of a search: the outcome and the learners returned.

    ``matches`` are ranked best first: one for an exact match, 1 to ``max_possible`` for
    possible matches, none for too many or no match (as the LRS returns). ``found`` is
    how many candidates scored at or above the possible threshold; ``scored`` how many
    candidates were compared.
    """

    outcome: Outcome
    matches: tuple[Match, ...]
    found: int
    scored: int

    @property
    def code(self) -> str:
        """The LRS code of the outcome (``WSRC0004`` exact ... ``WSRC0001`` none)."""
        return self.outcome.value

    @property
    def best(self) -> Match | None:
        """The best match returned, if any."""
        return self.matches[0] if self.matches else None


class Link(NamedTuple):
    """A scored pair of records from :meth:`Matcher.link` or :meth:`Matcher.dedupe`.

    A named tuple (cheap to make by the million): ``left_id``, ``right_id``,
    ``probability``, ``match_weight`` and ``is_match`` (at or above ``match_threshold``).

    >>> Link("a", "b", 0.99, 6.6, True).is_match
    True
    """

    left_id: Hashable
    right_id: Hashable
    probability: float
    match_weight: float
    is_match: bool


@attrs.frozen
class TermFrequencies:
    """How often each given and family name key occurs among a set of records.

    >>> from uln.matching.normalise import match_record
    >>> tf = TermFrequencies.from_records([match_record({"given_name": n}) for n in "ABA"])
    >>> tf.given["A"], tf.total
    (2, 3)
    """

    given: Counter[str] = attrs.field(factory=Counter)
    family: Counter[str] = attrs.field(factory=Counter)
    total: int = 0
    _cache: dict[tuple[bool, str, float], float] = attrs.field(
        factory=dict, init=False, repr=False, eq=False
    )

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
        total = 0
        for record in records:
            total += 1
            if record.given is not None:
                given.append(record.given.key)
            if record.family is not None:
                family.append(record.family.key)
        tf._add_counts(given, family, total)
        return tf

    def _add_counts(self, given: Iterable[str], family: Iterable[str], total: int) -> None:
        # add() for many records at once: their given and family name keys, their number
        self.given.update(given)
        self.family.update(family)
        object.__setattr__(self, "total", self.total + total)
        self._cache.clear()

    def add(self, record: MatchRecord, sign: int = 1) -> None:
        """Count one more record (or one fewer with ``sign=-1``)."""
        object.__setattr__(self, "total", self.total + sign)
        if self._cache:
            self._cache.clear()
        if record.given is not None:
            self.given[record.given.key] += sign
        if record.family is not None:
            self.family[record.family.key] += sign


def _tf_adjustment(count: int, total: int, u: float) -> float:
    k = TF_RULES["pseudo_count"]
    frequency = (count + k) / (total + k / u)
    adjustment = math.log2(u / frequency)
    return max(-TF_RULES["max_down"], min(TF_RULES["max_up"], adjustment))


Levels = list[tuple[str, str]]

_CACHE_SIZE: Final = 1 << 18  # entries per comparison cache before it is cleared
_ALL_LEVELS: Final = frozenset(level for levels in LEVELS.values() for level in levels)


class Matcher:
    """Scores pairs of learner records with a :class:`MatchConfig` (the default if None).

    Records are rows (mappings such as ``{"given_name": ..., "date_of_birth": ...}``, LRS
    field names also accepted), ``Demographics`` or ``Learner`` objects, or prepared
    :class:`~uln.matching.normalise.MatchRecord` objects. Missing or unreadable values
    never raise; they fall in the ``missing`` level, which weighs nothing.
    """

    def __init__(self, config: MatchConfig | None = None) -> None:
        self.config: Final = config if config is not None else MatchConfig.default()
        c = self.config.comparisons
        self._names = tuple(c)
        self._enabled = {name: frozenset(cmp.level_names) for name, cmp in c.items()}
        self._weights = {name: dict(cmp.weights) for name, cmp in c.items()}
        self._prior_weight = self.config.prior_weight
        self._match_weight = _weight_of(self.config.match_threshold)
        self._possible_weight = _weight_of(self.config.possible_threshold)
        self._tf_u = {
            name: cmp.level("exact").u
            for name, cmp in c.items()
            if cmp.term_frequency and "exact" in cmp.level_names
        }
        empty: frozenset[str] = frozenset()
        self._use_names = "given_name" in c or "family_name" in c
        self._given_levels = self._enabled.get("given_name", empty)
        self._family_levels = self._enabled.get("family_name", empty)
        self._swap_levels = "swapped" in self._given_levels or "swapped" in self._family_levels
        self._dob_levels = self._enabled.get("date_of_birth", empty)
        self._pc_levels = self._enabled.get("postcode", empty)
        self._given_w = self._weights.get("given_name", {})
        self._family_w = self._weights.get("family_name", {})
        self._dob_w = self._weights.get("date_of_birth")
        self._postcode_w = self._weights.get("postcode")
        self._gender_w: list[list[float]] | None = None
        if "gender" in c:
            levels = self._enabled["gender"]
            table = self._weights["gender"]
            self._gender_w = [
                [table[compare_genders(x, y, levels)] for y in range(3)] for x in range(3)
            ]
        # the twin rule: at most a possible match (the possible threshold exactly)
        self._twin_cap = (
            min(self._possible_weight, self._match_weight) if self.config.twin_rule else math.inf
        )
        self._tf_floor: dict[tuple[str, str], float] = {}
        for name in self._tf_u:
            tf_levels = c[name].levels
            for i, level in enumerate(tf_levels):
                below = [lv.weight for lv in tf_levels[i + 1 :]]
                if level.name in _TF_LEVELS and below:
                    self._tf_floor[(name, level.name)] = max(below) - level.weight
        self._tf_given = self._tf_u.get("given_name")
        self._tf_family = self._tf_u.get("family_name")
        self._optional = any(
            name in c for name in ("email", "place_of_birth", "school_at_16", "middle_names")
        )
        self._given_cache: dict[tuple[int, int], str] = {}
        self._family_cache: dict[tuple[int, int], str] = {}
        self._cross_cache: dict[tuple[int, int], str] = {}
        self._date_cache: dict[tuple[int, int], str] = {}
        self._text_cache: dict[tuple[int, int], str] = {}
        self._names_cache: dict[tuple[int, ...], tuple[float, str, str]] = {}

    def __repr__(self) -> str:
        return f"Matcher(comparisons={list(self._names)})"

    # -- preparing and comparing ---------------------------------------------------------

    @staticmethod
    def prepare(row: Any) -> MatchRecord:
        """Prepare a row for matching once, to compare it many times. Never raises.

        >>> Matcher.prepare({"given_name": "Jo"}).given.key
        'JO'
        """
        return match_record(row)

    def levels(self, a: Any, b: Any) -> Levels:
        """The level of each comparison in use, as ``(comparison, level)`` pairs.

        >>> Matcher().levels({"gender": "F"}, {"gender": 2})[3]
        ('gender', 'agree')
        """
        return self._levels(match_record(a), match_record(b))

    def _levels(self, a: MatchRecord, b: MatchRecord) -> Levels:
        return list(zip(self._names, self._level_tuple(a, b), strict=True))

    def _level_tuple(self, a: MatchRecord, b: MatchRecord) -> tuple[str, ...]:
        enabled = self._enabled
        out: list[str] = []
        given_level = family_level = MISSING
        if self._use_names:
            given_level, family_level = self._name_levels(a, b)
        for name in self._names:
            if name == "given_name":
                out.append(given_level)
            elif name == "family_name":
                out.append(family_level)
            elif name == "date_of_birth":
                out.append(self._date_level(a.dob, b.dob))
            elif name == "gender":
                out.append(compare_genders(a.gender, b.gender, enabled[name]))
            elif name == "postcode":
                out.append(compare_postcodes(a.postcode, b.postcode, enabled[name]))
            elif name == "email":
                out.append(compare_emails(a.email, b.email, enabled[name]))
            elif name == "place_of_birth":
                out.append(compare_texts(a.place_of_birth, b.place_of_birth, enabled[name]))
            elif name == "school_at_16":
                out.append(compare_texts(a.school_at_16, b.school_at_16, enabled[name]))
            else:
                out.append(compare_middle_names(a.middle_names, b.middle_names, enabled[name]))
        return tuple(out)

    def _cached(
        self, cache: dict[tuple[int, int], str], a: Any, b: Any, compute: Any, levels: Any
    ) -> str:
        # keyed by serial numbers: tuples of ints and str values, which the garbage
        # collector stops tracking, so a full pass does not walk the caches (it used to
        # stall a search now and then for a fifth of a second)
        key = (a.serial, b.serial)
        level = cache.get(key)
        if level is None:
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            level = cache[key] = compute(a, b, levels)
        return level

    def _date_level(self, a: DateInfo | None, b: DateInfo | None) -> str:
        if a is None or b is None:
            return MISSING
        if a is b and "exact" in self._dob_levels:
            return "exact"
        return self._cached(self._date_cache, a, b, compare_dates, self._dob_levels)

    def _name_levels(self, a: MatchRecord, b: MatchRecord) -> tuple[str, str]:
        given_levels = self._given_levels
        family_levels = self._family_levels
        ag, af, bg, bf = a.given, a.family, b.given, b.family
        if ag is None or bg is None:
            g = MISSING
        elif ag is bg and "exact" in given_levels:
            g = "exact"
        else:
            g = self._cached(self._given_cache, ag, bg, compare_names, given_levels)
        if af is None or bf is None:
            f = MISSING
        elif af is bf and "exact" in family_levels:
            f = "exact"
        else:
            f = self._cached(self._family_cache, af, bf, compare_names, family_levels)
        if (
            f != "exact"
            and (a.previous or b.previous)
            and "previous" in family_levels
            and _previous(a, b)
        ):
            f = "previous"
        if (
            g not in STRONG_NAME_LEVELS
            and self._swap_levels
            and ((ag is not None and bf is not None) or (af is not None and bg is not None))
        ):
            # a name in the other's place, also when the record it came from has no family
            # name (the whole name typed in one box): one side of each cross may be missing
            cross_1 = (
                ag is not None
                and bf is not None
                and self._cached(self._cross_cache, ag, bf, compare_names, _ALL_LEVELS)
                in STRONG_NAME_LEVELS
            )
            cross_2 = (
                af is not None
                and bg is not None
                and self._cached(self._cross_cache, af, bg, compare_names, _ALL_LEVELS)
                in STRONG_NAME_LEVELS
            )
            if (cross_1 or cross_2) and "swapped" in given_levels:
                g = "swapped"  # one name or both in the other's place
            if (
                cross_1
                and cross_2
                and f not in STRONG_NAME_LEVELS
                and f != "previous"
                and "swapped" in family_levels
            ):
                f = "swapped"  # both: a full swap
        return g, f

    def _field_weights(
        self, a: MatchRecord, b: MatchRecord, tf: TermFrequencies | None
    ) -> list[FieldComparison]:
        out = []
        for name, level in self._levels(a, b):
            weight = self._weights[name][level]
            adjustment = 0.0
            if tf is not None and name in self._tf_u and level in _TF_LEVELS:
                adjustment = max(
                    self._adjust(name, a, b, tf), self._tf_floor.get((name, level), -math.inf)
                )
                weight += adjustment
            out.append(FieldComparison(name, level, weight, adjustment))
        optional = sum(f.weight for f in out if f.name in _OPTIONAL)
        capped = max(-_REFINE_CAP, min(_REFINE_CAP, optional))
        if capped != optional:
            out.append(FieldComparison(_CAP_ROW, "capped", capped - optional))
        return out

    def _adjust(self, name: str, a: MatchRecord, b: MatchRecord, tf: TermFrequencies) -> float:
        if tf.total <= 0:
            return 0.0
        if name == "given_name":
            return tf.adjustment(True, a.given.key, self._tf_u[name]) if a.given else 0.0
        key = _agreeing_family(a, b)
        return tf.adjustment(False, key, self._tf_u[name]) if key else 0.0

    def _weigh(self, a: MatchRecord, b: MatchRecord, tf: TermFrequencies | None) -> float:
        """The match weight of a prepared pair (fast path, no explanation)."""
        total = self._prior_weight
        g = f = MISSING
        if self._use_names:
            if a.previous or b.previous:
                g, f = self._name_levels(a, b)
                names = self._given_w.get(g, 0.0) + self._family_w.get(f, 0.0)
            else:
                ag, af, bg, bf = a.given, a.family, b.given, b.family
                key = (
                    0 if ag is None else ag.serial,
                    0 if af is None else af.serial,
                    0 if bg is None else bg.serial,
                    0 if bf is None else bf.serial,
                )
                cached = self._names_cache.get(key)
                if cached is None:
                    g, f = self._name_levels(a, b)
                    names = self._given_w.get(g, 0.0) + self._family_w.get(f, 0.0)
                    if len(self._names_cache) >= _CACHE_SIZE:
                        self._names_cache.clear()
                    self._names_cache[key] = (names, g, f)
                else:
                    names, g, f = cached
            total += names
            if tf is not None and tf.total > 0:
                floor = self._tf_floor
                if g == "exact" and self._tf_given is not None and a.given is not None:
                    adjustment = tf.adjustment(True, a.given.key, self._tf_given)
                    total += max(adjustment, floor.get(("given_name", g), -math.inf))
                if (f == "exact" or f == "previous") and self._tf_family is not None:
                    agreed = _agreeing_family(a, b)
                    if agreed:
                        adjustment = tf.adjustment(False, agreed, self._tf_family)
                        total += max(adjustment, floor.get(("family_name", f), -math.inf))
        d = MISSING
        if self._dob_w is not None and a.dob is not None and b.dob is not None:
            d = self._date_level(a.dob, b.dob)
            total += self._dob_w[d]
        if self._gender_w is not None:
            total += self._gender_w[a.gender][b.gender]
        if self._postcode_w is not None and a.postcode is not None and b.postcode is not None:
            total += self._postcode_w[compare_postcodes(a.postcode, b.postcode, self._pc_levels)]
        if self._optional:
            total += self._weigh_optional(a, b)
        if g == "different" and total > self._twin_cap:
            return self._twin_cap
        return total

    def _weigh_optional(self, a: MatchRecord, b: MatchRecord) -> float:
        total = 0.0
        weights, enabled = self._weights, self._enabled
        if a.email and b.email and "email" in weights:
            total += weights["email"][compare_emails(a.email, b.email, enabled["email"])]
        if a.place_of_birth and b.place_of_birth and "place_of_birth" in weights:
            level = self._cached(
                self._text_cache,
                a.place_of_birth,
                b.place_of_birth,
                compare_texts,
                enabled["place_of_birth"],
            )
            total += weights["place_of_birth"][level]
        if a.school_at_16 and b.school_at_16 and "school_at_16" in weights:
            level = compare_texts(a.school_at_16, b.school_at_16, enabled["school_at_16"])
            total += weights["school_at_16"][level]
        if a.middle_names and b.middle_names and "middle_names" in weights:
            level = compare_middle_names(a.middle_names, b.middle_names, enabled["middle_names"])
            total += weights["middle_names"][level]
        cap = _REFINE_CAP
        return cap if total > cap else -cap if total < -cap else total

    def _comparison(self, a: MatchRecord, b: MatchRecord, tf: TermFrequencies | None) -> Comparison:
        fields = tuple(self._field_weights(a, b, tf))
        weight = self._prior_weight + sum(f.weight for f in fields)
        levels = {f.name: f.level for f in fields}
        if levels.get("given_name") == "different" and weight > self._twin_cap:
            fields += (FieldComparison(_TWIN_ROW, "capped", self._twin_cap - weight),)
            weight = self._twin_cap
        probability = match_probability(weight)
        return Comparison(
            fields=fields,
            prior_weight=self._prior_weight,
            match_weight=weight,
            probability=probability,
            is_match=probability >= self.config.match_threshold,
            match_threshold=self.config.match_threshold,
        )

    def compare(self, a: Any, b: Any, *, frequencies: TermFrequencies | None = None) -> Comparison:
        """Compare two records field by field.

        Args:
            a: a row, ``Demographics``, ``Learner`` or ``MatchRecord``.
            b: another.
            frequencies: name frequencies for term-frequency adjustment; without them
                exact name agreements weigh their configured amount.

        >>> c = Matcher().compare({"given_name": "Jo", "family_name": "Bloggs",
        ...                        "date_of_birth": "2005-06-07"},
        ...                       {"given_name": "Bloggs", "family_name": "Jo",
        ...                        "date_of_birth": "07/06/2005"})
        >>> c.field("given_name").level, c.field("date_of_birth").level, c.is_match
        ('swapped', 'exact', True)
        """
        return self._comparison(match_record(a), match_record(b), frequencies)

    # -- search --------------------------------------------------------------------------

    def search(self, query: Any, candidates: CandidateIndex | Mapping[Any, Any]) -> SearchResult:
        """Find a learner among candidates, with the outcomes of the LRS find.

        Args:
            query: the learner looked for (a row, ``Demographics``, ``MatchRecord`` ...).
            candidates: a :class:`~uln.matching.index.CandidateIndex` (blocking finds the
                candidates; term frequencies come from the index) or a small mapping of
                id to record (every record is compared; no term-frequency adjustment).

        Returns:
            ``EXACT`` (WSRC0004) when one candidate is at or above ``match_threshold`` and
            no other at or above ``possible_threshold``; ``POSSIBLE`` (WSRC0003) when 1 to
            ``max_possible`` are at or above ``possible_threshold``; ``TOO_MANY``
            (WSRC0002) when more are; ``NO_MATCH`` (WSRC0001) otherwise.

        >>> Matcher().search({"given_name": "Jo"}, {}).outcome
        <Outcome.NO_MATCH: 'WSRC0001'>
        """
        q = match_record(query)
        scored: list[tuple[float, Hashable, MatchRecord]] = []
        possible = self._possible_weight
        tf: TermFrequencies | None
        pool: list[tuple[Hashable, MatchRecord]]
        if isinstance(candidates, Mapping):
            tf = None
            pool = [(key, match_record(row)) for key, row in candidates.items()]
        else:
            tf = candidates.frequencies
            pool = candidates.candidates(q)
        weigh = self._weigh
        for key, record in pool:
            weight = weigh(q, record, tf)
            if weight >= possible:
                scored.append((weight, key, record))
        return self._outcome(q, scored, len(pool), tf)

    def _outcome(
        self,
        q: MatchRecord,
        scored: list[tuple[float, Hashable, MatchRecord]],
        count: int,
        tf: TermFrequencies | None,
    ) -> SearchResult:
        found = len(scored)
        if not found:
            return SearchResult(Outcome.NO_MATCH, (), 0, count)
        if found > self.config.max_possible:
            return SearchResult(Outcome.TOO_MANY, (), found, count)
        scored.sort(key=lambda item: -item[0])
        matches = tuple(
            Match(key, match_probability(w), w, self._comparison(q, record, tf))
            for w, key, record in scored
        )
        if found == 1 and scored[0][0] >= self._match_weight:
            return SearchResult(Outcome.EXACT, matches, found, count)
        return SearchResult(Outcome.POSSIBLE, matches, found, count)

    # -- link and dedupe -----------------------------------------------------------------

    def link(
        self,
        left: Mapping[Any, Any],
        right: Mapping[Any, Any],
        *,
        threshold: float | None = None,
    ) -> list[Link]:
        """Score the pairs of a left and a right set of records: :meth:`iter_link` as a list.

        >>> links = Matcher().link({"a": {"given_name": "Jo", "family_name": "Bloggs",
        ...                              "date_of_birth": "2001-02-03"}},
        ...                        {"b": {"given_name": "Joe", "family_name": "Bloggs",
        ...                              "date_of_birth": "2001-02-03"}})
        >>> print([(x.left_id, x.right_id, x.is_match) for x in links])
        [('a', 'b', True)]
        """
        return list(self.iter_link(left, right, threshold=threshold))

    def iter_link(
        self,
        left: Mapping[Any, Any],
        right: Mapping[Any, Any],
        *,
        threshold: float | None = None,
        progress: Callable[[int], object] | None = None,
    ) -> Iterator[Link]:
        """Score the pairs of a left and a right set of records that blocking brings together.

        Args:
            left: id -> record.
            right: id -> record.
            threshold: keep pairs at or above this probability; the default is the
                configuration's ``possible_threshold``; ``0`` keeps every scored pair.

            progress: called with the number of left records scored so far, after each
                one (for a progress bar).

        Yields:
            Links ordered by left record (in the order given), then best first, as they
            are found: the pairs are never all held in memory.

        >>> links = Matcher().iter_link({"a": {"given_name": "Jo", "family_name": "Bloggs",
        ...                                   "date_of_birth": "2001-02-03"}}, {})
        >>> list(links)
        []
        """
        from uln.matching.index import CandidateIndex, _collector_paused

        with _collector_paused():  # many long-lived objects, no cycles
            index = CandidateIndex.from_records(right, matcher=self)
            left_records = [(key, match_record(row)) for key, row in left.items()]
            tf = TermFrequencies.from_records(r for _, r in left_records)
            tf.given.update(index.frequencies.given)
            tf.family.update(index.frequencies.family)
            object.__setattr__(tf, "total", tf.total + index.frequencies.total)
            floor = _weight_of(self.config.possible_threshold if threshold is None else threshold)
            weigh, make_link, candidates = self._weigh, self._link, index.candidates
            for done, (key, record) in enumerate(left_records, 1):
                found = []
                for other, candidate in candidates(record):
                    weight = weigh(record, candidate, tf)
                    if weight >= floor:
                        found.append((weight, other))
                found.sort(key=lambda item: -item[0])
                for weight, other in found:
                    yield make_link(key, other, weight)
                if progress is not None:
                    progress(done)

    def dedupe(self, records: Mapping[Any, Any], *, threshold: float | None = None) -> list[Link]:
        """Score the pairs within one set of records: :meth:`iter_dedupe` as a list.

        >>> rows = {1: {"given_name": "Jo", "family_name": "Bloggs", "postcode": "CV4 9EE",
        ...             "date_of_birth": "2001-02-03"},
        ...         2: {"given_name": "Joanne", "family_name": "Bloggs", "postcode": "CV49EE",
        ...             "date_of_birth": "2001-02-03"},
        ...         3: {"given_name": "Sam", "family_name": "Smith"}}
        >>> print([(x.left_id, x.right_id) for x in Matcher().dedupe(rows)])
        [(1, 2)]
        """
        return list(self.iter_dedupe(records, threshold=threshold))

    def iter_dedupe(
        self,
        records: Mapping[Any, Any],
        *,
        threshold: float | None = None,
        progress: Callable[[int], object] | None = None,
    ) -> Iterator[Link]:
        """Score the pairs within one set of records that blocking brings together.

        Each pair appears once, with ``left_id`` the record that came first.
        ``threshold`` is as in :meth:`iter_link`; ``progress`` is called with the number
        of records scored so far. Links are yielded as they are found, never all held in
        memory. Group the links with :func:`~uln.matching.evaluate.clusters`.

        >>> rows = {1: {"given_name": "Jo", "family_name": "Bloggs", "postcode": "CV4 9EE",
        ...             "date_of_birth": "2001-02-03"},
        ...         2: {"given_name": "Joanne", "family_name": "Bloggs", "postcode": "CV49EE",
        ...             "date_of_birth": "2001-02-03"},
        ...         3: {"given_name": "Sam", "family_name": "Smith"}}
        >>> print([(x.left_id, x.right_id) for x in Matcher().iter_dedupe(rows)])
        [(1, 2)]
        """
        from operator import attrgetter

        from uln.matching.index import CandidateIndex, _collector_paused

        with _collector_paused():  # many long-lived objects, no cycles
            index = CandidateIndex.from_records(records, matcher=self)
            tf = index.frequencies
            floor = _weight_of(self.config.possible_threshold if threshold is None else threshold)
            # a pair's weight depends only on the prepared values of its records (and on tf,
            # fixed here), so records with the same values (duplicates: common) share a class
            # and each pair of classes is weighed once, when one of them holds several records
            values = attrgetter(*(field.name for field in attrs.fields(MatchRecord)))
            classes: dict[Any, int] = {}
            class_of = {r: classes.setdefault(values(r), len(classes)) for _, _, r in index.slots()}
            sizes = Counter(class_of.values())
            shared = {r for r, c in class_of.items() if sizes[c] > 1}
            n = len(classes)
            memo: dict[int, float] = {}
            weigh, make_link = self._weigh, self._link
            for done, (key, record, candidates) in enumerate(index.pairs(), 1):
                found = []
                many = record in shared
                row = class_of[record] * n
                for other, candidate in candidates:
                    if many or candidate in shared:
                        pair = row + class_of[candidate]
                        weight = memo.get(pair)
                        if weight is None:
                            weight = memo[pair] = weigh(record, candidate, tf)
                    else:
                        weight = weigh(record, candidate, tf)
                    if weight >= floor:
                        found.append((weight, other))
                found.sort(key=lambda item: -item[0])
                for weight, other in found:
                    yield make_link(key, other, weight)
                if progress is not None:
                    progress(done)

    def _link(self, left: Hashable, right: Hashable, weight: float) -> Link:
        return Link(left, right, match_probability(weight), weight, weight >= self._match_weight)

    # -- fitting -------------------------------------------------------------------------

    def fit(
        self,
        records: Mapping[Any, Any],
        other: Mapping[Any, Any] | None = None,
        *,
        random_pairs: int = 200_000,
        max_pairs: int = 500_000,
        iterations: int = 25,
        estimate_prior: bool = True,
        seed: int = 0,
    ) -> Matcher:
        """A new matcher with m, u and the prior estimated from your own unlabelled records.

        ``u`` comes from random pairs of records (nearly all of them different learners).
        ``m`` comes from expectation maximisation (EM) with ``u`` held fixed, in
        sessions as Splink does: over pairs with the same date of birth (giving ``m`` of
        every other comparison), then over pairs with the same names (giving ``m`` of the
        date of birth, and a second estimate of the others). The prior is the number of
        matches EM finds among pairs with the same date of birth, divided by the share of
        matches that agree on it, over all pairs. Estimates are shrunk towards the current
        configuration where data are scarce. Thresholds stay as configured.

        Args:
            records: id -> record; the records to learn from (deduplication).
            other: a second set for linkage; pairs are then drawn across the two sets.
            random_pairs: how many random pairs to draw for ``u``.
            max_pairs: at most this many pairs per EM session (a sample beyond that).
            iterations: rounds of expectation maximisation per session.
            estimate_prior: also estimate the prior (else keep the configured one).
            seed: for the random pairs and samples, so fitting is repeatable.

        >>> rows = {i: {"given_name": g, "family_name": f, "date_of_birth": d}
        ...         for i, (g, f, d) in enumerate([("Jo", "Bloggs", "2001-02-03"),
        ...             ("Joe", "Bloggs", "2001-02-03"), ("Sam", "Smith", "1999-01-01"),
        ...             ("Sam", "Smyth", "1999-01-01"), ("Al", "Ng", "2000-05-06")])}
        >>> fitted = Matcher().fit(rows, random_pairs=1000)
        >>> fitted.config.comparisons["family_name"] != Matcher().config.comparisons["family_name"]
        True
        """
        rng = random.Random(seed)
        left = [match_record(row) for row in records.values()]
        right = [match_record(row) for row in other.values()] if other is not None else left
        if not left or not right or (other is None and len(left) < 2):
            return Matcher(self.config)
        config = self.config
        names = self._names
        u_counts: dict[str, Counter[str]] = {name: Counter() for name in names}
        for _ in range(random_pairs):
            i, j = rng.randrange(len(left)), rng.randrange(len(right))
            if other is None and i == j:
                continue
            for name, level in zip(names, self._level_tuple(left[i], right[j]), strict=True):
                if level != MISSING:
                    u_counts[name][level] += 1
        u_new = {
            name: _shrink({lv.name: lv.u for lv in config.comparisons[name].levels}, counts, 1.0)
            for name, counts in u_counts.items()
        }
        m_start = {
            name: {lv.name: lv.m for lv in config.comparisons[name].levels} for name in names
        }

        def by_dob(r: MatchRecord) -> str | None:
            return r.dob.digits if r.dob is not None else None

        def by_names(r: MatchRecord) -> str | None:
            if r.given is None or r.family is None:
                return None
            return f"{r.given.block}|{r.family.code}"

        sessions = (("date_of_birth", by_dob), ("names", by_names))
        estimates: dict[str, list[dict[str, float]]] = {name: [] for name in names}
        dob_session: tuple[float, int] | None = None
        for blocked_on, key in sessions:
            pairs, count = _pairs_sharing(left, right if other is not None else None, key)
            if len(pairs) > max_pairs:
                pairs = rng.sample(pairs, max_pairs)
            patterns: defaultdict[tuple[str, ...], float] = defaultdict(float)
            for a, b, weight in pairs:
                patterns[self._level_tuple(a, b)] += weight
            # the comparisons a session is blocked on agree by construction: they say
            # nothing about which pairs match, so EM leaves them out (as Splink does)
            skip = {"given_name", "family_name"} if blocked_on == "names" else {blocked_on}
            m_est, lam = _expectation_maximisation(
                names, m_start, u_new, patterns, iterations, ignore=frozenset(skip)
            )
            for name in names:
                if name not in skip and patterns:
                    estimates[name].append(m_est[name])
            if blocked_on == "date_of_birth" and patterns:
                dob_session = (lam, count)
        m_new = {}
        for name in names:
            found = estimates[name]
            if not found:
                m_new[name] = m_start[name]
                continue
            m_new[name] = {
                level: sum(e[level] for e in found) / len(found) for level in m_start[name]
            }
        for name in names:
            levels = [
                LevelConfig(lv.name, m_new[name][lv.name], u_new[name][lv.name], lv.fixed_weight)
                for lv in config.comparisons[name].levels
            ]
            config = config.with_levels(name, levels)
        if estimate_prior and dob_session is not None and "date_of_birth" in m_new:
            lam, count = dob_session
            # matches among pairs with the same date of birth, over the share of matches
            # (of those with both dates) that agree on it, over the share of pairs with
            # both dates (missing dates taken as independent of matching)
            with_dob = sum(r.dob is not None for r in left) / len(left)
            with_dob_right = with_dob
            if other is not None:
                with_dob_right = sum(r.dob is not None for r in right) / len(right)
            share = m_new["date_of_birth"].get("exact", 0.0) * with_dob * with_dob_right
            total = len(left) * (len(left) - 1) / 2 if other is None else len(left) * len(right)
            if share > 0 and total > 0:
                prior = min(max(lam * count / share / total, 1e-9), 0.5)
                config = config.evolve(prior=prior)
        return Matcher(config)


def _pairs_sharing(
    left: Sequence[MatchRecord],
    right: Sequence[MatchRecord] | None,
    key: Any,
    cap: int = 200,
) -> tuple[list[tuple[MatchRecord, MatchRecord, float]], int]:
    """Pairs of records with the same key (within ``left``, or across when ``right``).

    Groups larger than ``cap`` are cut to ``cap`` records for the sample of pairs; each
    pair comes with its weight, the number of pairs of its group that it stands for, so
    that a sample stays representative: a date of birth shared by thousands (``1 Jan``
    of a year, a default) would otherwise count for no more than a rare one. The count
    returned is of all pairs sharing a key.
    """
    groups: dict[str, tuple[list[MatchRecord], list[MatchRecord]]] = {}
    for record in left:
        k = key(record)
        if k is not None:
            groups.setdefault(k, ([], []))[0].append(record)
    if right is not None:
        for record in right:
            k = key(record)
            if k is not None and k in groups:
                groups[k][1].append(record)
    pairs: list[tuple[MatchRecord, MatchRecord, float]] = []
    count = 0
    for a_side, b_side in groups.values():
        if right is None:
            n = len(a_side)
            if n < 2:
                continue
            count += n * (n - 1) // 2
            members = a_side[:cap]
            k = len(members)
            weight = n * (n - 1) / (k * (k - 1))
            pairs.extend(
                (members[i], members[j], weight) for i in range(k) for j in range(i + 1, k)
            )
        else:
            if not b_side:
                continue
            count += len(a_side) * len(b_side)
            a_part, b_part = a_side[:cap], b_side[:cap]
            weight = len(a_side) * len(b_side) / (len(a_part) * len(b_part))
            pairs.extend((a, b, weight) for a in a_part for b in b_part)
    return pairs, count


_TF_LEVELS: Final = frozenset({"exact", "previous"})


def _agreeing_family(a: MatchRecord, b: MatchRecord) -> str | None:
    """The family name two records agree on (exactly, or as the other's previous name)."""
    if a.family is not None and b.family is not None and a.family.key == b.family.key:
        return a.family.key
    if b.family is not None and any(p.key == b.family.key for p in a.previous):
        return b.family.key
    if a.family is not None and any(p.key == a.family.key for p in b.previous):
        return a.family.key
    return None


def _previous(a: MatchRecord, b: MatchRecord) -> bool:
    if b.family is not None and any(p.key == b.family.key for p in a.previous):
        return True
    return a.family is not None and any(p.key == a.family.key for p in b.previous)


def _weight_of(probability: float) -> float:
    if probability >= 1.0:
        return math.inf
    if probability <= 0.0:
        return -math.inf
    return math.log2(probability / (1.0 - probability))


_FLOOR: Final = 1e-6


def _shrink(
    prior: Mapping[str, float], counts: Mapping[str, float], strength: float
) -> dict[str, float]:
    """Blend observed level counts with prior probabilities (``strength`` pseudo-pairs)."""
    total = sum(counts.values())
    prior_total = sum(prior.values())
    out = {}
    for level, p in prior.items():
        share = p / prior_total
        out[level] = max(_FLOOR, (counts.get(level, 0) + strength * share) / (total + strength))
    return out


def _expectation_maximisation(
    names: Sequence[str],
    m: Mapping[str, Mapping[str, float]],
    u: Mapping[str, Mapping[str, float]],
    patterns: Mapping[tuple[str, ...], float],
    iterations: int,
    ignore: frozenset[str] = frozenset(),
) -> tuple[dict[str, dict[str, float]], float]:
    """Estimate m for every level, and the share of matches, by EM with u held fixed.

    Comparisons in ``ignore`` (those the pairs were chosen on) take no part in the
    likelihood; their m comes back unchanged.
    """
    m_cur = {name: dict(levels) for name, levels in m.items()}
    total = sum(patterns.values())
    if not total:
        return m_cur, 0.0
    lam = 0.1
    items = list(patterns.items())
    for _ in range(iterations):
        sums: dict[str, dict[str, float]] = {name: defaultdict(float) for name in names}
        weight_total = 0.0
        for pattern, count in items:
            log_m = math.log(lam)
            log_u = math.log(1.0 - lam)
            for name, level in zip(names, pattern, strict=True):
                if level == MISSING or name in ignore:
                    continue
                log_m += math.log(m_cur[name].get(level, _FLOOR))
                log_u += math.log(u[name].get(level, _FLOOR))
            diff = log_u - log_m
            posterior = 1.0 / (1.0 + math.exp(diff)) if diff < 700 else 0.0
            mass = posterior * count
            weight_total += mass
            for name, level in zip(names, pattern, strict=True):
                if level != MISSING:
                    sums[name][level] += mass
        lam = min(max(weight_total / total, 1e-9), 1 - 1e-9)
        strength = 1.0
        m_cur = {
            name: dict(m[name]) if name in ignore else _shrink(m[name], sums[name], strength)
            for name in names
        }
    return m_cur, lam
