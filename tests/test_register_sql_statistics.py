"""PostgreSQL planner statistics: a register keeps them fresh itself.

Without statistics (autovacuum off, or not yet run after an import) PostgreSQL reads
the whole key table for every find's block sizes; the register analyzes its tables
when it is opened, after a bulk import and every thousand writes, once half a table
is new since its last ANALYZE.
"""

from __future__ import annotations

import datetime as dt
import random
import time

import pytest

pytest.importorskip("sqlalchemy")

import sqlalchemy as sa

from uln import Demographics, Gender, Learner, checkdigit
from uln.demographics.postcodes import Postcode
from uln.matching import match_record, record_keys
from uln.register.service import learner_identity
from uln.register.sql import SqlRegister

STATS = (
    "SELECT relname, n_mod_since_analyze, last_analyze IS NOT NULL OR last_autoanalyze "
    "IS NOT NULL FROM pg_stat_user_tables WHERE relname IN ('uln_learners', 'uln_block_keys')"
)


def items(n: int) -> list[tuple[Learner, list[str], str]]:
    rng = random.Random(4)
    out = []
    for i in range(n):
        d = Demographics(
            given_name=rng.choice(["Huw", "Nia", "Rhys", "Ffion"]) + "abcdefgh"[i % 8],
            family_name=f"Jones{i}",
            date_of_birth=dt.date(1995, 1, 1) + dt.timedelta(days=rng.randrange(4000)),
            gender=Gender.FEMALE,
            postcode=Postcode.parse(f"LL{rng.randrange(10, 60)} 2DG"),
        )
        learner = Learner(uln=checkdigit.generate(rng), demographics=d)
        out.append((learner, record_keys(match_record(d)), learner_identity(d)))
    return out


def statistics(register: SqlRegister) -> dict[str, tuple[int, bool]]:
    with register.engine.connect() as connection:
        return {name: (changed, done) for name, changed, done in connection.execute(sa.text(STATS))}


def test_a_register_analyzes_its_tables_after_a_bulk_import(postgres_url: str) -> None:
    with SqlRegister(postgres_url) as register:
        register.engine.dispose()
        with register.engine.begin() as connection:  # forget what earlier tests left
            connection.execute(sa.text("SELECT pg_stat_reset()"))
        register.add_many(items(3_000), batch_size=1_000)
        time.sleep(1.5)  # the server publishes its table counters about once a second
        stats = statistics(register)
    assert stats["uln_learners"][1]
    assert stats["uln_block_keys"][1]
    # analyzed once most of the rows were in (3,000 learners, 33,000 keys)
    assert stats["uln_block_keys"][0] <= 33_000 // 2
