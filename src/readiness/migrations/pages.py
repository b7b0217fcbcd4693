"""The ``/migrations`` dashboard page (reader role): the findings of the project's configured
migrations (``[tool.readiness.migrations] paths``), linted when the page is opened."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from readiness.migrations import service
from readiness.migrations.model import Severity
from readiness.web.deps import Principal, get_settings, require_reader
from readiness.web.pages import DashboardPage, render

TEMPLATES = Path(__file__).parent / "templates"
Reader = Annotated[Principal, Depends(require_reader)]


def _router() -> APIRouter:
    router = APIRouter()

    @router.get("")
    def migrations_page(request: Request, who: Reader) -> Response:
        settings = get_settings(request)
        paths = service.configured_paths(settings)
        context: dict[str, Any] = {"paths": [str(p) for p in paths], "report": None}
        if paths:
            config = settings.migrations
            report = service.lint(paths, service.options_from(config))
            threshold = Severity.parse(config.fail_on)
            root = str(settings.root) + "/"
            context.update(
                report=report,
                threshold=threshold.label,
                failed=service.fails(report, threshold),
                rows=[{**f.as_dict(), "file": f.file.removeprefix(root)} for f in report.findings],
                errors=[{**e.as_dict(), "file": e.file.removeprefix(root)} for e in report.errors],
            )
        return render(request, "migrations/lint.html", context)

    return router


def dashboard_pages() -> list[DashboardPage]:
    """The migrations page, in the navigation after Audit."""
    return [DashboardPage("Migrations", "/migrations", 70, _router(), TEMPLATES)]
