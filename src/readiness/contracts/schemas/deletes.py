"""The registry's deletes (Confluent's semantics): soft deletes, permanent deletes of what was
soft deleted first, and the refusal while a live schema references a version. Each runs in a
transaction holding the subject (:meth:`SchemaRegistry.locked`) and writes its audit event
there."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

from readiness.audit.outbox.service import record
from readiness.contracts.schemas.store import registry as store
from readiness.errors import (
    ReferenceExistsError,
    SubjectNotFoundError,
    SubjectNotSoftDeletedError,
    SubjectSoftDeletedError,
    VersionNotFoundError,
    VersionNotSoftDeletedError,
    VersionSoftDeletedError,
)

if TYPE_CHECKING:
    from readiness.contracts.schemas.service import SchemaRegistry


def delete_subject(registry: SchemaRegistry, subject: str, *, permanent: bool = False) -> list[int]:
    """Soft delete every live version of ``subject`` (Confluent's ``DELETE /subjects/{s}``),
    or with ``permanent`` remove the soft-deleted ones for good (all must be soft deleted
    first: 40405). Refused (42206) while a live schema references one of them. Returns
    the version numbers deleted; audited as ``schemas.subject.deleted``."""
    with registry.locked(subject) as conn:
        every = store.versions(conn, registry.project, subject, deleted=True)
        if not every:
            raise SubjectNotFoundError(f"subject {subject!r} not found")
        live = [v.version for v in every if not v.deleted]
        if permanent and live:
            raise SubjectNotSoftDeletedError(
                f"subject {subject!r} was not deleted first before being permanently deleted"
            )
        if not permanent and not live:
            raise SubjectSoftDeletedError(f"subject {subject!r} was soft deleted")
        numbers = [v.version for v in every] if permanent else live
        _refuse_referenced(conn, registry.project, subject, numbers, permanent=permanent)
        if permanent:
            store.hard_delete(conn, registry.project, subject, numbers)
            store.delete_config(conn, registry.project, subject)
        else:
            store.soft_delete(conn, registry.project, subject, numbers, registry.clock.now())
        record(
            conn,
            clock=registry.clock,
            actor=registry.actor,
            action="schemas.subject.deleted",
            target_type="schema_subject",
            target_id=subject,
            details={"project": registry.project, "versions": numbers, "permanent": permanent},
        )
    return numbers


def delete_version(
    registry: SchemaRegistry, subject: str, version: str | int, *, permanent: bool = False
) -> int:
    """Soft delete one version (40406 when it already is), or with ``permanent`` remove a
    soft-deleted one (40407 when it is not soft deleted); ``latest`` is the latest live
    version. Refused (42206) while a live schema references it. Audited as
    ``schemas.version.deleted``."""
    with registry.locked(subject) as conn:
        every = store.versions(conn, registry.project, subject, deleted=True)
        if not every:
            raise SubjectNotFoundError(f"subject {subject!r} not found")
        item = _pick(subject, every, version)
        if permanent and not item.deleted:
            raise VersionNotSoftDeletedError(
                f"subject {subject!r} version {item.version} was not deleted first before "
                "being permanently deleted"
            )
        if not permanent and item.deleted:
            raise VersionSoftDeletedError(
                f"subject {subject!r} version {item.version} was soft deleted"
            )
        _refuse_referenced(conn, registry.project, subject, [item.version], permanent=permanent)
        if permanent:
            store.hard_delete(conn, registry.project, subject, [item.version])
        else:
            store.soft_delete(conn, registry.project, subject, [item.version], registry.clock.now())
        record(
            conn,
            clock=registry.clock,
            actor=registry.actor,
            action="schemas.version.deleted",
            target_type="schema_subject",
            target_id=subject,
            details={
                "project": registry.project,
                "version": item.version,
                "schema_id": item.schema.id,
                "permanent": permanent,
            },
        )
    return item.version


def _refuse_referenced(
    conn: Connection, project: str, subject: str, numbers: list[int], *, permanent: bool
) -> None:
    for number in numbers:
        users = store.referenced_by(conn, project, subject, number, deleted=permanent)
        if users:
            raise ReferenceExistsError(
                f"subject {subject!r} version {number} is referenced by schemas {users}",
                details={"subject": subject, "version": number, "referenced_by": users},
            )


def _pick(subject: str, every: list[store.Version], version: str | int) -> store.Version:
    if str(version) in ("latest", "-1"):
        live = [v for v in every if not v.deleted]
        if not live:
            raise VersionNotFoundError(f"subject {subject!r} has no live version")
        return live[-1]
    try:
        number = int(version)
    except ValueError:
        raise VersionNotFoundError(f"version {version!r} is not a number or 'latest'") from None
    for item in every:
        if item.version == number:
            return item
    raise VersionNotFoundError(f"version {number} of subject {subject!r} not found")
