"""Stored log-lint reports: the ``log_reports`` table (state database, revision
``0015_log_reports``) and its queries.

One row per ``logs lint`` result of a project, written when the merge gate runs the
``logs.no_pii_in_log_calls`` check (with a local store) and by ``readiness logs lint --record``.
Findings and files that could not be linted are JSON arrays read whole with their report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from readiness._common.clock import Clock, utc
from readiness.logcheck.lint import LintReport
from readiness.storage.engine import Stores
from readiness.storage.metadata import state_metadata
from readiness.storage.projects import project_column

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
HISTORY = 10
SERVICE_NAME = "logcheck_reports"
MAX_STORED = 500  # findings kept per report: the page shows the newest report, not a dump

log_reports = sa.Table(
    "log_reports",
    state_metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    project_column(),
    sa.Column("source", sa.String(10), nullable=False),
    sa.Column("fail_on", sa.String(10), nullable=False),
    sa.Column("failed", sa.Boolean, nullable=False),
    sa.Column("files", sa.Integer, nullable=False),
    sa.Column("suppressed", sa.Integer, nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("findings", sa.JSON, nullable=False),
    sa.Column("errors", sa.JSON, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_log_reports_project_at", "project", "at"),
)


@dataclass(frozen=True)
class StoredReport:
    """One stored lint result; ``total`` counts the findings, ``findings`` keeps MAX_STORED."""

    id: int
    project: str
    source: str
    fail_on: str
    failed: bool
    files: int
    suppressed: int
    total: int
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
            "suppressed": self.suppressed,
            "total": self.total,
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
) -> int:
    """Store ``report`` of ``project``; its id."""
    values: dict[str, Any] = {
        "project": project,
        "source": source,
        "fail_on": fail_on,
        "failed": failed,
        "files": report.files,
        "suppressed": report.suppressed,
        "total": len(report.findings),
        "findings": [f.as_dict() for f in report.findings[:MAX_STORED]],
        "errors": [e.as_dict() for e in report.errors[:MAX_STORED]],
        "at": at,
    }
    with engine.begin() as conn:
        return int(
            conn.execute(
                log_reports.insert().values(**values).returning(log_reports.c.id)
            ).scalar_one()
        )


def list_reports(engine: Engine, project: str, *, limit: int = HISTORY) -> list[StoredReport]:
    """The newest ``limit`` reports of ``project``, newest first."""
    query = (
        sa.select(log_reports)
        .where(log_reports.c.project == project)
        .order_by(log_reports.c.at.desc(), log_reports.c.id.desc())
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
            row.suppressed,
            row.total,
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

    def record(self, report: LintReport, *, fail_on: str, failed: bool, at: datetime) -> int:
        """Store ``report`` made at ``at`` (creating the project when missing); its id."""
        from readiness.projects.service import ProjectService

        ProjectService(stores=self.stores, clock=self.clock, actor="logcheck").ensure(self.project)
        return insert_report(
            self.stores.state,
            self.project,
            report,
            source=self.source,
            fail_on=fail_on,
            failed=failed,
            at=at,
        )
