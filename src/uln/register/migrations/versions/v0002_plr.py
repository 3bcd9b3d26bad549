"""Learning records: learning events, organisations, their users, and nominations.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ARGS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def upgrade() -> None:
    op.create_table(
        "uln_plr_events",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("uln", sa.String(10), nullable=False),
        sa.Column("provider_ukprn", sa.String(20), nullable=False),
        sa.Column("provider_name", sa.String(255), nullable=False),
        sa.Column("awarding_ukprn", sa.String(20), nullable=False),
        sa.Column("awarding_name", sa.String(255), nullable=False),
        sa.Column("qualification_type", sa.String(100), nullable=False),
        sa.Column("subject_code", sa.String(20), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("award_date", sa.String(10), nullable=False),
        sa.Column("credits", sa.Integer, nullable=False),
        sa.Column("level", sa.String(2), nullable=False),
        sa.Column("grade", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("loaded", sa.String(10), nullable=False),
        sa.Column("under_challenge", sa.Boolean, nullable=False),
        sa.Column("restriction", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_uln_plr_events"),
        **_ARGS,
    )
    op.create_index("ix_uln_plr_events_uln", "uln_plr_events", ["uln"])
    op.create_index("ix_uln_plr_events_awarding_ukprn", "uln_plr_events", ["awarding_ukprn"])
    op.create_table(
        "uln_organisations",
        sa.Column("ukprn", sa.String(20), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("ukprn", name="pk_uln_organisations"),
        **_ARGS,
    )
    op.create_table(
        "uln_users",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("organisation", sa.String(20), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("secret_hash", sa.String(512), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation"], ["uln_organisations.ukprn"], name="fk_uln_users_organisation"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_uln_users"),
        **_ARGS,
    )
    op.create_index("ix_uln_users_organisation", "uln_users", ["organisation"])
    op.create_table(
        "uln_nominations",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("uln", sa.String(10), nullable=False),
        sa.Column("organisation", sa.String(20), nullable=False),
        sa.Column("view", sa.String(20), nullable=False),
        sa.Column("shared", sa.Text, nullable=False),
        sa.Column("created", sa.String(40), nullable=False),
        sa.Column("withdrawn", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_uln_nominations"),
        **_ARGS,
    )
    op.create_index("ix_uln_nominations_uln", "uln_nominations", ["uln"])


def downgrade() -> None:
    op.drop_index("ix_uln_nominations_uln", table_name="uln_nominations")
    op.drop_index("ix_uln_users_organisation", table_name="uln_users")
    op.drop_index("ix_uln_plr_events_awarding_ukprn", table_name="uln_plr_events")
    op.drop_index("ix_uln_plr_events_uln", table_name="uln_plr_events")
    for table in ("uln_nominations", "uln_users", "uln_organisations", "uln_plr_events"):
        op.drop_table(table)
