"""The SQL register under several processes at once and under a process killed mid-write."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import textwrap
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")

from uln import Demographics, Learner, is_valid
from uln.checkdigit import generate
from uln.errors import DuplicateLearner
from uln.matching import match_record, record_keys
from uln.register.sql import SqlRegister

PROCESSES = 8
EACH = 25


def _issue(register: SqlRegister, rng: random.Random) -> str:
    """Allocate a new ULN as the service does: random, reserved for good, retried."""
    while True:
        uln = generate(rng)
        if register.reserve_uln(uln):
            return uln


def _register_many(url: str, worker: int, start: Any, out: Any) -> None:
    rng = random.Random(worker)  # the same seed in two workers would collide: retried
    register = SqlRegister(url)
    start.wait()
    issued = []
    for i in range(EACH):
        demographics = Demographics(given_name=f"Given{worker}x{i}", family_name="Jones")
        with register.transaction():
            uln = _issue(register, rng)
            register.add(
                Learner(uln=uln, demographics=demographics),
                keys=record_keys(match_record(demographics)),
                identity=f"{worker}-{i}",
            )
        issued.append(uln)
    register.close()
    out.put(issued)


def _register_same(url: str, worker: int, start: Any, out: Any) -> None:
    register = SqlRegister(url)
    demographics = Demographics(given_name="Dafydd", family_name="O'Brien")
    start.wait()
    try:
        with register.transaction():
            uln = _issue(register, random.Random(worker))
            register.add(
                Learner(uln=uln, demographics=demographics),
                keys=record_keys(match_record(demographics)),
                identity="the same person",
            )
        out.put(("issued", uln))
    except DuplicateLearner:
        out.put(("duplicate", register.find_identity("the same person")))
    finally:
        register.close()


def _run(target: Any, url: str, processes: int) -> list[Any]:
    context = multiprocessing.get_context("fork")
    start = context.Barrier(processes)
    out = context.Queue()
    workers = [context.Process(target=target, args=(url, n, start, out)) for n in range(processes)]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    return results


def test_eight_processes_issue_distinct_valid_ulns_and_lose_nothing(postgres_url: str) -> None:
    results = _run(_register_many, postgres_url, PROCESSES)
    issued = [uln for batch in results for uln in batch]
    assert len(issued) == PROCESSES * EACH
    assert len(set(issued)) == len(issued)
    assert all(is_valid(uln) for uln in issued)
    with SqlRegister(postgres_url) as register:
        assert register.count() == len(issued)
        assert sorted(learner.uln for learner in register) == sorted(issued)
        assert register.candidates().frequencies.total == len(issued)
        assert register.candidates().frequencies.family["JONES"] == len(issued)


def test_two_processes_registering_one_person_make_one_learner(sql_url: str) -> None:
    results = _run(_register_same, sql_url, 2)
    kinds = sorted(kind for kind, _ in results)
    assert kinds == ["duplicate", "issued"]
    ulns = {uln for _, uln in results}
    assert len(ulns) == 1  # the loser is told the winner's ULN
    with SqlRegister(sql_url) as register:
        assert register.count() == 1
        assert [learner.uln for learner in register] == list(ulns)


_KILLED = textwrap.dedent(
    """
    import sys, time
    from uln import Demographics, Learner
    from uln.matching import match_record, record_keys
    from uln.register import AuditEvent
    from uln.register.sql import SqlRegister
    import datetime as dt

    register = SqlRegister(sys.argv[1])
    demographics = Demographics(given_name="Ffion", family_name="Evans")
    with register.transaction():
        register.reserve_uln("1000000004")
        register.add(Learner(uln="1000000004", demographics=demographics),
                     keys=record_keys(match_record(demographics)), identity="ffion")
        old = register.get("3344556680")
        register.replace(Learner(uln="3344556680", demographics=demographics, version=2),
                         expected_version=1, keys=None, identity=None)
        register.record(AuditEvent(at=dt.datetime.now(dt.UTC), organisation="1",
                                   action="register", uln="1000000004"))
        print("ready", flush=True)
        time.sleep(120)
    """
)


@pytest.mark.parametrize("backend", ["sqlite", "postgres", "mysql"])
def test_a_process_killed_mid_transaction_changes_nothing(
    backend: str, request: pytest.FixtureRequest
) -> None:
    url: str = request.getfixturevalue(f"{backend}_url")
    huw = Demographics(given_name="Huw", family_name="Pugh")
    with SqlRegister(url) as register:
        register.add(
            Learner(uln="3344556680", demographics=huw),
            keys=record_keys(match_record(huw)),
            identity="huw",
        )
    with subprocess.Popen(
        [sys.executable, "-c", _KILLED, url], stdout=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    with SqlRegister(url) as register:
        assert [learner.uln for learner in register] == ["3344556680"]
        assert register.history("3344556680") == [Learner(uln="3344556680", demographics=huw)]
        assert register.audit() == []
        assert register.find_identity("ffion") is None
        assert register.candidates().frequencies.total == 1
        assert register.is_reserved("1000000004")  # a reserved ULN is never issued again
        # the register is not left locked
        register.add(Learner(uln="1000000012", demographics=huw), keys=None, identity=None)
        assert register.count() == 2
