"""Blocking: an index that brings together the records worth comparing.

Each record is filed under a few blocking keys (:data:`BLOCKING_KEYS`); a search looks
the query up under the same keys and under variants of them (given and family names
swapped, the previous family name, day and month swapped), so it compares a few dozen
records instead of the whole register. Keys are stored as integers and the records in a
compact prepared form; records can be added and removed one at a time.

>>> index = CandidateIndex.from_records({
...     "A": {"given_name": "Dafydd", "family_name": "Jones", "date_of_birth": "2001-02-03"},
...     "B": {"given_name": "Sioned", "family_name": "Evans", "date_of_birth": "1999-09-09"},
... })
>>> len(index), "A" in index
(2, True)
>>> found = index.candidates({"given_name": "Dai", "family_name": "Jones",
...                             "date_of_birth": "2001-03-02"})
>>> print([key for key, _ in found])
['A']
>>> index.remove("A")
>>> len(index), [key for key, _ in index.candidates({"given_name": "Dafydd",
...                                                  "family_name": "Jones",
...                                                  "date_of_birth": "2001-02-03"})]
(1, [])
"""

from __future__ import annotations

import gc
import sys
from array import array
from bisect import bisect_left
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from heapq import heappop, heappush
from typing import Any, Final, Protocol, runtime_checkable

import attrs

from uln.matching._keys import query_keys as _query_keys
from uln.matching._keys import record_keys as _record_keys
from uln.matching.frequencies import TermFrequencies
from uln.matching.normalise import MatchRecord, match_record

__all__ = ["BLOCKING_KEYS", "CandidateIndex", "CandidateSource", "PairCompleteness", "block_limit"]

BLOCKING_KEYS: Final[dict[str, str]] = {
    "F": "family name (phonetic), year of birth and given-name initial",
    "D": "date of birth and family-name initial",
    "G": "date of birth and given name (alias group or phonetic)",
    "P": "postcode sector (or the whole value if not a UK postcode) and given-name initial",
    "N": "given name (alias group or phonetic) and family name (phonetic)",
    "E": "email address",
    "L": "the part of the email address before the @",
    "B": "date of birth alone (coarse)",
    "S": "family name (phonetic) and year of birth (coarse)",
    "H": "given name (alias group or phonetic) and year of birth (coarse)",
    "U": "postcode alone (coarse)",
    "K": "family name (phonetic) alone (coarse; searched for a record lacking a date of birth "
    "or a postcode)",
    "X": "given name, family name, date of birth, gender and postcode exactly (exact "
    "duplicates; searched whatever the size of its block)",
}
"""The blocking keys every record is filed under [ours]. A search also looks under
variants: given and family names swapped (F, N), each previous family name in place of
the family name (F, D, N), and day and month swapped (D, G). Coarse keys are searched
only while their block is small (:data:`COARSE_BLOCK`), or up to :data:`MAX_BLOCK` for
a record that lacks the name they stand in for (B without a given or family name, S
without a given name, H without a family name). The exact key X has no limit: an exact
duplicate is found however many records share the other keys (1,001 copies of one
learner fill every other block past :data:`MAX_BLOCK`)."""

COARSE_BLOCK: Final = 30
"""Coarse blocks (B, S, H, U, K) with more records than this are not searched [ours]."""

MAX_BLOCK: Final = 1_000
"""Blocks with more records than this are not searched (a key shared by too many) [ours]."""

_COARSE: Final = frozenset("BSHUK")
_EXACT: Final = "X"
_NO_LIMIT: Final = sys.maxsize


def _coarse_caps(no_given: bool, no_family: bool, limit: int) -> dict[str, int]:
    caps = dict.fromkeys(_COARSE, COARSE_BLOCK)
    caps[_EXACT] = _NO_LIMIT
    # a coarse key stands in for a missing name: searched up to the limit of other keys
    if no_given or no_family:
        caps["B"] = limit
    if no_given:
        caps["S"] = limit
    if no_family:
        caps["H"] = limit
    return caps


def block_limit(record: MatchRecord, key: str, *, max_block: int = MAX_BLOCK) -> int:
    """The largest block under ``key`` that a search for ``record`` looks in [ours].

    ``key`` is one of :func:`~uln.matching.query_keys` of ``record``; a block holding
    more records than this is skipped (:data:`COARSE_BLOCK` for coarse keys, unless they
    stand in for a missing name; :data:`MAX_BLOCK` otherwise; no limit, ``sys.maxsize``,
    for the exact key X). A candidate source kept
    elsewhere (an SQL table of keys) applies the same rule to find the same candidates
    as a :class:`CandidateIndex`.

    >>> from uln.matching import match_record, query_keys
    >>> r = match_record({"given_name": "Jo", "family_name": "Bloggs",
    ...                   "date_of_birth": "2001-02-03"})
    >>> print(sorted({k[0]: block_limit(r, k) for k in query_keys(r)}.items())[:3])
    [('B', 30), ('D', 1000), ('F', 1000)]
    >>> block_limit(r, "XJO|BLOGGS|20010203|0|") == sys.maxsize
    True
    """
    caps = _coarse_caps(record.given is None, record.family is None, max_block)
    return caps.get(key[:1], max_block)


@runtime_checkable
class CandidateSource(Protocol):
    """Anything :meth:`Matcher.search <uln.matching.Matcher.search>` can search.

    It gives the records worth comparing with a query (sharing a blocking key with it:
    :func:`~uln.matching.query_keys`, :func:`block_limit`) and the name frequencies of
    all its records, for term-frequency adjustment. :class:`CandidateIndex` is one; a
    register that keeps its records and their keys in SQL is another, with no index in
    memory.
    """

    @property
    def frequencies(self) -> TermFrequencies | None:
        """Name frequencies of every record in the source (None: no adjustment)."""
        ...

    def candidates(self, query: Any) -> Sequence[tuple[Hashable, MatchRecord]]:
        """The ``(id, prepared record)`` pairs to compare with ``query``, in a fixed order."""
        ...


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the garbage collector for a bulk job, and restore it afterwards.

    Building an index, deduplicating or linking makes many small long-lived objects and
    no reference cycles: the collector's passes would walk them again and again (about
    a quarter of the time of a deduplication) and free nothing.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@attrs.frozen
class PairCompleteness:
    """How many true pairs share a blocking key (so that a search can find them at all).

    ``by_key`` gives, for each kind of key (:data:`BLOCKING_KEYS`), how many true pairs
    it alone would bring together.
    """

    found: int
    total: int
    by_key: Mapping[str, int]

    @property
    def ratio(self) -> float:
        """``found / total`` (1.0 when there are no true pairs)."""
        return self.found / self.total if self.total else 1.0


class CandidateIndex:
    """An in-memory blocking index of prepared records, keyed by your ids.

    Build it once with :meth:`from_records` and pass it to :meth:`Matcher.search`; keep it
    up to date with :meth:`add` and :meth:`remove`. It also counts name frequencies for
    term-frequency adjustment (:attr:`frequencies`).

    A service that keeps a large index for its lifetime can call :func:`gc.freeze` once
    the index is built, so that the garbage collector's full passes do not walk every
    record during searches (they otherwise add tens of milliseconds now and then).
    The index itself never touches the collector's settings except while it is built
    by :meth:`from_records` (and while :meth:`Matcher.dedupe` and :meth:`Matcher.link`
    run), which pause collection and restore it afterwards.

    >>> index = CandidateIndex()
    >>> index.add(1, {"given_name": "Jo", "family_name": "Bloggs"})
    >>> index.add(1, {"given_name": "Joe", "family_name": "Bloggs"})  # replaces
    >>> len(index), index.frequencies.given["JOE"], index.frequencies.given["JO"]
    (1, 1, 0)
    """

    def __init__(self, *, max_block: int = MAX_BLOCK) -> None:
        self.max_block: Final = max_block
        self.frequencies: Final[TermFrequencies] = TermFrequencies()
        self._ids: list[Hashable] = []
        self._records: list[MatchRecord | None] = []
        self._slots: dict[Hashable, int] = {}
        self._free: list[int] = []  # slots of removed records, a heap: the lowest reused first
        self._blocks: dict[int, int | list[int]] = {}
        # the largest block searched for each kind of coarse key (others: max_block), by
        # whether the record lacks a given name and whether it lacks a family name
        self._caps: Final = {
            (no_given, no_family): _coarse_caps(no_given, no_family, max_block)
            for no_given in (False, True)
            for no_family in (False, True)
        }

    @classmethod
    def from_records(
        cls,
        records: Mapping[Any, Any] | Iterable[tuple[Any, Any]],
        *,
        max_block: int = MAX_BLOCK,
    ) -> CandidateIndex:
        """Build an index of ``records`` (a mapping of id to record, or id-record pairs).

        >>> len(CandidateIndex.from_records([(1, {"given_name": "Jo"}), (2, {})]))
        2
        """
        index = cls(max_block=max_block)
        items = records.items() if isinstance(records, Mapping) else records
        with _collector_paused():
            index._add_rows(items)
        return index

    def __len__(self) -> int:
        return len(self._slots)

    def __contains__(self, key: object) -> bool:
        return key in self._slots

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._slots)

    def __repr__(self) -> str:
        return f"CandidateIndex(records={len(self)}, blocks={len(self._blocks)})"

    def get(self, key: Hashable) -> MatchRecord:
        """The prepared record filed under ``key`` (``KeyError`` if none)."""
        record = self._records[self._slots[key]]
        assert record is not None
        return record

    def add(self, key: Hashable, row: Any) -> None:
        """File a record under the id ``key``; a record already there is replaced."""
        if key in self._slots:
            self.remove(key)
        record = match_record(row)
        self.frequencies.add(record)
        self._file(key, record)

    def _file(self, key: Hashable, record: MatchRecord) -> None:
        # file a new record under its blocking keys (its term frequencies are counted), in
        # the lowest free slot (a removed record's) or a new one at the end
        if self._free:
            slot = heappop(self._free)
            self._records[slot] = record
            self._ids[slot] = key
        else:
            slot = len(self._records)
            self._records.append(record)
            self._ids.append(key)
        self._slots[key] = slot
        blocks = self._blocks
        for text in _record_keys(record):
            block_key = hash(text)
            # a block of one record holds its slot (an int), a larger one a list of slots
            current = blocks.setdefault(block_key, slot)
            if current is slot:
                continue  # a new block (or the same key twice)
            if isinstance(current, int):
                if current != slot:
                    blocks[block_key] = [current, slot] if current < slot else [slot, current]
            elif current[-1] != slot:
                # in slot order (a reused slot may be lower than the block's last)
                if current[-1] < slot:
                    current.append(slot)
                else:
                    at = bisect_left(current, slot)
                    if current[at] != slot:
                        current.insert(at, slot)

    def _add_rows(self, items: Iterable[tuple[Any, Any]]) -> None:
        # add() for many rows: the name counts are added up once at the end
        tf = self.frequencies
        given: list[str] = []
        family: list[str] = []
        dates: list[str] = []
        added = 0
        slots, file = self._slots, self._file

        def count() -> None:
            nonlocal added
            tf._add_counts(given, family, added, dates)
            given.clear()
            family.clear()
            dates.clear()
            added = 0

        try:
            for key, row in items:
                if key in slots:  # a replacement: as add() does it, counts up to date
                    count()
                    self.add(key, row)
                    continue
                record = match_record(row)
                if record.given is not None:
                    given.append(record.given.key)
                if record.family is not None:
                    family.append(record.family.key)
                if record.dob is not None:
                    dates.append(record.dob.digits)
                added += 1
                file(key, record)
        finally:
            count()

    def remove(self, key: Hashable) -> None:
        """Remove the record filed under ``key`` (``KeyError`` if none).

        Its slot is freed for the next record added, so an index that records come and go
        from does not grow: adding and removing a record a million times leaves it the
        size it was (as large as the most records it ever held at once).
        """
        slot = self._slots.pop(key)
        record = self._records[slot]
        assert record is not None
        self._records[slot] = None
        self._ids[slot] = None
        heappush(self._free, slot)
        self.frequencies.add(record, -1)
        blocks = self._blocks
        for text in set(_record_keys(record)):
            block_key = hash(text)
            current = blocks.get(block_key)
            if isinstance(current, int):
                del blocks[block_key]
            elif current is not None:
                del current[bisect_left(current, slot)]
                if len(current) == 1:
                    blocks[block_key] = current[0]

    def _candidate_slots(
        self, record: MatchRecord, used: set[int] | None = None, star: int | None = None
    ) -> set[int]:
        # star: the record's own slot, for deduplication; an exact block (X) larger than
        # max_block is then searched as a star: its first record finds all the others,
        # every other record finds the first only
        get = self._blocks.get
        found: set[int] = set()
        limit = self.max_block
        caps = self._caps[record.given is None, record.family is None].get
        for text in _query_keys(record):
            block_key = hash(text)
            current = get(block_key)
            if current is None:
                continue
            if isinstance(current, int):
                found.add(current)
            elif len(current) <= caps(text[0], limit):
                if star is not None and text[0] == _EXACT and len(current) > limit:
                    if current[0] == star:
                        found.update(current)
                    else:
                        found.add(current[0])
                else:
                    found.update(current)
            else:
                continue
            if used is not None:
                used.add(block_key)
        return found

    def candidates(self, query: Any) -> list[tuple[Hashable, MatchRecord]]:
        """The records that share a blocking key with ``query``, as ``(id, record)`` pairs."""
        record = match_record(query)
        records, ids = self._records, self._ids
        return [
            (ids[slot], candidate)
            for slot in sorted(self._candidate_slots(record))
            if (candidate := records[slot]) is not None and candidate is not record
        ]

    def slots(self) -> Iterator[tuple[int, Hashable, MatchRecord]]:
        """Every record as ``(slot, id, record)``, in slot order.

        Slots are given in the order records are added; a record added after a removal
        takes the lowest slot freed. The order is the same whenever the same records are
        added and removed in the same order.
        """
        for slot, record in enumerate(self._records):
            if record is not None:
                yield slot, self._ids[slot], record

    def pairs(self) -> Iterator[tuple[Hashable, MatchRecord, list[tuple[Hashable, MatchRecord]]]]:
        """Every record with its candidates, each candidate pair once (for deduplication).

        Yields ``(id, record, [(other id, other record), ...])`` in slot order
        (:meth:`slots`). An exact block (X) of more than ``max_block`` records gives a
        star rather than every pair within it: its first record paired with each of
        the others (1,001 copies of one learner: 1,000 pairs, not 500,500), which
        :func:`~uln.matching.clusters` joins into one cluster.
        """
        records, ids = self._records, self._ids
        for slot, others in self._pair_slots():
            out = [(ids[other], records[other]) for other in others]
            yield ids[slot], records[slot], out  # type: ignore[misc]  # live slots only

    def _pair_slots(self) -> Iterator[tuple[int, list[int]]]:
        """:meth:`pairs` by slot: each record's slot with its candidates' slots."""
        records = self._records
        # what each record's search found after it, sorted, in compact arrays (a few
        # hundred bytes a record): the later records look themselves up there
        found_after: dict[int, array[int]] = {}
        candidate_slots = self._candidate_slots
        for slot, record in enumerate(records):
            if record is None:
                continue
            found = sorted(candidate_slots(record, None, slot))
            cut = bisect_left(found, slot)
            later = found[cut + 1 :] if cut < len(found) and found[cut] == slot else found[cut:]
            found_after[slot] = array("i", later)
            out = []
            for other in found[:cut]:
                # already paired when the other record was searched, if it found this one
                after = found_after[other]
                at = bisect_left(after, slot)
                if at < len(after) and after[at] == slot:
                    continue
                out.append(other)
            out += later
            yield slot, out

    def pair_completeness(
        self, true_pairs: Iterable[tuple[Hashable, Hashable]]
    ) -> PairCompleteness:
        """How many of ``true_pairs`` (pairs of ids in this index) blocking brings together.

        A pair counts when either record, searched for, finds the other (blocks too
        large to search do not count).

        >>> index = CandidateIndex.from_records({
        ...     1: {"given_name": "Jo", "family_name": "Bloggs", "date_of_birth": "2001-02-03"},
        ...     2: {"given_name": "Joe", "family_name": "Bloggs", "date_of_birth": "2001-02-03"},
        ...     3: {"given_name": "Sam", "family_name": "Smith"}})
        >>> report = index.pair_completeness([(1, 2), (1, 3)])
        >>> report.found, report.total, report.ratio
        (1, 2, 0.5)
        """
        found = 0
        total = 0
        by_key: dict[str, int] = dict.fromkeys(BLOCKING_KEYS, 0)
        used: dict[Hashable, set[int]] = {}

        def searched(key: Hashable) -> set[int]:
            if key not in used:
                used[key] = set()
                self._candidate_slots(self.get(key), used[key])
            return used[key]

        for left, right in true_pairs:
            if left not in self._slots or right not in self._slots:
                continue
            total += 1
            keys_a = {hash(k): k for k in _record_keys(self.get(left))}
            keys_b = {hash(k): k for k in _record_keys(self.get(right))}
            shared = [keys_b[h] for h in searched(left) if h in keys_b]
            shared += [keys_a[h] for h in searched(right) if h in keys_a]
            if shared:
                found += 1
                for kind in {text[0] for text in shared}:
                    by_key[kind] += 1
        return PairCompleteness(found, total, by_key)
