"""Open the state and audit stores of a project, migrating the embedded default.

Whatever goes wrong on the way is one :class:`StorageError` that names the database (URL masked),
what is wrong and what to do: the server is unreachable, the file is corrupt or not writable,
the schema is missing, behind or newer than this Readiness.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError

from readiness._common.redact import mask_url
from readiness.errors import StorageError
from readiness.storage.engine import Stores, create_engine_for, is_sqlite, sqlite_path
from readiness.storage.schema import current_revisions, read_history

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from readiness.config import Settings

UPGRADE_HINT = "run `readiness db upgrade`"


def open_stores(settings: Settings, *, upgrade: bool | None = None, create: bool = True) -> Stores:
    """Open both databases, checked to be at the schema this Readiness needs.

    ``upgrade=None`` upgrades only SQLite databases; PostgreSQL is upgraded explicitly with
    ``readiness db upgrade`` (a shared server's schema is an operator's decision), and a schema
    that is not current is an error saying so. ``upgrade=False`` opens the databases as they are,
    unchecked (what the ``db`` commands need). ``create=False`` never creates a database (what
    commands that only read use): a missing SQLite file is an error that says to ingest first.

    A checkout's embedded database (no ``state_url`` configured) whose project name is not
    configured either adopts the directory's name for data stored before projects existed
    (see :func:`adoptable_project`).
    """
    state_url, audit_url = settings.resolved_state_url, settings.resolved_audit_url
    state = create_engine_for(state_url, create=create)
    try:
        audit = create_engine_for(audit_url, create=create)
    except BaseException:
        state.dispose()
        raise
    stores = Stores(state=state, audit=audit, audit_origin=settings.audit_origin)
    if upgrade is False:
        return stores
    migrate = upgrade if upgrade is not None else is_sqlite(stores.state)
    try:
        ensure_schema(
            "state",
            stores.state,
            state_url,
            migrate=migrate,
            adopt_project=adoptable_project(settings),
        )
        ensure_schema(
            "audit", stores.audit, audit_url, migrate=migrate, audit_origin=settings.audit_origin
        )
    except BaseException:
        stores.dispose()
        raise
    return stores


def describe(kind: str, url: str) -> str:
    """``state database /path/state.db`` or ``audit database postgresql://u:***@host/db``."""
    path = sqlite_path(url)
    return f"{kind} database {path if path is not None else mask_url(url)}"


def storage_error(kind: str, url: str, exc: DBAPIError) -> StorageError:
    """One line for a driver error met while opening: what failed and what to do."""
    detail = " ".join(str(exc.orig).split()) or type(exc.orig).__name__
    lowered = detail.lower()
    where = describe(kind, url)
    if "not a database" in lowered or "malformed" in lowered:
        fix = (
            "the file is corrupt or not a SQLite database; restore it from a backup or move it away"
        )
    elif "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
        fix = (
            "it cannot be opened for writing (SQLite also writes -wal and -shm files next to it); "
            "check the permissions of the file and its folder"
        )
    elif sqlite_path(url) is None:
        fix = (
            "check state_url/audit_url (READINESS_STATE_URL, READINESS_AUDIT_URL) and that the "
            "database server is up"
        )
    else:
        fix = "check the file and its folder"
    return StorageError(f"{where}: {detail}; {fix}", details={"database": where})


def ensure_schema(
    kind: str,
    engine: Engine,
    url: str,
    *,
    migrate: bool,
    adopt_project: str | None = None,
    audit_origin: str | None = None,
) -> None:
    """Check (and with ``migrate`` bring) the ``kind`` database to the newest schema.

    ``adopt_project``, ``audit_origin``: see :func:`readiness.storage.migrate.upgrade`.
    """
    history = read_history(kind)
    heads = history.heads
    try:
        with engine.connect() as conn:
            current = current_revisions(conn, kind)
    except DBAPIError as exc:
        raise storage_error(kind, url, exc) from exc
    if current == heads:
        return
    unknown = [r for r in current if r not in history.parents]
    if unknown:
        raise StorageError(
            f"{describe(kind, url)} is at revision {', '.join(unknown)}, which this Readiness "
            f"does not know (its newest is {', '.join(heads)}): a newer Readiness migrated it; "
            "upgrade Readiness"
        )
    if not migrate:
        state = (
            "has no Readiness tables (never migrated)"
            if not current
            else f"is at revision {', '.join(current)}, behind this Readiness ({', '.join(heads)})"
        )
        raise StorageError(f"{describe(kind, url)} {state}; {UPGRADE_HINT}")
    from readiness.storage.migrate import upgrade

    try:
        upgrade(kind, engine, adopt_project=adopt_project, audit_origin=audit_origin)
    except DBAPIError as exc:
        raise storage_error(kind, url, exc) from exc


def adoptable_project(settings: Settings) -> str | None:
    """The project that pre-project data (all in ``default``) moves to on upgrade, if any.

    Only the embedded single-checkout database qualifies: its data is this checkout's, and the
    default project name is now the directory's. A configured database URL may be shared by
    many repositories, and a configured project name is the user's choice: neither adopts.
    """
    if settings.state_url is not None or settings.project_is_explicit:
        return None
    return settings.project
