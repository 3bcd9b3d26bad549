"""The coded values of the LRS learner schema.

Each enumeration keeps the LRS code as its integer value, so ``Gender(1)`` is
``Gender.MALE`` and ``int(Gender.FEMALE)`` is 2.

>>> Gender(2)
<Gender.FEMALE: 2>
>>> Gender.NOT_SPECIFIED.is_known
False
>>> VerificationType(999).needs_description
True
"""

from __future__ import annotations

import enum

__all__ = ["AbilityToShare", "Gender", "PrivacyNoticeSeen", "VerificationType"]


class Gender(enum.IntEnum):
    """A learner's gender, coded as in ISO/IEC 5218 (LRS field ``Gender``) [client]."""

    NOT_KNOWN = 0
    MALE = 1
    FEMALE = 2
    NOT_SPECIFIED = 9

    @property
    def is_known(self) -> bool:
        """Whether the code says male or female (0 and 9 never count against a match)."""
        return self in (Gender.MALE, Gender.FEMALE)


class AbilityToShare(enum.IntEnum):
    """Batch 2A ``AbilityToShare``: whether the learner saw the privacy notice [spec]."""

    NOT_SEEN = 0
    SEEN_MAY_SHARE = 1
    SEEN_MAY_NOT_SHARE = 2


class PrivacyNoticeSeen(enum.IntEnum):
    """Batch 3A ``PrivacyNoticeSeen``, which replaces ``AbilityToShare`` [spec]."""

    NO = 0
    YES = 1


class VerificationType(enum.IntEnum):
    """How the learner's identity was verified (LRS ``VerificationType``).

    The codes 0..7 and 999 are seen in public client code [client]; their meanings
    are not public, so the names here are this project's reading [ours].
    """

    NONE = 0
    RELATIONSHIP_WITH_SCHOOL = 1
    PASSPORT = 2
    NATIONAL_INSURANCE_CARD = 3
    DRIVING_LICENCE = 4
    NATIONAL_ID_CARD = 5
    BANK_CARD = 6
    OTHER_LEVEL_1_EVIDENCE = 7
    OTHER = 999

    @property
    def needs_description(self) -> bool:
        """Whether ``OtherVerificationDescription`` is required [ours]."""
        return self is VerificationType.OTHER
