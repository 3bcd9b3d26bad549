"""The match model: comparison levels, their m and u probabilities, weights and thresholds.

A :class:`MatchConfig` says, for every field comparison, which levels are in use and the
Fellegi-Sunter probabilities of each: ``m`` among pairs of records of the same learner,
``u`` among pairs of different learners. A level's weight is ``log2(m / u)``; the weights
of a pair add up, with the prior, to its match weight, and that gives a probability.
The defaults live in the data file ``default_config.toml`` beside this module [ours].

>>> config = MatchConfig.default()
>>> config.match_threshold, config.possible_threshold, config.max_possible
(0.95, 0.5, 10)
>>> round(config.comparisons["date_of_birth"].weight("exact"), 2)
11.48
>>> config.comparisons["gender"].weight("missing")
0.0
>>> MatchConfig.from_dict({"match_threshold": 2})
Traceback (most recent call last):
    ...
uln.errors.ConfigError: match_threshold: must be a number between 0 and 1
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

import attrs

from uln.errors import ConfigError
from uln.matching.compare import LEVELS, MISSING

__all__ = [
    "ComparisonConfig",
    "LevelConfig",
    "MatchConfig",
    "match_probability",
    "match_weight_of",
]


def match_probability(match_weight: float) -> float:
    """The probability that goes with a match weight (in bits): ``2**w / (1 + 2**w)``.

    >>> match_probability(0.0)
    0.5
    >>> round(match_probability(10.0), 4)
    0.999
    """
    if match_weight >= 0:
        return 1.0 / (1.0 + math.pow(2.0, -match_weight))
    e = math.pow(2.0, match_weight)
    return e / (1.0 + e)


def match_weight_of(probability: float) -> float:
    """The match weight (in bits) of a probability; the inverse of :func:`match_probability`.

    >>> match_weight_of(0.5)
    0.0
    >>> match_weight_of(1.0)
    inf
    """
    if probability <= 0.0:
        return -math.inf
    if probability >= 1.0:
        return math.inf
    return math.log2(probability / (1.0 - probability))


@attrs.frozen
class LevelConfig:
    """One level of a comparison: its name, ``m`` and ``u``, and an optional fixed weight.

    >>> level = LevelConfig("exact", m=0.9, u=0.01)
    >>> round(level.weight, 3)
    6.492
    >>> LevelConfig("exact", m=0.9, u=0.01, fixed_weight=3.0).weight
    3.0
    """

    name: str
    m: float
    u: float
    fixed_weight: float | None = None

    @property
    def weight(self) -> float:
        """The level's weight in bits: ``log2(m / u)``, unless a fixed weight is set."""
        if self.fixed_weight is not None:
            return self.fixed_weight
        return math.log2(self.m / self.u)

    @property
    def bayes_factor(self) -> float:
        """``2 ** weight``: how many times likelier the level is for a match."""
        return float(2.0**self.weight)

    def to_dict(self) -> dict[str, Any]:
        """The level as a plain dictionary (the shape of the TOML file).

        >>> LevelConfig("exact", m=0.9, u=0.01).to_dict()
        {'name': 'exact', 'm': 0.9, 'u': 0.01}
        """
        out: dict[str, Any] = {"name": self.name, "m": self.m, "u": self.u}
        if self.fixed_weight is not None:
            out["weight"] = self.fixed_weight
        return out


@attrs.frozen
class ComparisonConfig:
    """The levels in use for one field comparison, in order from best to worst.

    ``term_frequency`` turns on term-frequency adjustment of the ``exact`` level: an exact
    agreement on a value that is rare among the records being matched weighs more than
    one on a common value (given names and family names by default; dates of birth can
    be adjusted too, so that a date such as 1 January, often a default or a year written
    as a date, weighs less).

    >>> names = MatchConfig.default().comparisons["family_name"]
    >>> names.level_names[:3]
    ('exact', 'previous', 'alias')
    >>> names.term_frequency
    True
    """

    name: str
    levels: tuple[LevelConfig, ...]
    term_frequency: bool = False
    _weights: dict[str, float] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        weights = {level.name: level.weight for level in self.levels}
        weights[MISSING] = 0.0
        object.__setattr__(self, "_weights", weights)

    @property
    def level_names(self) -> tuple[str, ...]:
        """The names of the levels in use, best first."""
        return tuple(level.name for level in self.levels)

    @property
    def weights(self) -> Mapping[str, float]:
        """Every level's weight in bits, including ``missing`` (always 0)."""
        return self._weights

    def weight(self, level: str) -> float:
        """The weight in bits of the level called ``level``.

        >>> MatchConfig.default().comparisons["postcode"].weight("missing")
        0.0
        """
        try:
            return self._weights[level]
        except KeyError:
            raise ConfigError(f"comparison {self.name} has no level {level!r}") from None

    def level(self, name: str) -> LevelConfig:
        """The configuration of the level called ``name``."""
        for level in self.levels:
            if level.name == name:
                return level
        raise ConfigError(f"comparison {self.name} has no level {name!r}")

    def to_dict(self) -> dict[str, Any]:
        """The comparison as a plain dictionary (the shape of the TOML file)."""
        out: dict[str, Any] = {}
        if self.term_frequency:
            out["term_frequency"] = True
        out["levels"] = [level.to_dict() for level in self.levels]
        return out


_TOP_KEYS = (
    "prior",
    "match_threshold",
    "possible_threshold",
    "max_possible",
    "twin_rule",
    "household_rule",
    "comparisons",
)


@attrs.frozen
class MatchConfig:
    """Everything the matcher needs to score pairs: comparisons, prior and thresholds.

    Build one with :meth:`default`, :meth:`from_dict`, :meth:`from_toml` or :meth:`load`;
    change one with :meth:`evolve`. Every way in is validated and raises
    :class:`~uln.errors.ConfigError` naming the bad key.

    Attributes:
        comparisons: the field comparisons in use, by name (``given_name``,
            ``family_name``, ``date_of_birth``, ``gender``, ``postcode``, ``email``,
            ``place_of_birth``, ``school_at_16``, ``middle_names``).
        prior: the probability that two records drawn at random are the same learner.
        match_threshold: pairs at or above this probability are matches.
        possible_threshold: candidates at or above this probability are possible matches.
        max_possible: more possible matches than this is "too many" (WSRC0002).
        twin_rule: cap pairs with clearly different given names at the possible
            threshold (see :data:`uln.matching.TWIN_RULE`); on by default.
        household_rule: cap pairs that look like two members of one household (same
            family name and postcode unit, but not the same given name or a clearly
            different date of birth; or different recorded genders and given names) at the
            possible threshold (see :data:`uln.matching.HOUSEHOLD_RULE`); on by default.

    >>> config = MatchConfig.default().evolve(match_threshold=0.99)
    >>> config.match_threshold
    0.99
    >>> MatchConfig.from_toml(config.to_toml()) == config
    True
    >>> MatchConfig.from_dict({"comparisons": {"shoe_size": {"levels": []}}})
    Traceback (most recent call last):
        ...
    uln.errors.ConfigError: comparisons.shoe_size: unknown comparison; known: date_of_birth, ...
    """

    comparisons: Mapping[str, ComparisonConfig]
    prior: float = 1e-4
    match_threshold: float = 0.95
    possible_threshold: float = 0.5
    max_possible: int = 10
    twin_rule: bool = True
    household_rule: bool = True

    @classmethod
    def default(cls) -> MatchConfig:
        """The default configuration (``default_config.toml`` in this package).

        >>> print(sorted(MatchConfig.default().comparisons)[:3])
        ['date_of_birth', 'email', 'family_name']
        """
        return _default()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base: MatchConfig | None = None) -> MatchConfig:
        """Read and validate a configuration from a dictionary.

        Keys left out keep their value in ``base`` (the default configuration unless
        given); a comparison given replaces that comparison as a whole; a comparison
        set to ``false`` is switched off.

        >>> config = MatchConfig.from_dict({"max_possible": 5, "comparisons": {"gender": False}})
        >>> config.max_possible, "gender" in config.comparisons
        (5, False)
        """
        if not isinstance(data, Mapping):
            raise ConfigError("the configuration must be a table (a mapping)")
        if base is None:
            base = _default()
        for key in data:
            if key not in _TOP_KEYS:
                raise ConfigError(f"{key}: unknown key; known: {', '.join(sorted(_TOP_KEYS))}")
        prior = _probability(data, "prior", base.prior, open_top=True)
        match_threshold = _probability(
            data, "match_threshold", base.match_threshold, closed_top=True
        )
        possible_threshold = _probability(
            data, "possible_threshold", base.possible_threshold, closed_top=True
        )
        if possible_threshold > match_threshold:
            raise ConfigError("possible_threshold: must not be above match_threshold")
        max_possible = data.get("max_possible", base.max_possible)
        if (
            isinstance(max_possible, bool)
            or not isinstance(max_possible, int)
            or not 1 <= max_possible <= 1000
        ):
            raise ConfigError("max_possible: must be a whole number from 1 to 1000")
        twin_rule = data.get("twin_rule", base.twin_rule)
        if not isinstance(twin_rule, bool):
            raise ConfigError("twin_rule: must be true or false")
        household_rule = data.get("household_rule", base.household_rule)
        if not isinstance(household_rule, bool):
            raise ConfigError("household_rule: must be true or false")
        comparisons: dict[str, ComparisonConfig] = dict(base.comparisons)
        raw = data.get("comparisons", {})
        if not isinstance(raw, Mapping):
            raise ConfigError("comparisons: must be a table of comparisons")
        for name, spec in raw.items():
            if name not in LEVELS:
                known = ", ".join(sorted(LEVELS))
                raise ConfigError(f"comparisons.{name}: unknown comparison; known: {known}")
            if spec is False:
                comparisons.pop(name, None)
                continue
            comparisons[name] = _comparison(name, spec)
        if not comparisons:
            raise ConfigError("comparisons: at least one comparison is needed")
        ordered = {name: comparisons[name] for name in LEVELS if name in comparisons}
        return cls(
            comparisons=ordered,
            prior=prior,
            match_threshold=match_threshold,
            possible_threshold=possible_threshold,
            max_possible=max_possible,
            twin_rule=twin_rule,
            household_rule=household_rule,
        )

    def to_dict(self) -> dict[str, Any]:
        """The configuration as plain dictionaries, lists, numbers and strings.

        >>> comparisons = MatchConfig.default().to_dict()["comparisons"]
        >>> gender = comparisons["gender"]
        >>> gender.get("levels")[0]
        {'name': 'agree', 'm': 0.97, 'u': 0.5}
        """
        return {
            "prior": self.prior,
            "match_threshold": self.match_threshold,
            "possible_threshold": self.possible_threshold,
            "max_possible": self.max_possible,
            "twin_rule": self.twin_rule,
            "household_rule": self.household_rule,
            "comparisons": {name: c.to_dict() for name, c in self.comparisons.items()},
        }

    @classmethod
    def from_toml(cls, text: str, *, base: MatchConfig | None = None) -> MatchConfig:
        """Read and validate a configuration from TOML text (see :meth:`from_dict`).

        >>> MatchConfig.from_toml("possible_threshold = 0.6").possible_threshold
        0.6
        >>> MatchConfig.from_toml("possible_threshold = ")
        Traceback (most recent call last):
            ...
        uln.errors.ConfigError: not valid TOML: Invalid value (at end of document)
        """
        if not isinstance(text, str):
            raise ConfigError(f"text: must be a str of TOML, not {type(text).__name__}")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"not valid TOML: {exc}") from exc
        except RecursionError:
            raise ConfigError("not valid TOML: nested too deeply") from None
        return cls.from_dict(data, base=base)

    def to_toml(self) -> str:
        """The configuration as TOML text that :meth:`from_toml` reads back.

        >>> print(MatchConfig.default().to_toml().splitlines()[0])
        prior = 0.0001
        """
        return _dump_toml(self.to_dict())

    def to_json(self) -> str:
        """The configuration as JSON text (indented, a final newline) that
        :meth:`from_dict` reads back from ``json.loads``.

        >>> import json
        >>> MatchConfig.from_dict(json.loads(MatchConfig.default().to_json())).prior
        0.0001
        """
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def load(cls, path: str | PathLike[str], *, base: MatchConfig | None = None) -> MatchConfig:
        """Read and validate a configuration from a TOML (``.toml``) or JSON (``.json``) file."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read the configuration file: {exc.strerror}") from exc
        except UnicodeDecodeError:
            raise ConfigError(
                f"{p.name}: the configuration file is not UTF-8 text (binary content?)"
            ) from None
        if p.suffix.lower() == ".json":
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise ConfigError(f"not valid JSON: {exc}") from exc
            except RecursionError:
                raise ConfigError("not valid JSON: nested too deeply") from None
            return cls.from_dict(data, base=base)
        return cls.from_toml(text, base=base)

    def save(self, path: str | PathLike[str]) -> None:
        """Write the configuration to a TOML file (JSON when the name ends in ``.json``)."""
        p = Path(path)
        p.write_text(
            self.to_json() if p.suffix.lower() == ".json" else self.to_toml(), encoding="utf-8"
        )

    def evolve(self, **changes: Any) -> MatchConfig:
        """A copy with some top-level values changed, validated like :meth:`from_dict`.

        >>> MatchConfig.default().evolve(possible_threshold=0.99, match_threshold=0.9)
        Traceback (most recent call last):
            ...
        uln.errors.ConfigError: possible_threshold: must not be above match_threshold
        """
        comparisons = changes.pop("comparisons", None)
        data: dict[str, Any] = dict(changes)
        config = MatchConfig.from_dict(data, base=self)
        if comparisons is not None:
            config = attrs.evolve(config, comparisons=dict(comparisons))
        return config

    def with_levels(self, comparison: str, levels: Iterable[LevelConfig]) -> MatchConfig:
        """A copy with new m and u for the levels of one comparison (used by ``fit``)."""
        old = self.comparisons[comparison]
        new = ComparisonConfig(old.name, tuple(levels), old.term_frequency)
        _comparison(comparison, new.to_dict())  # validate
        comparisons = dict(self.comparisons)
        comparisons[comparison] = new
        return attrs.evolve(self, comparisons=comparisons)

    @property
    def prior_weight(self) -> float:
        """The prior as a weight in bits: ``log2(prior / (1 - prior))``."""
        return math.log2(self.prior / (1.0 - self.prior))


def _probability(
    data: Mapping[str, Any],
    key: str,
    fallback: float | None,
    *,
    open_top: bool = False,
    closed_top: bool = False,
    where: str = "",
) -> float:
    value = data.get(key, fallback)
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok:
        v = _float(value)
        ok = math.isfinite(v) and v > 0.0 and (v <= 1.0 if closed_top else v < 1.0)
    if not ok:
        raise ConfigError(f"{where}{key}: must be a number between 0 and 1")
    return float(value)


def _float(value: float) -> float:
    """``value`` as a float; an int too large for one is infinite (not OverflowError)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


_COUNTED = frozenset({"given_name", "family_name", "date_of_birth"})
"""The comparisons whose values :class:`~uln.matching.TermFrequencies` counts."""


def _comparison(name: str, spec: Any) -> ComparisonConfig:
    where = f"comparisons.{name}"
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: must be a table with a list of levels, or false")
    for key in spec:
        if key not in ("levels", "term_frequency"):
            raise ConfigError(f"{where}.{key}: unknown key; known: levels, term_frequency")
    tf = spec.get("term_frequency", False)
    if not isinstance(tf, bool):
        raise ConfigError(f"{where}.term_frequency: must be true or false")
    if tf and "exact" not in LEVELS[name]:
        raise ConfigError(f"{where}.term_frequency: this comparison has no exact level")
    if tf and name not in _COUNTED:
        raise ConfigError(
            f"{where}.term_frequency: values are counted for given_name, family_name and "
            "date_of_birth only"
        )
    raw_levels = spec.get("levels")
    if not isinstance(raw_levels, list | tuple) or not raw_levels:
        raise ConfigError(f"{where}.levels: must be a non-empty list of levels")
    known = LEVELS[name]
    levels: list[LevelConfig] = []
    position = -1
    for i, raw in enumerate(raw_levels):
        here = f"{where}.levels[{i}]"
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{here}: must be a table with name, m and u")
        for key in raw:
            if key not in ("name", "m", "u", "weight"):
                raise ConfigError(f"{here}.{key}: unknown key; known: m, name, u, weight")
        level_name = raw.get("name")
        if level_name == MISSING:
            raise ConfigError(f"{here}.name: the missing level always weighs 0; leave it out")
        if level_name not in known:
            raise ConfigError(f"{here}.name: unknown level; known: {', '.join(known)}")
        index = known.index(level_name)
        if index <= position:
            raise ConfigError(f"{here}.name: levels must be unique and in the order {known}")
        position = index
        m = (
            _probability(raw, "m", None, closed_top=True, where=f"{here}.")
            if "m" in raw or "weight" not in raw
            else 1.0
        )
        u = (
            _probability(raw, "u", None, closed_top=True, where=f"{here}.")
            if "u" in raw or "weight" not in raw
            else 1.0
        )
        fixed = raw.get("weight")
        if fixed is not None and (
            isinstance(fixed, bool)
            or not isinstance(fixed, int | float)
            or not math.isfinite(_float(fixed))
        ):
            raise ConfigError(f"{here}.weight: must be a finite number of bits")
        levels.append(LevelConfig(str(level_name), m, u, None if fixed is None else float(fixed)))
    if levels[-1].name != known[-1]:
        raise ConfigError(f"{where}.levels: the last level must be {known[-1]!r} (the rest)")
    return ComparisonConfig(name, tuple(levels), tf)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(type(value).__name__)  # pragma: no cover - to_dict makes none


def _dump_toml(data: Mapping[str, Any]) -> str:
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if k != "comparisons"]
    for name, spec in data["comparisons"].items():
        lines += ["", f"[comparisons.{name}]"]
        for key, value in spec.items():
            if key == "levels":
                lines.append("levels = [")
                lines += [f"    {_toml_value(level)}," for level in value]
                lines.append("]")
            else:
                lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


@cache
def _default() -> MatchConfig:
    text = resources.files("uln.matching").joinpath("default_config.toml").read_text("utf-8")
    data = tomllib.loads(text)
    comparisons = {name: _comparison(name, spec) for name, spec in data["comparisons"].items()}
    base = MatchConfig(comparisons=comparisons)
    return MatchConfig.from_dict({k: v for k, v in data.items() if k != "comparisons"}, base=base)
