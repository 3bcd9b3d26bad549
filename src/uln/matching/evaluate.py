"""Measuring a matcher against the truth, and grouping links into clusters.

>>> from uln.matching.results import Link
>>> links = [Link("a", "b", 0.99, 7.0, True), Link("b", "c", 0.6, 0.6, False),
...          Link("c", "d", 0.97, 5.0, True)]
>>> result = evaluate(links, [("a", "b"), ("b", "c")])
>>> result.precision, result.recall, result.f1, result.pair_completeness
(0.5, 0.5, 0.5, 1.0)
>>> clusters(links)
[['a', 'b'], ['c', 'd']]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from itertools import combinations
from typing import TYPE_CHECKING, Final, Literal

import attrs

from uln.errors import ArgumentError, ArgumentTypeError

if TYPE_CHECKING:
    from uln.matching.results import Link

__all__ = [
    "CLUSTER_METHODS",
    "ClusterMethod",
    "Evaluation",
    "clusters",
    "evaluate",
    "pairs_of_clusters",
]


ClusterMethod = Literal["majority", "components"]

CLUSTER_METHODS: Final[dict[str, str]] = {
    "majority": "matched pairs taken strongest first; each joins two groups only when most "
    "of the pairs scored between the groups are matches (the default)",
    "components": "every record reachable through matched pairs (transitive closure)",
}
"""How :func:`clusters` groups matched pairs [ours].

``components`` chains: A matches B and B matches C puts A and C together however
clearly the two differ, so one record of sparse details (a name and a date of birth)
that matches two siblings merges them, and a lenient (fitted) model joins true learners
into large clusters. ``majority`` is greedy correlation clustering: the matched pairs
are taken strongest first (highest match weight; ties in the order given) and each
joins the groups of its two records only if, of all the pairs scored between the two
groups, more are matches than not, so that every merge leaves fewer pairwise decisions
contradicted. Pairs never scored (no blocking key in common) count neither way; pass
every scored pair (``threshold=0.0``) for the most evidence. The sparse record that
matches two siblings who do not match each other joins one of them, not both. On
historical_50k (default model, every scored pair) cluster precision is 0.995 against
0.966 for ``components``; with a fitted model, 0.995 against 0.914."""


@attrs.frozen
class Evaluation:
    """Precision, recall and F1 of the predicted matches against the true pairs.

    ``pair_completeness`` is the share of true pairs among all the links given,
    matches or not: how many a threshold could reach at all.
    """

    true_positives: int
    false_positives: int
    false_negatives: int
    pair_completeness: float

    @property
    def precision(self) -> float:
        """Share of predicted matches that are true (1.0 when nothing was predicted)."""
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        """Share of true pairs that were predicted (1.0 when there are none)."""
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 1.0

    @property
    def f1(self) -> float:
        """The harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __str__(self) -> str:
        return (
            f"precision {self.precision:.4f}  recall {self.recall:.4f}  F1 {self.f1:.4f}  "
            f"pair completeness {self.pair_completeness:.4f}"
        )


def _key(a: Hashable, b: Hashable) -> frozenset[Hashable]:
    return frozenset((a, b))


def pairs_of_clusters(
    groups: Mapping[Hashable, Hashable] | Iterable[Iterable[Hashable]],
) -> set[frozenset[Hashable]]:
    """Every pair within each cluster, as frozensets of two ids.

    ``groups`` is a mapping of record id to cluster id, or an iterable of clusters.

    >>> sorted(sorted(p) for p in pairs_of_clusters({1: "x", 2: "x", 3: "x", 4: "y"}))
    [[1, 2], [1, 3], [2, 3]]
    """
    if isinstance(groups, Mapping):
        members: dict[Hashable, list[Hashable]] = defaultdict(list)
        for record, cluster in groups.items():
            members[cluster].append(record)
        groups = members.values()
    return {_key(a, b) for group in groups for a, b in combinations(list(group), 2)}


def evaluate(
    links: Iterable[Link],
    true_pairs: Iterable[tuple[Hashable, Hashable]] | Mapping[Hashable, Hashable],
    *,
    use_clusters: bool = False,
    method: ClusterMethod = "majority",
) -> Evaluation:
    """Compare links with the truth, pair by pair.

    Args:
        links: links from :meth:`~uln.matching.Matcher.link` or
            :meth:`~uln.matching.Matcher.dedupe`; those with ``is_match`` are the
            predictions, all of them count for pair completeness.
        true_pairs: pairs of ids of the same learner, or a mapping of record id to a
            true cluster id.
        use_clusters: predict every pair within the :func:`clusters` of the links
            instead of the matched pairs alone (cluster precision, recall and F1).
        method: how the clusters are made (:data:`CLUSTER_METHODS`).

    >>> from uln.matching.results import Link
    >>> links = [Link(1, 2, 0.99, 7.0, True), Link(2, 3, 0.99, 7.0, True)]
    >>> evaluate(links, {1: "x", 2: "x", 3: "x"}).recall
    0.6666666666666666
    >>> evaluate(links, {1: "x", 2: "x", 3: "x"}, use_clusters=True).recall
    1.0
    >>> evaluate(links + [Link(1, 3, 0.3, -1.0, False)], {1: "x", 2: "x", 3: "x"},
    ...          use_clusters=True, method="components").recall
    1.0
    """
    links = list(links)
    if isinstance(true_pairs, Mapping):
        truth = pairs_of_clusters(true_pairs)
    else:
        truth = {_key(a, b) for a, b in true_pairs if a != b}
    if use_clusters:
        predicted = pairs_of_clusters(clusters(links, method=method))
    else:
        predicted = {_key(x.left_id, x.right_id) for x in links if x.is_match}
    scored = {_key(x.left_id, x.right_id) for x in links}
    tp = len(predicted & truth)
    return Evaluation(
        true_positives=tp,
        false_positives=len(predicted) - tp,
        false_negatives=len(truth) - tp,
        pair_completeness=len(scored & truth) / len(truth) if truth else 1.0,
    )


def clusters(
    links: Iterable[Link], *, include_all: bool = False, method: ClusterMethod = "majority"
) -> list[list[Hashable]]:
    """Group the matched records into learners (see :data:`CLUSTER_METHODS`).

    Args:
        links: scored pairs (all of them: the pairs that are not matches are the evidence
            against joining two groups).
        include_all: also return, as clusters of one, records that appear only in
            links that are not matches.
        method: ``"majority"`` (two groups join only when most pairs scored between them
            are matches) or ``"components"`` (the connected components of the matched
            pairs).

    Returns:
        Clusters in the order their first record appears, each in order of appearance.

    Raises:
        ArgumentTypeError: an id is not hashable, or ``links`` are not links.
        ArgumentError: an id is not equal to itself (a float NaN), or ``method`` is unknown.

    >>> from uln.matching.results import Link
    >>> clusters([Link(1, 2, 0.99, 7.0, True), Link(3, 4, 0.2, -2.0, False)], include_all=True)
    [[1, 2], [3], [4]]

    Two siblings (1 and 3, scored as not a match) that each match a sparse record (2):

    >>> links = [Link(1, 2, 0.99, 7.0, True), Link(2, 3, 0.98, 6.0, True),
    ...          Link(1, 3, 0.5, 0.0, False)]
    >>> clusters(links), clusters(links, method="components")
    ([[1, 2], [3]], [[1, 2, 3]])
    """
    if method not in CLUSTER_METHODS:
        raise ArgumentError("method", f"must be one of {', '.join(CLUSTER_METHODS)}")
    order: dict[Hashable, int] = {}
    ids: list[Hashable] = []

    def number(x: Hashable) -> int:
        try:
            n = order.get(x)
        except TypeError:
            raise ArgumentTypeError("links", "hashable record ids", x) from None
        if n is None:
            if x != x:  # a NaN would never be found again: refused
                raise ArgumentError("links", "a record id is not equal to itself (a NaN)")
            n = order[x] = len(ids)
            ids.append(x)
        return n

    matched: list[tuple[float, int, int, int]] = []  # (-weight, position, a, b)
    scored: list[tuple[Hashable, Hashable, bool]] = []
    matching: set[int] = set()  # records in a matched pair
    majority = method == "majority"
    for position, link in enumerate(links):
        try:
            left, right, is_match = link.left_id, link.right_id, link.is_match
        except AttributeError:
            raise ArgumentTypeError("links", "Link objects", link) from None
        if is_match:
            a, b = number(left), number(right)
            matching.add(a)
            matching.add(b)
            if a != b:
                weight = -float(link.match_weight) if majority else 0.0
                matched.append((weight, position, a, b))
        elif include_all:
            number(left)
            number(right)
        if majority:
            scored.append((left, right, bool(is_match)))
    parent = list(range(len(ids)))
    # for each group (by its root), the groups it has scored pairs with: [matches, others]
    between: list[dict[int, list[int]]] = [{} for _ in ids]
    if majority:
        matched.sort()
        for left, right, is_match in scored:
            x, y = order.get(left), order.get(right)  # hashable: numbered or refused above
            if x is None or y is None or x == y:
                continue  # a record in no matched pair: never in a group of two or more
            for p, q in ((x, y), (y, x)):
                counts = between[p].setdefault(q, [0, 0])
                counts[0 if is_match else 1] += 1
        del scored

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for _, _, a, b in matched:
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if majority:
            agree, disagree = between[ra].get(rb, (0, 0))
            if agree <= disagree:
                continue  # most pairs across the two groups are not matches
            if len(between[ra]) < len(between[rb]):
                ra, rb = rb, ra  # the smaller table is merged into the larger
            keep, gone = between[ra], between[rb]
            keep.pop(rb, None)
            for other, counts in gone.items():
                if other == ra:
                    continue
                total = keep.setdefault(other, [0, 0])
                total[0] += counts[0]
                total[1] += counts[1]
                del between[other][rb]
                between[other][ra] = list(total)
            between[rb] = {}
        parent[rb] = ra
    groups: dict[int, list[Hashable]] = defaultdict(list)
    for n, record in enumerate(ids):
        if include_all or n in matching:
            groups[find(n)].append(record)
    return list(groups.values())
