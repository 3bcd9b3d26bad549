"""The storage surface of a register, and the records it keeps beside learners.

A backend (in memory, SQL, or your own) implements :class:`Register`: a handful of
storage operations and a unit of work. Every LRS rule (when a ULN is issued, how a
find is scored, what a link may do, the codes returned) lives once, above the
backends, in :mod:`uln.register.service`; a backend only stores and fetches.

What a backend promises (the contract suite :mod:`uln.testing.contract` checks it):

- **Unit of work**: everything done inside ``with register.transaction():`` is kept
  when the block completes and undone when it raises. Transactions nest: an inner
  block joins the outer one. Every storage method may also be called outside a
  transaction (it then runs in one of its own).
- **ULNs are reserved forever**: :meth:`Register.reserve_uln` records a ULN as issued
  at once and for good, even if the transaction around it is rolled back or the
  process dies, so a ULN is never issued twice.
- **Learners** are stored whole (:class:`uln.Learner`, with ``uln``, ``version``,
  ``created``, ``updated`` and ``master_uln`` set by the service) and every version
  is kept (:meth:`Register.history`). :meth:`Register.replace` is a compare-and-set on
  the version number: it raises :class:`~uln.errors.ConcurrencyError` when the stored
  version is not the one expected.
- **Identity**: a learner may carry an ``identity`` (a digest of its normalised
  mandatory fields, made by the service); two stored learners never share one (the
  second raises :class:`~uln.errors.DuplicateLearner`), so two processes registering
  the same person at the same moment make one learner, not two.
- **Searchable learners** carry ``keys`` (the matcher's blocking keys, text:
  :func:`uln.matching.record_keys`); a learner stored with ``keys=None`` (a linked
  record) is never a candidate. :meth:`Register.candidates` gives a
  :class:`uln.matching.CandidateSource` over the searchable learners whose ids are
  ULNs: the candidates of a query are those sharing a blocking key with it
  (:func:`uln.matching.query_keys`) in a block no larger than
  :func:`uln.matching.block_limit` allows, **sorted by ULN**, and its frequencies count
  the given and family names of the searchable learners. Every backend therefore
  gives the same find results for the same learners.
- **Learning records** (:mod:`uln.plr`): learning events, organisations, users and
  nominations are stored as given and returned equal to what was stored. Storage is
  plain: the rules (an event lands on the master ULN, who may add or read what) live
  above the backends. A backend never moves events when learners are linked: the
  Personal Learning Record of a master ULN is the events stored under it *and* under
  every ULN linked to it (:meth:`Register.events_for` with the master and
  :meth:`Register.linked_to`), so a link merges two records and an unlink parts them
  again, with nothing rewritten.

>>> from uln.register.base import AuditEvent
>>> AuditEvent(at=_dt.datetime(2024, 9, 2, tzinfo=_dt.UTC), organisation="10012345",
...            action="register", uln="3344556680", version=1, fields=("given_name",))
AuditEvent(action='register', uln='3344556680', organisation='10012345', version=1)
"""

from __future__ import annotations

import abc
import datetime as _dt
import enum
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, ClassVar

import attrs

from uln.errors import IntegrityError, NotFound
from uln.learner import Learner

if TYPE_CHECKING:
    from uln.matching import CandidateSource
    from uln.plr.records import LearningEvent, Nomination, Organisation, User

__all__ = [
    "AuditEvent",
    "BatchEntry",
    "BatchRun",
    "ExceptionItem",
    "ExceptionKind",
    "ExceptionStatus",
    "Register",
]


class ExceptionKind(enum.Enum):
    """Why a learner was queued for a person to decide (see "Finding and registering")."""

    POSSIBLE = "possible"
    """Similar learners exist (WSRC0003; batch RC007)."""
    TOO_MANY = "too_many"
    """Too many similar learners (WSRC0002; batch RC008)."""
    MISMATCH = "uln_mismatch"
    """A batch row's ULN does not match its details (WSVRC005; batch RC009)."""


class ExceptionStatus(enum.Enum):
    """Where an exception stands."""

    OPEN = "open"
    RESOLVED_EXISTING = "resolved_existing"
    """A person chose an existing learner."""
    RESOLVED_NEW = "resolved_new"
    """A person decided the learner is new: a ULN was issued."""
    WITHDRAWN = "withdrawn"
    """Closed without a decision (for instance the batch row was corrected and re-run)."""


@attrs.frozen(repr=False)
class ExceptionItem:
    """A learner that a person must look at before a ULN is issued or returned.

    ``learner`` is what was submitted (no ULN yet); ``candidates`` the ULNs of the
    similar learners found, best first (none for too many). ``batch`` and ``line``
    say where it came from when it came from a batch file. ``id`` is set by the
    backend when the item is stored (0 before).
    """

    kind: ExceptionKind
    learner: Learner
    organisation: str
    created: _dt.datetime
    candidates: tuple[str, ...] = ()
    status: ExceptionStatus = ExceptionStatus.OPEN
    resolved_uln: str | None = None
    resolved: _dt.datetime | None = None
    batch: str | None = None
    line: int | None = None
    id: int = 0

    def __repr__(self) -> str:  # the learner's details are personal data
        return (
            f"ExceptionItem(id={self.id}, kind={self.kind.value}, status={self.status.value}, "
            f"candidates={len(self.candidates)})"
        )


@attrs.frozen(repr=False)
class AuditEvent:
    """One change (or, for learning records, one read) of a learner's record.

    ``fields`` names the fields changed, never their values. ``organisation`` is the
    UKPRN of the organisation that acted; ``user`` the acting user where known.
    """

    at: _dt.datetime
    organisation: str
    action: str
    uln: str | None = None
    version: int | None = None
    fields: tuple[str, ...] = ()
    user: str | None = None
    detail: str = ""

    def __repr__(self) -> str:
        return (
            f"AuditEvent(action={self.action!r}, uln={self.uln!r}, "
            f"organisation={self.organisation!r}, version={self.version})"
        )


@attrs.frozen
class BatchRun:
    """A batch file being (or having been) processed against the register.

    ``key`` identifies the batch: a digest of its UKPRN, file name and content, so the
    same file sent twice is recognised and a run killed half way is resumed.
    """

    key: str
    ukprn: str
    file_name: str
    total: int
    started: _dt.datetime
    finished: _dt.datetime | None = None


@attrs.frozen
class BatchEntry:
    """What processing one learner of a batch gave: its return code and ULN.

    ``index`` is the learner's position in the batch (from 0); recorded in the same
    transaction as whatever the learner changed, so each learner is processed once.
    """

    index: int
    code: str
    uln: str | None = None
    exception_id: int | None = None


class Register(abc.ABC):
    """The storage surface every register backend implements (see the module docs).

    Backends store and fetch; they hold no LRS rule. Open one with
    :func:`uln.register.open`, which wraps it in the service operations.
    """

    # -- unit of work ------------------------------------------------------------------

    @abc.abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """A unit of work: kept if the block completes, undone if it raises; nests."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections and files; the register cannot be used afterwards."""

    def in_transaction(self) -> bool:
        """Whether this thread is inside :meth:`transaction` (so a step can join it
        rather than open a nested one). This default says no: a backend that can tell
        says so (memory and SQL do)."""
        return False

    # -- ULN allocation ----------------------------------------------------------------

    @abc.abstractmethod
    def reserve_uln(self, uln: str) -> bool:
        """Record ``uln`` as issued, for good; False if it was ever reserved before.

        Kept even when the surrounding transaction rolls back or the process dies.
        """

    @abc.abstractmethod
    def is_reserved(self, uln: str) -> bool:
        """Whether ``uln`` was ever reserved."""

    def reserve_ulns(self, ulns: Sequence[str]) -> None:
        """Record each of ``ulns`` as issued, for good (ULNs reserved before stay
        reserved). This default reserves them one by one; a backend may do it at once
        (the SQL register does, in one statement)."""
        for uln in ulns:
            self.reserve_uln(uln)

    claims_blocks: ClassVar[bool] = False
    """Whether :meth:`claim_ulns` reserves a whole block at once (one round trip), so
    the allocator (:class:`~uln.register.allocate.UlnAllocator`) draws ULNs a block at a
    time; otherwise it draws and reserves them one by one. The SQL register does."""

    def claim_ulns(self, ulns: Sequence[str]) -> list[str]:
        """Reserve each of ``ulns`` that was never reserved, for good; return those, in
        the order given (a ULN given twice counts once). This default reserves them one
        by one (:meth:`reserve_uln`); a backend that sets :attr:`claims_blocks` does it
        at once.

        >>> from uln.register.memory import MemoryRegister
        >>> store = MemoryRegister()
        >>> store.reserve_uln("3344556680")
        True
        >>> store.claim_ulns(["3344556680", "1000000043", "1000000043"])
        ['1000000043']
        """
        return [uln for uln in dict.fromkeys(ulns) if self.reserve_uln(uln)]

    # -- learners ----------------------------------------------------------------------

    @abc.abstractmethod
    def add(self, learner: Learner, *, keys: Sequence[str] | None, identity: str | None) -> None:
        """Store a new learner (``learner.uln`` set, version 1).

        Raises:
            DuplicateLearner: a stored learner has the same ULN or the same identity.
        """

    def add_many(
        self,
        items: Iterable[tuple[Learner, Sequence[str] | None, str | None]],
        *,
        batch_size: int = 5_000,
    ) -> int:
        """Store many new learners (a bulk import), ``batch_size`` to a transaction.

        ``items`` gives ``(learner, keys, identity)`` as :meth:`add` takes them; returns
        how many were stored. This default adds them one by one; a backend may write a
        whole batch at once (the SQL register uses multi-row inserts, or COPY on
        PostgreSQL).

        Raises:
            DuplicateLearner: a learner of a batch has the ULN or identity of a stored
                one (that batch is not stored; earlier ones are).
        """
        # (h11/sql: the bulk path for imports; SqlRegister overrides it)
        stored = 0
        batch: list[tuple[Learner, Sequence[str] | None, str | None]] = []
        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                stored += self._add_each(batch)
                batch = []
        return stored + self._add_each(batch)

    def _add_each(self, batch: list[tuple[Learner, Sequence[str] | None, str | None]]) -> int:
        with self.transaction():
            for learner, keys, identity in batch:
                self.add(learner, keys=keys, identity=identity)
        return len(batch)

    @abc.abstractmethod
    def get(self, uln: str) -> Learner | None:
        """The current version of the learner with ``uln``, or None."""

    def get_many(self, ulns: Iterable[str]) -> dict[str, Learner]:
        """The current versions of the learners with these ULNs (unknown ones left out)."""
        found = {}
        for uln in ulns:
            learner = self.get(uln)
            if learner is not None:
                found[uln] = learner
        return found

    @abc.abstractmethod
    def replace(
        self,
        learner: Learner,
        *,
        expected_version: int,
        keys: Sequence[str] | None,
        identity: str | None,
    ) -> None:
        """Store a new version of a learner, keeping the old one in its history.

        ``learner.version`` is the new version (``expected_version + 1``).

        Raises:
            ConcurrencyError: the stored version is not ``expected_version``.
            NotFound: no learner has that ULN.
            DuplicateLearner: another stored learner has the same identity.
        """

    @abc.abstractmethod
    def history(self, uln: str) -> list[Learner]:
        """Every version of the learner, oldest first (empty if unknown)."""

    @abc.abstractmethod
    def find_identity(self, identity: str) -> str | None:
        """The ULN of the stored learner with this identity, if any."""

    @abc.abstractmethod
    def linked_to(self, master_uln: str) -> list[str]:
        """The ULNs whose ``master_uln`` is ``master_uln``, sorted."""

    @abc.abstractmethod
    def candidates(self) -> CandidateSource:
        """The searchable learners as a candidate source (ids are ULNs; see module docs)."""

    @abc.abstractmethod
    def __iter__(self) -> Iterator[Learner]:
        """Every stored learner (current versions), in ULN order."""

    @abc.abstractmethod
    def count(self) -> int:
        """How many learners are stored (linked ones included)."""

    # -- exceptions --------------------------------------------------------------------

    @abc.abstractmethod
    def add_exception(self, item: ExceptionItem) -> int:
        """Store an exception; returns its new id (ids increase from 1)."""

    @abc.abstractmethod
    def get_exception(self, exception_id: int) -> ExceptionItem | None:
        """The exception with this id, or None."""

    def open_exception(self, exception_id: int) -> ExceptionItem:
        """The exception with this id, which must still be open (one being resolved).

        Raises:
            NotFound: no exception has this id.
            IntegrityError: the exception is already closed.
        """
        item = self.get_exception(exception_id)
        if item is None:
            raise NotFound("no exception has this id")
        if item.status is not ExceptionStatus.OPEN:
            raise IntegrityError("the exception is already closed")
        return item

    def get_exceptions(self, exception_ids: Iterable[int]) -> dict[int, ExceptionItem]:
        """The exceptions with these ids that exist, by id in id order; this default
        reads them one by one, the SQL register in one query per 500."""
        found = {i: self.get_exception(i) for i in sorted(set(exception_ids))}
        return {i: item for i, item in found.items() if item is not None}

    @abc.abstractmethod
    def update_exception(self, item: ExceptionItem) -> None:
        """Store a changed exception (same id): its status and resolution."""

    @abc.abstractmethod
    def exceptions(
        self, *, status: ExceptionStatus | None = ExceptionStatus.OPEN
    ) -> list[ExceptionItem]:
        """The exceptions with this status (all when None), oldest first."""

    # -- audit -------------------------------------------------------------------------

    @abc.abstractmethod
    def record(self, event: AuditEvent) -> None:
        """Add an event to the audit history (inside the current transaction)."""

    def record_many(self, events: Sequence[AuditEvent]) -> None:
        """:meth:`record` each event; this default one by one, a backend may write them
        at once (the SQL register does, in one multi-row insert)."""
        for event in events:
            self.record(event)

    @abc.abstractmethod
    def audit(self, *, uln: str | None = None, organisation: str | None = None) -> list[AuditEvent]:
        """The audit events about ``uln`` and/or by ``organisation``, oldest first."""

    # -- batch runs --------------------------------------------------------------------

    @abc.abstractmethod
    def start_batch(self, run: BatchRun) -> BatchRun:
        """Store a new batch run, or return the one already stored under ``run.key``.

        Two processes starting the same batch at once get the same stored run.
        """

    @abc.abstractmethod
    def get_batch(self, key: str) -> BatchRun | None:
        """The batch run stored under ``key``, or None."""

    @abc.abstractmethod
    def finish_batch(self, key: str, finished: _dt.datetime) -> None:
        """Mark a batch run finished."""

    @abc.abstractmethod
    def record_batch_entry(self, key: str, entry: BatchEntry) -> None:
        """Record the outcome of one learner of a batch.

        Raises:
            DuplicateLearner: an entry with that index is already recorded for the batch
                (so a learner can never be processed twice).
        """

    def record_batch_entries(self, key: str, entries: Sequence[BatchEntry]) -> None:
        """Record the outcomes of several learners of a batch at once (all or none).

        As :meth:`record_batch_entry` for each; this default records them one by one
        in a transaction, a backend may write them in one statement (the SQL register
        does).

        Raises:
            DuplicateLearner: one of them is already recorded for the batch.
        """
        with self.transaction():
            for entry in entries:
                self.record_batch_entry(key, entry)

    @abc.abstractmethod
    def batch_entries(self, key: str) -> list[BatchEntry]:
        """The outcomes recorded for a batch, by index."""

    # -- learning records (uln.plr) --------------------------------------------------
    # (p13: events, organisations, users and nominations; every method is abstract)

    @abc.abstractmethod
    def add_event(self, event: LearningEvent) -> None:
        """Store a learning event under ``event.uln`` (as given: no master substitution).

        Raises:
            IntegrityError: an event with the same id is stored.
        """

    @abc.abstractmethod
    def add_events(self, events: Iterable[LearningEvent]) -> int:
        """Store many events in one unit of work; returns how many were stored.

        All or nothing: when one is refused none of them is kept.

        Raises:
            IntegrityError: an event's id is stored already, or repeated among ``events``.
        """

    @abc.abstractmethod
    def get_event(self, event_id: str) -> LearningEvent | None:
        """The event with this id, or None."""

    @abc.abstractmethod
    def events(self, uln: str) -> list[LearningEvent]:
        """The events stored under ``uln`` (only that ULN), by award date then id."""

    @abc.abstractmethod
    def events_for(self, ulns: Iterable[str]) -> list[LearningEvent]:
        """The events stored under any of ``ulns``, by award date then id.

        The Personal Learning Record of a master ULN ``m`` is
        ``events_for([m, *linked_to(m)])``.

        Raises:
            InvalidArgument: ``ulns`` is one string rather than a collection of ULNs.
        """

    @abc.abstractmethod
    def set_challenge(self, event_id: str, under_challenge: bool) -> LearningEvent:
        """Raise (True) or clear (False) a data challenge on an event; returns the event.

        Raises:
            NotFound: no event has this id.
        """

    @abc.abstractmethod
    def add_organisation(self, organisation: Organisation) -> None:
        """Store an organisation.

        Raises:
            IntegrityError: an organisation with this UKPRN is stored.
        """

    @abc.abstractmethod
    def get_organisation(self, ukprn: str) -> Organisation | None:
        """The organisation with this UKPRN, or None."""

    @abc.abstractmethod
    def organisations(self) -> list[Organisation]:
        """Every organisation, by UKPRN."""

    @abc.abstractmethod
    def add_user(self, user: User) -> None:
        """Store a user (usernames are unique across organisations).

        Raises:
            IntegrityError: a user with this id is stored.
            NotFound: the user's organisation is not stored.
        """

    @abc.abstractmethod
    def get_user(self, user_id: str) -> User | None:
        """The user with this id, or None."""

    @abc.abstractmethod
    def update_user(self, user: User) -> None:
        """Store a changed user (same id): role, active flag, secret hash.

        A user never moves to another organisation.

        Raises:
            NotFound: no user has this id.
            IntegrityError: ``user.organisation`` is not the stored user's organisation.
        """

    @abc.abstractmethod
    def users(self, organisation: str) -> list[User]:
        """The users of the organisation with this UKPRN (active or not), by id."""

    @abc.abstractmethod
    def add_nomination(self, nomination: Nomination) -> Nomination:
        """Store a nomination; returns it with its new id (ids increase from 1)."""

    @abc.abstractmethod
    def withdraw_nomination(self, nomination_id: int, at: _dt.datetime) -> Nomination:
        """Mark a nomination withdrawn at ``at``; returns the stored nomination.

        Raises:
            NotFound: no nomination has this id.
            IntegrityError: it was withdrawn already.
        """

    @abc.abstractmethod
    def nominations(self, uln: str, *, include_withdrawn: bool = False) -> list[Nomination]:
        """The nominations made for ``uln`` (standing ones only by default), by id."""

    # -- context manager ---------------------------------------------------------------

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
