"""A linter's report table in the state database and its queries (SQLAlchemy Core).

One row per stored lint result of a project: who stored it (``gate`` or ``cli``) and when, the
threshold and the verdict, the linter's counts (integers, in its own order) and its findings
and unlinted files as JSON arrays read whole with their report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from readiness._common.clock import utc
from readiness.storage.metadata import state_metadata
from readiness.storage.projects import project_column

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
#: Reports a page shows and the API answers by default.
HISTORY = 10


def report_table(name: str, counts: Sequence[str]) -> sa.Table:
    """The report table ``name`` with the integer columns ``counts`` in that order (the
    revision that creates it must match: ``0014_migration_reports``, ``0015_log_reports``)."""
    return sa.Table(
        name,
        state_metadata,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        project_column(),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("fail_on", sa.String(10), nullable=False),
        sa.Column("failed", sa.Boolean, nullable=False),
        *(sa.Column(count, sa.Integer, nullable=False) for count in counts),
        sa.Column("findings", sa.JSON, nullable=False),
        sa.Column("errors", sa.JSON, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Index(f"ix_{name}_project_at", "project", "at"),
    )


@dataclass(frozen=True)
class StoredReport:
    """One stored lint result. A linter's subclass adds its own counts as fields and names all
    of them in ``COUNTS``, in the order of its table and of its JSON."""

    COUNTS: ClassVar[tuple[str, ...]] = ("files", "suppressed")

    id: int
    project: str
    source: str
    fail_on: str
    failed: bool
    files: int
    suppressed: int
    findings: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project": self.project,
            "source": self.source,
            "fail_on": self.fail_on,
            "failed": self.failed,
            **{count: getattr(self, count) for count in self.COUNTS},
            "findings": self.findings,
            "errors": self.errors,
            "at": self.at.isoformat(),
        }


ReportT = TypeVar("ReportT", bound=StoredReport)


class ReportStore(Generic[ReportT]):
    """The stored reports of one linter: its table (named ``name``, with the counts of
    ``report_type``) and the queries on it."""

    def __init__(self, name: str, report_type: type[ReportT]) -> None:
        self.report_type = report_type
        self.table = report_table(name, report_type.COUNTS)

    def insert(
        self,
        engine: Engine,
        project: str,
        *,
        source: str,
        fail_on: str,
        failed: bool,
        counts: Mapping[str, int],
        findings: list[dict[str, Any]],
        errors: list[dict[str, Any]],
        at: datetime,
    ) -> int:
        """Store one report of ``project``; its id. ``counts`` has every name of ``COUNTS``."""
        values: dict[str, Any] = {
            "project": project,
            "source": source,
            "fail_on": fail_on,
            "failed": failed,
            **{count: counts[count] for count in self.report_type.COUNTS},
            "findings": findings,
            "errors": errors,
            "at": at,
        }
        with engine.begin() as conn:
            inserted = conn.execute(self.table.insert().values(**values).returning(self.table.c.id))
            return int(inserted.scalar_one())

    def list(self, engine: Engine, project: str, *, limit: int = HISTORY) -> list[ReportT]:
        """The newest ``limit`` reports of ``project``, newest first."""
        table = self.table
        query = (
            sa.select(table)
            .where(table.c.project == project)
            .order_by(table.c.at.desc(), table.c.id.desc())
            .limit(limit)
        )
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            self.report_type(
                id=row.id,
                project=row.project,
                source=row.source,
                fail_on=row.fail_on,
                failed=bool(row.failed),
                findings=list(row.findings),
                errors=list(row.errors),
                at=utc(row.at),
                **{count: row._mapping[count] for count in self.report_type.COUNTS},
            )
            for row in rows
        ]
