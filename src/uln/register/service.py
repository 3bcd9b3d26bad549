"""The LRS operations on a register: register, find, update, merge, verify, resolve.

:class:`LearnerRegister` wraps a storage backend (:class:`~uln.register.base.Register`)
and a :class:`~uln.matching.Matcher`; every rule of the Learner Register lives here
(and in the table :mod:`uln.register.rules`), never in a backend. Each operation returns
a :class:`Result` carrying the LRS code (``WSRC0005``, ``WSVRC003`` ...) and what it
found. Open one with :func:`uln.register.open`.

>>> import datetime as dt
>>> import uln.register
>>> register = uln.register.open("memory://")
>>> huw = {"GivenName": "Huw", "FamilyName": "Pugh", "DateOfBirth": "2005-06-07",
...        "Gender": "1", "LastKnownPostCode": "LL57 2DG"}
>>> new = register.register_learner(huw, organisation="10012345")
>>> new.code, new.version
('WSRC0005', 1)
>>> register.register_learner(huw, organisation="10012345").code  # the same fields again
'WSRC0021'
>>> found = register.find_by_demographics({**huw, "GivenName": "Hugh"})
>>> found.code, found.uln == new.uln
('WSRC0004', True)
>>> register.find_by_uln(new.uln, "Huw", "Pugh").code
'WSRC0004'
>>> register.find_by_uln(new.uln, "Dafydd", "Jones").code  # names that do not fit
'WSRC0001'
>>> updated = register.update_learner(new.uln, 1, organisation="10012345",
...                                   LastKnownPostCode="LL57 1UT")
>>> updated.code, updated.version, updated.fields
('WSRC0006', 2, ('postcode',))
>>> register.update_learner(new.uln, 1, organisation="10012345", given_name="Hugh").code
'WSRC0013'
>>> check = register.verify_learner(new.uln, "Pugh", "Huw")  # names swapped
>>> check.code, check.failure_flags
('WSVRC003', ('VRF1', 'VRF3', 'VRF5', 'VRF6'))
>>> print(*[event.action for event in register.audit(uln=new.uln)])
register update
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any, Final

import attrs

from uln import checkdigit
from uln.codes import describe
from uln.demographics.dates import check_age, parse_date
from uln.demographics.gender import parse_gender
from uln.demographics.names import name_key
from uln.errors import (
    ConcurrencyError,
    DuplicateLearner,
    IntegrityError,
    InvalidCode,
    InvalidFormat,
    InvalidRecord,
    MissingValue,
    NotFound,
    Problem,
    RegisterError,
    UlnError,
    ValidationError,
)
from uln.identifiers import ukprn
from uln.learner import FIELDS, Demographics, FieldSpec, Learner, field_spec
from uln.matching import Matcher, Outcome, match_record, record_keys
from uln.matching.compare import compare_dates, compare_names
from uln.matching.normalise import NameInfo, date_info
from uln.register.allocate import UlnAllocator
from uln.register.base import (
    AuditEvent,
    ExceptionItem,
    ExceptionKind,
    ExceptionStatus,
    Register,
)
from uln.register.rules import RULES, RegisterRules

__all__ = [
    "FIND_TYPES",
    "LearnerRegister",
    "Result",
    "apply_changes",
    "learner_identity",
    "open_register",
]

FIND_TYPES: Final = ("FUL", "CHK")
"""Find by ULN: ``FUL`` returns the full record, ``CHK`` only checks (no record) [spec]."""

_FIXED: Final = frozenset({"uln", "version", "created", "updated", "master_uln", "linked_ulns"})
"""Fields the register sets itself; ``update_learner`` refuses them."""

_DEMOGRAPHIC: Final = frozenset(spec.attr for spec in FIELDS if spec.record == "demographics")
_MANDATORY: Final = frozenset(spec.attr for spec in FIELDS if spec.register)
_INVALID_ULN: Final = "WSEC0136"


@attrs.frozen(repr=False)
class Result:
    """What an operation of the register gave.

    Attributes:
        code: the LRS code (``WSRC0005``, ``WSVRC001``, ``WSEC0136`` ...);
            :attr:`meaning` says what it means.
        uln: the ULN concerned (the master's when a linked ULN was given), if any.
        learners: the learners returned (current versions, ``linked_ulns`` filled in).
        linked_ulns: the ULNs linked to the master returned (WSRC0022, WSVRC002/004).
        failure_flags: the verification flags ``VRF1`` .. ``VRF8`` that differed.
        exception_id: the exception opened for a person to resolve, if any.
        version: the learner's version number after the operation.
        fields: the fields an update changed.

    The repr shows the code, ULN and counts, never a learner's details.
    """

    code: str
    uln: str | None = None
    learners: tuple[Learner, ...] = ()
    linked_ulns: tuple[str, ...] = ()
    failure_flags: tuple[str, ...] = ()
    exception_id: int | None = None
    version: int | None = None
    fields: tuple[str, ...] = ()

    @property
    def meaning(self) -> str:
        """What the code means (:func:`uln.codes.describe`)."""
        return describe(self.code)

    @property
    def learner(self) -> Learner | None:
        """The first learner returned, if any."""
        return self.learners[0] if self.learners else None

    def __repr__(self) -> str:
        parts = [f"code={self.code!r}", f"uln={self.uln!r}", f"learners={len(self.learners)}"]
        if self.failure_flags:
            parts.append(f"failure_flags={self.failure_flags!r}")
        if self.exception_id is not None:
            parts.append(f"exception_id={self.exception_id}")
        return f"Result({', '.join(parts)})"


def _utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


class LearnerRegister:
    """The Learner Register's operations over a storage backend (see the module docs).

    Args:
        store: the backend that keeps the learners.
        matcher: scores demographic finds (the default :class:`~uln.matching.Matcher`).
        clock: returns the current time, for the audit history and the age check.
        allocator: draws new ULNs (random by default; seed one for tests).
        rules: the register's own decisions (:data:`uln.register.rules.RULES`).

    Every change takes ``organisation``, the UKPRN of the organisation acting (LRS test
    organisations such as ``TEST0038`` accepted), and records it with the time in the
    audit history.
    """

    def __init__(
        self,
        store: Register,
        *,
        matcher: Matcher | None = None,
        clock: Callable[[], _dt.datetime] | None = None,
        allocator: UlnAllocator | None = None,
        rules: RegisterRules = RULES,
    ) -> None:
        self._store = store
        self.matcher: Final = matcher if matcher is not None else Matcher()
        self._clock = clock if clock is not None else _utc_now
        self._allocator = allocator if allocator is not None else UlnAllocator()
        self.rules: Final = rules

    def __repr__(self) -> str:
        return f"LearnerRegister({self._store!r})"

    @property
    def store(self) -> Register:
        """The storage backend."""
        return self._store

    def transaction(self) -> AbstractContextManager[None]:
        """A unit of work over several operations: all kept, or none if it raises."""
        return self._store.transaction()

    def close(self) -> None:
        """Close the backend."""
        self._store.close()

    def __enter__(self) -> LearnerRegister:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -----------------------------------------------------------------------

    def get(self, uln: str) -> Learner | None:
        """The current record of ``uln`` (linked or not) with its linked ULNs, or None.

        Raises:
            ValidationError: ``uln`` is not a valid ULN.
        """
        learner = self._store.get(checkdigit.validate(uln))
        return None if learner is None else self._with_links(learner)

    def history(self, uln: str) -> list[Learner]:
        """Every version of the learner, oldest first."""
        return self._store.history(checkdigit.validate(uln))

    def count(self) -> int:
        """How many learners the register holds (linked records included)."""
        return self._store.count()

    def __iter__(self) -> Iterator[Learner]:
        return iter(self._store)

    def audit(self, *, uln: str | None = None, organisation: str | None = None) -> list[AuditEvent]:
        """The audit history about ``uln`` and/or by ``organisation``, oldest first."""
        return self._store.audit(uln=uln, organisation=organisation)

    def exceptions(
        self, *, status: ExceptionStatus | None = ExceptionStatus.OPEN
    ) -> list[ExceptionItem]:
        """The exceptions waiting for a person (or with another status; all for None)."""
        return self._store.exceptions(status=status)

    # -- register ----------------------------------------------------------------------

    def register_learner(
        self,
        record: Demographics | Learner | Mapping[str, Any],
        *,
        organisation: str,
        force: bool = False,
    ) -> Result:
        """Find the learner, and issue a new ULN only when nobody like them is registered.

        Args:
            record: the learner's details: :class:`~uln.Demographics`, a
                :class:`~uln.Learner` (its verification type, ability to share, MIS
                identifier ... are kept; a ULN on it is ignored) or raw fields.
            organisation: the UKPRN of the registering organisation.
            force: issue a new ULN even when similar learners exist (after a person
                reviewed them).

        Returns:
            ``WSRC0005`` a new ULN was issued; ``WSRC0021`` a learner with the same
            mandatory fields exists (its ULN returned); ``WSRC0004`` one clear match (its
            ULN returned, nothing issued); ``WSRC0003``/``WSRC0002`` possible or too many
            matches: nothing issued, an exception opened (``exception_id``);
            ``WSRC0015`` a mandatory field is missing.

        Raises:
            InvalidRecord: a field is badly formed (the message names it).
            AgeOutOfRange: the learner is not aged 13 to 110 today.
            ValidationError: ``organisation`` is not a UKPRN.
        """
        org = self._organisation(organisation)
        learner = self._learner(record)
        if not learner.demographics.is_complete:
            return Result("WSRC0015")
        self._check_age(learner.demographics)
        with self._store.transaction():
            return self._register(learner, org, force=force)

    def register_within(self, record: Learner, *, organisation: str) -> Result:
        """:meth:`register_learner` as one step of the caller's transaction (a batch's).

        The same checks, codes and changes, without a savepoint of its own (two round
        trips fewer on a database): the caller's transaction must be kept or rolled
        back whole, never carried on after this raised. The learners returned carry no
        ``linked_ulns`` (one query fewer each); everything else is as
        :meth:`register_learner` gives.

        Outside a transaction it opens one, as :meth:`register_learner` does.

        Raises:
            InvalidRecord, AgeOutOfRange, ValidationError: as :meth:`register_learner`,
                before anything is changed.
        """
        org = self._organisation(organisation)
        learner = self._learner(record)
        if not learner.demographics.is_complete:
            return Result("WSRC0015")
        self._check_age(learner.demographics)
        if self._store.in_transaction():
            return self._register(learner, org, force=False, links=False)
        with self._store.transaction():  # no transaction open (or a store that cannot say)
            return self._register(learner, org, force=False, links=False)

    def _register(self, learner: Learner, org: str, *, force: bool, links: bool = True) -> Result:
        store = self._store
        identity = self._identity(learner.demographics)
        existing = store.find_identity(identity)
        if existing is not None:
            return self._refused(existing, links=links)
        if not force:
            found = self.matcher.search(learner.demographics, store.candidates())
            if found.outcome is Outcome.EXACT:
                assert found.best is not None
                uln = str(found.best.id)
                learners = self._learners([uln], links=links)
                return Result(self.rules.exact_on_register, uln, learners)
            if found.outcome in (Outcome.POSSIBLE, Outcome.TOO_MANY):
                kind = (
                    ExceptionKind.POSSIBLE
                    if found.outcome is Outcome.POSSIBLE
                    else ExceptionKind.TOO_MANY
                )
                ulns = [str(match.id) for match in found.matches]
                item = ExceptionItem(
                    kind,
                    attrs.evolve(learner, uln=None),
                    org,
                    self._clock(),
                    candidates=tuple(ulns),
                )
                exception_id = store.add_exception(item)
                self._audit(org, "exception", None, detail=f"exception {exception_id}")
                learners = self._learners(ulns, links=links)
                return Result(found.code, learners=learners, exception_id=exception_id)
        return self._issue(learner, identity, org)

    def _refused(self, existing: str, *, links: bool = True) -> Result:
        master = self._master_of(existing)
        return Result("WSRC0021", master, self._learners([master], links=links))

    def _issue(self, learner: Learner, identity: str, org: str) -> Result:
        uln = self._allocator.allocate(self._store)
        now = self._clock()
        new = attrs.evolve(
            learner,
            uln=uln,
            version=1,
            created=now,
            updated=now,
            master_uln=None,
            linked_ulns=(),
        )
        try:
            self._store.add(new, keys=self._keys(new), identity=identity)
        except DuplicateLearner:  # registered by another process meanwhile
            existing = self._store.find_identity(identity)
            if existing is None:
                raise
            return self._refused(existing)
        self._audit(org, "register", uln, 1, _set_fields(new))
        return Result("WSRC0005", uln, (new,), version=1)

    def load(self, record: Learner | Mapping[str, Any], *, organisation: str) -> Result:
        """Store a learner who already has a ULN (a bulk import), or register one without.

        A learner with a ULN is stored as given, without a search: its ULN is reserved so
        it is never issued again. ``WSRC0005`` stored, ``WSRC0021`` the same mandatory
        fields are already registered, ``WSRC0015`` a mandatory field is missing. A
        learner without a ULN goes through :meth:`register_learner`.

        Raises:
            DuplicateLearner: a learner with that ULN is already stored.
            InvalidRecord: a field is badly formed.
        """
        org = self._organisation(organisation)
        learner = self._learner(record, keep_uln=True)
        if learner.uln is None:
            return self.register_learner(learner, organisation=org)
        if not learner.demographics.is_complete:
            return Result("WSRC0015", learner.uln)
        uln = learner.uln
        store = self._store
        with store.transaction():
            if store.get(uln) is not None:
                raise DuplicateLearner("a learner with this ULN is already stored")
            identity = self._identity(learner.demographics)
            existing = store.find_identity(identity)
            if existing is not None:
                return self._refused(existing)
            store.reserve_uln(uln)
            now = self._clock()
            new = attrs.evolve(
                learner,
                version=1,
                created=learner.created or now,
                updated=now,
                master_uln=None,
                linked_ulns=(),
            )
            store.add(new, keys=self._keys(new), identity=identity)
            self._audit(org, "load", uln, 1, _set_fields(new))
        return Result("WSRC0005", uln, (new,), version=1)

    def load_many(
        self,
        records: Iterable[Learner | Mapping[str, Any]],
        *,
        organisation: str,
        force: bool = False,
        batch_size: int = 1_000,
    ) -> Iterator[Result | UlnError]:
        """:meth:`load` each record in turn, writing learners with a ULN in batches.

        The outcome of each record, in order: its :class:`Result`, or the error
        :meth:`load` would have raised for it (:class:`~uln.errors.InvalidRecord`,
        :class:`~uln.errors.DuplicateLearner` ...), so that a caller reports each bad
        record and the rest are stored. The outcomes are those of calling :meth:`load`
        record by record: a run of learners with a ULN is written with the backend's
        ``add_many`` (one multi-row insert per table, not a few statements per learner)
        and, should one of them clash with a stored learner or another of the run, that
        run is loaded again one by one. Learners without a ULN are registered in place
        (with ``force``, a new ULN even when similar learners exist).

        >>> import uln.register
        >>> register = uln.register.open("memory://")
        >>> rows = [{"ULN": "2951053710", "GivenName": "Huw", "FamilyName": "Pugh",
        ...          "DateOfBirth": "2005-06-07", "Gender": "1", "LastKnownPostCode": "LL57 2DG"},
        ...         {"ULN": "2951053710", "GivenName": "Nia", "FamilyName": "Rees",
        ...          "DateOfBirth": "2005-01-02", "Gender": "2", "LastKnownPostCode": "LL57 2DG"}]
        >>> outcomes = register.load_many(rows, organisation="10012345")
        >>> print(*(getattr(x, "code", type(x).__name__) for x in outcomes))
        WSRC0005 DuplicateLearner

        Raises:
            ValidationError: ``organisation`` is not a UKPRN.
        """
        org = self._organisation(organisation)
        chunk: list[Learner | Mapping[str, Any]] = []
        for record in records:
            chunk.append(record)
            if len(chunk) >= batch_size:
                yield from self._load_chunk(chunk, org, force)
                chunk = []
        if chunk:
            yield from self._load_chunk(chunk, org, force)

    def _load_chunk(
        self, chunk: list[Learner | Mapping[str, Any]], org: str, force: bool
    ) -> list[Result | UlnError]:
        out: list[Result | UlnError | None] = [None] * len(chunk)
        run: list[tuple[int, Learner]] = []
        for i, record in enumerate(chunk):
            try:
                learner = self._learner(record, keep_uln=True)
            except UlnError as error:
                out[i] = error
                continue
            if learner.uln is None:  # searched for, in order with the runs around it
                self._load_run(run, out, org)
                run = []
                out[i] = self._outcome(
                    lambda learner=learner: self.register_learner(  # type: ignore[misc]
                        learner, organisation=org, force=force
                    )
                )
            elif not learner.demographics.is_complete:
                out[i] = Result("WSRC0015", learner.uln)
            else:
                run.append((i, learner))
        self._load_run(run, out, org)
        return [x for x in out if x is not None]

    @staticmethod
    def _outcome(call: Callable[[], Result]) -> Result | UlnError:
        try:
            return call()
        except UlnError as error:
            return error

    def _load_run(
        self, run: list[tuple[int, Learner]], out: list[Result | UlnError | None], org: str
    ) -> None:
        """Store learners with a ULN together, or one by one when any of them clashes."""
        if not run:
            return
        learners = [learner for _, learner in run]
        identities = [self._identity(learner.demographics) for learner in learners]
        ulns = [str(learner.uln) for learner in learners]
        if len(set(ulns)) == len(ulns) and len(set(identities)) == len(identities):
            try:
                results = self._store_together(learners, ulns, identities, org)
            except DuplicateLearner:  # rolled back: load them one by one for the outcomes
                pass
            else:
                for (i, _), result in zip(run, results, strict=True):
                    out[i] = result
                return
        for i, learner in run:
            out[i] = self._outcome(lambda learner=learner: self.load(learner, organisation=org))  # type: ignore[misc]

    def _store_together(
        self, learners: list[Learner], ulns: list[str], identities: list[str], org: str
    ) -> list[Result]:
        store = self._store
        now = self._clock()
        news = [
            attrs.evolve(
                learner,
                version=1,
                created=learner.created or now,
                updated=now,
                master_uln=None,
                linked_ulns=(),
            )
            for learner in learners
        ]
        store.reserve_ulns(ulns)
        with store.transaction():
            store.add_many(
                (
                    (new, self._keys(new), identity)
                    for new, identity in zip(news, identities, strict=True)
                ),
                batch_size=len(news),
            )
            at = self._clock()
            events = [
                AuditEvent(
                    at=at,
                    organisation=org,
                    action="load",
                    uln=uln,
                    version=1,
                    fields=_set_fields(new),
                    detail="",
                )
                for uln, new in zip(ulns, news, strict=True)
            ]
            store.record_many(events)
        return [
            Result("WSRC0005", uln, (new,), version=1) for uln, new in zip(ulns, news, strict=True)
        ]

    # -- find --------------------------------------------------------------------------

    def find_by_uln(
        self, uln: str, given_name: str, family_name: str, find_type: str = "FUL"
    ) -> Result:
        """Find a learner by ULN; the names given must fit the learner's.

        Returns ``WSRC0004`` (found), ``WSRC0022`` (the ULN is linked: the master is
        returned with its linked ULNs), ``WSRC0001`` (no learner: the ULN is unknown or
        the names do not fit, one code for both; see
        :attr:`RegisterRules.similar_name_levels <uln.register.rules.RegisterRules>`), or
        ``WSEC0136`` (not a valid ULN). ``find_type="CHK"`` checks only: no record is
        returned.

        Raises:
            InvalidCode: ``find_type`` is not ``FUL`` or ``CHK``.
        """
        if find_type not in FIND_TYPES:
            raise InvalidCode("the find type must be FUL or CHK", field="FindType")
        canonical = _valid_uln(uln)
        if canonical is None:
            return Result(_INVALID_ULN)
        learner = self._store.get(canonical)
        if learner is None:
            return Result(self.rules.find_by_uln_miss)
        master = self._final_master(learner)
        fits = any(
            self._compare_names(given_name, family_name, record.demographics)[1]
            for record in (learner, master)
        )
        if not fits:
            return Result(self.rules.find_by_uln_miss)
        assert master.uln is not None
        linked = tuple(self._store.linked_to(master.uln))
        code = "WSRC0022" if learner.is_linked else "WSRC0004"
        learners = (attrs.evolve(master, linked_ulns=linked),) if find_type == "FUL" else ()  # type: ignore[arg-type]
        return Result(code, master.uln, learners, linked, version=master.version)

    def find_by_demographics(self, record: Demographics | Learner | Mapping[str, Any]) -> Result:
        """Search the register: ``WSRC0004`` exact, ``WSRC0003`` possible (1 to 10
        learners), ``WSRC0002`` too many, ``WSRC0001`` none; ``WSRC0015`` when one of
        the five mandatory fields is missing. Only master records are returned.

        Raises:
            InvalidRecord: a field is badly formed.
        """
        learner = self._learner(record)
        if not learner.demographics.is_complete:
            return Result("WSRC0015")
        found = self.matcher.search(learner.demographics, self._store.candidates())
        ulns = [str(match.id) for match in found.matches]
        learners = self._learners(ulns)
        return Result(found.code, ulns[0] if len(ulns) == 1 else None, learners)

    def retrieve_ulns(self, ulns: Iterable[str]) -> dict[str, str | None]:
        """The master ULN of each ULN given (itself when it is a master), in bulk.

        Unknown and invalid ULNs map to None; keys are the ULNs as given.

        >>> import uln.register
        >>> uln.register.open("memory://").retrieve_ulns(["3344556680", "junk"])
        {'3344556680': None, 'junk': None}
        """
        given = list(ulns)
        canonical = {value: _valid_uln(value) for value in given}
        stored = self._store.get_many({c for c in canonical.values() if c is not None})
        masters = {uln: learner.master_uln or uln for uln, learner in stored.items()}
        pending = {m for m in masters.values() if m not in stored}
        while pending:  # a master not yet read (chains are flat; this is a safeguard)
            more = self._store.get_many(pending)
            stored.update(more)
            for uln, master in masters.items():
                record = stored.get(master)
                if record is not None and record.master_uln is not None:
                    masters[uln] = record.master_uln
            pending = {m for m in masters.values() if m not in stored} - set(more)
            if not more:
                break
        return {value: masters.get(c) if c else None for value, c in canonical.items()}

    # -- update ------------------------------------------------------------------------

    def update_learner(
        self, uln: str, version: int, /, *, organisation: str, **changes: Any
    ) -> Result:
        """Change a learner's details, if nobody changed them since ``version`` was read.

        ``changes`` are keyed by field name (``postcode`` or ``LastKnownPostCode``) and
        normalised as on input; ``None`` clears an optional field.

        Returns ``WSRC0006`` updated (the new ``version``; every version is kept),
        ``WSRC0013`` the learner changed since ``version``, ``WSRC0019`` no learner has
        the ULN, ``WSRC0020`` nothing changed, ``WSRC0014`` an invalid change of sharing
        status (no new opt-out), ``WSRC0021`` the change would give the learner the same
        mandatory fields as another, ``WSEC0136`` not a valid ULN.

        Raises:
            InvalidRecord: a change names an unknown or fixed field, or a bad value.
            IntegrityError: the ULN is linked to a master (update the master).
        """
        org = self._organisation(organisation)
        canonical = _valid_uln(uln)
        if canonical is None:
            return Result(_INVALID_ULN)
        values = _read_changes(changes)
        store = self._store
        with store.transaction():
            old = store.get(canonical)
            if old is None:
                return Result("WSRC0019")
            if old.is_linked:
                raise IntegrityError("a linked record cannot be updated: update its master")
            if old.version != version:
                return Result("WSRC0013", canonical, version=old.version)
            new, changed = _apply(old, values)
            if not changed:
                return Result("WSRC0020", canonical, version=old.version)
            opt_out = self.rules.opt_out
            if new.ability_to_share == opt_out and old.ability_to_share != opt_out:
                return Result("WSRC0014", canonical, version=old.version)
            new = attrs.evolve(new, version=old.version + 1, updated=self._clock())
            identity = self._identity(new.demographics)
            try:
                store.replace(
                    new,
                    expected_version=version,
                    keys=self._keys(new),
                    identity=identity,
                )
            except ConcurrencyError:
                current = store.get(canonical)
                return Result("WSRC0013", canonical, version=current.version if current else None)
            except DuplicateLearner:
                existing = store.find_identity(identity)
                return Result("WSRC0021", existing and self._master_of(existing))
            self._audit(org, "update", canonical, new.version, changed)
        learner = self._with_links(new)
        return Result("WSRC0006", canonical, (learner,), version=new.version, fields=changed)

    # -- merge -------------------------------------------------------------------------

    def link(self, master_uln: str, linked_uln: str, *, organisation: str) -> Result:
        """Merge two records of one person: ``linked_uln`` is linked to ``master_uln``.

        If ``master_uln`` is itself linked, its final master is used; learners linked to
        ``linked_uln`` move to that master, so a linked record is never a master. The
        linked record stops being searchable; a find of its ULN returns the master
        (WSRC0022). Returns ``WSRC0006`` (the master's ULN and its linked ULNs), or
        ``WSRC0020`` when the records are already linked so.

        Raises:
            ValidationError: a ULN is not valid.
            NotFound: no learner has one of the ULNs.
            IntegrityError: linking a learner to itself, or in a cycle.
        """
        org = self._organisation(organisation)
        master_uln = checkdigit.validate(master_uln)
        linked_uln = checkdigit.validate(linked_uln)
        if master_uln == linked_uln:
            raise IntegrityError("a learner cannot be linked to itself")
        store = self._store
        with store.transaction():
            master = self._final_master(self._require(master_uln))
            linked = self._require(linked_uln)
            assert master.uln is not None
            if master.uln == linked_uln:
                raise IntegrityError("the link would make a cycle")
            if linked.master_uln == master.uln:
                return Result(
                    "WSRC0020", master.uln, linked_ulns=tuple(store.linked_to(master.uln))
                )
            if linked.is_linked:
                raise IntegrityError("the record is already linked to another master: unlink it")
            moved = [linked_uln, *store.linked_to(linked_uln)]
            for uln in moved:
                record = self._require(uln)
                self._relink(record, master.uln, org, "link")
            linked_ulns = tuple(store.linked_to(master.uln))
            self._audit(org, "link", master.uln, master.version, detail=f"{len(moved)} linked")
        learner = attrs.evolve(master, linked_ulns=linked_ulns)  # type: ignore[arg-type]
        return Result("WSRC0006", master.uln, (learner,), linked_ulns, version=master.version)

    def unlink(self, linked_uln: str, *, organisation: str) -> Result:
        """Undo a link: the record becomes a master again, searchable on its own.

        Returns ``WSRC0006`` (the ULN, its new version), or ``WSRC0020`` when the record
        is not linked.

        Raises:
            ValidationError: the ULN is not valid.
            NotFound: no learner has it.
        """
        org = self._organisation(organisation)
        linked_uln = checkdigit.validate(linked_uln)
        with self._store.transaction():
            record = self._require(linked_uln)
            if not record.is_linked:
                return Result("WSRC0020", linked_uln, version=record.version)
            master = record.master_uln
            new = self._relink(record, None, org, "unlink")
            assert master is not None
            self._audit(org, "unlink", master, None, detail="1 unlinked")
        return Result("WSRC0006", linked_uln, (new,), version=new.version)

    def _relink(self, record: Learner, master: str | None, org: str, action: str) -> Learner:
        new = attrs.evolve(
            record,
            master_uln=master,
            linked_ulns=(),
            version=record.version + 1,
            updated=self._clock(),
        )
        self._store.replace(
            new,
            expected_version=record.version,
            keys=None if master is not None else self._keys(new),
            identity=self._identity(new.demographics),
        )
        assert new.uln is not None
        self._audit(org, action, new.uln, new.version, ("master_uln",))
        return new

    # -- verify ------------------------------------------------------------------------

    def verify_learner(
        self,
        uln: str,
        given_name: str,
        family_name: str,
        date_of_birth: _dt.date | str | None = None,
        gender: Any = None,
    ) -> Result:
        """Check a ULN someone supplied against the names (and date of birth, gender).

        Returns ``WSVRC001`` match, ``WSVRC002`` linked match (the master's ULN),
        ``WSVRC003`` similar match, ``WSVRC004`` similar linked match, ``WSVRC005`` does
        not match, ``WSVRC006`` ULN not found, ``WSEC0136`` not a valid ULN. Unless it is
        a match, ``failure_flags`` lists what differed: ``VRF1`` .. ``VRF6`` cross the
        given and family names with the register's given, family and previous family
        names (so a swap shows as VRF1 and VRF5 without VRF2 and VRF4), ``VRF7`` the
        date of birth, ``VRF8`` the gender.

        Raises:
            InvalidDate, InvalidGender: the date of birth or gender is badly formed.
        """
        dob = None if date_of_birth is None else parse_date(date_of_birth, field="DateOfBirth")
        sex = None if gender is None else parse_gender(gender, field="Gender")
        canonical = _valid_uln(uln)
        if canonical is None:
            return Result(_INVALID_ULN)
        learner = self._store.get(canonical)
        if learner is None:
            return Result("WSVRC006")
        master = self._final_master(learner)
        d = master.demographics
        flags, names_similar, names_exact = self._compare_names(given_name, family_name, d)
        exact, similar = names_exact, names_similar
        if dob is not None:
            level = compare_dates(date_info(dob), date_info(d.date_of_birth))
            if level != "exact":
                flags.append("VRF7")
                exact = False
                similar = similar and level in self.rules.similar_date_levels
        known = sex is not None and sex.is_known and d.gender is not None and d.gender.is_known
        if known and sex != d.gender:
            flags.append("VRF8")
            exact = False
            similar = similar and self.rules.gender_difference_is_similar
        linked = learner.is_linked
        if exact:
            code = "WSVRC002" if linked else "WSVRC001"
        elif similar:
            code = "WSVRC004" if linked else "WSVRC003"
        else:
            code = "WSVRC005"
        shown = () if exact and not self.rules.flags_on_exact else tuple(flags)
        assert master.uln is not None
        linked_ulns = tuple(self._store.linked_to(master.uln)) if linked else ()
        return Result(code, master.uln, linked_ulns=linked_ulns, failure_flags=shown)

    def _compare_names(
        self, given_name: str, family_name: str, d: Demographics
    ) -> tuple[list[str], bool, bool]:
        """The crossed name flags, whether the names are similar, whether exact."""
        q = match_record({"given_name": given_name, "family_name": family_name})
        s = match_record(d)
        rules = self.rules

        def best(a: NameInfo | None, names: Iterable[NameInfo | None]) -> str:
            levels = [compare_names(a, b) for b in names]
            for wanted in (rules.exact_name_levels, rules.similar_name_levels):
                for level in levels:
                    if level in wanted:
                        return level
            return levels[0] if levels else "missing"

        previous = s.previous
        pairs = (
            best(q.given, [s.given]),  # VRF1
            best(q.given, [s.family]),  # VRF2
            best(q.given, previous),  # VRF3
            best(q.family, [s.given]),  # VRF4
            best(q.family, [s.family]),  # VRF5
            best(q.family, previous),  # VRF6
        )
        flags = [
            f"VRF{i}" for i, level in enumerate(pairs, 1) if level not in rules.exact_name_levels
        ]
        same, like = rules.exact_name_levels, rules.similar_name_levels
        exact = pairs[0] in same and (pairs[4] in same or pairs[5] in same)
        similar = (pairs[0] in like and (pairs[4] in like or pairs[5] in like)) or (
            pairs[1] in like and (pairs[3] in like or pairs[2] in like)
        )
        return flags, similar, exact

    # -- exceptions --------------------------------------------------------------------

    def resolve(
        self,
        exception_id: int,
        *,
        organisation: str,
        uln: str | None = None,
        register_new: bool = False,
    ) -> Result:
        """Close an exception: the learner is ``uln`` (an existing learner), or new.

        With ``uln``, returns ``WSRC0004`` and that learner's master ULN; with
        ``register_new=True`` a new ULN is issued (``WSRC0005``), unless a learner with
        the same mandatory fields was registered meanwhile (``WSRC0021``, the exception
        stays open).

        Raises:
            NotFound: no exception or no learner has that id or ULN.
            IntegrityError: the exception is already closed.
            RegisterError: neither or both of ``uln`` and ``register_new`` were given.
        """
        org = self._organisation(organisation)
        if (uln is None) == (not register_new):
            raise RegisterError("give either the ULN of an existing learner or register_new=True")
        store = self._store
        with store.transaction():
            item = store.open_exception(exception_id)
            if uln is not None:
                master = self._master_of(self._require(checkdigit.validate(uln)).uln or "")
                result = Result("WSRC0004", master, self._learners([master]))
                status = ExceptionStatus.RESOLVED_EXISTING
            else:
                self._check_age(item.learner.demographics)
                result = self._register(item.learner, org, force=True)
                if result.code != "WSRC0005":
                    return result
                status = ExceptionStatus.RESOLVED_NEW
            store.update_exception(
                attrs.evolve(item, status=status, resolved_uln=result.uln, resolved=self._clock())
            )
            self._audit(org, "resolve", result.uln, detail=f"exception {exception_id}")
        return attrs.evolve(result, exception_id=exception_id)

    # -- helpers -----------------------------------------------------------------------

    def _organisation(self, organisation: str) -> str:
        return ukprn.validate(organisation, allow_test=True)

    def _learner(
        self, record: Demographics | Learner | Mapping[str, Any], *, keep_uln: bool = False
    ) -> Learner:
        if isinstance(record, Learner):
            learner = record
        elif isinstance(record, Demographics):
            learner = Learner(demographics=record)
        elif isinstance(record, Mapping):
            learner = Learner.from_raw(record, strict=False)
        else:
            raise InvalidFormat("a learner record is required", field="learner")
        problems = [*learner.problems, *learner.demographics.problems]
        bad = [p for p in dict.fromkeys(problems) if p.kind != MissingValue.__name__]
        if bad:
            raise InvalidRecord(bad)
        if not keep_uln and learner.uln is not None:
            learner = attrs.evolve(learner, uln=None)
        return learner

    def _check_age(self, d: Demographics) -> None:
        assert d.date_of_birth is not None
        check_age(d.date_of_birth, self._clock().date())

    @staticmethod
    def _identity(d: Demographics) -> str:
        return learner_identity(d)

    @staticmethod
    def _keys(learner: Learner) -> list[str]:
        return record_keys(match_record(learner.demographics))

    def _audit(
        self,
        org: str,
        action: str,
        uln: str | None,
        version: int | None = None,
        fields: Iterable[str] = (),
        *,
        detail: str = "",
    ) -> None:
        self._store.record(
            AuditEvent(
                at=self._clock(),
                organisation=org,
                action=action,
                uln=uln,
                version=version,
                fields=tuple(fields),
                detail=detail,
            )
        )

    def _require(self, uln: str) -> Learner:
        learner = self._store.get(uln)
        if learner is None:
            raise NotFound("no learner has this ULN")
        return learner

    def _final_master(self, learner: Learner) -> Learner:
        seen = {learner.uln}
        while learner.master_uln is not None:
            master = self._store.get(learner.master_uln)
            if master is None or master.uln in seen:
                raise IntegrityError("a linked record's master is missing or in a cycle")
            seen.add(master.uln)
            learner = master
        return learner

    def _master_of(self, uln: str) -> str:
        learner = self._store.get(uln)
        if learner is None:
            return uln
        master = self._final_master(learner).uln
        assert master is not None
        return master

    def _with_links(self, learner: Learner) -> Learner:
        assert learner.uln is not None
        return attrs.evolve(learner, linked_ulns=tuple(self._store.linked_to(learner.uln)))  # type: ignore[arg-type]

    def _learners(self, ulns: list[str], *, links: bool = True) -> tuple[Learner, ...]:
        stored = self._store.get_many(ulns)
        if not links:
            return tuple(stored[uln] for uln in ulns if uln in stored)
        return tuple(self._with_links(stored[uln]) for uln in ulns if uln in stored)


def learner_identity(demographics: Demographics) -> str:
    """The identity a backend keeps unique: a digest of the normalised mandatory fields.

    Two records with the same given and family name keys (case, accents, ``O'Brien`` =
    ``OBrien``), date of birth, gender and canonical postcode have the same identity
    [ours]. A SHA-256 digest, so the stored value reveals nothing by itself.

    >>> from uln import Demographics
    >>> a = Demographics.from_raw({"GivenName": "Siân", "FamilyName": "O'Brien",
    ...     "DateOfBirth": "2007-04-12", "Gender": "2", "LastKnownPostCode": "sa11aa"})
    >>> b = Demographics.from_raw({"GivenName": "SIAN", "FamilyName": "OBrien",
    ...     "DateOfBirth": "12/04/2007", "Gender": "F", "LastKnownPostCode": "SA1 1AA"})
    >>> learner_identity(a) == learner_identity(b), len(learner_identity(a))
    (True, 64)

    Raises:
        MissingValue: a mandatory field is missing.
    """
    d = demographics
    if not d.is_complete:
        raise MissingValue("the five mandatory fields are needed", field="learner")
    assert d.date_of_birth is not None
    assert d.gender is not None
    text = "\x1f".join(
        (
            name_key(d.given_name),
            name_key(d.family_name),
            d.date_of_birth.isoformat(),
            str(int(d.gender)),
            str(d.postcode),
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _valid_uln(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return checkdigit.validate(value)
    except ValidationError:
        return None


def _set_fields(learner: Learner) -> tuple[str, ...]:
    names = [
        spec.attr
        for spec in FIELDS
        if spec.attr not in _FIXED
        and (
            getattr(learner.demographics, spec.attr)
            if spec.record == "demographics"
            else getattr(learner, spec.attr)
        )
        is not None
    ]
    return tuple(names)


def apply_changes(learner: Learner, changes: Mapping[str, Any]) -> tuple[Learner, tuple[str, ...]]:
    """``learner`` with ``changes`` applied as :meth:`LearnerRegister.update_learner`
    reads them, and the fields that changed (none stored: the caller decides).

    The same names (LRS or snake_case), normalisers and refusals: an unknown field, one
    the register sets itself (ULN, version, dates, links), an empty mandatory field or a
    bad value is an :class:`~uln.errors.InvalidRecord` naming every such field, never a
    value. An empty optional field is cleared.

    >>> from uln import Learner
    >>> learner = Learner.from_raw({"GivenName": "Huw", "FamilyName": "Pugh",
    ...     "DateOfBirth": "2005-06-07", "Gender": "1", "LastKnownPostCode": "LL57 2DG"})
    >>> corrected, changed = apply_changes(learner, {"FamilyName": "pugh-jones",
    ...                                              "postcode": "cf10 1aa"})
    >>> changed, str(corrected.demographics.postcode)
    (('family_name', 'postcode'), 'CF10 1AA')
    >>> apply_changes(learner, {"GivenName": "Huw"})[1]
    ()
    >>> from uln.errors import InvalidRecord
    >>> try:
    ...     apply_changes(learner, {"ULN": "3344556680", "Gender": ""})
    ... except InvalidRecord as error:
    ...     print([(p.field, p.rule) for p in error.problems])
    [('ULN', 'the register sets this field'), ('Gender', 'a value is required')]
    """
    return _apply(learner, _read_changes(changes))


def _read_changes(changes: Mapping[str, Any]) -> dict[FieldSpec, Any]:
    """Normalise the changes of an update, keyed by field; every bad one reported."""
    values: dict[FieldSpec, Any] = {}
    problems: list[Problem] = []
    for name, value in changes.items():
        try:
            spec = field_spec(name)
        except KeyError:
            problems.append(Problem(name, "no learner field has this name", "InvalidFormat"))
            continue
        if spec.attr in _FIXED:
            problems.append(Problem(spec.lrs_name, "the register sets this field", "InvalidFormat"))
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.attr in _MANDATORY:
                problems.append(Problem(spec.lrs_name, "a value is required", "MissingValue"))
            else:
                values[spec] = None
            continue
        try:
            values[spec] = spec.normalise(value, spec.lrs_name, spec.max_length)
        except ValidationError as exc:
            problems.append(Problem(spec.lrs_name, exc.rule, type(exc).__name__))
    if problems:
        raise InvalidRecord(problems)
    return values


def _apply(old: Learner, values: Mapping[FieldSpec, Any]) -> tuple[Learner, tuple[str, ...]]:
    demo: dict[str, Any] = {}
    other: dict[str, Any] = {}
    changed: list[str] = []
    for spec, value in values.items():
        current = (
            getattr(old.demographics, spec.attr)
            if spec.attr in _DEMOGRAPHIC
            else getattr(old, spec.attr)
        )
        if current == value:
            continue
        (demo if spec.attr in _DEMOGRAPHIC else other)[spec.attr] = value
        changed.append(spec.attr)
    if not changed:
        return old, ()
    demographics = attrs.evolve(old.demographics, **demo) if demo else old.demographics
    return attrs.evolve(old, demographics=demographics, **other), tuple(changed)


# -- opening a register ----------------------------------------------------------------

_SQL_SCHEMES: Final = frozenset({"sqlite", "postgresql", "mysql", "mariadb"})


def open_register(
    url: str,
    *,
    matcher: Matcher | None = None,
    clock: Callable[[], _dt.datetime] | None = None,
    allocator: UlnAllocator | None = None,
) -> LearnerRegister:
    """Open a register by URL and wrap it in the LRS operations.

    ``memory://`` keeps learners in this process only; ``sqlite:///path/to/file``
    (the embedded default), ``postgresql+psycopg://user@host/db`` and
    ``mysql+pymysql://user@host/db`` open an SQL register, creating or upgrading its
    schema (needs the ``sql`` extra, and ``postgresql`` or ``mysql`` for those servers).

    Raises:
        RegisterError: the URL names no supported backend, or its extra is missing.
            The message names the scheme, never the rest of the URL (it may hold a
            password).

    >>> with open_register("memory://") as register:
    ...     register.count()
    0
    >>> open_register("ftp://example.org/register")
    Traceback (most recent call last):
        ...
    uln.errors.RegisterError: no register backend for URLs starting 'ftp:'
    """
    scheme = url.partition(":")[0].lower() if isinstance(url, str) else ""
    store: Register
    if scheme == "memory":
        from uln.register.memory import MemoryRegister

        store = MemoryRegister()
    elif scheme.partition("+")[0] in _SQL_SCHEMES:
        try:
            from uln.register.sql import SqlRegister
        except ImportError as exc:
            raise RegisterError(
                'an SQL register needs the sql extra: pip install "uln[sql]"'
            ) from exc
        store = SqlRegister(url)
    else:
        raise RegisterError(f"no register backend for URLs starting {scheme + ':'!r}")
    return LearnerRegister(store, matcher=matcher, clock=clock, allocator=allocator)
