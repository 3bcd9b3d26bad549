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
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from uln.enums import PrivacyNoticeSeen, VerificationType
from uln.errors import InvalidCode, InvalidRecord, MissingValue, NotFound, Problem
from uln.learner import Demographics, Learner
from uln.plr._core import (
    _UNKNOWN_ACTOR,
    CHANGED,
    FOUND,
    INVALID_ULN,
    NOTICE_NOT_SEEN,
    RECOMMENDED_SUPER_USERS,
    UNCHANGED,
    Acting,
    PlrResult,
    PrivacyReport,
    _refusal,
    _valid_uln,
    privacy_report_of,
)
from uln.plr._users import UserAdmin
from uln.plr.access import INSUFFICIENT_ACCESS, Action, Actor, Decision
from uln.plr.privacy import notice_seen
from uln.plr.records import LearningEvent, Nomination, NominationView
from uln.plr.views import VIEWS, make_view
from uln.register.service import Result

__all__ = ["RECOMMENDED_SUPER_USERS", "Acting", "PlrResult", "PlrService", "PrivacyReport"]


class PlrService(UserAdmin):
    """The register and the Personal Learning Record, operated on behalf of someone.

    Args:
        register: the learner register (:func:`uln.register.open`).
        policy: who may do what (:class:`~uln.plr.access.AccessPolicy` by default).
        clock: the current time (UTC), for ages, nominations and the audit.
        secret_cost: scrypt's cost for new access keys (lower it only in tests).

    Organisations and users: :meth:`add_organisation`, :meth:`add_user`,
    :meth:`add_super_user`, :meth:`remove_user`, :meth:`reset_access`,
    :meth:`authenticate`.
    """

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
        the privacy notice seen (from the audit); a refusal as a :class:`PlrResult`.

        Every registration path counts: through this service, a batch run
        (:func:`uln.batch.process`, a 3A file's ``PrivacyNoticeSeen``), an exception
        resolved with a new learner, or :class:`~uln.register.LearnerRegister` used
        directly. A learner counts as registered for each ``register`` event of the
        organisation in the register's audit (a new ULN issued; a ``load`` of a learner
        who already had a ULN is not a registration). Whether the notice was seen is
        read from the record **as it was registered** (its first version in the
        register's history), so recording the notice later does not take the learner
        off the report.
        """
        acting = self.acting(actor)
        if acting is None:
            return _refusal(_UNKNOWN_ACTOR)
        decision = self.policy.read_audit(
            acting.party, actor_ukprn=acting.ukprn, organisation=organisation
        )
        if not decision:
            return _refusal(decision)
        return privacy_report_of(self._store, organisation)

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
