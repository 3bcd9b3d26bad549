"""A register kept in memory: dicts and the matcher's blocking index.

:class:`MemoryRegister` implements every storage promise of
:class:`~uln.register.base.Register` for one process: learners and their versions in
dicts, the searchable ones in a :class:`uln.matching.CandidateIndex`, and a unit of
work as an undo log (an inner transaction is a savepoint: when it raises, only its
own changes are undone). Reserved ULNs are kept outside the log, so a rollback never
frees one. Nothing survives the process: use it for tests, notebooks and short jobs,
and an SQL register for anything that must last.

>>> import uln.register
>>> with uln.register.open("memory://") as register:
...     result = register.register_learner(
...         {"GivenName": "Siân", "FamilyName": "O'Brien", "DateOfBirth": "2007-04-12",
...          "Gender": "2", "LastKnownPostCode": "SA1 1AA"}, organisation="10012345")
...     result.code, register.store.count()
('WSRC0005', 1)
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from operator import itemgetter
from typing import Any

import attrs

from uln.errors import (
    ArgumentTypeError,
    ConcurrencyError,
    DuplicateLearner,
    IntegrityError,
    NotFound,
    RegisterError,
)
from uln.learner import Learner
from uln.matching import CandidateIndex, MatchRecord, TermFrequencies, match_record
from uln.plr.records import LearningEvent, Nomination, Organisation, User
from uln.register.base import (
    AuditEvent,
    BatchEntry,
    BatchRun,
    ExceptionItem,
    ExceptionStatus,
    Register,
)

__all__ = ["MemoryRegister"]

_Undo = Callable[[], object]
_first = itemgetter(0)


class _SortedSource:
    """The searchable learners as a candidate source, candidates sorted by ULN."""

    def __init__(self, index: CandidateIndex) -> None:
        self._index = index

    @property
    def frequencies(self) -> TermFrequencies:
        return self._index.frequencies

    def candidates(self, query: Any) -> list[tuple[Hashable, MatchRecord]]:
        found = self._index.candidates(match_record(query))
        found.sort(key=_first)  # ids are ULNs (text)
        return found


class MemoryRegister(Register):
    """A register in this process's memory (see the module docs).

    Safe to share between threads: a transaction holds the register's lock until it
    ends, so units of work run one after another. Reads take no lock: a thread reading
    while another is inside a transaction may see that transaction's changes before
    it commits (or rolls back); use one register per process for anything shared.

    >>> store = MemoryRegister()
    >>> store.reserve_uln("3344556680"), store.reserve_uln("3344556680")
    (True, False)
    >>> store
    MemoryRegister(learners=0)
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._closed = False
        self._reserved: set[str] = set()
        self._versions: dict[str, list[Learner]] = {}
        self._identity_of: dict[str, str | None] = {}
        self._by_identity: dict[str, str] = {}
        self._linked: dict[str, set[str]] = {}
        self._index = CandidateIndex()
        self._exceptions: dict[int, ExceptionItem] = {}
        self._next_exception = 1
        self._audit: list[AuditEvent] = []
        self._batches: dict[str, BatchRun] = {}
        self._entries: dict[str, dict[int, BatchEntry]] = {}
        self._log: list[_Undo] | None = None
        # learning records (p13)
        self._events: dict[str, LearningEvent] = {}
        self._events_of: dict[str, dict[str, LearningEvent]] = {}
        self._organisations: dict[str, Organisation] = {}
        self._users: dict[str, User] = {}
        self._nominations: dict[int, Nomination] = {}
        self._next_nomination = 1

    def __repr__(self) -> str:
        return f"MemoryRegister(learners={len(self._versions)})"

    # -- unit of work ------------------------------------------------------------------

    def transaction(self) -> AbstractContextManager[None]:
        """A unit of work; an inner one is a savepoint of the outer one."""
        return self._transaction()

    def in_transaction(self) -> bool:
        """Whether a :meth:`transaction` is open."""
        return self._log is not None

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._check_open()
        with self._lock:
            outer = self._log is not None
            if not outer:
                self._log = []
            log = self._log
            assert log is not None
            mark = len(log)
            try:
                yield
            except BaseException:
                while len(log) > mark:
                    log.pop()()
                if not outer:
                    self._log = None
                raise
            if not outer:
                self._log = None

    def _undo(self, action: _Undo) -> None:
        if self._log is not None:
            self._log.append(action)

    def _check_open(self) -> None:
        if self._closed:
            raise RegisterError("the register is closed")

    def close(self) -> None:
        """Mark the register closed; its contents are dropped."""
        self._closed = True

    # -- ULN allocation ----------------------------------------------------------------

    def reserve_uln(self, uln: str) -> bool:
        """Record ``uln`` as issued (never undone by a rollback)."""
        self._check_open()
        with self._lock:
            if uln in self._reserved:
                return False
            self._reserved.add(uln)
            return True

    def is_reserved(self, uln: str) -> bool:
        """Whether ``uln`` was ever reserved."""
        return uln in self._reserved

    # -- learners ----------------------------------------------------------------------

    def add(self, learner: Learner, *, keys: Sequence[str] | None, identity: str | None) -> None:
        """Store a new learner (see :meth:`Register.add`)."""
        self._check_open()
        uln = learner.uln
        if uln is None:
            raise RegisterError("a learner is stored with its ULN")
        with self._lock:
            if uln in self._versions:
                raise DuplicateLearner("a learner with this ULN is already stored")
            if identity is not None and identity in self._by_identity:
                raise DuplicateLearner("a learner with the same mandatory fields is stored")
            self._versions[uln] = [learner]
            self._reserved.add(uln)  # a stored ULN is never issued again, even if rolled back
            self._identity_of[uln] = identity
            if identity is not None:
                self._by_identity[identity] = uln
            self._file(uln, learner, keys)
            self._link_master(uln, learner.master_uln)
            self._undo(lambda: self._forget(uln))

    def _forget(self, uln: str) -> None:
        learner = self._versions.pop(uln)[-1]
        identity = self._identity_of.pop(uln)
        if identity is not None:
            self._by_identity.pop(identity, None)
        if uln in self._index:
            self._index.remove(uln)
        self._unlink_master(uln, learner.master_uln)

    def _file(self, uln: str, learner: Learner, keys: Sequence[str] | None) -> None:
        if uln in self._index:
            self._index.remove(uln)
        if keys is not None:
            self._index.add(uln, learner.demographics)

    def _link_master(self, uln: str, master: str | None) -> None:
        if master is not None:
            self._linked.setdefault(master, set()).add(uln)

    def _unlink_master(self, uln: str, master: str | None) -> None:
        if master is not None:
            linked = self._linked.get(master)
            if linked is not None:
                linked.discard(uln)
                if not linked:
                    del self._linked[master]

    def get(self, uln: str) -> Learner | None:
        """The current version of the learner with ``uln``, or None."""
        versions = self._versions.get(uln)
        return versions[-1] if versions else None

    def replace(
        self,
        learner: Learner,
        *,
        expected_version: int,
        keys: Sequence[str] | None,
        identity: str | None,
    ) -> None:
        """Store a new version (compare-and-set on the version number)."""
        self._check_open()
        uln = learner.uln
        if uln is None:
            raise RegisterError("a learner is stored with its ULN")
        with self._lock:
            versions = self._versions.get(uln)
            if not versions:
                raise NotFound("no learner has this ULN")
            old = versions[-1]
            if old.version != expected_version:
                raise ConcurrencyError("the learner changed since it was read")
            if identity is not None and self._by_identity.get(identity, uln) != uln:
                raise DuplicateLearner("a learner with the same mandatory fields is stored")
            old_identity = self._identity_of[uln]
            old_searchable = uln in self._index
            versions.append(learner)
            self._set_identity(uln, old_identity, identity)
            self._file(uln, learner, keys)
            self._unlink_master(uln, old.master_uln)
            self._link_master(uln, learner.master_uln)

            def undo() -> None:
                versions.pop()
                self._set_identity(uln, identity, old_identity)
                self._file(uln, old, () if old_searchable else None)
                self._unlink_master(uln, learner.master_uln)
                self._link_master(uln, old.master_uln)

            self._undo(undo)

    def _set_identity(self, uln: str, old: str | None, new: str | None) -> None:
        if old is not None and self._by_identity.get(old) == uln:
            del self._by_identity[old]
        if new is not None:
            self._by_identity[new] = uln
        self._identity_of[uln] = new

    def history(self, uln: str) -> list[Learner]:
        """Every version of the learner, oldest first."""
        return list(self._versions.get(uln, ()))

    def find_identity(self, identity: str) -> str | None:
        """The ULN of the learner with this identity, if any."""
        return self._by_identity.get(identity)

    def linked_to(self, master_uln: str) -> list[str]:
        """The ULNs linked to ``master_uln``, sorted."""
        return sorted(self._linked.get(master_uln, ()))

    def candidates(self) -> _SortedSource:
        """The searchable learners as a candidate source, sorted by ULN."""
        self._check_open()
        return _SortedSource(self._index)

    def __iter__(self) -> Iterator[Learner]:
        """Every learner (current versions), in ULN order."""
        for uln in sorted(self._versions):
            yield self._versions[uln][-1]

    def count(self) -> int:
        """How many learners are stored."""
        return len(self._versions)

    # -- exceptions --------------------------------------------------------------------

    def add_exception(self, item: ExceptionItem) -> int:
        """Store an exception; returns its id."""
        self._check_open()
        with self._lock:
            exception_id = self._next_exception
            self._next_exception += 1
            self._exceptions[exception_id] = attrs.evolve(item, id=exception_id)
            self._undo(lambda: self._exceptions.pop(exception_id))
            return exception_id

    def get_exception(self, exception_id: int) -> ExceptionItem | None:
        """The exception with this id, or None."""
        return self._exceptions.get(exception_id)

    def update_exception(self, item: ExceptionItem) -> None:
        """Store a changed exception."""
        self._check_open()
        with self._lock:
            old = self._exceptions.get(item.id)
            if old is None:
                raise NotFound("no exception has this id")
            self._exceptions[item.id] = item
            self._undo(lambda: self._exceptions.__setitem__(item.id, old))

    def exceptions(
        self, *, status: ExceptionStatus | None = ExceptionStatus.OPEN
    ) -> list[ExceptionItem]:
        """The exceptions with this status (all when None), oldest first."""
        return [
            item
            for _, item in sorted(self._exceptions.items())
            if status is None or item.status is status
        ]

    # -- audit -------------------------------------------------------------------------

    def record(self, event: AuditEvent) -> None:
        """Add an event to the audit history."""
        self._check_open()
        with self._lock:
            self._audit.append(event)
            self._undo(self._audit.pop)

    def audit(self, *, uln: str | None = None, organisation: str | None = None) -> list[AuditEvent]:
        """The events about ``uln`` and/or by ``organisation``, oldest first."""
        return [
            event
            for event in self._audit
            if (uln is None or event.uln == uln)
            and (organisation is None or event.organisation == organisation)
        ]

    # -- batch runs --------------------------------------------------------------------

    def start_batch(self, run: BatchRun) -> BatchRun:
        """Store a new batch run, or return the one stored under its key."""
        self._check_open()
        with self._lock:
            stored = self._batches.get(run.key)
            if stored is not None:
                return stored
            self._batches[run.key] = run
            self._entries[run.key] = {}

            def undo() -> None:
                del self._batches[run.key]
                del self._entries[run.key]

            self._undo(undo)
            return run

    def get_batch(self, key: str) -> BatchRun | None:
        """The batch run stored under ``key``, or None."""
        return self._batches.get(key)

    def finish_batch(self, key: str, finished: _dt.datetime) -> None:
        """Mark a batch run finished."""
        self._check_open()
        with self._lock:
            run = self._batches.get(key)
            if run is None:
                raise NotFound("no batch run has this key")
            self._batches[key] = attrs.evolve(run, finished=finished)
            self._undo(lambda: self._batches.__setitem__(key, run))

    def record_batch_entry(self, key: str, entry: BatchEntry) -> None:
        """Record the outcome of one learner of a batch (once per index)."""
        self._check_open()
        with self._lock:
            entries = self._entries.get(key)
            if entries is None:
                raise NotFound("no batch run has this key")
            if entry.index in entries:
                raise DuplicateLearner("this learner of the batch is already recorded")
            entries[entry.index] = entry
            self._undo(lambda: entries.pop(entry.index))

    def batch_entries(self, key: str) -> list[BatchEntry]:
        """The outcomes recorded for a batch, by index."""
        return [entry for _, entry in sorted(self._entries.get(key, {}).items())]

    # -- learning records (uln.plr) --------------------------------------------------

    def add_event(self, event: LearningEvent) -> None:
        """Store a learning event under ``event.uln``."""
        self.add_events((event,))

    def add_events(self, events: Iterable[LearningEvent]) -> int:
        """Store many events, all or none."""
        self._check_open()
        batch = list(events)
        with self._lock:
            ids = [event.id for event in batch]
            if len(set(ids)) != len(ids) or any(i in self._events for i in ids):
                raise IntegrityError("an event with this id is stored already")
            for event in batch:
                self._put_event(event)

            def undo() -> None:
                for event in batch:
                    self._drop_event(event)

            self._undo(undo)
            return len(batch)

    def _put_event(self, event: LearningEvent) -> None:
        self._events[event.id] = event
        self._events_of.setdefault(event.uln, {})[event.id] = event

    def _drop_event(self, event: LearningEvent) -> None:
        del self._events[event.id]
        of = self._events_of[event.uln]
        del of[event.id]
        if not of:
            del self._events_of[event.uln]

    def get_event(self, event_id: str) -> LearningEvent | None:
        """The event with this id, or None."""
        return self._events.get(event_id)

    def events(self, uln: str) -> list[LearningEvent]:
        """The events stored under ``uln``, by award date then id."""
        return self.events_for((uln,))

    def events_for(self, ulns: Iterable[str]) -> list[LearningEvent]:
        """The events stored under any of ``ulns``, by award date then id."""
        if isinstance(ulns, str):
            raise ArgumentTypeError("ulns", "an iterable of ULNs, not one ULN", ulns)
        found = [e for uln in set(ulns) for e in self._events_of.get(uln, {}).values()]
        return sorted(found, key=lambda e: (e.award_date, e.id))

    def set_challenge(self, event_id: str, under_challenge: bool) -> LearningEvent:
        """Raise or clear a data challenge on an event."""
        self._check_open()
        with self._lock:
            old = self._events.get(event_id)
            if old is None:
                raise NotFound("no event has this id")
            new = old.challenged(under_challenge)
            self._put_event(new)
            self._undo(lambda: self._put_event(old))
            return new

    def add_organisation(self, organisation: Organisation) -> None:
        """Store an organisation (UKPRNs are unique)."""
        self._check_open()
        with self._lock:
            if organisation.ukprn in self._organisations:
                raise IntegrityError("an organisation with this UKPRN is stored already")
            self._organisations[organisation.ukprn] = organisation
            self._undo(lambda: self._organisations.pop(organisation.ukprn))

    def get_organisation(self, ukprn: str) -> Organisation | None:
        """The organisation with this UKPRN, or None."""
        return self._organisations.get(ukprn)

    def organisations(self) -> list[Organisation]:
        """Every organisation, by UKPRN."""
        return [self._organisations[k] for k in sorted(self._organisations)]

    def add_user(self, user: User) -> None:
        """Store a user of a stored organisation (usernames are unique)."""
        self._check_open()
        with self._lock:
            if user.organisation not in self._organisations:
                raise NotFound("no organisation has this UKPRN")
            if user.id in self._users:
                raise IntegrityError("a user with this username is stored already")
            self._users[user.id] = user
            self._undo(lambda: self._users.pop(user.id))

    def get_user(self, user_id: str) -> User | None:
        """The user with this id, or None."""
        return self._users.get(user_id)

    def update_user(self, user: User) -> None:
        """Store a changed user (same id, same organisation)."""
        self._check_open()
        with self._lock:
            old = self._users.get(user.id)
            if old is None:
                raise NotFound("no user has this username")
            if old.organisation != user.organisation:
                raise IntegrityError("a user never moves to another organisation")
            self._users[user.id] = user
            self._undo(lambda: self._users.__setitem__(user.id, old))

    def users(self, organisation: str) -> list[User]:
        """The users of an organisation, by id."""
        return sorted(
            (u for u in self._users.values() if u.organisation == organisation),
            key=lambda u: u.id,
        )

    def add_nomination(self, nomination: Nomination) -> Nomination:
        """Store a nomination; returns it with its id."""
        self._check_open()
        with self._lock:
            nomination_id = self._next_nomination
            self._next_nomination += 1
            stored = attrs.evolve(nomination, id=nomination_id)
            self._nominations[nomination_id] = stored
            self._undo(lambda: self._nominations.pop(nomination_id))
            return stored

    def withdraw_nomination(self, nomination_id: int, at: _dt.datetime) -> Nomination:
        """Mark a nomination withdrawn."""
        self._check_open()
        with self._lock:
            old = self._nominations.get(nomination_id)
            if old is None:
                raise NotFound("no nomination has this id")
            if old.withdrawn is not None:
                raise IntegrityError("the nomination was withdrawn already")
            new = attrs.evolve(old, withdrawn=at)
            self._nominations[nomination_id] = new
            self._undo(lambda: self._nominations.__setitem__(nomination_id, old))
            return new

    def nominations(self, uln: str, *, include_withdrawn: bool = False) -> list[Nomination]:
        """The nominations for ``uln``, by id."""
        return [
            n
            for _, n in sorted(self._nominations.items())
            if n.uln == uln and (include_withdrawn or n.withdrawn is None)
        ]
