"""The SQL register under several processes at once and under a process killed mid-write."""

from __future__ import annotations

import datetime as _dt
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")

import uln.register
from uln import Demographics, Learner, is_valid
from uln.matching import match_record, record_keys
from uln.register.sql import SqlRegister

PROCESSES = 8
EACH = 25


_GIVEN = ["Alys", "Bryn", "Carys", "Dewi", "Elin", "Ffion", "Gethin", "Hywel", "Iolo", "Jac",
          "Kian", "Lowri", "Macsen", "Nerys", "Osian", "Pedr", "Rhodri", "Siwan", "Tomos",
          "Urien", "Wyn", "Yestin", "Zara", "Idris", "Olwen"]  # fmt: skip
_FAMILY = ["Jones", "Vaughan", "Kemeys", "Cadwaladr", "Mostyn", "Tudor", "Bevan", "Llewellyn"]
_AREAS = ["SA", "CF", "LL", "SY", "NP", "LD", "CH", "HR"]


def _person(worker: int, i: int) -> Demographics:
    """A learner like no other learner of any worker (no possible match among them)."""
    return Demographics.from_raw(
        {
            "GivenName": _GIVEN[i],
            "FamilyName": _FAMILY[worker],
            "Gender": "12"[i % 2],
            "DateOfBirth": _dt.date(1999 + worker, 1 + i % 12, 1 + i).isoformat(),
            "LastKnownPostCode": f"{_AREAS[worker]}{i + 1} {i % 10}AB",
        }
    )


def _register_many(url: str, worker: int, start: Any, out: Any) -> None:
    register = uln.register.open(url)
    start.wait()
    results = [
        register.register_learner(_person(worker, i), organisation="10012345") for i in range(EACH)
    ]
    register.close()
    out.put([(result.code, result.uln) for result in results])


def _register_same(url: str, worker: int, start: Any, out: Any) -> None:
    register = uln.register.open(url)
    demographics = Demographics.from_raw(
        {
            "GivenName": "Dafydd",
            "FamilyName": "O'Brien",
            "Gender": "1",
            "DateOfBirth": "2007-05-06",
            "LastKnownPostCode": "LL57 2DG",
        }
    )
    start.wait()
    result = register.register_learner(demographics, organisation="10012345")
    register.close()
    out.put((result.code, result.uln))


def _run(target: Any, url: str, processes: int) -> list[Any]:
    """Each worker's answer; a worker that fails or hangs fails the test, never hangs it.

    The workers are daemons and killed on the way out, and they wait at the barrier for a
    limited time: a worker that died before reaching it once left the other waiting, and
    the test run hung at exit joining it.
    """
    context = multiprocessing.get_context("fork")
    start = context.Barrier(processes, timeout=60)
    out = context.Queue()
    workers = [
        context.Process(target=target, args=(url, n, start, out), daemon=True)
        for n in range(processes)
    ]
    try:
        for worker in workers:
            worker.start()
        results = [out.get(timeout=120) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
            assert worker.exitcode == 0
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
                worker.join(timeout=10)
    return results


def test_eight_processes_issue_distinct_valid_ulns_and_lose_nothing(postgres_url: str) -> None:
    results = _run(_register_many, postgres_url, PROCESSES)
    assert {code for batch in results for code, _ in batch} == {"WSRC0005"}
    issued = [uln for batch in results for _, uln in batch]
    assert len(issued) == PROCESSES * EACH
    assert len(set(issued)) == len(issued)
    assert all(is_valid(uln) for uln in issued)
    with SqlRegister(postgres_url) as register:
        assert register.count() == len(issued)
        assert sorted(learner.uln for learner in register) == sorted(issued)
        assert register.candidates().frequencies.total == len(issued)
        assert register.candidates().frequencies.family["JONES"] == EACH
        assert all(register.is_reserved(uln) for uln in issued)


def test_two_processes_registering_one_person_make_one_learner(sql_url: str) -> None:
    results = _run(_register_same, sql_url, 2)
    codes = sorted(code for code, _ in results)
    assert codes == ["WSRC0005", "WSRC0021"]  # issued; refused: the same fields exist
    ulns = {uln for _, uln in results}
    assert len(ulns) == 1  # the one refused is told the ULN issued
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


def _open(url: str, worker: int, start: Any, out: Any) -> None:
    start.wait()
    try:
        with SqlRegister(url) as register:
            out.put(register.count())
    except Exception as error:  # reported to the test, which fails on it
        out.put(repr(error))


def test_processes_opening_a_new_database_at_once_make_one_schema(sql_url: str) -> None:
    import sqlalchemy as sa

    from uln.register import _sql_tables as tables

    engine = sa.create_engine(sql_url)
    with engine.begin() as connection:  # back to an empty database
        for table in reversed(tables.metadata.sorted_tables):
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}"))
        connection.execute(sa.text("DROP TABLE IF EXISTS uln_schema_version"))
    engine.dispose()
    assert _run(_open, sql_url, 4) == [0, 0, 0, 0]
    with SqlRegister(sql_url) as register:
        add = Learner(uln="3344556680", demographics=Demographics(given_name="Huw"))
        register.add(add, keys=None, identity=None)
        assert register.count() == 1
        names = set(sa.inspect(register.engine).get_table_names())
    assert {table.name for table in tables.metadata.sorted_tables} <= names
