"""Screening the free text of a learning record against prohibited text.

The Personal Learning Record holds no contextual data (socio-economic background,
ethnicity, disability, exclusions), and the LRS screens free text against a list of
prohibited text so that none slips in through a subject, a grade or a note. The LRS
list is not public: ours is one table, ``uln/plr/data/prohibited_text.txt`` ([ours];
correct it there), read once.

A phrase of the table matches whole words of the text after both are normalised
(NFKC, case-folded, accents stripped, anything but letters and digits made a space).
The error names the field and the rule, never the text:

>>> check_text("Mathematics", field="Subject")
'Mathematics'
>>> check_text("Merit (learner eligible for Free-School meals)", field="Grade")
Traceback (most recent call last):
    ...
uln.plr.prohibited.ProhibitedText: Grade: the text holds contextual data that a learning ...
>>> find_prohibited("Supporting individuals with learning disabilities") is None
True
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import Final

from uln.errors import ValidationError

__all__ = [
    "CATEGORIES",
    "PROHIBITED_TEXT_FILE",
    "ProhibitedText",
    "check_text",
    "find_prohibited",
    "prohibited_phrases",
]

PROHIBITED_TEXT_FILE: Final = "prohibited_text.txt"
"""The table of prohibited phrases, in ``uln/plr/data``."""

CATEGORIES: Final = frozenset({"socio-economic", "ethnicity", "disability", "exclusion"})
"""The kinds of contextual data a learning record must not hold [spec]."""

_NOT_WORD: Final = re.compile(r"[^0-9a-z]+")


class ProhibitedText(ValidationError):
    """A free-text field holds prohibited text (contextual data about the learner).

    ``field`` names the field; ``category`` says which kind of data the phrase found
    belongs to (one of :data:`CATEGORIES`). The text itself is never kept.
    """

    message = (
        "the text holds contextual data that a learning record must not hold "
        "(socio-economic, ethnicity, disability or exclusion)"
    )

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        category: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.category = category
        super().__init__(message, field=field, line=line, column=column)


def _words(text: str) -> str:
    """Normalise text for matching: one space between lower-case ASCII words."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    ascii_only = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", ascii_only).strip()


@functools.cache
def prohibited_phrases() -> Mapping[str, str]:
    """The prohibited phrases (normalised) and their category, read from the table once.

    >>> prohibited_phrases()["free school meals"]
    'socio-economic'
    """
    text = resources.files("uln.plr").joinpath("data", PROHIBITED_TEXT_FILE).read_text("utf-8")
    phrases: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        phrase, sep, category = (part.strip() for part in line.partition("|"))
        if not sep or category not in CATEGORIES or not _words(phrase):
            raise ValueError(f"{PROHIBITED_TEXT_FILE} line {number}: not 'phrase | category'")
        phrases[_words(phrase)] = category
    return MappingProxyType(phrases)


@functools.cache
def _pattern() -> re.Pattern[str]:
    # longest first, whole words only (the text is padded with spaces)
    alternatives = sorted(prohibited_phrases(), key=len, reverse=True)
    return re.compile(" (" + "|".join(re.escape(p) for p in alternatives) + ") ")


def find_prohibited(text: str) -> str | None:
    """The category of the first prohibited phrase in ``text``, or None when it is clean.

    >>> find_prohibited("Distinction; SEN support in class")
    'disability'
    >>> find_prohibited("Sending and receiving e-mail") is None
    True
    """
    found = _pattern().search(f" {_words(text)} ")
    return prohibited_phrases()[found.group(1)] if found else None


def check_text(text: str, *, field: str) -> str:
    """Return ``text`` unchanged when it holds no prohibited phrase, or raise.

    Raises:
        ProhibitedText: naming ``field`` and the category, never the text.
    """
    category = find_prohibited(text)
    if category is not None:
        raise ProhibitedText(field=field, category=category)
    return text
