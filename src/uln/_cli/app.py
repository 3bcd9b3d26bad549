"""The click commands of ``uln``."""

from __future__ import annotations

import json
import random
import re
import sys
from collections.abc import Iterator
from typing import Any, Final

import click

import uln
from uln import checkdigit
from uln.cli import stop_on_broken_pipe
from uln.errors import ValidationError


class _Group(click.Group):
    """The ``uln`` group: a closed standard output (``uln dedupe FILE | head``) ends any
    command quietly with status 141, whichever command was streaming (click alone would
    exit 1, which ``uln validate`` uses for "some value invalid")."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:  # --help and --version print while the arguments are parsed
            return super().make_context(*args, **kwargs)
        except BrokenPipeError:
            stop_on_broken_pipe()

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            stop_on_broken_pipe()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(uln.__version__, "-V", "--version", prog_name="uln")
def cli() -> None:
    """Work with Unique Learner Numbers and LRS learner data."""


def _values(values: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """Each value with where it came from (``argument 2``, ``line 7``).

    Standard input is read as UTF-8 (a byte order mark is dropped, bytes that are not
    UTF-8 cannot make a valid ULN anyway); a first line ``ULN`` is a heading, skipped.
    """
    for position, value in enumerate(values, 1):
        if value == "-":
            stdin = getattr(sys.stdin, "buffer", sys.stdin)
            for number, raw in enumerate(stdin, 1):
                text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
                line = text.rstrip("\r\n")
                if number == 1:
                    line = line.removeprefix("\ufeff")
                    if line.strip().upper() == "ULN":
                        continue
                if line.strip():
                    yield line, f"line {number}"
        else:
            yield value, f"argument {position}"


_ULN_SHAPED: Final = re.compile(r"[0-9]{10}")


def _shown(value: str) -> str | None:
    """The value as it may be printed: only when it has the shape of a ULN (ten
    digits); anything else may be personal data, or a terminal escape sequence."""
    value = value.strip()
    return value if _ULN_SHAPED.fullmatch(value) else None


@cli.command()
@click.argument("values", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per value.")
@click.option(
    "--allow-placeholder",
    is_flag=True,
    help="Accept the ILR placeholder 9999999999 ('ULN not yet known').",
)
def validate(values: tuple[str, ...], as_json: bool, allow_placeholder: bool) -> None:
    """Check ULNs given as arguments, or one per line on standard input with '-'.

    Prints one line per value and exits with status 1 when any is invalid. A value
    that is not ten digits is shown by its place only (``line 7``), never echoed.
    """
    any_invalid = False
    for value, where in _values(values):
        try:
            canonical: str | None = checkdigit.validate(value, allow_placeholder=allow_placeholder)
            error: ValidationError | None = None
        except ValidationError as exc:
            canonical, error = None, exc
            any_invalid = True
        shown = _shown(value)
        if as_json:
            record = {
                "value": shown,
                "where": where,
                "valid": error is None,
                "uln": canonical,
                "error": type(error).__name__ if error else None,
                "reason": error.rule if error else None,
            }
            click.echo(json.dumps(record, ensure_ascii=True))
        elif error is None:
            click.echo(f"{canonical}\tvalid")
        else:
            click.echo(f"{shown or where}\tinvalid: {error.rule}")
    if any_invalid:
        raise SystemExit(1)


@cli.command()
@click.option("-n", "--count", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", type=int, default=None, help="Make the output reproducible.")
def generate(count: int, seed: int | None) -> None:
    """Print random valid ULNs, one per line (test data; the LRS issues real ones)."""
    rng = random.Random(seed) if seed is not None else None
    for _ in range(count):
        click.echo(checkdigit.generate(rng))


# The matching commands (uln._cli.matching): dedupe, link, match-eval.
from uln._cli.matching import commands as _matching_commands  # noqa: E402

for _command in _matching_commands():
    cli.add_command(_command)

# The batch-file commands (uln.batch._cli): uln batch check | new | show.
from uln.batch._cli import batch_group  # noqa: E402

cli.add_command(batch_group())

# The register commands (uln._cli.register): uln register init | import | show, find, verify.
from uln._cli.register import commands as _register_commands  # noqa: E402

for _command in _register_commands():
    cli.add_command(_command)

# The learning-record commands (uln._cli.plr): uln plr show | add-event, uln org add |
# add-user, uln privacy-notice.
from uln._cli.plr import commands as _plr_commands  # noqa: E402

for _command in _plr_commands():
    cli.add_command(_command)
