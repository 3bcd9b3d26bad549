"""Clustering matched pairs: ``majority`` joins two groups only when most pairs scored
between them match (no chaining through one record); ``components`` is the transitive
closure; ids that cannot be ids are refused."""

from __future__ import annotations

import math
from collections.abc import Hashable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uln.errors import ArgumentError, ArgumentTypeError
from uln.matching import CLUSTER_METHODS, Link, Matcher, clusters, evaluate


def _components(links: list[Link], include_all: bool = False) -> list[list[Hashable]]:
    # the plain definition: grow each group from its first record over matched pairs
    order: dict[Hashable, int] = {}
    edges: dict[Hashable, set[Hashable]] = {}
    for x in links:
        if x.is_match or include_all:
            for key in (x.left_id, x.right_id):
                order.setdefault(key, len(order))
                edges.setdefault(key, set())
        if x.is_match:
            edges[x.left_id].add(x.right_id)
            edges[x.right_id].add(x.left_id)
    seen: set[Hashable] = set()
    out = []
    for key in order:
        if key in seen:
            continue
        group, todo = {key}, [key]
        while todo:
            for other in edges[todo.pop()] - group:
                group.add(other)
                todo.append(other)
        seen |= group
        out.append(sorted(group, key=order.__getitem__))
    return out


link_lists = st.lists(
    st.builds(
        lambda a, b, w: Link(a, b, 0.5, w, w >= 3.0),
        st.integers(0, 12),
        st.integers(0, 12),
        st.sampled_from([-5.0, 0.0, 2.0, 3.0, 4.5, 7.0, 7.0, 9.0]),
    ),
    max_size=40,
)


@given(link_lists, st.booleans())
@settings(max_examples=300, deadline=None)
def test_majority_clusters_hold_more_matched_pairs_than_not(
    links: list[Link], include_all: bool
) -> None:
    majority = clusters(links, include_all=include_all)
    chained = clusters(links, include_all=include_all, method="components")
    assert chained == _components(links, include_all)
    group_of = {key: n for n, group in enumerate(majority) for key in group}
    # the same records, each in one cluster, each cluster within one component
    assert sorted(group_of) == sorted(k for g in chained for k in g)
    assert sum(len(g) for g in majority) == len(group_of)
    component_of = {key: n for n, group in enumerate(chained) for key in group}
    for group in majority:
        assert len({component_of[k] for k in group}) == 1
    # each cluster is joined by its matched pairs, and inside it the matched pairs
    # outnumber the pairs scored as no match (every merge added more of the first)
    for group in majority:
        inside = [x for x in links if x.left_id in group and x.right_id in group]
        inside = [x for x in inside if x.left_id != x.right_id]
        if len(group) > 1:
            matched = [x for x in inside if x.is_match]
            assert [set(g) for g in _components(matched)] == [set(group)]
            assert len(matched) > len(inside) - len(matched)
    # without evidence against, nothing is split
    if all(x.is_match or x.left_id == x.right_id for x in links):
        assert majority == chained


def test_two_siblings_are_not_joined_through_a_sparse_record() -> None:
    matcher = Matcher()
    rows = {
        "jo": {
            "given_name": "Joanna",
            "family_name": "Bloggs",
            "date_of_birth": "2008-05-06",
            "postcode": "CV4 9EE",
            "gender": "F",
        },
        "bo": {
            "given_name": "Bob",
            "family_name": "Bloggs",
            "date_of_birth": "2008-05-06",
            "postcode": "CV4 9EE",
            "gender": "M",
        },
    }
    # a sparse record that matches each of them
    links = [
        Link("jo", "x", 0.99, 8.0, True),
        Link("bo", "x", 0.99, 7.0, True),
        *matcher.dedupe(rows, threshold=0.0),
    ]
    assert not any(x.is_match for x in links[2:])
    assert clusters(links) == [["jo", "x"], ["bo"]]  # not the three
    assert clusters(links, method="majority") == clusters(links)
    assert clusters(links, method="components") == [["jo", "x", "bo"]]
    truth = {"jo": 1, "x": 1, "bo": 2}
    assert evaluate(links, truth, use_clusters=True).precision == 1.0
    assert evaluate(links, truth, use_clusters=True, method="components").precision < 1.0


def test_the_strongest_pairs_are_joined_first() -> None:
    links = [
        Link("a", "b", 0.96, 4.0, True),  # weaker: comes second, a and c disagree
        Link("b", "c", 0.99, 9.0, True),
        Link("a", "c", 0.4, -1.0, False),
    ]
    assert clusters(links) == [["a"], ["b", "c"]]


@pytest.mark.parametrize("bad", [math.nan, float("nan")])
def test_a_nan_id_is_refused_not_looped_on(bad: float) -> None:
    links = [Link(bad, 1, 0.99, 7.0, True), Link(1, 2, 0.99, 7.0, True)]
    for method in CLUSTER_METHODS:
        with pytest.raises(ArgumentError, match="links: a record id is not equal to itself"):
            clusters(links, method=method)  # type: ignore[arg-type]


def test_ids_and_links_of_the_wrong_type_are_refused() -> None:
    with pytest.raises(ArgumentTypeError, match="links: expected hashable record ids, not list"):
        clusters([Link([1], 2, 0.99, 7.0, True)])
    with pytest.raises(ArgumentTypeError, match="links: expected Link objects, not tuple"):
        clusters([(1, 2)])  # type: ignore[list-item]
    with pytest.raises(ArgumentError, match="method: must be one of majority, components"):
        clusters([], method="closure")  # type: ignore[arg-type]
    assert issubclass(ArgumentTypeError, TypeError)
    assert issubclass(ArgumentError, ValueError)


def test_one_noisy_pair_does_not_split_a_learner() -> None:
    links = [
        Link("a", "b", 0.99, 9.0, True),
        Link("b", "c", 0.99, 8.0, True),
        Link("c", "d", 0.98, 6.0, True),
        Link("b", "d", 0.97, 5.0, True),
        Link("a", "d", 0.3, -2.0, False),  # a typo too many: outvoted by c-d and b-d
    ]
    assert clusters(links) == [["a", "b", "c", "d"]]
    assert clusters(links[:3] + links[4:]) == [["a", "b", "c"], ["d"]]  # 1 against 1
