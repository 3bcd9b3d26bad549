"""The ``uln batch`` commands: check a file, make a request from an MIS export, show output.

The commands that use a register (run, verify, exceptions, resolve) live in
:mod:`uln.batch._cli_run` and join the group in :func:`batch_group`.

Needs click (the ``cli`` extra); nothing else in :mod:`uln.batch` imports this module.
Problems are printed as ``FILE: line L, column C: CODE Field: rule``; no learner's
names, dates of birth, postcodes or emails are ever printed.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import click

from uln.batch import _csvio, stream, write_request
from uln.batch._check import RowChecker
from uln.batch._model import Duplicates, Entry, OutputBatch, OutputHeader
from uln.batch._read import BatchReader
from uln.batch._source import Lines, Opened
from uln.batch.codes import RETURN_CODES
from uln.batch.spec import VERSIONS, WRITE_DEFAULTS, Layout
from uln.errors import BatchError, OutputError, Problem, ValidationError
from uln.identifiers import ukprn as _ukprn
from uln.learner import Learner, field_for, heading_key

__all__ = ["batch_group", "export_columns"]


def _where(line: int | None, column: int | None) -> str:
    parts = []
    if line is not None:
        parts.append(f"line {line}")
    if column is not None:
        parts.append(f"column {column}")
    return ", ".join(parts)


_UNPRINTABLE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    r"""``text`` with control characters (ESC of terminal escape sequences included)
    written as ``\x1b``, so that printing it cannot drive the terminal.

    >>> print(printable("LRB_\x1b[2J.CSV"))
    LRB_\x1b[2J.CSV
    """
    if not _UNPRINTABLE.search(text):
        return text
    return _UNPRINTABLE.sub(lambda m: repr(m[0])[1:-1], text)


def _say(name: str, where: str, text: str) -> None:
    name = printable(name)
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
    >>> "run" in result.output and "resolve" in result.output
    True
    """
    from uln.batch._cli_run import commands  # the commands that open a register

    for command in commands():
        if command.name not in _group.commands:
            _group.add_command(command)
    return _group


class _Date(click.ParamType):  # type: ignore[type-arg]
    """A date option written ``YYYY-MM-DD``; click names the option in its error."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, _dt.date):
            return value
        try:
            return _dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail("write the date as YYYY-MM-DD", param, ctx)


_DATE: Final = _Date()


def _check_ukprn(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Check --ukprn before any row is read."""
    try:
        return _ukprn.validate(value, allow_test=True)
    except ValidationError as exc:
        raise click.BadParameter(exc.rule) from None


@_group.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--on",
    "on",
    type=_DATE,
    help="The processing date for the age rule 13..110 (default: today).",
)
def check(file: Path, on: _dt.date | None) -> None:
    """Check a registration or verify batch FILE and print every problem.

    Each problem is printed with its line, column, return code, field and rule,
    then duplicates, problems of the file as a whole and a summary. Exits with
    status 1 when there is any problem. The file is read one learner at a time:
    memory stays flat however long it is.
    """
    name = file.name
    try:
        with stream(file, kind=None, on=on) as reader:
            if reader.kind == "output":
                _say(name, "", "an output file: summarise it with uln batch show")
                raise SystemExit(1)
            count, codes, duplicates = _checked(reader, name)
    except BatchError as exc:
        _say(name, _where(exc.line, None), f"cannot be read: {exc.reason}")
        raise SystemExit(1) from None
    errors = reader.errors
    for problem in errors:
        _say_problem(name, problem)
    bad = sum(codes.values())
    by_code = ", ".join(f"{code}: {n}" for code, n in sorted(codes.items()))
    layout = reader.layout
    click.echo(
        f"{printable(name)}: {layout.kind} batch {layout.version}, {reader.format}, "
        f"{reader.encoding}: {_plural(count, 'learner')}, {count - bad} good, "
        f"{bad} with problems"
        + (f" ({by_code})" if by_code else "")
        + f"; {_plural(duplicates, 'duplicate')}; {_plural(len(errors), 'file problem')}"
    )
    if bad or duplicates or errors:
        raise SystemExit(1)


def _checked(reader: BatchReader, name: str) -> tuple[int, Counter[str], int]:
    """Read every entry, printing its problems and whether it repeats an earlier one;
    return the count of entries, of each code, and of duplicates. Holds no entry."""
    count = 0
    codes: Counter[str] = Counter()
    finder = Duplicates(compact=True)
    duplicates = 0
    for entry in reader:
        count += 1
        _say_entry(name, entry)
        if entry.code is not None:
            codes[entry.code] += 1
        for problem in finder.check(entry):
            duplicates += 1
            _say(name, _where(problem.line, None), f"duplicate {problem.field}: {problem.rule}")
    return count, codes, duplicates


# -- uln batch new --------------------------------------------------------------------


def export_columns(
    headings: Sequence[str], layout: Layout, mapping: Mapping[str, str] | None = None
) -> tuple[list[int | None], list[str]]:
    """Map the headings of an MIS export to the columns of ``layout``.

    A heading matches a column by its LRS name, attribute or alias, ignoring case,
    spaces and punctuation (:func:`uln.learner.field_for`, one vocabulary for the
    whole library: ``Forename``, ``Surname``, ``DOB``, ``Sex``, ``Student Ref`` ...).
    ``mapping`` (from ``--map FIELD=COLUMN``) names a column for a field first.
    Returns, for each layout column, the index of its export column (or ``None``),
    and the headings that matched nothing.

    >>> from uln.batch.spec import VERSIONS
    >>> found, ignored = export_columns(["Surname", "Forename", "DOB", "Shoe size"],
    ...                                 VERSIONS["2A"])
    >>> found[VERSIONS["2A"].position("FamilyName") - 1], ignored
    (0, ['Shoe size'])
    >>> found, _ = export_columns(["Name 1", "Name 2"], VERSIONS["2A"],
    ...                           {"GivenName": "Name 1", "family_name": "name2"})
    >>> found[VERSIONS["2A"].position("FamilyName") - 1]
    1

    Raises:
        BatchError: a ``mapping`` field is not a column of ``layout``, or its column
            is not among the headings.
    """
    by_attribute = {c.attribute: i for i, c in enumerate(layout.columns)}
    found: list[int | None] = [None] * len(layout.columns)
    taken: set[int] = set()
    for field, column in (mapping or {}).items():
        spec = field_for(field)
        if spec is None or spec.attr not in by_attribute:
            raise BatchError(f"--map {field}=...: not a column of a {layout.version} batch")
        index = _heading_index(headings, column)
        if index is None:
            raise BatchError(f"--map ...={column}: the export has no such column")
        found[by_attribute[spec.attr]] = index
        taken.add(index)
    ignored = []
    for i, heading in enumerate(headings):
        if i in taken:
            continue
        spec = field_for(heading)
        target = by_attribute.get(spec.attr) if spec is not None else None
        if target is None or found[target] is not None:
            ignored.append(heading)
        else:
            found[target] = i
    return found, ignored


def _heading_index(headings: Sequence[str], wanted: str) -> int | None:
    if wanted in headings:
        return headings.index(wanted)
    key = heading_key(wanted)
    return next((i for i, h in enumerate(headings) if heading_key(h) == key), None)


_DATA_LIKE: Final = re.compile(
    r"[0-9]{1,4}[/.-][0-9]{1,2}[/.-][0-9]{1,4}"  # a date
    r"|[^@\s]+@[^@\s]+"  # an email address
    r"|[A-Za-z]{1,2}[0-9][0-9A-Za-z]?\s*[0-9][A-Za-z]{2}"  # a postcode
    r"|[0-9]{4,}"  # a long number (a ULN, an id)
)


def looks_like_data(heading: str) -> bool:
    """Whether a heading looks like a value (a date, an email address, a postcode, a
    long number) rather than a column name: such a "heading" is personal data.

    >>> looks_like_data("07/06/2005"), looks_like_data("LL57 2DG"), looks_like_data("DOB")
    (True, True, False)
    """
    return _DATA_LIKE.search(heading) is not None


_NOT_HEADINGS: Final = (
    "the first row does not look like headings (it names no column the LRS needs, such "
    "as Forename, Surname, DOB, Sex, Postcode); the first row must name the columns"
)


def _shown(heading: str, index: int) -> str:
    """A heading as it may be printed: a value-like one by its position only."""
    return f"column {index + 1}" if looks_like_data(heading) else printable(heading)


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


def _mapping(values: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for value in values:
        field, sep, column = value.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise click.BadParameter("write FIELD=COLUMN, as in GivenName='First name'")
        mapping[field.strip()] = column.strip()
    return mapping


_SUMMARY_FROM: Final = 10
"""Print a count of the problems by rule when there are at least this many."""


@_group.command()
@click.argument("export", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--ukprn", required=True, callback=_check_ukprn, help="Your organisation's UKPRN.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    help="The folder to write the request in (it is named by the LRS rule). "
    "Default: the current folder.",
)
@click.option(
    "--version",
    "version",
    type=click.Choice(sorted(VERSIONS)),
    default="2A",
    help="The batch version. Default: 2A.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["CSV", "XML"], case_sensitive=False),
    default="CSV",
    help="The file format. Default: CSV.",
)
@click.option("--contact-email", help="An email address of your contact, for the header.")
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Read FIELD (GivenName, DOB, MISIdentifier ...) from the export's COLUMN; "
    "repeat for each column not named as the LRS or a usual export names it.",
)
@click.option(
    "--split", is_flag=True, help="Write several files when there are over 5,000 learners."
)
@click.option("--allow-small", is_flag=True, help="Write a batch of fewer than 50 learners.")
@click.option("--skip-bad", is_flag=True, help="Write the good rows even when some are bad.")
@click.option("--force", is_flag=True, help="Replace a batch file that exists.")
@click.option("--on", "on", type=_DATE, help="The date for the age rule (default: today).")
def new(
    export: Path,
    ukprn: str,
    out: Path,
    version: str,
    fmt: str,
    contact_email: str | None,
    maps: tuple[str, ...],
    split: bool,
    allow_small: bool,
    skip_bad: bool,
    force: bool,
    on: _dt.date | None,
) -> None:
    """Write a registration batch request from EXPORT, a CSV export of your MIS.

    Columns are matched by name (LRS names such as GivenName, or Forename, Surname,
    DOB, Sex, Postcode, Student Ref ...; --map names any other); dates may be
    day-first (18/04/2006) and genders words or letters. Every bad or repeated row is
    printed; then nothing is written (exit status 1) unless --skip-bad is given. An
    existing file is never replaced (unless --force): the name takes the next free
    minute.
    """
    layout = VERSIONS[version]
    name = export.name
    mapping = _mapping(maps)
    when = on or _dt.date.today()
    try:
        with Opened(export) as opened:
            learners, bad = _read_export(opened, name, layout, when, mapping)
    except BatchError as exc:
        _say(name, _where(exc.line, None), exc.reason)
        raise SystemExit(1) from None
    if bad and not skip_bad:
        _say(
            name,
            "",
            f"{_plural(bad, 'bad row')}; nothing written (use --skip-bad to write the rest)",
        )
        raise SystemExit(1)
    n = len(learners)
    refusal = None
    if not learners:
        refusal = "there are no learners to write"
    elif n > layout.max_learners and not split:
        refusal = (
            f"{n} learners are more than the {layout.max_learners} a batch may hold; "
            "use --split to write several files"
        )
    elif n < layout.min_learners and not allow_small:
        refusal = (
            f"{n} learners are fewer than the {layout.min_learners} a batch holds; "
            "use --allow-small to write it anyway"
        )
    if refusal is not None:
        _say(name, "", f"nothing written: {refusal}")
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
            allow_small=allow_small,
            on=when,
            overwrite=force,
        )
    except OutputError as exc:
        _say(name, "", f"cannot write the request: {exc}" + ("" if force else "; nothing written"))
        raise SystemExit(1) from None
    except BatchError as exc:
        _say(name, "", f"cannot write the request: {exc.reason}")
        raise SystemExit(1) from None
    for path in written:
        click.echo(
            f"{printable(str(path))}: {_plural(len(learners), 'learner')} written"
            if len(written) == 1
            else printable(str(path))
        )
    if bad:
        _say(name, "", f"{_plural(bad, 'bad row')} left out")
        raise SystemExit(1)


def _default(column: str, value: str) -> str:
    return value or WRITE_DEFAULTS.get(column, "")


def _read_export(
    opened: Opened,
    name: str,
    layout: Layout,
    when: _dt.date,
    mapping: Mapping[str, str] | None = None,
) -> tuple[list[Learner], int]:
    """The learners of an MIS export, printing each bad or repeated row; and how many
    rows were left out."""
    headings, records = _export_rows(opened)
    found, ignored = export_columns(headings, layout, mapping)
    if all(i is None for i in found) or sum(map(looks_like_data, headings)) >= 2:
        raise BatchError(_NOT_HEADINGS, line=1)
    if ignored:
        shown = [_shown(h, headings.index(h)) for h in ignored]
        _say(name, "", f"columns not used: {', '.join(shown)}")
    missing = [
        c.name
        for c, i in zip(layout.columns, found, strict=True)
        if c.mandatory and i is None and c.name not in WRITE_DEFAULTS
    ]
    if missing:
        raise BatchError(f"no column for {', '.join(missing)}", line=1)
    checker = RowChecker(layout, on=when, lenient=True)
    duplicates = Duplicates()
    learners: list[Learner] = []
    bad = 0
    rules: Counter[str] = Counter()
    for number, cells, problem, column in records:
        if cells is None:
            _say(name, _where(number, column), f"row: {problem}")
            rules[f"row: {problem}"] += 1
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
                rules[f"{entry.code} {p.field}: {p.rule}"] += 1
            continue
        repeats = duplicates.check(entry)
        if repeats:
            bad += 1
            for p in repeats:
                _say(name, _where(number, None), f"duplicate {p.field}: {p.rule}")
                rules[f"duplicate {p.field}"] += 1
            continue
        assert entry.learner is not None
        learners.append(entry.learner)
    if sum(rules.values()) >= _SUMMARY_FROM:
        _say(name, "", "problems by rule:")
        for rule, n in rules.most_common():
            click.echo(f"  {n:>6}  {rule}")
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
        with stream(output, kind=None) as reader:
            if reader.kind != "output":
                _say(
                    name,
                    "",
                    f"a {reader.kind} batch, not an output file: check it with uln batch check",
                )
                raise SystemExit(1)
            learners = tuple(reader)
    except BatchError as exc:
        _say(name, _where(exc.line, None), f"cannot be read: {exc.reason}")
        raise SystemExit(1) from None
    header = reader.header
    assert isinstance(header, OutputHeader)
    batch = OutputBatch(
        header, learners, tuple(reader.errors), reader.format, reader.encoding, reader.layout
    )
    click.echo(
        f"{printable(name)}: output of {printable(header.file_name or '(no name)')} "
        f"(version {batch.version}), "
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
