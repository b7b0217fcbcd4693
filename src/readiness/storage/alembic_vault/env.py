"""Alembic environment: the engine comes from ``readiness.storage.migrate``."""

from readiness.storage.migrate import run_migrations_in_env

run_migrations_in_env()
