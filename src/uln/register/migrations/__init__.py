"""Alembic migrations of the SQL register's schema, run by :class:`uln.register.sql.SqlRegister`.

Opening an SQL register upgrades its schema to the newest version here; no
``alembic.ini`` is needed (the configuration is built in code).
"""
