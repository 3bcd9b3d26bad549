"""The acting-user layer: every register and PLR operation names who acts, and the policy decides.

:class:`PlrService` wraps a :class:`~uln.register.LearnerRegister` (what
:func:`uln.register.open` gives). Each operation takes the acting party first: a
:class:`~uln.plr.User` of an organisation, :class:`~uln.plr.access.AsLearner` (the
learner themselves) or :data:`~uln.plr.access.LRS`; :class:`~uln.plr.access.AccessPolicy`
decides. **A refused request changes nothing and returns a result whose code says
why** (``WSEC0006`` insufficient access, ``WSEC0206`` the learner has not agreed to
share); nothing is raised for a refusal, so every operation is handled one way.
``result.raise_for_refusal()`` turns a refusal into :class:`~uln.plr.access.AccessDenied`
for callers who prefer an exception. Bad input (an unknown ULN for an event, a
malformed subject code) raises one of :mod:`uln.errors`, naming the field.

A user is looked up in the register on every request: their role and organisation
are the stored ones, and a removed user can do nothing.

>>> import warnings
>>> import uln.register
>>> from uln.errors import UlnWarning
>>> from uln.plr import Organisation
>>> from uln.plr.access import LRS
>>> warnings.simplefilter("ignore", UlnWarning)  # fewer than three super users
>>> service = PlrService(uln.register.open("memory://"), secret_cost=2)
>>> college = Organisation.create(ukprn="10012345", name="Coleg Gwent", kind="lrb")
>>> made = service.add_organisation(LRS, college, super_user="carys")
>>> made.code, made.warnings
('WSRC0006', ('organisation 10012345 has 1 super user; at least 3 are recommended',))
>>> carys = made.user
>>> new = service.register_learner(carys, {"GivenName": "Huw", "FamilyName": "Pugh",
...     "DateOfBirth": "2005-06-07", "Gender": "1", "LastKnownPostCode": "LL57 2DG"})
>>> new.code
'WSRC0005'
>>> service.read_plr(carys, new.uln, "full").code  # the college was not nominated
'WSEC0006'
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from uln import checkdigit
from uln.codes import describe
from uln.enums import PrivacyNoticeSeen, VerificationType
from uln.errors import (
    IntegrityError,
    InvalidCode,
    InvalidRecord,
    MissingValue,
    NotFound,
    Problem,
    UlnWarning,
    ValidationError,
)
from uln.learner import Demographics, Learner
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
    hash_secret,
    new_access_key,
    party_of,
)
from uln.plr.privacy import notice_seen
from uln.plr.records import (
    LearningEvent,
    Nomination,
    NominationView,
    Organisation,
    Role,
    User,
)
from uln.plr.views import VIEWS, PlrView, make_view
from uln.register.base import AuditEvent, Register
from uln.register.service import LearnerRegister, Result

__all__ = ["RECOMMENDED_SUPER_USERS", "Acting", "PlrResult", "PlrService", "PrivacyReport"]

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

    ``registered`` counts the learners registered (new ULNs issued), ``without_notice``
    those of them whose record said the notice was not seen, with their ULNs.
    """

    registered: int
    without_notice: int
    ulns: tuple[str, ...]


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


class PlrService:
    """The register and the Personal Learning Record, operated on behalf of someone.

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
        return f"PlrService({self._register!r})"

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

    def __enter__(self) -> PlrService:
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

    # -- organisations and users -------------------------------------------------------

    def add_organisation(
        self, actor: Actor, organisation: Organisation, *, super_user: str
    ) -> PlrResult:
        """Set up an organisation and its first super user (the LRS does this).

        Returns ``WSRC0006`` with the organisation, the super user and their access key
        (shown once). Warns (:class:`~uln.errors.UlnWarning`, and ``result.warnings``)
        that fewer than three super users are set up.

        Raises:
            IntegrityError: the UKPRN or the username is taken.
            ValidationError: the username is not valid (field ``Username``).
        """
        acting, decision = self._allowed(actor, Action.ADD_ORGANISATION)
        if acting is None or not decision:
            return _refusal(decision)
        key = new_access_key()
        user = User.create(
            id=super_user,
            organisation=organisation.ukprn,
            role=Role.SUPER_USER,
            secret_hash=hash_secret(key, cost=self._secret_cost),
        )
        with self._store.transaction():
            self._store.add_organisation(organisation)
            self._store.add_user(user)
            self._audit(acting, "organisation_add", detail=f"organisation {organisation.ukprn}")
            self._audit(acting, "user_add", detail=f"super user of {organisation.ukprn}")
        return PlrResult(
            CHANGED,
            organisation=organisation,
            user=user,
            access_key=key,
            warnings=self._super_user_warning(organisation.ukprn),
        )

    def _super_user_warning(self, ukprn: str) -> tuple[str, ...]:
        count = sum(1 for u in self._store.users(ukprn) if u.active and u.role is Role.SUPER_USER)
        if count >= RECOMMENDED_SUPER_USERS:
            return ()
        noun = "super user" if count == 1 else "super users"
        message = (
            f"organisation {ukprn} has {count} {noun}; "
            f"at least {RECOMMENDED_SUPER_USERS} are recommended"
        )
        warnings.warn(message, UlnWarning, stacklevel=3)
        return (message,)

    def _manage(self, actor: Actor, ukprn: str) -> tuple[Acting | None, Decision]:
        acting = self.acting(actor)
        if acting is None:
            return None, _UNKNOWN_ACTOR
        return acting, self.policy.manage_users(acting.party, acting.ukprn, ukprn)

    def add_user(
        self,
        actor: Actor,
        user_id: str,
        *,
        organisation: str | None = None,
        role: Role | str = Role.USER,
    ) -> PlrResult:
        """Add a user to an organisation (a super user adds to their own).

        ``organisation`` defaults to the acting user's. Returns ``WSRC0006`` with the
        user and their access key (shown once); warns while the organisation has fewer
        than three super users.

        Raises:
            IntegrityError: the username is taken.
            NotFound: the organisation is not known.
            ValidationError: the username or role is not valid.
        """
        acting, decision = self._allowed(actor, Action.MANAGE_USERS)
        if acting is None or not decision:
            return _refusal(decision)
        ukprn = organisation if organisation is not None else acting.ukprn
        key = new_access_key()
        user = User.create(
            id=user_id,
            organisation=ukprn if ukprn is not None else "",
            role=role,
            secret_hash=hash_secret(key, cost=self._secret_cost),
        )
        decision = self.policy.manage_users(acting.party, acting.ukprn, user.organisation)
        if not decision:
            return _refusal(decision)
        with self._store.transaction():
            if self._store.get_organisation(user.organisation) is None:
                raise NotFound("UKPRN: no organisation has this UKPRN")
            self._store.add_user(user)
            self._audit(acting, "user_add", detail=f"{user.role.value} of {user.organisation}")
        return PlrResult(
            CHANGED, user=user, access_key=key, warnings=self._super_user_warning(user.organisation)
        )

    def add_super_user(
        self, actor: Actor, user_id: str, *, organisation: str | None = None
    ) -> PlrResult:
        """Make a user a super user: promote an existing user of the organisation, or add
        a new one (with an access key). ``WSRC0020`` when they are one already."""
        existing = self._store.get_user(user_id) if isinstance(user_id, str) else None
        if existing is None or not existing.active:
            if existing is not None:
                acting, decision = self._manage(actor, existing.organisation)
                if acting is None or not decision:
                    return _refusal(decision)
                raise IntegrityError("Username: the user was removed; choose another username")
            return self.add_user(actor, user_id, organisation=organisation, role=Role.SUPER_USER)
        acting, decision = self._manage(actor, existing.organisation)
        if acting is None or not decision:
            return _refusal(decision)
        if existing.role is Role.SUPER_USER:
            return PlrResult(
                UNCHANGED, user=existing, warnings=self._super_user_warning(existing.organisation)
            )
        promoted = attrs.evolve(existing, role=Role.SUPER_USER)
        with self._store.transaction():
            self._store.update_user(promoted)
            self._audit(acting, "user_promote", detail=f"super user of {existing.organisation}")
        return PlrResult(
            CHANGED, user=promoted, warnings=self._super_user_warning(existing.organisation)
        )

    def _target(self, actor: Actor, user_id: str) -> tuple[Acting, User] | PlrResult:
        """Who acts on which user, or the refusal; an unknown user is an error only for
        a party that may manage users at all."""
        acting, decision = self._allowed(actor, Action.MANAGE_USERS)
        if acting is None or not decision:
            return _refusal(decision)
        user = self._store.get_user(user_id) if isinstance(user_id, str) else None
        if user is None or not user.active:
            raise NotFound("Username: no active user has this id")
        decision = self.policy.manage_users(acting.party, acting.ukprn, user.organisation)
        if not decision:
            return _refusal(decision)
        return acting, user

    def remove_user(self, actor: Actor, user_id: str) -> PlrResult:
        """Remove a user: they can no longer act or sign in (kept for the audit).

        Raises:
            IntegrityError: the user is their organisation's last super user.
            NotFound: no active user has this id.
        """
        target = self._target(actor, user_id)
        if isinstance(target, PlrResult):
            return target
        acting, user = target
        with self._store.transaction():
            if user.role is Role.SUPER_USER:
                supers = [
                    u
                    for u in self._store.users(user.organisation)
                    if u.active and u.role is Role.SUPER_USER
                ]
                if len(supers) <= 1:
                    raise IntegrityError("an organisation's last super user cannot be removed")
            removed = attrs.evolve(user, active=False, secret_hash=None)
            self._store.update_user(removed)
            self._audit(acting, "user_remove", detail=f"{user.role.value} of {user.organisation}")
        return PlrResult(
            CHANGED, user=removed, warnings=self._super_user_warning(user.organisation)
        )

    def reset_access(self, actor: Actor, user_id: str) -> PlrResult:
        """Give a user a new access key (the old one stops working); shown once.

        Raises:
            NotFound: no active user has this id.
        """
        target = self._target(actor, user_id)
        if isinstance(target, PlrResult):
            return target
        acting, user = target
        key = new_access_key()
        changed = attrs.evolve(user, secret_hash=hash_secret(key, cost=self._secret_cost))
        with self._store.transaction():
            self._store.update_user(changed)
            self._audit(acting, "user_reset", detail=f"access of a user of {user.organisation}")
        return PlrResult(CHANGED, user=changed, access_key=key)

    # -- the register, on behalf of a user ----------------------------------------------

    def register_learner(
        self,
        actor: Actor,
        record: Demographics | Learner | Mapping[str, Any],
        *,
        force: bool = False,
    ) -> Result:
        """:meth:`LearnerRegister.register_learner` for an LRB user.

        A learner registered (``WSRC0005``) whose record does not say the privacy
        notice was seen is allowed, and counted in the audit (:meth:`privacy_report`).
        """
        acting, decision = self._allowed(actor, Action.REGISTER)
        if acting is None or not decision or acting.ukprn is None:
            return Result(decision.code or INSUFFICIENT_ACCESS)
        with self._store.transaction():
            result = self._register.register_learner(record, organisation=acting.ukprn, force=force)
            if result.code == "WSRC0005" and result.learner is not None:
                self._audit(acting, "register_learner", result.uln)
                if not notice_seen(result.learner):
                    self._audit(acting, NOTICE_NOT_SEEN, result.uln)
        return result

    def find_by_uln(
        self, actor: Actor, uln: str, given_name: str, family_name: str, find_type: str = "FUL"
    ) -> Result:
        """:meth:`LearnerRegister.find_by_uln` for an LRB user (the read is audited)."""
        acting, decision = self._allowed(actor, Action.FIND)
        if acting is None or not decision:
            return Result(decision.code or INSUFFICIENT_ACCESS)
        result = self._register.find_by_uln(uln, given_name, family_name, find_type)
        self._audit_reads(acting, "find", result)
        return result

    def find_by_demographics(
        self, actor: Actor, record: Demographics | Learner | Mapping[str, Any]
    ) -> Result:
        """:meth:`LearnerRegister.find_by_demographics` for an LRB user (audited)."""
        acting, decision = self._allowed(actor, Action.FIND)
        if acting is None or not decision:
            return Result(decision.code or INSUFFICIENT_ACCESS)
        result = self._register.find_by_demographics(record)
        self._audit_reads(acting, "find", result)
        return result

    def _audit_reads(self, acting: Acting, action: str, result: Result) -> None:
        if not result.learners:
            return
        with self._store.transaction():
            for learner in result.learners:
                self._audit(acting, action, learner.uln)

    def update_learner(self, actor: Actor, uln: str, version: int, /, **changes: Any) -> Result:
        """:meth:`LearnerRegister.update_learner` for an LRB user."""
        acting, decision = self._allowed(actor, Action.UPDATE)
        if acting is None or not decision or acting.ukprn is None:
            return Result(decision.code or INSUFFICIENT_ACCESS)
        with self._store.transaction():
            result = self._register.update_learner(
                uln, version, organisation=acting.ukprn, **changes
            )
            if result.code == CHANGED:
                self._audit(acting, "update_learner", result.uln, fields=result.fields)
        return result

    def verify_learner(
        self,
        actor: Actor,
        uln: str,
        given_name: str,
        family_name: str,
        date_of_birth: _dt.date | str | None = None,
        gender: Any = None,
    ) -> Result:
        """:meth:`LearnerRegister.verify_learner` for an LRB or AO user (no details
        returned: a code, the master ULN and the failure flags)."""
        acting, decision = self._allowed(actor, Action.VERIFY)
        if acting is None or not decision:
            return Result(decision.code or INSUFFICIENT_ACCESS)
        return self._register.verify_learner(uln, given_name, family_name, date_of_birth, gender)

    def link(self, actor: Actor, master_uln: str, linked_uln: str) -> Result:
        """:meth:`LearnerRegister.link` for an LRB user: the two PLRs read as one."""
        acting, decision = self._allowed(actor, Action.UPDATE)
        if acting is None or not decision or acting.ukprn is None:
            return Result(decision.code or INSUFFICIENT_ACCESS)
        with self._store.transaction():
            result = self._register.link(master_uln, linked_uln, organisation=acting.ukprn)
            if result.code == CHANGED:
                self._audit(acting, "link", result.uln, detail="1 record linked")
        return result

    def unlink(self, actor: Actor, linked_uln: str) -> Result:
        """:meth:`LearnerRegister.unlink` for an LRB user."""
        acting, decision = self._allowed(actor, Action.UPDATE)
        if acting is None or not decision or acting.ukprn is None:
            return Result(decision.code or INSUFFICIENT_ACCESS)
        with self._store.transaction():
            result = self._register.unlink(linked_uln, organisation=acting.ukprn)
            if result.code == CHANGED:
                self._audit(acting, "unlink", result.uln)
        return result

    def resolve(
        self, actor: Actor, exception_id: int, *, uln: str | None = None, register_new: bool = False
    ) -> Result:
        """:meth:`LearnerRegister.resolve` for an LRB user."""
        acting, decision = self._allowed(actor, Action.REGISTER)
        if acting is None or not decision or acting.ukprn is None:
            return Result(decision.code or INSUFFICIENT_ACCESS)
        with self._store.transaction():
            result = self._register.resolve(
                exception_id, organisation=acting.ukprn, uln=uln, register_new=register_new
            )
            if result.code == "WSRC0005" and result.learner is not None:
                self._audit(acting, "register_learner", result.uln)
                if not notice_seen(result.learner):
                    self._audit(acting, NOTICE_NOT_SEEN, result.uln)
        return result

    # -- identity and the privacy notice ------------------------------------------------

    def record_identity(
        self,
        actor: Actor,
        uln: str,
        verification_type: VerificationType | int | str,
        description: str | None = None,
    ) -> Result:
        """Record how an LRB checked a learner's identity (``VerificationType``).

        ``verification_type`` is a :class:`~uln.enums.VerificationType`, its code, or
        its name (``passport``, ``national_insurance_card``, ``driving_licence``,
        ``national_id_card``, ``bank_card``, ``other``, ``none`` ...); ``other`` (999)
        needs a ``description``. Lack of evidence (``none``) is recorded too and never
        stops anything but the learner's own full view.

        Raises:
            InvalidCode: not a verification type (field ``VerificationType``).
            MissingValue: ``other`` without a description (``OtherVerificationDescription``).
        """
        kind = _verification_type(verification_type)
        if kind.needs_description and not (description and description.strip()):
            raise MissingValue(
                "a description is required for other evidence",
                field="OtherVerificationDescription",
            )
        changes: dict[str, Any] = {"VerificationType": int(kind)}
        changes["OtherVerificationDescription"] = description if kind.needs_description else None
        return self._update_current(actor, uln, changes, "identity")

    def record_privacy_notice(self, actor: Actor, uln: str) -> Result:
        """Record that the learner was shown the privacy notice (``PrivacyNoticeSeen`` 1)."""
        return self._update_current(
            actor, uln, {"PrivacyNoticeSeen": int(PrivacyNoticeSeen.YES)}, "privacy_notice"
        )

    def _update_current(
        self, actor: Actor, uln: str, changes: Mapping[str, Any], action: str
    ) -> Result:
        acting, decision = self._allowed(actor, Action.UPDATE)
        if acting is None or not decision or acting.ukprn is None:
            return Result(decision.code or INSUFFICIENT_ACCESS)
        canonical = _valid_uln(uln)
        if canonical is None:
            return Result(INVALID_ULN)
        with self._store.transaction():
            master = self._master(canonical)
            if master is None or master.uln is None:
                return Result("WSRC0019")
            result = self._register.update_learner(
                master.uln, master.version, organisation=acting.ukprn, **changes
            )
            if result.code == CHANGED:
                self._audit(acting, action, result.uln, fields=result.fields)
        return result

    def privacy_report(self, actor: Actor, organisation: str) -> PrivacyReport | PlrResult:
        """How many learners ``organisation`` registered, and how many of them without
        the privacy notice seen (from the audit); a refusal as a :class:`PlrResult`."""
        acting = self.acting(actor)
        if acting is None:
            return _refusal(_UNKNOWN_ACTOR)
        decision = self.policy.read_audit(
            acting.party, actor_ukprn=acting.ukprn, organisation=organisation
        )
        if not decision:
            return _refusal(decision)
        events = self._store.audit(organisation=organisation)
        registered = {e.uln for e in events if e.action == "register" and e.uln}
        unseen = tuple(sorted({e.uln for e in events if e.action == NOTICE_NOT_SEEN and e.uln}))
        return PrivacyReport(len(registered), len(unseen), unseen)

    # -- learning events ---------------------------------------------------------------

    def add_event(self, actor: Actor, event: LearningEvent) -> PlrResult:
        """Upload one achievement (see :meth:`add_events`)."""
        return self.add_events(actor, [event])

    def add_events(self, actor: Actor, events: Iterable[LearningEvent]) -> PlrResult:
        """Upload achievements, all or none: an awarding organisation, for its own
        qualifications only. An event sent to a linked ULN is stored on the master.

        Returns ``WSRC0006`` with the events as stored (ULNs of masters), or
        ``WSEC0006`` when any event is not the organisation's own (nothing stored).

        Raises:
            InvalidRecord: an event names a ULN nobody has (field ``ULN``, ``line`` its
                position from 1); nothing is stored.
            IntegrityError: an event id is taken.
        """
        given = list(events)
        acting, decision = self._allowed(actor, Action.ADD_EVENT)
        if acting is None or not decision:
            return _refusal(decision)
        for event in given:
            if not isinstance(event, LearningEvent):
                raise InvalidRecord([Problem("event", "a LearningEvent is required")])
            own = self.policy.own_qualification(
                acting.party, Action.ADD_EVENT, acting.ukprn, event.awarding_ukprn
            )
            if not own:
                return _refusal(own)
        with self._store.transaction():
            stored: list[LearningEvent] = []
            problems: list[Problem] = []
            for line, event in enumerate(given, 1):
                master = self._master(event.uln)
                if master is None or master.uln is None:
                    problems.append(Problem("ULN", "no learner has this ULN", "NotFound", line))
                    continue
                stored.append(attrs.evolve(event, uln=master.uln))
            if problems:
                raise InvalidRecord(problems)
            self._store.add_events(stored)
            for event in stored:
                self._audit(acting, "event_add", event.uln, detail=f"event {event.id}")
        return PlrResult(CHANGED, stored[0].uln if len(stored) == 1 else None, events=tuple(stored))

    def raise_challenge(self, actor: Actor, event_id: str) -> PlrResult:
        """Put an event under data challenge: the learner (their own events) or the
        LRB that provided it. ``WSRC0020`` when it is under challenge already.

        Raises:
            NotFound: no event has this id.
        """
        return self._challenge(actor, event_id, Action.RAISE_CHALLENGE, True)

    def clear_challenge(self, actor: Actor, event_id: str) -> PlrResult:
        """Clear a data challenge: the awarding organisation, on its own qualification.

        Raises:
            NotFound: no event has this id.
        """
        return self._challenge(actor, event_id, Action.CLEAR_CHALLENGE, False)

    def _challenge(self, actor: Actor, event_id: str, action: Action, flag: bool) -> PlrResult:
        acting, decision = self._allowed(actor, action)
        if acting is None or not decision:
            return _refusal(decision)
        with self._store.transaction():
            event = self._store.get_event(event_id) if isinstance(event_id, str) else None
            if event is None:
                raise NotFound("EventId: no event has this id")
            master = self._master(event.uln)
            owner = master.uln if master is not None and master.uln else event.uln
            decision = self.policy.challenge(
                acting.party,
                action,
                event,
                owner_uln=owner,
                actor_ukprn=acting.ukprn,
                actor_uln=acting.uln,
            )
            if not decision:
                return _refusal(decision)
            if event.under_challenge is flag:
                return PlrResult(UNCHANGED, owner, events=(event,))
            changed = self._store.set_challenge(event.id, flag)
            name = "challenge_raise" if flag else "challenge_clear"
            self._audit(acting, name, owner, detail=f"event {event.id}")
        return PlrResult(CHANGED, owner, events=(changed,))

    # -- nominations -------------------------------------------------------------------

    def nominate(
        self,
        actor: Actor,
        organisation: str,
        *,
        view: NominationView | str = NominationView.RESTRICTED,
        shared: Iterable[str] = (),
    ) -> PlrResult:
        """The learner lets ``organisation`` see their record: the restricted view with
        the events ``shared`` (ids), or the full view. A standing nomination of the same
        organisation is replaced.

        Raises:
            NotFound: no organisation has this UKPRN.
            InvalidRecord: a shared id is not an event of the learner's record
                (field ``SharedEvents``).
        """
        acting, decision = self._allowed(actor, Action.NOMINATE)
        if acting is None or not decision or acting.uln is None:
            return _refusal(decision)
        now = self._clock()
        nomination = Nomination.create(
            uln=acting.uln, organisation=organisation, view=view, created=now, shared=list(shared)
        )
        with self._store.transaction():
            if self._store.get_organisation(nomination.organisation) is None:
                raise NotFound("UKPRN: no organisation has this UKPRN")
            ulns = self._ulns_of(acting.uln)
            known = {e.id for e in self._store.events_for(ulns)}
            unknown = [i for i in nomination.shared if i not in known]
            if unknown:
                raise InvalidRecord(
                    [Problem("SharedEvents", "not an event of the learner's record")]
                )
            for standing in self._standing(ulns, nomination.organisation):
                self._store.withdraw_nomination(standing.id, now)
            stored = self._store.add_nomination(nomination)
            self._audit(
                acting,
                "nominate",
                acting.uln,
                detail=f"{stored.view.value} view for {stored.organisation}",
            )
        return PlrResult(CHANGED, acting.uln, nomination=stored)

    def withdraw(self, actor: Actor, organisation: str) -> PlrResult:
        """The learner withdraws the nomination of ``organisation`` (``WSRC0020`` when
        there is none)."""
        acting, decision = self._allowed(actor, Action.NOMINATE)
        if acting is None or not decision or acting.uln is None:
            return _refusal(decision)
        now = self._clock()
        with self._store.transaction():
            standing = self._standing(self._ulns_of(acting.uln), organisation)
            if not standing:
                return PlrResult(UNCHANGED, acting.uln)
            withdrawn = [self._store.withdraw_nomination(n.id, now) for n in standing]
            self._audit(acting, "withdraw", acting.uln, detail=f"nomination of {organisation}")
        return PlrResult(CHANGED, acting.uln, nomination=withdrawn[-1])

    def _ulns_of(self, master_uln: str) -> list[str]:
        return [master_uln, *self._store.linked_to(master_uln)]

    def _standing(self, ulns: Sequence[str], organisation: str) -> list[Nomination]:
        return [
            n for u in ulns for n in self._store.nominations(u) if n.organisation == organisation
        ]

    # -- reading a PLR -----------------------------------------------------------------

    def read_plr(self, actor: Actor, uln: str, view: str = "full") -> PlrResult:
        """Read a learner's Personal Learning Record as ``view`` (full, brief, restricted).

        The learner reads their own (16 or over, identity verified); an organisation
        they nominated reads the restricted view (and the brief view of the same
        events) or, nominated for the full view, any view. Events on records linked to
        the master read as one record. Every read is audited.

        Returns ``WSRC0004`` with :attr:`PlrResult.view`; ``WSEC0006`` not entitled
        (also for a ULN nobody has); ``WSEC0206`` the learner has not agreed to share;
        ``WSEC0136`` not a valid ULN.

        Raises:
            InvalidCode: ``view`` is not full, brief or restricted.
        """
        if view not in VIEWS:
            raise InvalidCode("a view is full, brief or restricted", field="view")
        acting, decision = self._allowed(actor, Action.READ_PLR)
        if acting is None or not decision:
            return _refusal(decision)
        canonical = _valid_uln(uln)
        if canonical is None:
            return PlrResult(INVALID_ULN)
        with self._store.transaction():  # one consistent reading, and its audit
            return self._read(acting, canonical, view)

    def _read(self, acting: Acting, uln: str, view: str) -> PlrResult:
        master = self._master(uln)
        if master is None or master.uln is None:
            return _refusal(Decision(False, INSUFFICIENT_ACCESS, reason="no record to read"))
        ulns = self._ulns_of(master.uln)
        scope, shared = self._nominated(ulns, acting.ukprn)
        decision = self.policy.read_plr(
            acting.party,
            master,
            today=self._clock().date(),
            actor_uln=acting.uln,
            nominated=scope,
        )
        if not decision:
            return _refusal(decision)
        if decision.scope is NominationView.RESTRICTED and view == "full":
            return _refusal(
                Decision(False, INSUFFICIENT_ACCESS, reason="nominated for the restricted view")
            )
        learner = attrs.evolve(master, linked_ulns=tuple(ulns[1:]))  # type: ignore[arg-type]
        events = self._store.events_for(ulns)
        limit = shared if decision.scope is NominationView.RESTRICTED else None
        plr = make_view(view, learner, events, shared=limit)
        self._audit(acting, "plr_read", master.uln, detail=f"{view} view")
        return PlrResult(FOUND, master.uln, view=plr)

    def _nominated(
        self, ulns: Sequence[str], ukprn: str | None
    ) -> tuple[NominationView | None, frozenset[str]]:
        if ukprn is None:
            return None, frozenset()
        standing = [n for u in ulns for n in self._store.nominations(u) if n.organisation == ukprn]
        if not standing:
            return None, frozenset()
        if any(n.view is NominationView.FULL for n in standing):
            return NominationView.FULL, frozenset()
        return NominationView.RESTRICTED, frozenset(i for n in standing for i in n.shared)

    # -- audit -------------------------------------------------------------------------

    def audit(
        self, actor: Actor, *, uln: str | None = None, organisation: str | None = None
    ) -> PlrResult:
        """Who read or changed which learner, and when, oldest first.

        The LRS reads all of it; a super user reads their organisation's actions
        (``organisation`` must be theirs; ``uln`` narrows it); a learner reads who read
        or changed their own record (``uln``, theirs). ``WSEC0006`` otherwise.
        """
        acting = self.acting(actor)
        if acting is None:
            return _refusal(_UNKNOWN_ACTOR)
        ulns: list[str] | None = None
        if uln is not None:
            canonical = _valid_uln(uln)
            if canonical is None:
                return PlrResult(INVALID_ULN)
            master = self._master(canonical)
            uln = master.uln if master is not None and master.uln else canonical
            ulns = self._ulns_of(uln)
        decision = self.policy.read_audit(
            acting.party,
            actor_ukprn=acting.ukprn,
            actor_uln=acting.uln,
            organisation=organisation,
            uln=uln,
        )
        if not decision:
            return _refusal(decision)
        if ulns is None:
            found = self._store.audit(organisation=organisation)
        else:
            found = [e for u in ulns for e in self._store.audit(uln=u, organisation=organisation)]
            found.sort(key=lambda e: e.at)
        return PlrResult(FOUND, uln, audit=tuple(found))


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


_VERIFICATION_NAMES: Final[Mapping[str, VerificationType]] = {
    **{kind.name.casefold(): kind for kind in VerificationType},
    "ni_card": VerificationType.NATIONAL_INSURANCE_CARD,
    "id_card": VerificationType.NATIONAL_ID_CARD,
    "other_level_1": VerificationType.OTHER_LEVEL_1_EVIDENCE,
}
"""Names accepted for a verification type: the enumeration's, and short forms [ours]."""


def _verification_type(value: object) -> VerificationType:
    if isinstance(value, VerificationType):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return VerificationType(value)
        except ValueError:
            pass
    if isinstance(value, str):
        key = value.strip().casefold().replace(" ", "_").replace("-", "_")
        if key.isdigit():
            return _verification_type(int(key))
        if key in _VERIFICATION_NAMES:
            return _VERIFICATION_NAMES[key]
    raise InvalidCode("not a verification type", field="VerificationType")
