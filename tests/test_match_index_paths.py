"""The fast paths of blocking and deduplication give what the plain definitions give.

* Building an index in bulk (``from_records``) files and counts exactly as adding the
  records one at a time does, also when an id comes twice.
* A search finds the records of the blocks its query keys name (coarse and oversized
  blocks left out as documented), and ``pairs`` yields each pair that either record's
  search finds exactly once, at the first record that finds the other.
* ``dedupe`` (which weighs each pair of identical prepared values once) gives the links
  that weighing every candidate pair gives.
* ``match_record`` (cached given names, dates and genders, positional construction)
  gives the record that the field functions give.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from uln.matching import CandidateIndex, Matcher, TermFrequencies
from uln.matching._keys import query_keys, record_keys
from uln.matching.index import _COARSE, COARSE_BLOCK
from uln.matching.matcher import _weight_of
from uln.matching.normalise import (
    MatchRecord,
    date_info,
    gender_code,
    match_record,
    name_info,
    postcode_info,
)

MATCHER = Matcher()

# few values, so that records share blocks and often repeat one another exactly
rows = st.fixed_dictionaries(
    {},
    optional={
        "given_name": st.sampled_from(["Jo", "Joe", "Dafydd", "Dai", "Sam", "Sir", "", "x"]),
        "family_name": st.sampled_from(["Bloggs", "Blogs", "Jones", "Smith", "Smyth", ""]),
        "date_of_birth": st.sampled_from(
            ["2001-02-03", "2001-03-02", "03/02/2001", "2001-02-30", "", dt.date(2001, 2, 4)]
        ),
        "postcode": st.sampled_from(["CV4 9EE", "cv49ef", "75001", "ZZ99 9ZZ", ""]),
        "gender": st.sampled_from([0, 1, 2, "F", "male", True, None]),
        "previous_family_name": st.sampled_from(["Smith", "Jones", None]),
        "email": st.sampled_from(["jo@example.com", "joe.b@example.com", None]),
    },
)
keyed_rows = st.lists(st.tuples(st.integers(0, 30), rows), max_size=40)


def _state(index: CandidateIndex) -> tuple[Any, ...]:
    tf = index.frequencies
    blocks = {k: v if isinstance(v, int) else list(v) for k, v in index._blocks.items()}
    return (
        blocks,
        index._ids,
        index._slots,
        +tf.given,
        +tf.family,
        tf.total,
        [index._records[s] is None for s in range(len(index._records))],
    )


@given(keyed_rows, st.sampled_from([1, 2, 1000]))
@settings(max_examples=150, deadline=None)
def test_bulk_build_is_adding_one_at_a_time(items: list[tuple[int, Any]], limit: int) -> None:
    bulk = CandidateIndex.from_records(items, max_block=limit)
    one = CandidateIndex(max_block=limit)
    for key, row in items:
        one.add(key, row)
    assert _state(bulk) == _state(one)


def _found(index: CandidateIndex, record: MatchRecord, star: int | None = None) -> set[int]:
    # the plain definition of the blocks a search looks in (star: the record's slot, for
    # deduplication, where an over-full exact block is a star around its first record)
    found: set[int] = set()
    for text in query_keys(record):
        block = index._blocks.get(hash(text))
        if block is None:
            continue
        slots = [block] if isinstance(block, int) else block
        kind = text[0]
        cap = index.max_block
        stands_in = (
            (kind == "B" and (record.given is None or record.family is None))
            or (kind == "S" and record.given is None)
            or (kind == "H" and record.family is None)
        )
        if kind in _COARSE and not stands_in:
            cap = COARSE_BLOCK
        if kind == "X":
            if star is None or len(slots) <= cap or min(slots) == star:
                found.update(slots)
            else:
                found.add(min(slots))
        elif len(slots) == 1 or len(slots) <= cap:
            found.update(slots)
    return found


@given(keyed_rows, st.sampled_from([1, 2, 1000]), st.lists(st.integers(0, 30), max_size=5))
@settings(max_examples=150, deadline=None)
def test_candidates_and_pairs_are_the_plain_definitions(
    items: list[tuple[int, Any]], limit: int, removed: list[int]
) -> None:
    index = CandidateIndex.from_records(items, max_block=limit)
    for key in removed:
        if key in index:
            index.remove(key)
    live = list(index.slots())
    slot_of = {key: slot for slot, key, _ in live}
    for slot, _, record in live:
        # blocks hold the records filed under their keys
        for text in record_keys(record):
            block = index._blocks[hash(text)]
            assert slot in ([block] if isinstance(block, int) else block)
        # a record searched for does not find itself
        expected = [index._ids[s] for s in sorted(_found(index, record)) if s != slot]
        assert [k for k, _ in index.candidates(record)] == expected
    for _, row in items:
        expected = [index._ids[s] for s in sorted(_found(index, match_record(row)))]
        assert [k for k, _ in index.candidates(row)] == expected
    found = {slot: _found(index, record, star=slot) for slot, _, record in live}
    seen = []
    for (slot, key, record), (key_2, record_2, out) in zip(live, index.pairs(), strict=True):
        assert (key, record) == (key_2, record_2)
        others = [slot_of[other] for other, _ in out]
        assert others == sorted(others)
        for other in others:
            assert other != slot
            assert other in found[slot]
            assert other > slot or slot not in found[other]  # not already paired
            seen.append(frozenset((slot, other)))
    expected_pairs = {frozenset((a, b)) for a in found for b in found[a] if b != a}
    assert len(seen) == len(set(seen)) == len(expected_pairs)
    assert set(seen) == expected_pairs


@given(st.lists(rows, max_size=40), st.sampled_from([None, 0.0, 0.5]))
@settings(max_examples=100, deadline=None)
def test_dedupe_weighs_as_every_pair_would(records: list[Any], threshold: float | None) -> None:
    data = dict(enumerate(records))
    index = CandidateIndex.from_records(data)
    floor = _weight_of(MATCHER.config.possible_threshold if threshold is None else threshold)
    expected = []
    for key, record, candidates in index.pairs():
        found = []
        for other, candidate in candidates:
            weight = MATCHER._weigh(record, candidate, index.frequencies)
            if weight >= floor:
                found.append((weight, other))
        found.sort(key=lambda item: -item[0])
        expected.extend(MATCHER._link(key, other, weight) for weight, other in found)
    assert MATCHER.dedupe(data, threshold=threshold) == expected


@given(st.lists(rows, max_size=30))
@settings(max_examples=50, deadline=None)
def test_term_frequencies_in_bulk(records: list[Any]) -> None:
    prepared = [match_record(r) for r in records]
    one = TermFrequencies()
    for record in prepared:
        one.add(record)
    bulk = TermFrequencies.from_records(iter(prepared))
    assert (+bulk.given, +bulk.family, bulk.total) == (+one.given, +one.family, one.total)
    assert (+bulk.dates, bulk.dated) == (+one.dates, one.dated)
    index = CandidateIndex.from_records(dict(enumerate(records)))  # the index's bulk path
    assert (+index.frequencies.dates, index.frequencies.dated) == (+one.dates, one.total)


@given(
    rows,
    st.sampled_from(["", "Sir John", "Mr", "  ", None, 5]),
    st.sampled_from([dt.datetime(2001, 2, 3, 4, 5), dt.date(1999, 12, 31), "2001-02-03"]),
    st.sampled_from([1, 2, 3, -1, True, False, "2", 2.0, None]),
)
def test_match_record_is_its_field_functions(
    row: dict[str, Any], given_name: Any, dob: Any, gender: Any
) -> None:
    row = {**row, "GivenName": given_name, "DateOfBirth": dob, "Gender": gender}
    record = match_record(row)

    def pick(*names: str) -> Any:
        for name in names:
            value = row.get(name)
            if value is not None and not (type(value) is str and not value):
                return value
        return None

    given_info = name_info(pick("given_name", "GivenName"))
    if given_info is not None and given_info.key in ("SIR", "MR"):
        given_info = None
    assert record.given is given_info
    assert record.family is name_info(pick("family_name"))
    assert record.dob is date_info(pick("date_of_birth", "DateOfBirth"))
    assert record.gender == gender_code(pick("gender", "Gender"))
    assert record.postcode is postcode_info(pick("postcode"))
    assert record.email == pick("email")
    assert record.place_of_birth is None


def test_match_record_builds_fields_in_order() -> None:
    # match_record passes MatchRecord's fields by position
    names = [field.name for field in attrs.fields(MatchRecord)]
    assert names == [
        "given",
        "family",
        "dob",
        "gender",
        "postcode",
        "previous",
        "email",
        "place_of_birth",
        "school_at_16",
        "middle_names",
    ]
    record = match_record({"given_name": "Jo", "previous_family_name": "Smith", "gender": 2})
    assert record.given is not None
    assert record.given.key == "JO"
    assert [p.key for p in record.previous] == ["SMITH"]
    assert record.gender == 2


# -- freed slots, exact duplicates in over-full blocks ------------------------------------


@given(keyed_rows, st.lists(st.integers(0, 30), max_size=10), keyed_rows)
@settings(max_examples=100, deadline=None)
def test_a_removed_records_slot_is_reused(
    items: list[tuple[int, Any]], removed: list[int], added: list[tuple[int, Any]]
) -> None:
    index = CandidateIndex.from_records(items)
    for key in removed:
        if key in index:
            index.remove(key)
    most = len(index._records)
    for key, row in added:
        index.add(key, row)
    # the lists grow only when no freed slot is left
    assert len(index._records) == len(index._ids) == max(most, len(index))
    assert (
        sorted(index)
        == sorted(index._slots)
        == sorted(dict(items + added).keys() - (set(removed) - {k for k, _ in added}))
    )
    # the same operations give the same slots, so candidates come in the same order
    again = CandidateIndex.from_records(items)
    for key in removed:
        if key in again:
            again.remove(key)
    for key, row in added:
        again.add(key, row)
    assert _state(again) == _state(index)
    for _, row in added:
        assert [k for k, _ in again.candidates(row)] == [k for k, _ in index.candidates(row)]


def test_adding_and_removing_does_not_grow_the_index() -> None:
    def row(n: int) -> dict[str, str]:
        return {"given_name": "Sam", "family_name": "Smith", "date_of_birth": f"2001-02-{n:02d}"}

    index = CandidateIndex.from_records({n: row(n) for n in range(1, 11)})

    def size() -> tuple[int, int, int]:
        filed = sum(len(b) if isinstance(b, list) else 1 for b in index._blocks.values())
        return len(index._records), len(index._ids), filed

    before = size()
    for n in range(2_000):
        index.add(("new", n), row(n % 28 + 1))
        index.remove(("new", n))
    assert len(index) == 10
    assert size() == (before[0] + 1, before[1] + 1, before[2])
    assert [k for k, _ in index.candidates(row(3))] == list(range(1, 11))


IDENTICAL = {
    "given_name": "Jo",
    "family_name": "Bloggs",
    "date_of_birth": "2001-02-03",
    "gender": "F",
    "postcode": "CV4 9EE",
}


def test_an_exact_duplicate_is_found_in_over_full_blocks() -> None:
    # 1,200 learners share the name, date of birth and postcode of the query (every block
    # of the query is over-full) but not its gender; one record is an exact copy
    rows: dict[Any, Any] = {n: {**IDENTICAL, "gender": "M"} for n in range(1_200)}
    rows["copy"] = dict(IDENTICAL)
    index = CandidateIndex.from_records(rows)
    assert [key for key, _ in index.candidates(IDENTICAL)] == ["copy"]
    result = MATCHER.search(IDENTICAL, index)
    assert result.outcome.name == "EXACT"
    assert result.best is not None
    assert result.best.id == "copy"


def test_1001_identical_records_are_found_and_linked() -> None:
    rows = {n: dict(IDENTICAL) for n in range(1_001)}
    index = CandidateIndex.from_records(rows)
    result = MATCHER.search(IDENTICAL, index)
    assert result.outcome.name == "TOO_MANY"
    assert result.found == 1_001
    # deduplication: a star around the first record (1,000 links, not 500,500), all of
    # them matches, which clusters join into one learner
    links = MATCHER.dedupe(rows)
    assert [(x.left_id, x.right_id) for x in links] == [(0, n) for n in range(1, 1_001)]
    assert all(x.is_match for x in links)
    from uln.matching import clusters

    assert clusters(links) == [list(range(1_001))]
    # a group within the block limit gives every pair, as before
    small = MATCHER.dedupe({n: dict(IDENTICAL) for n in range(5)})
    assert len(small) == 10
    # linking finds every copy on the other side
    linked = MATCHER.link({"a": IDENTICAL}, rows)
    assert len(linked) == 1_001
