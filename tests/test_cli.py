"""The `uln` command: validate, generate, version, and the hint when click is missing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

import uln
from uln._cli.app import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_validate_valid(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", "3344556680"])
    assert result.exit_code == 0
    assert result.output == "3344556680\tvalid\n"


def test_validate_invalid_says_why(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", "3344556680", "0000000042"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "3344556680\tvalid",
        "0000000042\tinvalid: the first digit must not be 0",
    ]


def test_validate_from_stdin_as_json(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["validate", "--json", "-"], input="3344556680\r\n\n1234567890\n9999999999\n"
    )
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["valid"] for r in rows] == [True, False, False]
    assert rows[1]["error"] == "InvalidChecksum"
    assert rows[0]["uln"] == "3344556680"


def test_validate_placeholder_when_asked(runner: CliRunner) -> None:
    assert runner.invoke(cli, ["validate", "9999999999"]).exit_code == 1
    assert runner.invoke(cli, ["validate", "--allow-placeholder", "9999999999"]).exit_code == 0


def test_generate_is_reproducible(runner: CliRunner) -> None:
    first = runner.invoke(cli, ["generate", "-n", "5", "--seed", "42"])
    second = runner.invoke(cli, ["generate", "-n", "5", "--seed", "42"])
    assert first.exit_code == 0
    assert first.output == second.output
    values = first.output.split()
    assert len(values) == 5
    assert all(uln.is_valid(v) for v in values)


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert uln.__version__ in result.output


def test_missing_click_gives_install_hint() -> None:
    code = (
        "import sys; sys.modules['click'] = None\n"
        "from uln.cli import main\n"
        "main(['validate', '3344556680'])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert 'pip install "uln[cli]"' in proc.stderr


def test_console_script_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "from uln.cli import main; main(['validate', '0000000042'])"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "first digit" in proc.stdout
