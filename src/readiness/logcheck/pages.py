"""The ``/logs`` dashboard page (reader role): the project's latest stored log-lint report with
a short history, and the rule catalogue, each rule with the failing example, the finding it
produces and the passing example. Reports are stored by the merge gate and ``--record``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from readiness.lint_reports.pages import report_history
from readiness.logcheck.lint import RULES, Finding, LintOptions, Severity, lint_source
from readiness.logcheck.reports import REPORTS
from readiness.web.deps import CurrentProject, Principal, require_reader
from readiness.web.pages import DashboardPage, render

TEMPLATES = Path(__file__).parent / "templates"
Reader = Annotated[Principal, Depends(require_reader)]
_PRELUDE = "import structlog\nlog = structlog.get_logger()\n"


def example_finding(rule_id: str) -> Finding | None:
    """What the linter reports on the rule's failing example (the page shows it)."""
    source = _PRELUDE + "async def handler(request, user, exc, e, uid, tid, order_id):\n"
    source += f"    {RULES[rule_id].bad}\n"
    found = lint_source("app/example.py", source, LintOptions()).findings
    return next((f for f in found if f.rule == rule_id), None)


def catalogue() -> list[dict[str, Any]]:
    """The rules, most severe first, with their examples and the finding of the failing one."""
    rules = sorted(RULES.values(), key=lambda r: (-r.severity, r.id))
    return [
        {
            "id": r.id,
            "severity": r.severity.label,
            "title": r.title,
            "bad": r.bad,
            "good": r.good,
            "finding": example_finding(r.id),
        }
        for r in rules
    ]


def _router() -> APIRouter:
    router = APIRouter()

    @router.get("")
    def logs_page(request: Request, who: Reader, project: CurrentProject) -> Response:
        context: dict[str, Any] = {
            "rules": catalogue(),
            "fails_at": Severity.ERROR.label,
            **report_history(request, project.name, REPORTS),
        }
        return render(request, "logcheck/rules.html", context)

    return router


def dashboard_pages() -> list[DashboardPage]:
    """The logs page, in the navigation after Migrations."""
    return [DashboardPage("Logs", "/logs", 80, _router(), TEMPLATES)]
