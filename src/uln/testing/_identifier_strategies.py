"""Hypothesis strategies for the identifiers of :mod:`uln.identifiers`.

Re-exported from :mod:`uln.testing.strategies`. Every strategy draws values in their
canonical form, so ``validate(value) == value``; the ``invalid_*`` strategies draw
values of the right shape whose check character is wrong.

>>> from hypothesis import find
>>> from uln.identifiers import upn
>>> upn.is_temporary(find(upns(temporary=True), lambda value: True))
True
"""

from __future__ import annotations

from hypothesis import strategies as st

from uln.errors import InvalidComponent
from uln.identifiers import nino, scn, uci, ukprn, upn

__all__ = [
    "invalid_scns",
    "invalid_ucis",
    "invalid_upns",
    "ninos",
    "scns",
    "ucis",
    "ukprns",
    "upns",
]

_DIGITS = "0123456789"


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text(_DIGITS, min_size=n, max_size=n)


def ukprns() -> st.SearchStrategy[str]:
    """Valid UKPRNs: eight digits from 10000000 to 99999999.

    >>> from hypothesis import find
    >>> find(ukprns(), lambda value: True)
    '10000000'
    """
    return st.integers(ukprn.MINIMUM, ukprn.MAXIMUM).map(str)


@st.composite
def _upns(draw: st.DrawFn, temporary: bool | None) -> str:
    body = draw(_digits(11))
    if temporary is None:
        temporary = draw(st.booleans())
    last = draw(st.sampled_from(upn.CHECK_LETTERS if temporary else _DIGITS))
    body += last
    return upn.calc_check_digit(body) + body


def upns(*, temporary: bool | None = None) -> st.SearchStrategy[str]:
    """Valid UPNs; only temporary ones (ending in a letter) with ``temporary=True``,
    only permanent ones with ``temporary=False``, both by default.

    >>> from hypothesis import find
    >>> from uln.identifiers import upn
    >>> upn.is_valid(find(upns(temporary=False), lambda value: value[1:4] == "801"))
    True
    """
    return _upns(temporary)


@st.composite
def _ucis(draw: st.DrawFn) -> str:
    centre = draw(_digits(5))
    board = draw(st.sampled_from(sorted(uci.SIXTH_CHARACTER_VALUES)))
    year = draw(_digits(2))
    candidate = f"{draw(st.integers(1, 9999)):04d}"
    body = centre + board + year + candidate
    return body + uci.calc_check_digit(body)


def ucis() -> st.SearchStrategy[str]:
    """Valid UCIs, with a digit or a letter of known value as awarding body identifier.

    >>> from hypothesis import find
    >>> from uln.identifiers import uci
    >>> uci.is_valid(find(ucis(), lambda value: value[5] == "B"))
    True
    """
    return _ucis()


@st.composite
def _scns(draw: st.DrawFn) -> str:
    prefix = draw(_digits(8).filter(_has_scn_check_digit))
    return prefix + scn.calc_check_digit(prefix)


def _has_scn_check_digit(prefix: str) -> bool:
    """Whether a check digit exists for these eight digits (one in eleven has none)."""
    try:
        scn.calc_check_digit(prefix)
    except InvalidComponent:
        return False
    return True


def scns() -> st.SearchStrategy[str]:
    """Valid Scottish Candidate Numbers: nine digits, leading zeros included.

    >>> from hypothesis import find
    >>> find(scns(), lambda value: True)
    '000000000'
    """
    return _scns()


@st.composite
def _ninos(draw: st.DrawFn, suffix: bool | None) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    first = draw(st.sampled_from([c for c in letters if c not in nino.RULES["first_letter_not"]]))
    second = draw(
        st.sampled_from(
            [
                c
                for c in letters
                if c not in nino.RULES["second_letter_not"]
                and first + c not in nino.RULES["prefix_not"]
            ]
        )
    )
    if suffix is None:
        suffix = draw(st.booleans())
    end = draw(st.sampled_from(sorted(nino.RULES["suffix"]))) if suffix else ""
    return first + second + draw(_digits(6)) + end


def ninos(*, suffix: bool | None = None) -> st.SearchStrategy[str]:
    """Valid National Insurance numbers in canonical form (``AB123456C``).

    ``suffix=True`` draws only numbers with a suffix letter, ``suffix=False`` only
    numbers without one, the default both.

    >>> from hypothesis import find
    >>> find(ninos(suffix=True), lambda value: True)
    'AA000000A'
    """
    return _ninos(suffix)


@st.composite
def _wrong_check(
    draw: st.DrawFn, valid: st.SearchStrategy[str], position: int, alphabet: str
) -> str:
    good = draw(valid)
    i = position % len(good)
    wrong = draw(st.sampled_from([c for c in alphabet if c != good[i]]))
    return good[:i] + wrong + good[i + 1 :]


@st.composite
def _scns_without_check_digit(draw: st.DrawFn) -> str:
    """Nine digits whose first eight have no check digit (weighted sum 1 modulo 11)."""
    seven = draw(_digits(7))
    partial = sum(int(d) * w for d, w in zip(seven, (3, 2, 7, 6, 5, 4, 3), strict=True))
    eighth = (1 - partial) * 6 % 11  # 6 is the inverse of the last weight, 2, modulo 11
    if eighth == 10:  # no digit completes this start: take one that always works
        seven, eighth = "0000000", 6
    prefix = f"{seven}{eighth}"
    assert not _has_scn_check_digit(prefix)
    return prefix + draw(_digits(1))


def invalid_upns() -> st.SearchStrategy[str]:
    """UPNs of the right shape with a wrong check letter.

    >>> from hypothesis import find
    >>> from uln.identifiers import upn
    >>> upn.is_valid(find(invalid_upns(), lambda value: True))
    False
    """
    return _wrong_check(upns(), 0, upn.CHECK_LETTERS)


def invalid_ucis() -> st.SearchStrategy[str]:
    """UCIs of the right shape with a wrong check letter.

    >>> from hypothesis import find
    >>> from uln.identifiers import uci
    >>> uci.is_valid(find(invalid_ucis(), lambda value: True))
    False
    """
    return _wrong_check(ucis(), -1, uci.CHECK_LETTERS)


def invalid_scns() -> st.SearchStrategy[str]:
    """Nine-digit strings that are not SCNs: a wrong check digit, or a first eight
    digits for which no check digit exists.

    >>> from hypothesis import find
    >>> from uln.identifiers import scn
    >>> scn.is_valid(find(invalid_scns(), lambda value: True))
    False
    """
    return _wrong_check(scns(), -1, _DIGITS) | _scns_without_check_digit()
