"""The audit trail as a built-in plugin: its CLI sub-app and API router."""

from __future__ import annotations

from typing import Any

from readiness.plugins.manager import hookimpl


@hookimpl
def readiness_cli_apps() -> list[tuple[str, Any]]:
    from readiness.audittrail.cli import app

    return [("audit", app)]


@hookimpl
def readiness_api_routers() -> list[Any]:
    from readiness.audittrail.api import router
    from readiness.audittrail.api_query import router as query_router

    return [router, query_router]


@hookimpl
def readiness_dashboard_pages() -> list[Any]:
    from readiness.audittrail.pages_search import dashboard_pages

    return dashboard_pages()
