"""Learner names: the display form sent to the register, and keys for comparing names.

Two forms of a name serve two purposes:

* :func:`normalise_name` returns the **display form**: what is stored and sent to the
  Learning Records Service. Spaces are trimmed and collapsed, the text is put in Unicode
  NFC, typographic apostrophes and dashes become ``'`` and ``-``, and the LRS limits are
  checked (35 characters, at least one letter, no digits or control characters). Letters
  of every script are kept, so Welsh ``ŵ`` ``ŷ`` ``â`` survive.
* :func:`name_key` returns the **comparison key**: upper-case ASCII ``A-Z`` parts
  separated by single spaces. Accents are folded, letters without a decomposition are
  transliterated (``ł`` ``ø`` ``ß`` ...), titles and suffixes are dropped, and the
  prefixes ``O'`` and ``Mac``/``Mc`` are written one way. It never raises.

:func:`name_parts` splits a key into its parts; :func:`alias_groups` and
:func:`are_aliases` know diminutives, old abbreviations and Welsh, Irish and Scottish
forms of given names; :func:`patronymic_equivalents` knows the surnames that grew out of
the Welsh ``ap``/``ab`` ("son of").

>>> normalise_name("  siân   o’brien-JONES ")
"siân o'brien-JONES"
>>> name_key("Siân O'Brien-Jones")
'SIAN OBRIEN JONES'
>>> name_key("Mr. Łukasz McDonald Jr")
'LUKASZ MACDONALD'
>>> name_parts("Smith - Jones")
('SMITH', 'JONES')
>>> are_aliases("Dafydd", "Dai"), are_aliases("Bill", "William"), are_aliases("Jim", "Tom")
(True, True, False)
>>> print(*sorted(patronymic_equivalents("ap Hywel"))[:4], sep=", ")
AB HOWEL, AB HOWELL, AB HYWEL, AP HOWEL
>>> "POWELL" in patronymic_equivalents("ap Hywel")
True
>>> normalise_name("R2-D2")
Traceback (most recent call last):
    ...
uln.errors.InvalidName: Name: a name must not contain digits

Every rule that no public source gives is a decision of this project, kept in one of the
tables of this module (:data:`APOSTROPHES`, :data:`DASHES`, :data:`INVISIBLE`,
:data:`TRANSLITERATION`, :data:`TITLES`, :data:`SUFFIXES`, :data:`GLUED_PREFIXES`,
:data:`ABBREVIATED_PREFIXES`, :data:`PATRONYMIC_WORDS`, :data:`PATRONYMICS`) or in the
alias data file ``uln/demographics/data/aliases.txt``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

from uln.errors import InvalidFormat, InvalidLength, InvalidName, MissingValue, ValidationError

__all__ = [
    "ABBREVIATED_PREFIXES",
    "APOSTROPHES",
    "DASHES",
    "GLUED_PREFIXES",
    "INVISIBLE",
    "MAX_LENGTH",
    "PATRONYMICS",
    "PATRONYMIC_WORDS",
    "SUFFIXES",
    "TITLES",
    "TRANSLITERATION",
    "alias_forms",
    "alias_group",
    "alias_groups",
    "are_aliases",
    "are_related",
    "name_key",
    "name_parts",
    "normalise_name",
    "patronymic_equivalents",
]

CACHED_LENGTH = 100
"""[ours] The longest text whose outcome the name caches remember.

Names repeat, so :func:`normalise_name`, :func:`name_key` and :func:`name_parts`
remember the outcome of each text, up to ``2**17`` texts each; a longer text (no real
name is) is worked out every time and not kept. The caches therefore hold at most
``2**17`` entries of at most this many characters each, whatever they are given.
"""

MAX_LENGTH = 35
"""The LRS limit on every name field (GivenName, FamilyName, MiddleOtherName ...)."""

# -- the rule tables ([ours] unless marked) -----------------------------------------------

APOSTROPHES = "'\u2019\u2018\u02bc\u02bb\u02b9`\u00b4\u2032\uff07"
"""Characters read as an apostrophe: ``'`` ``’`` ``‘`` ``ʼ`` ``ʻ`` ``ʹ`` `````` ``´`` ``′``
and the full-width ``＇``. The display form writes every one of them as ``'``."""

DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
"""Characters read as a hyphen (hyphen, non-breaking hyphen, en and em dash, minus ...).
The display form writes every one of them as ``-``."""

INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"
"""Invisible characters removed from names: zero-width space, non-joiner and joiner, word
joiner, byte-order mark, soft hyphen and the left-to-right and right-to-left marks. They
come from copying and pasting and never carry meaning in a name the register holds."""

TRANSLITERATION: dict[str, str] = {
    # Latin letters that have no Unicode decomposition (case-folded forms).
    "ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i",
    "ħ": "h", "ŧ": "t", "ŋ": "ng", "ĸ": "q", "ə": "e", "ǝ": "e", "ɛ": "e", "ɔ": "o",
    "ƒ": "f", "ʒ": "z", "ȝ": "z", "ɨ": "i", "ʉ": "u", "ɓ": "b", "ɗ": "d", "ɖ": "d",
    "ƙ": "k", "ƴ": "y", "ɲ": "ny", "ß": "ss", "ſ": "s", "ŀ": "l", "ĳ": "ij",
    "\u00b7": "",  # the Catalan middle dot in l·l
    # Greek (simple ELOT 743 letters; accents are dropped before this table applies).
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
    "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p",
    "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps",
    "ω": "o",
    # Cyrillic (simple BGN/PCGN letters for Russian, Ukrainian, Belarusian, Serbian).
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "є": "ye",
    "ж": "zh", "з": "z", "и": "i", "і": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj",
    "м": "m", "н": "n", "њ": "nj", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "ћ": "c", "ђ": "dj", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "џ": "dz",
    "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    "ѕ": "dz",
}  # fmt: skip
"""Letters folded by :func:`name_key` after case-folding and removing accents. Letters of
other scripts that are not in this table are dropped from the key."""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


TITLES: frozenset[str] = _words(
    """
    MR MRS MISS MS MX MIZ MISTER MISSUS MASTER MSTR MADAM MADAME MME MLLE MESDAMES THE
    DR DOCTOR PROF PROFESSOR REV REVD REVEREND VERY FR FATHER SR SISTER BR BRO BROTHER
    PASTOR CANON RABBI SIR DAME LADY LORD HON HONOURABLE HONORABLE RT RIGHT RTHON
    BARON BARONESS VISCOUNT VISCOUNTESS EARL COUNTESS MARQUESS MARQUIS MARCHIONESS
    DUCHESS PRINCESS CAPT CAPTAIN COL COLONEL LT LIEUT LIEUTENANT SGT SERGEANT CPL
    CORPORAL PTE PRIVATE GEN GENERAL MAJ MAJOR BRIG BRIGADIER CMDR CDR COMMANDER ADM
    ADMIRAL CLLR ALD
    """
)
"""Words dropped from the start of a name key (titles, honorifics and ranks), while another
part remains. Words that are often given names or surnames on their own (Dean, King, Duke,
Prince, Bishop, Sheikh) are deliberately missing."""

SUFFIXES: frozenset[str] = _words(
    """
    JR JNR JUNR JUNIOR SNR SENR SENIOR SR II III IV ESQ ESQR ESQUIRE GENT GENTLEMAN
    PHD DPHIL MBE OBE CBE KBE DBE MP QC KC JP FRS BSC MSC BART BT BARONET
    DECD DECEASED WIDOW WID WIDR WIDOWER SPINSTER SPR BACHELOR BACH INFANT
    """
)
"""Words dropped from the end of a name key (generation suffixes, honours, and the
descriptions old registers add after a name), while another part with a letter remains.
Short words that are also surnames (Sen, Jun, Ma, Ba, Md) are deliberately missing."""

GLUED_PREFIXES: dict[str, str] = {"O": "O", "MC": "MAC", "MAC": "MAC", "FITZ": "FITZ"}
"""Prefixes joined to the part that follows them, written in the canonical form on the
right: ``O Brien`` is ``OBRIEN``, ``Mc Donald`` and ``Mac Donald`` are ``MACDONALD``.
Besides these, a part starting ``MC`` is rewritten to start ``MAC`` (``MCKAY`` is
``MACKAY``), a single letter followed by an apostrophe is joined to the next part
(``D'Arcy`` is ``DARCY``, ``L'Estrange`` is ``LESTRANGE``) and ``M'`` is the old
Scottish short form of ``Mac`` (``M'Donald`` is ``MACDONALD``)."""

ABBREVIATED_PREFIXES: dict[str, str] = {"ST": "SAINT", "STE": "SAINTE"}
"""Abbreviations written out when another part follows: ``St John`` is ``SAINT JOHN``."""

PATRONYMIC_WORDS: frozenset[str] = frozenset({"AP", "AB", "FERCH", "VERCH", "FCH", "VCH"})
"""Welsh patronymic particles: ``ap``/``ab`` (son of) and ``ferch``/``verch`` (daughter
of, with the old short forms ``fch``/``vch``)."""

PATRONYMICS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    # (father's names written after ap/ab, surnames that came from them)
    (("RHYS", "REES", "REESE", "REECE", "RICE"),
     ("PRICE", "PRYCE", "PREECE", "PREES", "PREESE", "RHYS", "REES", "REESE", "REECE", "RICE")),
    (("HYWEL", "HOWEL", "HOWELL"), ("POWELL", "POWEL", "HOWELL", "HOWELLS", "HOWEL", "HYWEL")),
    (("OWAIN", "OWEN"), ("BOWEN", "OWEN", "OWENS", "OWAIN")),
    (("HUW", "HUGH"), ("PUGH", "PUGHE", "PEW", "HUGHES", "HUGH", "HUW")),
    (("RICHARD", "RHISIART"), ("PRITCHARD", "PRICHARD", "UPRICHARD", "RICHARDS", "RICHARD")),
    (("ROBERT",), ("PROBERT", "PROBERTS", "ROBERTS", "ROBERT")),
    (("HARRI", "HARRY", "HENRY"), ("PARRY", "PENRY", "HARRY", "HARRIES")),
    (("IFAN", "IEUAN", "EVAN"), ("BEVAN", "BEAVAN", "BEAVEN", "BEVIN", "EVANS", "EVAN")),
    (("EINION", "EINON", "EYNON"), ("BEYNON", "BENYON", "BEINON", "BAYNON", "EYNON", "EINON")),
    (("ITHEL",), ("BITHELL", "BITHEL", "BETHELL", "ITHELL", "ITHEL")),
    (("ELIS", "ELLIS"), ("BELLIS", "ELLIS", "ELIS")),
    (("ADDA", "ADAM"), ("BADHAM", "ADAMS", "ADAM")),
    (("HEILYN", "HEILIN"), ("PALIN", "PALING", "HEILYN")),
    (("HOPCYN", "HOPKIN"), ("POPKIN", "POPKINS", "HOPKIN", "HOPKINS")),
    (("WMFFRE", "HUMPHREY"), ("PUMPHREY", "PUMFREY", "HUMPHREYS", "HUMPHRIES", "HUMPHREY")),
    (("RHYDDERCH",), ("PROTHERO", "PROTHEROE", "PRYTHERCH", "PRYDDERCH", "RHYDDERCH")),
    (("ROSSER", "ROGER"), ("PROSSER", "PRODGER", "PROGER", "ROSSER", "ROGERS", "ROGER")),
    (("ROBIN",), ("PROBYN", "PROBIN", "ROBIN")),
    (("SION", "JOHN", "IOAN"), ("UPJOHN", "JONES", "JOHNS", "JOHN")),
    (("DAFYDD", "DAVID", "DEIO"), ("DAVIES", "DAVIS", "DAVID", "DAFYDD")),
    (("GWILYM", "WILLIAM"), ("WILLIAMS", "GWILLIAM", "GWILYM", "WILLIAM")),
    (("MEURIG",), ("MEYRICK", "MERRICK", "MEURIG")),
    (("MADOG", "MADOC"), ("MADDOCKS", "MADDOCK", "MADDOX", "MADOC", "MADOG")),
    (("LLYWELYN", "LLEWELYN", "LLEWELLYN"),
     ("LLEWELLYN", "LLEWELYN", "LLEWELLIN", "FLEWELLIN", "FLUELLEN", "LLYWELYN")),
    (("GRUFFUDD", "GRUFFYDD", "GRIFFITH"), ("GRIFFITHS", "GRIFFITH", "GRUFFUDD", "GRUFFYDD")),
    (("TOMOS", "THOMAS"), ("THOMAS", "TOMOS")),
    (("IORWERTH",), ("YORATH", "YORWERTH", "IORWERTH")),
    (("MAREDUDD", "MEREDYDD", "MEREDITH"), ("MEREDITH", "MEREDYDD", "MAREDUDD")),
    (("SIENCYN", "JENKIN"), ("JENKINS", "JENKIN", "SIENCYN")),
    (("GWALLTER", "WALTER"), ("WALTERS", "WALTER", "GWALLTER")),
    (("MORGAN",), ("MORGANS", "MORGAN")),
    (("LEWYS", "LEWIS"), ("LEWIS", "LEWYS")),
)  # fmt: skip
"""Welsh patronymics and the surnames that grew out of them, one row a family of names.
``ap Rhys`` (son of Rhys) fused into Price, Pryce and Preece, and the father's name alone,
or with the English genitive ``-s``, became the surname Rhys, Rees or Reece (Hughes,
Jones, Davies for others). Every written form of the patronymic (``AP``/``AB`` with each
father's name) and every surname of a row are equivalent to each other. Source: the
usual accounts of Welsh surnames (ap/ab fused into P- and B- names: Powell, Pugh, Bowen,
Bevan, Beynon, Prosser, Probert, Pritchard, Parry, Upjohn)."""

# -- display form -------------------------------------------------------------------------

FIELD = "Name"

_DISPLAY_FOLD = str.maketrans(
    {**dict.fromkeys(APOSTROPHES, "'"), **dict.fromkeys(DASHES, "-"),
     **dict.fromkeys(INVISIBLE)}
)  # fmt: skip
# Whitespace collapsed to one space. The ASCII separators \x1c-\x1f count as whitespace
# for str.split() but are control characters here, so the set is explicit.
_WHITESPACE = re.compile("[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
# ASCII letters, separators and white space, with at least one letter.
_ASCII_NAME = re.compile(r"[' .`\-\t\n\v\f\r]*[A-Za-z][A-Za-z' .`\-\t\n\v\f\r]*")
_SPACED_HYPHEN = re.compile(r" ?- ?")

_RULE_DIGITS = "a name must not contain digits"
_RULE_CONTROL = "a name must not contain control characters"
_RULE_CHARACTERS = "a name may contain only letters, spaces, hyphens, apostrophes and full stops"
_RULE_LETTER = "a name must contain at least one letter"
_RULE_MISSING = "a name is required"

_Outcome = tuple[str, type[ValidationError] | None, str]


def normalise_name(text: str, *, field: str = FIELD, max_length: int = MAX_LENGTH) -> str:
    """Return the display form of a name, or raise if the LRS would refuse it.

    Leading and trailing spaces go, runs of white space become one space, the text is put
    in Unicode NFC, the apostrophes of :data:`APOSTROPHES` become ``'``, the dashes of
    :data:`DASHES` become ``-`` (with no space around it) and :data:`INVISIBLE`
    characters are removed. Case is kept as given.

    Args:
        text: the name as typed or read from a file.
        field: the field named in error messages (``"GivenName"``, ``"FamilyName"`` ...).
        max_length: the longest display form allowed, in characters (35 in the LRS).

    Returns:
        The display form.

    Raises:
        MissingValue: the name is empty or only white space.
        InvalidName: the name has digits, control characters or other characters than
            letters, spaces, hyphens, apostrophes and full stops, or no letter at all.
        InvalidLength: the display form is longer than ``max_length``.
        InvalidFormat: ``text`` is not a string.

    >>> normalise_name("  Llŷr   ap  Rhys ")
    'Llŷr ap Rhys'
    >>> normalise_name("SMITH – JONES", field="FamilyName")
    'SMITH-JONES'
    >>> normalise_name("   ", field="GivenName")
    Traceback (most recent call last):
        ...
    uln.errors.MissingValue: GivenName: a name is required
    >>> normalise_name("A" * 36)
    Traceback (most recent call last):
        ...
    uln.errors.InvalidLength: Name: a name has at most 35 characters
    """
    if type(text) is not str:
        if not isinstance(text, str):
            raise InvalidFormat(
                f"a name must be given as a string, not {type(text).__name__}", field=field
            )
        text = str(text)
    value, error, rule = (
        _normalise(text) if len(text) <= CACHED_LENGTH else _normalise.__wrapped__(text)
    )
    if error is not None:
        raise error(rule, field=field)
    if len(value) > max_length:
        raise InvalidLength(f"a name has at most {max_length} characters", field=field)
    return value


@lru_cache(maxsize=1 << 17)
def _normalise(text: str) -> _Outcome:
    """Normalise ``text``; return the value or the error class and rule (so failures cache).

    The length is checked by the caller: one cache entry serves every ``max_length``,
    and a cache keyed on the text alone is the quickest to look up.
    """
    if text.isascii() and _ASCII_NAME.fullmatch(text):
        # The common case: ASCII letters, separators and white space only.
        value = " ".join(text.replace("`", "'").split())
        if "-" in value:
            value = _SPACED_HYPHEN.sub("-", value)
    else:
        value = unicodedata.normalize("NFC", text.translate(_DISPLAY_FOLD))
        value = _WHITESPACE.sub(" ", value).strip(" ")
        if not value:
            return "", MissingValue, _RULE_MISSING
        if "-" in value:
            value = _SPACED_HYPHEN.sub("-", value)
        rule = _character_problem(value)
        if rule is not None:
            return "", InvalidName, rule
    return value, None, ""


def _character_problem(value: str) -> str | None:
    """Return the first character rule ``value`` breaks, or None."""
    has_letter = after_letter = False
    category = unicodedata.category
    for char in value:
        if char in " '-.":
            after_letter = False
            continue
        kind = category(char)
        if kind[0] == "L":
            has_letter = after_letter = True
        elif kind[0] == "M":
            if not after_letter:  # a combining mark needs a letter to sit on
                return _RULE_CHARACTERS
        elif kind[0] == "N":
            return _RULE_DIGITS
        elif kind in ("Cc", "Cf", "Cs"):
            return _RULE_CONTROL
        else:
            return _RULE_CHARACTERS
    return None if has_letter else _RULE_LETTER


# -- comparison key -----------------------------------------------------------------------


def _whitespace_chars() -> str:
    return "".join(chr(c) for c in range(0x3001) if chr(c).isspace())


# Before NFKC: NFKC would turn the spacing accent ´ into a space and a combining accent.
_KEY_BEFORE = str.maketrans(
    {**dict.fromkeys(APOSTROPHES, "'"), **dict.fromkeys(DASHES, " "),
     **dict.fromkeys(_whitespace_chars(), " "), **dict.fromkeys(INVISIBLE)}
)  # fmt: skip
_KEY_AFTER = str.maketrans(
    {**TRANSLITERATION, **dict.fromkeys(APOSTROPHES, "'"), **dict.fromkeys(DASHES, " ")}
)
# ASCII stage: upper-case A-Z, keep the apostrophe (and read ` as one), write every digit
# as 0 (numbers and ordinals are dropped below), everything else separates parts.
_KEY_BYTES = bytes(
    c if 65 <= c <= 90
    else c - 32 if 97 <= c <= 122
    else 48 if 48 <= c <= 57
    else 39 if c in (39, 96)
    else 32
    for c in range(256)
)  # fmt: skip
# A number (digits, written as 0 by _KEY_BYTES) with its ordinal ending: "1st", "8th".
_NUMBER = re.compile(r"0+(?:(?:ST|ND|RD|TH)(?![A-Z]))?")
_MAC_APOSTROPHE = re.compile(r"\bM' *(?=[A-Z])")
_LETTER_APOSTROPHE = re.compile(r"\b([A-Z])' *(?=[A-Z])")


def name_key(text: object) -> str:
    """Return the comparison key of a name: ``A-Z`` parts separated by single spaces.

    Never raises: anything that is not a string, or has no letter that can be written
    in ``A-Z``, gives ``""``. The steps, in order:

    1. Unicode NFKC and case-folding; accents removed (NFD, combining marks dropped);
       :data:`TRANSLITERATION` for letters without a decomposition (``ł`` ``ø`` ``þ``
       ``æ``) and for Greek and Cyrillic. White space, hyphens, full stops and other
       ASCII punctuation separate parts; numbers are dropped with their ordinal endings
       (``1st``); other characters that cannot be written in ``A-Z`` are dropped.
    2. A single letter before an apostrophe is joined to what follows (``O'Brien``,
       ``D'Arcy``); ``M'`` becomes ``MAC``; other apostrophes separate parts.
    3. :data:`TITLES` are dropped from the start and :data:`SUFFIXES` from the end, while
       another part remains.
    4. :data:`GLUED_PREFIXES` are joined to the next part, ``MC...`` becomes ``MAC...``,
       ``ST`` before another part becomes ``SAINT``.

    >>> name_key("o'brien"), name_key("O Brien"), name_key("OBrien")
    ('OBRIEN', 'OBRIEN', 'OBRIEN')
    >>> name_key("Mc Donald") == name_key("MacDonald") == name_key("M'Donald")
    True
    >>> name_key("Strauß"), name_key("Øyvind"), name_key("Llŷr")
    ('STRAUSS', 'OYVIND', 'LLYR')
    >>> name_key("Dr Gwenllïan ferch Dafydd"), name_key(None), name_key("42")
    ('GWENLLIAN FERCH DAFYDD', '', '')
    """
    if type(text) is not str:
        if not isinstance(text, str):
            return ""
        text = str(text)
    return _key(text) if len(text) <= CACHED_LENGTH else _key.__wrapped__(text)


@lru_cache(maxsize=1 << 17)
def _key(text: str) -> str:
    if text.isascii():
        folded = text.encode("ascii").translate(_KEY_BYTES).decode("ascii")
    else:
        folded = unicodedata.normalize("NFKC", text.translate(_KEY_BEFORE)).casefold()
        folded = unicodedata.normalize("NFD", folded).translate(_KEY_AFTER)
        folded = folded.encode("ascii", "ignore").translate(_KEY_BYTES).decode("ascii")
    if "0" in folded:
        folded = _NUMBER.sub(" ", folded)
    if "'" in folded:
        folded = _MAC_APOSTROPHE.sub("MAC", folded)
        folded = _LETTER_APOSTROPHE.sub(r"\1", folded).replace("'", " ")
    parts = folded.split()
    while len(parts) > 1 and parts[0] in TITLES:
        del parts[0]
    while len(parts) > 1 and parts[-1] in SUFFIXES:
        del parts[-1]
    return " ".join(_canonical_parts(parts))


def _canonical_parts(parts: list[str]) -> list[str]:
    out: list[str] = []
    count = len(parts)
    index = 0
    while index < count:
        part = parts[index]
        index += 1
        if index < count:
            if part in GLUED_PREFIXES:
                part = GLUED_PREFIXES[part] + parts[index]
                index += 1
            elif part in ABBREVIATED_PREFIXES:
                part = ABBREVIATED_PREFIXES[part]
        if part.startswith("MC"):
            part = "MAC" + part[2:]
        out.append(part)
    return out


def name_parts(text: object) -> tuple[str, ...]:
    """Return the parts of the key of a name (:func:`name_key` split on spaces).

    Hyphens, apostrophes (other than after a glued prefix) and spaces all separate parts,
    so a double-barrelled name can be compared part by part.

    >>> name_parts("Smith-Jones"), name_parts("Ní Bhriain"), name_parts("")
    (('SMITH', 'JONES'), ('NI', 'BHRIAIN'), ())
    """
    if type(text) is not str:
        if not isinstance(text, str):
            return ()
        text = str(text)
    if len(text) > CACHED_LENGTH:
        return tuple(name_key(text).split())
    return _parts(text)


@lru_cache(maxsize=1 << 17)
def _parts(text: str) -> tuple[str, ...]:
    return tuple(_key(text).split())


# -- aliases ------------------------------------------------------------------------------

_ALIAS_FILE = "aliases.txt"
_ALIASES: dict[str, frozenset[int]] = {}
_FORMS: dict[str, frozenset[int]] = {}
_GROUPS: list[tuple[str, ...]] = []
_NO_GROUPS: frozenset[int] = frozenset()


def _load_aliases() -> dict[str, frozenset[int]]:
    """Read the alias data file once: one group a line, names separated by commas.

    A group's names before its first ``;`` are the root name and its pet forms; each
    part after a ``;`` is a branch, a name in its own right grown from the root (a
    translation or an old pet form now given as a name) with its own spellings and pet
    forms. Two names of a group are forms of one person's name (:func:`are_aliases`)
    when they are in the same part, or one of them is the root name itself (the first
    name of the line). Each name gets "form ids" so that the test is one set
    intersection: the root name carries the id of every part, the others the id of
    their own part.
    """
    if not _GROUPS:
        text = (
            resources.files("uln.demographics")
            .joinpath("data", _ALIAS_FILE)
            .read_text(encoding="utf-8")
        )
        groups: list[tuple[str, ...]] = []
        index: dict[str, set[int]] = {}
        forms: dict[str, set[int]] = {}
        next_form = 0
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            segments = [
                tuple(dict.fromkeys(_alias_key(name) for name in part.split(",") if name.strip()))
                for part in line.split(";")
            ]
            keys = tuple(dict.fromkeys(key for segment in segments for key in segment))
            for key in keys:
                index.setdefault(key, set()).add(len(groups))
            ids = range(next_form, next_form + len(segments))
            next_form += len(segments)
            forms.setdefault(segments[0][0], set()).update(ids)
            for key in segments[0][1:]:
                forms.setdefault(key, set()).add(ids[0])
            for form, segment in zip(ids[1:], segments[1:], strict=True):
                for key in segment:
                    forms.setdefault(key, set()).add(form)
            groups.append(keys)
        _FORMS.update({key: frozenset(ids) for key, ids in forms.items()})
        _ALIASES.update({key: frozenset(ids) for key, ids in index.items()})
        _GROUPS.extend(groups)
    return _ALIASES


def _alias_key(name: str) -> str:
    return name_key(name).replace(" ", "")


def alias_groups(part: str) -> frozenset[int]:
    """Return the ids of the alias groups a name part belongs to (empty if none).

    A group holds the forms of one given name: the full name, its diminutives, the old
    abbreviations of parish and census registers (``Wm``, ``Thos``, ``Jno``) and its
    Welsh, Irish and Scottish forms. A name can be in several groups (Harry is a form of
    Harold and of Henry). Names that share a group are *related*; they are forms of one
    person's name (:func:`are_aliases`) unless they are two different branches of the
    group (``Shaun`` and ``Iain`` both grew out of ``John``). ``part`` is a key part
    (``"WILLIAM"``); any other text is keyed first, with its parts joined.

    >>> alias_groups("Wm") <= alias_groups("WILLIAM") and bool(alias_groups("Wm"))
    True
    >>> print(*(alias_group(group)[0] for group in sorted(alias_groups("Dai"))))
    DAVID DAFYDD DAI
    >>> alias_groups("XYZZY")
    frozenset()
    """
    aliases = _ALIASES or _load_aliases()
    found = aliases.get(part) if type(part) is str else None
    if found is not None:
        return found
    if not isinstance(part, str):
        return _NO_GROUPS
    if len(part) > CACHED_LENGTH:
        return _alias_groups_slow.__wrapped__(part)
    return _alias_groups_slow(part)


@lru_cache(maxsize=1 << 14)
def _alias_groups_slow(part: str) -> frozenset[int]:
    return _ALIASES.get(_alias_key(part), _NO_GROUPS)


def alias_forms(part: str) -> frozenset[int]:
    """Return the form ids of a name part: two names are aliases when theirs intersect.

    >>> shaun = alias_forms("SHAUN")
    >>> bool(shaun & alias_forms("JOHN")), bool(shaun & alias_forms("IAIN"))
    (True, False)
    """
    _ALIASES or _load_aliases()
    found = _FORMS.get(part) if type(part) is str else None
    if found is not None:
        return found
    return _FORMS.get(_alias_key(part), _NO_GROUPS) if isinstance(part, str) else _NO_GROUPS


def alias_group(group_id: int) -> tuple[str, ...]:
    """Return the names (as keys) of one alias group, the formal name first.

    >>> alias_group(min(alias_groups("BILL")))[:3]
    ('WILLIAM', 'BILL', 'WILL')
    """
    _ALIASES or _load_aliases()
    return _GROUPS[group_id]


def are_aliases(a: str, b: str) -> bool:
    """Return whether two name parts are forms of one person's name.

    True when their keys are equal (and not empty), or an alias group holds both and
    they are not two different branches of it (see the alias data file): ``Siân`` and
    ``Jane``, ``Dai`` and ``Dave``, ``Shaun`` and ``John``, but not ``Shaun`` and ``Iain``
    (an Irish and a Scottish name grown out of John: :func:`are_related`).

    >>> are_aliases("Siân", "Jane"), are_aliases("Sian", "Siân"), are_aliases("Harold", "Henry")
    (True, True, False)
    >>> are_aliases("Dai", "Dave"), are_aliases("Shaun", "Iain")
    (True, False)
    """
    forms_a = alias_forms(a)
    if forms_a and not forms_a.isdisjoint(alias_forms(b)):
        return True
    key_a = _alias_key(a) if isinstance(a, str) else ""
    key_b = _alias_key(b) if isinstance(b, str) else ""
    return bool(key_a) and key_a == key_b


def are_related(a: str, b: str) -> bool:
    """Return whether two name parts share an alias group (aliases or branches of one root).

    >>> are_related("Shaun", "Iain"), are_aliases("Shaun", "Iain"), are_related("Jim", "Tom")
    (True, False, False)
    """
    groups_a = alias_groups(a)
    return (bool(groups_a) and not groups_a.isdisjoint(alias_groups(b))) or are_aliases(a, b)


# -- patronymics --------------------------------------------------------------------------


def _build_patronymics() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for fathers, surnames in PATRONYMICS:
        family = {f"{word} {father}" for father in fathers for word in ("AP", "AB")}
        family.update(surnames)
        for member in family:
            table.setdefault(member, set()).update(family)
        for father in fathers:
            for word in PATRONYMIC_WORDS - {"AP", "AB"}:
                table.setdefault(f"{word} {father}", set()).update(family)
    return {key: frozenset(members - {key}) for key, members in table.items()}


_PATRONYMICS = _build_patronymics()


def patronymic_equivalents(key: str) -> frozenset[str]:
    """Return the keys equivalent to a Welsh patronymic or a surname grown out of one.

    ``ap Rhys`` (son of Rhys) became the surnames Price, Pryce and Preece, and the
    father's name alone became Rhys, Rees or Reece: all of them are returned, with the
    patronymic written with ``ap`` and with ``ab``. The relation is symmetric:
    ``"PRICE"`` gives ``"AP RHYS"`` back. A key that ends with a patronymic (``DAFYDD AP
    RHYS``) is read by its last two parts. Unknown keys give an empty set.

    ``ferch``/``verch`` (daughter of) patronymics give the same surnames.

    >>> sorted(patronymic_equivalents("AP RHYS") & {"PRICE", "PRYCE", "REES", "RHYS"})
    ['PRICE', 'PRYCE', 'REES', 'RHYS']
    >>> "AP RHYS" in patronymic_equivalents("Price")
    True
    >>> sorted(patronymic_equivalents("ab Owen"))
    ['AB OWAIN', 'AP OWAIN', 'AP OWEN', 'BOWEN', 'OWAIN', 'OWEN', 'OWENS']
    >>> patronymic_equivalents("Smith")
    frozenset()
    """
    if not isinstance(key, str):
        return _NO_NAMES
    found = _PATRONYMICS.get(key)
    if found is not None:
        return found
    if len(key) > CACHED_LENGTH:
        return _patronymic_equivalents_slow.__wrapped__(str(key))
    return _patronymic_equivalents_slow(str(key))


_NO_NAMES: frozenset[str] = frozenset()


@lru_cache(maxsize=1 << 14)
def _patronymic_equivalents_slow(key: str) -> frozenset[str]:
    parts = name_parts(key)
    if len(parts) >= 2 and parts[-2] in PATRONYMIC_WORDS:
        parts = parts[-2:]
    return _PATRONYMICS.get(" ".join(parts), _NO_NAMES)
