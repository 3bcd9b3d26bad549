"""What the matcher returns: outcomes, comparisons, matches, search results and links.

>>> Outcome.EXACT.code
'WSRC0004'
"""

from __future__ import annotations

import enum
from collections.abc import Hashable
from typing import ClassVar, NamedTuple

import attrs

from uln.matching.compare import MISSING

__all__ = ["Comparison", "FieldComparison", "Link", "Match", "Outcome", "SearchResult"]


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

    >>> from uln.matching import Matcher
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
    possible_threshold: float = 0.5

    def field(self, name: str) -> FieldComparison:
        """The part of the comparison for the field called ``name``.

        >>> from uln.matching import Matcher
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
            f"  ({self.outcome_text()})"
        )
        return "\n".join(lines)

    def outcome_text(self) -> str:
        """What the probability makes of the pair, with the thresholds that decide it.

        ``a match at 0.95`` (at or above the match threshold: an automatic link, an
        exact match); ``a possible match: review at 0.5, auto-match at 0.95`` (at or
        above the possible threshold: returned for a person to check); ``not a match:
        review at 0.5, auto-match at 0.95`` (below both).

        >>> from uln.matching import Matcher
        >>> Matcher().compare({"given_name": "Jo"}, {"given_name": "Sam"}).outcome_text()
        'not a match: review at 0.5, auto-match at 0.95'
        """
        if self.is_match:
            return f"a match at {self.match_threshold:g}"
        kind = "a possible match" if self.probability >= self.possible_threshold else "not a match"
        return (
            f"{kind}: review at {self.possible_threshold:g}, auto-match at {self.match_threshold:g}"
        )


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
