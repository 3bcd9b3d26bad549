"""Learning m, u and the prior from unlabelled records (expectation maximisation).

:meth:`uln.matching.Matcher.fit` is the public entry point; this module holds the
estimation itself.
"""

from __future__ import annotations

import math
import random
import warnings
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from uln.errors import UlnWarning
from uln.matching.compare import MISSING
from uln.matching.model import LevelConfig
from uln.matching.normalise import MatchRecord, match_record

if TYPE_CHECKING:
    from uln.matching.matcher import Matcher

__all__ = ["fit"]


def fit(
    matcher: Matcher,
    records: Mapping[Any, Any],
    other: Mapping[Any, Any] | None = None,
    *,
    random_pairs: int,
    max_pairs: int,
    iterations: int,
    estimate_prior: bool,
    seed: int,
) -> Matcher:
    """What :meth:`Matcher.fit <uln.matching.Matcher.fit>` does (see there)."""
    rng = random.Random(seed)
    left = [match_record(row) for row in records.values()]
    right = [match_record(row) for row in other.values()] if other is not None else left
    if not left or not right or (other is None and len(left) < 2):
        return _unchanged(matcher, "fewer than two records to learn from")
    config = matcher.config
    names = matcher._names
    u_counts: dict[str, Counter[str]] = {name: Counter() for name in names}
    for _ in range(random_pairs):
        i, j = rng.randrange(len(left)), rng.randrange(len(right))
        if other is None and i == j:
            continue
        for name, level in zip(names, matcher._level_tuple(left[i], right[j]), strict=True):
            if level != MISSING:
                u_counts[name][level] += 1
    u_new = {
        name: _shrink({lv.name: lv.u for lv in config.comparisons[name].levels}, counts, 1.0)
        for name, counts in u_counts.items()
    }
    m_start = {name: {lv.name: lv.m for lv in config.comparisons[name].levels} for name in names}

    def by_dob(r: MatchRecord) -> str | None:
        return r.dob.digits if r.dob is not None else None

    def by_names(r: MatchRecord) -> str | None:
        if r.given is None or r.family is None:
            return None
        return f"{r.given.block}|{r.family.code}"

    sessions = (("date_of_birth", by_dob), ("names", by_names))
    estimates: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    dob_session: tuple[float, int] | None = None
    for blocked_on, key in sessions:
        pairs, count = _pairs_sharing(left, right if other is not None else None, key)
        if len(pairs) > max_pairs:
            pairs = rng.sample(pairs, max_pairs)
        patterns: defaultdict[tuple[str, ...], float] = defaultdict(float)
        for a, b, weight in pairs:
            patterns[matcher._level_tuple(a, b)] += weight
        # the comparisons a session is blocked on agree by construction: they say
        # nothing about which pairs match, so EM leaves them out (as Splink does)
        skip = {"given_name", "family_name"} if blocked_on == "names" else {blocked_on}
        m_est, lam = _expectation_maximisation(
            names, m_start, u_new, patterns, iterations, ignore=frozenset(skip)
        )
        for name in names:
            if name not in skip and patterns:
                estimates[name].append(m_est[name])
        if blocked_on == "date_of_birth" and patterns:
            dob_session = (lam, count)
    m_new = {}
    for name in names:
        found = estimates[name]
        if not found:
            m_new[name] = m_start[name]
            continue
        m_new[name] = {level: sum(e[level] for e in found) / len(found) for level in m_start[name]}
    for name in names:
        levels = [
            LevelConfig(lv.name, m_new[name][lv.name], u_new[name][lv.name], lv.fixed_weight)
            for lv in config.comparisons[name].levels
        ]
        config = config.with_levels(name, levels)
    if estimate_prior and dob_session is not None and "date_of_birth" in m_new:
        lam, count = dob_session
        # matches among pairs with the same date of birth, over the share of matches
        # (of those with both dates) that agree on it, over the share of pairs with
        # both dates (missing dates taken as independent of matching)
        with_dob = sum(r.dob is not None for r in left) / len(left)
        with_dob_right = with_dob
        if other is not None:
            with_dob_right = sum(r.dob is not None for r in right) / len(right)
        share = m_new["date_of_birth"].get("exact", 0.0) * with_dob * with_dob_right
        total = len(left) * (len(left) - 1) / 2 if other is None else len(left) * len(right)
        if share > 0 and total > 0:
            prior = min(max(lam * count / share / total, 1e-9), 0.5)
            config = config.evolve(prior=prior)
    fitted = type(matcher)(config)
    problem = _implausible(matcher, fitted, left)
    if problem:
        return _unchanged(matcher, problem)
    return fitted


_SAMPLE: Final = 200  # records whose comparison with themselves checks a fitted model


def _implausible(matcher: Matcher, fitted: Matcher, records: Sequence[MatchRecord]) -> str:
    """Why a fitted model cannot be right ('' if it can).

    Estimates from records that are too few or too alike (every random pair agreeing)
    give agreement no weight: such a model would score two identical records as
    different learners. A fitted model must give the best level of every comparison
    positive weight (``m > u``), and must still match each of a sample of records with
    itself whenever the current configuration does.
    """
    for name, comparison in fitted.config.comparisons.items():
        best = comparison.levels[0]
        if best.weight <= 0:
            return f"agreeing on {name} would count against a match (m <= u)"
    step = max(1, len(records) // _SAMPLE)
    for record in records[::step]:
        if matcher.compare(record, record).is_match and not fitted.compare(record, record).is_match:
            return "two identical records would not be a match"
    return ""


def _unchanged(matcher: Matcher, reason: str) -> Matcher:
    warnings.warn(
        UlnWarning(
            f"fit: {reason}; the records are too few or too alike to learn from "
            "(thousands of varied records are needed): the configuration is kept unchanged"
        ),
        stacklevel=4,
    )
    return type(matcher)(matcher.config)


def _pairs_sharing(
    left: Sequence[MatchRecord],
    right: Sequence[MatchRecord] | None,
    key: Any,
    cap: int = 200,
) -> tuple[list[tuple[MatchRecord, MatchRecord, float]], int]:
    """Pairs of records with the same key (within ``left``, or across when ``right``).

    Groups larger than ``cap`` are cut to ``cap`` records for the sample of pairs; each
    pair comes with its weight, the number of pairs of its group that it stands for, so
    that a sample stays representative: a date of birth shared by thousands (``1 Jan``
    of a year, a default) would otherwise count for no more than a rare one. The count
    returned is of all pairs sharing a key.
    """
    groups: dict[str, tuple[list[MatchRecord], list[MatchRecord]]] = {}
    for record in left:
        k = key(record)
        if k is not None:
            groups.setdefault(k, ([], []))[0].append(record)
    if right is not None:
        for record in right:
            k = key(record)
            if k is not None and k in groups:
                groups[k][1].append(record)
    pairs: list[tuple[MatchRecord, MatchRecord, float]] = []
    count = 0
    for a_side, b_side in groups.values():
        if right is None:
            n = len(a_side)
            if n < 2:
                continue
            count += n * (n - 1) // 2
            members = a_side[:cap]
            k = len(members)
            weight = n * (n - 1) / (k * (k - 1))
            pairs.extend(
                (members[i], members[j], weight) for i in range(k) for j in range(i + 1, k)
            )
        else:
            if not b_side:
                continue
            count += len(a_side) * len(b_side)
            a_part, b_part = a_side[:cap], b_side[:cap]
            weight = len(a_side) * len(b_side) / (len(a_part) * len(b_part))
            pairs.extend((a, b, weight) for a in a_part for b in b_part)
    return pairs, count


_FLOOR: Final = 1e-6


def _shrink(
    prior: Mapping[str, float], counts: Mapping[str, float], strength: float
) -> dict[str, float]:
    """Blend observed level counts with prior probabilities (``strength`` pseudo-pairs)."""
    total = sum(counts.values())
    prior_total = sum(prior.values())
    out = {}
    for level, p in prior.items():
        share = p / prior_total
        out[level] = max(_FLOOR, (counts.get(level, 0) + strength * share) / (total + strength))
    return out


def _expectation_maximisation(
    names: Sequence[str],
    m: Mapping[str, Mapping[str, float]],
    u: Mapping[str, Mapping[str, float]],
    patterns: Mapping[tuple[str, ...], float],
    iterations: int,
    ignore: frozenset[str] = frozenset(),
) -> tuple[dict[str, dict[str, float]], float]:
    """Estimate m for every level, and the share of matches, by EM with u held fixed.

    Comparisons in ``ignore`` (those the pairs were chosen on) take no part in the
    likelihood; their m comes back unchanged.
    """
    m_cur = {name: dict(levels) for name, levels in m.items()}
    total = sum(patterns.values())
    if not total:
        return m_cur, 0.0
    lam = 0.1
    items = list(patterns.items())
    for _ in range(iterations):
        sums: dict[str, dict[str, float]] = {name: defaultdict(float) for name in names}
        weight_total = 0.0
        for pattern, count in items:
            log_m = math.log(lam)
            log_u = math.log(1.0 - lam)
            for name, level in zip(names, pattern, strict=True):
                if level == MISSING or name in ignore:
                    continue
                log_m += math.log(m_cur[name].get(level, _FLOOR))
                log_u += math.log(u[name].get(level, _FLOOR))
            diff = log_u - log_m
            posterior = 1.0 / (1.0 + math.exp(diff)) if diff < 700 else 0.0
            mass = posterior * count
            weight_total += mass
            for name, level in zip(names, pattern, strict=True):
                if level != MISSING:
                    sums[name][level] += mass
        lam = min(max(weight_total / total, 1e-9), 1 - 1e-9)
        strength = 1.0
        m_cur = {
            name: dict(m[name]) if name in ignore else _shrink(m[name], sums[name], strength)
            for name in names
        }
    return m_cur, lam
