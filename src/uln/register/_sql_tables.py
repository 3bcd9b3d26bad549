"""The tables of an SQL register (SQLAlchemy Core), shared by the backend and Alembic.

The schema is created and upgraded by the migrations in
:mod:`uln.register.migrations`; these Table objects describe the same schema for the
queries (a test checks that the migrations and these tables agree).
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "KEY_LENGTH",
    "NAME_LENGTH",
    "audit",
    "batch_entries",
    "batch_runs",
    "block_keys",
    "exceptions",
    "learner_versions",
    "learners",
    "metadata",
    "name_totals",
    "nominations",
    "organisations",
    "plr_events",
    "ulns_allocated",
    "users",
]

KEY_LENGTH: Final = 255
"""The longest blocking key stored as it is (longer ones are stored as a digest)."""

NAME_LENGTH: Final = 255
"""The longest name key stored as it is (longer ones are stored as a digest)."""

# InnoDB, utf8mb4 and a binary collation on MariaDB/MySQL: keys compare byte for byte,
# as they do in memory (the default collation would make 'É' equal 'E' and 'a' equal 'A').
TABLE_ARGS: Final[dict[str, Any]] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ulns_allocated = Table(
    "uln_ulns_allocated",
    metadata,
    Column("uln", String(10), primary_key=True),
    **TABLE_ARGS,
)

learners = Table(
    "uln_learners",
    metadata,
    Column("uln", String(10), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("master_uln", String(10), nullable=True, index=True),
    Column("identity", String(128), nullable=True),
    Column("searchable", Boolean, nullable=False),
    # the given and family name keys of a searchable learner (NULL otherwise): counted
    # for term-frequency weights
    Column("given_key", String(NAME_LENGTH), nullable=True, index=True),
    Column("family_key", String(NAME_LENGTH), nullable=True, index=True),
    Column("data", Text, nullable=False),
    UniqueConstraint("identity"),
    **TABLE_ARGS,
)

learner_versions = Table(
    "uln_learner_versions",
    metadata,
    Column("uln", String(10), nullable=False),
    Column("version", Integer, nullable=False),
    Column("data", Text, nullable=False),
    PrimaryKeyConstraint("uln", "version"),
    **TABLE_ARGS,
)

block_keys = Table(
    "uln_block_keys",
    metadata,
    Column("key", String(KEY_LENGTH), nullable=False),
    Column("uln", String(10), nullable=False),
    PrimaryKeyConstraint("key", "uln"),
    Index("ix_uln_block_keys_uln", "uln"),
    **TABLE_ARGS,
)

name_totals = Table(
    "uln_name_totals",
    metadata,
    # how many searchable learners there are, spread over a few rows (slots) so that
    # concurrent writers seldom wait for one another: the total is their sum
    Column("slot", Integer, primary_key=True, autoincrement=False),
    Column("n", Integer, nullable=False),
    **TABLE_ARGS,
)

exceptions = Table(
    "uln_exceptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("organisation", String(20), nullable=False),
    Column("data", Text, nullable=False),
    **TABLE_ARGS,
)

audit = Table(
    "uln_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("organisation", String(20), nullable=False, index=True),
    Column("action", String(40), nullable=False),
    Column("uln", String(10), nullable=True, index=True),
    Column("version", Integer, nullable=True),
    Column("fields", Text, nullable=False),
    Column("user", String(100), nullable=True),
    Column("detail", Text, nullable=False),
    **TABLE_ARGS,
)

batch_runs = Table(
    "uln_batch_runs",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("ukprn", String(20), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("total", Integer, nullable=False),
    Column("started", String(40), nullable=False),
    Column("finished", String(40), nullable=True),
    **TABLE_ARGS,
)

batch_entries = Table(
    "uln_batch_entries",
    metadata,
    Column("batch_key", String(128), ForeignKey("uln_batch_runs.key"), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("code", String(20), nullable=False),
    Column("uln", String(10), nullable=True),
    Column("exception_id", Integer, nullable=True),
    PrimaryKeyConstraint("batch_key", "idx"),
    **TABLE_ARGS,
)

# -- learning records (uln.plr; migration 0002) ------------------------------------------

plr_events = Table(
    "uln_plr_events",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("uln", String(10), nullable=False, index=True),
    Column("provider_ukprn", String(20), nullable=False),
    Column("provider_name", String(255), nullable=False),
    Column("awarding_ukprn", String(20), nullable=False, index=True),
    Column("awarding_name", String(255), nullable=False),
    Column("qualification_type", String(100), nullable=False),
    Column("subject_code", String(20), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("award_date", String(10), nullable=False),
    Column("credits", Integer, nullable=False),
    Column("level", String(2), nullable=False),
    Column("grade", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("source", String(20), nullable=False),
    Column("loaded", String(10), nullable=False),
    Column("under_challenge", Boolean, nullable=False),
    Column("restriction", String(100), nullable=False),
    **TABLE_ARGS,
)

organisations = Table(
    "uln_organisations",
    metadata,
    Column("ukprn", String(20), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("kind", String(20), nullable=False),
    **TABLE_ARGS,
)

users = Table(
    "uln_users",
    metadata,
    Column("id", String(100), primary_key=True),
    Column(
        "organisation",
        String(20),
        ForeignKey("uln_organisations.ukprn"),
        nullable=False,
        index=True,
    ),
    Column("role", String(20), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("secret_hash", String(512), nullable=True),
    **TABLE_ARGS,
)

nominations = Table(
    "uln_nominations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uln", String(10), nullable=False, index=True),
    Column("organisation", String(20), nullable=False),
    Column("view", String(20), nullable=False),
    Column("shared", Text, nullable=False),
    Column("created", String(40), nullable=False),
    Column("withdrawn", String(40), nullable=True),
    **TABLE_ARGS,
)
