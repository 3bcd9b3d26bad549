"""MkDocs hook: render the Sphinx roles of docstrings and pages as links.

Docstrings name objects with Sphinx roles (``:class:`Matcher```, ``:func:`~uln.validate```,
``:data:`uln.batch.spec.EXPORT_ALIASES```); mkdocstrings renders them as the role's name
followed by the code. After the build, this hook replaces each such role with a link to
the object's heading anywhere on the site (mkdocstrings gives every heading the object's
full path as its id), or with plain code when the object has no heading of its own
(a module of the standard library, a private helper). A leading ``~`` shows only the
last part of the name, as in Sphinx. Names are resolved as Sphinx does for a relative
name: the full path first, else the path that ends with it, preferring the same page,
then the shortest (the public path over the module that defines it).

>>> anchors = Anchors({"uln.matching.Matcher": "reference/matching/",
...                    "uln.matching.Matcher.fit": "reference/matching/",
...                    "uln.matching.matcher.Matcher": "reference/internals/"})
>>> anchors.resolve("Matcher.fit", page="guide/matching/")
'uln.matching.Matcher.fit'
>>> anchors.resolve("~uln.matching.matcher.Matcher", page="index/")
'uln.matching.matcher.Matcher'
>>> anchors.resolve("csv", page="index/") is None
True
>>> html = render_roles(":class:<code>~uln.matching.Matcher</code>", "guide/x/", anchors)
>>> print(html.replace("><", ">\\n<"))
<a class="autorefs autorefs-internal" href="../../reference/matching/#uln.matching.Matcher">
<code>Matcher</code>
</a>
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections import defaultdict
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any, Final

ROLES: Final = ("mod", "func", "class", "data", "meth", "attr", "exc", "obj", "const")
"""The Sphinx roles rendered (with or without a ``py:`` domain)."""

ROLE_HTML: Final = re.compile(r":(?:py:)?(?:" + "|".join(ROLES) + r"):<code>([^<]*)</code>")
"""A role as mkdocstrings and Markdown leave it in HTML."""

ROLE_TEXT: Final = re.compile(r":(?:py:)?(?:" + "|".join(ROLES) + r"):(?=<code>|`)")
"""A role's prefix in plain text (the search index): removed, the code kept."""

LEFT_OVER: Final = re.compile(r":(?:py:)?(?:" + "|".join(ROLES) + r"):(?:<code>|`)")
"""Any role still in a page: what the tests look for."""

_ID: Final = re.compile(r'<h[1-6] id="(uln(?:\.[A-Za-z_][A-Za-z0-9_]*)*)" class="doc doc-heading"')
"""The heading mkdocstrings gives an object (other headings may have such ids too)."""


class Anchors:
    """The objects with a heading on the site: full path -> the page (URL) holding it."""

    def __init__(self, pages: Mapping[str, str]) -> None:
        self.page_of = dict(pages)
        self._by_suffix: dict[str, list[str]] = defaultdict(list)
        for path in self.page_of:
            parts = path.split(".")
            for i in range(1, len(parts)):
                self._by_suffix[".".join(parts[i:])].append(path)

    def resolve(self, target: str, *, page: str) -> str | None:
        """The full path a role's target stands for, or ``None`` when nothing has it."""
        name = target.lstrip("~.").removesuffix("()").strip()
        if name in self.page_of:
            return name
        found = self._by_suffix.get(name, [])
        if not found:
            return None
        return min(found, key=lambda path: (self.page_of[path] != page, len(path), path))


def render_roles(html: str, page: str, anchors: Anchors) -> str:
    """Replace every role in a page's HTML with a link, or with plain code."""

    def link(match: re.Match[str]) -> str:
        target = match[1]
        shown = target.lstrip("~.").removesuffix("()")
        if target.startswith("~"):
            shown = shown.rsplit(".", 1)[-1]
        shown += "()" if target.endswith("()") else ""
        path = anchors.resolve(target, page=page)
        code = f"<code>{shown}</code>"
        if path is None:
            return code
        url = posixpath.relpath(anchors.page_of[path], page or ".")
        url = "" if url == "." else url.rstrip("/") + "/"
        href = escape(f"{url}#{path}", quote=True)
        return f'<a class="autorefs autorefs-internal" href="{href}">{code}</a>'

    return ROLE_HTML.sub(link, html)


def _url(site: Path, file: Path) -> str:
    """The directory URL of a built page, relative to the site: ``reference/uln/``."""
    relative = file.relative_to(site).as_posix()
    return relative.removesuffix("index.html")


def render_site(site: Path) -> int:
    """Render the roles of every page of a built site; return how many were replaced."""
    pages = {file: file.read_text(encoding="utf-8") for file in site.rglob("*.html")}
    found: dict[str, str] = {}
    for file, html in sorted(pages.items()):
        for path in _ID.findall(html):
            found.setdefault(path, _url(site, file))
    anchors = Anchors(found)
    replaced = 0
    for file, html in pages.items():
        new, count = ROLE_HTML.subn(
            lambda m, file=file: render_roles(m[0], _url(site, file), anchors), html
        )
        if count:
            file.write_text(new, encoding="utf-8")
            replaced += count
    index = site / "search" / "search_index.json"
    if index.exists():
        data = json.loads(index.read_text(encoding="utf-8"))
        for doc in data.get("docs", []):
            doc["text"] = ROLE_TEXT.sub("", doc.get("text", ""))
        index.write_text(json.dumps(data), encoding="utf-8")
    return replaced


def on_post_build(config: Any, **kwargs: Any) -> None:
    """MkDocs calls this once the site is written."""
    render_site(Path(os.fspath(config["site_dir"])))
