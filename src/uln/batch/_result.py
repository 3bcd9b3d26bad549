"""What processing a batch gives: a result per learner, the counters, the times."""

from __future__ import annotations

import datetime as _dt
from collections import Counter

import attrs

from uln.batch._model import Entry
from uln.batch.codes import COUNTERS, EXCEPTION_CODES, RETURN_CODES
from uln.batch.spec import output_file_name

__all__ = [
    "VERIFY_COUNTERS",
    "BatchResult",
    "LearnerResult",
    "Resolution",
    "VerifyLearnerResult",
    "VerifyResult",
]


@attrs.frozen
class LearnerResult:
    """What processing one learner of a registration batch gave.

    Attributes:
        index: the learner's position in the batch, from 0.
        line: the line its row starts on in the file.
        code: its return code, ``RC001`` .. ``RC013`` (:data:`uln.batch.codes.RETURN_CODES`).
        uln: the ULN returned: found, issued, verified or chosen by a person; ``None``
            when none is (an exception, a bad row).
        exception_id: the register exception a person must resolve, if one was opened.
        entry: the input row, echoed in the output file (hidden from ``repr()`` and
            left out of equality: it holds personal data).

    >>> LearnerResult(0, 4, "RC002", "3344556680")
    LearnerResult(index=0, line=4, code='RC002', uln='3344556680', exception_id=None)
    """

    index: int
    line: int
    code: str
    uln: str | None = None
    exception_id: int | None = None
    entry: Entry | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def is_exception(self) -> bool:
        """Whether a person must look at the learner (RC006 .. RC013)."""
        return self.code in EXCEPTION_CODES

    def output_entry(self) -> Entry:
        """The input row with its return code and ULN, as :func:`write_output` takes it.

        A row without a learner (a bad row) is echoed from the cells it was read with.
        """
        entry = self.entry if self.entry is not None else Entry(self.line, None)
        return attrs.evolve(
            entry,
            learner=entry.learner,
            checked=None,
            return_code=self.code,
            uln=self.uln if self.uln is not None else entry.uln,
        )


def _counters(codes: Counter[str]) -> dict[str, int]:
    counters = dict.fromkeys(COUNTERS, 0)
    for code, n in codes.items():
        counter = RETURN_CODES[code].counter
        if counter is not None:
            counters[counter] += n
    return counters


@attrs.frozen
class BatchResult:
    """The outcome of a registration batch processed against a register.

    A result is rebuilt from what the register stored (:class:`~uln.register.BatchRun`
    and one :class:`~uln.register.BatchEntry` per learner) and from the exceptions a
    person resolved since: processing the same file again gives the same result, with
    the resolutions applied. Write it as the LRS output file with
    :func:`uln.batch.write_output` (``write_output(result, folder)``).

    Attributes:
        key: the batch's identity in the register: a digest of its UKPRN, file name
            and content.
        ukprn: the organisation the batch came from.
        file_name: the request file's name (``LRB_<UKPRN>_<DDMMYYYYHHMM>.CSV``).
        version: the request's version (``2A`` or ``3A``).
        format: ``"CSV"`` or ``"XML"``, the request's format (the output's default).
        started: when processing first started (stored, so a rerun writes the same
            file).
        finished: when processing finished; ``None`` while it is under way.
        learners: one :class:`LearnerResult` per learner, in file order (left out of
            ``repr()``).

    ``repr()`` shows no personal data: the counters, never a learner.
    """

    key: str
    ukprn: str
    file_name: str
    version: str
    format: str
    started: _dt.datetime
    finished: _dt.datetime | None
    learners: tuple[LearnerResult, ...] = attrs.field(repr=False)

    @property
    def total(self) -> int:
        """How many learners the batch holds."""
        return len(self.learners)

    @property
    def job_status(self) -> str:
        """``Completed`` when every learner was processed, else ``Partial``."""
        return "Completed" if self.finished is not None else "Partial"

    @property
    def return_codes(self) -> Counter[str]:
        """How many learners got each return code."""
        return Counter(r.code for r in self.learners)

    @property
    def counters(self) -> dict[str, int]:
        """The output file's counters (NewLearners, ExistsUpdatedLearners ...), in order.

        >>> BatchResult("k", "10000001", "LRB_10000001_020920240930.CSV", "2A", "CSV",
        ...     _dt.datetime(2024, 9, 2), None,
        ...     (LearnerResult(0, 4, "RC002", "3344556680"), LearnerResult(1, 5, "RC007"))
        ... ).counters
        {'NewLearners': 1, 'ExistsUpdatedLearners': 0, 'PossibleMatchLearners': 1, \
'LearnersNotFound': 0, 'RejectedLearners': 0}
        """
        return _counters(self.return_codes)

    @property
    def exceptions(self) -> tuple[LearnerResult, ...]:
        """The learners a person must look at (RC006 .. RC013)."""
        return tuple(r for r in self.learners if r.is_exception)

    @property
    def output_name(self) -> str:
        """The output file's name: the request's, with ``_OUTPUT``."""
        return output_file_name(self.file_name)

    def output_entries(self) -> list[Entry]:
        """Every input row with its return code and ULN, for :func:`write_output`."""
        return [r.output_entry() for r in self.learners]

    def __repr__(self) -> str:
        counters = ", ".join(f"{k}={v}" for k, v in self.counters.items())
        return (
            f"BatchResult(key={self.key[:12]!r}, ukprn={self.ukprn!r}, "
            f"file_name={self.file_name!r}, total={self.total}, status={self.job_status!r}, "
            f"{counters})"
        )


VERIFY_COUNTERS: tuple[str, ...] = (
    "Matches",
    "SimilarMatches",
    "NoMatches",
    "LearnersNotFound",
    "RejectedLearners",
)
"""[ours] The counters of a verify output file: WSVRC001/002, WSVRC003/004, WSVRC005,
WSVRC006, and rows that could not be checked (a bad row, an invalid ULN)."""

_VERIFY_COUNTER: dict[str, str] = {
    "WSVRC001": "Matches",
    "WSVRC002": "Matches",
    "WSVRC003": "SimilarMatches",
    "WSVRC004": "SimilarMatches",
    "WSVRC005": "NoMatches",
    "WSVRC006": "LearnersNotFound",
}


def verify_counter(code: str) -> str:
    """The verify output counter a code adds to (any other code: RejectedLearners)."""
    return _VERIFY_COUNTER.get(code, "RejectedLearners")


@attrs.frozen
class VerifyLearnerResult:
    """What checking one learner of a verify batch gave.

    Attributes:
        index: the learner's position in the batch, from 0.
        line: the line its row starts on.
        code: ``WSVRC001`` .. ``WSVRC006``; ``WSEC0136`` for an invalid ULN; the
            row's format code (``RC006``, ``RC011``) when it could not be checked.
        uln: the ULN the register holds for the learner (the master's for a linked
            ULN), when found.
        failure_flags: ``VRF1`` .. ``VRF8``: what differed.
        entry: the input row (hidden from ``repr()``, left out of equality).

    >>> VerifyLearnerResult(0, 4, "WSVRC003", "3344556680", ("VRF7",))
    VerifyLearnerResult(index=0, line=4, code='WSVRC003', uln='3344556680', \
failure_flags=('VRF7',))
    """

    index: int
    line: int
    code: str
    uln: str | None = None
    failure_flags: tuple[str, ...] = ()
    entry: Entry | None = attrs.field(default=None, repr=False, eq=False)


@attrs.frozen
class VerifyResult:
    """The outcome of a verify batch: a WSVRC code and VRF flags per learner.

    Write it with :func:`uln.batch.write_verify_output`; read that file back with
    :func:`uln.batch.read_verify_output`. ``repr()`` shows counts only.
    """

    ukprn: str
    file_name: str
    format: str
    started: _dt.datetime
    finished: _dt.datetime
    learners: tuple[VerifyLearnerResult, ...] = attrs.field(repr=False)

    @property
    def total(self) -> int:
        """How many learners the batch holds."""
        return len(self.learners)

    @property
    def codes(self) -> Counter[str]:
        """How many learners got each code."""
        return Counter(r.code for r in self.learners)

    @property
    def counters(self) -> dict[str, int]:
        """The verify output file's counters (:data:`VERIFY_COUNTERS`), in order."""
        counters = dict.fromkeys(VERIFY_COUNTERS, 0)
        for r in self.learners:
            counters[verify_counter(r.code)] += 1
        return counters

    @property
    def output_name(self) -> str:
        """The output file's name: the request's, with ``_OUTPUT``."""
        return output_file_name(self.file_name)

    def __repr__(self) -> str:
        counters = ", ".join(f"{k}={v}" for k, v in self.counters.items())
        return (
            f"VerifyResult(ukprn={self.ukprn!r}, file_name={self.file_name!r}, "
            f"total={self.total}, {counters})"
        )


@attrs.frozen
class Resolution:
    """What resolving an exception of a batch gave.

    Attributes:
        exception_id: the exception resolved.
        code: the return code the learner now has in the batch output: ``RC001``
            (an existing learner chosen or found), ``RC002`` (a new ULN issued),
            ``RC003``/``RC004``/``RC005`` (a corrected learner run again), or an
            exception code when the corrected learner still needs a person.
        uln: the learner's ULN, when it has one now.
        status: the exception's status afterwards (an ``ExceptionStatus`` value:
            ``resolved_existing``, ``resolved_new``, ``withdrawn`` or ``open``).
        new_exception_id: the exception the corrected learner opened instead, if any.
    """

    exception_id: int
    code: str
    uln: str | None
    status: str
    new_exception_id: int | None = None
