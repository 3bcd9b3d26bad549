"""The SQL register: the storage promises of uln.register.base on SQLite, PostgreSQL and
MariaDB, its schema migrations, and what only an SQL backend can get wrong."""

from __future__ import annotations

import datetime as _dt
import random
import subprocess
import sys
import textwrap
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")

import sqlalchemy as sa

from uln import Demographics, Gender, Learner
from uln.checkdigit import generate
from uln.demographics.postcodes import Postcode
from uln.errors import ConcurrencyError, DuplicateLearner, NotFound, RegisterError
from uln.matching import CandidateIndex, Matcher, match_record, record_keys
from uln.register import (
    AuditEvent,
    BatchEntry,
    BatchRun,
    ExceptionItem,
    ExceptionKind,
    ExceptionStatus,
)
from uln.register import _sql_tables as tables
from uln.register.sql import SqlRegister, upgrade_schema
from uln.testing.perturb import NotApplicable, random_perturbation

NOW = _dt.datetime(2024, 9, 2, 9, 30, tzinfo=_dt.UTC)

GIVEN = [
    "Huw",
    "Siân",
    "Dafydd",
    "Megan",
    "Rhys",
    "Ffion",
    "Owen",
    "Cerys",
    "Gareth",
    "Nia",
    "James",
    "Olivia",
    "Mohammed",
    "Amelia",
    "Jack",
    "Isla",
    "Harry",
    "Ava",
    "Noah",
    "Emily",
]
FAMILY = [
    "Jones",
    "Williams",
    "Davies",
    "Evans",
    "Thomas",
    "Roberts",
    "Hughes",
    "Lewis",
    "Morgan",
    "Griffiths",
    "Smith",
    "Brown",
    "Taylor",
    "Wilson",
    "Pryce",
    "O'Brien",
]
POSTCODES = ["SA1 1AA", "CF10 1AA", "LL57 2DG", "SY23 3BZ", "NP20 1XX", "SW1A 1AA", "M1 1AE"]


def person(rng: random.Random) -> Demographics:
    """A plausible learner's mandatory details."""
    return Demographics(
        given_name=rng.choice(GIVEN),
        family_name=rng.choice(FAMILY),
        date_of_birth=_dt.date(2000, 1, 1) + _dt.timedelta(days=rng.randrange(2500)),
        gender=rng.choice([Gender.MALE, Gender.FEMALE]),
        postcode=Postcode.parse(rng.choice(POSTCODES)),
    )


def learner(uln: str, demographics: Demographics, version: int = 1, **kw: Any) -> Learner:
    return Learner(
        uln=uln, demographics=demographics, version=version, created=NOW, updated=NOW, **kw
    )


def keys_of(demographics: Demographics) -> list[str]:
    return record_keys(match_record(demographics))


def add(register: SqlRegister, uln: str, demographics: Demographics, **kw: Any) -> Learner:
    stored = learner(uln, demographics, **kw)
    register.add(stored, keys=keys_of(demographics), identity=None)
    return stored


HUW = Demographics(
    given_name="Huw",
    family_name="Pugh",
    date_of_birth=_dt.date(2005, 6, 7),
    gender=Gender.MALE,
    postcode=Postcode.parse("LL57 2DG"),
)


# -- unit of work --------------------------------------------------------------------------


def test_a_transaction_that_completes_is_kept(sql_register: SqlRegister) -> None:
    with sql_register.transaction():
        add(sql_register, "3344556680", HUW)
    assert sql_register.get("3344556680") == learner("3344556680", HUW)
    assert sql_register.count() == 1


class Abort(Exception):
    pass


def failing(register: SqlRegister, *steps: Any) -> None:
    """Run ``steps`` in a transaction, then raise Abort inside it."""
    with register.transaction():
        for step in steps:
            step()
        raise Abort


def test_a_transaction_that_raises_is_undone(sql_register: SqlRegister) -> None:
    def reads_own_writes() -> None:
        assert sql_register.get("3344556680") is not None

    with pytest.raises(Abort):
        failing(
            sql_register,
            lambda: add(sql_register, "3344556680", HUW),
            lambda: sql_register.record(
                AuditEvent(at=NOW, organisation="10012345", action="register")
            ),
            reads_own_writes,
        )
    assert sql_register.get("3344556680") is None
    assert sql_register.count() == 0
    assert sql_register.audit() == []
    assert sql_register.candidates().frequencies.total == 0


def test_an_inner_transaction_that_raises_undoes_only_itself(sql_register: SqlRegister) -> None:
    other = Demographics(given_name="Nia", family_name="Evans")
    with sql_register.transaction():
        add(sql_register, "3344556680", HUW)
        with pytest.raises(Abort):
            failing(sql_register, lambda: add(sql_register, "1000000004", other))
        with sql_register.transaction():
            add(sql_register, "1000000012", other)
    assert [x.uln for x in sql_register] == ["1000000012", "3344556680"]
    assert sql_register.candidates().frequencies.total == 2


def test_an_outer_transaction_that_raises_undoes_inner_ones(sql_register: SqlRegister) -> None:
    def inner() -> None:
        with sql_register.transaction():
            add(sql_register, "3344556680", HUW)

    with pytest.raises(Abort):
        failing(sql_register, inner)
    assert sql_register.count() == 0


# -- ULN allocation ----------------------------------------------------------------------


def test_a_reserved_uln_stays_reserved_after_a_rollback(sql_register: SqlRegister) -> None:
    with pytest.raises(Abort):
        failing(sql_register, lambda: sql_register.reserve_uln("3344556680"))
    assert sql_register.is_reserved("3344556680")
    assert not sql_register.reserve_uln("3344556680")
    assert not sql_register.is_reserved("1000000004")


def test_reservations_survive_reopening(sqlite_url: str) -> None:
    with SqlRegister(sqlite_url) as register:
        assert register.reserve_uln("3344556680")
    with SqlRegister(sqlite_url) as register:
        assert register.is_reserved("3344556680")
        assert not register.reserve_uln("3344556680")


# -- learners ------------------------------------------------------------------------------


def test_every_version_is_kept_and_replace_compares_versions(sql_register: SqlRegister) -> None:
    first = add(sql_register, "3344556680", HUW)
    moved = Demographics.from_dict({**HUW.to_dict(), "postcode": "SA1 1AA"})
    second = learner("3344556680", moved, version=2)
    sql_register.replace(second, expected_version=1, keys=keys_of(moved), identity=None)
    assert sql_register.get("3344556680") == second
    assert sql_register.history("3344556680") == [first, second]
    with pytest.raises(ConcurrencyError):
        sql_register.replace(second, expected_version=1, keys=keys_of(moved), identity=None)
    with pytest.raises(NotFound):
        sql_register.replace(
            learner("1000000004", HUW, 2), expected_version=1, keys=None, identity=None
        )
    assert sql_register.history("1000000004") == []


def test_identity_is_unique(sql_register: SqlRegister) -> None:
    sql_register.add(learner("3344556680", HUW), keys=None, identity="abc")
    with pytest.raises(DuplicateLearner):
        sql_register.add(learner("1000000004", HUW), keys=None, identity="abc")
    with pytest.raises(DuplicateLearner):
        sql_register.add(learner("3344556680", HUW), keys=None, identity="other")
    sql_register.add(learner("1000000012", HUW), keys=None, identity="def")
    with pytest.raises(DuplicateLearner):
        sql_register.replace(
            learner("1000000012", HUW, 2), expected_version=1, keys=None, identity="abc"
        )
    assert sql_register.find_identity("abc") == "3344556680"
    assert sql_register.find_identity("def") == "1000000012"
    assert sql_register.find_identity("nope") is None


def test_a_duplicate_inside_a_transaction_leaves_it_usable(sql_register: SqlRegister) -> None:
    # the service catches DuplicateLearner and carries on in the same transaction
    with sql_register.transaction():
        sql_register.add(learner("3344556680", HUW), keys=keys_of(HUW), identity="abc")
        with pytest.raises(DuplicateLearner):
            sql_register.add(learner("1000000004", HUW), keys=keys_of(HUW), identity="abc")
        sql_register.add(learner("1000000012", HUW), keys=None, identity="def")
    assert [x.uln for x in sql_register] == ["1000000012", "3344556680"]


def test_linked_learners_are_never_candidates(sql_register: SqlRegister) -> None:
    add(sql_register, "3344556680", HUW)
    sql_register.add(learner("1000000004", HUW, master_uln="3344556680"), keys=None, identity=None)
    found = sql_register.candidates().candidates(HUW)
    assert [uln for uln, _ in found] == ["3344556680"]
    assert sql_register.linked_to("3344556680") == ["1000000004"]
    assert sql_register.candidates().frequencies.total == 1
    assert sql_register.candidates().frequencies.given["HUW"] == 1
    # unlinked: searchable again
    sql_register.replace(
        learner("1000000004", HUW, 2), expected_version=1, keys=keys_of(HUW), identity=None
    )
    assert [uln for uln, _ in sql_register.candidates().candidates(HUW)] == [
        "1000000004",
        "3344556680",
    ]
    assert sql_register.candidates().frequencies.given["HUW"] == 2
    assert sql_register.linked_to("3344556680") == []


def test_get_many_iterates_and_counts(sql_register: SqlRegister) -> None:
    rng = random.Random(3)
    ulns = sorted({generate(rng) for _ in range(30)})
    sql_register.add_many((learner(u, person(rng)), None, None) for u in ulns)
    assert sql_register.count() == len(ulns)
    assert [x.uln for x in sql_register] == ulns
    got = sql_register.get_many([ulns[3], "1000000004", ulns[0]])
    assert list(got) == [ulns[3], ulns[0]]


@pytest.mark.parametrize("name", ["O'Brien", "Dan' OR 'x' --", 'Robert"); DROP TABLE x;--'])
def test_names_that_look_like_sql_are_stored_and_found(
    sql_register: SqlRegister, name: str
) -> None:
    weird = Demographics.from_dict({**HUW.to_dict(), "family_name": name})
    add(sql_register, "3344556680", weird)
    assert sql_register.get("3344556680") == learner("3344556680", weird)
    result = Matcher().search(weird, sql_register.candidates())
    assert result.best is not None
    assert result.best.id == "3344556680"
    assert sql_register.count() == 1


# -- candidates: the same as in memory -------------------------------------------------


@pytest.mark.parametrize("two_queries", [False, True], ids=["as-the-backend-finds", "two-queries"])
def test_candidates_and_frequencies_equal_the_memory_index(
    sql_register: SqlRegister, two_queries: bool
) -> None:
    if two_queries:  # as on MariaDB, or an SQLite without its JSON functions
        sql_register._one_statement = False
    rng = random.Random(11)
    people = {}
    while len(people) < 300:
        people[generate(rng)] = person(rng)
    items = [(learner(u, d), keys_of(d), None) for u, d in people.items()]
    sql_register.add_many(items, batch_size=64)
    index = CandidateIndex.from_records(sorted(people.items()))
    source = sql_register.candidates()
    matcher = Matcher()
    checked = 0
    for uln, demographics in list(people.items())[:60]:
        try:
            _, query = random_perturbation(demographics, rng)
        except NotApplicable:
            query = demographics
        expected = sorted((str(key), record) for key, record in index.candidates(query))
        found = source.candidates(query)
        assert [key for key, _ in found] == [key for key, _ in expected]
        assert [record_keys(r) for _, r in found] == [record_keys(r) for _, r in expected]
        mine = matcher.search(query, source)
        theirs = matcher.search(query, _Sorted(index))
        assert mine.outcome is theirs.outcome
        assert [(m.id, m.match_weight) for m in mine.matches] == [
            (m.id, m.match_weight) for m in theirs.matches
        ]
        checked += uln in {m.id for m in mine.matches}
    assert checked > 30
    assert source.frequencies.total == index.frequencies.total == 300
    for name in ("HUW", "SIAN", "JONES", "OBRIEN", "NOBODY"):
        assert source.frequencies.given[name] == index.frequencies.given[name]
        assert source.frequencies.family[name] == index.frequencies.family[name]


class _Sorted:
    """A CandidateIndex whose candidates come sorted by id, as a register's do."""

    def __init__(self, index: CandidateIndex) -> None:
        self.index = index
        self.frequencies = index.frequencies

    def candidates(self, query: Any) -> list[tuple[Any, Any]]:
        return sorted(self.index.candidates(query), key=lambda pair: str(pair[0]))


def test_oversized_blocks_are_skipped_as_in_memory(sqlite_register: SqlRegister) -> None:
    # 40 learners share a postcode (a coarse U block, searched only up to 30)
    rng = random.Random(5)
    people = {}
    while len(people) < 40:
        people[generate(rng)] = Demographics(
            given_name=f"Person{chr(65 + len(people) % 26)}x",
            family_name=f"Fam{chr(65 + len(people) // 26)}y",
            postcode=Postcode.parse("SA1 1AA"),
        )
    sqlite_register.add_many((learner(u, d), keys_of(d), None) for u, d in people.items())
    index = CandidateIndex.from_records(people)
    query = Demographics(postcode=Postcode.parse("SA1 1AA"))
    assert sqlite_register.candidates().candidates(query) == []
    assert index.candidates(query) == []
    one = next(iter(people.values()))
    assert sorted(str(k) for k, _ in index.candidates(one)) == [
        k for k, _ in sqlite_register.candidates().candidates(one)
    ]


# -- exceptions, audit, batches ----------------------------------------------------------


def test_exceptions_are_stored_and_updated(sql_register: SqlRegister) -> None:
    item = ExceptionItem(
        kind=ExceptionKind.POSSIBLE,
        learner=Learner(demographics=HUW),
        organisation="10012345",
        created=NOW,
        candidates=("3344556680",),
        batch="b1",
        line=7,
    )
    first = sql_register.add_exception(item)
    second = sql_register.add_exception(item)
    assert second > first >= 1
    stored = sql_register.get_exception(first)
    assert stored == ExceptionItem(**{**_fields(item), "id": first})
    resolved = ExceptionItem(
        **{
            **_fields(stored),
            "status": ExceptionStatus.RESOLVED_NEW,
            "resolved_uln": "3344556680",
            "resolved": NOW,
        }
    )
    sql_register.update_exception(resolved)
    assert sql_register.get_exception(first) == resolved
    assert [x.id for x in sql_register.exceptions()] == [second]
    assert [x.id for x in sql_register.exceptions(status=None)] == [first, second]
    assert sql_register.get_exception(9999) is None
    with pytest.raises(NotFound):
        sql_register.update_exception(ExceptionItem(**{**_fields(item), "id": 9999}))


def _fields(item: Any) -> dict[str, Any]:
    import attrs

    return attrs.asdict(item, recurse=False)


def test_audit_events_are_kept_in_order(sql_register: SqlRegister) -> None:
    a = AuditEvent(
        at=NOW,
        organisation="10012345",
        action="register",
        uln="3344556680",
        version=1,
        fields=("given_name", "family_name"),
        user="u1",
        detail="d",
    )
    b = AuditEvent(at=NOW, organisation="10099999", action="update", uln="3344556680", version=2)
    c = AuditEvent(at=NOW, organisation="10012345", action="find")
    for event in (a, b, c):
        sql_register.record(event)
    assert sql_register.audit() == [a, b, c]
    assert sql_register.audit(uln="3344556680") == [a, b]
    assert sql_register.audit(organisation="10012345") == [a, c]
    assert sql_register.audit(uln="3344556680", organisation="10099999") == [b]


def test_batch_entries_are_recorded_once(sql_register: SqlRegister) -> None:
    run = BatchRun(key="k1", ukprn="10012345", file_name="f.csv", total=3, started=NOW)
    assert sql_register.start_batch(run) == run
    later = BatchRun(
        key="k1", ukprn="10012345", file_name="f.csv", total=3, started=NOW + _dt.timedelta(hours=1)
    )
    assert sql_register.start_batch(later) == run
    sql_register.record_batch_entry("k1", BatchEntry(index=1, code="RC001", uln="3344556680"))
    sql_register.record_batch_entry("k1", BatchEntry(index=0, code="RC007", exception_id=4))
    with pytest.raises(DuplicateLearner):
        sql_register.record_batch_entry("k1", BatchEntry(index=1, code="RC001"))
    with pytest.raises(NotFound):
        sql_register.record_batch_entry("nope", BatchEntry(index=1, code="RC001"))
    assert sql_register.batch_entries("k1") == [
        BatchEntry(index=0, code="RC007", exception_id=4),
        BatchEntry(index=1, code="RC001", uln="3344556680"),
    ]
    sql_register.finish_batch("k1", NOW)
    assert sql_register.get_batch("k1") == BatchRun(
        key="k1", ukprn="10012345", file_name="f.csv", total=3, started=NOW, finished=NOW
    )
    assert sql_register.get_batch("k2") is None
    with pytest.raises(NotFound):
        sql_register.finish_batch("k2", NOW)


# -- errors --------------------------------------------------------------------------------


def test_an_unreachable_server_is_a_register_error() -> None:
    with pytest.raises(RegisterError) as caught:
        SqlRegister("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    assert "secret" not in str(caught.value)
    assert not isinstance(caught.value, sa.exc.SQLAlchemyError)


def test_an_unsupported_database_is_refused() -> None:
    with pytest.raises(RegisterError, match="unsupported"):
        SqlRegister("oracle://u@h/db")


def _busy_error(path: str) -> sa.exc.OperationalError:
    """The error SQLite gives a connection that may not wait for a file another holds."""
    import sqlite3

    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        sqlite3.connect(path, timeout=0).execute("SELECT * FROM sqlite_master")
    except sqlite3.OperationalError as error:
        return sa.exc.OperationalError("SELECT", {}, error)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    raise AssertionError("the file was not busy")


def test_opening_waits_while_sqlite_says_another_has_the_file(
    sqlite_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # processes opening one new file at once can be refused at once, without the busy
    # handler waiting: opening tries each step again (it is one transaction) a while
    import uln.register.sql as module

    busy = _busy_error(str(tmp_path / "busy.sqlite3"))
    assert "SQLITE_BUSY" in str(module._database_error(busy, "opening the register"))
    upgrade = module.upgrade_schema
    refusals = iter([busy, busy, busy])

    def refused_at_first(engine: sa.Engine) -> None:
        error = next(refusals, None)
        if error is not None:
            raise error
        upgrade(engine)

    monkeypatch.setattr(module, "upgrade_schema", refused_at_first)
    with SqlRegister(sqlite_url) as register:
        assert next(refusals, None) is None  # each refusal was met and tried again
        add(register, "3344556680", HUW)
        assert register.count() == 1


def test_opening_gives_up_on_other_errors_at_once(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    import uln.register.sql as module

    calls = []

    def broken(engine: sa.Engine) -> None:
        calls.append(engine)
        raise sa.exc.OperationalError("SELECT", {}, sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr(module, "upgrade_schema", broken)
    with pytest.raises(RegisterError, match="opening the register: database error"):
        SqlRegister(sqlite_url)
    assert len(calls) == 1


def test_database_errors_name_no_value(sqlite_register: SqlRegister) -> None:
    secret = "Zebedee-Quux"
    with sqlite_register.engine.begin() as other:  # the database broken under our feet
        other.execute(sa.text("DROP TABLE uln_audit"))
    with pytest.raises(RegisterError) as caught:
        sqlite_register.record(AuditEvent(at=NOW, organisation="1", action="x", detail=secret))
    assert secret not in str(caught.value)
    assert caught.value.__cause__ is None


def test_errors_of_the_hot_statements_are_register_errors_naming_no_value(
    sqlite_register: SqlRegister,
) -> None:
    # the statements a batch runs per learner go straight to the driver: their errors
    # must come out as any other database error does
    sql_register = sqlite_register
    add(sql_register, "3344556680", HUW)
    with sql_register.engine.begin() as other:  # the database broken under our feet
        other.execute(sa.text("DROP TABLE uln_block_keys"))
        other.execute(sa.text("DROP TABLE uln_learners"))
    calls = {
        "find_identity": lambda: sql_register.find_identity("Pugh-secret-identity"),
        "get": lambda: sql_register.get("3344556680"),
        "candidates": lambda: sql_register.candidates().candidates(HUW),
        "add": lambda: add(sql_register, "1234567890", HUW),
    }
    for name, call in calls.items():
        with pytest.raises(RegisterError) as caught:
            call()
        message = str(caught.value)
        assert "Pugh" not in message, name
        assert "secret" not in message, name
        assert not isinstance(caught.value, sa.exc.SQLAlchemyError), name


def test_a_lost_postgresql_connection_is_an_error_then_the_register_carries_on(
    postgres_register: SqlRegister,
) -> None:
    register = postgres_register
    add(register, "3344556680", HUW)

    def read_after_losing_the_connection() -> None:
        with register.transaction():
            with register.engine.connect() as killer:
                killer.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                killer.commit()
            register.find_identity("no such identity")

    with pytest.raises(RegisterError):
        read_after_losing_the_connection()
    # the dead connection was dropped, not handed out again
    stored = register.get("3344556680")
    assert stored is not None
    assert stored.demographics == HUW
    assert [uln for uln, _ in register.candidates().candidates(HUW)] == ["3344556680"]


# -- schema ----------------------------------------------------------------------------------


def test_migrations_create_the_tables_the_code_uses(sql_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with SqlRegister(sql_url) as register, register.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": "uln_schema_version"}
        )
        diff = compare_metadata(context, tables.metadata)
    assert diff == []


def test_an_upgrade_that_fails_part_way_leaves_the_file_as_it_was(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every migration runs in the one transaction that read the version: committed one
    # by one, a second process opening the file between two of them ran the later one
    # again and failed ("table uln_plr_events already exists")
    from alembic.ddl.impl import DefaultImpl

    create_table = DefaultImpl.create_table

    def failing_in_the_second_migration(self: Any, table: Any, **kwargs: Any) -> Any:
        if table.name == "uln_plr_events":  # made by the second migration, v0002
            raise sa.exc.OperationalError("CREATE TABLE", {}, Exception("disk full"))
        return create_table(self, table, **kwargs)

    monkeypatch.setattr(DefaultImpl, "create_table", failing_in_the_second_migration)
    with pytest.raises(RegisterError, match="opening the register"):
        SqlRegister(sqlite_url)
    engine = sa.create_engine(sqlite_url)
    try:
        assert set(sa.inspect(engine).get_table_names()) == set()  # not even the first's
    finally:
        engine.dispose()
    monkeypatch.undo()
    with SqlRegister(sqlite_url) as register:  # the next opening upgrades it whole
        add(register, "3344556680", HUW)
        assert register.count() == 1


def test_opening_again_keeps_the_data(sqlite_url: str) -> None:
    with SqlRegister(sqlite_url) as register:
        add(register, "3344556680", HUW)
    with SqlRegister(sqlite_url) as register:
        assert register.count() == 1
        upgrade_schema(register.engine)  # already at the newest version: nothing to do
        assert register.get("3344556680") == learner("3344556680", HUW)
        names = set(sa.inspect(register.engine).get_table_names())
    assert names == {table.name for table in tables.metadata.sorted_tables} - {
        "uln_ulns_allocated"
    } | {"uln_schema_version", "uln_ulns_allocated"}


def test_uln_imports_without_sqlalchemy() -> None:
    code = textwrap.dedent(
        """
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("sqlalchemy", "alembic"):
                    raise ImportError(name)
        sys.meta_path.insert(0, Block())
        import uln, uln.register, uln.register.base
        assert "sqlalchemy" not in sys.modules
        try:
            import uln.register.sql
        except ImportError:
            print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr


# -- the bulk path ---------------------------------------------------------------------------


def test_add_many_stores_what_add_would_and_refuses_a_duplicate_batch(
    sql_register: SqlRegister,
) -> None:
    from uln.register.memory import MemoryRegister

    rng = random.Random(8)
    people = {}
    while len(people) < 40:
        people[generate(rng)] = person(rng)
    items = [(learner(u, d), keys_of(d), f"id-{u}") for u, d in people.items()]
    memory = MemoryRegister()
    assert memory.add_many(items, batch_size=7) == sql_register.add_many(items, batch_size=7) == 40
    assert list(sql_register) == list(memory)
    assert sql_register.find_identity(f"id-{items[3][0].uln}") == items[3][0].uln
    assert sql_register.history(str(items[3][0].uln)) == [items[3][0]]
    assert all(sql_register.is_reserved(str(x.uln)) for x, _, _ in items)
    assert not sql_register.reserve_uln(str(items[5][0].uln))  # never issued again
    query = next(iter(people.values()))
    assert [u for u, _ in sql_register.candidates().candidates(query)] == [
        u for u, _ in memory.candidates().candidates(query)
    ]
    fresh = learner("3344556680", HUW)
    for store in (memory, sql_register):
        with pytest.raises(DuplicateLearner):
            store.add_many([(fresh, None, None), (items[0][0], None, None)])
        assert store.get("3344556680") is None  # the whole batch was refused
        assert store.count() == 40
