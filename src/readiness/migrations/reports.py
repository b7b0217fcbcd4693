"""Stored lint reports: the ``migration_reports`` table (state database, revision
``0014_migration_reports``) and its queries, built as every linter's
(:mod:`readiness.lint_reports`).

One row per ``migrations lint`` result of a project, written when the merge gate runs the
``migrations.lint`` check (with a local store) and by ``readiness migrations lint --record``.
The findings and unparseable files are a JSON array read whole with their report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy.engine import Engine

from readiness.lint_reports.recorder import Contents
from readiness.lint_reports.recorder import ReportRecorder as _Recorder
from readiness.lint_reports.store import HISTORY, ReportStore
from readiness.lint_reports.store import StoredReport as _Stored
from readiness.migrations.model import LintReport

__all__ = [
    "HISTORY",
    "REPORTS",
    "SERVICE_NAME",
    "SOURCES",
    "ReportRecorder",
    "StoredReport",
    "list_reports",
    "migration_reports",
]

SOURCES = ("gate", "cli")
SERVICE_NAME = "migrations_reports"


@dataclass(frozen=True)
class StoredReport(_Stored):
    """One stored lint result; every finding is kept."""

    COUNTS: ClassVar[tuple[str, ...]] = ("files", "statements", "suppressed")

    statements: int

    @property
    def total(self) -> int:
        """How many findings the report has (the page's history shows it)."""
        return len(self.findings)


REPORTS = ReportStore("migration_reports", StoredReport)
migration_reports = REPORTS.table


def list_reports(engine: Engine, project: str, *, limit: int = HISTORY) -> list[StoredReport]:
    """The newest ``limit`` reports of ``project``, newest first."""
    return REPORTS.list(engine, project, limit=limit)


@dataclass(frozen=True)
class ReportRecorder(_Recorder[LintReport]):
    """Stores migration-lint reports of ``project`` (the gate check finds it in its services)."""

    actor: ClassVar[str] = "migrations"
    reports: ClassVar[ReportStore[StoredReport]] = REPORTS

    root: str = ""  # the project directory: stored file names are relative to it

    def contents(self, report: LintReport) -> Contents:
        prefix = self.root.rstrip("/") + "/" if self.root else ""
        return {
            "counts": {
                "files": report.files,
                "statements": report.statements,
                "suppressed": report.suppressed,
            },
            "findings": [
                {**f.as_dict(), "file": f.file.removeprefix(prefix)} for f in report.findings
            ],
            "errors": [{**e.as_dict(), "file": e.file.removeprefix(prefix)} for e in report.errors],
        }
