"""MkDocs hook: the command-line reference, generated from the click commands.

A page holding the marker ``<!-- uln-commands -->`` gets, in its place, one section per
command of ``uln`` (groups first, then their subcommands), each with its usage, its help
text and its options exactly as ``uln COMMAND --help`` prints them.

>>> print(command_reference().splitlines()[0])
## uln
"""

from __future__ import annotations

from typing import Any, Final

MARKER: Final = "<!-- uln-commands -->"


def _sections(command: Any, path: list[str], parent: Any) -> list[str]:
    import click

    context = click.Context(command, info_name=" ".join(path), parent=parent)
    help_text = command.get_help(context).replace("```", "'''")
    out = [f"## {' '.join(path)}", "", "```text", help_text, "```", ""]
    if isinstance(command, click.Group):
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            if sub is not None and not sub.hidden:
                out += _sections(sub, [*path, name], context)
    return out


def command_reference() -> str:
    """Markdown for every command of ``uln``, from click (needs the ``cli`` extra)."""
    from uln._cli.app import cli

    return "\n".join(_sections(cli, ["uln"], None))


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """MkDocs calls this with each page's Markdown: expand the marker, if any."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, command_reference())
