"""Engine factory for SQLite (embedded default) and PostgreSQL, and the pair of stores.

Opening (and migrating) both stores of a project is :func:`readiness.storage.stores.open_stores`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from readiness._common.redact import mask_url
from readiness.errors import ConfigError, StorageError
from readiness.storage.files import create_private_file


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # First: switching a new file to WAL takes a lock that concurrent openers must wait for.
    cur.execute("PRAGMA busy_timeout=10000")
    # WAL lets the dashboard read while an ingest writes; NORMAL is durable across app crashes.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class MissingDatabaseError(StorageError):
    """A command that only reads found no database: nothing was ingested here yet."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"no Readiness data here: the database {path} does not exist; ingest a report first "
            "(`readiness tests ingest report.xml`), or give your project's directory with -C DIR",
            details={"database": str(path)},
        )
        self.path = path


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None: not SQLite, or an in-memory database)."""
    try:
        parsed = sa.engine.make_url(url)
    except ArgumentError:
        return None
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _create_sqlite_file(path: Path) -> None:
    """Create an empty (valid) SQLite file with mode 0600 in a 0700 folder, unless it exists."""
    try:
        create_private_file(path)
    except OSError as exc:
        raise StorageError(
            f"cannot create the database {path}: {exc.strerror}; run Readiness where it may "
            "write, or point state_url/audit_url (READINESS_STATE_URL) at a writable place"
        ) from exc


def create_engine_for(url: str, *, create: bool = True) -> Engine:
    """An engine for ``url``; SQLite files get sane pragmas and are created private (0600).

    With ``create=False`` a SQLite file that does not exist is a :class:`StorageError` that
    says so, and nothing is created: what read-only commands use.
    """
    try:
        parsed = sa.engine.make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            f"database URL {mask_url(url)!r} is not valid; expected e.g. sqlite:///path.db "
            "or postgresql+psycopg://user@host/db"
        ) from exc
    if parsed.drivername.startswith("postgresql") and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if parsed.drivername.startswith("sqlite"):
            path = sqlite_path(url)
            if path is not None and create:
                _create_sqlite_file(path)
            elif path is not None and not path.is_file():
                raise MissingDatabaseError(path)
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
    """The state and audit engines of one project, and the name (origin) of the audit log the
    platform's own events go to (None: this process does not relay them; they wait in the
    state database's outbox for one that does)."""

    state: Engine
    audit: Engine
    audit_origin: str | None = None
    # Run first by dispose(): what features opened on these engines (a shared ledger sequencer).
    on_dispose: list[Callable[[], None]] = field(default_factory=list, repr=False, compare=False)

    def dispose(self) -> None:
        while self.on_dispose:
            self.on_dispose.pop()()
        self.state.dispose()
        self.audit.dispose()
