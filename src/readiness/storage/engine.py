"""Engine factory for SQLite (embedded default) and PostgreSQL, and the pair of stores."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from readiness.config import Settings
from readiness.errors import ConfigError, StorageError


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets the dashboard read while an ingest writes; NORMAL is durable across app crashes.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def create_engine_for(url: str) -> Engine:
    """An engine for ``url``; SQLite files get their folder created and sane pragmas."""
    try:
        parsed = sa.engine.make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            f"database URL {url!r} is not valid; expected e.g. sqlite:///path.db "
            "or postgresql+psycopg://user@host/db"
        ) from exc
    if parsed.drivername.startswith("postgresql") and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if parsed.drivername.startswith("sqlite"):
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(parsed)
            sa.event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return sa.create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise ConfigError(
            f"database URL {parsed.render_as_string(hide_password=True)}: driver not installed "
            "(install readiness[postgres] for PostgreSQL)"
        ) from exc


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@dataclass
class Stores:
    """The state and audit engines of one project."""

    state: Engine
    audit: Engine

    def dispose(self) -> None:
        self.state.dispose()
        self.audit.dispose()


def open_stores(settings: Settings, *, upgrade: bool | None = None) -> Stores:
    """Open both databases; the embedded SQLite default is migrated automatically.

    ``upgrade=None`` upgrades only SQLite databases; PostgreSQL is upgraded explicitly with
    ``readiness db upgrade`` (a shared server's schema is an operator's decision).
    """
    from readiness.storage.migrate import upgrade_all

    stores = Stores(
        state=create_engine_for(settings.resolved_state_url),
        audit=create_engine_for(settings.resolved_audit_url),
    )
    do_upgrade = upgrade if upgrade is not None else is_sqlite(stores.state)
    try:
        if do_upgrade:
            upgrade_all(stores)
    except OperationalError as exc:
        stores.dispose()
        raise StorageError(
            f"database unreachable: {exc.orig}; check state_url/audit_url in the configuration"
        ) from exc
    return stores
