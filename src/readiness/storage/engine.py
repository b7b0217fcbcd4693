"""Engine factory for SQLite (embedded default) and PostgreSQL, and the pair of stores.

Opening (and migrating) both stores of a project is :func:`readiness.storage.stores.open_stores`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from readiness.errors import ConfigError


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # First: switching a new file to WAL takes a lock that concurrent openers must wait for.
    cur.execute("PRAGMA busy_timeout=10000")
    # WAL lets the dashboard read while an ingest writes; NORMAL is durable across app crashes.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
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
