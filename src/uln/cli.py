"""The ``uln`` command line (needs the ``cli`` extra: ``pip install "uln[cli]"``).

``uln validate VALUE...`` checks ULNs, ``uln generate`` makes valid ones, and the
subcommands of the other modules (batch files, matching) hang off the same group.
If click is not installed the command says how to install it and exits with status 1.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

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

    cli.main(args=list(argv) if argv is not None else None, prog_name="uln")
