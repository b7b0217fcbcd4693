"""Open the state and audit stores of a project, migrating the embedded default."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from readiness.config import Settings
from readiness.errors import StorageError
from readiness.storage.engine import Stores, create_engine_for, is_sqlite


def open_stores(settings: Settings, *, upgrade: bool | None = None) -> Stores:
    """Open both databases; the embedded SQLite default is migrated automatically.

    ``upgrade=None`` upgrades only SQLite databases; PostgreSQL is upgraded explicitly with
    ``readiness db upgrade`` (a shared server's schema is an operator's decision).

    A checkout's embedded database (no ``state_url`` configured) whose project name is not
    configured either adopts the directory's name for data stored before projects existed
    (see :func:`adoptable_project`).
    """
    from readiness.storage.migrate import upgrade_all

    stores = Stores(
        state=create_engine_for(settings.resolved_state_url),
        audit=create_engine_for(settings.resolved_audit_url),
    )
    do_upgrade = upgrade if upgrade is not None else is_sqlite(stores.state)
    try:
        if do_upgrade:
            upgrade_all(stores, adopt_project=adoptable_project(settings))
    except OperationalError as exc:
        stores.dispose()
        raise StorageError(
            f"database unreachable: {exc.orig}; check state_url/audit_url in the configuration"
        ) from exc
    return stores


def adoptable_project(settings: Settings) -> str | None:
    """The project that pre-project data (all in ``default``) moves to on upgrade, if any.

    Only the embedded single-checkout database qualifies: its data is this checkout's, and the
    default project name is now the directory's. A configured database URL may be shared by
    many repositories, and a configured project name is the user's choice: neither adopts.
    """
    if settings.state_url is not None or settings.project_is_explicit:
        return None
    return settings.project
