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
