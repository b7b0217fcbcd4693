"""The registry's tables (state database) and their queries. ``subject`` ``""`` in
``registry_config`` is the project's global setting."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from readiness.storage.metadata import state_metadata
from readiness.storage.retry import begin_immediate

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

registry_schemas = sa.Table(
    "registry_schemas",
    state_metadata,
    sa.Column("id", _BIGINT, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String(200), nullable=False),
    sa.Column("schema_type", sa.String(16), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("schema_text", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("project", "schema_type", "fingerprint"),
)
registry_versions = sa.Table(
    "registry_versions",
    state_metadata,
    sa.Column("project", sa.String(200), primary_key=True),
    sa.Column("subject", sa.String(255), primary_key=True),
    sa.Column("version", sa.Integer(), primary_key=True),
    sa.Column("schema_id", sa.BigInteger(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),  # soft delete
)
registry_config = sa.Table(
    "registry_config",
    state_metadata,
    sa.Column("project", sa.String(200), primary_key=True),
    sa.Column("subject", sa.String(255), primary_key=True),
    sa.Column("compatibility", sa.String(32), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


registry_references = sa.Table(
    "registry_references",
    state_metadata,
    sa.Column("project", sa.String(200), primary_key=True),
    sa.Column("schema_id", sa.BigInteger(), primary_key=True),
    sa.Column("position", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("subject", sa.String(255), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Index(None, "project", "subject", "version"),
)


@dataclass(frozen=True)
class StoredSchema:
    id: int
    schema_type: str
    text: str


@dataclass(frozen=True)
class Version:
    subject: str
    version: int
    schema: StoredSchema
    deleted: bool = False


_V = registry_versions.c
_S = registry_schemas.c


def schema_by_id(conn: Connection, project: str, schema_id: int) -> StoredSchema | None:
    row = conn.execute(
        sa.select(_S.id, _S.schema_type, _S.schema_text).where(
            _S.project == project, _S.id == schema_id
        )
    ).first()
    return None if row is None else StoredSchema(int(row.id), row.schema_type, row.schema_text)


def schema_by_fingerprint(
    conn: Connection, project: str, schema_type: str, fingerprint: str
) -> StoredSchema | None:
    row = conn.execute(
        sa.select(_S.id, _S.schema_type, _S.schema_text).where(
            _S.project == project, _S.schema_type == schema_type, _S.fingerprint == fingerprint
        )
    ).first()
    return None if row is None else StoredSchema(int(row.id), row.schema_type, row.schema_text)


def insert_schema(
    conn: Connection, project: str, *, schema_type: str, fingerprint: str, text: str, at: datetime
) -> StoredSchema:
    result = conn.execute(
        registry_schemas.insert().values(
            project=project,
            schema_type=schema_type,
            fingerprint=fingerprint,
            schema_text=text,
            created_at=at,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return StoredSchema(int(key[0]), schema_type, text)


def stored_schema(
    conn: Connection,
    project: str,
    *,
    schema_type: str,
    fingerprint: str,
    text: str,
    at: datetime,
    references: list[Reference],
) -> StoredSchema:
    """The project's schema with this fingerprint, inserted with its ``references`` when new.

    Ids are per project, not per subject, so the subject lock does not cover them: another
    subject's registration of the same new schema may insert it at the same time. The insert
    runs in a savepoint; when the other one wins (a unique-key violation, raised once it
    commits), its row is the schema."""
    found = schema_by_fingerprint(conn, project, schema_type, fingerprint)
    if found is not None:
        return found
    try:
        with conn.begin_nested():
            stored = insert_schema(
                conn, project, schema_type=schema_type, fingerprint=fingerprint, text=text, at=at
            )
            insert_references(conn, project, stored.id, references)
    except IntegrityError:
        found = schema_by_fingerprint(conn, project, schema_type, fingerprint)
        if found is None:
            raise
        return found
    return stored


def versions(
    conn: Connection, project: str, subject: str, *, deleted: bool = False
) -> list[Version]:
    """The subject's versions, oldest first (soft-deleted ones too with ``deleted``)."""
    query = (
        sa.select(_V.version, _V.deleted_at, _S.id, _S.schema_type, _S.schema_text)
        .join(registry_schemas, _S.id == _V.schema_id)
        .where(_V.project == project, _V.subject == subject)
        .order_by(_V.version)
    )
    if not deleted:
        query = query.where(_V.deleted_at.is_(None))
    return [
        Version(
            subject,
            int(r.version),
            StoredSchema(int(r.id), r.schema_type, r.schema_text),
            r.deleted_at is not None,
        )
        for r in conn.execute(query)
    ]


def insert_version(
    conn: Connection,
    project: str,
    *,
    subject: str,
    version: int,
    schema_id: int,
    at: datetime,
    by: str,
) -> None:
    conn.execute(
        registry_versions.insert().values(
            project=project,
            subject=subject,
            version=version,
            schema_id=schema_id,
            created_at=at,
            created_by=by,
        )
    )


def subject_lock_key(project: str, subject: str) -> int:
    """The signed 64-bit PostgreSQL advisory lock key of a project's subject."""
    named = b"readiness.schemas\x00" + project.encode() + b"\x00" + subject.encode()
    return int.from_bytes(hashlib.sha256(named).digest()[:8], "big", signed=True)


def lock_subject(conn: Connection, project: str, subject: str) -> None:
    """Hold the subject until ``conn``'s transaction ends: the transaction's first statement.

    A subject has no row of its own to lock ``FOR UPDATE`` (and its first registration has no
    row at all), so PostgreSQL takes a transaction advisory lock on (project, subject), and
    SQLite, which has one writer at a time anyway, takes its write lock (``BEGIN IMMEDIATE``,
    waiting behind other writers as :mod:`readiness.storage.retry` allows) before anything is
    read. Whoever holds it reads the subject's versions knowing that nobody registers after
    them until it commits."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key)"),
            {"key": subject_lock_key(project, subject)},
        )
    else:
        dbapi: Any = conn.connection.dbapi_connection
        begin_immediate(dbapi, database=str(conn.engine.url.database))


def subjects(conn: Connection, project: str, *, deleted: bool = False) -> list[str]:
    query = sa.select(_V.subject).where(_V.project == project)
    if not deleted:
        query = query.where(_V.deleted_at.is_(None))
    rows = conn.execute(query.distinct().order_by(_V.subject))
    return [str(r.subject) for r in rows]


def subjects_of_schema(
    conn: Connection, project: str, schema_id: int, *, deleted: bool = False
) -> list[tuple[str, int]]:
    query = sa.select(_V.subject, _V.version).where(
        _V.project == project, _V.schema_id == schema_id
    )
    if not deleted:
        query = query.where(_V.deleted_at.is_(None))
    rows = conn.execute(query.order_by(_V.subject, _V.version))
    return [(str(r.subject), int(r.version)) for r in rows]


def config(conn: Connection, project: str, subject: str) -> str | None:
    c = registry_config.c
    value = conn.execute(
        sa.select(c.compatibility).where(c.project == project, c.subject == subject)
    ).scalar()
    return None if value is None else str(value)


def set_config(conn: Connection, project: str, subject: str, mode: str, at: datetime) -> None:
    c = registry_config.c
    where = (c.project == project) & (c.subject == subject)
    updated = conn.execute(
        registry_config.update().where(where).values(compatibility=mode, updated_at=at)
    )
    if updated.rowcount == 0:
        conn.execute(
            registry_config.insert().values(
                project=project, subject=subject, compatibility=mode, updated_at=at
            )
        )


# ---------------------------------------------------------------- deletes and references

_R = registry_references.c


@dataclass(frozen=True)
class Reference:
    """A schema's reference to another subject's version, by the name the schema uses."""

    name: str
    subject: str
    version: int

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "subject": self.subject, "version": self.version}


def last_version_number(conn: Connection, project: str, subject: str) -> int:
    """The highest version number the subject holds, soft-deleted ones included (0: none)."""
    value = conn.execute(
        sa.select(sa.func.max(_V.version)).where(_V.project == project, _V.subject == subject)
    ).scalar()
    return int(value or 0)


def soft_delete(
    conn: Connection, project: str, subject: str, numbers: list[int], at: datetime
) -> None:
    conn.execute(
        registry_versions.update()
        .where(_V.project == project, _V.subject == subject, _V.version.in_(numbers))
        .values(deleted_at=at)
    )


def hard_delete(conn: Connection, project: str, subject: str, numbers: list[int]) -> None:
    conn.execute(
        registry_versions.delete().where(
            _V.project == project, _V.subject == subject, _V.version.in_(numbers)
        )
    )


def delete_config(conn: Connection, project: str, subject: str) -> None:
    c = registry_config.c
    conn.execute(registry_config.delete().where(c.project == project, c.subject == subject))


def references_of(conn: Connection, project: str, schema_id: int) -> list[Reference]:
    rows = conn.execute(
        sa.select(_R.name, _R.subject, _R.version)
        .where(_R.project == project, _R.schema_id == schema_id)
        .order_by(_R.position)
    )
    return [Reference(str(r.name), str(r.subject), int(r.version)) for r in rows]


def insert_references(
    conn: Connection, project: str, schema_id: int, references: list[Reference]
) -> None:
    if references:
        conn.execute(
            registry_references.insert(),
            [
                {
                    "project": project,
                    "schema_id": schema_id,
                    "position": i,
                    "name": ref.name,
                    "subject": ref.subject,
                    "version": ref.version,
                }
                for i, ref in enumerate(references)
            ],
        )


def referenced_by(
    conn: Connection, project: str, subject: str, version: int, *, deleted: bool = False
) -> list[int]:
    """The ids of the schemas, registered in a (live unless ``deleted``) version, that
    reference ``subject`` version ``version``."""
    query = (
        sa.select(_R.schema_id)
        .join(registry_versions, (_V.project == _R.project) & (_V.schema_id == _R.schema_id))
        .where(_R.project == project, _R.subject == subject, _R.version == version)
    )
    if not deleted:
        query = query.where(_V.deleted_at.is_(None))
    return sorted({int(r.schema_id) for r in conn.execute(query)})


# ---------------------------------------------------------------- the catalog page


@dataclass(frozen=True)
class VersionInfo:
    """A version as the catalog shows it: who registered it and when (soft deletes too)."""

    subject: str
    version: int
    schema_id: int
    schema_type: str
    created_at: datetime
    created_by: str
    deleted: bool


def version_infos(conn: Connection, project: str, subject: str | None = None) -> list[VersionInfo]:
    """Every version of the project (or of one subject), soft-deleted ones included, by
    subject then version."""
    query = (
        sa.select(
            _V.subject,
            _V.version,
            _V.schema_id,
            _S.schema_type,
            _V.created_at,
            _V.created_by,
            _V.deleted_at,
        )
        .join(registry_schemas, _S.id == _V.schema_id)
        .where(_V.project == project)
        .order_by(_V.subject, _V.version)
    )
    if subject is not None:
        query = query.where(_V.subject == subject)
    return [
        VersionInfo(
            str(r.subject),
            int(r.version),
            int(r.schema_id),
            str(r.schema_type),
            r.created_at,
            str(r.created_by),
            r.deleted_at is not None,
        )
        for r in conn.execute(query)
    ]
