"""The schema registry's use cases: register, look up, read, test compatibility, configure.

Every subject, version, schema and setting belongs to the service's project; schema ids are
global (one sequence for all projects) and stable (the same schema in a project keeps its id
in every subject). Registering a version and changing a setting write a platform audit event
in the same transaction (``schemas.version.registered``, ``schemas.config.set``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from readiness._common.clock import Clock
from readiness.audit.outbox.service import record
from readiness.contracts.schemas import formats, store
from readiness.contracts.schemas.compat import (
    DEFAULT_MODE,
    Incompatibility,
    check_against,
    check_mode,
)
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

    def subjects(self) -> list[str]:
        with self.stores.state.connect() as conn:
            return store.subjects(conn, self.project)

    def versions(self, subject: str) -> list[store.Version]:
        with self.stores.state.connect() as conn:
            found = store.versions(conn, self.project, subject)
        if not found:
            raise SubjectNotFoundError(f"subject {subject!r} not found")
        return found

    def version(self, subject: str, version: str | int) -> store.Version:
        found = self.versions(subject)
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
        if found is None:
            raise SchemaNotFoundError(f"schema {schema_id} not found")
        return found

    def usages(self, schema_id: int) -> list[tuple[str, int]]:
        self.schema(schema_id)
        with self.stores.state.connect() as conn:
            return store.subjects_of_schema(conn, self.project, schema_id)

    def lookup(self, subject: str, text: str, schema_type: str | None = None) -> store.Version:
        """The subject's version holding this schema (40401 unknown subject, 40403 not held)."""
        kind = formats.schema_type(schema_type)
        fp = formats.fingerprint(formats.parse(text, kind))
        for item in self.versions(subject):
            if (
                item.schema.schema_type == kind
                and formats.fingerprint(formats.parse(item.schema.text, kind)) == fp
            ):
                return item
        raise SchemaNotFoundError(f"subject {subject!r} does not hold this schema")

    def compatibility(self, subject: str | None = None) -> str:
        """The mode in force: the subject's, else the project's global one, else BACKWARD."""
        with self.stores.state.connect() as conn:
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
    ) -> CompatibilityResult:
        """Would ``text`` be accepted: against one version (``version``) with the mode's direction,
        or (None) against what the mode asks for (latest, or all for ``_TRANSITIVE``)."""
        kind = formats.schema_type(schema_type)
        document = formats.parse(text, kind)
        mode = self.compatibility(subject)
        with self.stores.state.connect() as conn:
            existing = store.versions(conn, self.project, subject)
        if version is not None:
            existing = [self.version(subject, version)]
            mode = mode.removesuffix("_TRANSITIVE")
        found = self._incompatibilities(kind, mode, document, existing)
        return CompatibilityResult(not found, mode, found)

    def _incompatibilities(
        self, kind: str, mode: str, document: Any, existing: list[store.Version]
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
        olds = [formats.parse(v.schema.text, kind) for v in same_kind]
        return check_against(formats.checker(kind), mode, document, olds)

    # ----------------------------------------------------------------- writes

    def register(self, subject: str, text: str, schema_type: str | None = None) -> store.Version:
        """Register ``text`` under ``subject``: its existing version when it is already there,
        else a new version when compatible (:class:`IncompatibleSchemaError` otherwise)."""
        if not subject or len(subject) > 255:
            raise InputError("a subject name is 1 to 255 characters")
        kind = formats.schema_type(schema_type)
        document = formats.parse(text, kind)
        fp = formats.fingerprint(document)
        self._ensure_project()
        at = self.clock.now()
        with self.stores.state.begin() as conn:
            existing = store.versions(conn, self.project, subject)
            for item in existing:
                if (
                    item.schema.schema_type == kind
                    and formats.fingerprint(formats.parse(item.schema.text, kind)) == fp
                ):
                    return item
            mode = (
                store.config(conn, self.project, subject)
                or store.config(conn, self.project, GLOBAL)
                or DEFAULT_MODE
            )
            found = self._incompatibilities(kind, mode, document, existing)
            if found:
                raise IncompatibleSchemaError(
                    f"Schema being registered is incompatible with an earlier schema for subject "
                    f"{subject!r} ({mode}): " + "; ".join(i.message() for i in found[:5]),
                    details={"messages": [i.message() for i in found], "mode": mode},
                )
            stored = store.schema_by_fingerprint(conn, self.project, kind, fp)
            if stored is None:
                stored = store.insert_schema(
                    conn, self.project, schema_type=kind, fingerprint=fp, text=text, at=at
                )
            number = existing[-1].version + 1 if existing else 1
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
