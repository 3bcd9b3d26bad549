"""The first schema: learners, their versions and blocking keys, allocations, exceptions,
audit and batch runs.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ARGS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def upgrade() -> None:
    op.create_table(
        "uln_ulns_allocated",
        sa.Column("uln", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("uln", name="pk_uln_ulns_allocated"),
        **_ARGS,
    )
    op.create_table(
        "uln_learners",
        sa.Column("uln", sa.String(10), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("master_uln", sa.String(10), nullable=True),
        sa.Column("identity", sa.String(128), nullable=True),
        sa.Column("searchable", sa.Boolean, nullable=False),
        sa.Column("given_key", sa.String(255), nullable=True),
        sa.Column("family_key", sa.String(255), nullable=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("uln", name="pk_uln_learners"),
        sa.UniqueConstraint("identity", name="uq_uln_learners_identity"),
        **_ARGS,
    )
    op.create_index("ix_uln_learners_master_uln", "uln_learners", ["master_uln"])
    op.create_index("ix_uln_learners_given_key", "uln_learners", ["given_key"])
    op.create_index("ix_uln_learners_family_key", "uln_learners", ["family_key"])
    op.create_table(
        "uln_learner_versions",
        sa.Column("uln", sa.String(10), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("uln", "version", name="pk_uln_learner_versions"),
        **_ARGS,
    )
    op.create_table(
        "uln_block_keys",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("uln", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("key", "uln", name="pk_uln_block_keys"),
        **_ARGS,
    )
    op.create_index("ix_uln_block_keys_uln", "uln_block_keys", ["uln"])
    op.create_table(
        "uln_name_totals",
        sa.Column("slot", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("slot", name="pk_uln_name_totals"),
        **_ARGS,
    )
    op.create_table(
        "uln_exceptions",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("organisation", sa.String(20), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_uln_exceptions"),
        **_ARGS,
    )
    op.create_index("ix_uln_exceptions_status", "uln_exceptions", ["status"])
    op.create_table(
        "uln_audit",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("organisation", sa.String(20), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("uln", sa.String(10), nullable=True),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("user", sa.String(100), nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_uln_audit"),
        **_ARGS,
    )
    op.create_index("ix_uln_audit_organisation", "uln_audit", ["organisation"])
    op.create_index("ix_uln_audit_uln", "uln_audit", ["uln"])
    op.create_table(
        "uln_batch_runs",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("ukprn", sa.String(20), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("started", sa.String(40), nullable=False),
        sa.Column("finished", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_uln_batch_runs"),
        **_ARGS,
    )
    op.create_table(
        "uln_batch_entries",
        sa.Column("batch_key", sa.String(128), nullable=False),
        sa.Column("idx", sa.Integer, nullable=False),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("uln", sa.String(10), nullable=True),
        sa.Column("exception_id", sa.Integer, nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_key"], ["uln_batch_runs.key"], name="fk_uln_batch_entries_batch_key"
        ),
        sa.PrimaryKeyConstraint("batch_key", "idx", name="pk_uln_batch_entries"),
        **_ARGS,
    )


def downgrade() -> None:
    for table in (
        "uln_batch_entries",
        "uln_batch_runs",
        "uln_audit",
        "uln_exceptions",
        "uln_name_totals",
        "uln_block_keys",
        "uln_learner_versions",
        "uln_learners",
        "uln_ulns_allocated",
    ):
        op.drop_table(table)
