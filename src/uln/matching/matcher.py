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

import math
from collections import Counter, deque
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any, Final

import attrs

from uln.errors import ArgumentTypeError
from uln.matching.compare import (
    LEVELS,
    MISSING,
    SAME_NAME_LEVELS,
    STRONG_NAME_LEVELS,
    compare_dates,
    compare_emails,
    compare_genders,
    compare_middle_names,
    compare_names,
    compare_postcodes,
    compare_texts,
    same_given_name,
)
from uln.matching.frequencies import TF_RULES, TermFrequencies
from uln.matching.model import MatchConfig, match_probability
from uln.matching.normalise import DateInfo, MatchRecord, match_record
from uln.matching.results import Comparison, FieldComparison, Link, Match, Outcome, SearchResult

if TYPE_CHECKING:
    from uln.matching.index import CandidateIndex, CandidateSource

__all__ = [
    "HOUSEHOLD_RULE",
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

_HOUSEHOLD_ROW: Final = "household rule"

HOUSEHOLD_RULE: Final = "one household, not one learner: at most a possible match"
"""The household rule [ours]: a pair is held at the possible threshold (at most) when

* it agrees on the family name (any level from ``exact`` to ``similar``, or a previous
  family name) and on the address (the postcode unit, or the email address), and either
  its given names are not the same name or its dates of birth differ by more than a
  slip (levels ``year``, ``two_digits`` and ``different``); or, at one address, its
  recorded genders differ and one given name is missing;
* it agrees on the family name and on the date of birth (``exact``, ``swapped`` or
  ``one_digit``: twins, wherever they live) and its given names are not the same name;
* its recorded genders differ (male and female) and its given names are not the same
  name, wherever they live.

Given names are the same name when they are equal, aliases (forms of one person's name,
not merely related names), names in each other's places, or one slip of the keyboard
apart (see :func:`~uln.matching.compare.same_given_name`). A pair at one address with
the same given name and family name but dates of birth years apart (a parent and a
child of one name, or one learner with a wrong date) is held at exactly the possible
threshold, raised if it scored less: a person must look.

Why: brothers and sisters, twins and cousins share a family name and an address, often
a school, an email address and a birth date or a first letter; the independence that
Fellegi-Sunter assumes fails for them, so their weights add up to a match although a
register must never merge them (one ULN and one Personal Learning Record for two
children is the worst failure a learner register can have). A learner's own records
differ in a given name by a slip or a nickname and in a date of birth by a typo, not by
a different name or a different year; a brother and a sister are told apart by their
recorded genders. Such pairs come back as possible matches for a person to check, never
as exact matches or automatic links. Unlike the twin rule, the rule looks at more than
one field, so agreeing on one more field (a family name, a postcode) can lower a
probability, though never below the possible threshold: a pair once returned for review
stays returned. :meth:`Comparison.explain` shows a row ``household rule`` (level
``capped``, or ``raised`` for a pair held up to the threshold)."""

_FAMILY_AGREES: Final = frozenset(
    {"exact", "previous", "alias", "phonetic", "part", "close", "similar"}
)
_FAR_DATES: Final = frozenset({"year", "two_digits", "different"})
_NO_CROSS: Final = frozenset({None, "different"})
_TWIN_DATES: Final = frozenset({"exact", "swapped", "one_digit"})
_CAP: Final = 1  # the household rule holds a pair at most at the possible threshold
_PIN: Final = 2  # ... exactly at it

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
        # the household rule: the same cap, for pairs that look like one family's children
        self._household = self.config.household_rule
        self._household_cap = (
            min(self._possible_weight, self._match_weight)
            if self.config.household_rule
            else math.inf
        )
        self._genders_on = "gender" in c
        self._postcodes_on = "postcode" in c
        self._emails_on = "email" in c
        self._tf_floor: dict[tuple[str, str], float] = {}
        for name in self._tf_u:
            tf_levels = c[name].levels
            for i, level in enumerate(tf_levels):
                below = [lv.weight for lv in tf_levels[i + 1 :]]
                if level.name in _TF_LEVELS and below:
                    self._tf_floor[(name, level.name)] = max(below) - level.weight
        self._tf_given = self._tf_u.get("given_name")
        self._tf_family = self._tf_u.get("family_name")
        self._tf_dob = self._tf_u.get("date_of_birth")
        # a common date of birth weighs less, but never less than a level below exact; a
        # date whose day and month cannot be swapped into another real date (1 January,
        # the 13th to the 31st) is held only above the levels below "swapped"
        self._dob_floor = self._dob_floor_fixed = -math.inf
        if self._tf_dob is not None:
            dob_levels = c["date_of_birth"].levels
            exact_w = dob_levels[0].weight
            below = [lv.weight for lv in dob_levels[1:]]
            fixed = [lv.weight for lv in dob_levels[1:] if lv.name != "swapped"]
            self._dob_floor = max(below) - exact_w if below else -math.inf
            self._dob_floor_fixed = max(fixed) - exact_w if fixed else -math.inf
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
        if ag is None or bg is None or not given_levels:  # not compared: no evidence
            g = MISSING
        elif ag is bg and "exact" in given_levels:
            g = "exact"
        else:
            g = self._cached(self._given_cache, ag, bg, compare_names, given_levels)
        if af is None or bf is None or not family_levels:
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
            # names in each other's places: both crosses must agree (one well, the other
            # at least weakly: a swap with a typo). One is enough only when the other
            # cannot be checked (a record without a family name: the whole name typed in
            # one box), or when the family names are clearly different (a given name
            # typed in the family-name box over the family name). One cross with family
            # names that agree is what a household looks like (Trinity Trent and Charli
            # Trent: a given name like the family name they share): never a swap.
            cross_1 = (
                self._cached(self._cross_cache, ag, bf, compare_names, _ALL_LEVELS)
                if ag is not None and bf is not None
                else None
            )
            cross_2 = (
                self._cached(self._cross_cache, af, bg, compare_names, _ALL_LEVELS)
                if af is not None and bg is not None
                else None
            )
            strong_1 = cross_1 in STRONG_NAME_LEVELS
            strong_2 = cross_2 in STRONG_NAME_LEVELS
            one_enough = f == "different"
            if (
                (strong_1 and (one_enough or cross_2 != "different"))
                or (strong_2 and (one_enough or cross_1 != "different"))
            ) and "swapped" in given_levels:
                g = "swapped"
            if (
                ((strong_1 and cross_2 not in _NO_CROSS) or (strong_2 and cross_1 not in _NO_CROSS))
                and f not in STRONG_NAME_LEVELS
                and f != "previous"
                and "swapped" in family_levels
            ):
                f = "swapped"  # both crosses agree (one may be weak): a full swap
        return g, f

    def _field_weights(
        self, a: MatchRecord, b: MatchRecord, tf: TermFrequencies | None
    ) -> list[FieldComparison]:
        out = []
        for name, level in self._levels(a, b):
            weight = self._weights[name][level]
            adjustment = 0.0
            if name == "date_of_birth":
                if tf is not None and level == "exact" and self._tf_dob is not None:
                    adjustment = self._dob_adjust(a.dob, tf)  # type: ignore[arg-type]
                    weight += adjustment
            elif tf is not None and name in self._tf_u and level in _TF_LEVELS:
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

    def _dob_adjust(self, dob: DateInfo, tf: TermFrequencies) -> float:
        """The term-frequency adjustment of an exact date-of-birth agreement on ``dob``."""
        adjustment = tf.date_adjustment(dob.digits, self._tf_dob)  # type: ignore[arg-type]
        if adjustment >= self._dob_floor:
            return adjustment
        fixed = dob.day == dob.month or dob.day > 12
        return max(adjustment, self._dob_floor_fixed if fixed else self._dob_floor)

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
            if d == "exact" and tf is not None and self._tf_dob is not None:
                total += self._dob_adjust(a.dob, tf)
        if self._gender_w is not None:
            total += self._gender_w[a.gender][b.gender]
        if self._postcode_w is not None and a.postcode is not None and b.postcode is not None:
            total += self._postcode_w[compare_postcodes(a.postcode, b.postcode, self._pc_levels)]
        if self._optional:
            total += self._weigh_optional(a, b)
        if g == "different" and total > self._twin_cap:
            return self._twin_cap
        if self._household:
            cap = self._household_cap
            if total > cap:
                if self._household_rule(a, b, g, f, d):
                    return cap
            elif (
                total < cap
                and d in _FAR_DATES  # else no pin
                and f in _FAMILY_AGREES
                and self._household_rule(a, b, g, f, d) == _PIN
            ):
                return cap
        return total

    def _household_rule(self, a: MatchRecord, b: MatchRecord, g: str, f: str, d: str) -> int:
        """How the household rule (:data:`HOUSEHOLD_RULE`) holds a pair: 0 not at all,
        ``_CAP`` at most a possible match, ``_PIN`` exactly a possible match.

        ``g``, ``f`` and ``d`` are its given-name, family-name and date-of-birth levels.
        """
        genders = self._genders_differ(a, b)
        family = f in _FAMILY_AGREES
        if not (family or genders):
            return 0
        ag, bg = a.given, b.given
        both = ag is not None and bg is not None
        differ = (
            both and g not in SAME_NAME_LEVELS and not same_given_name(ag, bg, g)  # type: ignore[arg-type]
        )
        if differ and genders:
            return _CAP
        if not family:
            return 0
        if differ and d in _TWIN_DATES:  # twins: one family, one birthday, wherever they live
            return _CAP
        pa, pb = (a.postcode, b.postcode) if self._postcodes_on else (None, None)
        if (pa is None or pb is None or pa.unit != pb.unit) and (
            not a.email or a.email != b.email or not self._emails_on
        ):
            return 0
        if differ or (genders and not both):  # a boy and a girl, one name unknown
            return _CAP
        if d in _FAR_DATES:
            # one name, one family, one address, years apart: a parent and a child of one
            # name, or one learner with a wrong date; a person must look
            return _PIN if both else _CAP
        return 0

    def _genders_differ(self, a: MatchRecord, b: MatchRecord) -> bool:
        return (
            self._genders_on
            and a.gender != b.gender
            and a.gender in _RECORDED
            and b.gender in _RECORDED
        )

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
        g = levels.get("given_name", MISSING)
        if g == "different" and weight > self._twin_cap:
            fields += (FieldComparison(_TWIN_ROW, "capped", self._twin_cap - weight),)
            weight = self._twin_cap
        if self._household and weight != self._household_cap:
            rule = self._household_rule(
                a, b, g, levels.get("family_name", MISSING), levels.get("date_of_birth", MISSING)
            )
            if rule and (weight > self._household_cap or rule == _PIN):
                level = "capped" if weight > self._household_cap else "raised"
                fields += (FieldComparison(_HOUSEHOLD_ROW, level, self._household_cap - weight),)
                weight = self._household_cap
        probability = match_probability(weight)
        return Comparison(
            fields=fields,
            prior_weight=self._prior_weight,
            match_weight=weight,
            probability=probability,
            is_match=probability >= self.config.match_threshold,
            match_threshold=self.config.match_threshold,
            possible_threshold=self.config.possible_threshold,
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

    def search(self, query: Any, candidates: CandidateSource | Mapping[Any, Any]) -> SearchResult:
        """Find a learner among candidates, with the outcomes of the LRS find.

        Args:
            query: the learner looked for (a row, ``Demographics``, ``MatchRecord`` ...).
            candidates: a :class:`~uln.matching.index.CandidateIndex`, or any
                :class:`~uln.matching.index.CandidateSource` (blocking finds the
                candidates; term frequencies come from the source), or a small mapping
                of id to record (every record is compared; no term-frequency adjustment).

        Returns:
            ``EXACT`` (WSRC0004) when one candidate is at or above ``match_threshold`` and
            no other at or above ``possible_threshold``; ``POSSIBLE`` (WSRC0003) when 1 to
            ``max_possible`` are at or above ``possible_threshold``; ``TOO_MANY``
            (WSRC0002) when more are; ``NO_MATCH`` (WSRC0001) otherwise.

        Raises:
            ArgumentTypeError: ``candidates`` is neither a mapping nor a candidate source.

        >>> Matcher().search({"given_name": "Jo"}, {}).outcome
        <Outcome.NO_MATCH: 'WSRC0001'>
        """
        q = match_record(query)
        scored: list[tuple[float, Hashable, MatchRecord]] = []
        possible = self._possible_weight
        tf: TermFrequencies | None
        pool: Sequence[tuple[Hashable, MatchRecord]]
        if isinstance(candidates, Mapping):
            tf = None
            pool = [(key, match_record(row)) for key, row in candidates.items()]
        elif not hasattr(candidates, "candidates") or not hasattr(candidates, "frequencies"):
            raise ArgumentTypeError(
                "candidates", "a CandidateSource or a mapping of id to record", candidates
            )
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
            are found: the pairs are never all held in memory. A left record finds
            every exact duplicate on the right (same names, date of birth, gender and
            postcode), however many records share its other blocking keys.

        Raises:
            ArgumentTypeError: ``left`` or ``right`` is not a mapping (raised at once,
                before the first link is asked for).

        The garbage collector is paused while the index is built and while each batch
        of links is scored, never while a link is handed out: a generator left
        unfinished leaves collection as it found it.

        >>> links = Matcher().iter_link({"a": {"given_name": "Jo", "family_name": "Bloggs",
        ...                                   "date_of_birth": "2001-02-03"}}, {})
        >>> list(links)
        []
        """
        _check_records("left", left)
        _check_records("right", right)
        return self._iter_link(left, right, self._floor(threshold), progress)

    def _iter_link(
        self,
        left: Mapping[Any, Any],
        right: Mapping[Any, Any],
        floor: float,
        progress: Callable[[int], object] | None,
    ) -> Iterator[Link]:
        from uln.matching.index import CandidateIndex, _collector_paused

        with _collector_paused():  # many long-lived objects, no cycles
            index = CandidateIndex.from_records(right)
            left_records = [(key, match_record(row)) for key, row in left.items()]
            tf = TermFrequencies.from_records(r for _, r in left_records)
            tf.given.update(index.frequencies.given)
            tf.family.update(index.frequencies.family)
            tf.dates.update(index.frequencies.dates)
            object.__setattr__(tf, "dated", tf.dated + index.frequencies.dated)
            object.__setattr__(tf, "total", tf.total + index.frequencies.total)
        weigh, make_link, candidates = self._weigh, self._link, index.candidates
        done = 0
        while done < len(left_records):
            batch: list[Link] = []
            with _collector_paused():  # never across a yield
                for key, record in left_records[done : done + _BATCH]:
                    found = []
                    for other, candidate in candidates(record):
                        weight = weigh(record, candidate, tf)
                        if weight >= floor:
                            found.append((weight, other))
                    found.sort(key=_by_weight)
                    batch.extend(make_link(key, other, weight) for weight, other in found)
                    done += 1
                    if progress is not None:
                        progress(done)
            yield from batch

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
        jobs: int = 1,
    ) -> Iterator[Link]:
        """Score the pairs within one set of records that blocking brings together.

        Each pair appears once, with ``left_id`` the record that came first.
        ``threshold`` is as in :meth:`iter_link`; ``progress`` is called with the number
        of records scored so far. Links are yielded as they are found, never all held in
        memory. Group the links with :func:`~uln.matching.evaluate.clusters`.

        Exact duplicates (the same names, date of birth, gender and postcode) are always
        paired, however many records share their other blocking keys: a group of up to
        ``MAX_BLOCK`` (1,000) copies gives every pair within it; a larger one gives a
        star, its first record paired with each of the others (1,001 copies: 1,000
        links rather than 500,500), which :func:`~uln.matching.evaluate.clusters` joins
        into one cluster.

        Raises:
            ArgumentTypeError: ``records`` is not a mapping (at once, not at the first
                link).

        As in :meth:`iter_link`, the garbage collector is never left paused across a
        yield.

        ``jobs`` above 1 scores the pairs in that many worker processes (forked, where
        the platform can fork, for sets of more than a few thousand records): the
        links are the same, in the same order, as with one; the candidate pairs are
        still found in this process, in order, and the workers score them a slice at a
        time. Abandoning the generator stops the workers.

        >>> rows = {1: {"given_name": "Jo", "family_name": "Bloggs", "postcode": "CV4 9EE",
        ...             "date_of_birth": "2001-02-03"},
        ...         2: {"given_name": "Joanne", "family_name": "Bloggs", "postcode": "CV49EE",
        ...             "date_of_birth": "2001-02-03"},
        ...         3: {"given_name": "Sam", "family_name": "Smith"}}
        >>> print([(x.left_id, x.right_id) for x in Matcher().iter_dedupe(rows)])
        [(1, 2)]
        """
        _check_records("records", records)
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise ArgumentTypeError("jobs", "a whole number of processes, 1 or more", jobs)
        return self._iter_dedupe(records, self._floor(threshold), progress, jobs)

    def _iter_dedupe(
        self,
        records: Mapping[Any, Any],
        floor: float,
        progress: Callable[[int], object] | None,
        jobs: int = 1,
    ) -> Iterator[Link]:
        from operator import attrgetter

        from uln.matching.index import CandidateIndex, _collector_paused

        with _collector_paused():  # many long-lived objects, no cycles
            index = CandidateIndex.from_records(records)
            tf = index.frequencies
            # a pair's weight depends only on the prepared values of its records (and on tf,
            # fixed here), so records with the same values (duplicates: common) share a class
            # and each pair of classes is weighed once, when one of them holds several records
            values = attrgetter(*(field.name for field in attrs.fields(MatchRecord)))
            classes: dict[Any, int] = {}
            class_of = {
                slot: classes.setdefault(values(r), len(classes)) for slot, _, r in index.slots()
            }
            sizes = Counter(class_of.values())
            # the slots of records that repeat, by class (as a negative number: a record
            # that does not repeat stands for itself, by its slot, 0 or more)
            shared = {slot: -1 - c for slot, c in class_of.items() if sizes[c] > 1}
            del classes, sizes, class_of
        if jobs > 1 and len(index) >= _PARALLEL_MIN and _can_fork():
            yield from self._dedupe_in_processes(index, shared, floor, progress, jobs)
            return
        memo: dict[tuple[int, int], float] = {}  # bounded: cleared when full
        weigh, make_link = self._weigh, self._link
        slots, ids = index._records, index._ids
        pairs = index._pair_slots()
        done = 0
        while True:
            with _collector_paused():  # finding and weighing; never across a yield
                chunk = list(islice(pairs, _BATCH))
                if not chunk:
                    return
                scored = _weigh_pairs(weigh, slots, shared, tf, floor, memo, chunk)
                batch = [
                    make_link(ids[slot], ids[other], weight)
                    for slot, found in scored
                    for weight, other in found
                ]
            if progress is not None:
                for _ in scored:
                    done += 1
                    progress(done)
            yield from batch

    def _dedupe_in_processes(
        self,
        index: CandidateIndex,
        shared: dict[int, int],
        floor: float,
        progress: Callable[[int], object] | None,
        jobs: int,
    ) -> Iterator[Link]:
        """The pair loop of :meth:`iter_dedupe` over ``jobs`` forked workers.

        This process finds each record's candidates (:meth:`CandidateIndex._pair_slots`,
        in slot order, as the serial loop does) and hands them out ``_SLICE`` records at
        a time; a worker weighs a slice exactly as the serial loop would (same memo of
        repeated records, same sort) and sends back the slots and weights kept. Slices
        are taken back in the order they were handed out, with at most a few per worker
        in flight, so the links come out in the serial order and memory stays bounded.
        """
        import gc
        import multiprocessing

        from uln.matching.index import _collector_paused

        ids = index._ids
        _WORKER_STATE[:] = [self, index._records, shared, index.frequencies, floor]
        gc.collect()
        gc.freeze()  # the index stays in pages shared with the workers (no collector writes)
        try:
            pool = multiprocessing.get_context("fork").Pool(jobs)
        finally:
            gc.unfreeze()
            _WORKER_STATE.clear()
        make_link = self._link
        pending: deque[Any] = deque()
        done = 0
        try:
            slices = _slices(index._pair_slots(), _SLICE)
            while True:
                with _collector_paused():
                    while len(pending) < 3 * jobs:
                        chunk = next(slices, None)
                        if chunk is None:
                            break
                        pending.append(pool.apply_async(_weigh_slice, (chunk,)))
                if not pending:
                    break
                scored = pending.popleft().get()
                batch = [
                    make_link(ids[slot], ids[other], weight)
                    for slot, found in scored
                    for weight, other in found
                ]
                done += len(scored)
                if progress is not None:
                    progress(done)
                yield from batch
        finally:
            pool.terminate()
            pool.join()

    def _floor(self, threshold: float | None) -> float:
        return _weight_of(self.config.possible_threshold if threshold is None else threshold)

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

        Records too few or too alike to learn from (fewer than two; the same learner
        over and over) would give agreement no weight, and identical records would then
        score as different learners: the fit is then refused with a
        :class:`~uln.errors.UlnWarning` and a matcher with the current configuration
        comes back.

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
        from uln.matching._fit import fit

        return fit(
            self,
            records,
            other,
            random_pairs=random_pairs,
            max_pairs=max_pairs,
            iterations=iterations,
            estimate_prior=estimate_prior,
            seed=seed,
        )


_TF_LEVELS: Final = frozenset({"exact", "previous"})
_RECORDED: Final = (1, 2)  # male, female: 0 (not known) and 9 (not specified) are no evidence


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


_BATCH: Final = 1_000  # records scored between two hand-outs of links
_SLICE: Final = 2_000  # records a worker process scores at a time (iter_dedupe jobs > 1)
_PARALLEL_MIN: Final = 5_000  # fewer records are scored in this process whatever jobs says

_WORKER_STATE: list[Any] = []
"""What forked workers score with: the matcher, the index's records by slot, the slots
of repeated records (their class), the term frequencies and the floor (set just before
the fork, so the workers inherit it; cleared in this process right after)."""

_WORKER_MEMO: dict[tuple[int, int], float] = {}


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _slices(
    pairs: Iterator[tuple[int, list[int]]], size: int
) -> Iterator[list[tuple[int, list[int]]]]:
    while chunk := list(islice(pairs, size)):
        yield chunk


def _weigh_slice(
    chunk: list[tuple[int, list[int]]],
) -> list[tuple[int, list[tuple[float, int]]]]:
    """In a worker: :func:`_weigh_pairs` with the state inherited from the fork."""
    matcher, records, shared, tf, floor = _WORKER_STATE
    return _weigh_pairs(matcher._weigh, records, shared, tf, floor, _WORKER_MEMO, chunk)


def _weigh_pairs(
    weigh: Callable[[MatchRecord, MatchRecord, TermFrequencies | None], float],
    records: Sequence[MatchRecord | None],
    shared: Mapping[int, int],
    tf: TermFrequencies | None,
    floor: float,
    memo: dict[tuple[int, int], float],
    chunk: list[tuple[int, list[int]]],
) -> list[tuple[int, list[tuple[float, int]]]]:
    """Each record's candidates weighed (by slot), those at or above ``floor`` kept, best
    first: the pair loop of :meth:`Matcher.iter_dedupe`, in this process or a worker.

    A pair's weight depends only on the prepared values of its two records, so a pair
    in which either record repeats (``shared``: slot -> its class) is weighed once per
    pair of classes and kept in ``memo`` (cleared when full).
    """
    out = []
    for slot, others in chunk:
        record = records[slot]
        many = shared.get(slot)
        mine = slot if many is None else many
        found = []
        for other in others:
            candidate = records[other]
            theirs = shared.get(other)
            if many is not None or theirs is not None:
                pair = (mine, other if theirs is None else theirs)
                weight = memo.get(pair)
                if weight is None:
                    if len(memo) >= _CACHE_SIZE:
                        memo.clear()
                    weight = memo[pair] = weigh(record, candidate, tf)  # type: ignore[arg-type]
            else:
                weight = weigh(record, candidate, tf)  # type: ignore[arg-type]
            if weight >= floor:
                found.append((weight, other))
        found.sort(key=_by_weight)
        out.append((slot, found))
    return out


def _by_weight(item: tuple[float, Hashable]) -> float:
    return -item[0]


def _check_records(argument: str, records: object) -> None:
    if not isinstance(records, Mapping):
        raise ArgumentTypeError(argument, "a mapping of id to record", records)


def _weight_of(probability: float) -> float:
    if probability >= 1.0:
        return math.inf
    if probability <= 0.0:
        return -math.inf
    return math.log2(probability / (1.0 - probability))
