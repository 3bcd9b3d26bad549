"""The ``uln`` command line (needs the ``cli`` extra: ``pip install "uln[cli]"``).

``uln validate VALUE...`` checks ULNs, ``uln generate`` makes valid ones, and the
subcommands of the other modules (batch files, matching) hang off the same group.
If click is not installed the command says how to install it and exits with status 1.

A reader that stops early (``uln dedupe FILE | head``) closes the pipe: the command
then stops quietly, with no traceback, and exits with status 141 (128 + SIGPIPE, what
the shell reports for a command ended by a closed pipe), never with a status that
reads as an answer (1 means "some value invalid" for ``uln validate``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Final, NoReturn

__all__ = ["BROKEN_PIPE_STATUS", "main", "stop_on_broken_pipe"]

BROKEN_PIPE_STATUS: Final = 141
"""The exit status when the reader of standard output went away (128 + SIGPIPE)."""

_INSTALL_HINT = (
    "The uln command needs the 'cli' extra. Install it with:\n    pip install \"uln[cli]\"\n"
)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the ``uln`` command with ``argv`` (default: the process arguments)."""
    try:
        import click  # noqa: F401
    except ImportError:
        sys.stderr.write(_INSTALL_HINT)
        raise SystemExit(1) from None
    from uln._cli.app import cli

    try:
        try:
            cli.main(args=list(argv) if argv is not None else None, prog_name="uln")
        finally:
            # Output still buffered is written now, where a closed pipe can be caught,
            # not at interpreter exit (which would print "Exception ignored ...").
            sys.stdout.flush()
    except BrokenPipeError:
        stop_on_broken_pipe()


def stop_on_broken_pipe() -> NoReturn:
    """Stop quietly because the reader of our output has gone (the Python recipe).

    Standard output and error are pointed at the null device, so that nothing
    buffered is written (and fails) again at exit, then the process exits with
    :data:`BROKEN_PIPE_STATUS`.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError, AttributeError):  # not a real file (a test runner)
            continue
    os.close(devnull)
    raise SystemExit(BROKEN_PIPE_STATUS)
