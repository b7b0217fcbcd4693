"""What a linter's dashboard page shows of its stored reports: the newest and the ones before
it (the page draws them with the macros of ``web/templates/_lint_reports.html``)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from readiness.lint_reports.store import HISTORY, ReportStore
from readiness.web.deps import get_stores


def report_history(request: Request, project: str, store: ReportStore[Any]) -> dict[str, Any]:
    """The page context of ``project``'s reports in ``store``: ``project``, ``latest`` (None
    when none is stored) and ``history`` (the newest :data:`HISTORY`, newest first)."""
    stored = store.list(get_stores(request).state, project, limit=HISTORY)
    return {"project": project, "latest": stored[0] if stored else None, "history": stored}
