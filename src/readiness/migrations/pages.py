"""The ``/migrations`` dashboard page (reader role): the project's latest stored lint report
(findings with rule, severity, lock and rollback safety) and a short history of the reports
before it. Reports are stored by the merge gate and ``readiness migrations lint --record``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from readiness.lint_reports.pages import report_history
from readiness.migrations.reports import REPORTS
from readiness.web.deps import CurrentProject, Principal, require_reader
from readiness.web.pages import DashboardPage, render

TEMPLATES = Path(__file__).parent / "templates"
Reader = Annotated[Principal, Depends(require_reader)]


def _router() -> APIRouter:
    router = APIRouter()

    @router.get("")
    def migrations_page(request: Request, who: Reader, project: CurrentProject) -> Response:
        context = report_history(request, project.name, REPORTS)
        return render(request, "migrations/lint.html", context)

    return router


def dashboard_pages() -> list[DashboardPage]:
    """The migrations page, in the navigation after Audit."""
    return [DashboardPage("Migrations", "/migrations", 70, _router(), TEMPLATES)]
