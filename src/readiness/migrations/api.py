"""``POST /api/v1/migrations/lint`` (writer role): lint migration files sent in the body.
The body names each file and its text, in apply order; ``.py`` names are read as Alembic
scripts, the rest as SQL. The answer is the report of ``readiness migrations lint -f json``.

``GET /api/v1/migrations/reports`` (reader role): the project's stored lint reports, newest
first (the merge gate and ``readiness migrations lint --record`` store them).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from readiness.lint_reports.api import add_reports_route, lint_answer
from readiness.migrations import service
from readiness.migrations.reports import REPORTS
from readiness.web.deps import Principal, get_settings, require_writer

router = APIRouter(prefix="/migrations", tags=["migrations"])
Writer = Annotated[Principal, Depends(require_writer)]
MAX_FILES = 1000
MAX_TEXT = 4 << 20


class MigrationText(BaseModel):
    name: str = Field(min_length=1, max_length=500, description="e.g. V3__add_note.sql")
    text: str = Field(max_length=MAX_TEXT)


class LintRequest(BaseModel):
    files: list[MigrationText] = Field(min_length=1, max_length=MAX_FILES)
    pg_version: int | None = Field(default=None, ge=9, le=30)
    runner_transaction: bool | None = None
    fail_on: str | None = Field(default=None, pattern="^(info|warning|error)$")


@router.post("/lint")
def lint(request: Request, who: Writer, body: LintRequest) -> dict[str, Any]:
    """Findings of the files (``findings``, ``errors``) and ``failed`` at ``fail_on``."""
    from readiness.migrations.model import Severity

    config = get_settings(request).migrations
    options = service.options_from(
        config, pg_version=body.pg_version, runner_transaction=body.runner_transaction
    )
    report = service.lint_texts({f.name: f.text for f in body.files}, options)
    threshold = Severity.parse(body.fail_on or config.fail_on)
    return lint_answer(report, threshold, failed=service.fails(report, threshold))


add_reports_route(router, REPORTS)
