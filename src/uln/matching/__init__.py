"""Finding the same learner despite typos, nicknames, swaps and moves.

A :class:`Matcher` compares learner records field by field (names with aliases, phonetic
codes and edit distance; dates of birth with swaps and typos; postcodes down to the
unit), scores the pair with Fellegi-Sunter weights from a :class:`MatchConfig`, and
explains every score. It searches a :class:`CandidateIndex` with the outcomes of the LRS
(:class:`Outcome`), links and deduplicates sets of rows, and can learn its weights from
your own unlabelled data with :meth:`Matcher.fit`.

>>> from uln.matching import CandidateIndex, Matcher, Outcome
>>> matcher = Matcher()
>>> index = CandidateIndex.from_records({
...     "4444444444": {"given_name": "Siân", "family_name": "Pryce", "gender": "F",
...                    "date_of_birth": "2007-04-12", "postcode": "SA1 1AA"},
...     "5555555555": {"given_name": "Sam", "family_name": "Price", "gender": "M",
...                    "date_of_birth": "2006-11-30", "postcode": "SA2 8PP"},
... })
>>> result = matcher.search({"given_name": "Sian", "family_name": "Price", "gender": 2,
...                          "date_of_birth": "12/04/2007", "postcode": "sa11aa"}, index)
>>> result.outcome is Outcome.EXACT, result.code, result.best.id
(True, 'WSRC0004', '4444444444')
"""

from __future__ import annotations

from uln.matching._keys import query_keys, record_keys
from uln.matching.compare import LEVELS, RULES
from uln.matching.evaluate import (
    CLUSTER_METHODS,
    Evaluation,
    clusters,
    evaluate,
    pairs_of_clusters,
)
from uln.matching.frequencies import TF_RULES, TermFrequencies
from uln.matching.index import (
    BLOCKING_KEYS,
    CandidateIndex,
    CandidateSource,
    PairCompleteness,
    block_limit,
)
from uln.matching.matcher import HOUSEHOLD_RULE, REFINE_CAP, TWIN_RULE, Matcher
from uln.matching.model import ComparisonConfig, LevelConfig, MatchConfig
from uln.matching.normalise import MatchRecord, match_record
from uln.matching.results import Comparison, FieldComparison, Link, Match, Outcome, SearchResult

__all__ = [
    "BLOCKING_KEYS",
    "CLUSTER_METHODS",
    "HOUSEHOLD_RULE",
    "LEVELS",
    "REFINE_CAP",
    "RULES",
    "TF_RULES",
    "TWIN_RULE",
    "CandidateIndex",
    "CandidateSource",
    "Comparison",
    "ComparisonConfig",
    "Evaluation",
    "FieldComparison",
    "LevelConfig",
    "Link",
    "Match",
    "MatchConfig",
    "MatchRecord",
    "Matcher",
    "Outcome",
    "PairCompleteness",
    "SearchResult",
    "TermFrequencies",
    "block_limit",
    "clusters",
    "evaluate",
    "match_record",
    "pairs_of_clusters",
    "query_keys",
    "record_keys",
]
