"""Alembic environment: the engine and version table come from ``readiness.storage.migrate``."""

from __future__ import annotations

from alembic import context

cfg = context.config
engine = cfg.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        version_table=cfg.attributes["version_table"],
        render_as_batch=engine.dialect.name == "sqlite",
        transactional_ddl=True,
    )
    context.run_migrations()
