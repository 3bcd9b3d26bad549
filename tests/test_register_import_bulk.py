"""Bulk import: ``LearnerRegister.load_many`` and ``uln register import``.

``load_many`` must give, record for record, what :meth:`LearnerRegister.load` gives one
by one (results, errors, the stored learners and their audit history), while writing
learners with a ULN in batches: an import of a thousand learners is a handful of
statements, not several per learner.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")

import sqlalchemy as sa
from click.testing import CliRunner

import uln.register
from uln import checkdigit
from uln._cli.app import cli
from uln.errors import UlnError
from uln.register import LearnerRegister, Result
from uln.register.allocate import UlnAllocator

ORG = "10012345"
WHEN = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
GIVEN = ["Huw", "Nia", "Rhys", "Ffion", "Owen", "Cerys", "Siân", "O'Brien", "Dan' OR 'x' --"]
FAMILY = ["Jones", "Evans", "Pugh", "Rees", "Okafor", "Williams", "Price", "Morgan"]


def row(rng: random.Random, *, uln: str | None) -> dict[str, str]:
    return {
        "ULN": uln or "",
        "GivenName": rng.choice(GIVEN),
        "FamilyName": rng.choice(FAMILY) + rng.choice(["", "a", "e", "son"]),
        "DateOfBirth": (dt.date(1995, 1, 1) + dt.timedelta(days=rng.randrange(4000))).isoformat(),
        "Gender": rng.choice(["1", "2"]),
        "LastKnownPostCode": f"LL{rng.randrange(10, 60)} {rng.randrange(10)}DG",
    }


def mixed_rows(n: int, seed: int) -> list[dict[str, str]]:
    """Mostly learners with a ULN; among them the troubles an MIS export has."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    for _ in range(n):
        rows.append(row(rng, uln=checkdigit.generate(rng)))
        roll = rng.random()
        if roll < 0.04 and rows:  # the same ULN again (another learner)
            rows.append({**row(rng, uln=None), "ULN": rng.choice(rows)["ULN"]})
        elif roll < 0.08:  # the same learner again under another ULN
            rows.append({**rng.choice(rows), "ULN": checkdigit.generate(rng)})
        elif roll < 0.11:  # no ULN: searched for and registered
            rows.append(row(rng, uln=None))
        elif roll < 0.13:  # a mandatory field missing
            rows.append({**row(rng, uln=checkdigit.generate(rng)), "Gender": ""})
        elif roll < 0.15:  # a badly formed field
            rows.append({**row(rng, uln=checkdigit.generate(rng)), "DateOfBirth": "31/02/2001"})
    return rows


def service(url: str) -> LearnerRegister:
    return uln.register.open(url, clock=lambda: WHEN, allocator=UlnAllocator(random.Random(3)))


def summary(outcome: Result | UlnError) -> tuple[Any, ...]:
    if isinstance(outcome, UlnError):
        return (type(outcome).__name__, str(outcome))
    return (outcome.code, outcome.uln, tuple(x.to_dict() for x in outcome.learners))


def one_by_one(register: LearnerRegister, rows: list[dict[str, str]]) -> list[tuple[Any, ...]]:
    out = []
    for record in rows:
        try:
            out.append(summary(register.load(record, organisation=ORG)))
        except UlnError as error:
            out.append(summary(error))
    return out


def state(register: LearnerRegister) -> tuple[Any, ...]:
    learners = sorted((x.to_dict() for x in register), key=lambda d: str(d["uln"]))
    events = sorted(
        (e.action, e.uln, e.version, e.fields, e.organisation) for e in register.audit()
    )
    return learners, events


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "memory":
        yield "memory://"
    else:
        yield f"sqlite:///{tmp_path / 'bulk.sqlite3'}"


@pytest.mark.parametrize("seed", [1, 2])
def test_load_many_is_load_one_by_one(url: str, tmp_path: Path, seed: int) -> None:
    rows = mixed_rows(300, seed)
    other = "memory://" if url == "memory://" else f"sqlite:///{tmp_path / 'one.sqlite3'}"
    with service(other) as single:
        expected = one_by_one(single, rows)
        expected_state = state(single)
    with service(url) as bulk:
        got = [summary(x) for x in bulk.load_many(rows, organisation=ORG, batch_size=64)]
        assert got == expected
        assert state(bulk) == expected_state
    codes = {x[0] for x in expected}
    # the data really has every kind of trouble in it
    assert {"WSRC0005", "WSRC0021", "WSRC0015", "DuplicateLearner", "InvalidRecord"} <= codes


def test_a_clash_with_a_stored_learner_rejects_that_row_only(url: str) -> None:
    rng = random.Random(5)
    rows = [row(rng, uln=checkdigit.generate(rng)) for _ in range(50)]
    with service(url) as register:
        register.load(rows[20], organisation=ORG)
        outcomes = list(register.load_many(rows, organisation=ORG))
        assert [type(x).__name__ for x in outcomes].count("DuplicateLearner") == 1
        assert isinstance(outcomes[20], UlnError)
        assert all(
            isinstance(x, Result) and x.code == "WSRC0005"
            for i, x in enumerate(outcomes)
            if i != 20
        )
        assert register.count() == 50
        # every imported ULN is reserved: never issued to anyone else
        assert all(register.store.is_reserved(r["ULN"]) for r in rows)


def test_a_bulk_import_writes_in_batches(tmp_path: Path) -> None:
    rng = random.Random(9)
    rows = [row(rng, uln=checkdigit.generate(rng)) for _ in range(1000)]
    url = f"sqlite:///{tmp_path / 'count.sqlite3'}"
    statements = 0
    with service(url) as register:
        engine = register.store.engine  # type: ignore[attr-defined]

        @sa.event.listens_for(engine, "before_cursor_execute")
        def count(*_: object) -> None:
            nonlocal statements
            statements += 1

        outcomes = list(register.load_many(rows, organisation=ORG, batch_size=500))
        assert all(isinstance(x, Result) and x.code == "WSRC0005" for x in outcomes)
        assert register.count() == 1000
    # row by row this is several statements per learner (thousands); in batches, a few
    # per batch
    assert statements < 60, statements


def test_import_reports_bad_rows_by_line_and_field_and_loads_the_rest(tmp_path: Path) -> None:
    rng = random.Random(11)
    rows = [row(rng, uln=checkdigit.generate(rng)) for _ in range(2500)]
    rows[9]["DateOfBirth"] = "2001-02-31"  # line 11
    rows[2300]["ULN"] = rows[5]["ULN"]  # line 2302: a ULN already used above
    rows[2400]["ULN"] = "1234567890"  # line 2402: a bad check digit
    path = tmp_path / "learners.csv"
    heading = list(rows[0])
    path.write_text(
        ",".join(heading) + "\n" + "".join(",".join(r[h] for h in heading) + "\n" for r in rows),
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    result = CliRunner().invoke(cli, ["register", "import", str(path), "--register", url])
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert errors[0].startswith("line 11: DateOfBirth: ")
    assert errors[1].startswith("line 2302: ULN: ")
    assert errors[2].startswith("line 2402: ULN")
    assert len(errors) == 3
    assert "2497  registered (WSRC0005)" in result.stdout
    assert "       3  rows rejected (see above)" in result.stdout
    assert "2497  learners in the register" in result.stdout
    for value in (rows[9]["GivenName"], rows[2300]["FamilyName"]):
        assert value not in result.output
