"""Stored lint reports: the ``migration_reports`` table (state database, revision
``0014_migration_reports``) and its queries.

One row per ``migrations lint`` result of a project, written when the merge gate runs the
``migrations.lint`` check (with a local store) and by ``readiness migrations lint --record``.
The findings and unparseable files are a JSON array read whole with their report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from readiness._common.clock import Clock, utc
from readiness.migrations.model import LintReport
from readiness.storage.engine import Stores
from readiness.storage.metadata import state_metadata
from readiness.storage.projects import project_column

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SOURCES = ("gate", "cli")
HISTORY = 10
SERVICE_NAME = "migrations_reports"

migration_reports = sa.Table(
    "migration_reports",
    state_metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    project_column(),
    sa.Column("source", sa.String(10), nullable=False),
    sa.Column("fail_on", sa.String(10), nullable=False),
    sa.Column("failed", sa.Boolean, nullable=False),
    sa.Column("files", sa.Integer, nullable=False),
    sa.Column("statements", sa.Integer, nullable=False),
    sa.Column("suppressed", sa.Integer, nullable=False),
    sa.Column("findings", sa.JSON, nullable=False),
    sa.Column("errors", sa.JSON, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_migration_reports_project_at", "project", "at"),
)


@dataclass(frozen=True)
class StoredReport:
    """One stored lint result."""

    id: int
    project: str
    source: str
    fail_on: str
    failed: bool
    files: int
    statements: int
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
            "files": self.files,
            "statements": self.statements,
            "suppressed": self.suppressed,
            "findings": self.findings,
            "errors": self.errors,
            "at": self.at.isoformat(),
        }


def insert_report(
    engine: Engine,
    project: str,
    report: LintReport,
    *,
    source: str,
    fail_on: str,
    failed: bool,
    at: datetime,
    root: str = "",
) -> int:
    """Store ``report`` of ``project`` (file names relative to ``root``); its id."""
    prefix = root.rstrip("/") + "/" if root else ""
    values: dict[str, Any] = {
        "project": project,
        "source": source,
        "fail_on": fail_on,
        "failed": failed,
        "files": report.files,
        "statements": report.statements,
        "suppressed": report.suppressed,
        "findings": [{**f.as_dict(), "file": f.file.removeprefix(prefix)} for f in report.findings],
        "errors": [{**e.as_dict(), "file": e.file.removeprefix(prefix)} for e in report.errors],
    }
    with engine.begin() as conn:
        return int(
            conn.execute(
                migration_reports.insert().values(**values, at=at).returning(migration_reports.c.id)
            ).scalar_one()
        )


def list_reports(engine: Engine, project: str, *, limit: int = HISTORY) -> list[StoredReport]:
    """The newest ``limit`` reports of ``project``, newest first."""
    query = (
        sa.select(migration_reports)
        .where(migration_reports.c.project == project)
        .order_by(migration_reports.c.at.desc(), migration_reports.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        StoredReport(
            row.id,
            row.project,
            row.source,
            row.fail_on,
            bool(row.failed),
            row.files,
            row.statements,
            row.suppressed,
            list(row.findings),
            list(row.errors),
            utc(row.at),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class ReportRecorder:
    """Stores lint reports of ``project`` (the gate check finds it in its services)."""

    stores: Stores
    project: str
    clock: Clock
    source: str = "gate"
    root: str = ""  # the project directory: stored file names are relative to it

    def record(self, report: LintReport, *, fail_on: str, failed: bool, at: datetime) -> int:
        """Store ``report`` made at ``at`` (creating the project when missing); its id."""
        from readiness.projects.service import ProjectService

        ProjectService(stores=self.stores, clock=self.clock, actor="migrations").ensure(
            self.project
        )
        return insert_report(
            self.stores.state,
            self.project,
            report,
            source=self.source,
            fail_on=fail_on,
            failed=failed,
            at=at,
            root=self.root,
        )
