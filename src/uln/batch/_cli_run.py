"""The ``uln batch`` commands that use a register: run, verify, exceptions, resolve.

Each opens a register as the ``uln register`` commands do: ``--register URL``, else
the ``ULN_REGISTER`` environment variable, else the embedded SQLite register
``./uln.sqlite3``. Nothing printed names a learner (only lines, codes, MIS
identifiers and ULNs), except ``uln batch exceptions --show-details``, which the
operator asks for.

Exit status of ``run`` and ``verify``:

* ``0``: the batch was processed and every learner found, registered or verified;
* ``1``: the batch was processed and the output file written, but some learners
  need a person (an exception to resolve, a row rejected, a ULN that does not match);
* ``2``: nothing was done or the output file was not written: the file was refused
  (not a batch of this kind, a bad header, more than 5,000 learners), the register
  could not be opened or failed, or the output file exists and differs (``--force``).
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import click

from uln._cli.register import register_option as _register_option
from uln._cli.register import register_url as _url
from uln._cli.register import where
from uln._files import atomic_write
from uln.batch.spec import OUTPUT_SUFFIX, output_file_name
from uln.errors import BatchError, OutputError, UlnError

__all__ = ["EXIT_DONE", "EXIT_PERSON", "EXIT_REFUSED", "commands"]

EXIT_DONE: Final = 0
"""Every learner was found, registered or verified."""
EXIT_PERSON: Final = 1
"""The output was written, but some learners need a person."""
EXIT_REFUSED: Final = 2
"""Nothing was done, or the output file was not written."""


def _say(text: str, *, err: bool = False) -> None:
    from uln.batch._cli import printable

    click.echo(printable(text), err=err)


def _stop(text: str, code: int = EXIT_REFUSED) -> SystemExit:
    """Print ``text`` on standard error; the exception to raise to exit with ``code``."""
    _say(text, err=True)
    return SystemExit(code)


def _open(url: str) -> Any:
    from uln.register import open as open_register

    try:
        return open_register(_url(url))
    except UlnError as exc:
        raise _stop(f"cannot open the register ({where(_url(url))}): {exc}") from None


def output_path(request: Path, output: Path | None) -> Path:
    """Where the output file of ``request`` goes.

    By default beside the request, named by the LRS rule (``LRB_..._OUTPUT.CSV``);
    ``output`` is a file, or a folder to write that name in. A request whose name
    breaks the rule gets ``_OUTPUT`` before its extension.

    >>> output_path(Path("in/LRB_10012345_160920241000.CSV"), None).as_posix()
    'in/LRB_10012345_160920241000_OUTPUT.CSV'
    >>> output_path(Path("in/students.csv"), Path("out.csv")).as_posix()
    'out.csv'
    >>> output_path(Path("students.csv"), None).as_posix()
    'students_OUTPUT.csv'
    """
    try:
        name = output_file_name(request.name)
    except (BatchError, ValueError):
        name = f"{request.stem}{OUTPUT_SUFFIX}{request.suffix}"
    if output is None:
        return request.with_name(name)
    if output.is_dir():
        return output / name
    return output


def _write(target: Path, data: bytes, force: bool) -> str:
    """Write ``data`` to ``target`` atomically; say what was done.

    A file holding exactly ``data`` is left alone (a rerun gives the same file); one
    that differs is replaced only with ``force``.
    """
    if target.is_file():
        if target.read_bytes() == data:
            return "unchanged"
        if not force:
            raise _stop(
                f"{target}: the file exists and differs from this result: nothing written "
                "(--force replaces it; the result is kept in the register)"
            )
    existed = target.exists()
    try:
        with atomic_write(target, overwrite=force) as out:
            out.write(data)
    except OutputError as exc:
        raise _stop(
            f"cannot write the output file: {exc} (the result is kept in the register)"
        ) from None
    return "replaced" if existed else "written"


class _Progress:
    """A progress bar on standard error when it is a terminal; nothing otherwise."""

    def __init__(self, label: str, show: bool) -> None:
        self._label = label
        self._show = show
        self._bar: Any = None
        self._done = 0
        self.first: int | None = None
        """How many learners were done when processing began (a rerun, a resume)."""

    def __call__(self, done: int, total: int) -> None:
        if self.first is None:
            self.first = done
        if not self._show:
            return
        if self._bar is None:
            self._bar = click.progressbar(length=total, label=self._label, file=sys.stderr)
            self._bar.__enter__()
        self._bar.update(done - self._done)
        self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@contextlib.contextmanager
def _progress(label: str, quiet: bool) -> Iterator[_Progress]:
    bar = _Progress(label, not quiet and sys.stderr.isatty())
    try:
        yield bar
    finally:
        bar.close()


def _table(rows: Mapping[str, int]) -> None:
    width = max(len(k) for k in rows)
    for key, value in rows.items():
        click.echo(f"  {key:<{width}}  {value:>6}")


def _codes(counts: Mapping[str, int]) -> None:
    from uln.codes import describe

    click.echo("return codes:")
    for code in sorted(counts):
        click.echo(f"  {code:<8}  {counts[code]:>6}  {describe(code)}")


def _interrupted(name: str, why: str = "stopped") -> SystemExit:
    return _stop(
        f"{name}: {why}; every learner done so far is kept in the register: run the "
        "same command again to finish the rest"
    )


def _read(reader: Callable[[Path], Any], file: Path, refusal: str) -> Any:
    """The batch read by ``reader``; a file that cannot be read is refused."""
    try:
        return reader(file)
    except BatchError as exc:
        raise _stop(f"{file.name}: {refusal}: {exc}") from None
    except OSError as exc:
        raise _stop(f"{file.name}: {refusal}: cannot be read ({exc.strerror})") from None


@click.command("run")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_register_option
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="The output file, or a folder to write it in (default: beside FILE, named "
    "LRB_<UKPRN>_<DDMMYYYYHHMM>_OUTPUT.CSV after it).",
)
@click.option("--force", is_flag=True, help="Replace an output file that exists and differs.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def run(file: Path, url: str, output: Path | None, force: bool, quiet: bool) -> None:
    """Run a registration batch FILE against the register and write its output file.

    Each learner is found (RC001, RC003, RC004), registered with a new ULN (RC002)
    or, with a supplied ULN, verified (RC005). A learner a person must look at waits
    as an exception (RC007 possible matches, RC008 too many, RC009 the ULN does not
    match: see uln batch exceptions); an unknown ULN (RC010) and a bad row (RC006,
    RC011 .. RC013) are sent back to be corrected. Prints the counters and where the
    output file went.

    Safe to run again: a batch already processed gives its stored result (with any
    exceptions resolved since) and registers nobody twice; a run that was stopped
    finishes the rest. Exits 0 when every learner was found or registered, 1 when
    some need a person (see uln batch exceptions), 2 when the file was refused or
    the output file was not written.
    """
    import uln.batch as batch_api

    name = file.name
    target = output_path(file, output)
    batch = _read(batch_api.read, file, "refused, nothing registered")
    with _open(url) as register, _progress("processing", quiet) as bar:
        try:
            result = batch_api.process(batch, register, progress=bar)
        except BatchError as exc:
            bar.close()
            raise _stop(f"{name}: refused, nothing registered: {exc}") from None
        except KeyboardInterrupt:
            bar.close()
            raise _interrupted(name) from None
        except UlnError as exc:
            bar.close()
            raise _interrupted(name, f"the register failed ({exc})") from None
    data = io.BytesIO()
    batch_api.write_output(result, data)
    done = _write(target, data.getvalue(), force)
    before = bar.first
    if before is not None and before >= result.total:
        state = f" (already processed on {result.started:%Y-%m-%d %H:%M %Z}: the stored result)"
    elif before:
        state = f" (resumed: {before} learners were done before)"
    else:
        state = ""
    click.echo(
        f"{name}: {result.total} learners, registration batch {result.version}, "
        f"register {where(_url(url))}{state}"
    )
    _table(result.counters)
    _codes(result.return_codes)
    click.echo(f"output: {target} ({done})")
    waiting = sum(1 for r in result.exceptions if r.exception_id is not None)
    rejected = len(result.exceptions) - waiting
    if rejected:
        click.echo(
            f"{rejected} learner{'s' if rejected != 1 else ''} not accepted: correct "
            f"{'them' if rejected != 1 else 'it'} in the MIS and send again"
        )
    if waiting:
        click.echo(
            f"{waiting} learner{'s' if waiting != 1 else ''} wait{'' if waiting != 1 else 's'} "
            f"for a person: uln batch exceptions --batch {file}"
        )
    if result.exceptions:
        raise SystemExit(EXIT_PERSON)


_VERIFIED: Final = frozenset({"WSVRC001", "WSVRC002", "WSVRC003", "WSVRC004"})


@click.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_register_option
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="The output file, or a folder to write it in (default: beside FILE).",
)
@click.option("--force", is_flag=True, help="Replace an output file that exists and differs.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def verify(file: Path, url: str, output: Path | None, force: bool, quiet: bool) -> None:
    """Check the ULNs of a verify batch FILE against the register; write the output.

    Each learner gets WSVRC001 (match) .. WSVRC006 (ULN not found) and, unless it
    matches, the VRF flags of what differed. Changes nothing in the register. Exits
    0 when every ULN matched (exactly or similarly), 1 when any did not or a row
    could not be checked, 2 when the file was refused.
    """
    import uln.batch as batch_api

    name = file.name
    target = output_path(file, output)
    batch = _read(batch_api.read_verify, file, "refused")
    with _open(url) as register, _progress("verifying", quiet) as bar:
        try:
            result = batch_api.process_verify(batch, register, progress=bar)
        except BatchError as exc:
            bar.close()
            raise _stop(f"{name}: refused: {exc}") from None
        except UlnError as exc:
            bar.close()
            raise _stop(f"{name}: the register failed: {exc}") from None
    data = io.BytesIO()
    batch_api.write_verify_output(result, data)
    done = _write(target, data.getvalue(), force)
    click.echo(f"{name}: {result.total} learners, verify batch, register {where(_url(url))}")
    _table(result.counters)
    _codes(result.codes)
    click.echo(f"output: {target} ({done})")
    if any(code not in _VERIFIED for code in result.codes):
        raise SystemExit(EXIT_PERSON)


# -- exceptions and their resolution ---------------------------------------------------


def _batch_key(value: str, register: Any) -> str:
    """The key of ``--batch``: a batch file (read to find its key), or a key or its
    first characters (at least 8)."""
    import uln.batch as batch_api

    path = Path(value)
    if path.is_file():
        try:
            batch = batch_api.read(path)
        except BatchError as exc:
            raise _stop(f"{path.name}: cannot be read: {exc}") from None
        header = batch.header
        if header.ukprn is None or header.file_name is None:
            raise _stop(f"{path.name}: the header has no UKPRN or file name")
        return batch_api.batch_key(header.ukprn, header.file_name, batch.learners, header.version)
    wanted = value.strip().lower()
    if len(wanted) < 8 or not all(c in "0123456789abcdef" for c in wanted):
        raise _stop("--batch: give a batch file, or a batch key (at least 8 characters)")
    keys = {item.batch for item in register.exceptions(status=None) if item.batch}
    found = sorted(k for k in keys if k.startswith(wanted))
    if len(found) > 1:
        raise _stop("--batch: several batches have keys starting so: give more characters")
    return found[0] if found else wanted


_KINDS: Final = {"possible": "possible", "too_many": "too many", "uln_mismatch": "ULN mismatch"}
_CANDIDATES_SHOWN: Final = 10


def _details(learner: Any) -> str:
    d = learner.demographics
    born = d.date_of_birth.isoformat() if d.date_of_birth else "-"
    gender = str(int(d.gender)) if d.gender is not None else "-"
    supplied = f"  ULN {learner.uln}" if learner.uln else ""
    return (
        f"{d.given_name or '-'} {d.family_name or '-'}  {born}  {gender}  "
        f"{d.postcode or '-'}{supplied}"
    )


@click.command("exceptions")
@_register_option
@click.option(
    "--batch",
    "batch",
    default=None,
    metavar="FILE-or-KEY",
    help="Only this batch: its file, or its key (the first 8 characters are enough).",
)
@click.option("--all", "show_all", is_flag=True, help="Resolved ones too, with their status.")
@click.option(
    "--show-details",
    is_flag=True,
    help="Also print each learner's names, date of birth, gender and postcode "
    "(personal data: for the person resolving, not for logs).",
)
def exceptions(url: str, batch: str | None, show_all: bool, show_details: bool) -> None:
    """List the learners of batches that wait for a person, oldest first.

    One line each: the exception's id (for uln batch resolve), the batch file and
    line, the learner's MIS identifier, the kind (possible matches, too many
    matches, ULN mismatch) and the ULNs of the similar learners (uln register show
    ULN shows one). No learner's details are printed unless --show-details.
    """
    import uln.batch as batch_api
    from uln.register import ExceptionStatus

    with _open(url) as register:
        key = _batch_key(batch, register) if batch is not None else None
        items = batch_api.exceptions(
            register, batch=key, status=None if show_all else ExceptionStatus.OPEN
        )
        names: dict[str, str] = {}
        for item in items:
            if item.batch is not None and item.batch not in names:
                run = register.store.get_batch(item.batch)
                names[item.batch] = run.file_name if run is not None else item.batch[:12]
    if not items:
        click.echo("no exceptions" + ("" if show_all else " waiting"))
        return
    for item in items:
        kind = _KINDS.get(item.kind.value, item.kind.value)
        shown = item.candidates[:_CANDIDATES_SHOWN]
        candidates = " ".join(shown) if shown else "-"
        if len(item.candidates) > len(shown):
            candidates += f" (+{len(item.candidates) - len(shown)})"
        status = f"  {item.status.value}" if show_all else ""
        where_from = names.get(item.batch or "", "-")
        line = f"line {item.line}" if item.line is not None else "-"
        mis = item.learner.mis_identifier or "-"
        _say(
            f"{item.id:>6}  {where_from}  {line}  MIS {mis}  {kind}  "
            f"candidates: {candidates}{status}"
        )
        if show_details:
            _say(f"        {_details(item.learner)}")
    click.echo(f"{len(items)} exception{'s' if len(items) != 1 else ''}")


def _changes(values: tuple[str, ...]) -> dict[str, str]:
    changes = {}
    for value in values:
        field, sep, new = value.partition("=")
        if not sep or not field.strip():
            raise click.BadParameter(
                "write FIELD=VALUE, as in DateOfBirth=2005-06-08", param_hint="--set"
            )
        changes[field.strip()] = new.strip()
    return changes


@click.command("resolve")
@click.argument("exception_id", metavar="ID", type=click.IntRange(min=1))
@click.option("--uln", default=None, help="The learner is this existing learner.")
@click.option("--new", "register_new", is_flag=True, help="The learner is new: issue a ULN.")
@click.option(
    "--set",
    "changes",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Correct a field of the submitted learner and run it again (repeat for "
    "several; ULN= drops a supplied ULN).",
)
@_register_option
@click.option(
    "--organisation",
    default=None,
    help="The UKPRN recorded in the audit history (default: the batch's).",
)
def resolve(
    exception_id: int,
    uln: str | None,
    register_new: bool,
    changes: tuple[str, ...],
    url: str,
    organisation: str | None,
) -> None:
    """Resolve exception ID: choose a learner (--uln), register a new one (--new), or
    correct fields and run the learner again (--set FIELD=VALUE ...).

    The batch's output file then reflects the resolution: run the batch again with
    --force to rewrite it. Exits 0 when the learner was found or registered, 1 when
    it still waits for a person (the exception stays open, or the corrected learner
    opened another), 2 when it cannot be resolved as asked.
    """
    import uln.batch as batch_api

    given = (uln is not None) + register_new + bool(changes)
    if given != 1:
        raise click.UsageError("give exactly one of --uln ULN, --new, --set FIELD=VALUE")
    fields = _changes(changes) if changes else None
    with _open(url) as register:
        item = register.store.get_exception(exception_id)
        if item is None:
            raise _stop(f"no exception has the id {exception_id}")
        org = organisation if organisation is not None else item.organisation
        try:
            done = batch_api.resolve(
                register,
                exception_id,
                organisation=org,
                uln=uln,
                register_new=register_new,
                changes=fields,
            )
        except UlnError as exc:
            raise _stop(f"exception {exception_id}: {exc}") from None
        run = register.store.get_batch(item.batch) if item.batch is not None else None
    from uln.codes import describe

    shown_uln = f"  ULN {done.uln}" if done.uln else ""
    click.echo(
        f"exception {exception_id}: {done.status}: {done.code}{shown_uln}  {describe(done.code)}"
    )
    if done.new_exception_id is not None:
        click.echo(f"the corrected learner waits as exception {done.new_exception_id}")
    if run is not None:
        _say(f"rewrite the output file: uln batch run {run.file_name} --force")
    if done.status == "open" or done.new_exception_id is not None:
        raise SystemExit(EXIT_PERSON)


def commands() -> list[click.Command]:
    """The commands to add to ``uln batch``."""
    return [run, verify, exceptions, resolve]
