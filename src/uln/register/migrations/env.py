"""Alembic environment: runs on the connection that uln.register.sql hands it."""

from __future__ import annotations

from alembic import context

from uln.register._sql_tables import metadata

VERSION_TABLE = "uln_schema_version"

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs alembic by hand
    raise RuntimeError("the uln migrations run through uln.register.sql.upgrade_schema()")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
