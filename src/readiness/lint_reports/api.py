"""What a linter's API shares: the answer of ``POST <prefix>/lint`` (the report with its
threshold and verdict) and ``GET <prefix>/reports`` (reader role), the project's stored reports,
newest first (its merge-gate check and ``lint --record`` store them)."""

from __future__ import annotations

from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Query, Request

from readiness._common.severity import Severity
from readiness.lint_reports.store import HISTORY, ReportStore
from readiness.web.deps import CurrentProject, Principal, get_stores, require_reader

Reader = Annotated[Principal, Depends(require_reader)]
MAX_REPORTS = 100


class Report(Protocol):
    def as_dict(self) -> dict[str, Any]: ...


def lint_answer(report: Report, fail_on: Severity, *, failed: bool) -> dict[str, Any]:
    """The report as ``lint -f json`` writes it, with ``fail_on`` and ``failed``."""
    return {**report.as_dict(), "fail_on": fail_on.label, "failed": failed}


def add_reports_route(router: APIRouter, store: ReportStore[Any]) -> None:
    """Add ``GET /reports`` to the linter's ``router``, reading ``store``."""

    @router.get("/reports")
    def reports(
        request: Request,
        _who: Reader,
        project: CurrentProject,
        limit: Annotated[int, Query(ge=1, le=MAX_REPORTS)] = HISTORY,
    ) -> dict[str, Any]:
        """The newest ``limit`` stored lint reports of the project, newest first."""
        found = store.list(get_stores(request).state, project.name, limit=limit)
        return {"project": project.name, "reports": [r.as_dict() for r in found]}
