"""``GET <prefix>/reports`` (reader role): a linter's stored reports of the project, newest
first (its merge-gate check and ``lint --record`` store them)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from readiness.lint_reports.store import HISTORY, ReportStore
from readiness.web.deps import CurrentProject, Principal, get_stores, require_reader

Reader = Annotated[Principal, Depends(require_reader)]
MAX_REPORTS = 100


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
