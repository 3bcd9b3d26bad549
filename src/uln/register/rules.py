"""The register's own rules, as one table of data [ours] (see docs/guide/register.md).

The LRS does not publish how it decides that names "fit" a ULN, what a "similar"
verification is, or which change of sharing status is invalid in detail; these are
this project's decisions, each held here once so that a user holding the official
specification can correct it in one place. The service
(:mod:`uln.register.service`) reads them; no backend does.

>>> RULES.similar_name_levels >= RULES.exact_name_levels
True
>>> MARKS["opt_out"], MARKS["find_by_uln_miss"]
('spec', 'ours')
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import attrs

from uln.enums import AbilityToShare

__all__ = ["MARKS", "RULES", "RegisterRules"]


@attrs.frozen
class RegisterRules:
    """The decisions the register service makes where no public source says.

    Name and date levels are those of the matcher's comparisons
    (:data:`uln.matching.LEVELS`), so a name "fits" exactly as the matcher would score it.
    """

    exact_name_levels: frozenset[str] = frozenset({"exact"})
    """[ours] Levels at which two names are the same (verification WSVRC001/002)."""

    similar_name_levels: frozenset[str] = frozenset(
        {"exact", "alias", "phonetic", "part", "close", "similar"}
    )
    """[ours] Levels at which two names are similar (WSVRC003/004). A find by ULN
    returns the learner only when the names given fit at one of these levels: the given
    name against the given name and the family name against the family or previous
    family name, or the two swapped (given against family and family against given)."""

    similar_date_levels: frozenset[str] = frozenset({"swapped", "one_digit"})
    """[ours] Date-of-birth levels that still make a similar match (a typo, day and month
    swapped); any other difference makes a verification fail (WSVRC005)."""

    gender_difference_is_similar: bool = True
    """[ours] A gender that differs (1 against 2; 0 and 9 are never compared) lowers a
    verification to similar rather than failing it."""

    flags_on_exact: bool = False
    """[ours] Whether an exact verification lists failure flags (VRF2, VRF3, VRF4 and VRF6
    always differ for a learner whose names are not swapped; they are listed only when
    the verification is not an exact match)."""

    find_by_uln_miss: str = "WSRC0001"
    """[ours] The code of a find by ULN whose ULN is unknown *or* whose names do not fit:
    the same code for both, so the answer never tells whether a ULN exists."""

    exact_on_register: str = "WSRC0004"
    """[ours] A registration whose search finds one clear match returns the existing ULN
    with this code (the LRS: "a clear single hit returns the existing ULN")."""

    opt_out: AbilityToShare = AbilityToShare.SEEN_MAY_NOT_SHARE
    """[spec] No new opt-outs since May 2018 (see the rules page): changing
    ``AbilityToShare`` to this value from any other is refused (WSRC0014)."""


RULES: Final = RegisterRules()
"""The rules in force by default."""

MARKS: Final[Mapping[str, str]] = MappingProxyType(
    {
        field.name: "spec" if field.name == "opt_out" else "ours"
        for field in attrs.fields(RegisterRules)
    }
)
"""Where each rule comes from: ``spec`` or ``ours``."""
