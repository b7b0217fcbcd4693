"""Project use cases: list, create, rename, delete (each change audited) and look-ups.

Every surface (CLI, API, dashboard) goes through this service; features receive the chosen
project's name and store it in their ``project`` columns.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy.engine import Connection

from readiness._common.clock import Clock
from readiness._common.project_names import check_lookup_name, validate_project_name
from readiness.audit.service import record, relay_after_commit
from readiness.errors import NotFoundError
from readiness.projects.access import check_allowed, choose_project
from readiness.storage import projects as store
from readiness.storage.engine import Stores
from readiness.storage.projects import OnChange, Project

LEGACY_DEFAULT = "default"


class ProjectService:
    """The projects of one deployment (state database); changes go to the audit trail."""

    def __init__(self, *, stores: Stores, clock: Clock, actor: str = "cli") -> None:
        self._stores = stores
        self._clock = clock
        self._actor = actor

    def list(self, *, allowed: Collection[str] | None = None) -> list[Project]:
        """Every project by name, or only those in ``allowed`` (a limited token's list)."""
        found = store.list_projects(self._stores.state)
        return found if allowed is None else [p for p in found if p.name in allowed]

    def find(self, name: str) -> Project | None:
        """The project called ``name``, or None."""
        return store.get_project(self._stores.state, check_lookup_name(name))

    def get(self, name: str, *, allowed: Collection[str] | None = None) -> Project:
        """The project called ``name``; NotFoundError naming the known ones when missing."""
        found = self.find(name)
        if found is None:
            known = [p.name for p in self.list(allowed=allowed)]
            listing = ", ".join(known) if known else "none yet"
            raise NotFoundError(
                f"project {name!r} does not exist (known: {listing}); "
                f"an admin creates it with `readiness projects create {name}`",
                details={"project": name, "known": known},
            )
        return found

    def resolve(
        self, requested: str | None, *, allowed: Collection[str] | None, default: str, token: str
    ) -> Project:
        """The project a call acts on (see ``access.choose_project``), checked and looked up.

        A limited token naming a project outside its list gets PermissionDeniedError before
        any look-up; otherwise an unknown project is NotFoundError.
        """
        name = choose_project(requested, allowed=allowed, default=default)
        check_lookup_name(name)
        check_allowed(name, allowed=allowed, token=token)
        return self.get(name, allowed=allowed)

    def create(self, name: str) -> Project:
        """Create a project; ConflictError when the name is taken."""
        validate_project_name(name)
        project = store.insert_project(
            self._stores.state,
            name,
            at=self._clock.now(),
            by=self._actor,
            on_change=self._audit("project.create"),
        )
        relay_after_commit(self._stores, self._clock)
        return project

    def ensure(self, name: str) -> Project:
        """The project ``name``, created (and audited) when missing: local writes use this."""
        found = self.find(name)
        if found is not None:
            return found
        validate_project_name(name)
        project, created = store.ensure_project(
            self._stores.state,
            name,
            at=self._clock.now(),
            by=self._actor,
            on_change=self._audit("project.create", on_demand=True),
        )
        if created:
            relay_after_commit(self._stores, self._clock)
        return project

    def rename(self, old: str, new: str) -> Project:
        """Rename a project; every feature's rows follow (one statement, same transaction)."""
        project = self.get(old)
        validate_project_name(new, what="new project name")
        if new == old:
            return project
        store.rename_project(
            self._stores.state,
            old,
            new,
            on_change=self._audit("project.rename", **{"from": old, "to": new}),
        )
        relay_after_commit(self._stores, self._clock)
        return self.get(new)

    def delete(self, name: str) -> Project:
        """Delete an empty project (ConflictError while it holds data)."""
        project = self.get(name)
        store.delete_project(self._stores.state, name, on_change=self._audit("project.delete"))
        relay_after_commit(self._stores, self._clock)
        return project

    def legacy_hint(self, configured: str) -> str | None:
        """A one-line hint when all data sits in ``default`` but ``configured`` differs.

        That is where a shared database upgraded from before projects keeps its history.
        """
        names = [p.name for p in self.list()]
        if names != [LEGACY_DEFAULT] or configured == LEGACY_DEFAULT:
            return None
        return (
            f"existing data is in project {LEGACY_DEFAULT!r} but this checkout's project is "
            f"{configured!r}; to move it there run `readiness projects rename "
            f"{LEGACY_DEFAULT} {configured}` (or set project = {LEGACY_DEFAULT!r})"
        )

    def _audit(self, action: str, **details: Any) -> OnChange:
        """The event of a change, written in its transaction by the store."""

        def write(conn: Connection, project: Project) -> None:
            # The id stays fixed across renames, so events about one project can be followed.
            record(
                conn,
                clock=self._clock,
                actor=self._actor,
                action=action,
                target_type="project",
                target_id=str(project.id),
                details={"project": project.name, **details},
            )

        return write
