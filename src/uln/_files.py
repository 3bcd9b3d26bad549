"""Writing files so that nothing a user had is lost and nothing half-written is left.

Every file the library or the command line writes goes through :func:`atomic_write`:
the data goes to a temporary file in the destination's folder, which replaces the
destination only when everything was written (``os.replace`` is atomic on one file
system). On any failure, an interruption (Ctrl-C) included, the temporary file is
removed and the destination is as it was. An existing destination is replaced only when
the caller asks (``overwrite=True``).

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> with atomic_write(folder / "out.csv") as out:
...     _ = out.write(b"ULN\\n")
>>> (folder / "out.csv").read_bytes()
b'ULN\\n'
>>> with atomic_write(folder / "out.csv") as out:
...     _ = out.write(b"again")
Traceback (most recent call last):
...
uln.errors.OutputError: out.csv: the file exists (ask to overwrite it)
>>> (folder / "out.csv").read_bytes()
b'ULN\\n'
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from uln.errors import OutputError

__all__ = ["atomic_write", "same_file"]


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name the same existing file (through links and relative paths)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[IO[bytes]]:
    """Open a binary stream whose content replaces ``path`` only if the block completes.

    Args:
        path: the destination file.
        overwrite: replace an existing file; without it an existing file raises
            :class:`~uln.errors.OutputError` before anything is written.

    Raises:
        OutputError: the file exists (and ``overwrite`` is false), the folder is missing
            or not writable, or writing failed (a full disk); the temporary file is gone.
    """
    destination = Path(path)
    label = destination.name
    if destination.is_dir():
        raise OutputError(f"{label}: is a folder, not a file")
    if not overwrite and destination.exists():
        raise OutputError(f"{label}: the file exists (ask to overwrite it)")
    folder = destination.parent
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{label}.", suffix=".tmp", dir=folder)
    except FileNotFoundError as exc:
        raise OutputError(f"{label}: the folder does not exist") from exc
    except OSError as exc:
        raise OutputError(f"{label}: cannot write in its folder ({exc.strerror})") from exc
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        if not overwrite and destination.exists():
            raise OutputError(f"{label}: the file exists (ask to overwrite it)")
        os.replace(temporary, destination)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(f"{label}: could not be written ({exc.strerror})") from exc
        raise
