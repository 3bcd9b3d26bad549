"""Personal Learning Records: a learner's achievements, and who may see them.

The records (:mod:`uln.plr.records`): :class:`LearningEvent` (one achievement),
:class:`Organisation`, :class:`User` and :class:`Nomination`; credit summaries
(:mod:`uln.plr.credits`); and the prohibited-text screen that keeps contextual data out
of free text (:mod:`uln.plr.prohibited`). Every register backend stores them
(:class:`uln.register.Register`).

Who may see and do what: :class:`AccessPolicy` (:mod:`uln.plr.access`, one table of
rules), the views of a record (:class:`PlrView`, :mod:`uln.plr.views`) and the privacy
notice (:func:`render_privacy_notice`). The acting-user layer over a register is
:class:`uln.plr.service.PlrService`, imported by its own name.

>>> from uln.plr import Level, qcf_size
>>> qcf_size(13), Level.parse("Entry 1").label
(<QcfSize.CERTIFICATE: 'certificate'>, 'Entry 1')
"""

from __future__ import annotations

# The register backends import uln.plr.records: nothing imported here may import
# uln.register (the access layer, uln.plr.service, is imported by its own name).
from uln.plr.access import LRS, PERMISSIONS, AccessDenied, AccessPolicy, Action, AsLearner, Party
from uln.plr.credits import (
    QCF_SIZES,
    UNIT_CODE_RULES,
    CreditSummary,
    QcfSize,
    credits_by_level,
    is_unit,
    qcf_size,
    summarise,
)
from uln.plr.privacy import render_privacy_notice
from uln.plr.prohibited import ProhibitedText, check_text, find_prohibited
from uln.plr.records import (
    EVENT_FIELDS,
    SUBJECT_CODE_RULES,
    EventStatus,
    LearningEvent,
    Level,
    Nomination,
    NominationView,
    Organisation,
    OrganisationKind,
    Role,
    SubjectCodeRule,
    User,
    validate_subject_code,
)
from uln.plr.views import PlrView

__all__ = [
    "EVENT_FIELDS",
    "LRS",
    "PERMISSIONS",
    "QCF_SIZES",
    "SUBJECT_CODE_RULES",
    "UNIT_CODE_RULES",
    "AccessDenied",
    "AccessPolicy",
    "Action",
    "AsLearner",
    "CreditSummary",
    "EventStatus",
    "LearningEvent",
    "Level",
    "Nomination",
    "NominationView",
    "Organisation",
    "OrganisationKind",
    "Party",
    "PlrView",
    "ProhibitedText",
    "QcfSize",
    "Role",
    "SubjectCodeRule",
    "User",
    "check_text",
    "credits_by_level",
    "find_prohibited",
    "is_unit",
    "qcf_size",
    "render_privacy_notice",
    "summarise",
    "validate_subject_code",
]
