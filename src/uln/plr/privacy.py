"""The privacy (fair processing) notice a provider shows a learner before registering them.

The LRS asks every provider to show each learner its privacy notice, in English and
Welsh, before sharing the learner's details [spec]. The text shipped here was written
for this library: what the LRS holds, why, who sees it and the learner's rights, with
the provider's name filled in. It is package data (``uln/plr/data/privacy_en.txt``
and ``privacy_cy.txt``); :func:`render_privacy_notice` fills it in.

>>> text = render_privacy_notice("Coleg Caerdydd")
>>> print(text.splitlines()[0])
Privacy notice: your Unique Learner Number and your Personal Learning Record
>>> "Coleg Caerdydd is registering you" in text
True
>>> print(render_privacy_notice("Coleg Caerdydd", lang="cy").splitlines()[0])
Hysbysiad preifatrwydd: eich Rhif Dysgwr Unigryw a'ch Cofnod Dysgu Personol
>>> render_privacy_notice("Coleg Caerdydd", lang="fr")
Traceback (most recent call last):
    ...
uln.errors.InvalidCode: lang: the notice is written in en or cy

Whether a learner has seen it is kept on the learner (``PrivacyNoticeSeen`` in
batch 3A; ``AbilityToShare`` 1 or 2 in batch 2A says the same):

>>> from uln import Learner
>>> from uln.enums import AbilityToShare, PrivacyNoticeSeen
>>> notice_seen(Learner(privacy_notice_seen=PrivacyNoticeSeen.YES))
True
>>> notice_seen(Learner(ability_to_share=AbilityToShare.SEEN_MAY_NOT_SHARE))
True
>>> notice_seen(Learner())
False
"""

from __future__ import annotations

import re
import string
from importlib import resources
from typing import Final

from uln.enums import AbilityToShare, PrivacyNoticeSeen
from uln.errors import InvalidCode, InvalidFormat, InvalidLength, MissingValue
from uln.learner import Learner

__all__ = ["PRIVACY_LANGUAGES", "notice_seen", "render_privacy_notice"]

PRIVACY_LANGUAGES: Final = ("en", "cy")
"""The languages the notice is written in: English and Welsh [spec]."""

_PROVIDER_MAX: Final = 254
"""The longest provider name filled in [ours] (the LRS keeps organisation names short)."""

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def render_privacy_notice(provider: str, lang: str = "en") -> str:
    """The privacy notice in ``lang`` (``"en"`` or ``"cy"``) with ``provider`` filled in.

    Args:
        provider: the name of the organisation showing the notice (the LRB).
        lang: ``"en"`` for English, ``"cy"`` for Welsh.

    Raises:
        InvalidCode: ``lang`` is not ``en`` or ``cy``.
        MissingValue: ``provider`` is empty.
        InvalidFormat: ``provider`` holds control characters (line breaks included).
        InvalidLength: ``provider`` is longer than 254 characters.
    """
    if lang not in PRIVACY_LANGUAGES:
        raise InvalidCode("the notice is written in en or cy", field="lang")
    if not isinstance(provider, str) or not provider.strip():
        raise MissingValue("the provider's name is required", field="provider")
    if _CONTROL.search(provider):
        raise InvalidFormat("the provider's name holds control characters", field="provider")
    name = " ".join(provider.split())
    if len(name) > _PROVIDER_MAX:
        raise InvalidLength(
            f"the provider's name is longer than {_PROVIDER_MAX} characters", field="provider"
        )
    text = _template(lang)
    return string.Template(text).substitute(provider=name)


def _template(lang: str) -> str:
    return (resources.files(__package__) / "data" / f"privacy_{lang}.txt").read_text(
        encoding="utf-8"
    )


def notice_seen(learner: Learner) -> bool:
    """Whether the learner's record says they were shown the privacy notice.

    ``PrivacyNoticeSeen`` 1, or ``AbilityToShare`` 1 (seen, may share) or 2 (seen, may
    not share) [spec].
    """
    if learner.privacy_notice_seen is PrivacyNoticeSeen.YES:
        return True
    return learner.ability_to_share in (
        AbilityToShare.SEEN_MAY_SHARE,
        AbilityToShare.SEEN_MAY_NOT_SHARE,
    )
