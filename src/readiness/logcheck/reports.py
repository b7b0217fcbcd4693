"""Stored log-lint reports: the ``log_reports`` table (state database, revision
``0015_log_reports``) and its queries, built as every linter's (:mod:`readiness.lint_reports`).

One row per ``logs lint`` result of a project, written when the merge gate runs the
``logs.no_pii_in_log_calls`` check (with a local store) and by ``readiness logs lint --record``.
Findings and files that could not be linted are JSON arrays read whole with their report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy.engine import Engine

from readiness.lint_reports.recorder import Contents
from readiness.lint_reports.recorder import ReportRecorder as _Recorder
from readiness.lint_reports.store import HISTORY, ReportStore
from readiness.lint_reports.store import StoredReport as _Stored
from readiness.logcheck.lint import LintReport

__all__ = [
    "HISTORY",
    "MAX_STORED",
    "REPORTS",
    "SERVICE_NAME",
    "ReportRecorder",
    "StoredReport",
    "list_reports",
    "log_reports",
]

SERVICE_NAME = "logcheck_reports"
MAX_STORED = 500  # findings kept per report: the page shows the newest report, not a dump


@dataclass(frozen=True)
class StoredReport(_Stored):
    """One stored lint result; ``total`` counts the findings, ``findings`` keeps MAX_STORED."""

    COUNTS: ClassVar[tuple[str, ...]] = ("files", "suppressed", "total")

    total: int


REPORTS = ReportStore("log_reports", StoredReport)
log_reports = REPORTS.table


def list_reports(engine: Engine, project: str, *, limit: int = HISTORY) -> list[StoredReport]:
    """The newest ``limit`` reports of ``project``, newest first."""
    return REPORTS.list(engine, project, limit=limit)


@dataclass(frozen=True)
class ReportRecorder(_Recorder[LintReport]):
    """Stores log-lint reports of ``project`` (the gate check finds it in its services)."""

    actor: ClassVar[str] = "logcheck"
    reports: ClassVar[ReportStore[StoredReport]] = REPORTS

    def contents(self, report: LintReport) -> Contents:
        return {
            "counts": {
                "files": report.files,
                "suppressed": report.suppressed,
                "total": len(report.findings),
            },
            "findings": [f.as_dict() for f in report.findings[:MAX_STORED]],
            "errors": [e.as_dict() for e in report.errors[:MAX_STORED]],
        }
