"""The click application behind :mod:`uln.cli` (imported only when click is installed)."""
