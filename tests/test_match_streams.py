"""The matcher's bulk paths: the fast score is the explained one, streams leave the
garbage collector as they found it, wrong arguments and unusable fits are refused."""

from __future__ import annotations

import gc
import subprocess
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uln.errors import ArgumentTypeError, UlnWarning
from uln.matching import CandidateIndex, LevelConfig, MatchConfig, Matcher, match_record

# a few values per field, so that pairs reach every level: exact, alias, typo, swap ...
rows = st.fixed_dictionaries(
    {},
    optional={
        "given_name": st.sampled_from(["Jo", "Joe", "Dafydd", "David", "Dai", "Bloggs", "Jon"]),
        "family_name": st.sampled_from(["Bloggs", "Blogs", "Jones", "Jo", "Smith-Jones"]),
        "date_of_birth": st.sampled_from(
            ["2001-02-03", "2001-03-02", "2001-02-04", "2011-02-03", "2001-01-01", "2001-01-10"]
        ),
        "postcode": st.sampled_from(["CV4 9EE", "CV4 9EF", "CV4 7AL", "SW1A 1AA", "75001"]),
        "gender": st.sampled_from([0, 1, 2]),
        "previous_family_name": st.sampled_from(["Smith", "Jones", None]),
        "email": st.sampled_from(["jo@example.com", "joe.b@example.com", None]),
        "place_of_birth": st.sampled_from(["Coventry", "Cardiff", None]),
        "middle_names": st.sampled_from(["Ann", "Anne Marie", None]),
        "school_at_16": st.sampled_from(["Ysgol Glan Clwyd", "Ysgol Glan Clwyd High", None]),
    },
)


def _altered(config: MatchConfig, factor: float) -> MatchConfig:
    # a fitted-like model: every m and u moved, the levels kept
    for name, comparison in config.comparisons.items():
        levels = [
            LevelConfig(lv.name, min(0.99, lv.m * factor), min(0.99, lv.u / factor))
            for lv in comparison.levels
        ]
        config = config.with_levels(name, levels)
    return config.evolve(prior=1e-3)


def _configs() -> dict[str, MatchConfig]:
    default = MatchConfig.default()
    kept = ("given_name", "family_name", "date_of_birth")
    no_tf = {name: type(c)(c.name, c.levels, False) for name, c in default.comparisons.items()}
    given = default.comparisons["given_name"]
    dob = default.comparisons["date_of_birth"]
    dated = {**default.comparisons, "date_of_birth": type(dob)(dob.name, dob.levels, True)}
    return {
        "default": default,
        "date-of-birth term frequencies": default.evolve(comparisons=dated),
        "date-of-birth term frequencies, fitted-like": _altered(
            default.evolve(comparisons=dated), 1.2
        ),
        "fitted-like": _altered(default, 1.3),
        "fitted-like, twin rule off": _altered(default, 0.8).evolve(twin_rule=False),
        "twin rule off": default.evolve(twin_rule=False),
        "no term frequencies": default.evolve(comparisons=no_tf),
        "names and date only": default.evolve(
            comparisons={k: v for k, v in default.comparisons.items() if k in kept}
        ),
        "no given-name swap or alias": default.with_levels(
            "given_name", [lv for lv in given.levels if lv.name not in ("swapped", "alias")]
        ),
    }


CONFIGS = _configs()
MATCHERS = {label: Matcher(config) for label, config in CONFIGS.items()}


@given(st.sampled_from(sorted(CONFIGS)), st.lists(rows, min_size=2, max_size=8), st.booleans())
@settings(max_examples=300, deadline=None)
def test_the_fast_score_is_the_explained_one(
    label: str, records: list[dict[str, Any]], with_tf: bool
) -> None:
    matcher = MATCHERS[label]
    index = CandidateIndex.from_records(dict(enumerate(records)))
    tf = index.frequencies if with_tf else None
    prepared = [match_record(r) for r in records]
    for a in prepared:
        for b in prepared:
            fast = matcher._weigh(a, b, tf)
            explained = matcher.compare(a, b, frequencies=tf)
            assert fast == pytest.approx(explained.match_weight, abs=1e-9)
    # and what search, link and dedupe report is that score
    for key, row in enumerate(records):
        for match in matcher.search(row, index).matches:
            assert match.match_weight == pytest.approx(match.comparison.match_weight, abs=1e-9)
        del key
    data = dict(enumerate(records))
    for link in matcher.dedupe(data, threshold=0.0):
        expected = matcher.compare(
            data[link.left_id], data[link.right_id], frequencies=index.frequencies
        )
        assert link.match_weight == pytest.approx(expected.match_weight, abs=1e-9)


def _rows(n: int) -> dict[int, dict[str, Any]]:
    return {
        i: {
            "given_name": "Jo",
            "family_name": f"Bloggs{chr(65 + i % 26)}",
            "date_of_birth": f"2001-02-{1 + i % 28:02d}",
        }
        for i in range(n)
    }


@pytest.mark.parametrize("kind", ["dedupe", "link"])
def test_an_unfinished_stream_leaves_the_collector_as_it_found_it(kind: str) -> None:
    matcher = Matcher()
    data = _rows(3_000)

    def stream() -> Iterator[Any]:
        if kind == "dedupe":
            return matcher.iter_dedupe(data, threshold=0.0)
        return matcher.iter_link(data, data, threshold=0.0)

    assert gc.isenabled()
    links = stream()
    next(links)
    assert gc.isenabled()  # not paused while the caller holds a link
    links.close()
    assert gc.isenabled()
    links = stream()
    next(links)
    del links  # abandoned
    assert gc.isenabled()
    gc.disable()  # a caller that paused collection itself: left paused
    try:
        links = stream()
        next(links)
        links.close()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_wrong_typed_arguments_raise_our_error_naming_the_argument() -> None:
    matcher = Matcher()
    row = {"given_name": "Jo"}
    with pytest.raises(
        ArgumentTypeError, match=r"^records: expected a mapping of id to record, not list$"
    ):
        matcher.dedupe([row])  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match=r"^records: "):
        matcher.iter_dedupe([row])  # type: ignore[arg-type]  # at once, not at next()
    with pytest.raises(
        ArgumentTypeError, match=r"^left: expected a mapping of id to record, not list$"
    ):
        matcher.link([row], {})  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match=r"^right: .* not tuple$"):
        matcher.iter_link({}, (row,))  # type: ignore[arg-type]
    with pytest.raises(
        ArgumentTypeError, match=r"^candidates: expected a CandidateSource or a mapping"
    ):
        matcher.search(row, [row])  # type: ignore[arg-type]
    with pytest.raises(TypeError):  # still a TypeError for code that catches that
        matcher.dedupe("rows")  # type: ignore[arg-type]


JO = {
    "given_name": "Jo",
    "family_name": "Bloggs",
    "date_of_birth": "2001-02-03",
    "postcode": "CV4 9EE",
    "gender": "F",
}


@pytest.mark.parametrize(
    "records",
    [
        {n: dict(JO) for n in range(5)},  # the same learner over and over
        {n: dict(JO) for n in range(300)},
        {1: JO},  # one record
        {},
    ],
)
def test_fit_on_records_too_few_or_too_alike_keeps_the_configuration(
    records: dict[int, Any],
) -> None:
    matcher = Matcher()
    with pytest.warns(UlnWarning, match="too few or too alike"):
        fitted = matcher.fit(records, random_pairs=1_000)
    assert fitted.config == matcher.config
    assert fitted.compare(JO, JO).is_match  # it used to score 0.0000


def test_fit_on_varied_records_does_not_warn() -> None:
    rows = {
        n: {
            "given_name": g,
            "family_name": f,
            "date_of_birth": f"200{n % 10}-0{1 + n % 9}-1{n % 10}",
        }
        for n, (g, f) in enumerate(
            (g, f) for g in ("Jo", "Sam", "Al", "Kim", "Lee") for f in ("Bloggs", "Smith", "Ng")
        )
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted = Matcher().fit(rows, random_pairs=2_000)
    assert fitted.compare(rows[0], rows[0]).is_match


def _imports(module: str) -> set[str]:
    import ast
    import importlib.util

    spec = importlib.util.find_spec(module)
    assert spec is not None
    assert spec.origin is not None
    with open(spec.origin, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("module", ["uln.matching.index", "uln.matching.matcher"])
def test_index_and_matcher_import_alone(module: str) -> None:
    # the index never imports the matcher (anywhere), so there is no cycle between them
    assert "uln.matching.matcher" not in _imports("uln.matching.index")
    assert "uln.matching.results" not in _imports("uln.matching.index")
    # and each module imports first in a fresh process
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
