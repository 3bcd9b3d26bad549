"""Learning records in an SQL register: the schema migration, long ULN lists, and two
writers at once (what only an SQL backend can get wrong; the contract covers the rest)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")

import sqlalchemy as sa

from uln import Demographics, Learner, checkdigit
from uln.errors import IntegrityError
from uln.plr import Organisation, User
from uln.register import _sql_tables as tables
from uln.register.sql import MIGRATIONS, SqlRegister
from uln.testing._contract_plr import make_event

_PLR_TABLES = {"uln_plr_events", "uln_organisations", "uln_users", "uln_nominations"}


def _migrate(url: str, action: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            getattr(command, action)(config, revision)
            connection.commit()
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_a_register_made_by_the_first_schema_is_upgraded_keeping_its_learners(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    _migrate(url, "upgrade", "0001")
    assert not _PLR_TABLES & _tables(url)
    with SqlRegister(url, upgrade=False) as old:
        old.add(
            Learner(uln="3344556680", demographics=Demographics(given_name="Huw")),
            keys=None,
            identity=None,
        )
    with SqlRegister(url) as register:  # opening upgrades to the newest schema
        assert _tables(url) >= _PLR_TABLES
        assert register.get("3344556680") is not None
        event = make_event("3344556680", event_id="EV1")
        register.add_event(event)
        assert register.events("3344556680") == [event]


def test_the_learning_records_migration_goes_down_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'register.sqlite3'}"
    SqlRegister(url).close()
    assert _tables(url) >= _PLR_TABLES
    _migrate(url, "downgrade", "0001")
    remaining = _tables(url)
    assert not _PLR_TABLES & remaining
    assert "uln_learners" in remaining
    with SqlRegister(url) as register:
        register.add_organisation(Organisation.create(ukprn="10012345", name="C", kind="lrb"))
        assert [o.ukprn for o in register.organisations()] == ["10012345"]


def test_events_for_many_ulns_are_read_in_chunks(sql_register: SqlRegister) -> None:
    import random

    rng = random.Random(13)
    ulns = sorted({checkdigit.generate(rng) for _ in range(1_300)})
    events = [make_event(uln, event_id=f"EV{i}") for i, uln in enumerate(ulns)]
    assert sql_register.add_events(events) == len(events)
    found = sql_register.events_for(ulns)
    assert len(found) == len(events)
    assert {e.id for e in found} == {e.id for e in events}
    assert sql_register.events_for([*ulns[::2], "1000000043"]) == sorted(
        events[::2], key=lambda e: (e.award_date, e.id)
    )


def test_the_users_table_refers_to_its_organisation(sql_register: SqlRegister) -> None:
    (fk,) = tables.users.foreign_keys
    assert fk.column is tables.organisations.c.ukprn
    sql_register.add_organisation(Organisation.create(ukprn="10012345", name="C", kind="lrb"))
    sql_register.add_user(User.create(id="jo", organisation="10012345"))
    with sql_register.engine.connect() as connection:
        row = connection.execute(sa.select(tables.users)).one()
    assert (row.id, row.organisation, row.role, bool(row.active)) == (
        "jo",
        "10012345",
        "user",
        True,
    )


@pytest.fixture(params=["postgres_url", "mysql_url"])
def server_url(request: pytest.FixtureRequest) -> str:
    """A server database (SQLite has one writer at a time: nothing races there)."""
    url: str = request.getfixturevalue(request.param)
    return url


def test_two_writers_of_one_event_id_store_it_once(server_url: str) -> None:
    sql_url = server_url
    registers = [SqlRegister(sql_url) for _ in range(2)]
    barrier = threading.Barrier(2, timeout=60)  # a writer that fails first frees the other
    outcomes: list[Any] = []

    def write(register: SqlRegister, subject: str) -> None:
        barrier.wait()
        try:
            register.add_events([make_event(event_id="SAME", subject=subject)])
            outcomes.append("stored")
        except IntegrityError as error:
            outcomes.append(error)

    threads = [
        threading.Thread(target=write, args=(registers[i], f"Subject {i}"), daemon=True)
        for i in range(2)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(outcomes) == 2
        assert outcomes.count("stored") == 1
        assert any(isinstance(outcome, IntegrityError) for outcome in outcomes)
        assert [e.id for e in registers[0].events("3344556680")] == ["SAME"]
    finally:
        for register in registers:
            register.close()
