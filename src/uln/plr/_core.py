"""The core of the acting-user layer: results, who acts, and the service's plumbing.

Private: :mod:`uln.plr.service` is the public face (:class:`~uln.plr.service.PlrService`,
:class:`~uln.plr.service.PlrResult`). Split along its seams: this module holds the
results and how an actor is resolved and audited; :mod:`uln.plr._users` the
organisations and users; :mod:`uln.plr.service` the register and PLR operations.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable
from typing import Final, Self

import attrs

from uln import checkdigit
from uln.codes import describe
from uln.errors import ValidationError
from uln.learner import Learner
from uln.plr.access import (
    INSUFFICIENT_ACCESS,
    AccessDenied,
    AccessPolicy,
    Action,
    Actor,
    AsLearner,
    AsLrs,
    Decision,
    Party,
    check_secret,
    party_of,
)
from uln.plr.privacy import notice_seen
from uln.plr.records import LearningEvent, Nomination, Organisation, User
from uln.plr.views import PlrView
from uln.register.base import AuditEvent, Register
from uln.register.service import LearnerRegister

__all__ = ["RECOMMENDED_SUPER_USERS", "Acting", "PlrResult", "PrivacyReport"]

RECOMMENDED_SUPER_USERS: Final = 3
"""An organisation is warned while it has fewer super users than this [spec]."""

CHANGED: Final = "WSRC0006"
UNCHANGED: Final = "WSRC0020"
FOUND: Final = "WSRC0004"
INVALID_ULN: Final = "WSEC0136"

LEARNER_ORGANISATION: Final = "LEARNER"
"""What the audit's organisation column holds for an act of the learner themselves."""
LRS_ORGANISATION: Final = "LRS"
"""What the audit's organisation column holds for an act of the LRS."""

NOTICE_NOT_SEEN: Final = "privacy_notice_not_seen"
"""The audit action recorded when a learner is registered without having seen the notice."""


@attrs.frozen(repr=False)
class PlrResult:
    """What a PLR, organisation or user operation gave.

    Attributes:
        code: ``WSRC0006`` done, ``WSRC0020`` nothing to change, ``WSRC0004`` found (a
            read), ``WSEC0006`` refused: insufficient access, ``WSEC0206`` refused: the
            learner has not agreed to share, ``WSEC0136`` not a valid ULN.
        uln: the (master) ULN concerned.
        view: the PLR view read.
        events: the learning events stored or changed.
        nomination: the nomination made or withdrawn.
        organisation, user: the organisation or user added or changed.
        access_key: a user's new access key, given once (only its hash is stored).
        audit: the audit events read.
        warnings: what was done but should be looked at (fewer than three super users).
        reason: why a request was refused (no learner's details).

    The repr shows the code, ULN and counts; never an access key or a detail.
    """

    code: str
    uln: str | None = None
    view: PlrView | None = None
    events: tuple[LearningEvent, ...] = ()
    nomination: Nomination | None = None
    organisation: Organisation | None = None
    user: User | None = None
    access_key: str | None = None
    audit: tuple[AuditEvent, ...] = ()
    warnings: tuple[str, ...] = ()
    reason: str = ""

    @property
    def meaning(self) -> str:
        """What the code means (:func:`uln.codes.describe`)."""
        return describe(self.code)

    @property
    def refused(self) -> bool:
        """Whether the policy refused the request (nothing was changed or read)."""
        return self.code in _REFUSALS

    def raise_for_refusal(self) -> PlrResult:
        """Raise :class:`~uln.plr.access.AccessDenied` if refused; else return self."""
        if self.refused:
            raise AccessDenied(self.code, self.reason)
        return self

    def __repr__(self) -> str:
        parts = [f"code={self.code!r}", f"uln={self.uln!r}"]
        if self.view is not None:
            parts.append(f"view={self.view.view!r}")
        if self.events:
            parts.append(f"events={len(self.events)}")
        if self.warnings:
            parts.append(f"warnings={len(self.warnings)}")
        return f"PlrResult({', '.join(parts)})"


_REFUSALS: Final = frozenset({INSUFFICIENT_ACCESS, "WSEC0206"})


@attrs.frozen
class PrivacyReport:
    """Learners registered without having seen the privacy notice, from the audit.

    ``registered`` counts the learners registered (new ULNs issued, by any path: the
    service, a batch run, the register used directly), ``without_notice`` those of them
    whose record said, when registered, that the notice was not seen, with their ULNs.
    """

    registered: int
    without_notice: int
    ulns: tuple[str, ...]


REGISTERED: Final = "register"
"""The register's audit action for a learner registered (a new ULN issued)."""
REGISTERED_HERE: Final = "register_learner"
"""The audit action :class:`~uln.plr.service.PlrService` records for a registration."""


def privacy_report_of(store: Register, organisation: str) -> PrivacyReport:
    """The learners ``organisation`` registered, and those registered without the notice.

    A learner registered through :class:`~uln.plr.service.PlrService` is counted as the
    service recorded it then (a ``privacy_notice_not_seen`` event, or none); one
    registered any other way (a batch run, the register used directly) by the record
    as it was registered: the version the ``register`` event names, read from the
    learner's history when it has changed since.

    >>> import uln.register
    >>> register = uln.register.open("memory://")
    >>> huw = {"GivenName": "Huw", "FamilyName": "Pugh", "DateOfBirth": "2005-06-07",
    ...        "Gender": "1", "LastKnownPostCode": "LL57 2DG"}
    >>> unseen = register.register_learner(huw, organisation="10012345").uln
    >>> report = privacy_report_of(register.store, "10012345")
    >>> report.registered, report.without_notice, report.ulns == (unseen,)
    (1, 1, True)
    """
    registered: dict[str, int] = {}
    through_service: set[str] = set()
    unseen: set[str] = set()
    for event in store.audit(organisation=organisation):
        if event.uln is None:
            continue
        if event.action == REGISTERED:
            registered.setdefault(event.uln, event.version or 1)
        elif event.action == REGISTERED_HERE:
            through_service.add(event.uln)
        elif event.action == NOTICE_NOT_SEEN:
            unseen.add(event.uln)
    elsewhere = [uln for uln in registered if uln not in through_service]
    current = store.get_many(elsewhere)
    for uln in elsewhere:
        learner = _as_registered(store, current.get(uln), uln, registered[uln])
        if learner is not None and not notice_seen(learner):
            unseen.add(uln)
    ulns = tuple(sorted(unseen))
    return PrivacyReport(len(registered), len(ulns), ulns)


def _as_registered(
    store: Register, current: Learner | None, uln: str, version: int
) -> Learner | None:
    """The learner as it was at ``version`` (the current record when unchanged since)."""
    if current is not None and current.version == version:
        return current
    return next((old for old in store.history(uln) if old.version == version), None)


@attrs.frozen
class Acting:
    """Who acts, as the policy sees it: the party, and their organisation or ULN.

    ``uln`` is the master ULN of a learner acting; ``user`` the user's id.
    """

    party: Party
    ukprn: str | None = None
    uln: str | None = None
    user: str | None = None

    @property
    def audit_organisation(self) -> str:
        """What the audit records as the organisation acting."""
        if self.party is Party.LEARNER:
            return LEARNER_ORGANISATION
        if self.party is Party.LRS:
            return LRS_ORGANISATION
        assert self.ukprn is not None
        return self.ukprn


def _utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


def _refusal(decision: Decision) -> PlrResult:
    return PlrResult(decision.code or INSUFFICIENT_ACCESS, reason=decision.reason)


_UNKNOWN_ACTOR: Final = Decision(False, INSUFFICIENT_ACCESS, reason="the acting user is unknown")


class ServiceCore:
    """What every part of :class:`~uln.plr.service.PlrService` stands on (see there).

    Args:
        register: the learner register (:func:`uln.register.open`).
        policy: who may do what (:class:`~uln.plr.access.AccessPolicy` by default).
        clock: the current time (UTC), for ages, nominations and the audit.
        secret_cost: scrypt's cost for new access keys (lower it only in tests).
    """

    def __init__(
        self,
        register: LearnerRegister,
        *,
        policy: AccessPolicy | None = None,
        clock: Callable[[], _dt.datetime] | None = None,
        secret_cost: int = 2**14,
    ) -> None:
        self._register = register
        self.policy: Final = policy if policy is not None else AccessPolicy()
        self._clock = clock if clock is not None else _utc_now
        self._secret_cost = secret_cost

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._register!r})"

    @property
    def register(self) -> LearnerRegister:
        """The register wrapped (use it directly only where no user acts)."""
        return self._register

    @property
    def _store(self) -> Register:
        return self._register.store

    def close(self) -> None:
        """Close the register."""
        self._register.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- who acts ----------------------------------------------------------------------

    def acting(self, actor: Actor) -> Acting | None:
        """The party an actor acts as, from the stored user (None: unknown or removed).

        A :class:`~uln.plr.User` is looked up by id: the stored role and organisation
        count, not the ones on the value given. A learner's ULN is resolved to its
        master (the same person).
        """
        if isinstance(actor, AsLrs):
            return Acting(Party.LRS)
        if isinstance(actor, AsLearner):
            master = self._master(actor.uln)
            return None if master is None else Acting(Party.LEARNER, uln=master.uln)
        if not isinstance(actor, User):
            return None
        stored = self._store.get_user(actor.id)
        if stored is None or not stored.active or stored.organisation != actor.organisation:
            return None
        organisation = self._store.get_organisation(stored.organisation)
        if organisation is None:
            return None
        return Acting(party_of(stored, organisation), stored.organisation, user=stored.id)

    def authenticate(self, user_id: str, access_key: str) -> User | None:
        """The active user with this id and access key, or None (compared in constant
        time; an unknown user costs as much as a wrong key)."""
        user = self._store.get_user(user_id) if isinstance(user_id, str) else None
        stored = user.secret_hash if user is not None and user.active else None
        if stored is None:
            check_secret(access_key, _DUMMY_HASH)
            return None
        return user if check_secret(access_key, stored) else None

    def _master(self, uln: str) -> Learner | None:
        learner = self._store.get(uln)
        seen = set()
        while learner is not None and learner.master_uln is not None:
            if learner.uln in seen:
                return None
            seen.add(learner.uln)
            learner = self._store.get(learner.master_uln)
        return learner

    def _audit(
        self,
        acting: Acting,
        action: str,
        uln: str | None = None,
        *,
        fields: Iterable[str] = (),
        detail: str = "",
    ) -> None:
        self._store.record(
            AuditEvent(
                at=self._clock(),
                organisation=acting.audit_organisation,
                action=action,
                uln=uln,
                fields=tuple(fields),
                user=acting.user,
                detail=detail,
            )
        )

    def _allowed(self, actor: Actor, action: Action) -> tuple[Acting | None, Decision]:
        acting = self.acting(actor)
        if acting is None:
            return None, _UNKNOWN_ACTOR
        return acting, self.policy.check(acting.party, action)


_DUMMY_HASH: Final = (
    "scrypt$n=16384,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
)
"""Checked against when the user is unknown, so that costs as much as a wrong key."""


def _valid_uln(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return checkdigit.validate(value)
    except ValidationError:
        return None
