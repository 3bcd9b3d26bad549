"""The ``uln register`` commands (init, import, export, show), ``uln find`` and ``uln verify``.

Each opens a register by URL: ``--register URL``, else the ``ULN_REGISTER``
environment variable, else the embedded SQLite register ``./uln.sqlite3``. A plain
file path is taken as an SQLite register. Errors are reported by field and line,
never with a learner's details; ``find`` and ``show`` print the learners asked for.

>>> import tempfile
>>> from click.testing import CliRunner
>>> runner = CliRunner()
>>> result = runner.invoke(register_group, ["init", "memory://"])
>>> print(result.output, end="")
register ready (memory): 0 learners
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import click

from uln.batch._csvio import restore, write_rows
from uln.errors import DuplicateLearner, InvalidRecord, UlnError
from uln.learner import FIELDS, Learner
from uln.register import LearnerRegister, Result
from uln.register import open as open_register

__all__ = [
    "DEFAULT_ORGANISATION",
    "DEFAULT_REGISTER",
    "EXPORT_COLUMNS",
    "commands",
    "find",
    "register_group",
    "verify",
]

DEFAULT_REGISTER: Final = "sqlite:///uln.sqlite3"
"""The register used when neither ``--register`` nor ``ULN_REGISTER`` names one."""

DEFAULT_ORGANISATION: Final = "TEST0001"
"""The UKPRN recorded in the audit history when ``--organisation`` is not given (an LRS
test organisation id, so it is never mistaken for a real provider) [ours]."""

_CHUNK: Final = 2_000
"""Rows imported per transaction (learners with a ULN written together, see
:meth:`LearnerRegister.load_many`)."""

register_option = click.option(
    "--register",
    "url",
    envvar="ULN_REGISTER",
    default=DEFAULT_REGISTER,
    show_default=True,
    help="The register's URL (memory://, sqlite:///path, postgresql+psycopg://..., "
    "mysql+pymysql://...) or an SQLite file; ULN_REGISTER overrides the default.",
)


def register_url(value: str) -> str:
    """The register's URL: a plain path is an SQLite file."""
    return value if "://" in value else f"sqlite:///{value}"


def where(url: str) -> str:
    """The register's URL as it may be printed: the scheme, and the file for SQLite
    (the rest of a server URL may hold a password).

    >>> where("sqlite:///uln.sqlite3"), where("postgresql+psycopg://me:secret@db/uln")
    ('uln.sqlite3', 'postgresql+psycopg')
    """
    scheme = url.partition(":")[0]
    if scheme.startswith("sqlite"):
        return url.partition(":///")[2] or scheme
    return scheme


def _open(url: str) -> LearnerRegister:
    try:
        return open_register(register_url(url))
    except UlnError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("register")
def register_group() -> None:
    """Keep a learner register: create it, import and export learners, show one."""


@register_group.command("init")
@click.argument("url", required=False, envvar="ULN_REGISTER", default=DEFAULT_REGISTER)
def init(url: str) -> None:
    """Create the register at URL (or upgrade its schema); default ./uln.sqlite3."""
    with _open(url) as register:
        count = register.count()
    click.echo(f"register ready ({where(register_url(url))}): {count} learners")


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise click.ClickException(f"{path.name}: the file has no heading row")
        for row in reader:
            # a cell a spreadsheet would run as a formula was written with an apostrophe
            # before it (``uln register export``, the batch writers): read it as it was
            yield (
                reader.line_num,
                {k: restore(v) for k, v in row.items() if isinstance(k, str) and v is not None},
            )


_SUMMARY: Final = {
    "WSRC0005": "registered",
    "WSRC0004": "already registered (one clear match, existing ULN kept)",
    "WSRC0021": "already registered (same mandatory fields)",
    "WSRC0003": "possible matches: exceptions opened",
    "WSRC0002": "too many matches: exceptions opened",
    "WSRC0015": "insufficient data",
}


@register_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@register_option
@click.option(
    "--organisation",
    default=DEFAULT_ORGANISATION,
    show_default=True,
    help="The UKPRN recorded in the audit history.",
)
@click.option("--force", is_flag=True, help="Issue new ULNs even when similar learners exist.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def import_(file: Path, url: str, organisation: str, force: bool, quiet: bool) -> None:
    """Load learners from a CSV file with a heading row (LRS or snake_case names).

    Rows with a valid ULN are stored under it; rows without one are searched for and
    given a new ULN. Rows that fail are reported by line and field, and the rest are
    loaded. Exits 1 when any row was rejected.
    """
    counts: Counter[str] = Counter()
    rejected = 0
    show = not quiet and sys.stderr.isatty()
    with _open(url) as register:
        length = _count_lines(file) if show else 0
        bar: Any = click.progressbar(length=length, label="importing", file=sys.stderr)
        with bar if show else _NoBar():
            for chunk in _chunks(_rows(file), _CHUNK):
                lines: list[int] = []
                learners: list[Learner] = []
                problems: list[tuple[int, UlnError]] = []
                for line, row in chunk:
                    try:
                        learners.append(Learner.from_raw(row, line=line))
                        lines.append(line)
                    except UlnError as exc:
                        problems.append((line, exc))
                with register.transaction():
                    outcomes = list(
                        register.load_many(learners, organisation=organisation, force=force)
                    )
                for line, outcome in zip(lines, outcomes, strict=True):
                    if isinstance(outcome, UlnError):
                        problems.append((line, outcome))
                    else:
                        counts[outcome.code] += 1
                for line, problem_error in sorted(problems, key=lambda problem: problem[0]):
                    _report(line, problem_error)
                rejected += len(problems)
                if show:
                    bar.update(len(chunk))
        total = register.count()
    for code, label in _SUMMARY.items():
        if counts[code]:
            click.echo(f"{counts[code]:>8}  {label} ({code})")
    if rejected:
        click.echo(f"{rejected:>8}  rows rejected (see above)")
    click.echo(f"{total:>8}  learners in the register")
    if rejected:
        raise SystemExit(1)


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _count_lines(path: Path) -> int:
    """The number of lines after the heading (the rows, for the progress bar)."""
    with path.open("rb") as handle:
        return max(
            0, sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b"")) - 1
        )


def _chunks(
    rows: Iterator[tuple[int, dict[str, str]]], size: int
) -> Iterator[list[tuple[int, dict[str, str]]]]:
    chunk: list[tuple[int, dict[str, str]]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _report(line: int, exc: UlnError) -> None:
    """A row's problem by line and field, never its values."""
    if isinstance(exc, InvalidRecord):
        for problem in exc.problems:
            click.echo(f"line {line}: {problem.field}: {problem.rule}", err=True)
    elif isinstance(exc, DuplicateLearner):
        click.echo(f"line {line}: ULN: {exc}", err=True)
    else:
        click.echo(f"line {line}: {exc}", err=True)


def _describe(learner: Learner) -> str:
    d = learner.demographics
    dob = d.date_of_birth.isoformat() if d.date_of_birth else ""
    gender = str(int(d.gender)) if d.gender is not None else ""
    linked = f"  linked: {','.join(learner.linked_ulns)}" if learner.linked_ulns else ""
    return f"{learner.uln}  {d.given_name} {d.family_name}  {dob}  {gender}  {d.postcode}{linked}"


def _print_result(result: Result, as_json: bool) -> None:
    if as_json:
        click.echo(
            json.dumps(
                {
                    "code": result.code,
                    "meaning": result.meaning,
                    "uln": result.uln,
                    "learners": [learner.to_dict() for learner in result.learners],
                    "linked_ulns": list(result.linked_ulns),
                    "failure_flags": list(result.failure_flags),
                },
                ensure_ascii=False,
            )
        )
        return
    flags = f"  flags: {' '.join(result.failure_flags)}" if result.failure_flags else ""
    uln = f"  {result.uln}" if result.uln and not result.learners else ""
    click.echo(f"{result.code}  {result.meaning}{uln}{flags}")
    for learner in result.learners:
        click.echo(_describe(learner))


@click.command()
@click.option("--given", required=True, help="Given name.")
@click.option("--family", required=True, help="Family name.")
@click.option("--dob", required=True, help="Date of birth (YYYY-MM-DD).")
@click.option("--gender", required=True, help="Gender: 0, 1, 2, 9 (or a word: female ...).")
@click.option("--postcode", required=True, help="Last known postcode.")
@click.option("--previous-family", default=None, help="Previous family name.")
@click.option("--email", default=None, help="Email address.")
@register_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def find(
    given: str,
    family: str,
    dob: str,
    gender: str,
    postcode: str,
    previous_family: str | None,
    email: str | None,
    url: str,
    as_json: bool,
) -> None:
    """Find a learner by demographics; exits 1 when no learner is returned."""
    row = {
        "GivenName": given,
        "FamilyName": family,
        "DateOfBirth": dob,
        "Gender": gender,
        "LastKnownPostCode": postcode,
        "PreviousFamilyName": previous_family,
        "EmailAddress": email,
    }
    with _open(url) as register:
        try:
            result = register.find_by_demographics(row)
        except UlnError as exc:
            raise click.ClickException(str(exc)) from None
    _print_result(result, as_json)
    if not result.learners:
        raise SystemExit(1)


@click.command()
@click.argument("uln")
@click.option("--given", required=True, help="Given name.")
@click.option("--family", required=True, help="Family name.")
@click.option("--dob", default=None, help="Date of birth (YYYY-MM-DD).")
@click.option("--gender", default=None, help="Gender: 0, 1, 2, 9.")
@register_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify(
    uln: str,
    given: str,
    family: str,
    dob: str | None,
    gender: str | None,
    url: str,
    as_json: bool,
) -> None:
    """Verify a ULN against names (and date of birth, gender); exits 1 unless it matches
    or is similar (WSVRC001..004)."""
    with _open(url) as register:
        try:
            result = register.verify_learner(uln, given, family, dob, gender)
        except UlnError as exc:
            raise click.ClickException(str(exc)) from None
    _print_result(result, as_json)
    if result.code not in ("WSVRC001", "WSVRC002", "WSVRC003", "WSVRC004"):
        raise SystemExit(1)


EXPORT_COLUMNS: Final[tuple[str, ...]] = (
    "ULN",
    *(spec.lrs_name for spec in FIELDS if spec.record == "demographics"),
    *(
        spec.lrs_name
        for spec in FIELDS
        if spec.record == "learner"
        and spec.lrs_name not in ("ULN", "VersionNumber", "Updated", "MasterULN", "LinkedULNs")
    ),
)
"""The columns of ``uln register export``: the ULN, every demographic field and the
learner's own fields under their LRS names, as ``uln register import`` reads them
[ours]. Versions, links and the last update belong to the register that holds the
learner, so they are not written; ``Created`` is (an import keeps it)."""


@register_group.command("export")
@register_option
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Write to FILE (default: standard output). FILE is written in full or not at all.",
)
@click.option("--force", is_flag=True, help="Replace FILE when it exists (default: refuse).")
def export(url: str, output: str | None, force: bool) -> None:
    """Write the register's learners as CSV, a row each in ULN order, under LRS headings.

    `uln register import` reads the file back into another register with the same
    ULNs and details. A record linked to a master (merged into it) is left out: its
    master is written, and the other register will not know its ULN. The file holds
    personal data: keep it as safe as the register. Cells a spreadsheet would run as
    formulas are written with an apostrophe before them, which import removes.
    """
    from uln._cli.matching import _output

    written = linked = 0
    with _open(url) as register, _output(output, force, []) as stream:
        rows: list[list[str]] = [list(EXPORT_COLUMNS)]
        for learner in register:
            if learner.master_uln is not None:
                linked += 1
                continue
            raw = learner.to_raw()
            rows.append([raw.get(column, "") for column in EXPORT_COLUMNS])
            written += 1
            if len(rows) >= _CHUNK:
                write_rows(stream, rows)
                rows.clear()
        write_rows(stream, rows)
    left_out = f"; {linked} linked records left out (their masters are written)" if linked else ""
    click.echo(f"{written} learners written{left_out}", err=True)


@register_group.command("show")
@click.argument("uln")
@register_option
def show(uln: str, url: str) -> None:
    """Show a learner's record, its links and its audit history."""
    with _open(url) as register:
        try:
            learner = register.get(uln)
        except UlnError as exc:
            raise click.ClickException(str(exc)) from None
        if learner is None:
            raise click.ClickException("no learner has this ULN")
        assert learner.uln is not None
        events = register.audit(uln=learner.uln)
        versions = len(register.history(learner.uln))
    click.echo(f"ULN: {learner.uln}")
    click.echo(f"VersionNumber: {learner.version} ({versions} kept)")
    for name, value in learner.to_raw().items():
        if name not in ("ULN", "VersionNumber", "LinkedULNs"):
            click.echo(f"{name}: {value}")
    if learner.linked_ulns:
        click.echo(f"LinkedULNs: {', '.join(learner.linked_ulns)}")
    click.echo("history:")
    for event in events:
        fields = f" ({', '.join(event.fields)})" if event.fields else ""
        click.echo(f"  {event.at.isoformat()}  {event.organisation}  {event.action}{fields}")


def commands() -> list[click.Command]:
    """The commands to add to ``uln``: the ``register`` group, ``find`` and ``verify``."""
    return [register_group, find, verify]
