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
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from uln.matching.results import Link

__all__ = ["Evaluation", "clusters", "evaluate", "pairs_of_clusters"]


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
) -> Evaluation:
    """Compare links with the truth, pair by pair.

    Args:
        links: links from :meth:`~uln.matching.Matcher.link` or
            :meth:`~uln.matching.Matcher.dedupe`; those with ``is_match`` are the
            predictions, all of them count for pair completeness.
        true_pairs: pairs of ids of the same learner, or a mapping of record id to a
            true cluster id.
        use_clusters: predict every pair within the :func:`clusters` of the matches
            (transitive closure) instead of the matched pairs alone.

    >>> from uln.matching.results import Link
    >>> links = [Link(1, 2, 0.99, 7.0, True), Link(2, 3, 0.99, 7.0, True)]
    >>> evaluate(links, {1: "x", 2: "x", 3: "x"}).recall
    0.6666666666666666
    >>> evaluate(links, {1: "x", 2: "x", 3: "x"}, use_clusters=True).recall
    1.0
    """
    links = list(links)
    if isinstance(true_pairs, Mapping):
        truth = pairs_of_clusters(true_pairs)
    else:
        truth = {_key(a, b) for a, b in true_pairs if a != b}
    if use_clusters:
        predicted = pairs_of_clusters(clusters(links))
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


def clusters(links: Iterable[Link], *, include_all: bool = False) -> list[list[Hashable]]:
    """Group the matched records: the connected components of the links with ``is_match``.

    Args:
        links: scored pairs.
        include_all: also return, as clusters of one, records that appear only in
            links that are not matches.

    Returns:
        Clusters in the order their first record appears, each in order of appearance.

    >>> from uln.matching.results import Link
    >>> clusters([Link(1, 2, 0.99, 7.0, True), Link(3, 4, 0.2, -2.0, False)], include_all=True)
    [[1, 2], [3], [4]]
    """
    parent: dict[Hashable, Hashable] = {}
    order: dict[Hashable, int] = {}

    def find(x: Hashable) -> Hashable:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def seen(x: Hashable) -> None:
        if x not in parent:
            parent[x] = x
            order[x] = len(order)

    for link in links:
        if not (link.is_match or include_all):
            continue
        seen(link.left_id)
        seen(link.right_id)
        if link.is_match:
            ra, rb = find(link.left_id), find(link.right_id)
            if ra != rb:
                if order[ra] < order[rb]:
                    parent[rb] = ra
                else:
                    parent[ra] = rb
    groups: dict[Hashable, list[Hashable]] = defaultdict(list)
    for x in sorted(parent, key=order.__getitem__):
        groups[find(x)].append(x)
    return sorted(groups.values(), key=lambda g: order[g[0]])
