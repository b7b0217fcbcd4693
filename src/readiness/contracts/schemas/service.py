"""The schema registry's use cases: register, look up, read, test compatibility, configure.

Every subject, version, schema and setting belongs to the service's project; schema ids are
global (one sequence for all projects) and stable (the same schema in a project keeps its id
in every subject). Registering a version and changing a setting write a platform audit event
in the same transaction (``schemas.version.registered``, ``schemas.config.set``).

Writes to a subject's versions run in a transaction that holds the subject
(:meth:`SchemaRegistry.locked`): a registration checks compatibility against, and numbers
itself after, the versions that are there when it commits, and governance evaluates a
candidate in the same transaction that registers it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from readiness._common.clock import Clock
from readiness.audit.outbox.service import record
from readiness.contracts.schemas import deletes, resolution
from readiness.contracts.schemas.core import formats
from readiness.contracts.schemas.core.compat import (
    DEFAULT_MODE,
    Incompatibility,
    check_against,
    check_mode,
)
from readiness.contracts.schemas.store import registry as store
from readiness.errors import (
    IncompatibleSchemaError,
    InputError,
    SchemaNotFoundError,
    SubjectNotFoundError,
    VersionNotFoundError,
)
from readiness.storage.engine import Stores

GLOBAL = ""


@dataclass(frozen=True)
class CompatibilityResult:
    compatible: bool
    mode: str
    incompatibilities: list[Incompatibility]

    @property
    def messages(self) -> list[str]:
        return [i.message() for i in self.incompatibilities]


@dataclass
class SchemaRegistry:
    stores: Stores
    clock: Clock
    project: str
    actor: str = "cli"
    _project_ready: bool = False

    def _ensure_project(self) -> None:
        if not self._project_ready:
            from readiness.projects.service import ProjectService

            ProjectService(stores=self.stores, clock=self.clock, actor=self.actor).ensure(
                self.project
            )
            self._project_ready = True

    # ------------------------------------------------------------------ reads

    def subjects(self, *, deleted: bool = False) -> list[str]:
        with self.stores.state.connect() as conn:
            return store.subjects(conn, self.project, deleted=deleted)

    def versions(self, subject: str, *, deleted: bool = False) -> list[store.Version]:
        """The subject's live versions (soft-deleted ones too with ``deleted``), oldest first."""
        with self.stores.state.connect() as conn:
            return self.versions_in(conn, subject, deleted=deleted)

    def versions_in(
        self, conn: Connection, subject: str, *, deleted: bool = False
    ) -> list[store.Version]:
        """:meth:`versions` read on ``conn``."""
        found = store.versions(conn, self.project, subject, deleted=deleted)
        if not found:
            raise SubjectNotFoundError(f"subject {subject!r} not found")
        return found

    def version(self, subject: str, version: str | int, *, deleted: bool = False) -> store.Version:
        found = self.versions(subject, deleted=deleted)
        if str(version) in ("latest", "-1"):
            return found[-1]
        try:
            number = int(version)
        except ValueError:
            raise VersionNotFoundError(f"version {version!r} is not a number or 'latest'") from None
        for item in found:
            if item.version == number:
                return item
        raise VersionNotFoundError(f"version {number} of subject {subject!r} not found")

    def schema(self, schema_id: int) -> store.StoredSchema:
        with self.stores.state.connect() as conn:
            found = store.schema_by_id(conn, self.project, schema_id)
            if found is not None and not store.subjects_of_schema(
                conn, self.project, schema_id, deleted=True
            ):
                found = None  # every version holding it was permanently deleted (Confluent)
        if found is None:
            raise SchemaNotFoundError(f"schema {schema_id} not found")
        return found

    def usages(self, schema_id: int, *, deleted: bool = False) -> list[tuple[str, int]]:
        self.schema(schema_id)
        with self.stores.state.connect() as conn:
            return store.subjects_of_schema(conn, self.project, schema_id, deleted=deleted)

    def lookup(
        self,
        subject: str,
        text: str,
        schema_type: str | None = None,
        references: list[store.Reference] | None = None,
        *,
        deleted: bool = False,
    ) -> store.Version:
        """The subject's version holding this schema (40401 unknown subject, 40403 not held)."""
        kind = formats.schema_type(schema_type)
        found = self.versions(subject, deleted=deleted)
        with self.stores.state.connect() as conn:
            _, fp = self._resolve(conn, kind, text, references or [])
            for item in found:
                if item.schema.schema_type == kind and self._fingerprint(conn, item.schema) == fp:
                    return item
        raise SchemaNotFoundError(f"subject {subject!r} does not hold this schema")

    def compatibility(self, subject: str | None = None) -> str:
        """The mode in force: the subject's, else the project's global one, else BACKWARD."""
        with self.stores.state.connect() as conn:
            return self.compatibility_in(conn, subject)

    def compatibility_in(self, conn: Connection, subject: str | None = None) -> str:
        """:meth:`compatibility` read on ``conn``."""
        mode = store.config(conn, self.project, subject) if subject else None
        return mode or store.config(conn, self.project, GLOBAL) or DEFAULT_MODE

    def subject_config(self, subject: str) -> str | None:
        with self.stores.state.connect() as conn:
            return store.config(conn, self.project, subject)

    # ----------------------------------------------------------- compatibility

    def test(
        self,
        subject: str,
        text: str,
        schema_type: str | None = None,
        version: str | int | None = None,
        references: list[store.Reference] | None = None,
    ) -> CompatibilityResult:
        """Would ``text`` be accepted: against one version (``version``) with the mode's direction,
        or (None) against what the mode asks for (latest, or all for ``_TRANSITIVE``)."""
        if version is not None:
            kind = formats.schema_type(schema_type)
            mode = self.compatibility(subject).removesuffix("_TRANSITIVE")
            with self.stores.state.connect() as conn:
                document, _ = self._resolve(conn, kind, text, references or [])
                existing = [self.version(subject, version)]
                found = self._incompatibilities(conn, kind, mode, document, existing)
            return CompatibilityResult(not found, mode, found)
        with self.stores.state.connect() as conn:
            return self.test_in(conn, subject, text, schema_type, references)

    def test_in(
        self,
        conn: Connection,
        subject: str,
        text: str,
        schema_type: str | None = None,
        references: list[store.Reference] | None = None,
    ) -> CompatibilityResult:
        """:meth:`test` against what the mode asks for, read on ``conn``."""
        kind = formats.schema_type(schema_type)
        mode = self.compatibility_in(conn, subject)
        document, _ = self._resolve(conn, kind, text, references or [])
        existing = store.versions(conn, self.project, subject)
        found = self._incompatibilities(conn, kind, mode, document, existing)
        return CompatibilityResult(not found, mode, found)

    def _incompatibilities(
        self, conn: Any, kind: str, mode: str, document: Any, existing: list[store.Version]
    ) -> list[Incompatibility]:
        same_kind = [v for v in existing if v.schema.schema_type == kind]
        if len(same_kind) != len(existing) and check_mode(mode) != "NONE":
            return [
                Incompatibility(
                    "#",
                    "schema_type_changed",
                    existing[-1].schema.schema_type,
                    kind,
                    "a subject keeps one schema type",
                )
            ]
        olds = [self.document(conn, v.schema) for v in same_kind]
        return check_against(formats.checker(kind), mode, document, olds)

    # ------------------------------------------------------------- references

    def _resolve(
        self, conn: Any, kind: str, text: str, refs: list[store.Reference]
    ) -> tuple[Any, str]:
        """The schema as one checkable document and its fingerprint (:mod:`.resolution`)."""
        return resolution.resolve(conn, self.project, kind, text, refs)

    def document(self, conn: Any, schema: store.StoredSchema) -> Any:
        """A stored schema as one checkable document (references bundled in)."""
        refs = store.references_of(conn, self.project, schema.id)
        return self._resolve(conn, schema.schema_type, schema.text, refs)[0]

    def _fingerprint(self, conn: Any, schema: store.StoredSchema) -> str:
        refs = store.references_of(conn, self.project, schema.id)
        return self._resolve(conn, schema.schema_type, schema.text, refs)[1]

    def references(self, schema_id: int) -> list[store.Reference]:
        with self.stores.state.connect() as conn:
            return store.references_of(conn, self.project, schema_id)

    def referenced_by(self, subject: str, version: str | int) -> list[int]:
        """The ids of live schemas referencing the subject's version (Confluent's
        ``referencedby``)."""
        item = self.version(subject, version, deleted=True)
        with self.stores.state.connect() as conn:
            return store.referenced_by(conn, self.project, subject, item.version)

    # ----------------------------------------------------------------- writes

    @contextmanager
    def locked(self, subject: str) -> Iterator[Connection]:
        """A write transaction of the project that holds ``subject`` from its first statement
        (:func:`store.lock_subject`): what it reads of the subject's versions stays true until
        it commits."""
        self._ensure_project()
        with self.stores.state.begin() as conn:
            store.lock_subject(conn, self.project, subject)
            yield conn

    def register(
        self,
        subject: str,
        text: str,
        schema_type: str | None = None,
        references: list[store.Reference] | None = None,
    ) -> store.Version:
        """Register ``text`` under ``subject``: its existing version when it is already there,
        else a new version when compatible (:class:`IncompatibleSchemaError` otherwise).
        Soft-deleted versions are neither matched nor checked against: registering a
        soft-deleted schema again makes a new version."""
        check_subject(subject)
        with self.locked(subject) as conn:
            return self.register_locked(conn, subject, text, schema_type, references)

    def register_locked(
        self,
        conn: Connection,
        subject: str,
        text: str,
        schema_type: str | None = None,
        references: list[store.Reference] | None = None,
    ) -> store.Version:
        """:meth:`register` in a transaction of :meth:`locked` that holds ``subject``."""
        check_subject(subject)
        kind = formats.schema_type(schema_type)
        refs = list(references or [])
        at = self.clock.now()
        document, fp = self._resolve(conn, kind, text, refs)
        existing = store.versions(conn, self.project, subject)
        for item in existing:
            if item.schema.schema_type == kind and self._fingerprint(conn, item.schema) == fp:
                return item
        mode = self.compatibility_in(conn, subject)
        found = self._incompatibilities(conn, kind, mode, document, existing)
        if found:
            raise IncompatibleSchemaError(
                f"Schema being registered is incompatible with an earlier schema for subject "
                f"{subject!r} ({mode}): " + "; ".join(i.message() for i in found[:5]),
                details={"messages": [i.message() for i in found], "mode": mode},
            )
        stored = store.stored_schema(
            conn, self.project, schema_type=kind, fingerprint=fp, text=text, at=at, references=refs
        )
        number = store.last_version_number(conn, self.project, subject) + 1
        store.insert_version(
            conn,
            self.project,
            subject=subject,
            version=number,
            schema_id=stored.id,
            at=at,
            by=self.actor,
        )
        record(
            conn,
            clock=self.clock,
            actor=self.actor,
            action="schemas.version.registered",
            target_type="schema_subject",
            target_id=subject,
            details={
                "project": self.project,
                "version": number,
                "schema_id": stored.id,
                "schema_type": kind,
                "compatibility": mode,
                **({"references": [r.as_dict() for r in refs]} if refs else {}),
            },
        )
        return store.Version(subject, number, stored)

    def set_compatibility(self, mode: str, subject: str | None = None) -> str:
        """Set the subject's (or with None the project's global) compatibility mode."""
        mode = check_mode(mode)
        self._ensure_project()
        with self.stores.state.begin() as conn:
            store.set_config(conn, self.project, subject or GLOBAL, mode, self.clock.now())
            record(
                conn,
                clock=self.clock,
                actor=self.actor,
                action="schemas.config.set",
                target_type="schema_subject" if subject else "project",
                target_id=subject or self.project,
                details={"project": self.project, "compatibility": mode},
            )
        return mode

    # ---------------------------------------------------------------- deletes

    def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        """Soft delete every live version of ``subject``, or with ``permanent`` remove the
        soft-deleted ones for good (:func:`.deletes.delete_subject`)."""
        return deletes.delete_subject(self, subject, permanent=permanent)

    def delete_version(self, subject: str, version: str | int, *, permanent: bool = False) -> int:
        """Soft delete one version, or with ``permanent`` remove a soft-deleted one
        (:func:`.deletes.delete_version`)."""
        return deletes.delete_version(self, subject, version, permanent=permanent)


def check_subject(subject: str) -> None:
    """:class:`InputError` unless ``subject`` is a valid subject name."""
    if not subject or len(subject) > 255:
        raise InputError("a subject name is 1 to 255 characters")
