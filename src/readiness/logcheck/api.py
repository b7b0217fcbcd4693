"""``POST /api/v1/logs/lint`` (writer role): lint Python sources sent in the body.

The body names each file and gives its text; the path is a label only (it decides whether
``print()`` is allowed) and nothing is read from the server's disk. The answer is the report of
``readiness logs lint -f json`` with the threshold and the verdict.

``GET /api/v1/logs/reports`` (reader role): the project's stored lint reports, newest first
(the merge gate and ``readiness logs lint --record`` store them).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from readiness.lint_reports.api import add_reports_route, lint_answer
from readiness.logcheck import service
from readiness.logcheck.lint import Severity
from readiness.logcheck.reports import REPORTS
from readiness.web.deps import Principal, get_settings, require_writer

router = APIRouter(prefix="/logs", tags=["logs"])
Writer = Annotated[Principal, Depends(require_writer)]
MAX_FILES = 500
MAX_SOURCE = 1 << 20  # characters per file
MAX_RULES = 20


class SourceText(BaseModel):
    path: str = Field(min_length=1, max_length=500, description="e.g. app/orders.py")
    source: str = Field(max_length=MAX_SOURCE)


class LintRequest(BaseModel):
    files: list[SourceText] = Field(min_length=1, max_length=MAX_FILES)
    fail_on: str | None = Field(default=None, pattern="^(info|warning|error)$")
    disable: list[str] = Field(default_factory=list, max_length=MAX_RULES)


@router.post("/lint")
def lint(request: Request, who: Writer, body: LintRequest) -> dict[str, Any]:
    """Findings of the sources (``findings``, ``errors``) and ``failed`` at ``fail_on``."""
    config = get_settings(request).logs
    options = service.options_from(config, disable=body.disable)
    report = service.lint_texts([(f.path, f.source) for f in body.files], options)
    threshold = Severity.parse(body.fail_on or config.fail_on)
    return lint_answer(report, threshold, failed=service.fails(report, threshold))


add_reports_route(router, REPORTS)
