"""What the governance use cases share: the registry they govern, the policy, the project, today
and a subject's schema type."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.engine import Connection

from readiness.config import ContractsSettings
from readiness.contracts.schemas.core import formats
from readiness.contracts.schemas.service import SchemaRegistry
from readiness.errors import SubjectNotFoundError

MAX_NAME = 200


@dataclass
class GovernedRegistry:
    """Governance over one project's registry; ``settings`` holds the policy (cycle, window,
    thresholds, whether registrations are refused). What every governance use case reads."""

    registry: SchemaRegistry
    settings: ContractsSettings = field(default_factory=ContractsSettings)

    @property
    def _project(self) -> str:
        return self.registry.project

    def _today(self) -> date:
        return self.registry.clock.now().date()

    def _kind_of(self, subject: str, schema_type: str | None) -> str:
        if schema_type is not None:
            return formats.schema_type(schema_type)
        with self.registry.stores.state.connect() as conn:
            return self._kind_in(conn, subject)

    def _kind_in(self, conn: Connection, subject: str) -> str:
        """The schema type of the subject's latest version (JSON for a new subject)."""
        try:
            return self.registry.versions_in(conn, subject)[-1].schema.schema_type
        except SubjectNotFoundError:
            return "JSON"
