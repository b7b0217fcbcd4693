"""Run our own Alembic histories programmatically (no alembic.ini needed)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from readiness.storage.engine import Stores
from readiness.storage.schema import HISTORIES, VERSION_TABLES


def _config(kind: str, engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HISTORIES[kind]))
    cfg.attributes["engine"] = engine
    cfg.attributes["version_table"] = VERSION_TABLES[kind]
    cfg.attributes["kind"] = kind
    return cfg


def run_migrations_in_env() -> None:
    """Body of both histories' ``env.py``: migrate the engine handed over in the config."""
    from alembic import context

    cfg = context.config
    engine: Engine = cfg.attributes["engine"]
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            version_table=cfg.attributes["version_table"],
            render_as_batch=engine.dialect.name == "sqlite",
            transactional_ddl=True,
        )
        context.run_migrations()


def upgrade(kind: str, engine: Engine, revision: str = "head") -> None:
    """Upgrade the ``kind`` database (``state`` or ``audit``) to ``revision``."""
    command.upgrade(_config(kind, engine), revision)


def downgrade(kind: str, engine: Engine, revision: str) -> None:
    """Downgrade the ``kind`` database to ``revision`` (``base`` drops every table)."""
    command.downgrade(_config(kind, engine), revision)


def upgrade_all(stores: Stores) -> None:
    """Bring both databases to the newest schema."""
    if current_revision("state", stores.state) != head_revision("state"):
        upgrade("state", stores.state)
    if current_revision("audit", stores.audit) != head_revision("audit"):
        upgrade("audit", stores.audit)


def current_revision(kind: str, engine: Engine) -> str | None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLES[kind]})
        return ctx.get_current_revision()


def head_revision(kind: str) -> str | None:
    script = ScriptDirectory(str(HISTORIES[kind]))
    return script.get_current_head()
