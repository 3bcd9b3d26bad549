"""The ``uln batch`` commands: check a file, make a request from an MIS export, show output.

Needs click (the ``cli`` extra); nothing else in :mod:`uln.batch` imports this module.
Problems are printed as ``FILE: line L, column C: CODE Field: rule``; no learner's
names, dates of birth, postcodes or emails are ever printed.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import click

from uln.batch import _csvio, read_output, stream, write_request
from uln.batch._check import RowChecker
from uln.batch._model import Batch, Entry, Header
from uln.batch._read import BatchReader
from uln.batch._source import Lines, Opened
from uln.batch.codes import RETURN_CODES
from uln.batch.spec import EXPORT_ALIASES, VERSIONS, WRITE_DEFAULTS, Layout
from uln.errors import BatchError, Problem
from uln.learner import Learner

__all__ = ["batch_group", "export_columns"]


def _where(line: int | None, column: int | None) -> str:
    parts = []
    if line is not None:
        parts.append(f"line {line}")
    if column is not None:
        parts.append(f"column {column}")
    return ", ".join(parts)


def _say(name: str, where: str, text: str) -> None:
    click.echo(f"{name}: {where}: {text}" if where else f"{name}: {text}")


def _say_entry(name: str, entry: Entry) -> None:
    code = entry.code or entry.return_code or ""
    for p in entry.problems:
        _say(name, _where(p.line, p.column), f"{code} {p.field}: {p.rule}")


def _say_problem(name: str, problem: Problem) -> None:
    _say(name, _where(problem.line, problem.column), f"{problem.field}: {problem.rule}")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@click.group(name="batch")
def _group() -> None:
    """Read, check and write LRS batch files (CSV or XML, versions 2A and 3A)."""


def batch_group() -> click.Group:
    """Return the ``batch`` command group, for ``uln.cli`` to add.

    >>> from click.testing import CliRunner
    >>> result = CliRunner().invoke(batch_group(), ["--help"])
    >>> "check" in result.output and "new" in result.output and "show" in result.output
    True
    """
    return _group


def _date(value: str | None) -> _dt.date | None:
    if value is None:
        return None
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("write the date as YYYY-MM-DD") from None


@_group.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--on",
    "on",
    metavar="YYYY-MM-DD",
    help="The processing date for the age rule 13..110 (default: today).",
)
def check(file: Path, on: str | None) -> None:
    """Check a registration or verify batch FILE and print every problem.

    Each problem is printed with its line, column, return code, field and rule,
    then duplicates, problems of the file as a whole and a summary. Exits with
    status 1 when there is any problem.
    """
    name = file.name
    try:
        with stream(file, kind=None, on=_date(on)) as reader:
            if reader.kind == "output":
                _say(name, "", "an output file: summarise it with uln batch show")
                raise SystemExit(1)
            entries = _checked(reader, name)
    except BatchError as exc:
        _say(name, _where(exc.line, None), f"cannot be read: {exc.reason}")
        raise SystemExit(1) from None
    header = reader.header
    assert isinstance(header, Header)
    batch = Batch(
        header, entries, tuple(reader.errors), reader.format, reader.encoding, reader.layout
    )
    duplicates = batch.duplicates
    for problem in duplicates:
        _say(name, _where(problem.line, None), f"duplicate {problem.field}: {problem.rule}")
    for problem in batch.errors:
        _say_problem(name, problem)
    codes = batch.codes
    bad = sum(codes.values())
    by_code = ", ".join(f"{code}: {n}" for code, n in sorted(codes.items()))
    click.echo(
        f"{name}: {batch.layout.kind} batch {batch.version}, {batch.format}, {batch.encoding}: "
        f"{_plural(len(entries), 'learner')}, {len(entries) - bad} good, {bad} with problems"
        + (f" ({by_code})" if by_code else "")
        + f"; {_plural(len(duplicates), 'duplicate')}; {_plural(len(batch.errors), 'file problem')}"
    )
    if bad or duplicates or batch.errors:
        raise SystemExit(1)


def _checked(reader: BatchReader, name: str) -> tuple[Entry, ...]:
    """Read every entry, printing the problems of each as it comes."""
    entries = []
    for entry in reader:
        _say_entry(name, entry)
        entries.append(entry)
    return tuple(entries)


# -- uln batch new --------------------------------------------------------------------


def _squash(heading: str) -> str:
    return "".join(ch for ch in heading.lower() if ch.isalnum())


def export_columns(headings: Sequence[str], layout: Layout) -> tuple[list[int | None], list[str]]:
    """Map the headings of an MIS export to the columns of ``layout``.

    A heading matches a column by its LRS name or attribute, ignoring case, spaces,
    underscores and dashes, or by :data:`~uln.batch.spec.EXPORT_ALIASES` [ours].
    Returns, for each layout column, the index of its export column (or ``None``),
    and the headings that matched nothing.

    >>> from uln.batch.spec import VERSIONS
    >>> found, ignored = export_columns(["Surname", "Forename", "DOB", "Shoe size"],
    ...                                 VERSIONS["2A"])
    >>> found[VERSIONS["2A"].position("FamilyName") - 1], ignored
    (0, ['Shoe size'])
    """
    by_key: dict[str, int] = {}
    for column in layout.columns:
        index = layout.position(column.name) - 1
        by_key.setdefault(_squash(column.name), index)
        by_key.setdefault(_squash(column.attribute), index)
    attributes = {c.attribute: layout.position(c.name) - 1 for c in layout.columns}
    for alias, name in EXPORT_ALIASES.items():
        attribute = VERSIONS["2A"].column(name).attribute
        if attribute in attributes:
            by_key.setdefault(_squash(alias), attributes[attribute])
    found: list[int | None] = [None] * len(layout.columns)
    ignored = []
    for i, heading in enumerate(headings):
        target = by_key.get(_squash(heading))
        if target is None or found[target] is not None:
            ignored.append(heading)
        else:
            found[target] = i
    return found, ignored


def _export_rows(
    opened: Opened,
) -> tuple[list[str], Iterable[tuple[int, list[str] | None, str | None, int | None]]]:
    """The headings of an MIS export, and its records (see :func:`_csvio.records`)."""
    lines = iter(Lines(opened))
    for number, text, problem in lines:
        if text is None:
            raise BatchError(f"the headings cannot be read: {problem}", line=number)
        if not text.strip(_csvio.BLANK):
            continue
        cells = _csvio.split_line(text)
        if not isinstance(cells, list):
            raise BatchError(f"the headings cannot be read: {cells[0]}", line=number)
        headings = [c.strip() for c in cells]
        return headings, _csvio.records(lines, len(headings))
    raise BatchError("the export is empty")


@_group.command()
@click.argument("export", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--ukprn", required=True, help="Your organisation's UKPRN.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default=True,
    help="The folder to write the request in (it is named by the LRS rule).",
)
@click.option(
    "--version", "version", type=click.Choice(sorted(VERSIONS)), default="2A", show_default=True
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["CSV", "XML"], case_sensitive=False),
    default="CSV",
    show_default=True,
)
@click.option("--contact-email", help="An email address of your contact, for the header.")
@click.option(
    "--split", is_flag=True, help="Write several files when there are over 5,000 learners."
)
@click.option("--skip-bad", is_flag=True, help="Write the good rows even when some are bad.")
@click.option(
    "--on", "on", metavar="YYYY-MM-DD", help="The date for the age rule (default: today)."
)
def new(
    export: Path,
    ukprn: str,
    out: Path,
    version: str,
    fmt: str,
    contact_email: str | None,
    split: bool,
    skip_bad: bool,
    on: str | None,
) -> None:
    """Write a registration batch request from EXPORT, a CSV export of your MIS.

    Columns are matched by name (LRS names such as GivenName, or Forename, Surname,
    DOB, Sex, Postcode ...); dates may be day-first (18/04/2006) and genders words
    or letters. Every bad row is printed; then nothing is written (exit status 1)
    unless --skip-bad is given.
    """
    layout = VERSIONS[version]
    name = export.name
    when = _date(on) or _dt.date.today()
    try:
        with Opened(export) as opened:
            learners, bad = _read_export(opened, name, layout, when)
    except BatchError as exc:
        _say(name, _where(exc.line, None), exc.reason)
        raise SystemExit(1) from None
    if bad and not skip_bad:
        click.echo(
            f"{name}: {_plural(bad, 'bad row')}; nothing written (use --skip-bad to write the rest)"
        )
        raise SystemExit(1)
    try:
        written = write_request(
            learners,
            out,
            ukprn=ukprn,
            version=version,
            format=fmt,
            contact_email=contact_email,
            split=split,
        )
    except BatchError as exc:
        _say(name, "", f"cannot write the request: {exc.reason}")
        raise SystemExit(1) from None
    for path in written:
        click.echo(
            f"{path}: {_plural(len(learners), 'learner')} written"
            if len(written) == 1
            else str(path)
        )
    if bad:
        click.echo(f"{name}: {_plural(bad, 'bad row')} left out")
        raise SystemExit(1)


def _default(column: str, value: str) -> str:
    return value or WRITE_DEFAULTS.get(column, "")


def _read_export(
    opened: Opened, name: str, layout: Layout, when: _dt.date
) -> tuple[list[Learner], int]:
    """The learners of an MIS export, printing each bad row; and how many were bad."""
    headings, records = _export_rows(opened)
    found, ignored = export_columns(headings, layout)
    if ignored:
        click.echo(f"{name}: columns not used: {', '.join(ignored)}")
    missing = [
        c.name
        for c, i in zip(layout.columns, found, strict=True)
        if c.mandatory and i is None and c.name not in WRITE_DEFAULTS
    ]
    if missing:
        raise BatchError(f"no column for {', '.join(missing)}", line=1)
    checker = RowChecker(layout, on=when, lenient=True)
    learners: list[Learner] = []
    bad = 0
    for number, cells, problem, column in records:
        if cells is None:
            _say(name, _where(number, column), f"row: {problem}")
            bad += 1
            continue
        row = [cells[i].strip() if i is not None and i < len(cells) else "" for i in found]
        row = [_default(c.name, v) for c, v in zip(layout.columns, row, strict=True)]
        entry = checker.check(row, number)
        if entry.problems:
            bad += 1
            for p in entry.problems:
                index = found[layout.position(p.field) - 1] if p.field in layout.names else None
                where = _where(number, None if index is None else index + 1)
                _say(name, where, f"{entry.code} {p.field}: {p.rule}")
            continue
        assert entry.learner is not None
        learners.append(entry.learner)
    return learners, bad


# -- uln batch show -------------------------------------------------------------------


@_group.command()
@click.argument("output", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def show(output: Path) -> None:
    """Summarise an OUTPUT file: learners by return code, and the exceptions to resolve.

    Exceptions are listed by line, MIS identifier and ULN (no other personal data).
    Exits with status 1 when there are exceptions to resolve or the file has problems.
    """
    name = output.name
    try:
        batch = read_output(output)
    except BatchError as exc:
        _say(name, _where(exc.line, None), f"cannot be read: {exc.reason}")
        raise SystemExit(1) from None
    header = batch.header
    click.echo(
        f"{name}: output of {header.file_name or '(no name)'} (version {batch.version}), "
        f"job {header.job_status or 'status unknown'}"
        + (f", {header.started.isoformat()}" if header.started else "")
        + (f" to {header.finished.isoformat()}" if header.finished else "")
    )
    codes: Counter[str] = batch.return_codes
    click.echo(f"{_plural(len(batch.learners), 'learner')}:")
    for code in sorted(codes):
        click.echo(f"  {code}  {codes[code]:>5}  {RETURN_CODES[code].meaning}")
    unread = [e for e in batch.learners if e.return_code is None]
    if unread:
        click.echo(f"  ?      {len(unread):>5}  no readable return code")
    if header.counters:
        click.echo("counters: " + ", ".join(f"{k} {v}" for k, v in header.counters.items()))
    exceptions = batch.exceptions
    if exceptions:
        click.echo(f"exceptions to resolve ({len(exceptions)}):")
        for e in exceptions:
            code = e.return_code or ""
            click.echo(
                f"  line {e.line}  {code}  MISIdentifier {e.mis_identifier or '-'}  "
                f"ULN {e.uln or '-'}  {RETURN_CODES[code].meaning}"
            )
    for entry in unread:
        _say_entry(name, entry)
    for problem in batch.errors:
        _say_problem(name, problem)
    if exceptions or batch.errors or unread:
        raise SystemExit(1)
