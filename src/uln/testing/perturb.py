"""Realistic changes to a learner's details, for testing matching rules.

The mistakes and changes of real learner data, each a named kind (the table
:data:`PERTURBATIONS`): a typing slip in a name, two letters transposed, a nickname or
the Welsh form of a name, given and family names the wrong way round, day and month
swapped in the date of birth, a new family name at marriage (the old one kept as the
previous family name), a move to a new postcode in the same district, and a field left
empty. :func:`perturb` applies one kind to a record and returns a new record; the
record given is never changed.

Records are :class:`~uln.learner.Demographics`, :class:`~uln.learner.Learner` (its
demographics are changed) or plain rows: mappings keyed by LRS or snake_case field
names, as :meth:`Demographics.from_raw <uln.learner.Demographics.from_raw>` reads
them. A perturbed ``Demographics`` is always valid: every name is in display form
(``normalise_name`` of it is itself), dates exist, postcodes are geographic. A row
that :meth:`Demographics.from_raw <uln.learner.Demographics.from_raw>` reads stays
readable, except that ``missing`` may blank a mandatory field of a row (the matcher
reads rows with any field missing), which it never does to a ``Demographics``.

When a kind cannot apply to a record (no alias for the given name, a date whose day
is above 12, no optional field to leave out ...) :func:`perturb` raises
:class:`NotApplicable`. Whether a kind applies depends on the record alone, never on
the random choices, so :func:`applicable` says in advance.

Plain functions taking a :class:`random.Random`, so this module needs no Hypothesis;
the strategy :func:`uln.testing.strategies.perturbed` draws perturbations.

>>> import random
>>> row = {"GivenName": "David", "FamilyName": "Jones", "DateOfBirth": "2007-04-09",
...        "Gender": "1", "LastKnownPostCode": "CF10 1AA"}
>>> applicable(row)  # doctest: +NORMALIZE_WHITESPACE
('typo', 'transposition', 'nickname', 'welsh_form', 'name_swap', 'date_swap', 'marriage',
 'move', 'missing')
>>> perturb(row, "welsh_form", random.Random(1))["GivenName"]
'Dafydd'
>>> perturb(row, "date_swap", random.Random(1))["DateOfBirth"]
'2007-09-04'
>>> married = perturb(row, "marriage", random.Random(1))
>>> married["PreviousFamilyName"], married["FamilyName"] != "Jones"
('Jones', True)
>>> moved = perturb(row, "move", random.Random(1))["LastKnownPostCode"]
>>> moved.startswith("CF10 "), moved != "CF10 1AA"
(True, True)
>>> perturb({"GivenName": "Ffion", "FamilyName": "Smith"}, "nickname", random.Random(1))
Traceback (most recent call last):
    ...
uln.testing.perturb.NotApplicable: nickname: the given name has no nickname or other form
"""

from __future__ import annotations

import datetime as _dt
import random
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Final, overload

import attrs

from uln.demographics.dates import DATE_FORMATS
from uln.demographics.names import (
    PATRONYMIC_WORDS,
    SUFFIXES,
    TITLES,
    alias_group,
    alias_groups,
    are_aliases,
    name_key,
    name_parts,
    normalise_name,
    patronymic_equivalents,
)
from uln.demographics.postcodes import POSTCODE_LETTERS, Postcode, PostcodeKind
from uln.errors import UlnError, ValidationError
from uln.learner import FIELDS, Demographics, Learner, field_spec

__all__ = [
    "ALIAS_SECTIONS",
    "KEYBOARD_NEIGHBOURS",
    "MARRIED_NAMES",
    "PERTURBATIONS",
    "NotApplicable",
    "applicable",
    "perturb",
    "random_perturbation",
    "welsh_forms",
]

PERTURBATIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "typo": "one letter of the given or family name mistyped: replaced by a key next to "
        "it on a UK QWERTY keyboard, doubled or joined by a neighbouring key, or left out",
        "transposition": "two adjacent letters of the given or family name swapped",
        "nickname": "the first part of the given name replaced by another form of it from "
        "the alias data (William and Bill, Margaret and Peggy, Dafydd and Dai)",
        "welsh_form": "the given name between its Welsh and English forms (Dafydd and David, "
        "Siân and Jane), or the family name between a Welsh patronymic and the surnames "
        "grown out of it (ap Rhys, Price, Pryce, Rees)",
        "name_swap": "given and family names the wrong way round",
        "date_swap": "day and month of the date of birth swapped (only when both are 12 or "
        "less and differ, so the date exists)",
        "marriage": "a new family name from MARRIED_NAMES; the old one becomes the previous "
        "family name",
        "move": "a new postcode in the same postcode district (geographic postcodes only)",
        "missing": "one field left out: an optional field of a Demographics; any field of a "
        "row, including the five find fields (a blank value)",
    }
)
"""The kinds of perturbation, in a fixed order, with what each does [ours]."""

KEYBOARD_NEIGHBOURS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "q": "was", "w": "qeasd", "e": "wrsdf", "r": "etdfg", "t": "ryfgh", "y": "tughj",
        "u": "yihjk", "i": "uojkl", "o": "ipkl", "p": "ol",
        "a": "qwszx", "s": "qweadzx", "d": "wersfxc", "f": "ertdgcv", "g": "rtyfhvb",
        "h": "tyugjbn", "j": "yuihknm", "k": "uiojlm", "l": "iopk",
        "z": "asx", "x": "zasdc", "c": "xdfv", "v": "cfgb", "b": "vghn", "n": "bhjm",
        "m": "njk",
    }
)  # fmt: skip
"""The letters around each letter on a UK QWERTY keyboard, for typing slips [ours]."""

MARRIED_NAMES: Final[tuple[str, ...]] = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson",
    "Thomas", "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White",
    "Edwards", "Hughes", "Green", "Hall", "Lewis", "Harris", "Clarke", "Patel", "Jackson",
    "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward", "Morris", "Moore", "Lee", "King",
    "Baker", "Harrison", "Morgan", "Allen", "Khan", "Ali", "Kaur", "Nowak", "Murphy",
    "O'Connor", "MacLeod", "Llywelyn", "Vaughan-Jones",
)  # fmt: skip
"""Family names a learner may take at marriage [ours]: common UK surnames."""

_NAME_FIELDS: Final = ("given_name", "family_name")
_MANDATORY: Final = frozenset(Demographics.MANDATORY)
_MISSABLE: Final[tuple[str, ...]] = tuple(
    spec.attr for spec in FIELDS if spec.record == "demographics"
)
"""The fields ``missing`` may leave out of a row; a Demographics loses optional ones only."""


class NotApplicable(UlnError, ValueError):
    """A perturbation cannot apply to this record (the message names the kind and why).

    >>> str(NotApplicable("date_swap", "the day is above 12"))
    'date_swap: the day is above 12'
    """

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


# -- the record behind a perturbation ------------------------------------------------------


class _View:
    """Read and change the fields of a Demographics, a Learner or a row, by attribute."""

    def __init__(self, record: object) -> None:
        self.record = record
        self.keys: dict[str, str] = {}
        self.lrs_style = False
        if isinstance(record, Learner):
            self.kind = "learner"
            self.values = _demographics_values(record.demographics)
        elif isinstance(record, Demographics):
            self.kind = "demographics"
            self.values = _demographics_values(record)
        elif isinstance(record, Mapping):
            self.kind = "row"
            self.values = {}
            for key, value in record.items():
                if not isinstance(key, str):
                    continue
                try:
                    spec = field_spec(key)
                except KeyError:
                    continue
                if spec.record != "demographics" or spec.attr in self.keys:
                    continue
                self.keys[spec.attr] = key
                self.values[spec.attr] = value
                if key == spec.lrs_name and key != spec.attr:
                    self.lrs_style = True
        else:
            raise TypeError(
                "a perturbation needs a Demographics, a Learner or a mapping, "
                f"not {type(record).__name__}"
            )

    @property
    def is_row(self) -> bool:
        return self.kind == "row"

    def text(self, attr: str) -> str | None:
        """The value of a text field, or None when it is absent, blank or not text."""
        value = self.values.get(attr)
        if isinstance(value, str) and value.strip():
            return value
        return None

    def build(self, changes: Mapping[str, Any]) -> Any:
        if self.is_row:
            assert isinstance(self.record, Mapping)
            out = dict(self.record)
            for attr, value in changes.items():
                out[self._key(attr)] = value
            return out
        fixed: dict[str, Any] = {
            attr: normalise_name(value, field=field_spec(attr).lrs_name)
            if isinstance(value, str) and field_spec(attr).kind == "name"
            else value
            for attr, value in changes.items()
        }
        if isinstance(self.record, Learner):
            demographics = attrs.evolve(self.record.demographics, **fixed)
            return attrs.evolve(self.record, demographics=demographics)
        assert isinstance(self.record, Demographics)
        return attrs.evolve(self.record, **fixed)

    def _key(self, attr: str) -> str:
        key = self.keys.get(attr)
        if key is not None:
            return key
        return field_spec(attr).lrs_name if self.lrs_style else attr


def _demographics_values(record: Demographics) -> dict[str, Any]:
    return {attr: getattr(record, attr) for attr in _MISSABLE}


def _valid_name(view: _View, attr: str, old: str, new: str) -> bool:
    """Whether ``new`` may replace ``old``: a valid name stays valid (and within 35)."""
    try:
        normalise_name(old, field=attr)
    except ValidationError:
        return not view.is_row or bool(name_key(new))  # a bad row value: any keyed name
    try:
        normalise_name(new, field=attr)
    except ValidationError:
        return False
    return True


_Changes = dict[str, Any]
_Kind = Callable[[_View, random.Random], _Changes]


# -- typing slips ----------------------------------------------------------------------------


def _is_ascii_letter(char: str) -> bool:
    return "a" <= char <= "z" or "A" <= char <= "Z"


def _like(char: str, letter: str) -> str:
    """``letter`` in the case of ``char``."""
    return letter.upper() if char.isupper() else letter.lower()


def _name_texts(view: _View) -> list[tuple[str, str]]:
    return [(attr, text) for attr in _NAME_FIELDS if (text := view.text(attr)) is not None]


def _typo(view: _View, rng: random.Random) -> _Changes:
    substitutions: list[tuple[str, str, int]] = []
    insertions: list[tuple[str, str, int]] = []
    deletions: list[tuple[str, str]] = []
    for attr, text in _name_texts(view):
        longer_ok = _valid_name(view, attr, text, text + "a")
        for i, char in enumerate(text):
            following = text[i + 1 : i + 2]
            if not _is_ascii_letter(char) or (following and unicodedata.combining(following)):
                continue  # not A to Z, or a letter carrying an accent: leave it alone
            substitutions.append((attr, text, i))
            if longer_ok:
                insertions.append((attr, text, i))
            if text[i - 1 : i].isalpha() or following.isalpha():
                shorter = text[:i] + text[i + 1 :]
                if _valid_name(view, attr, text, shorter):
                    deletions.append((attr, shorter))
    found: dict[str, Sequence[object]] = {
        "substitute": substitutions,
        "insert": insertions,
        "delete": deletions,
    }
    ways = [way for way, options in found.items() if options]
    if not ways:
        raise NotApplicable("typo", "no name has a letter A to Z that can be mistyped")
    way = rng.choice(ways)
    if way == "delete":
        attr, shorter = rng.choice(deletions)
        return {attr: shorter}
    if way == "substitute":
        attr, text, i = rng.choice(substitutions)
        letter = rng.choice(KEYBOARD_NEIGHBOURS[text[i].lower()])
        return {attr: text[:i] + _like(text[i], letter) + text[i + 1 :]}
    attr, text, i = rng.choice(insertions)
    letter = rng.choice(text[i].lower() + KEYBOARD_NEIGHBOURS[text[i].lower()])
    at = i + rng.choice((0, 1))
    return {attr: text[:at] + _like(text[i], letter) + text[at:]}


def _transposition(view: _View, rng: random.Random) -> _Changes:
    options = [
        (attr, text, i)
        for attr, text in _name_texts(view)
        for i in range(len(text) - 1)
        if _is_ascii_letter(text[i])
        and _is_ascii_letter(text[i + 1])
        and text[i].lower() != text[i + 1].lower()
    ]
    if not options:
        raise NotApplicable("transposition", "no name has two different letters side by side")
    attr, text, i = rng.choice(options)
    a, b = text[i], text[i + 1]
    return {attr: text[:i] + _like(a, b) + _like(b, a) + text[i + 2 :]}


# -- other forms of a name -------------------------------------------------------------------

_FIRST_PART: Final = re.compile(r"(\s*)([^\s\-]+)(.*)", re.DOTALL)


def _display(key: str, like: str) -> str:
    """Write a name key as a name typed like ``like`` (all capitals, all small, or Title)."""
    parts = [p.lower() if p in PATRONYMIC_WORDS else p.capitalize() for p in key.split()]
    text = " ".join(parts)
    letters = [c for c in like if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 1:
        return text.upper()
    if letters and all(c.islower() for c in letters):
        return text.lower()
    return text


def _first_part(text: str) -> tuple[str, str, str] | None:
    """Split a name into what precedes its first part, the first part, and the rest."""
    match = _FIRST_PART.fullmatch(text)
    parts = name_parts(text)
    if match is None or not parts or name_key(match[2]).replace(" ", "") != parts[0]:
        return None
    return match[1], match[2], match[3]


def _other_given_names(view: _View, forms: Callable[[str], Sequence[str]]) -> list[str]:
    """The given names with the first part replaced by each of its ``forms`` (keys)."""
    text = view.text("given_name")
    split = _first_part(text) if text is not None else None
    if text is None or split is None:
        return []
    before, part, rest = split
    return [
        new
        for form in forms(name_key(part).replace(" ", ""))
        if _valid_name(view, "given_name", text, new := before + _display(form, part) + rest)
    ]


def _nicknames(key: str) -> list[str]:
    excluded = _excluded_groups()
    found = {
        member
        for group in alias_groups(key)
        if (members := alias_group(group)) not in excluded
        for member in members
        if are_aliases(key, member)  # one person's forms, not a related name
    }
    return sorted(found - {key} - TITLES - SUFFIXES)


def _nickname(view: _View, rng: random.Random) -> _Changes:
    options = _other_given_names(view, _nicknames)
    if not options:
        raise NotApplicable("nickname", "the given name has no nickname or other form")
    return {"given_name": rng.choice(options)}


ALIAS_SECTIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "welsh": "Welsh",
        "not_nicknames": "Other European and Latin forms",
    }
)
"""Sections of the alias data file (by the start of their ``# ==`` heading) that
perturbations treat apart [ours]: ``welsh`` lines start with a Welsh name followed by
its English form (``welsh_form``); ``not_nicknames`` lines hold forms in other languages
and Latin, which ``nickname`` does not use."""


@cache
def _alias_sections() -> dict[str, tuple[tuple[str, ...], ...]]:
    """The groups of the alias data file by section heading, as name keys."""
    text = (
        resources.files("uln.demographics")
        .joinpath("data", "aliases.txt")
        .read_text(encoding="utf-8")
    )
    sections: dict[str, list[tuple[str, ...]]] = {}
    heading = ""
    for line in text.splitlines():
        if line.startswith("# =="):
            heading = line.strip("#= ")
            continue
        names = line.split("#", 1)[0].strip()
        if names:
            keys = tuple(
                dict.fromkeys(
                    name_key(n).replace(" ", "") for n in names.replace(";", ",").split(",")
                )
            )
            sections.setdefault(heading, []).append(keys)
    return {heading: tuple(groups) for heading, groups in sections.items()}


def _section(name: str) -> tuple[tuple[str, ...], ...]:
    start = ALIAS_SECTIONS[name]
    return tuple(
        group
        for heading, groups in _alias_sections().items()
        if heading.startswith(start)
        for group in groups
    )


@cache
def _excluded_groups() -> frozenset[tuple[str, ...]]:
    return frozenset(_section("not_nicknames"))


@cache
def _welsh_table() -> dict[str, tuple[str, ...]]:
    table: dict[str, set[str]] = {}
    for keys in _section("welsh"):
        if len(keys) >= 2 and all(keys[:2]):
            table.setdefault(keys[0], set()).add(keys[1])
            table.setdefault(keys[1], set()).add(keys[0])
    return {key: tuple(sorted(forms)) for key, forms in table.items()}


def welsh_forms(name: str) -> tuple[str, ...]:
    """The Welsh or English forms of a given name, as keys (empty when it has none).

    Read from the Welsh section of the alias data (``uln/demographics/data/aliases.txt``),
    where each line starts with a Welsh name followed by its English form: the two are
    each other's forms.

    >>> welsh_forms("David"), welsh_forms("Siân"), welsh_forms("Ffion")
    (('DAFYDD', 'DEWI'), ('JANE',), ())
    """
    return _welsh_table().get(name_key(name).replace(" ", ""), ())


def _welsh_given(key: str) -> Sequence[str]:
    return _welsh_table().get(key, ())


def _welsh_form(view: _View, rng: random.Random) -> _Changes:
    options: dict[str, list[str]] = {
        "given_name": _other_given_names(view, _welsh_given),
        "family_name": [],
    }
    family = view.text("family_name")
    if family is not None:
        options["family_name"] = [
            new
            for form in sorted(patronymic_equivalents(name_key(family)))
            if _valid_name(view, "family_name", family, new := _display(form, family))
        ]
    fields = [attr for attr, found in options.items() if found]
    if not fields:
        raise NotApplicable("welsh_form", "neither name has a Welsh or English form")
    attr = rng.choice(fields)
    return {attr: rng.choice(options[attr])}


def _name_swap(view: _View, rng: random.Random) -> _Changes:
    given, family = view.text("given_name"), view.text("family_name")
    if given is None or family is None or name_key(given) == name_key(family):
        raise NotApplicable("name_swap", "the given and family names are not two different names")
    return {"given_name": family, "family_name": given}


def _marriage(view: _View, rng: random.Random) -> _Changes:
    family = view.text("family_name")
    if family is None or not name_key(family):
        raise NotApplicable("marriage", "there is no family name to change")
    taken = {name_key(family), name_key(view.text("given_name") or "")}
    options = [name for name in MARRIED_NAMES if name_key(name) not in taken]
    return {"family_name": rng.choice(options), "previous_family_name": family}


# -- dates and postcodes ---------------------------------------------------------------------

_DATE_MATCH: Final = tuple(
    (re.compile(pattern), tuple(name for name in re.compile(pattern).groupindex))
    for _, pattern in DATE_FORMATS
)


def _date_swap(view: _View, rng: random.Random) -> _Changes:
    value = view.values.get("date_of_birth")
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        if value.day > 12 or value.day == value.month:
            raise NotApplicable("date_swap", "the day is above 12 or equals the month")
        return {"date_of_birth": value.replace(month=value.day, day=value.month)}
    if isinstance(value, str):
        text = value.strip()
        for pattern, _ in _DATE_MATCH:
            match = pattern.fullmatch(text)
            if match is None:
                continue
            groups = {name[-1]: name for name, v in match.groupdict().items() if v is not None}
            year, month, day = (int(match[groups[k]]) for k in "ymd")
            if day > 12 or day == month or not _exists(year, month, day):
                raise NotApplicable("date_swap", "the day is above 12 or equals the month")
            m_span, d_span = match.span(groups["m"]), match.span(groups["d"])
            spans = sorted([(m_span, match[groups["d"]]), (d_span, match[groups["m"]])])
            out, at = [], 0
            for (start, end), replacement in spans:
                out += [text[at:start], replacement]
                at = end
            out.append(text[at:])
            return {"date_of_birth": "".join(out)}
    raise NotApplicable("date_swap", "there is no date of birth that can be read")


def _exists(year: int, month: int, day: int) -> bool:
    try:
        _dt.date(year, month, day)
    except ValueError:
        return False
    return True


@cache
def _inward_codes() -> tuple[str, ...]:
    letters = POSTCODE_LETTERS["inward"]
    return tuple(f"{d}{x}{y}" for d in "0123456789" for x in letters for y in letters)


def _move(view: _View, rng: random.Random) -> _Changes:
    value = view.values.get("postcode")
    try:
        if isinstance(value, Postcode):
            postcode = value
        elif isinstance(value, str):
            postcode = Postcode.parse(value)
        else:
            raise TypeError
    except (ValidationError, TypeError):
        raise NotApplicable("move", "there is no postcode that can be read") from None
    if postcode.kind is not PostcodeKind.GEOGRAPHIC:
        raise NotApplicable("move", "the postcode is not a geographic postcode")
    codes = _inward_codes()
    skip = codes.index(postcode.inward) if postcode.inward in codes else len(codes)
    n = rng.randrange(len(codes) - 1)  # any inward code but the current one, with no retry
    inward = codes[n + (n >= skip)]
    moved = Postcode.parse(f"{postcode.outward} {inward}")
    return {"postcode": moved if not isinstance(value, str) else str(moved)}


# -- a field left out ------------------------------------------------------------------------


def _missing(view: _View, rng: random.Random) -> _Changes:
    fields = [
        attr
        for attr in _MISSABLE
        if (view.is_row or attr not in _MANDATORY) and _present(view.values.get(attr))
    ]
    if not fields:
        raise NotApplicable("missing", "there is no field that may be left out")
    attr = rng.choice(fields)
    value = view.values[attr]
    return {attr: "" if view.is_row and isinstance(value, str) else None}


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


_KINDS: Final[dict[str, _Kind]] = {
    "typo": _typo,
    "transposition": _transposition,
    "nickname": _nickname,
    "welsh_form": _welsh_form,
    "name_swap": _name_swap,
    "date_swap": _date_swap,
    "marriage": _marriage,
    "move": _move,
    "missing": _missing,
}
assert tuple(_KINDS) == tuple(PERTURBATIONS)


# -- the public functions ----------------------------------------------------------------------


@overload
def perturb(record: Demographics, kind: str, rng: random.Random) -> Demographics: ...
@overload
def perturb(record: Learner, kind: str, rng: random.Random) -> Learner: ...
@overload
def perturb(record: Mapping[str, Any], kind: str, rng: random.Random) -> dict[str, Any]: ...
def perturb(record: Any, kind: str, rng: random.Random) -> Any:
    """Return a copy of ``record`` with one perturbation of the given ``kind``.

    Args:
        record: a :class:`~uln.learner.Demographics`, a :class:`~uln.learner.Learner`
            or a row (a mapping keyed by LRS or snake_case field names).
        kind: one of :data:`PERTURBATIONS`.
        rng: where the random choices come from (seed it to repeat a perturbation).

    Returns:
        A new record of the same type (a row comes back as a new ``dict``, with the
        keys of the original and, for ``marriage``, a previous family name keyed in the
        same style).

    Raises:
        NotApplicable: the kind cannot apply to this record.
        ValueError: ``kind`` is not a perturbation.
        TypeError: ``record`` is none of the types above.

    >>> import random
    >>> from uln.learner import Demographics
    >>> d = Demographics.from_raw({"GivenName": "William", "FamilyName": "Price",
    ...     "DateOfBirth": "2008-05-17", "Gender": "M", "LastKnownPostCode": "SA1 1AA"})
    >>> perturb(d, "nickname", random.Random(6)).given_name
    'Billy'
    >>> perturb(d, "name_swap", random.Random(3)).given_name
    'Price'
    >>> perturb(d, "date_swap", random.Random(3))
    Traceback (most recent call last):
        ...
    uln.testing.perturb.NotApplicable: date_swap: the day is above 12 or equals the month
    """
    try:
        change = _KINDS[kind]
    except (KeyError, TypeError):
        raise ValueError(f"kind must be one of {', '.join(PERTURBATIONS)}") from None
    view = _View(record)
    return view.build(change(view, rng))


def applicable(
    record: Demographics | Learner | Mapping[str, Any], kinds: Sequence[str] | None = None
) -> tuple[str, ...]:
    """The kinds (of ``kinds``, default all of :data:`PERTURBATIONS`) that apply to ``record``.

    >>> applicable({"given_name": "Ffion", "date_of_birth": "2001-02-13"})
    ('typo', 'transposition', 'missing')
    """
    chosen = tuple(PERTURBATIONS) if kinds is None else tuple(kinds)
    unknown = set(chosen) - set(PERTURBATIONS)
    if unknown:
        raise ValueError(f"kinds must be some of {', '.join(PERTURBATIONS)}")
    view = _View(record)
    out = []
    for kind in chosen:
        try:
            _KINDS[kind](view, random.Random(0))
        except NotApplicable:
            continue
        out.append(kind)
    return tuple(out)


@overload
def random_perturbation(
    record: Demographics, rng: random.Random, *, kinds: Sequence[str] | None = None
) -> tuple[str, Demographics]: ...
@overload
def random_perturbation(
    record: Learner, rng: random.Random, *, kinds: Sequence[str] | None = None
) -> tuple[str, Learner]: ...
@overload
def random_perturbation(
    record: Mapping[str, Any], rng: random.Random, *, kinds: Sequence[str] | None = None
) -> tuple[str, dict[str, Any]]: ...
def random_perturbation(
    record: Any, rng: random.Random, *, kinds: Sequence[str] | None = None
) -> tuple[str, Any]:
    """Apply one kind, chosen at random among the ``kinds`` that apply; return both.

    Raises:
        NotApplicable: none of ``kinds`` applies to ``record``.

    >>> import random
    >>> random_perturbation({"given_name": "Jo"}, random.Random(0), kinds=["missing"])
    ('missing', {'given_name': ''})
    """
    options = applicable(record, kinds)
    if not options:
        raise NotApplicable("any", "none of the kinds applies to this record")
    kind = rng.choice(options)
    return kind, perturb(record, kind, rng)
