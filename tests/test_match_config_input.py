"""A MatchConfig from hostile input raises ConfigError naming the key, never a built-in error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from uln.errors import ConfigError
from uln.matching import MatchConfig

HUGE = 10**400


def gender(level: dict[str, Any]) -> dict[str, Any]:
    return {
        "comparisons": {"gender": {"levels": [level, {"name": "disagree", "m": 0.1, "u": 0.5}]}}
    }


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"prior": HUGE}, "prior"),
        ({"match_threshold": -HUGE}, "match_threshold"),
        (gender({"name": "agree", "m": HUGE, "u": 0.5}), "comparisons.gender.levels[0].m"),
        (gender({"name": "agree", "weight": HUGE}), "comparisons.gender.levels[0].weight"),
        (gender({"name": "agree", "weight": -HUGE}), "comparisons.gender.levels[0].weight"),
        ({"prior": b"\x00\xff"}, "prior"),
    ],
)
def test_out_of_range_and_binary_values_name_their_key(data: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{_escape(key)}: must be"):
        MatchConfig.from_dict(data)


def _escape(text: str) -> str:
    return text.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")


def test_evolve_with_a_huge_number() -> None:
    with pytest.raises(ConfigError, match="prior: must be a number between 0 and 1"):
        MatchConfig.default().evolve(prior=HUGE)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("deep.json", b"[" * 100_000 + b"]" * 100_000, "not valid JSON: nested too deeply"),
        (
            "deep.toml",
            b"a = " + b"[" * 100_000 + b"]" * 100_000,
            "not valid TOML: nested too deeply",
        ),
        ("big.json", b'{"prior": ' + b"9" * 5000 + b"}", "not valid JSON"),
        ("big.toml", b"prior = 1" + b"0" * 400, "prior: must be a number between 0 and 1"),
        (
            "image.toml",
            b"\x89PNG\r\n\x1a\n\x00\xff\xfe",
            "image.toml: the configuration file is not UTF-8",
        ),
        (
            "image.json",
            b"\x89PNG\r\n\x1a\n\x00\xff\xfe",
            "image.json: the configuration file is not UTF-8",
        ),
        ("nul.toml", b"prior = 0.1\x00", "not valid TOML"),
    ],
)
def test_hostile_files_raise_config_error(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=message):
        MatchConfig.load(path)


def test_from_toml_wants_text() -> None:
    with pytest.raises(ConfigError, match="text: must be a str of TOML, not bytes"):
        MatchConfig.from_toml(b"prior = 0.1")  # type: ignore[arg-type]
