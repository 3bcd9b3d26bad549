"""The ``uln dedupe``, ``uln link`` and ``uln match-eval`` commands.

Needs click (the ``cli`` extra); nothing else in :mod:`uln.matching` imports this
module. Each command reads CSV files with a heading row, maps the headings to the
matcher's fields (LRS names such as ``GivenName``, snake_case names such as
``given_name``, the common export names of :data:`uln.batch.spec.EXPORT_ALIASES`
such as ``Surname`` and ``DOB``, or ``--map field=Heading``), scores the candidate
pairs that blocking brings together, and writes the scored pairs as CSV: ids and
scores only, never a name. The summary goes to standard error. Personal data is
printed nowhere else: ``--explain`` shows levels and weights, not values.

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
left_id,right_id,probability,match_weight,is_match
1,2,1.000000,...,true
"""

from __future__ import annotations

import csv
import io
import re
import sys
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final, TypeVar, cast

import attrs
import click

from uln.errors import ConfigError
from uln.learner import field_for, field_spec, heading_key
from uln.matching import Link, Matcher, TermFrequencies
from uln.matching.evaluate import clusters, evaluate
from uln.matching.model import MatchConfig, match_weight_of
from uln.matching.normalise import FIELD_NAMES, MatchRecord

__all__ = ["ID_COLUMNS", "OUTPUT_COLUMNS", "commands", "dedupe", "link", "match_eval"]

ID_COLUMNS: Final[tuple[str, ...]] = ("id", "unique_id", "MISIdentifier", "ULN")
"""Headings taken as the record id when ``--id-column`` is not given, in this order
(compared ignoring case, spaces, underscores and dashes); without one, a record's id
is its line number in the file [ours]."""

OUTPUT_COLUMNS: Final[tuple[str, ...]] = (
    "left_id",
    "right_id",
    "probability",
    "match_weight",
    "is_match",
)
"""The columns of the scored pairs written by ``dedupe`` and ``link``."""

MATCH_FIELDS: Final[tuple[str, ...]] = tuple(FIELD_NAMES)
"""The fields the matcher reads (see :data:`uln.matching.normalise.FIELD_NAMES`)."""

_T = TypeVar("_T")


# -- reading a file ----------------------------------------------------------------------


_squash = heading_key


def _field_of(name: str) -> str | None:
    """The matcher field a heading or a ``--map`` field name stands for, if any."""
    spec = field_for(name)
    return spec.attr if spec is not None and spec.attr in FIELD_NAMES else None


@attrs.frozen
class _Table:
    """A CSV file read for matching: id -> row of matcher fields, and how it was read."""

    name: str
    records: dict[str, dict[str, str]]
    lines: dict[str, int]
    columns: dict[str, str]
    id_column: str | None
    ignored: tuple[str, ...]
    truth: dict[str, str]


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # an export from Excel on Windows


def _fail(name: str, where: int | None, text: str) -> click.ClickException:
    return click.ClickException(f"{name}: line {where}: {text}" if where else f"{name}: {text}")


def _find_heading(headings: Sequence[str], wanted: str) -> str | None:
    if wanted in headings:
        return wanted
    matches = [h for h in headings if _squash(h) == _squash(wanted)]
    return matches[0] if matches else None


def _read_table(
    path: Path,
    *,
    id_column: str | None,
    mapping: Mapping[str, str],
    truth_column: str | None = None,
) -> _Table:
    """Read a CSV file; raise a ClickException naming the line (never a value) on a problem."""
    name = path.name
    try:
        text = _decode(path)
    except OSError as exc:
        raise _fail(name, None, f"cannot be read: {exc.strerror}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headings = [h.strip() for h in next(reader)]
    except StopIteration:
        raise _fail(name, None, "the file is empty: a heading row is needed") from None
    except csv.Error as exc:
        raise _fail(name, 1, f"not CSV: {exc}") from None
    seen: set[str] = set()
    for heading in headings:
        if heading and heading in seen:
            raise _fail(name, 1, f"the heading {heading!r} is used twice")
        seen.add(heading)

    columns: dict[str, str] = {}
    for field, heading in mapping.items():
        found = _find_heading(headings, heading)
        if found is None:
            raise _fail(name, None, f"--map {field}={heading}: there is no such column")
        columns[field] = found
    taken = set(columns.values())
    if id_column is not None:
        id_heading = _find_heading(headings, id_column)
        if id_heading is None:
            raise _fail(name, None, f"--id-column {id_column}: there is no such column")
    else:
        squashed = {_squash(c) for c in ID_COLUMNS}
        id_heading = next((h for h in headings if _squash(h) in squashed), None)
    truth_heading = None
    if truth_column is not None:
        truth_heading = _find_heading(headings, truth_column)
        if truth_heading is None:
            raise _fail(name, None, f"--truth {truth_column}: there is no such column")
    for heading in headings:
        if heading in taken or heading in (id_heading, truth_heading):
            continue
        found_field = _field_of(heading)
        if found_field is not None and found_field not in columns:
            columns[found_field] = heading
            taken.add(heading)
    ordered = {f: columns[f] for f in MATCH_FIELDS if f in columns}
    ignored = tuple(h for h in headings if h not in taken and h not in (id_heading, truth_heading))
    position = {h: i for i, h in enumerate(headings)}
    id_at = position[id_heading] if id_heading is not None else None
    truth_at = position[truth_heading] if truth_heading is not None else None
    fields = [(field, position[heading]) for field, heading in ordered.items()]

    records: dict[str, dict[str, str]] = {}
    lines: dict[str, int] = {}
    truth: dict[str, str] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if id_at is None:
                key = str(line)
            else:
                key = cells[id_at].strip() if id_at < len(cells) else ""
                if not key:
                    raise _fail(name, line, f"the id column {id_heading!r} is empty")
            if key in records:
                raise _fail(name, line, f"the id is already used on line {lines[key]}")
            records[key] = {
                field: cells[i] for field, i in fields if i < len(cells) and cells[i].strip()
            }
            lines[key] = line
            if truth_at is not None:
                value = cells[truth_at].strip() if truth_at < len(cells) else ""
                if not value:
                    raise _fail(name, line, f"the truth column {truth_heading!r} is empty")
                truth[key] = value
    except csv.Error as exc:
        raise _fail(name, reader.line_num, f"not CSV: {exc}") from None
    return _Table(name, records, lines, ordered, id_heading, ignored, truth)


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


def _pair_rows(links: Iterable[Link]) -> Iterator[list[str]]:
    for x in links:
        yield [
            _neutralise(str(x.left_id)),
            _neutralise(str(x.right_id)),
            f"{x.probability:.6f}",
            f"{x.match_weight:.3f}",
            "true" if x.is_match else "false",
        ]


def _write_pairs(links: Sequence[Link], output: str | None) -> None:
    rows = [list(OUTPUT_COLUMNS), *_pair_rows(links)]
    if output is None or output == "-":
        stream: IO[str] = sys.stdout
        csv.writer(stream, lineterminator="\n").writerows(rows)
        stream.flush()
        return
    try:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)
    except OSError as exc:
        raise click.ClickException(f"{output}: cannot be written: {exc.strerror}") from None


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


def _progress(items: Sequence[_T], label: str, show: bool) -> Iterator[_T]:
    """Iterate ``items`` with a progress bar on standard error when ``show``."""
    if not show:
        yield from items
        return
    with click.progressbar(items, label=label, file=sys.stderr) as bar:
        yield from bar


def _prepare(
    tables: Sequence[_Table], matcher: Matcher, show: bool
) -> list[dict[str, MatchRecord]]:
    """Prepare every record once (names keyed, dates and postcodes split), with a bar."""
    out = []
    for table in tables:
        items = list(table.records.items())
        label = f"Preparing {table.name}"
        out.append({key: matcher.prepare(row) for key, row in _progress(items, label, show)})
    return out


_F = TypeVar("_F", bound=Callable[..., Any])


def _options(command: _F) -> _F:
    for option in reversed(
        [
            click.option(
                "--id-column",
                metavar="COLUMN",
                help="The column of record ids (default: a column named id, unique_id, "
                "MISIdentifier or ULN; else the line number).",
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
                help="Write the scored pairs to FILE (default: standard output).",
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
    if table.ignored:
        text += f"; ignored: {', '.join(h or '(blank)' for h in table.ignored)}"
    return text


def _summary(
    tables: Sequence[_Table],
    scored: Sequence[Link],
    written: Sequence[Link],
    matcher: Matcher,
    seconds: float,
) -> None:
    for table in tables:
        _say(_describe(table))
    groups = clusters(written)
    matches = sum(1 for x in written if x.is_match)
    config = matcher.config
    _say(
        f"{_plural(len(scored), 'candidate pair')} scored; {_plural(len(written), 'pair')} "
        f"written; {_plural(matches, 'match')} at probability >= {config.match_threshold:g}; "
        f"{_plural(len(groups), 'cluster')} of {sum(len(g) for g in groups):,} records; "
        f"{seconds:.2f} s"
    )


def _explain(
    ids: tuple[str, str],
    tables: Sequence[_Table],
    prepared: Sequence[dict[str, MatchRecord]],
    matcher: Matcher,
) -> None:
    found = []
    sides = zip(ids, (tables[0], tables[-1]), (prepared[0], prepared[-1]), strict=True)
    for key, table, records in sides:
        if key not in records:
            raise click.BadParameter(
                f"{table.name} has no record with the id {_printable(key)!r}",
                param_hint="--explain",
            )
        found.append(records[key])
    frequencies = TermFrequencies.from_records(r for records in prepared for r in records.values())
    comparison = matcher.compare(found[0], found[1], frequencies=frequencies)
    click.echo(f"{_printable(ids[0])} and {_printable(ids[1])}")
    click.echo(comparison.explain())


def _floor(matcher: Matcher, all_pairs: bool) -> float:
    return -float("inf") if all_pairs else match_weight_of(matcher.config.possible_threshold)


def _run(
    tables: Sequence[_Table],
    score: Callable[[Matcher, Sequence[dict[str, MatchRecord]]], list[Link]],
    *,
    config: Path | None,
    threshold: float | None,
    quiet: bool,
    output: str | None,
    all_pairs: bool,
    explain: tuple[str, str] | None,
) -> None:
    matcher = _matcher(config, threshold)
    show = not quiet and sys.stderr.isatty()
    start = time.perf_counter()
    prepared = _prepare(tables, matcher, show)
    if explain:
        _explain(explain, tables, prepared, matcher)
        return
    if show:
        _say("Scoring the candidate pairs ...")
    scored = score(matcher, prepared)
    floor = _floor(matcher, all_pairs)
    written = [x for x in scored if x.match_weight >= floor]
    _write_pairs(written, output)
    if not quiet:
        _summary(tables, scored, written, matcher, time.perf_counter() - start)


# -- the commands ------------------------------------------------------------------------------

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command(name="dedupe")
@click.argument("file", type=_FILE)
@_options
@_output_options
def dedupe(
    file: Path,
    id_column: str | None,
    maps: tuple[str, ...],
    config: Path | None,
    threshold: float | None,
    quiet: bool,
    output: str | None,
    all_pairs: bool,
    explain: tuple[str, str] | None,
) -> None:
    """Find the records of FILE (CSV) that are the same learner.

    Writes the scored pairs as CSV (left_id, right_id, probability, match_weight,
    is_match): those at or above the possible threshold, or every candidate pair with
    --all-pairs. A summary goes to standard error. Columns are found by their LRS or
    snake_case names (GivenName or given_name ...) or renamed with --map.
    """
    table = _read_table(file, id_column=id_column, mapping=_mapping(maps))

    def score(matcher: Matcher, prepared: Sequence[dict[str, MatchRecord]]) -> list[Link]:
        return matcher.dedupe(prepared[0], threshold=0.0)

    _run(
        [table],
        score,
        config=config,
        threshold=threshold,
        quiet=quiet,
        output=output,
        all_pairs=all_pairs,
        explain=explain,
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
    all_pairs: bool,
    explain: tuple[str, str] | None,
) -> None:
    """Find the records of RIGHT (CSV) that are the same learner as a record of LEFT.

    Writes the scored pairs as CSV (left_id from LEFT, right_id from RIGHT,
    probability, match_weight, is_match), as dedupe does. --explain takes an id of
    LEFT, then an id of RIGHT.
    """
    mapping = _mapping(maps)
    tables = [_read_table(path, id_column=id_column, mapping=mapping) for path in (left, right)]

    def score(matcher: Matcher, prepared: Sequence[dict[str, MatchRecord]]) -> list[Link]:
        return matcher.link(prepared[0], prepared[1], threshold=0.0)

    _run(
        tables,
        score,
        config=config,
        threshold=threshold,
        quiet=quiet,
        output=output,
        all_pairs=all_pairs,
        explain=explain,
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
    table = _read_table(file, id_column=id_column, mapping=_mapping(maps), truth_column=truth)
    matcher = _matcher(config, threshold)
    show = not quiet and sys.stderr.isatty()
    start = time.perf_counter()
    (prepared,) = _prepare([table], matcher, show)
    if show:
        _say("Scoring the candidate pairs ...")
    links = matcher.dedupe(prepared, threshold=0.0)
    truth_of = cast("Mapping[Hashable, Hashable]", table.truth)
    result = evaluate(links, truth_of, use_clusters=use_clusters)
    true_pairs = result.true_positives + result.false_negatives
    click.echo(
        f"{table.name}: {_plural(len(table.records), 'record')}, "
        f"{_plural(len(set(table.truth.values())), 'true cluster')}, "
        f"{_plural(true_pairs, 'true pair')}, {_plural(len(links), 'candidate pair')}"
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


def commands() -> list[click.Command]:
    """The matching commands, for the ``uln`` group to add.

    >>> print(*(command.name for command in commands()))
    dedupe link match-eval
    """
    return [dedupe, link, match_eval]
