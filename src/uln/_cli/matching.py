"""The ``uln dedupe``, ``uln link`` and ``uln match-eval`` commands.

Needs click (the ``cli`` extra); nothing else in :mod:`uln.matching` imports this
module. Each command reads CSV files with a heading row, maps the headings to the
matcher's fields (LRS names such as ``GivenName``, snake_case names such as
``given_name``, the common export names of :data:`uln.batch.spec.EXPORT_ALIASES`
such as ``Surname`` and ``DOB``, or ``--map field=Heading``), scores the candidate
pairs that blocking brings together, and writes the scored pairs as CSV as they are
found: ids and scores only, never a name. The summary goes to standard error.
Personal data is printed nowhere else: ``--explain`` shows levels and weights, not
values, and a first row that does not look like headings is never echoed.

Files are read a line at a time by the batch layer's reader (UTF-8 or Windows-1252,
one bad row reported and skipped, never the rest of the file lost); the output file
is written in full or not at all (:func:`uln._files.atomic_write`).

>>> import tempfile
>>> from click.testing import CliRunner
>>> with tempfile.TemporaryDirectory() as folder:
...     people = Path(folder) / "people.csv"
...     _ = people.write_text(
...         "id,GivenName,FamilyName,DateOfBirth,Gender,LastKnownPostCode\\n"
...         "1,Dafydd,Jones,2007-04-09,1,CF10 1AA\\n"
...         "2,David,Jones,09/04/2007,M,cf101aa\\n"
...         "3,Sioned,Evans,2006-12-01,2,LL57 2DG\\n")
...     result = CliRunner().invoke(dedupe, [str(people), "--quiet"])
>>> print(result.stdout, end="")
left_id,right_id,probability,match_weight,is_match,same_uln
1,2,1.000000,...,true,
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final, TypeVar, cast

import attrs
import click

from uln._files import atomic_write, same_file
from uln.batch import _csvio
from uln.batch._source import Lines, Opened
from uln.checkdigit import is_valid as _is_valid_uln
from uln.demographics.gender import parse_gender
from uln.demographics.postcodes import postcode_key
from uln.errors import BatchError, ConfigError, OutputError, UlnError, UlnWarning
from uln.learner import field_for, heading_key
from uln.matching import Link, Matcher
from uln.matching.evaluate import clusters, evaluate, pairs_of_clusters
from uln.matching.model import MatchConfig, match_probability, match_weight_of
from uln.matching.normalise import FIELD_NAMES, MatchRecord, name_info

__all__ = [
    "ID_COLUMNS",
    "OUTPUT_COLUMNS",
    "ULN_COLUMNS",
    "commands",
    "dedupe",
    "link",
    "match_eval",
    "match_fit",
]

ID_COLUMNS: Final[tuple[str, ...]] = (
    "id",
    "unique_id",
    "MISIdentifier",
    "MIS ID",
    "Student Ref",
    "Student Reference",
    "Student ID",
    "Student Number",
    "Student Code",
    "Learner Ref",
    "Learner Reference",
    "Learner ID",
    "Learner Number",
    "Learner Code",
    "Person Code",
    "Person ID",
)
"""Headings taken as the record id when ``--id-column`` is not given (compared ignoring
case, spaces, underscores and dashes; the first such column of the file wins); without
one, a record's id is its line number in the file [ours]. ``ULN`` is not among them:
new learners have none, and two rows with one ULN are a duplicate to report, not an
error (see :data:`ULN_COLUMNS`)."""

ULN_COLUMNS: Final[tuple[str, ...]] = ("ULN", "Unique Learner Number", "Learner ULN")
"""Headings read as the learner's ULN: two records with the same valid ULN are shown
with ``same_uln`` true and always written, even when their details disagree [ours]."""

OUTPUT_COLUMNS: Final[tuple[str, ...]] = (
    "left_id",
    "right_id",
    "probability",
    "match_weight",
    "is_match",
    "same_uln",
)
"""The columns of the scored pairs written by ``dedupe`` and ``link``. ``same_uln`` is
``true`` when both records have the same valid ULN, ``false`` when their ULNs differ,
and empty when either has none."""

MATCH_FIELDS: Final[tuple[str, ...]] = tuple(FIELD_NAMES)
"""The fields the matcher reads (see :data:`uln.matching.normalise.FIELD_NAMES`)."""

MAX_SHARING_ULN: Final = 20
"""A ULN held by more records than this is not taken as evidence that they are one
learner (it is more likely a placeholder typed for many), and its pairs are not written
for it alone [ours]."""

MAX_PROBLEMS_SHOWN: Final = 20
"""Rows that cannot be read are reported one by one up to this many, then counted."""

# -- reading a file ----------------------------------------------------------------------


_squash = heading_key


def _field_of(name: str) -> str | None:
    """The matcher field a heading or a ``--map`` field name stands for, if any."""
    spec = field_for(name)
    return spec.attr if spec is not None and spec.attr in FIELD_NAMES else None


_DELIMITERS: Final = {";": "semicolons", "\t": "tabs", "|": "bars"}
_DIGITS: Final = re.compile(r"[0-9]{2}|@")


def _looks_like_data(cell: str) -> bool:
    """Whether a heading cell looks like a learner's value (digits, an email) [ours].

    >>> _looks_like_data("2007-04-09"), _looks_like_data("jo@example.com")
    (True, True)
    >>> _looks_like_data("DOB"), _looks_like_data("Post code")
    (False, False)
    """
    return bool(_DIGITS.search(cell))


def _shown(heading: str, index: int) -> str:
    """A heading as it may be printed: a cell that looks like data is named by column."""
    if not heading:
        return f"(blank column {index + 1})"
    if _looks_like_data(heading) or _CONTROL.search(heading):
        return f"(column {index + 1})"
    return heading


def _uln_heading(heading: str) -> bool:
    return _squash(heading) in {_squash(c) for c in ULN_COLUMNS}


_REFUSED_EXIT: Final = 2


class _Refused(click.ClickException):
    """The input or the output cannot be used at all: nothing is scored (exit status 2)."""

    exit_code = _REFUSED_EXIT


def _fail(name: str, where: int | None, text: str) -> click.ClickException:
    return click.ClickException(f"{name}: line {where}: {text}" if where else f"{name}: {text}")


def _refuse(name: str, where: int | None, text: str) -> _Refused:
    return _Refused(f"{name}: line {where}: {text}" if where else f"{name}: {text}")


def _find_heading(headings: Sequence[str], wanted: str) -> str | None:
    if wanted in headings:
        return wanted
    matches = [h for h in headings if _squash(h) == _squash(wanted)]
    return matches[0] if matches else None


@attrs.define
class _Table:
    """A CSV file read for matching: id -> prepared record, and how it was read."""

    name: str
    columns: dict[str, str]
    id_column: str | None
    uln_column: str | None
    ignored: tuple[str, ...]
    records: dict[str, MatchRecord] = attrs.field(factory=dict)
    truth: dict[str, str] = attrs.field(factory=dict)
    ulns: dict[str, str] = attrs.field(factory=dict)
    dropped: Counter[str] = attrs.field(factory=Counter)
    skipped: int = 0


def _heading_row(lines: Iterator[tuple[int, str | None, str | None]], name: str) -> list[str]:
    """The cells of the first non-blank line; refuse a file that is not comma-separated text."""
    for number, text, problem in lines:
        if text is None:
            raise _refuse(name, number, f"the headings cannot be read: {problem}")
        if not text.strip(_csvio.BLANK):
            continue
        cells = _csvio.split_line(text)
        if not isinstance(cells, list):
            raise _refuse(name, number, f"the headings cannot be read: {cells[0]}")
        if len(cells) == 1:
            for delimiter, word in _DELIMITERS.items():
                if delimiter in text:
                    raise _refuse(
                        name,
                        number,
                        f"the columns are separated by {word}, not commas: "
                        "save the file as CSV (comma-separated)",
                    )
        return [c.strip() for c in cells]
    raise _fail(name, None, "the file is empty: a heading row is needed")


def _unread_fields(row: Mapping[str, str], record: MatchRecord) -> Iterator[str]:
    """The fields of ``row`` holding text the normaliser could not read (now missing)."""
    for field, value in row.items():
        if field == "given_name":
            lost = record.given is None
        elif field == "family_name":
            lost = record.family is None
        elif field == "date_of_birth":
            lost = record.dob is None
        elif field == "gender":
            lost = record.gender == 0 and _not_a_gender(value)
        elif field == "postcode":
            lost = record.postcode is None and not postcode_key(value)
        elif field in ("previous_family_name", "family_name_at_16"):
            lost = name_info(value) is None
        elif field == "email":
            lost = record.email is None
        else:
            lost = getattr(record, field) is None
        if lost:
            yield field


def _not_a_gender(value: str) -> bool:
    try:
        parse_gender(value)
    except (UlnError, ValueError):
        return True
    return False


class _Bar:
    """A progress bar on standard error, shown only when asked (a terminal, not quiet)."""

    def __init__(self, show: bool, label: str, length: int) -> None:
        self._bar: Any = None
        self._done = 0
        self._step = max(1, length // 1000)
        if show:
            self._bar = click.progressbar(length=max(length, 1), label=label, file=sys.stderr)
            self._bar.__enter__()

    def to(self, done: int) -> None:
        # redrawn at most about a thousand times, however many steps
        if self._bar is not None and done - self._done >= self._step:
            self._bar.update(done - self._done)
            self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.update(max(0, self._bar.length - self._done))
            self._bar.__exit__(None, None, None)
            self._bar = None


def _read_table(
    path: Path,
    *,
    id_column: str | None,
    mapping: Mapping[str, str],
    matcher: Matcher,
    show: bool = False,
    truth_column: str | None = None,
) -> _Table:
    """Read and prepare a CSV file; problems name the line and rule, never a value.

    A row that cannot be split (a quote left open ...) is reported on standard error
    and skipped; the rows after it are read. A file that is not comma-separated text
    or has no column the matcher reads is refused (:class:`_Refused`).
    """
    name = path.name
    try:
        with Opened(path) as opened:
            return _read_opened(
                opened,
                name,
                path.stat().st_size,
                id_column=id_column,
                mapping=mapping,
                matcher=matcher,
                show=show,
                truth_column=truth_column,
            )
    except BatchError as exc:
        raise _refuse(name, exc.line, exc.reason) from None
    except OSError as exc:
        raise _fail(name, None, f"cannot be read: {exc.strerror}") from None


def _read_opened(
    opened: Opened,
    name: str,
    size: int,
    *,
    id_column: str | None,
    mapping: Mapping[str, str],
    matcher: Matcher,
    show: bool,
    truth_column: str | None,
) -> _Table:
    first = opened.peek()
    if b"\x00" in first and not first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _refuse(name, None, "not a text file (it holds NUL bytes): save it as CSV (UTF-8)")
    lines = iter(Lines(opened))
    headings = _heading_row(lines, name)

    columns: dict[str, str] = {}
    for field, heading in mapping.items():
        found = _find_heading(headings, heading)
        if found is None:
            raise _fail(name, None, f"--map {field}={heading}: there is no such column")
        columns[field] = found
    if id_column is not None:
        id_heading = _find_heading(headings, id_column)
        if id_heading is None:
            raise _fail(name, None, f"--id-column {id_column}: there is no such column")
    else:
        squashed = {_squash(c) for c in ID_COLUMNS}
        id_heading = next((h for h in headings if _squash(h) in squashed), None)
    uln_heading = next((h for h in headings if _uln_heading(h) and h != id_heading), None)
    truth_heading = None
    if truth_column is not None:
        truth_heading = _find_heading(headings, truth_column)
        if truth_heading is None:
            raise _fail(name, None, f"--truth {truth_column}: there is no such column")
    special = {id_heading, uln_heading, truth_heading}
    taken = set(columns.values())
    for heading in headings:
        if heading in taken or heading in special:
            continue
        found_field = _field_of(heading)
        if found_field is not None and found_field not in columns:
            columns[found_field] = heading
            taken.add(heading)
    if not columns:
        if any(_looks_like_data(h) for h in headings):
            raise _refuse(
                name,
                None,
                "the first row does not look like headings: a heading row naming the "
                "columns (GivenName or Forename, FamilyName or Surname, DateOfBirth or "
                "DOB, Postcode ...) is needed",
            )
        raise _refuse(
            name,
            None,
            "no column holds a field the matcher reads (such as GivenName or Forename, "
            "FamilyName or Surname, DateOfBirth or DOB, Gender or Sex, Postcode): "
            "rename the headings or use --map FIELD=COLUMN",
        )
    seen: set[str] = set()
    for i, heading in enumerate(headings):
        if heading and heading in seen:
            raise _fail(name, 1, f"the heading {_shown(heading, i)!r} is used twice")
        seen.add(heading)
    ordered = {f: columns[f] for f in MATCH_FIELDS if f in columns}
    ignored = tuple(
        _shown(h, i) for i, h in enumerate(headings) if h not in taken and h not in special
    )
    table = _Table(name, ordered, id_heading, uln_heading, ignored)
    position = {h: i for i, h in enumerate(headings)}
    id_at = position[id_heading] if id_heading is not None else None
    uln_at = position[uln_heading] if uln_heading is not None else None
    truth_at = position[truth_heading] if truth_heading is not None else None
    fields = [(field, position[heading]) for field, heading in ordered.items()]
    records, ulns, truth, dropped = table.records, table.ulns, table.truth, table.dropped
    lines_of: dict[str, int] = {}
    prepare = matcher.prepare
    bar = _Bar(show, f"Reading {name}", size)
    read = 0
    try:
        for line, cells, problem, column in _csvio.records(lines, len(headings)):
            if cells is None:
                table.skipped += 1
                if table.skipped <= MAX_PROBLEMS_SHOWN:
                    where = f"line {line}" + (f", column {column}" if column else "")
                    _say(f"{name}: {where}: row skipped: {problem}")
                continue
            width = len(cells)
            if id_at is None:
                key = str(line)
            else:
                key = cells[id_at].strip() if id_at < width else ""
                if not key:
                    raise _fail(name, line, f"the id column {id_heading!r} is empty")
                if key in lines_of:
                    raise _fail(name, line, f"the id is already used on line {lines_of[key]}")
                lines_of[key] = line
            row = {field: cells[i] for field, i in fields if i < width and cells[i].strip()}
            record = prepare(row)
            records[key] = record
            for field in _unread_fields(row, record):
                dropped[field] += 1
            if uln_at is not None and uln_at < width:
                uln = cells[uln_at].replace(" ", "").strip()
                if _is_valid_uln(uln):
                    ulns[key] = uln
                elif uln:
                    dropped["uln"] += 1
            if truth_at is not None:
                value = cells[truth_at].strip() if truth_at < width else ""
                if not value:
                    raise _fail(name, line, f"the truth column {truth_heading!r} is empty")
                truth[key] = value
            if show:
                read += sum(map(len, cells)) + width
                if len(records) % 4096 == 0:
                    bar.to(min(size, read))
    finally:
        bar.close()
    if table.skipped > MAX_PROBLEMS_SHOWN:
        _say(f"{name}: {table.skipped - MAX_PROBLEMS_SHOWN:,} more rows skipped")
    return table


# -- writing -------------------------------------------------------------------------------

_NUMBER: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_FORMULA_START: Final = frozenset("=+-@\t\r")


def _neutralise(cell: str) -> str:
    """Make a cell a spreadsheet shows as text, never runs as a formula.

    A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading apostrophe, unless it is a plain decimal number (the scores written here:
    ``-3.142`` is a number, not a formula). A private copy of the rule of
    :mod:`uln.batch`'s CSV writer, which does not export its helper [ours].

    >>> _neutralise("=HYPERLINK(1)"), _neutralise("-3.142"), _neutralise("L001")
    ("'=HYPERLINK(1)", '-3.142', 'L001')
    """
    if cell and cell[0] in _FORMULA_START and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def _csv_line(cells: Sequence[str]) -> str:
    """One CSV line (``\\n``-terminated), quoting as :mod:`csv` does for minimal quoting."""
    out = []
    for cell in cells:
        if any(ch in cell for ch in ',"\r\n'):
            cell = '"' + cell.replace('"', '""') + '"'
        out.append(cell)
    return ",".join(out) + "\n"


def _same_uln(ulns: tuple[Mapping[str, str], Mapping[str, str]], left: str, right: str) -> str:
    a, b = ulns[0].get(left), ulns[1].get(right)
    if a is None or b is None:
        return ""
    return "true" if a == b else "false"


def _pair_line(x: Link, same_uln: str) -> str:
    return _csv_line(
        (
            _neutralise(str(x.left_id)),
            _neutralise(str(x.right_id)),
            f"{x.probability:.6f}",
            f"{x.match_weight:.3f}",
            "true" if x.is_match else "false",
            same_uln,
        )
    )


def _check_output(output: str | None, force: bool, inputs: Sequence[Path]) -> None:
    """Refuse an output that is an input, or that exists without ``--force``."""
    if output is None or output == "-":
        return
    label = Path(output).name
    for path in inputs:
        if same_file(path, output):
            raise _Refused(f"{label}: is an input file; write to another file")
    if not force and Path(output).exists() and not Path(output).is_dir():
        raise _Refused(f"{label}: the file exists (use --force to replace it)")


@contextlib.contextmanager
def _output(output: str | None, force: bool, inputs: Sequence[Path]) -> Iterator[IO[str]]:
    """Standard output, or ``output`` written in full or not at all (never an input)."""
    if output is None or output == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    _check_output(output, force, inputs)
    try:
        with atomic_write(output, overwrite=force) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=False)
            try:
                yield text
                text.flush()
            finally:
                with contextlib.suppress(ValueError, OSError):
                    text.detach()
    except OutputError as exc:
        raise _Refused(str(exc)) from None


_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _printable(text: str) -> str:
    """An id as it may be echoed on a terminal: control characters shown as ``?``."""
    return _CONTROL.sub("?", text)


# -- options shared by the commands ----------------------------------------------------------


def _say(text: str) -> None:
    click.echo(text, err=True)


def _mapping(values: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        field, sep, heading = value.partition("=")
        resolved = _field_of(field.strip())
        if not sep or not heading.strip() or resolved is None:
            raise click.BadParameter(
                f"{value!r}: use FIELD=COLUMN with FIELD one of {', '.join(MATCH_FIELDS)}",
                param_hint="--map",
            )
        out[resolved] = heading.strip()
    return out


def _matcher(config: Path | None, threshold: float | None) -> Matcher:
    try:
        match_config = MatchConfig.load(config) if config is not None else MatchConfig.default()
        if threshold is not None:
            match_config = match_config.evolve(
                match_threshold=threshold,
                possible_threshold=min(match_config.possible_threshold, threshold),
            )
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--config") from None
    return Matcher(match_config)


_F = TypeVar("_F", bound=Callable[..., Any])


def _options(command: _F) -> _F:
    for option in reversed(
        [
            click.option(
                "--id-column",
                metavar="COLUMN",
                help="The column of record ids (default: a column named id, MISIdentifier, "
                "Student Ref, Learner Ref, MIS ID, Student ID, Learner ID ...; else the "
                "line number). A ULN column is read as evidence, not as the id.",
            ),
            click.option(
                "--map",
                "maps",
                multiple=True,
                metavar="FIELD=COLUMN",
                help="Read FIELD (given_name, family_name, date_of_birth, gender, postcode, "
                "previous_family_name, email, place_of_birth, school_at_16, middle_names) "
                "from COLUMN. Repeat for more fields.",
            ),
            click.option(
                "--config",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                help="A match configuration (TOML or JSON), as MatchConfig.save writes.",
            ),
            click.option(
                "--threshold",
                type=click.FloatRange(0, 1, min_open=True),
                help="The match threshold: pairs at or above this probability are matches "
                "(default: the configuration's, 0.95).",
            ),
            click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary."),
        ]
    ):
        command = option(command)
    return command


def _output_options(command: _F) -> _F:
    for option in reversed(
        [
            click.option(
                "-o",
                "--output",
                metavar="FILE",
                help="Write the scored pairs to FILE (default: standard output). FILE is "
                "written in full or not at all, and never replaces an input file.",
            ),
            click.option(
                "--force",
                is_flag=True,
                help="Replace the output FILE when it exists (default: refuse).",
            ),
            click.option(
                "--all-pairs",
                is_flag=True,
                help="Write every candidate pair scored, not only those at or above the "
                "possible threshold (0.5 by default).",
            ),
            click.option(
                "--explain",
                nargs=2,
                metavar="ID1 ID2",
                help="Print the comparison of these two records (levels and weights, no "
                "values) instead of scoring the file.",
            ),
        ]
    ):
        command = option(command)
    return command


def _plural(n: int, word: str) -> str:
    """``n`` and ``word``, plural unless ``n`` is 1.

    >>> _plural(1, "match"), _plural(2, "match"), _plural(1_200, "record")
    ('1 match', '2 matches', '1,200 records')
    """
    if n == 1:
        return f"1 {word}"
    return f"{n:,} {word}{'es' if word.endswith(('ch', 'sh', 's', 'x')) else 's'}"


def _describe(table: _Table) -> str:
    fields = ", ".join(
        field if heading == field else f"{field} ({heading})"
        for field, heading in table.columns.items()
    )
    ids = f"ids from {table.id_column}" if table.id_column else "ids are line numbers"
    text = f"{table.name}: {_plural(len(table.records), 'record')}; {ids}; fields: {fields}"
    if table.uln_column:
        text += f"; ULNs from {table.uln_column}"
    if table.ignored:
        text += f"; ignored: {', '.join(table.ignored)}"
    if table.skipped:
        text += f"; {_plural(table.skipped, 'row')} skipped (could not be read)"
    if table.dropped:
        counts = ", ".join(f"{field} {n:,}" for field, n in sorted(table.dropped.items()))
        text += f"; values not read, matched as missing: {counts}"
    return text


def _verdict(probability: float, config: MatchConfig) -> str:
    """What a probability means under ``config``, in words.

    >>> config = MatchConfig.default()
    >>> _verdict(0.99, config)
    'a match (probability at or above the match threshold 0.95)'
    >>> _verdict(0.7, config)
    'a possible match, not a match (below the match threshold 0.95)'
    >>> _verdict(0.1, config)
    'not a match (below the possible threshold 0.5)'
    """
    if probability >= config.match_threshold:
        return f"a match (probability at or above the match threshold {config.match_threshold:g})"
    if probability >= config.possible_threshold:
        return (
            f"a possible match, not a match (below the match threshold {config.match_threshold:g})"
        )
    return f"not a match (below the possible threshold {config.possible_threshold:g})"


def _explain(ids: tuple[str, str], tables: Sequence[_Table], matcher: Matcher) -> None:
    found = []
    for key, table in zip(ids, (tables[0], tables[-1]), strict=True):
        if key not in table.records:
            raise click.BadParameter(
                f"{table.name} has no record with the id {_printable(key)!r}",
                param_hint="--explain",
            )
        found.append(table.records[key])
    from uln.matching.matcher import TermFrequencies

    records = (r for table in tables for r in table.records.values())
    frequencies = TermFrequencies.from_records(records)
    comparison = matcher.compare(found[0], found[1], frequencies=frequencies)
    click.echo(f"{_printable(ids[0])} and {_printable(ids[1])}")
    lines = comparison.explain().splitlines()
    last = lines.pop()
    # the matcher's last line ends "(a match at 0.95)" or "(match at 0.95)": say it plainly
    click.echo("\n".join(lines))
    click.echo(f"{last.rsplit('  (', 1)[0]}: {_verdict(comparison.probability, matcher.config)}")
    a, b = tables[0].ulns.get(ids[0]), tables[-1].ulns.get(ids[1])
    if a is not None and b is not None:
        click.echo(f"ULN {'the same' if a == b else 'different'}")


def _floor(matcher: Matcher, all_pairs: bool) -> float:
    return -float("inf") if all_pairs else match_weight_of(matcher.config.possible_threshold)


def _uln_pairs(tables: Sequence[_Table], dedupe_mode: bool) -> tuple[list[tuple[str, str]], int]:
    """The pairs of records (left first, in file order) that share a ULN, and how many
    ULNs were left out for being held by more than :data:`MAX_SHARING_ULN` records."""
    left, right = tables[0], tables[-1]
    by_uln: dict[str, list[str]] = {}
    for key, uln in right.ulns.items():  # in file order
        by_uln.setdefault(uln, []).append(key)
    pairs: list[tuple[str, str]] = []
    crowded: set[str] = set()
    if dedupe_mode:
        for uln, keys in by_uln.items():
            if len(keys) > MAX_SHARING_ULN:
                crowded.add(uln)
            elif len(keys) > 1:
                pairs.extend((a, b) for i, a in enumerate(keys) for b in keys[i + 1 :])
        return pairs, len(crowded)
    on_left = Counter(left.ulns.values())
    for key, uln in left.ulns.items():
        others = by_uln.get(uln, ())
        if len(others) + on_left[uln] > MAX_SHARING_ULN:
            crowded.add(uln)
            continue
        pairs.extend((key, other) for other in others)
    return pairs, len(crowded)


@attrs.define
class _Tally:
    """What was written, for the summary (matches only are held, for the clusters)."""

    written: int = 0
    matches: list[Link] = attrs.field(factory=list)
    same_uln: int = 0
    same_uln_unmatched: int = 0
    crowded_ulns: int = 0


def _stream(
    tables: Sequence[_Table],
    links: Iterator[Link],
    matcher: Matcher,
    *,
    floor: float,
    out: IO[str],
    dedupe_mode: bool,
) -> _Tally:
    """Write ``links`` at or above ``floor`` as they come, then the pairs sharing a ULN
    that the matcher did not write (scored without term-frequency adjustment)."""
    tally = _Tally()
    ulns = (tables[0].ulns, tables[-1].ulns)
    shared: list[tuple[str, str]] = []
    if ulns[0] and ulns[1]:
        shared, tally.crowded_ulns = _uln_pairs(tables, dedupe_mode)
    pending = set(shared)
    has_ulns = bool(ulns[0]) and bool(ulns[1])
    write = out.write
    write(_csv_line(OUTPUT_COLUMNS))
    for x in links:
        if x.match_weight < floor:
            continue
        left, right = cast("str", x.left_id), cast("str", x.right_id)
        same = _same_uln(ulns, left, right) if has_ulns else ""
        if same == "true":
            pending.discard((left, right))
            tally.same_uln += 1
            tally.same_uln_unmatched += not x.is_match
        write(_pair_line(x, same))
        tally.written += 1
        if x.is_match:
            tally.matches.append(x)
    records = (tables[0].records, tables[-1].records)
    pending_pairs = [pair for pair in shared if pair in pending]
    for left, right in pending_pairs:
        comparison = matcher.compare(records[0][left], records[1][right])
        weight = comparison.match_weight
        x = Link(left, right, match_probability(weight), weight, comparison.is_match)
        write(_pair_line(x, "true"))
        tally.written += 1
        tally.same_uln += 1
        tally.same_uln_unmatched += not x.is_match
        if x.is_match:
            tally.matches.append(x)
    return tally


def _run(
    tables: Sequence[_Table],
    *,
    inputs: Sequence[Path],
    matcher: Matcher,
    show: bool,
    quiet: bool,
    output: str | None,
    force: bool,
    all_pairs: bool,
    explain: tuple[str, str] | None,
    start: float,
    jobs: int = 1,
) -> None:
    if explain:
        _explain(explain, tables, matcher)
        return
    dedupe_mode = len(tables) == 1
    left = tables[0]
    floor = _floor(matcher, all_pairs)
    threshold = 0.0 if all_pairs else matcher.config.possible_threshold
    with _output(output, force, inputs) as out:
        bar = _Scoring(show, len(left.records), _indexed_count(tables))
        if dedupe_mode:
            links = matcher.iter_dedupe(
                left.records, threshold=threshold, progress=bar.to, jobs=jobs
            )
        else:
            links = matcher.iter_link(
                left.records, tables[1].records, threshold=threshold, progress=bar.to
            )
        try:
            tally = _stream(tables, links, matcher, floor=floor, out=out, dedupe_mode=dedupe_mode)
        finally:
            bar.close()
    if not quiet:
        _summary(tables, tally, matcher, time.perf_counter() - start)
    _exit_if_skipped(tables)


def _indexed_count(tables: Sequence[_Table]) -> int:
    return len(tables[-1].records)


class _Scoring:
    """Progress of a scoring run: a line while the index is built, then a bar."""

    def __init__(self, show: bool, total: int, indexed: int) -> None:
        self._show = show
        self._total = total
        self._bar: _Bar | None = None
        self._started = time.perf_counter()
        if show:
            _say(f"Indexing {_plural(indexed, 'record')} ...")

    def to(self, done: int) -> None:
        if not self._show:
            return
        if self._bar is None:
            _say(f"Indexed in {time.perf_counter() - self._started:.1f} s")
            self._bar = _Bar(True, "Scoring", self._total)
        self._bar.to(done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _summary(tables: Sequence[_Table], tally: _Tally, matcher: Matcher, seconds: float) -> None:
    for table in tables:
        _say(_describe(table))
    groups = clusters(tally.matches)
    config = matcher.config
    text = (
        f"{_plural(tally.written, 'pair')} written; "
        f"{_plural(len(tally.matches), 'match')} at probability >= {config.match_threshold:g}; "
        f"{_plural(len(groups), 'cluster')} of {sum(len(g) for g in groups):,} records"
    )
    if tally.same_uln:
        text += (
            f"; {_plural(tally.same_uln, 'pair')} with the same ULN "
            f"({tally.same_uln_unmatched:,} not a match on their details)"
        )
    if tally.crowded_ulns:
        text += (
            f"; {_plural(tally.crowded_ulns, 'ULN')} held by more than {MAX_SHARING_ULN} "
            "records not taken as evidence (a placeholder?)"
        )
    _say(f"{text}; {seconds:.2f} s")


def _exit_if_skipped(tables: Sequence[_Table]) -> None:
    skipped = sum(table.skipped for table in tables)
    if skipped:
        _say(
            f"{_plural(skipped, 'row')} could not be read (see above): their learners are "
            "not in the result"
        )
        raise SystemExit(1)


def _read_all(
    paths: Sequence[Path],
    *,
    id_column: str | None,
    maps: Sequence[str],
    matcher: Matcher,
    show: bool,
    truth_column: str | None = None,
) -> list[_Table]:
    mapping = _mapping(maps)
    return [
        _read_table(
            path,
            id_column=id_column,
            mapping=mapping,
            matcher=matcher,
            show=show,
            truth_column=truth_column,
        )
        for path in paths
    ]


# -- the commands ------------------------------------------------------------------------------

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _begin(quiet: bool, config: Path | None, threshold: float | None) -> tuple[Matcher, bool]:
    return _matcher(config, threshold), not quiet and sys.stderr.isatty()


def _default_jobs() -> int:
    """The processors this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


@click.command(name="dedupe")
@click.argument("file", type=_FILE)
@_options
@_output_options
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Processes that score the pairs (default: one per processor). The output is "
    "the same whatever the number.",
)
def dedupe(
    file: Path,
    id_column: str | None,
    maps: tuple[str, ...],
    config: Path | None,
    threshold: float | None,
    quiet: bool,
    output: str | None,
    force: bool,
    all_pairs: bool,
    explain: tuple[str, str] | None,
    jobs: int | None,
) -> None:
    """Find the records of FILE (CSV) that are the same learner.

    Writes the scored pairs as CSV (left_id, right_id, probability, match_weight,
    is_match, same_uln) as they are found: those at or above the possible threshold,
    or every candidate pair with --all-pairs, and every pair of records with the same
    valid ULN. A summary goes to standard error. Columns are found by their LRS or
    snake_case names (GivenName or given_name ...) or usual export names (Forename,
    Surname, DOB, Sex, Postcode ...), or renamed with --map. A row that cannot be
    read is reported and skipped (exit status 1); a file with no usable column, or an
    output that exists or is the input, is refused (exit status 2).
    """
    start = time.perf_counter()
    if not explain:
        _check_output(output, force, [file])
    matcher, show = _begin(quiet, config, threshold)
    tables = _read_all([file], id_column=id_column, maps=maps, matcher=matcher, show=show)
    _run(
        tables,
        inputs=[file],
        matcher=matcher,
        show=show,
        quiet=quiet,
        output=output,
        force=force,
        all_pairs=all_pairs,
        explain=explain,
        start=start,
        jobs=jobs if jobs is not None else _default_jobs(),
    )


@click.command(name="link")
@click.argument("left", type=_FILE)
@click.argument("right", type=_FILE)
@_options
@_output_options
def link(
    left: Path,
    right: Path,
    id_column: str | None,
    maps: tuple[str, ...],
    config: Path | None,
    threshold: float | None,
    quiet: bool,
    output: str | None,
    force: bool,
    all_pairs: bool,
    explain: tuple[str, str] | None,
) -> None:
    """Find the records of RIGHT (CSV) that are the same learner as a record of LEFT.

    Writes the scored pairs as CSV (left_id from LEFT, right_id from RIGHT,
    probability, match_weight, is_match, same_uln), as dedupe does. --explain takes an
    id of LEFT, then an id of RIGHT.
    """
    start = time.perf_counter()
    if not explain:
        _check_output(output, force, [left, right])
    matcher, show = _begin(quiet, config, threshold)
    tables = _read_all([left, right], id_column=id_column, maps=maps, matcher=matcher, show=show)
    _run(
        tables,
        inputs=[left, right],
        matcher=matcher,
        show=show,
        quiet=quiet,
        output=output,
        force=force,
        all_pairs=all_pairs,
        explain=explain,
        start=start,
    )


@click.command(name="match-eval")
@click.argument("file", type=_FILE)
@click.option(
    "--truth",
    required=True,
    metavar="COLUMN",
    help="The column holding each record's true cluster (records of one learner share it).",
)
@click.option(
    "--clusters",
    "use_clusters",
    is_flag=True,
    help="Count every pair within the clusters of the matches (transitive closure), "
    "not only the matched pairs.",
)
@_options
def match_eval(
    file: Path,
    truth: str,
    use_clusters: bool,
    id_column: str | None,
    maps: tuple[str, ...],
    config: Path | None,
    threshold: float | None,
    quiet: bool,
) -> None:
    """Deduplicate FILE (CSV) and measure the result against a column of true clusters.

    Prints precision, recall and F1 of the matches over pairs of records, and pair
    completeness: the share of true pairs that blocking brought together at all.
    """
    start = time.perf_counter()
    matcher, show = _begin(quiet, config, threshold)
    (table,) = _read_all(
        [file], id_column=id_column, maps=maps, matcher=matcher, show=show, truth_column=truth
    )
    truth_of = cast("Mapping[Hashable, Hashable]", table.truth)
    true_pairs = pairs_of_clusters(truth_of)
    bar = _Scoring(show, len(table.records), len(table.records))
    scored = 0
    kept: list[Link] = []  # the matches and the true pairs: all that evaluate needs
    try:
        for x in matcher.iter_dedupe(table.records, threshold=0.0, progress=bar.to):
            scored += 1
            if x.is_match or frozenset((x.left_id, x.right_id)) in true_pairs:
                kept.append(x)
    finally:
        bar.close()
    result = evaluate(
        kept, cast("set[tuple[Hashable, Hashable]]", true_pairs), use_clusters=use_clusters
    )
    n_true = result.true_positives + result.false_negatives
    click.echo(
        f"{table.name}: {_plural(len(table.records), 'record')}, "
        f"{_plural(len(set(table.truth.values())), 'true cluster')}, "
        f"{_plural(n_true, 'true pair')}, {_plural(scored, 'candidate pair')}"
    )
    click.echo(
        f"at match threshold {matcher.config.match_threshold:g}"
        f"{' (clusters)' if use_clusters else ''}: "
        f"{_plural(result.true_positives + result.false_positives, 'predicted pair')}, "
        f"{result.true_positives:,} true, {result.false_positives:,} false, "
        f"{result.false_negatives:,} missed"
    )
    click.echo(f"precision          {result.precision:.4f}")
    click.echo(f"recall             {result.recall:.4f}")
    click.echo(f"F1                 {result.f1:.4f}")
    click.echo(f"pair completeness  {result.pair_completeness:.4f}")
    if not quiet:
        _say(_describe(table))
        _say(f"{time.perf_counter() - start:.2f} s")
    _exit_if_skipped([table])


def _weight_changes(before: MatchConfig, after: MatchConfig) -> Iterator[str]:
    """Lines naming each level's weight before and after a fit (no record's values)."""
    yield f"prior  {before.prior:.2e} -> {after.prior:.2e}"
    for name, comparison in after.comparisons.items():
        old = before.comparisons[name].weights
        cells = [
            f"{level.name} {old[level.name]:+.1f} -> {level.weight:+.1f}"
            for level in comparison.levels
        ]
        yield f"{name}: " + ", ".join(cells)


@click.command(name="match-fit")
@click.argument("file", type=_FILE)
@click.argument("right", type=_FILE, required=False)
@click.option(
    "--id-column",
    metavar="COLUMN",
    help="The column of record ids (default: found as dedupe finds it; else the line number).",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Read FIELD from COLUMN, as dedupe does. Repeat for more fields.",
)
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The configuration to start from (default: the package's); its thresholds, "
    "levels and term frequencies are kept.",
)
@click.option(
    "--random-pairs",
    type=click.IntRange(min=1_000),
    default=200_000,
    show_default=True,
    help="Random pairs of records drawn to estimate u.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="For the samples drawn.")
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Write the fitted configuration to FILE: JSON when its name ends in .json, "
    "else TOML (default: TOML on standard output). FILE is written in full or not at "
    "all, and never replaces an input file.",
)
@click.option(
    "--force", is_flag=True, help="Replace the output FILE when it exists (default: refuse)."
)
@click.option("-q", "--quiet", is_flag=True, help="No summary.")
def match_fit(
    file: Path,
    right: Path | None,
    id_column: str | None,
    maps: tuple[str, ...],
    config: Path | None,
    random_pairs: int,
    seed: int,
    output: str | None,
    force: bool,
    quiet: bool,
) -> None:
    """Learn the match weights from FILE (CSV), unlabelled, and write the configuration.

    Estimates m, u and the prior from the records themselves (Matcher.fit: u from
    random pairs, m by expectation maximisation), for dedupe, link and match-eval to
    read with --config. With RIGHT, pairs are drawn across the two files (for link).
    The summary on standard error gives each level's weight before and after, never a
    record's values. Fitting wants thousands of records; on records too few or too
    alike to learn from, nothing is written (exit status 1). Compare the fitted
    configuration with the default on a labelled sample (match-eval) before adopting it.
    """
    inputs = [file] if right is None else [file, right]
    _check_output(output, force, inputs)
    matcher = _matcher(config, None)
    tables = _read_all(inputs, id_column=id_column, maps=maps, matcher=matcher, show=False)
    records = tables[0].records
    other = tables[1].records if right is not None else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UlnWarning)
        fitted = matcher.fit(records, other, random_pairs=random_pairs, seed=seed)
    refused = [w for w in caught if issubclass(w.category, UlnWarning)]
    if refused:
        for warning in refused:
            _say(f"not fitted: {warning.message}")
        _exit_if_skipped(tables)
        raise SystemExit(1)
    fitted_config = fitted.config
    as_json = output is not None and Path(output).suffix.lower() == ".json"  # as save() does
    with _output(output, force, inputs) as stream:
        stream.write(fitted_config.to_json() if as_json else fitted_config.to_toml())
    if not quiet:
        for table in tables:
            _say(_describe(table))
        for line in _weight_changes(matcher.config, fitted_config):
            _say(line)
    _exit_if_skipped(tables)


def commands() -> list[click.Command]:
    """The matching commands, for the ``uln`` group to add.

    >>> print(*(command.name for command in commands()))
    dedupe link match-eval match-fit
    """
    return [dedupe, link, match_eval, match_fit]
