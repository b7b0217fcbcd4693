"""Projects: the table every stored item belongs to, and its queries (SQLAlchemy Core).

A central server serves many repositories; each stored item (runs, tests, quarantine, fix
verifications, and what later features store) names its project in a ``project`` column that
references ``rd_projects.name``: ``ON UPDATE CASCADE`` so a rename is one statement the database
carries to every feature's rows, ``ON DELETE RESTRICT`` so a project holding data cannot vanish.
Features declare that column with :func:`project_column`; large append-only tables (results,
events) hang off a parent row (a run) instead of naming the project themselves, so a rename
touches the parents only.

Use cases (audited creation and renaming, access checks) are ``readiness.projects.service``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from readiness._common.clock import utc
from readiness.errors import ConflictError
from readiness.storage import retry
from readiness.storage.metadata import state_metadata

NAME_LENGTH = 200  # room for names stored before the naming rule; new names are at most 64

projects = sa.Table(
    "rd_projects",
    state_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(NAME_LENGTH), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
)


def project_column(*, ondelete: str = "RESTRICT") -> sa.Column[str]:
    """The ``project`` column of a feature table: the owning project's name, kept on rename."""
    return sa.Column(
        "project",
        sa.String(NAME_LENGTH),
        sa.ForeignKey(projects.c.name, onupdate="CASCADE", ondelete=ondelete),
        nullable=False,
    )


@dataclass(frozen=True, slots=True)
class Project:
    """A stored project."""

    id: int
    name: str
    created_at: datetime
    created_by: str


def _project(row: Any) -> Project:
    return Project(
        id=int(row.id), name=row.name, created_at=utc(row.created_at), created_by=row.created_by
    )


def get_project(conn: Connection | Engine, name: str) -> Project | None:
    """The project called ``name``, if any."""
    query = sa.select(projects).where(projects.c.name == name)
    if isinstance(conn, Engine):
        with conn.connect() as c:
            row = c.execute(query).one_or_none()
    else:
        row = conn.execute(query).one_or_none()
    return _project(row) if row is not None else None


def list_projects(engine: Engine) -> list[Project]:
    """Every project, by name."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(projects).order_by(projects.c.name)).all()
    return [_project(r) for r in rows]


OnChange = Callable[[Connection, Project], None]
"""Called in the transaction of a change with the project it changed (the caller's audit
event goes there, so that the change and its event commit together)."""


def insert_project(
    engine: Engine, name: str, *, at: datetime, by: str, on_change: OnChange | None = None
) -> Project:
    """Store a new project; ConflictError when the name is taken."""
    try:
        with engine.begin() as conn:
            conn.execute(projects.insert().values(name=name, created_at=at, created_by=by))
            found = get_project(conn, name)
            if on_change is not None and found is not None:
                on_change(conn, found)
    except IntegrityError as exc:
        raise ConflictError(
            f"project {name!r} already exists; `readiness projects list` shows every project",
            details={"project": name},
        ) from exc
    assert found is not None  # inserted in the same transaction
    return found


def _insert_if_missing(
    engine: Engine, values: dict[str, Any], *, busy_ms: int | None, on_change: OnChange | None
) -> tuple[Project | None, bool]:
    """Insert a project unless the name exists; True when this call inserted it.

    ``busy_ms`` bounds how long SQLite blocks on its write lock during this one attempt.
    """
    with engine.begin() as conn:
        statement: Any
        if conn.dialect.name == "postgresql":
            statement = postgresql.insert(projects).values(**values).on_conflict_do_nothing()
        else:
            statement = sqlite.insert(projects).values(**values).on_conflict_do_nothing()
        saved = None
        if busy_ms is not None:
            saved = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(busy_ms)}")
        try:
            # A row comes back only from the insert that created the project.
            made = conn.execute(statement.returning(projects.c.id)).first() is not None
        finally:
            if saved is not None:
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(saved)}")
        found = get_project(conn, values["name"])
        if made and on_change is not None and found is not None:
            on_change(conn, found)
        return found, made


def ensure_project(
    engine: Engine, name: str, *, at: datetime, by: str, on_change: OnChange | None = None
) -> tuple[Project, bool]:
    """The project ``name``, created when missing; True when this call created it.

    Concurrent callers may race to create the same project: the insert ignores a conflict,
    so every caller succeeds and exactly one reports the creation.
    """
    found = get_project(engine, name)
    if found is not None:
        return found, False
    values = {"name": name, "created_at": at, "created_by": by}
    if engine.dialect.name != "sqlite":
        project, created = _insert_if_missing(engine, values, busy_ms=None, on_change=on_change)
    else:
        # One statement, so replaying it is safe: wait for SQLite's write lock like every writer.
        policy = retry.DEFAULT_WRITE_WAIT
        database = engine.url.database or ":memory:"
        project, created = retry.retry(
            lambda: _insert_if_missing(
                engine, values, busy_ms=policy.attempt_ms, on_change=on_change
            ),
            retryable=retry.is_sqlite_busy,
            give_up=lambda waited, _exc: retry.lock_wait_expired(database, waited),
            policy=policy,
        )
    assert project is not None  # inserted here or by the caller that won the race
    return project, created


def rename_project(
    engine: Engine, old: str, new: str, *, on_change: OnChange | None = None
) -> bool:
    """Rename ``old`` to ``new`` (every feature's rows follow); False when ``old`` is unknown."""
    try:
        with engine.begin() as conn:
            result = conn.execute(projects.update().where(projects.c.name == old).values(name=new))
            renamed = get_project(conn, new) if result.rowcount == 1 else None
            if on_change is not None and renamed is not None:
                on_change(conn, renamed)
    except IntegrityError as exc:
        raise ConflictError(
            f"cannot rename project {old!r} to {new!r}: a project called {new!r} already exists",
            details={"project": old, "new_name": new},
        ) from exc
    return result.rowcount == 1


def delete_project(engine: Engine, name: str, *, on_change: OnChange | None = None) -> bool:
    """Delete an empty project; ConflictError while any feature still stores data in it."""
    try:
        with engine.begin() as conn:
            found = get_project(conn, name)
            result = conn.execute(projects.delete().where(projects.c.name == name))
            if on_change is not None and found is not None and result.rowcount == 1:
                on_change(conn, found)
    except IntegrityError as exc:
        raise ConflictError(
            f"project {name!r} still holds data (test runs, quarantine, ...); only an empty "
            "project can be deleted. Rename it instead with `readiness projects rename`",
            details={"project": name},
        ) from exc
    return result.rowcount == 1
