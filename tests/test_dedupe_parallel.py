"""``Matcher.iter_dedupe(jobs=N)`` and ``uln dedupe --jobs N``: the pairs scored in worker
processes are the pairs, weights and order of the serial loop, whatever N."""

from __future__ import annotations

import csv
import multiprocessing
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from uln._cli.app import cli
from uln.errors import ArgumentTypeError
from uln.matching import Matcher
from uln.matching import matcher as matcher_module
from uln.testing.households import household_set

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="workers are forked"
)


@pytest.fixture
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    # many slices in flight, on a set small enough for a quick test
    monkeypatch.setattr(matcher_module, "_PARALLEL_MIN", 10)
    monkeypatch.setattr(matcher_module, "_SLICE", 37)


def records(seed: int) -> dict[str, Any]:
    """Households with duplicates, plus exact copies (repeated records share weights)."""
    rows, *_ = household_set(seed, 100)
    rng = random.Random(seed)
    keys = list(rows)
    for i in range(60):
        rows[f"copy{i}"] = dict(rows[rng.choice(keys)])
    shuffled = list(rows.items())
    rng.shuffle(shuffled)
    return dict(shuffled)


def links(found: Any) -> list[tuple[Any, ...]]:
    return [(x.left_id, x.right_id, x.match_weight, x.probability, x.is_match) for x in found]


@pytest.mark.parametrize(("seed", "jobs"), [(1, 2), (2, 3)])
def test_workers_give_the_serial_links_in_the_serial_order(
    small_slices: None, seed: int, jobs: int
) -> None:
    rows = records(seed)
    matcher = Matcher()
    for threshold in (0.0, None):
        serial = links(matcher.iter_dedupe(rows, threshold=threshold))
        parallel = links(matcher.iter_dedupe(rows, threshold=threshold, jobs=jobs))
        assert parallel == serial
        assert len(serial) > 100
    seen: list[int] = []
    list(matcher.iter_dedupe(rows, jobs=2, progress=seen.append))
    assert seen[-1] == len(rows)
    assert seen == sorted(seen)


def test_an_abandoned_generator_stops_its_workers(small_slices: None) -> None:
    found = Matcher().iter_dedupe(records(3), threshold=0.0, jobs=2)
    first = [next(found) for _ in range(5)]
    assert len(first) == 5
    assert multiprocessing.active_children()
    found.close()
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("jobs", [0, -1, 1.5, True, "2"])
def test_jobs_must_be_a_count_of_processes(jobs: Any) -> None:
    with pytest.raises(ArgumentTypeError, match=r"^jobs: "):
        Matcher().iter_dedupe({}, jobs=jobs)


def test_the_command_writes_the_same_pairs_whatever_the_jobs(
    small_slices: None, tmp_path: Path
) -> None:
    rows = records(4)
    path = tmp_path / "learners.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "given_name", "family_name", "date_of_birth", "gender", "postcode"])
        for key, row in rows.items():
            writer.writerow(
                [key]
                + [
                    str(row.get(name) or "")
                    for name in ("given_name", "family_name", "date_of_birth", "gender", "postcode")
                ]
            )
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"pairs{jobs}.csv"
        result = CliRunner().invoke(
            cli, ["dedupe", str(path), "-o", str(out), "-q", "--all-pairs", "--jobs", jobs]
        )
        assert result.exit_code == 0, result.output
        outputs.append(out.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]
    assert outputs[0].count("\n") > 100
